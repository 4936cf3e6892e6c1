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
 * §2.7.5.3); vring_add() decides which.
 */
#include "blk/device.h"
#include "blk/sg.h"
#include "blk/trace.h"
#include "vring/describe.h"

#include <stddef.h>

/* Marks a status byte the device has not written. */
#define STATUS_UNWRITTEN 0xffu

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
	req->data_bytes = bio->bytes;
	/* The data descriptors are counted where they matter, by the queue
	 * that merges (blk/queue.c); blk_dev_start maps them afresh. */
	req->sg = (struct blk_sg_state){ 0 };
	bio->next = NULL;
	req->bios = (struct blk_bio_list){ bio, bio };
	req->nbios = 1;
	req->next = NULL;
	if (bio->op >= VBLK_OP_DISCARD) {
		/* One data descriptor: the segment array (fill_ranges). */
		req->sg.ndescs = 1;
		req->range_sectors = bio->nsectors;
		req->range_flags = bio->flags & VBLK_WZ_UNMAP ? VIRTIO_BLK_WZ_F_UNMAP : 0;
	}
	return req;
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
	bool rw = req->type == VIRTIO_BLK_T_IN || req->type == VIRTIO_BLK_T_OUT;
	bool range = !rw && blk_type_is_range(req->type);

	/* §5.2.6.1: no request may reach past the capacity. Each bio was
	 * checked when it was submitted, but the disk may have shrunk (a
	 * config change) since. FLUSH and GET_ID cover no sectors. */
	if (rw || range) {
		uint64_t capacity = dev->info.capacity_sectors;
		uint64_t nsectors = rw ? req->data_bytes / VBLK_SECTOR_SIZE : req->range_sectors;
		if (req->sector > capacity || nsectors > capacity - req->sector)
			return -VBLK_ERANGE;
	}

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

	/* Map the chain, cleaning the caches over what the device will read,
	 * and over memory it will write (so no dirty line is written back
	 * over the device's data later): no-ops on a coherent platform such
	 * as QEMU virt. The indirect table is the ring's to clean. */
	unsigned nbufs, coalesced = 0;
	if (range) {
		nbufs = map_range_chain(dev, req, bufs);
	} else {
		struct blk_sg_state sg = { 0 };
		bufs[0] = (struct vring_buf){ plat_virt_to_phys(&req->hdr), sizeof(req->hdr), false };
		for (const struct vblk_bio *bio = req->bios.head; bio != NULL; bio = bio->next) {
			for (unsigned i = 0; i < bio->nsegs; i++) {
				const struct vblk_seg *seg = &bio->segs[i];
				coalesced += sg_append(&sg, bufs + 1, plat_virt_to_phys(seg->addr),
						       seg->len_bytes, dev->seg_bytes_max, device_writes);
				plat_dma_clean(seg->addr, seg->len_bytes);
			}
		}
		bufs[sg.ndescs + 1] = (struct vring_buf){ plat_virt_to_phys(&req->status), 1, true };
		nbufs = sg.ndescs + 2;
	}
	/* The header, status and segment array, written above. */
	plat_dma_clean(req, sizeof(*req));

	/* The ring may put the chain in an indirect table if one is free
	 * (the last of the pool); a chain of one ring descriptor went into
	 * it (a direct chain has at least two: header and status), and the
	 * request keeps it until blk_dev_free_req gives it back. */
	union vring_indirect_desc *table =
		dev->nfree_tables ? dev->free_tables[dev->nfree_tables - 1] : NULL;
	BLK_TRACE_REQUEST(req, vring_chooses_indirect(&dev->ring, nbufs, table, VBLK_INDIRECT_MAX,
						      queued_behind));
	int ring_descs = vring_add(&dev->ring, bufs, nbufs, table, VBLK_INDIRECT_MAX,
				   queued_behind, req);
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
	/* The timeout counts from here if the device had nothing to do. */
	if (blk_dev_in_flight(dev) == 1)
		dev->progress_us = plat_time_us();
	dev->counts.requests++;
	dev->counts.descriptors += (unsigned)ring_descs;
	dev->counts.coalesced_segs += coalesced;
	return ring_descs;
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
 * Take one completed request from the used ring. Returns 1 with the
 * request and its result, 0 if none is ready, or -VBLK_EBROKEN if the
 * device wrote something impossible (the ring checks what it wrote there:
 * vring/split.c, vring/packed.c).
 *
 * The result is the status byte (§5.2.6: 0 OK, 1 IOERR, 2 UNSUPP). Any
 * other value means the device broke the protocol: the request completes
 * with -VBLK_EBROKEN, and the ring is marked broken so the next harvest
 * says so.
 */
int blk_dev_harvest(struct blk_dev *dev, struct blk_req **reqp, int *result)
{
	void *token;
	uint32_t used_len;

	int got = vring_harvest(&dev->ring, &token, &used_len);
	if (got != 1)
		return got;
	struct blk_req *req = token;
	*reqp = req;
	dev->counts.completions++;
	/* Progress: the timeouts of what is still in flight count from
	 * here, and the adaptive wait (blk/wait.c) times its stretches by
	 * it, the last completion of a wait included. */
	dev->progress_us = plat_time_us();

	/* §2.7.8.3: nothing past the first used_len device-writable bytes
	 * may be trusted, and the status byte is the last of them: unless
	 * len covers the data the device writes and the status, the request
	 * has no result we can believe (a short read, or a status never
	 * written). Legacy devices may not set len: ignore it (§5.2.6.3). */
	if (!dev->vdev.legacy && used_len < req->writable_bytes) {
		*result = -VBLK_EIO;
		return 1;
	}
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
	return 1;
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
