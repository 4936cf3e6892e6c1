/* SPDX-License-Identifier: MIT */
/*
 * The device layer: everything that touches the ring (struct blk_dev). It
 * hands out request slots, turns a formed request (blk/merge.c) into a
 * descriptor chain, publishes and notifies, harvests completions and
 * turns the device's status byte back into a result (virtio 1.2 §5.2.6),
 * and takes the device's interrupt status. It knows nothing of bios
 * waiting, plugs or callbacks: that is the queue above (blk/queue.c).
 *
 *
 *   desc 0   header {type, reserved, sector}   16 bytes, device reads
 *   desc 1.. data, one per coalesced segment   device reads (OUT) or
 *                                              writes (IN, GET_ID)
 *   desc n   status                            1 byte, device writes
 *
 * DISCARD and WRITE_ZEROES (§5.2.6) carry no memory: their one data
 * descriptor is the request's own segment array, device-readable:
 *
 *   desc 0   header {type, 0, sector 0}             16 bytes, device reads
 *   desc 1   {le64 sector, le32 num_sectors,        16 bytes per segment,
 *             le32 flags} x nsegs                   device reads
 *   desc 2   status                                 1 byte, device writes
 *
 * The same chain goes either into the ring, or into the request's own
 * indirect table with one ring descriptor pointing at it (virtio 1.2
 * §2.7.5.3); use_indirect() decides which.
 */
#include "blk/device.h"
#include "blk/sg.h"
#include "blk/trace.h"
#include "vring/describe.h"

#include <stddef.h>

/* Marks a status byte the device has not written. */
#define STATUS_UNWRITTEN 0xffu

/* Clean the caches over what the device will read, and over memory it will
 * write (so no dirty line is written back over the device's data later).
 * Both are no-ops on a coherent platform such as QEMU virt. The indirect
 * table is left to the ring code, which cleans it once it has filled it. */
static void clean_for_device(const struct blk_req *req)
{
	plat_dma_clean(req, sizeof(*req));
	for (const struct vblk_bio *bio = req->bios.head; bio != NULL; bio = bio->next) {
		for (unsigned i = 0; i < bio->nsegs; i++)
			plat_dma_clean(bio->segs[i].addr, bio->segs[i].len_bytes);
	}
}

/*
 * Does this chain of `ndescs` descriptors go through the request's indirect
 * table (one ring descriptor) rather than straight into the ring? Only if
 * a table is free, the feature was negotiated and the chain fits the
 * table, and then only
 * when ring space is short: when the ring cannot take the direct chain and
 * still keep one descriptor for each request queued behind it. Otherwise
 * the direct chain is cheaper: mapping a table costs QEMU 400-480 more
 * instructions per request, while a request that finds no room waits for a
 * whole completion round trip (docs/design.md, "Indirect or direct").
 */
static bool use_indirect(const struct blk_dev *dev, unsigned ndescs, unsigned queued_behind)
{
	if (dev->nfree_tables == 0 || ndescs > vring_indirect_max(&dev->ring, VBLK_INDIRECT_MAX))
		return false;
	return ndescs + queued_behind > vring_num_free(&dev->ring);
}

/*
 * The chain for `req`: header, data descriptors, status (virtio 1.2
 * §5.2.6). Header, data and status always sit in descriptors of their own:
 * a legacy device without ANY_LAYOUT requires exactly this framing
 * (§5.2.6.4), and every other device accepts it. Returns the number of
 * buffers written to `bufs` (req->sg.ndescs + 2) and counts coalesced
 * segments in the disk's statistics.
 */
static unsigned map_chain(struct blk_dev *dev, const struct blk_req *req, struct vring_buf *bufs)
{
	bool device_writes = blk_type_device_writes(req->type);
	struct blk_sg_state sg = { 0 };

	bufs[0] = (struct vring_buf){ plat_virt_to_phys(&req->hdr), sizeof(req->hdr), false };
	for (const struct vblk_bio *bio = req->bios.head; bio != NULL; bio = bio->next) {
		for (unsigned i = 0; i < bio->nsegs; i++) {
			if (sg_append(&sg, bufs + 1, plat_virt_to_phys(bio->segs[i].addr),
				      bio->segs[i].len_bytes, dev->seg_bytes_max, device_writes))
				dev->counts.coalesced_segs++;
		}
	}
	bufs[sg.ndescs + 1] = (struct vring_buf){ plat_virt_to_phys(&req->status), 1, true };
	return sg.ndescs + 2;
}

/*
 * A DISCARD's or WRITE_ZEROES's run of sectors as the device reads it:
 * segments of at most the device's max_*_sectors, each a whole number of
 * alignment units (the limit is), no more than max_*_seg of them (merging
 * kept the run within that), all with the request's flags: unmap only on
 * WRITE_ZEROES, reserved bits zero (§5.2.6.2). Returns how many.
 */
static unsigned fill_ranges(const struct blk_dev *dev, struct blk_req *req)
{
	uint32_t seg_sectors = blk_dev_range_limits(dev, req->type)->seg_sectors;
	uint64_t sector = req->sector, left = req->range_sectors;
	unsigned nranges = 0;

	while (left > 0 && nranges < BLK_RANGE_SEGS_MAX) {
		uint32_t take = left < seg_sectors ? (uint32_t)left : seg_sectors;
		req->ranges[nranges++] = (struct virtio_blk_range_seg){
			.sector = sector, .num_sectors = take,
			.flags = req->type == VIRTIO_BLK_T_WRITE_ZEROES ? req->range_flags : 0,
		};
		sector += take;
		left -= take;
	}
	return nranges;
}

/* The chain of a DISCARD or WRITE_ZEROES: header, its segment array
 * (filled here), status. Returns 3, the buffers written to `bufs`. */
static unsigned map_range_chain(const struct blk_dev *dev, struct blk_req *req,
				struct vring_buf *bufs)
{
	unsigned nranges = fill_ranges(dev, req);

	bufs[0] = (struct vring_buf){ plat_virt_to_phys(&req->hdr), sizeof(req->hdr), false };
	bufs[1] = (struct vring_buf){ plat_virt_to_phys(req->ranges),
				      nranges * (uint32_t)sizeof(req->ranges[0]), false };
	bufs[2] = (struct vring_buf){ plat_virt_to_phys(&req->status), 1, true };
	return 3;
}

/* A new request holding just `bio` (blk/merge.c may add more). */
void blk_req_init(struct blk_req *req, struct vblk_bio *bio, uint32_t seg_bytes_max)
{
	req->type = blk_op_type(bio->op);
	req->sector = bio->sector;
	req->data_bytes = bio->bytes;
	req->sg = (struct blk_sg_state){ 0 };
	blk_sg_add_bio(&req->sg, bio, seg_bytes_max);
	req->bios = (struct blk_bio_list){ NULL, NULL };
	blk_bio_list_push(&req->bios, bio);
	req->nbios = 1;
	req->next = NULL;
	if (bio->op >= VBLK_OP_DISCARD) {
		/* One data descriptor: the segment array (fill_ranges). */
		req->sg.ndescs = 1;
		req->range_sectors = bio->nsectors;
		req->range_flags = bio->flags & VBLK_WZ_UNMAP ? VIRTIO_BLK_WZ_F_UNMAP : 0;
	}
}

/* §5.2.6.1: no request may reach past the capacity. Each bio was checked
 * when it was submitted, but the disk may have shrunk (a config change)
 * since. Requests without sectors (FLUSH, GET_ID) never do. */
static bool past_capacity(const struct blk_dev *dev, const struct blk_req *req)
{
	uint64_t capacity = dev->info.capacity_sectors;
	uint64_t nsectors = req->data_bytes / VBLK_SECTOR_SIZE;

	if (req->type != VIRTIO_BLK_T_IN && req->type != VIRTIO_BLK_T_OUT) {
		if (!blk_type_is_range(req->type))
			return false;
		nsectors = req->range_sectors;
	}
	return req->sector > capacity || nsectors > capacity - req->sector;
}

/*
 * Put `req`'s chain in the ring (not yet published: see blk_dev_kick),
 * directly or through its indirect table; `queued_behind` requests wait
 * behind it for ring space. Returns the number of ring descriptors used,
 * -VBLK_ERANGE if the request reaches past the capacity (nothing sent),
 * -VQ_EAGAIN if the ring has no room for it now, or -VBLK_EBROKEN if
 * the ring is broken (it is then marked so).
 */
int blk_dev_start(struct blk_dev *dev, struct blk_req *req, unsigned queued_behind)
{
	unsigned ndescs = req->sg.ndescs + 2u;
	bool indirect = use_indirect(dev, ndescs, queued_behind);
	unsigned ring_descs = indirect ? 1u : ndescs;

	if (past_capacity(dev, req))
		return -VBLK_ERANGE;
	if (vring_num_free(&dev->ring) < ring_descs)
		return vring_is_broken(&dev->ring) ? -VBLK_EBROKEN : -VQ_EAGAIN;

	/* T_FLUSH, T_GET_ID, T_DISCARD and T_WRITE_ZEROES carry sector 0
	 * (§5.2.6.1: the field is used by reads and writes only). */
	bool has_sector = req->type == VIRTIO_BLK_T_IN || req->type == VIRTIO_BLK_T_OUT;
	req->hdr = (struct virtio_blk_req_hdr){
		.type = req->type, .reserved = 0, .sector = has_sector ? req->sector : 0,
	};
	req->status = STATUS_UNWRITTEN;
	if (indirect)
		req->table = dev->free_tables[--dev->nfree_tables]; /* back: blk_dev_free_req */
	/* The segment array is written before the caches are cleaned. */
	unsigned nbufs = blk_type_is_range(req->type) ? map_range_chain(dev, req, dev->chain_bufs)
						      : map_chain(dev, req, dev->chain_bufs);
	clean_for_device(req);

	BLK_TRACE_REQUEST(req, indirect);
	int err = indirect ? vring_add_indirect(&dev->ring, dev->chain_bufs, nbufs, req->table,
						VBLK_INDIRECT_MAX, req)
			   : vring_add(&dev->ring, dev->chain_bufs, nbufs, req);
	if (err) {
		vring_set_broken(&dev->ring, "request refused by the ring");
		return -VBLK_EBROKEN;
	}
	/* The timeout counts from here if the device had nothing to do. */
	if (blk_dev_in_flight(dev) == 1)
		dev->progress_us = plat_time_us();
	dev->counts.requests++;
	dev->counts.descriptors += ring_descs;
	return (int)ring_descs;
}

/* Publish what was added and notify the device if it asked for it
 * (split: VRING_USED_F_NO_NOTIFY or avail_event, §2.7.10; packed: the
 * device event area, §2.8.10; the ring decides). */
void blk_dev_kick(struct blk_dev *dev)
{
	bool notify = vring_publish(&dev->ring);
	VRING_TRACE_NOTIFY(&dev->ring, notify);
	if (notify) {
		virtio_notify(&dev->vdev, 0);
		dev->counts.notifications++;
	}
}

/*
 * Notify the device although the ring did not ask for it: requests are in
 * flight and nothing has completed for VBLK_RENOTIFY_US (blk/wait.c). A
 * notification the device does not need costs it one look at the ring
 * (§2.7.13.3 only says when the driver need not send one). The case it
 * rescues: with EVENT_IDX the driver stores avail.idx, and reads
 * avail_event after a full barrier; a device that stores avail_event and
 * re-reads avail.idx the other way round can then miss the chain if the
 * barrier does not reach it, both sides decide "no notification" and the
 * device sleeps on requests it never saw. Under QEMU's TCG with one vCPU
 * the guest's barriers are not emitted as host fences while the device
 * runs in another host thread (virtio-pci's ioeventfd), which is how such
 * a hang was seen: a 10 s timeout in about one boot in ten under load.
 */
void blk_dev_renotify(struct blk_dev *dev)
{
	virtio_notify(&dev->vdev, 0);
	dev->counts.renotifications++;
}

/*
 * Turn a completed request's status byte into a result (§5.2.6: 0 OK,
 * 1 IOERR, 2 UNSUPP). Any other value means the device broke the
 * protocol: the request completes with -VBLK_EBROKEN, and the ring is
 * marked broken so the next harvest says so.
 */
static int status_result(const struct blk_dev *dev, const struct blk_req *req, uint32_t used_len)
{
	/* §2.7.8.3: nothing past the first used_len device-writable bytes
	 * may be trusted, and the status byte is the last of them: unless
	 * len covers the data the device writes and the status, the request
	 * has no result we can believe (a short read, or a status never
	 * written). Legacy devices may not set len: ignore it (§5.2.6.3). */
	uint32_t writable_bytes = (blk_type_device_writes(req->type) ? req->data_bytes : 0) + 1;
	if (!dev->vdev.legacy && used_len < writable_bytes)
		return -VBLK_EIO;

	plat_dma_invalidate(&req->status, 1);
	uint8_t status = *(const volatile uint8_t *)&req->status;

	switch (status) {
	case VIRTIO_BLK_S_OK:
		return 0;
	case VIRTIO_BLK_S_IOERR:
		return -VBLK_EIO;
	case VIRTIO_BLK_S_UNSUPP:
		return -VBLK_EUNSUPP;
	default:
		return -VBLK_EBROKEN;
	}
}

int blk_dev_result(struct blk_dev *dev, const struct blk_req *req, uint32_t used_len)
{
	int result = status_result(dev, req, used_len);
	if (result == -VBLK_EBROKEN)
		vring_set_broken(&dev->ring, "unknown status byte");
	return result;
}

/* After a reset (the device holds no buffer, §3.3.1): one request that was
 * in flight, or NULL when none is left. */
struct blk_req *blk_dev_detach(struct blk_dev *dev)
{
	return vring_detach(&dev->ring);
}

/* The request slots and the indirect tables they share: static, so they
 * outlive the submitter's stack frame. The slots are zeroed already
 * (blk/disk.c). */
void blk_dev_init_reqs(struct blk_dev *dev)
{
	dev->progress_us = plat_time_us();
	dev->status_checked_us = dev->progress_us;
	dev->free_reqs = NULL;
	for (unsigned i = BLK_MAX_REQS; i-- > 0;) {
		dev->reqs[i].next = dev->free_reqs;
		dev->free_reqs = &dev->reqs[i];
	}
	for (unsigned i = 0; i < BLK_INDIRECT_TABLES; i++)
		dev->free_tables[i] = dev->tables[i].desc;
	dev->nfree_tables = BLK_INDIRECT_TABLES;
}

/* Ask the device not to interrupt after used buffers, or to interrupt at
 * the next one; the latter returns whether used buffers wait already
 * (they raise no interrupt of their own: harvest them). */
void blk_dev_irq_off(struct blk_dev *dev)
{
	vring_disable_interrupts(&dev->ring);
}

bool blk_dev_irq_on(struct blk_dev *dev)
{
	return vring_enable_interrupts(&dev->ring);
}

bool blk_dev_needs_reset(struct blk_dev *dev)
{
	return virtio_needs_reset(&dev->vdev);
}

/* Is the device's used-buffer interrupt bit up? (Read only where an
 * interrupt seems to have gone missing: blk/wait.c.) */
bool blk_dev_used_bit_up(struct blk_dev *dev)
{
	return virtio_interrupt_status(&dev->vdev) & VIRTIO_INT_USED_BUFFER;
}

void blk_dev_ack_used_bit(struct blk_dev *dev)
{
	virtio_interrupt_ack(&dev->vdev, VIRTIO_INT_USED_BUFFER);
}

/*
 * Read InterruptStatus and acknowledge every bit that is up; *bits gets
 * the bits virtio defines (§4.2.2: used buffer, configuration change).
 *
 * §4.2.2.2 asks the driver to ignore other bits and never to acknowledge
 * them. But a device that raises one holds its interrupt line up until
 * the bit is cleared, and only an acknowledgement clears it: ignored, a
 * level-triggered line re-enters the handler forever and an edge-triggered
 * one never rises again. So such a bit is treated as the device fault it
 * is: acknowledged (it is pending, so QEMU just clears it) and counted;
 * if it is still up after that, -VBLK_EBROKEN: the caller stops the disk,
 * and the reset clears it.
 */
int blk_dev_take_interrupt(struct blk_dev *dev, uint32_t *bits)
{
	uint32_t status = virtio_interrupt_status(&dev->vdev);

	*bits = status & VIRTIO_INT_DEFINED;
	if (status == 0)
		return 0;
	virtio_interrupt_ack(&dev->vdev, status);
	if (!(status & ~VIRTIO_INT_DEFINED))
		return 0;
	dev->counts.bad_interrupts++;
	if (virtio_interrupt_status(&dev->vdev) & ~VIRTIO_INT_DEFINED)
		return -VBLK_EBROKEN;
	return 0;
}
