/* SPDX-License-Identifier: MIT */
/*
 * Spin or sleep: for each stretch of a wait, whether to spin on the used
 * ring or sleep until the device's interrupt, and what the disk learns
 * from each stretch about which way is faster on this host (the state is
 * struct blk_wait_learn, blk/wait.h; docs/design.md, "How a wait waits").
 *
 * Apart from the wait loop (blk/wait.c) because it is a policy with its
 * own arithmetic (moving averages, the spin budget, the turns of trying
 * the other way), and the loop needs none of it: it begins a stretch,
 * notes progress, and asks whether to sleep now; it spins, sleeps and
 * looks after the device itself.
 */
#include "blk/disk.h"

/*
 * How a wait waits (docs/design.md has the whole argument). A wait is a
 * series of stretches, each from one piece of progress (a completion, or
 * the dispatch into an idle ring: dev.progress_us) to the next. A stretch
 * either spins first (looks at the used ring, reading the clock only every
 * VBLK_WAIT_LOOKS_PER_CLOCK looks) or sleeps at once (interrupts on, wfi).
 * Polled, every stretch spins: there is nothing to sleep on. With
 * interrupts, the disk learns which way ends its stretches sooner on this
 * host (struct blk_wait_learn): on an idle host spinning wins by the cost
 * of a wake-up; on a host whose CPUs are all busy a spinning vCPU takes
 * the CPU the device's thread needs, and sleeping wins by up to 2x. A
 * spinning stretch gives up after a budget learned from its latencies and
 * sleeps, so a slow device is not spun on for long.
 */

/* A variable, not the macro: with VBLK_IRQ_POLL_US 0 (always sleep) a
 * comparison with the macro is always false, which -Wtype-limits refuses. */
static const uint64_t min_spin_us = VBLK_IRQ_POLL_US;

/* How often the way not preferred is tried: every VBLK_WAIT_EXPLORE_EVERY
 * stretches, and half as often for each doubling of how much slower it
 * has been (up to VBLK_WAIT_EXPLORE_MAX), so a try costs at most about
 * 1/16 of a stretch on average however bad that way is (a spinning vCPU
 * on a crowded host took five times as long as a sleeping one). */
static uint32_t explore_every(const struct blk_wait_learn *learn)
{
	uint64_t fast_us = learn->prefer_sleep ? learn->sleep_us : learn->spin_us;
	uint64_t slow_us = learn->prefer_sleep ? learn->spin_us : learn->sleep_us;
	uint32_t every = VBLK_WAIT_EXPLORE_EVERY;

	while (every < VBLK_WAIT_EXPLORE_MAX && slow_us >= 2u * fast_us) {
		every *= 2u;
		fast_us *= 2u;
	}
	return every;
}

/* Which way the next stretch goes: spin while nothing is known, try
 * sleeping once early on, then the faster way by the averages, and the
 * other one now and then (explore_every) to keep its average current. */
static enum blk_wait_way choose_way(struct blk_queue *q)
{
	struct blk_wait_learn *learn = &q->learn;

	if (!q->use_irq)
		return BLK_WAIT_SPIN;
	if (min_spin_us == 0)
		return BLK_WAIT_SLEEP;
	learn->stretches++;
	if (learn->spin_us == 0)
		return BLK_WAIT_SPIN;
	if (learn->sleep_us == 0)
		return learn->stretches >= BLK_WAIT_FIRST_SLEEP ? BLK_WAIT_SLEEP : BLK_WAIT_SPIN;
	/* explore_every() is a multiple of VBLK_WAIT_EXPLORE_EVERY: only
	 * every such stretch needs it worked out. */
	bool explore = learn->stretches % VBLK_WAIT_EXPLORE_EVERY == 0 &&
		       learn->stretches % explore_every(learn) == 0;
	return learn->prefer_sleep != explore ? BLK_WAIT_SLEEP : BLK_WAIT_SPIN;
}

/* Twice the spinning stretches' average latency, within
 * [VBLK_IRQ_POLL_US, VBLK_WAIT_SPIN_MAX_US]. */
static uint64_t spin_budget_us(const struct blk_wait_learn *learn)
{
	uint64_t budget_us = 2u * (uint64_t)learn->spin_us;

	if (budget_us < min_spin_us)
		budget_us = min_spin_us;
	return budget_us < VBLK_WAIT_SPIN_MAX_US ? budget_us : VBLK_WAIT_SPIN_MAX_US;
}

void blk_wait_begin_stretch(struct vblk_disk *disk, struct blk_wait_stretch *st)
{
	st->start_us = disk->dev.progress_us;
	st->now_us = st->start_us;
	st->completions = disk->dev.counts.completions;
	st->looks = 0;
	st->way = choose_way(&disk->queue);
	st->budget_us = spin_budget_us(&disk->queue.learn);
	st->begun = true;
}

/* Move `avg` a step towards `sample_us`: an eighth for the way in use, a
 * quarter for the one tried now and then (fewer samples). One stall of the
 * host moves it at most as far as four times the average would. */
static void average_in(uint32_t *avg, uint64_t sample_us, unsigned shift)
{
	if (sample_us == 0)
		sample_us = 1;
	if (sample_us > UINT32_MAX / 8u)
		sample_us = UINT32_MAX / 8u;
	if (*avg == 0) {
		*avg = (uint32_t)sample_us;
		return;
	}
	if (sample_us > 4u * (uint64_t)*avg)
		sample_us = 4u * (uint64_t)*avg;
	int64_t step = ((int64_t)sample_us - (int64_t)*avg) / (int64_t)(1u << shift);
	if (step == 0)
		step = sample_us > *avg ? 1 : (sample_us < *avg ? -1 : 0);
	*avg = (uint32_t)((int64_t)*avg + step);
}

/*
 * A stretch ended with completions: learn from how long each took. Per
 * completion, not per stretch: with many requests in flight a sleep wakes
 * to a handful of them at once (the device's thread ran undisturbed
 * meanwhile), a spin takes them one or two at a time, and what the wait
 * wants is the way that completes more requests in the same time (at
 * depth 32 the minimal guest completes a tenth more sleeping than
 * spinning, and the per-stretch measure always chose spinning). At depth
 * 1 the two measures are the same. The
 * preference changes only when the other way is faster by a sixteenth,
 * so two equal ways do not flip back and forth.
 */
static void end_stretch(struct vblk_disk *disk, const struct blk_wait_stretch *st)
{
	struct blk_wait_learn *learn = &disk->queue.learn;

	if (!disk->queue.use_irq || min_spin_us == 0)
		return;
	uint64_t completions = disk->dev.counts.completions - st->completions;
	uint64_t per_completion_us = (disk->dev.progress_us - st->start_us) / completions;
	bool sleeping = st->way == BLK_WAIT_SLEEP;
	average_in(sleeping ? &learn->sleep_us : &learn->spin_us, per_completion_us,
		   sleeping == learn->prefer_sleep ? 3u : 2u);
	if (learn->spin_us == 0 || learn->sleep_us == 0)
		return;
	if (learn->prefer_sleep)
		learn->prefer_sleep = !(learn->spin_us < learn->sleep_us - learn->sleep_us / 16u);
	else
		learn->prefer_sleep = learn->sleep_us < learn->spin_us - learn->spin_us / 16u;
}

/* Harvested something since the stretch began? Then it ended: learn. The
 * next one begins only if the wait goes on (blk_wait_go_on): a wait that
 * ends with this completion begins none, which counted a stretch that
 * never ran for every wait (and so tried the other way twice as often as
 * VBLK_WAIT_EXPLORE_EVERY says). */
void blk_wait_note_progress(struct vblk_disk *disk, struct blk_wait_stretch *st)
{
	if (st->begun && disk->dev.counts.completions != st->completions) {
		end_stretch(disk, st);
		st->begun = false;
	}
}

/* The wait spins or sleeps on: in a stretch begun at the last progress. */
void blk_wait_go_on(struct vblk_disk *disk, struct blk_wait_stretch *st)
{
	if (!st->begun)
		blk_wait_begin_stretch(disk, st);
}

/* In interrupt mode: does this stretch sleep now? */
bool blk_wait_time_to_sleep(const struct vblk_disk *disk, const struct blk_wait_stretch *st)
{
	return disk->queue.use_irq &&
	       (st->way == BLK_WAIT_SLEEP || st->now_us - st->start_us >= st->budget_us);
}
