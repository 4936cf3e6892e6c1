/* SPDX-License-Identifier: MIT */
/*
 * The synchronous calls' batches: blk/api.c runs them (reads and writes
 * among them), blk/commands.c builds them for the other commands (FLUSH,
 * GET_ID, DISCARD, WRITE_ZEROES).
 */
#ifndef VBLK_BLK_SYNC_H
#define VBLK_BLK_SYNC_H

#include "blk/disk.h"

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

/* Send the batch and wait for all of it: 0, -VBLK_EHELD if the device
 * may still use part of it, or the first error (blk/api.c). */
int blk_sync_run(struct vblk_disk *disk, struct sync_batch *batch);

/* The bios of the batch from `sent` on through the queue, then wait for
 * all of it (blk/api_queue.c): what blk_sync_run could not see through. */
int blk_sync_queue_rest(struct vblk_disk *disk, struct sync_batch *batch, unsigned sent);

#endif
