/* SPDX-License-Identifier: MIT */
/*
 * How a wait waits (blk/wait.c, blk/spin_or_sleep.c; docs/design.md, "How
 * a wait waits"): what a disk's waits have learned about spinning on the
 * used ring against sleeping until the device's interrupt, the knobs of
 * that choice, and the stretch of a wait it is made for. What was learned
 * is kept in struct blk_queue; a reset of the device keeps it (it
 * describes the host the guest runs on, not the device's state).
 */
#ifndef VBLK_BLK_WAIT_H
#define VBLK_BLK_WAIT_H

#include <stdbool.h>
#include <stdint.h>

/* A spinning wait looks at the used ring this many times between two
 * reads of the clock. Under QEMU's TCG a counter read takes QEMU's global
 * lock, which the thread completing the request needs too; a look at the
 * ring is a plain memory read. The timeout, re-notification and status
 * checks run at each clock read, so they are late by at most this many
 * looks (microseconds). */
#ifndef VBLK_WAIT_LOOKS_PER_CLOCK
#define VBLK_WAIT_LOOKS_PER_CLOCK 8u
#endif

/* In interrupt mode a wait that spins first gives up spinning after twice
 * the completion latency it has learned, at least VBLK_IRQ_POLL_US and at
 * most this long, and sleeps. */
#ifndef VBLK_WAIT_SPIN_MAX_US
#define VBLK_WAIT_SPIN_MAX_US 1000u
#endif

/* One stretch in this many tries the way the disk does not prefer, so a
 * change in the host's load is noticed; half as often for each doubling
 * of how much slower that way has been, down to one in
 * VBLK_WAIT_EXPLORE_MAX (powers of 2). */
#ifndef VBLK_WAIT_EXPLORE_EVERY
#define VBLK_WAIT_EXPLORE_EVERY 32u
#endif
#ifndef VBLK_WAIT_EXPLORE_MAX
#define VBLK_WAIT_EXPLORE_MAX 512u
#endif

/* The first waits spin; the first try of sleeping comes at this wait. */
#define BLK_WAIT_FIRST_SLEEP 4u

/*
 * Interrupt mode only (polled, there is nothing to sleep on). Latencies
 * are from the start of a stretch of waiting (the last completion, or the
 * dispatch into an idle ring: dev.progress_us) to the completion that
 * ended it, in microseconds; 0 means no sample yet.
 */
struct blk_wait_learn {
	uint32_t spin_us;       /* moving average, stretches that spun first */
	uint32_t sleep_us;      /* moving average, stretches that slept at once */
	uint32_t stretches;     /* counted, for the turns of exploring */
	bool prefer_sleep;      /* the way the averages say is faster */
};

/* A wait is a series of stretches, each from one piece of progress to
 * the next (blk/spin_or_sleep.c says more). The wait loop (blk/wait.c)
 * keeps the one it is in on its stack. */
enum blk_wait_way { BLK_WAIT_SPIN, BLK_WAIT_SLEEP };

struct blk_wait_stretch {
	uint64_t start_us;        /* dev.progress_us when it began */
	uint64_t completions;     /* dev.counts.completions then */
	uint64_t budget_us;       /* spin this long, then sleep (interrupts) */
	uint64_t now_us;          /* the last clock read */
	unsigned looks;           /* at the ring since that read */
	enum blk_wait_way way;
	bool begun;               /* false once a completion ended it: the
				     next begins when the wait spins or
				     sleeps on (blk_wait_go_on) */
};

#endif
