/* SPDX-License-Identifier: MIT */
/*
 * The asynchronous API around vblk_submit (blk/api.c): plug and unplug,
 * the limits a bio must keep, the statistics, and queueing the bios of a
 * synchronous call that may not skip the queue.
 */
#include "blk/check.h"
#include "blk/sync.h"

static uint32_t bio_bytes(const struct vblk_bio *bio)
{
	uint32_t total_bytes = 0;
	for (unsigned i = 0; i < bio->nsegs; i++)
		total_bytes += bio->segs[i].len_bytes;
	return total_bytes;
}

/* Queue a bio that is known to be good: one of the synchronous API's own
 * that may not skip the queue (blk/api.c). */
static int submit_checked(struct vblk_disk *disk, struct vblk_bio *bio)
{
	bio->bytes = bio_bytes(bio);
	plat_irqflags_t flags = plat_irq_save();
	int err = blk_check_disk(disk);
	/* Queued, the bio completes through its request, even if the disk
	 * stops on the way: 0 either way. */
	if (!err) {
		bio->owner = disk;
		blk_disk_stop_if_broken(disk, blk_queue_bio(&disk->queue, bio));
	}
	plat_irq_restore(flags);
	return err;
}

/*
 * What blk_sync_run could not see through itself: bios it did not start
 * (from `sent` on) go through the queue, plugged so they go out together
 * when the wait starts, and the general wait (blk/wait.c) sees all of
 * them through. Returns 0 or an error: -VBLK_EHELD if any bio came back
 * with it, else of a bio the queue refused (the disk stopped meanwhile;
 * nothing after it was sent), else of the first bio that failed.
 */
int blk_sync_queue_rest(struct vblk_disk *disk, struct sync_batch *batch, unsigned sent)
{
	struct vblk_bio *waits[SYNC_BATCH];
	int err = 0;

	if (batch->count - sent > 1)
		vblk_plug(disk);
	for (; sent < batch->count; sent++) {
		err = submit_checked(disk, &batch->bios[sent]);
		if (err)
			break;
	}
	/* Always wait for what was sent: the bios live in the caller's frame. */
	for (unsigned i = 0; i < sent; i++)
		waits[i] = &batch->bios[i];
	int wait_err = sent > 0 ? vblk_wait_bios(disk, waits, sent) : 0;
	/* A reset that did not complete (CLN-2, virtio 1.2 §3.3.1: only a
	 * completed reset makes the device let go of the buffers) leaves the
	 * caller's buffer in the device's hands. The call's result is all the
	 * caller sees, so it says that before any earlier error (-VBLK_EIO
	 * of one request, -VBLK_EBROKEN of the one that stopped the disk). */
	for (unsigned i = 0; i < sent; i++) {
		if (batch->bios[i].status == -VBLK_EHELD)
			return -VBLK_EHELD;
	}
	return err ? err : wait_err;
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
	blk_disk_stop_if_broken(disk, blk_queue_run(&disk->queue));
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
