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
 * one small loop (poll_own). Otherwise it goes the asynchronous way: the
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

/* A read's or write's arguments, in vblk_submit's order: the disk and the
 * op, then the buffer (64-byte aligned: the device's memory never shares
 * a cache line with the caller's other data), then the sectors. */
static int check_transfer(const struct vblk_disk *disk, enum vblk_op op, uint64_t sector,
			  const void *buf, uint32_t nsectors)
{
	int err = blk_check_op(disk, op);
	if (err)
		return err;
	if (buf == NULL)
		return -VBLK_EINVAL;
	if ((uintptr_t)buf % VBLK_DMA_ALIGN != 0)
		return -VBLK_EALIGN;
	return blk_check_range(disk, sector, nsectors);
}

/* One synchronous call's requests in flight at once: a bio each, with no
 * callback (the waits look at `completed`), on the caller's stack. */
struct sync_batch {
	struct vblk_bio bios[SYNC_BATCH];
	struct vblk_bio *waits[SYNC_BATCH];
	struct vblk_seg segs[SYNC_BATCH];
	unsigned count;
};

/* The next bio of the batch. Field by field: the rest (private, what vblk
 * sets itself) is not read, and zeroing the whole bio costs more than
 * filling the batch. */
static struct vblk_bio *batch_add(struct sync_batch *batch, enum vblk_op op, uint64_t sector,
				  uint32_t bytes)
{
	struct vblk_bio *bio = &batch->bios[batch->count];

	batch->waits[batch->count++] = bio;
	bio->op = op;
	bio->sector = sector;
	bio->segs = NULL;
	bio->nsegs = 0;
	bio->bytes = bytes;
	bio->done = NULL;
	bio->status = 0;
	bio->completed = false;
	return bio;
}

/* May `bio` skip the queue? Only if it passes nothing there: no bio is
 * pending or waiting, no plug holds any back, and a FLUSH goes only into
 * an idle ring (virtio 1.2 §5.2.6: it covers the writes completed before
 * it is sent; blk/queue.c holds it back otherwise). */
static bool may_skip_queue(const struct vblk_disk *disk, const struct vblk_bio *bio)
{
	return blk_queue_idle(&disk->queue) &&
	       (bio->op != VBLK_OP_FLUSH || blk_dev_in_flight(&disk->dev) == 0);
}

/* Build `bio`'s request in a free slot and put it in the ring, not yet
 * kicked. False if it cannot go now (no slot, no ring space, past the
 * capacity of a disk that shrank, a broken ring): the queue takes it. */
static bool start_straight(struct vblk_disk *disk, struct vblk_bio *bio, unsigned queued_behind)
{
	struct blk_req *req = blk_dev_alloc_req(&disk->dev);

	if (req == NULL)
		return false;
	blk_req_init(req, bio, disk->dev.seg_bytes_max);
	if (blk_dev_start(&disk->dev, req, queued_behind) < 0) {
		blk_dev_free_req(&disk->dev, req);
		return false;
	}
	disk->queue.stats.bios++;
	return true;
}

/* Start the batch's bios in order while they may skip the queue, and
 * notify once for all of them. Returns how many went. */
static unsigned send_straight(struct vblk_disk *disk, struct sync_batch *batch)
{
	unsigned sent = 0;

	while (sent < batch->count && may_skip_queue(disk, &batch->bios[sent]) &&
	       start_straight(disk, &batch->bios[sent], batch->count - sent - 1))
		sent++;
	if (sent > 0)
		blk_dev_kick(&disk->dev);
	return sent;
}

/*
 * Polled, with nothing in the ring or the queue but this batch: harvest
 * here until all of it is back, each bio completed as blk/queue.c
 * completes any. Returns false, leaving the rest to the general wait
 * (blk/wait.c), as soon as that no longer holds (interrupt mode; someone
 * else's bios, whose completions run callbacks and refill the ring), the
 * ring broke (the disk is stopped), or the device is slow: no completion for
 * VBLK_STATUS_CHECK_US, after which the general wait checks its status
 * and its timeout.
 */
static bool poll_own(struct vblk_disk *disk, unsigned in_flight, plat_irqflags_t *flags)
{
	struct blk_dev *dev = &disk->dev;
	struct blk_req *req;
	int status;

	while (in_flight > 0) {
		if (disk->queue.use_irq || blk_dev_in_flight(dev) != in_flight ||
		    !blk_queue_idle(&disk->queue))
			return false;
		int got = blk_dev_harvest(dev, &req, &status);
		if (got == 1) {
			struct vblk_bio *bio = req->bios.head;   /* its only one */
			blk_dev_free_req(dev, req);
			blk_queue_complete_bio(&disk->queue, bio, status);
			in_flight--;
			/* An unknown status byte broke the ring: stop the disk,
			 * as blk/queue.c's harvest would. */
			blk_disk_broken_by_queue(disk, status);
		} else if (got < 0) {
			blk_disk_broken_by_queue(disk, got);
			return false;
		} else if (plat_time_us() - dev->progress_us >= VBLK_STATUS_CHECK_US) {
			return false;
		} else {
			plat_irq_restore(*flags);
			plat_cpu_relax();
			*flags = plat_irq_save();
		}
	}
	return true;
}

/* The first error among the batch's completed bios, as vblk_wait_bios
 * reports it. */
static int batch_status(const struct sync_batch *batch)
{
	for (unsigned i = 0; i < batch->count; i++) {
		if (batch->bios[i].status)
			return batch->bios[i].status;
	}
	return 0;
}

/*
 * Send the batch and wait for all of it: straight out as far as it may
 * go, the rest through the queue (plugged, so it goes out together when
 * the wait starts). Returns 0 or the first error: of a bio the queue
 * refused (the disk stopped meanwhile; nothing after it was sent), else
 * of the first bio that failed.
 */
static int run_batch(struct vblk_disk *disk, struct sync_batch *batch)
{
	plat_irqflags_t flags = plat_irq_save();
	int err = blk_check_disk(disk);
	unsigned sent = err ? 0 : send_straight(disk, batch);
	bool done = sent == batch->count && poll_own(disk, sent, &flags);
	plat_irq_restore(flags);
	if (err)
		return err;
	if (done)
		return batch_status(batch);
	if (batch->count - sent > 1)
		vblk_plug(disk);
	for (; sent < batch->count; sent++) {
		err = blk_submit_checked(disk, &batch->bios[sent]);
		if (err)
			break;
	}
	/* Always wait for what was sent: the bios live in this frame. */
	int wait_err = sent > 0 ? vblk_wait_bios(disk, batch->waits, sent) : 0;
	return err ? err : wait_err;
}

/* A read or write of checked arguments, in requests of at most
 * max_req_bytes, SYNC_BATCH at a time. */
static int transfer(struct vblk_disk *disk, enum vblk_op op, uint64_t sector, uint8_t *buf,
		    uint32_t nsectors)
{
	uint64_t left_bytes = (uint64_t)nsectors * VBLK_SECTOR_SIZE;
	int err = 0;

	while (!err && left_bytes > 0) {
		struct sync_batch batch;
		batch.count = 0;
		while (batch.count < SYNC_BATCH && left_bytes > 0) {
			uint32_t chunk_bytes = left_bytes < disk->dev.max_req_bytes
						       ? (uint32_t)left_bytes : disk->dev.max_req_bytes;
			struct vblk_seg *seg = &batch.segs[batch.count];
			struct vblk_bio *bio = batch_add(&batch, op, sector, chunk_bytes);
			*seg = (struct vblk_seg){ buf, chunk_bytes };
			bio->segs = seg;
			bio->nsegs = 1;
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
	int err = check_transfer(disk, VBLK_OP_READ, sector, buf, nsectors);
	return err ? err : transfer(disk, VBLK_OP_READ, sector, buf, nsectors);
}

int vblk_write(struct vblk_disk *disk, uint64_t sector, const void *buf, uint32_t nsectors)
{
	int err = check_transfer(disk, VBLK_OP_WRITE, sector, buf, nsectors);
	/* The device only reads it; the bio's segment type is not const. */
	return err ? err : transfer(disk, VBLK_OP_WRITE, sector, (void *)(uintptr_t)buf, nsectors);
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
			struct vblk_bio *bio = batch_add(&batch, op, sector, 0);
			bio->nsectors = chunk;
			bio->flags = flags;
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

	batch.count = 0;
	struct vblk_bio *bio = batch_add(&batch, op, 0, bytes);
	if (buf != NULL) {
		batch.segs[0] = (struct vblk_seg){ buf, bytes };
		bio->segs = &batch.segs[0];
		bio->nsegs = 1;
	}
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
