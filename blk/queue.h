/* SPDX-License-Identifier: MIT */
/*
 * The request queue: bios in, requests to the device layer, completions
 * out (blk/queue.c), and which bio may join which request (blk/merge.c).
 * It owns struct blk_queue and calls only the device layer below it.
 */
#ifndef VBLK_BLK_QUEUE_H
#define VBLK_BLK_QUEUE_H

#include "blk/device.h"
#include "blk/trace.h"
#include "blk/wait.h"
#include "plat/compiler.h"

/* A plug holds back at most this many requests before dispatching anyway
 * (so a long burst still streams; Linux's plug limit is of the same size). */
#define BLK_PLUG_MAX_REQS 32

/* A bio may merge into one of the last this many pending requests
 * (blk/queue.c, place_bio). */
#define BLK_MERGE_SCAN 8u

/* One level of bios still to be told their request's result: a callback
 * may harvest another request (vblk_poll, vblk_use_interrupts) while the
 * loop that runs it has bios left to tell, so the levels nest. */
struct blk_finishing {
	struct vblk_bio *bios;
	struct blk_finishing *outer;
};

/* The queue layer's state (blk/queue.c, blk/wait.c and the files beside
 * it: blk/spin_or_sleep.c, blk/interrupt.c): bios, the requests
 * they form before they reach the ring, plugging, waiting, statistics. */
struct blk_queue {
	struct blk_dev *dev;             /* the layer below */
	struct blk_req_list pending;     /* formed, not yet in the ring (FIFO) */
	unsigned npending;
	bool run_left_pending;           /* the last run left requests
					    pending (no ring room, a FLUSH
					    waiting): no plug holds them
					    back any more */
	struct blk_bio_list waiting;     /* bios with no free request yet */
	bool plugged;
	bool shutting_down;              /* vblk_shutdown has begun: no new
					    bios (vblk_submit) */
	bool completing;                 /* running callbacks: don't dispatch */
	struct blk_finishing *finishing; /* bios of completed requests whose
					    callbacks have yet to run, on the
					    stacks of finish_bios (innermost) */
	unsigned in_callbacks;           /* bio callbacks running (nested) */
	bool use_irq;
	bool irq_quiet;                  /* a wait polls: device interrupts off */
	bool irq_unheard;                /* a sleep ended with the used-buffer bit
					    up and no handler run (blk/wait.c) */
	uint64_t irq_unheard_handled;    /* stats.interrupts at that moment */
	struct blk_wait_learn learn;     /* spin or sleep (blk/spin_or_sleep.c) */
	uint32_t timeout_us;
	struct vblk_stats stats;
};

/* blk/merge.c: which bio joins which request. */
bool blk_try_merge(struct blk_queue *q, struct blk_req *req, struct vblk_bio *bio);

/* blk/queue.c. Those returning int report a device that broke the
 * protocol with -VBLK_EBROKEN (the ring is then marked broken, and the
 * caller stops the disk: blk_disk_stop_if_broken). */
VBLK_COLD void blk_queue_init(struct blk_queue *q);
int blk_queue_bio(struct blk_queue *q, struct vblk_bio *bio);
int blk_queue_run(struct blk_queue *q);
int blk_queue_complete(struct blk_queue *q);
VBLK_COLD void blk_queue_fail_all(struct blk_queue *q, int reason, int in_flight_reason);
VBLK_COLD bool blk_queue_holds(const struct blk_queue *q, const struct vblk_bio *bio);
/* Is `bio` still to be told its request's result by a loop outside the
 * running callback (one of the `finishing` levels)? */
bool blk_queue_finishing(const struct blk_queue *q, const struct vblk_bio *bio);
bool blk_queue_empty(const struct blk_queue *q);

#endif
