/* SPDX-License-Identifier: MIT */
/*
 * The synchronous API: check the arguments once (blk/check.h), cut the
 * range into requests the device accepts, send them and wait. It works
 * polled (early boot, firmware without an interrupt controller) or with
 * interrupts.
 *
 * A synchronous request goes straight out when it would pass nothing in
 * the queue: its bio is built into a request slot and started by the
 * device layer (blk/device.c), kicked here, and, polled, harvested here in
 * one small loop (run_batch). Otherwise it goes the asynchronous way: the
 * queue takes the bio behind what is there (blk/queue.c), and the general
 * wait (blk/wait.c) sees it through. Either way the bio completes as any
 * other does, so a reset, a timeout or the interrupt handler may finish
 * it in the sync call's stead.
 */
#include "blk/check.h"

#include <string.h>

/* Requests in flight at once for one synchronous call: enough to keep the
 * device busy on a large transfer, few enough to live on the stack. */
#define SYNC_BATCH 8u

/* One synchronous call's requests in flight at once: a bio each, with no
 * callback (the waits look at `completed`), on the caller's stack. */
struct sync_batch {
	struct vblk_bio bios[SYNC_BATCH];
	struct vblk_seg segs[SYNC_BATCH];
	unsigned count;
};

/*
 * What run_batch could not see through itself: bios it did not start
 * (from `sent` on) go through the queue, plugged so they go out together
 * when the wait starts, and the general wait (blk/wait.c) sees all of
 * them through. Returns 0 or the first error: of a bio the queue refused
 * (the disk stopped meanwhile; nothing after it was sent), else of the
 * first bio that failed.
 */
static int send_and_wait(struct vblk_disk *disk, struct sync_batch *batch, unsigned sent)
{
	struct vblk_bio *waits[SYNC_BATCH];
	int err = 0;

	if (batch->count - sent > 1)
		vblk_plug(disk);
	for (; sent < batch->count; sent++) {
		err = blk_submit_checked(disk, &batch->bios[sent]);
		if (err)
			break;
	}
	/* Always wait for what was sent: the bios live in the caller's frame. */
	for (unsigned i = 0; i < sent; i++)
		waits[i] = &batch->bios[i];
	int wait_err = sent > 0 ? vblk_wait_bios(disk, waits, sent) : 0;
	return err ? err : wait_err;
}

/*
 * Send the batch and wait for all of it.
 *
 * Straight to the device while each bio passes nothing in the queue: no
 * bio pending or waiting, no plug holding any back, and a FLUSH only into
 * an idle ring (virtio 1.2 §5.2.6: it covers the writes completed before
 * it is sent; blk/queue.c holds it back otherwise). Each such bio is built
 * into a request slot and started by the device layer (blk/device.c), and
 * one notification covers them all. A bio that cannot go now (no slot, no
 * ring space, past the capacity of a disk that shrank, a broken ring)
 * stops that, and the queue takes the rest (send_and_wait).
 *
 * Then, polled, with nothing in the ring or the queue but this batch:
 * harvest here until all of it is back, each bio completed as blk/queue.c
 * completes any. Polling stops, leaving the rest to the general wait, as
 * soon as that no longer holds (interrupt mode; someone else's bios, whose
 * completions run callbacks and refill the ring), the ring broke (the
 * disk is stopped), or the device is slow: no completion for
 * VBLK_STATUS_CHECK_US, after which the general wait checks its status
 * and its timeout. Either way each bio completes as any other does, so a
 * reset, a timeout or the interrupt handler may finish it in our stead.
 */
static int run_batch(struct vblk_disk *disk, struct sync_batch *batch)
{
	struct blk_dev *dev = &disk->dev;
	struct blk_queue *q = &disk->queue;
	plat_irqflags_t flags = plat_irq_save();
	unsigned sent = 0, left;
	/* The disk may have stopped since the call's check (last batch). */
	int err = dev->ready ? 0 : blk_check_disk(disk);

	while (!err && sent < batch->count && blk_queue_idle(q) &&
	       (batch->bios[sent].op != VBLK_OP_FLUSH || blk_dev_in_flight(dev) == 0)) {
		struct blk_req *req = blk_dev_new_req(dev, &batch->bios[sent]);
		if (req == NULL)
			break;
		if (blk_dev_start(dev, req, batch->count - sent - 1) < 0) {
			blk_dev_free_req(dev, req);
			break;
		}
		q->stats.bios++;
		sent++;
	}
	if (sent > 0)
		blk_dev_kick(dev);

	for (left = sent == batch->count ? sent : 0; left > 0;) {
		struct blk_req *req;
		int status;
		if (q->use_irq || blk_dev_in_flight(dev) != left || !blk_queue_idle(q))
			break;
		int got = blk_dev_harvest(dev, &req, &status);
		if (got == 1) {
			struct vblk_bio *bio = req->bios.head;   /* its only one */
			blk_dev_free_req(dev, req);
			blk_queue_complete_bio(q, bio, status);
			left--;
			/* An unknown status byte broke the ring: stop the disk,
			 * as blk/queue.c's harvest would. */
			if (status == -VBLK_EBROKEN)
				blk_disk_stop_broken_queue(disk);
		} else if (got < 0) {
			blk_disk_broken_by_queue(disk, got);
			break;
		} else if (plat_time_us() - dev->progress_us >= VBLK_STATUS_CHECK_US) {
			break;
		} else {
			plat_irq_restore(flags);
			plat_cpu_relax();
			flags = plat_irq_save();
		}
	}
	plat_irq_restore(flags);
	if (err)
		return err;
	if (sent < batch->count || left > 0)
		return send_and_wait(disk, batch, sent);
	/* All back: the first error, as vblk_wait_bios reports it. */
	for (unsigned i = 0; i < batch->count; i++) {
		if (batch->bios[i].status)
			return batch->bios[i].status;
	}
	return 0;
}

/* A read or write: the arguments checked in vblk_submit's order (the disk
 * and the op, then the buffer, 64-byte aligned so the device's memory
 * never shares a cache line with the caller's other data, then the
 * sectors), then requests of at most max_req_bytes, SYNC_BATCH at a time. */
static int transfer(struct vblk_disk *disk, enum vblk_op op, uint64_t sector, uint8_t *buf,
		    uint32_t nsectors)
{
	int err = blk_check_op(disk, op);
	if (!err && buf == NULL)
		err = -VBLK_EINVAL;
	else if (!err && (uintptr_t)buf % VBLK_DMA_ALIGN != 0)
		err = -VBLK_EALIGN;
	if (!err)
		err = blk_check_range(disk, sector, nsectors);

	uint64_t left_bytes = (uint64_t)nsectors * VBLK_SECTOR_SIZE;
	while (!err && left_bytes > 0) {
		struct sync_batch batch;
		batch.count = 0;
		while (batch.count < SYNC_BATCH && left_bytes > 0) {
			uint32_t chunk_bytes = left_bytes < disk->dev.max_req_bytes
						       ? (uint32_t)left_bytes : disk->dev.max_req_bytes;
			struct vblk_seg *seg = &batch.segs[batch.count];
			struct vblk_bio *bio = &batch.bios[batch.count++];
			*seg = (struct vblk_seg){ buf, chunk_bytes };
			/* Field by field: what vblk sets itself is not read
			 * before it is set, and zeroing the whole bio costs
			 * more than the rest of this loop. */
			bio->op = op;
			bio->sector = sector;
			bio->segs = seg;
			bio->nsegs = 1;
			bio->bytes = chunk_bytes;
			bio->done = NULL;
			bio->status = 0;
			bio->completed = false;
			sector += chunk_bytes / VBLK_SECTOR_SIZE;
			buf += chunk_bytes;
			left_bytes -= chunk_bytes;
		}
		err = run_batch(disk, &batch);
	}
	return err;
}

int vblk_read(struct vblk_disk *disk, uint64_t sector, void *buf, uint32_t nsectors)
{
	return transfer(disk, VBLK_OP_READ, sector, buf, nsectors);
}

int vblk_write(struct vblk_disk *disk, uint64_t sector, const void *buf, uint32_t nsectors)
{
	/* The device only reads it; the bio's segment type is not const. */
	return transfer(disk, VBLK_OP_WRITE, sector, (void *)(uintptr_t)buf, nsectors);
}

/* DISCARD or WRITE_ZEROES: the range checked, then bios of at most one
 * request each (vblk_max_range_sectors), SYNC_BATCH at a time. */
static int range_op(struct vblk_disk *disk, enum vblk_op op, uint64_t sector,
		    uint64_t nsectors, unsigned flags)
{
	int err = blk_check_op(disk, op);
	if (!err)
		err = blk_check_range_op(disk, op, sector, nsectors, flags);
	if (err)
		return err;
	uint64_t per_bio = blk_range_max_sectors(blk_range_limits(disk, op));
	while (!err && nsectors > 0) {
		struct sync_batch batch;
		batch.count = 0;
		while (batch.count < SYNC_BATCH && nsectors > 0) {
			uint64_t chunk = nsectors < per_bio ? nsectors : per_bio;
			batch.bios[batch.count++] = (struct vblk_bio){
				.op = op, .sector = sector, .nsectors = chunk, .flags = flags,
			};
			sector += chunk;
			nsectors -= chunk;
		}
		err = run_batch(disk, &batch);
	}
	return err;
}

int vblk_discard(struct vblk_disk *disk, uint64_t sector, uint64_t nsectors)
{
	return range_op(disk, VBLK_OP_DISCARD, sector, nsectors, 0);
}

int vblk_write_zeroes(struct vblk_disk *disk, uint64_t sector, uint64_t nsectors, unsigned flags)
{
	return range_op(disk, VBLK_OP_WRITE_ZEROES, sector, nsectors, flags);
}

/* One request without data, or with the disk's own GET_ID buffer. */
static int single(struct vblk_disk *disk, enum vblk_op op, void *buf, uint32_t bytes)
{
	struct sync_batch batch;

	batch.count = 1;
	batch.segs[0] = (struct vblk_seg){ buf, bytes };
	batch.bios[0] = (struct vblk_bio){
		.op = op, .bytes = bytes, .segs = buf ? batch.segs : NULL, .nsegs = buf ? 1 : 0,
	};
	return run_batch(disk, &batch);
}

/*
 * Make completed writes durable. Without VIRTIO_BLK_F_FLUSH the device
 * has no volatile cache to flush (virtio 1.2 §5.2.5.1: write-through may
 * be assumed), so there is nothing to do.
 */
int vblk_flush(struct vblk_disk *disk)
{
	int err = blk_check_op(disk, VBLK_OP_FLUSH);
	if (err)
		return err;
	if (!disk->dev.info.has_flush)
		return 0;
	return single(disk, VBLK_OP_FLUSH, NULL, 0);
}

/* The device's ID string: exactly 20 bytes of data, not NUL-terminated when
 * all 20 are used (§5.2.6.1). */
int vblk_get_id(struct vblk_disk *disk, char id[21])
{
	int err = blk_check_disk(disk);
	if (!err && id == NULL)
		err = -VBLK_EINVAL;
	if (!err)
		err = single(disk, VBLK_OP_GET_ID, disk->dev.id_buf, VIRTIO_BLK_ID_BYTES);
	if (err)
		return err;
	memcpy(id, disk->dev.id_buf, VIRTIO_BLK_ID_BYTES);
	id[VIRTIO_BLK_ID_BYTES] = '\0';
	return 0;
}
