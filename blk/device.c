/* SPDX-License-Identifier: MIT */
/*
 * The device layer's data path (struct blk_dev): it hands out request
 * slots, turns a formed request (blk/merge.c) into a descriptor chain,
 * publishes and notifies, harvests completions, turns the device's status
 * byte back into a result (virtio 1.2 §5.2.6) and hands the bios back.
 * It knows nothing of bios waiting, plugs or callbacks: that is the queue
 * above (blk/queue.c). Its control side, set-up, reset and interrupts, is
 * blk/device_ctl.c.
 *
 *   desc 0   header {type, reserved, sector}   16 bytes, device reads
 *   desc 1.. data, one per coalesced segment   device reads (OUT) or
 *                                              writes (IN, GET_ID)
 *   desc n   status                            1 byte, device writes
 *
 * DISCARD and WRITE_ZEROES carry a segment array instead of data
 * (blk/range.c). The same chain goes either into the ring, or into an
 * indirect table with one ring descriptor pointing at it (§2.7.5.3);
 * ring_add() decides which. On a split ring a direct chain goes in its
 * request slot's frame, whose header and status descriptors stay written
 * between the slot's requests (vring/split_frame.c).
 */
#include "blk/device.h"
#include "blk/range.h"
#include "blk/sg.h"
#include "blk/trace.h"
#include "vring/chain.h"
#include "vring/describe.h"

#include <stddef.h>

/* Marks a status byte the device has not written. */
#define STATUS_UNWRITTEN 0xffu

/* The calls each request makes of its ring, in the format negotiated at
 * set-up: split (virtio 1.2 §2.7, vring/split.c) or packed (§2.8,
 * vring/packed.c); vring/ring.h has the set-up and the rare calls. Each is
 * a test and a direct call (the call alone with VBLK_RING_PACKED 0). */

/* The longest chain an indirect table of `table_entries` takes: 0 without
 * the feature, never more than the ring (§2.7.5.3.1, §2.8.19). */
static unsigned ring_indirect_max(const struct vring *ring, unsigned table_entries)
{
	if (VRING_IS_PACKED(ring))
		return vring_indirect_max(ring->q.packed.indirect, ring->q.packed.num, table_entries);
	return vq_indirect_max(&ring->q.split, table_entries);
}

/*
 * Does a chain of `nbufs` buffers go through `table` (`table_entries`
 * long; NULL when none is free), one ring descriptor, rather than
 * straight into the ring? Only when the direct chain would not leave a
 * descriptor for each of `queued_behind` requests waiting behind it, and
 * VIRTIO_F_INDIRECT_DESC was negotiated and the table takes the chain. A
 * direct chain is cheaper for the device to map; an indirect one lets a
 * short ring take more requests (docs/design.md, "Indirect or direct").
 */
static bool ring_chooses_indirect(const struct vring *ring, unsigned nbufs,
				  const union vring_indirect_desc *table, unsigned table_entries,
				  unsigned queued_behind)
{
	unsigned num_free = VRING_IS_PACKED(ring) ? ring->q.packed.num_free : ring->q.split.num_free;

	return nbufs + queued_behind > num_free && table != NULL &&
	       nbufs <= ring_indirect_max(ring, table_entries);
}

/* Put one chain in the ring, not yet published, directly or through
 * `table` as ring_chooses_indirect says. A direct chain on a split ring
 * goes in `frame` (the request slot's number): its header and status
 * descriptors stay written from the slot's last request (vring/split_frame.c).
 * Returns the ring descriptors used, or the format's error (-VQ_EAGAIN:
 * no room now). */
static int ring_add(struct vring *ring, const struct vring_buf *bufs, unsigned nbufs,
		    union vring_indirect_desc *table, unsigned table_entries,
		    unsigned queued_behind, unsigned frame, void *token)
{
	bool packed = VRING_IS_PACKED(ring);
	int err;

	if (!ring_chooses_indirect(ring, nbufs, table, table_entries, queued_behind)) {
		err = packed ? vqp_add(&ring->q.packed, bufs, nbufs, token)
			     : vq_add_framed(&ring->q.split, frame, bufs, nbufs, token);
		return err ? err : (int)nbufs;
	}
	err = packed ? vqp_add_indirect(&ring->q.packed, bufs, nbufs, &table->packed, table_entries,
					token)
		     : vq_add_indirect(&ring->q.split, bufs, nbufs, &table->split, table_entries,
				       token);
	return err ? err : 1;
}

/* Publish what was added; true if the device asked to be notified. */
static bool ring_publish(struct vring *ring)
{
	if (VRING_IS_PACKED(ring))
		return vqp_publish(&ring->q.packed);
	return vq_publish(&ring->q.split);
}

/* One used chain's token and length: 1, 0 if none, or -VBLK_EBROKEN. */
static int ring_harvest(struct vring *ring, void **token, uint32_t *used_len)
{
	if (VRING_IS_PACKED(ring))
		return vqp_harvest(&ring->q.packed, token, used_len);
	return vq_harvest(&ring->q.split, token, used_len);
}

/* Requests in the ring: one chain each, so the ring's count. */
unsigned blk_dev_in_flight(const struct blk_dev *dev)
{
	const struct vring *ring = &dev->ring;

	return VRING_IS_PACKED(ring) ? ring->q.packed.in_flight : ring->q.split.in_flight;
}

/*
 * A request's scatter-gather list (blk/sg.h), the one rule that turns
 * memory segments into data descriptors for merging (blk/merge.c, by
 * blk_sg_add_bio) and dispatch (blk_dev_start) alike.
 * Add `len_bytes` at `phys` to the list: first fill up the last descriptor
 * if the memory continues it, then cut the rest at seg_bytes_max. With
 * `out`, also write the descriptors (out[i] is data descriptor i).
 * Returns true if the memory was coalesced into the previous descriptor.
 */
static bool sg_append(struct blk_sg_state *sg, struct vring_buf *out, uint64_t phys,
		      uint32_t len_bytes, uint32_t seg_bytes_max, bool device_writes)
{
	bool coalesced = false;

	if (sg->ndescs > 0 && phys == sg->end_phys && sg->last_bytes < seg_bytes_max) {
		uint32_t room = seg_bytes_max - sg->last_bytes;
		uint32_t take = len_bytes < room ? len_bytes : room;
		sg->last_bytes += take;
		sg->end_phys += take;
		if (out)
			out[sg->ndescs - 1].len_bytes = sg->last_bytes;
		phys += take;
		len_bytes -= take;
		coalesced = true;
	}
	while (len_bytes > 0) {
		uint32_t take = len_bytes < seg_bytes_max ? len_bytes : seg_bytes_max;
		if (out)
			out[sg->ndescs] = (struct vring_buf){ phys, take, device_writes };
		sg->ndescs++;
		sg->last_bytes = take;
		sg->end_phys = phys + take;
		phys += take;
		len_bytes -= take;
	}
	return coalesced;
}

/* Count the descriptors `bio`'s segments add to `sg` (nothing written):
 * a request's as bios merge into it (blk/merge.c), a bio's alone
 * (vblk_submit's check, blk/api.c). */
void blk_sg_add_bio(struct blk_sg_state *sg, const struct vblk_bio *bio, uint32_t seg_bytes_max)
{
	for (unsigned i = 0; i < bio->nsegs; i++)
		sg_append(sg, /* count only: */ NULL, plat_virt_to_phys(bio->segs[i].addr),
			  bio->segs[i].len_bytes, seg_bytes_max, /* unused: */ false);
}

const uint32_t blk_op_types[] = {
	[VBLK_OP_READ] = VIRTIO_BLK_T_IN,
	[VBLK_OP_WRITE] = VIRTIO_BLK_T_OUT,
	[VBLK_OP_FLUSH] = VIRTIO_BLK_T_FLUSH,
	[VBLK_OP_GET_ID] = VIRTIO_BLK_T_GET_ID,
	[VBLK_OP_DISCARD] = VIRTIO_BLK_T_DISCARD,
	[VBLK_OP_WRITE_ZEROES] = VIRTIO_BLK_T_WRITE_ZEROES,
};

/*
 * A free request slot holding just `bio` (blk/merge.c may add more to it
 * while it is pending), or NULL when none is free.
 */
struct blk_req *blk_dev_new_req(struct blk_dev *dev, struct vblk_bio *bio)
{
	struct blk_req *req = dev->free_reqs;

	if (req == NULL)
		return NULL;
	dev->free_reqs = req->next;
	req->type = blk_op_types[bio->op];
	req->sector = bio->sector;
	req->nsectors = bio->bytes / VBLK_SECTOR_SIZE;
	req->data_bytes = bio->bytes;
	/* The data descriptors are counted where they matter, when a bio
	 * first tries to merge into it (blk/merge.c); blk_dev_start maps them
	 * afresh. */
	req->sg = (struct blk_sg_state){ 0 };
	bio->next = NULL;
	req->bios = (struct blk_bio_list){ bio, bio };
	req->nbios = 1;
	req->next = NULL;
	if (bio->op >= VBLK_OP_DISCARD) {
		/* One data descriptor: the segment array (blk/range.c). */
		req->sg.ndescs = 1;
		req->nsectors = bio->nsectors;
		req->range_flags = bio->flags & VBLK_WZ_UNMAP ? VIRTIO_BLK_WZ_F_UNMAP : 0;
	}
	return req;
}

/*
 * A request's chain of buffers into `bufs`: the header, its bios'
 * segments in order (sg_append: one descriptor where memory continues,
 * none longer than seg_bytes_max; *coalesced counts the joins), the
 * status byte. Cleans the caches over what the device will read, and over
 * memory it will write (so no dirty line is written back over the
 * device's data later): no-ops on a coherent platform such as QEMU virt.
 * Returns the number of buffers.
 */
static unsigned map_chain(const struct blk_dev *dev, struct blk_req *req, bool device_writes,
			  struct vring_buf *bufs, unsigned *coalesced)
{
	struct blk_sg_state sg = { 0 };

	bufs[0] = (struct vring_buf){ plat_virt_to_phys(&req->hdr), sizeof(req->hdr), false };
	for (const struct vblk_bio *bio = req->bios.head; bio != NULL; bio = bio->next) {
		for (unsigned i = 0; i < bio->nsegs; i++) {
			const struct vblk_seg *seg = &bio->segs[i];
			*coalesced += sg_append(&sg, bufs + 1, plat_virt_to_phys(seg->addr),
						seg->len_bytes, dev->seg_bytes_max, device_writes);
			plat_dma_clean(seg->addr, seg->len_bytes);
		}
	}
	bufs[sg.ndescs + 1] = (struct vring_buf){ plat_virt_to_phys(&req->status), 1, true };
	return sg.ndescs + 2;
}

/*
 * Put `req`'s chain in the ring (not yet published: see blk_dev_kick),
 * directly or through its indirect table; `queued_behind` requests wait
 * behind it for ring space. Returns the number of ring descriptors used,
 * -VBLK_ERANGE if the request reaches past the capacity (nothing sent),
 * -VQ_EAGAIN if the ring has no room for it now, or -VBLK_EBROKEN if
 * the ring is broken (it is then marked so).
 *
 * The chain: header, data descriptors, status (§5.2.6). Header, data and
 * status always sit in descriptors of their own: a legacy device without
 * ANY_LAYOUT requires exactly this framing (§5.2.6.4), and every other
 * device accepts it.
 */
int blk_dev_start(struct blk_dev *dev, struct blk_req *req, unsigned queued_behind)
{
	struct vring_buf *bufs = dev->chain_bufs;
	uint64_t capacity = dev->info.capacity_sectors;

	/* §5.2.6.1: no request may reach past the capacity. Each bio was
	 * checked when it was submitted, but the disk may have shrunk (a
	 * config change) since. FLUSH and GET_ID cover no sectors. */
	if (req->nsectors != 0 && (req->sector > capacity || req->nsectors > capacity - req->sector))
		return -VBLK_ERANGE;

	bool rw = req->type == VIRTIO_BLK_T_IN || req->type == VIRTIO_BLK_T_OUT;
	bool range = !rw && blk_type_is_range(req->type);

	/* T_FLUSH, T_GET_ID, T_DISCARD and T_WRITE_ZEROES carry sector 0
	 * (§5.2.6.1: the field is used by reads and writes only). */
	req->hdr = (struct virtio_blk_req_hdr){
		.type = req->type, .reserved = 0, .sector = rw ? req->sector : 0,
	};
	req->status = STATUS_UNWRITTEN;
	/* The device writes the data of IN and GET_ID, and the status byte:
	 * used.len must cover all of it (blk_dev_harvest). */
	bool device_writes = req->type == VIRTIO_BLK_T_IN || req->type == VIRTIO_BLK_T_GET_ID;
	req->writable_bytes = (device_writes ? req->data_bytes : 0) + 1;

	/* The chain's buffers (the indirect table, if one is used, is the
	 * ring's to clean). */
	unsigned nbufs, coalesced = 0;
	if (range)
		nbufs = blk_range_map_chain(req, blk_dev_range_limits(dev, req->type)->seg_sectors, bufs);
	else
		nbufs = map_chain(dev, req, device_writes, bufs, &coalesced);
	/* The header, status and segment array, written above. */
	plat_dma_clean(req, sizeof(*req));

	/* The ring may put the chain in an indirect table if one is free
	 * (the last of the pool); a chain of one ring descriptor went into
	 * it (a direct chain has at least two: header and status), and the
	 * request keeps it until blk_dev_free_req gives it back. */
	union vring_indirect_desc *table =
		dev->nfree_tables ? dev->free_tables[dev->nfree_tables - 1] : NULL;
	BLK_TRACE_REQUEST(req, ring_chooses_indirect(&dev->ring, nbufs, table, VBLK_INDIRECT_MAX,
						     queued_behind));
	int ring_descs = ring_add(&dev->ring, bufs, nbufs, table, VBLK_INDIRECT_MAX,
				   queued_behind, (unsigned)(req - dev->reqs), req);
	if (ring_descs == -VQ_EAGAIN)
		return -VQ_EAGAIN;
	if (ring_descs < 0) {
		/* Broken, or a chain the ring refuses: a driver bug, which
		 * stops the disk rather than go unnoticed. */
		vring_set_broken(&dev->ring, "request refused by the ring");
		return -VBLK_EBROKEN;
	}
	if (ring_descs == 1)
		req->table = dev->free_tables[--dev->nfree_tables];
	/* The timeout counts from here if the device had nothing to do;
	 * behind others, from when the device passes it over (blk/wait.c). */
	unsigned in_flight = blk_dev_in_flight(dev);
	if (in_flight == 1)
		dev->progress_us = plat_time_us();
	req->in_ring = true;
	req->passed_over = false;
	req->ahead = (uint16_t)(in_flight - 1);
	req->sent_at = dev->completions_ever;
	dev->counts.requests++;
	dev->counts.descriptors += (unsigned)ring_descs;
	dev->counts.coalesced_segs += coalesced;
	return ring_descs;
}

/*
 * Publish what was added and notify the device if it asked for it
 * (split: VRING_USED_F_NO_NOTIFY or avail_event, §2.7.10; packed: the
 * device event area, §2.8.10; the ring decides). Once per batch of
 * requests. The notification is the transport's own call (virtio/mmio.c,
 * virtio/pci.c: "there are new buffers in queue 0", §2.7.13.4).
 */
void blk_dev_kick(struct blk_dev *dev)
{
	bool notify = ring_publish(&dev->ring);
	BLK_TRACE_NOTIFY(&dev->ring, notify);
	if (notify) {
		dev->vdev.ops->notify(&dev->vdev, 0);
		dev->counts.notifications++;
	}
}

/*
 * Take one completed request from the used ring and give its slot back.
 * Returns 1 with its bios (linked through `next`, in sector order) and
 * its result, 0 if none is ready, or -VBLK_EBROKEN if the device wrote
 * something impossible (the ring checks what it wrote there:
 * vring/split.c, vring/packed.c). The bios are the caller's to hand back
 * (blk_dev_end_bio).
 *
 * The result is the status byte (§5.2.6: 0 OK, 1 IOERR, 2 UNSUPP). Any
 * other value means the device broke the protocol: the request completes
 * with -VBLK_EBROKEN, and the ring is marked broken so the next harvest
 * says so.
 */
int blk_dev_harvest(struct blk_dev *dev, struct vblk_bio **bios, int *result)
{
	void *token;
	uint32_t used_len;

	int got = ring_harvest(&dev->ring, &token, &used_len);
	if (got != 1)
		return got;
	struct blk_req *req = token;
	dev->counts.completions++;
	dev->completions_ever++;
	/* Progress: the timeouts of what is still in flight count from
	 * here, and the adaptive wait (blk/spin_or_sleep.c) times its
	 * stretches by it, the last completion of a wait included. */
	dev->progress_us = plat_time_us();

	/* §2.7.8.3: nothing past the first used_len device-writable bytes
	 * may be trusted, and the status byte is the last of them: unless
	 * len covers the data the device writes and the status, the request
	 * has no result we can believe (a short read, or a status never
	 * written). Legacy devices may not set len: ignore it (§5.2.6.3). */
	if (!dev->vdev.legacy && used_len < req->writable_bytes) {
		*result = -VBLK_EIO;
	} else {
		plat_dma_invalidate(&req->status, 1);
		switch (*(const volatile uint8_t *)&req->status) {
		case VIRTIO_BLK_S_OK:
			*result = 0;
			break;
		case VIRTIO_BLK_S_IOERR:
			*result = -VBLK_EIO;
			break;
		case VIRTIO_BLK_S_UNSUPP:
			*result = -VBLK_EUNSUPP;
			break;
		default:
			*result = -VBLK_EBROKEN;
			vring_set_broken(&dev->ring, "unknown status byte");
		}
	}
	*bios = req->bios.head;
	blk_dev_free_req(dev, req);
	return 1;
}

/* A request slot back on the free list (blk_dev_new_req takes it). */
void blk_dev_free_req(struct blk_dev *dev, struct blk_req *req)
{
	/* The device is done with the slot (harvested, or reset since), so
	 * with its indirect table too. */
	if (req->table) {
		dev->free_tables[dev->nfree_tables++] = req->table;
		req->table = NULL;
	}
	req->bios = (struct blk_bio_list){ NULL, NULL };
	req->in_ring = false;
	req->next = dev->free_reqs;
	dev->free_reqs = req;
}

/*
 * Hand a bio back to its owner with `status`: the request it was in is
 * done (harvested, failed, or reset away), or it never reached one.
 * Data the device wrote is made visible to the CPU first (a no-op on
 * coherent platforms). The callback may submit more: the queue above
 * runs it with its dispatch held (blk/queue.c), blk/api.c's own bios
 * have none.
 */
void blk_dev_end_bio(struct vblk_bio *bio, int status)
{
	if (status == 0 && bio->op != VBLK_OP_WRITE) {
		for (unsigned i = 0; i < bio->nsegs; i++)
			plat_dma_invalidate(bio->segs[i].addr, bio->segs[i].len_bytes);
	}
	bio->next = NULL;
	bio->status = status;
	bio->owner = NULL;
	/* A waiter (vblk_wait_bios) reads `completed`; nothing of the bio is
	 * touched after the callback, which may reuse it. */
	*(volatile bool *)&bio->completed = true;
	BLK_TRACE_COMPLETE(bio, status);
	if (bio->done)
		bio->done(bio, status);
}
