/* SPDX-License-Identifier: MIT */
/*
 * vblk_dump(): one disk's queue and ring, printed on demand through
 * vblk_printf (vblk/platform.h). The ring's part is vring/describe.c's;
 * this file adds what only the block layer knows: the transport and
 * features, the requests and bios the queue holds, what each request in
 * flight carries, and where its indirect table is (the ring keeps no
 * pointer to it, the request does).
 */
#include "blk/disk.h"
#include "plat/trace.h"
#include "vring/describe.h"

/* How many used entries the dump shows, newest first. */
#define DUMP_LAST_USED 4u

static const union vring_indirect_desc *req_table(const void *token)
{
	return ((const struct blk_req *)token)->table;
}

static void dump_device(const struct vblk_disk *disk)
{
	const struct vblk_info *info = &disk->dev.info;
	char features[160];

	vblk_feature_names(info->features, features, sizeof(features));
	if (info->transport == VBLK_TRANSPORT_PCI)
		vblk_printf("vblk dump: virtio-pci %02x:%02x.%u", (unsigned)info->pci.bus,
			    (unsigned)info->pci.dev, (unsigned)info->pci.fn);
	else
		vblk_printf("vblk dump: virtio-mmio @ 0x%llx (%s)",
			    (unsigned long long)info->mmio_base,
			    info->mmio_version == 1 ? "legacy" : "modern");
	vblk_printf(", %llu sectors, %s\n", (unsigned long long)info->capacity_sectors,
		    disk->dev.ready ? "ready" : disk->dev.broken_reason ? "broken" : "not ready");
	if (disk->dev.broken_reason)
		vblk_printf("  broken: %s\n", disk->dev.broken_reason);
	vblk_printf("  features: %s\n", features);
}

static void dump_req(const char *what, const struct blk_req *req)
{
	vblk_printf("  %s request %p: %s sector %llu, %u bytes, %u bio(s)\n", what,
		    (const void *)req, VBLK_TRACE_TYPE_NAME(req->type),
		    (unsigned long long)req->sector, (unsigned)req->data_bytes,
		    (unsigned)req->nbios);
}

static void dump_queue(const struct vblk_disk *disk)
{
	const struct blk_queue *q = &disk->queue;
	unsigned waiting = 0;

	for (const struct vblk_bio *bio = q->waiting.head; bio != NULL; bio = bio->next)
		waiting++;
	vblk_printf("  queue: %u request(s) pending (not yet in the ring), %u bio(s) waiting "
		    "for a request, %s, %s\n", q->npending, waiting,
		    q->plugged ? "plugged" : "not plugged", q->use_irq ? "interrupts" : "polled");
	for (const struct blk_req *req = q->pending.head; req != NULL; req = req->next)
		dump_req("pending", req);
	/* A request is in the ring while the ring holds its token. */
	for (unsigned i = 0; i < BLK_MAX_REQS; i++) {
		const struct blk_req *req = &disk->dev.reqs[i];
		const struct vring *ring = &disk->dev.ring;
		bool in_ring = false;
		if (VRING_IS_PACKED(ring)) {
			for (unsigned id = 0; id < ring->q.packed.num && !in_ring; id++)
				in_ring = ring->q.packed.chain[id].token == req;
		} else {
			for (unsigned head = 0; head < ring->q.split.num && !in_ring; head++)
				in_ring = ring->q.split.chain[head].token == req;
		}
		if (in_ring)
			dump_req("in-flight", req);
	}
	vblk_printf("  stats: %llu request(s), %llu notification(s), %llu interrupt(s), "
		    "%llu completion(s)\n", (unsigned long long)disk->dev.counts.requests,
		    (unsigned long long)disk->dev.counts.notifications,
		    (unsigned long long)q->stats.interrupts,
		    (unsigned long long)disk->dev.counts.completions);
}

int vblk_dump(const struct vblk_disk *disk)
{
	if (disk == NULL)
		return -VBLK_EINVAL;
	const struct vring *ring = &disk->dev.ring;
	if (VRING_IS_PACKED(ring) ? ring->q.packed.desc == NULL : ring->q.split.desc == NULL)
		return -VBLK_ESTATE;
	dump_device(disk);
	dump_queue(disk);
	/* Only entries the driver harvested: the counter bounds them. */
	uint64_t done = disk->dev.counts.completions;
	unsigned last_used = done < DUMP_LAST_USED ? (unsigned)done : DUMP_LAST_USED;
	if (VRING_IS_PACKED(ring))
		vqp_describe("  ", &ring->q.packed, last_used, req_table);
	else
		vq_describe("  ", &ring->q.split, last_used, req_table);
	return 0;
}
