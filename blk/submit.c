/* SPDX-License-Identifier: MIT */
/*
 * The asynchronous API's front door: check a bio (with blk/check.h's
 * checks of the disk, the op and the range), queue it, plug and unplug.
 * A bio that fails a check is refused with nothing queued; one that
 * passes completes exactly once, through its callback.
 */
#include "blk/check.h"

/* A DISCARD or WRITE_ZEROES bio: a range, no segments, that fits one
 * request. */
static int check_range_bio(const struct vblk_disk *disk, const struct vblk_bio *bio)
{
	if (bio->nsegs != 0)
		return -VBLK_EINVAL;
	int err = blk_check_range_op(disk, bio->op, bio->sector, bio->nsectors, bio->flags);
	if (!err && bio->nsectors > blk_range_max_sectors(blk_range_limits(disk, bio->op)))
		err = -VBLK_ETOOBIG;
	return err;
}

/* Each segment holds whole sectors in memory the device may use: cache-
 * line aligned, so invalidating it never discards a neighbour's data. */
static int check_segments(const struct vblk_bio *bio, uint64_t *total_bytes)
{
	*total_bytes = 0;
	if (bio->segs == NULL || bio->nsegs == 0)
		return -VBLK_EINVAL;
	for (unsigned i = 0; i < bio->nsegs; i++) {
		const struct vblk_seg *seg = &bio->segs[i];
		if (seg->addr == NULL || seg->len_bytes == 0)
			return -VBLK_EINVAL;
		if ((uintptr_t)seg->addr % VBLK_DMA_ALIGN != 0 || seg->len_bytes % VBLK_SECTOR_SIZE != 0)
			return -VBLK_EALIGN;
		*total_bytes += seg->len_bytes;
	}
	return 0;
}

/* Would the bio, alone, fit one request of this device? */
static int check_fits(const struct vblk_disk *disk, const struct vblk_bio *bio, uint64_t total_bytes)
{
	struct blk_sg_state sg = { 0 };

	if (total_bytes > disk->dev.max_req_bytes)
		return -VBLK_ETOOBIG;
	/* The common bio, one segment no longer than size_max, is one
	 * descriptor: it fits any request (max_data_segs >= 1). */
	if (bio->nsegs == 1 && total_bytes <= disk->dev.seg_bytes_max)
		return 0;
	blk_sg_add_bio(&sg, bio, disk->dev.seg_bytes_max);
	return sg.ndescs > disk->dev.max_data_segs ? -VBLK_ETOOBIG : 0;
}

/* Check a bio from the API; on success *total_bytes is its data size. */
static int check_bio(const struct vblk_disk *disk, const struct vblk_bio *bio,
		     uint64_t *total_bytes)
{
	*total_bytes = 0;

	int err = blk_check_op(disk, bio->op);
	if (err)
		return err;
	/* A flush has no data (virtio 1.2 §5.2.6.1: T_FLUSH carries no data
	 * buffer). Its segments are never checked, so queueing one that has
	 * some would send them unchecked (or read a NULL `segs`): refuse it. */
	if (bio->op == VBLK_OP_FLUSH)
		return bio->nsegs != 0 ? -VBLK_EINVAL : 0;
	if (bio->op == VBLK_OP_DISCARD || bio->op == VBLK_OP_WRITE_ZEROES)
		return check_range_bio(disk, bio);
	err = check_segments(bio, total_bytes);
	if (!err)
		err = blk_check_range(disk, bio->sector, *total_bytes / VBLK_SECTOR_SIZE);
	if (!err)
		err = check_fits(disk, bio, *total_bytes);
	return err;
}

static uint32_t bio_bytes(const struct vblk_bio *bio)
{
	uint32_t total_bytes = 0;
	for (unsigned i = 0; i < bio->nsegs; i++)
		total_bytes += bio->segs[i].len_bytes;
	return total_bytes;
}

/* A FLUSH on a disk without VIRTIO_BLK_F_FLUSH: the device has no
 * volatile cache (§5.2.5.1: it is write-through) and must not be sent
 * T_FLUSH (§5.2.6.2), so the flush is complete already. */
static void complete_empty_flush(struct vblk_disk *disk, struct vblk_bio *bio)
{
	bio->bytes = 0;
	bio->status = 0;
	bio->owner = NULL;
	bio->completed = true;
	disk->queue.stats.bios++;
	if (bio->done)
		bio->done(bio, 0);
}

/* Queue a bio that is known to be good: one of the synchronous API's own
 * that may not skip the queue (blk/sync.c). */
int blk_submit_checked(struct vblk_disk *disk, struct vblk_bio *bio)
{
	bio->bytes = bio_bytes(bio);
	plat_irqflags_t flags = plat_irq_save();
	int err = blk_check_disk(disk);
	/* Queued, the bio completes through its request, even if the disk
	 * stops on the way: 0 either way. */
	if (!err) {
		bio->owner = disk;
		blk_disk_broken_by_queue(disk, blk_queue_bio(&disk->queue, bio));
	}
	plat_irq_restore(flags);
	return err;
}

/*
 * The disk is checked with IRQs masked, together with the bio and the
 * queueing: an interrupt (a resize, a device that broke) cannot change
 * the capacity or stop the disk between the check and the queueing.
 */
int vblk_submit(struct vblk_disk *disk, struct vblk_bio *bio)
{
	uint64_t total_bytes = 0;

	if (disk == NULL)
		return -VBLK_EINVAL;
	plat_irqflags_t flags = plat_irq_save();
	int err = blk_check_disk(disk);
	if (!err && bio == NULL)
		err = -VBLK_EINVAL;
	/* Queued twice, a bio would be linked into two lists through its one
	 * `next` and cut the first: refuse it before anything is touched. */
	if (!err && bio->owner != NULL && blk_disk_holds_bio(bio))
		err = -VBLK_EBUSY;
	if (!err)
		err = check_bio(disk, bio, &total_bytes);
	if (!err && bio->op == VBLK_OP_FLUSH && !disk->dev.info.has_flush) {
		complete_empty_flush(disk, bio);
	} else if (!err) {
		bio->bytes = (uint32_t)total_bytes;   /* <= max_req_bytes */
		bio->owner = disk;
		blk_disk_broken_by_queue(disk, blk_queue_bio(&disk->queue, bio));
	}
	plat_irq_restore(flags);
	return err;
}

void vblk_plug(struct vblk_disk *disk)
{
	if (disk)
		disk->queue.plugged = true;
}

void vblk_unplug(struct vblk_disk *disk)
{
	if (disk == NULL)
		return;
	plat_irqflags_t flags = plat_irq_save();
	disk->queue.plugged = false;
	blk_disk_broken_by_queue(disk, blk_queue_run(&disk->queue));
	plat_irq_restore(flags);
}

uint32_t vblk_max_bio_segs(const struct vblk_disk *disk)
{
	return disk ? disk->dev.max_data_segs : 0;
}

uint32_t vblk_max_bio_bytes(const struct vblk_disk *disk)
{
	return disk ? disk->dev.max_req_bytes : 0;
}

uint64_t vblk_max_range_sectors(const struct vblk_disk *disk, enum vblk_op op)
{
	if (disk == NULL || (op != VBLK_OP_DISCARD && op != VBLK_OP_WRITE_ZEROES))
		return 0;
	return blk_range_max_sectors(blk_range_limits(disk, op));
}

void vblk_stats(const struct vblk_disk *disk, struct vblk_stats *stats)
{
	if (disk && stats) {
		plat_irqflags_t flags = plat_irq_save();
		*stats = disk->queue.stats;
		/* What the device layer counts itself. */
		stats->requests = disk->dev.counts.requests;
		stats->descriptors = disk->dev.counts.descriptors;
		stats->completions = disk->dev.counts.completions;
		stats->notifications = disk->dev.counts.notifications;
		stats->coalesced_segs = disk->dev.counts.coalesced_segs;
		stats->bad_interrupts = disk->dev.counts.bad_interrupts;
		stats->renotifications = disk->dev.counts.renotifications;
		plat_irq_restore(flags);
	}
}

void vblk_reset_stats(struct vblk_disk *disk)
{
	if (disk) {
		plat_irqflags_t flags = plat_irq_save();
		disk->queue.stats = (struct vblk_stats){ 0 };
		disk->dev.counts = (struct blk_dev_counts){ 0 };
		plat_irq_restore(flags);
	}
}
