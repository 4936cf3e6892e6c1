/* SPDX-License-Identifier: MIT */
/*
 * Finding completions: polling, waiting, and the interrupt handler.
 *
 * Polled mode (the default, and what early boot or firmware without an
 * interrupt controller uses): the device is asked not to interrupt
 * (VRING_AVAIL_F_NO_INTERRUPT / used_event, virtio 1.2 §2.7.7) and the
 * waits read the used ring in a loop.
 *
 * Interrupt mode (vblk_use_interrupts): the device interrupts when it puts
 * buffers in the used ring; vblk_irq_handler harvests them and runs the
 * callbacks. A wait either spins on the used ring for a while first (with
 * the device asked not to interrupt meanwhile: the completion it finds
 * would cost an interrupt on top) or sleeps in plat_idle() at once, as the
 * disk has learned is faster on this host (wait_until says how; docs/
 * design.md, "How a wait waits"). The waits also look at the used ring
 * before each sleep and at least every VBLK_IRQ_RECHECK_US, so a lost or
 * unrouted interrupt costs a little latency, never a hang.
 *
 * Either way a wait ends: when its bios complete, or when the device has
 * made no progress for the disk's timeout, which resets it and completes
 * every queued bio with -VBLK_ETIMEDOUT.
 */
#include "blk/disk.h"

static bool needs_reset(struct vblk_disk *disk)
{
	return blk_dev_needs_reset(&disk->dev);
}

/*
 * While requests are in flight: give up on a device that has made no
 * progress for the disk's timeout, or that says it needs a reset (§2.1.2);
 * short of that, notify it again every VBLK_RENOTIFY_US without progress
 * (blk_dev_renotify says why).
 * A modern device announces the latter with a configuration interrupt,
 * which a polled wait never takes: so Status is read every
 * VBLK_STATUS_CHECK_US (QEMU gives up on a request whose buffer lies
 * outside guest RAM this way, and the wait then ends in about a
 * millisecond instead of the whole timeout).
 */
static int check_device(struct vblk_disk *disk, uint64_t now_us)
{
	if (now_us - disk->dev.progress_us > disk->queue.timeout_us) {
		blk_disk_break(disk, -VBLK_ETIMEDOUT, "request timed out");
		return -VBLK_ETIMEDOUT;
	}
	if (now_us - disk->dev.progress_us >= VBLK_RENOTIFY_US &&
	    now_us - disk->dev.renotified_us >= VBLK_RENOTIFY_US) {
		disk->dev.renotified_us = now_us;
		blk_dev_renotify(&disk->dev);
	}
	if (now_us - disk->dev.status_checked_us >= VBLK_STATUS_CHECK_US) {
		disk->dev.status_checked_us = now_us;
		if (needs_reset(disk)) {
			blk_disk_break(disk, -VBLK_EBROKEN, "device needs reset");
			return -VBLK_EBROKEN;
		}
	}
	return 0;
}

/* Harvest, then look after the device (check_device). Called with IRQs
 * masked. */
static int poll_locked(struct vblk_disk *disk)
{
	int completed = blk_disk_broken_by_queue(disk, blk_queue_complete(&disk->queue));
	if (completed >= 0 && blk_dev_in_flight(&disk->dev) > 0) {
		int err = check_device(disk, plat_time_us());
		if (err)
			return err;
	}
	return completed;
}

/* The configuration-change bit of InterruptStatus. §2.1.2: a device that
 * needs a reset says so in its status and sends this interrupt; otherwise
 * the configuration changed (§2.5.2, e.g. a resize). */
static void config_interrupt(struct vblk_disk *disk)
{
	if (needs_reset(disk))
		blk_disk_break(disk, -VBLK_EBROKEN, "device needs reset");
	else
		blk_config_changed(disk);
}

/* Read and acknowledge the device's interrupt status (blk/device.c says
 * how bits virtio does not define are handled); a bit that will not clear
 * stops the disk, whose reset clears it. Returns the bits virtio defines. */
static uint32_t take_interrupt_status(struct vblk_disk *disk)
{
	uint32_t bits;

	if (blk_dev_take_interrupt(&disk->dev, &bits) < 0)
		blk_disk_break(disk, -VBLK_EBROKEN, "interrupt bits that cannot be acknowledged");
	return bits;
}

/* Polled mode has no interrupt to announce a configuration change, so an
 * explicit vblk_poll looks at InterruptStatus: one register read, which
 * the waits' inner loops do not pay. A used-buffer bit found here is
 * acknowledged too; the harvest that follows finds its buffers. */
static void poll_config_change(struct vblk_disk *disk)
{
	if (take_interrupt_status(disk) & VIRTIO_INT_CONFIG_CHANGE && disk->dev.ready)
		config_interrupt(disk);
}

int vblk_poll(struct vblk_disk *disk)
{
	int err = blk_check_disk(disk);
	if (err)
		return err;
	plat_irqflags_t flags = plat_irq_save();
	if (!disk->queue.use_irq)
		poll_config_change(disk);
	int completed = disk->dev.ready ? poll_locked(disk) : -VBLK_EBROKEN;
	plat_irq_restore(flags);
	return completed;
}

struct bio_set {
	struct vblk_bio *const *bios;
	unsigned count;
};

static bool bios_completed(struct vblk_disk *disk, const void *ctx)
{
	const struct bio_set *set = ctx;
	(void)disk;
	for (unsigned i = 0; i < set->count; i++) {
		if (!*(const volatile bool *)&set->bios[i]->completed)
			return false;
	}
	return true;
}

static bool queue_empty(struct vblk_disk *disk, const void *ctx)
{
	(void)ctx;
	return blk_queue_empty(&disk->queue);
}

/* Sleep until an interrupt, but no later than the next look at the ring
 * (VBLK_IRQ_RECHECK_US) or the moment the disk would be overdue. */
static uint64_t sleep_deadline(const struct vblk_disk *disk, uint64_t now_us)
{
	uint64_t overdue_us = disk->dev.progress_us + disk->queue.timeout_us + 1;
	uint64_t recheck_us = now_us + VBLK_IRQ_RECHECK_US;

	return recheck_us < overdue_us ? recheck_us : overdue_us;
}

/*
 * Sleep until an interrupt, or at most until sleep_deadline(), and notice
 * when the device's interrupts go nowhere: vblk_irq_handler not registered
 * for the disk's INTID, or routed elsewhere. Nothing is lost then (the
 * waits look at the ring themselves), but every wait costs up to
 * VBLK_IRQ_RECHECK_US, so it is counted where vblk_stats shows it.
 * Called, like plat_idle, with IRQs masked; `flags` are the wait's saved
 * ones, `now_us` the time it read just before (one counter read less: under
 * TCG each takes QEMU's global lock).
 */
static void sleep_for_interrupt(struct vblk_disk *disk, plat_irqflags_t *flags, uint64_t now_us)
{
	uint64_t handled = disk->queue.stats.interrupts;
	uint64_t deadline_us = sleep_deadline(disk, now_us);

	plat_idle(deadline_us);
	if (disk->queue.stats.interrupts != handled || plat_time_us() < deadline_us || !disk->dev.ready)
		return;
	/* The sleep ran to its deadline and no handler ran: is the device's
	 * used-buffer bit up? The register is read only here, so a working
	 * handler costs nothing. */
	if (!blk_dev_used_bit_up(&disk->dev)) {
		disk->queue.irq_unheard = false;
		return;
	}
	/* It is, so the interrupt was raised. If the host stalled this CPU
	 * past the deadline, plat_idle returned without opening the mask and
	 * the interrupt is pending behind it: let it in, as the polling loop
	 * does. */
	plat_irq_restore(*flags);
	plat_cpu_relax();
	*flags = plat_irq_save();
	if (disk->queue.stats.interrupts != handled || !disk->dev.ready) {
		disk->queue.irq_unheard = false;
		return;
	}
	/* Still unheard. Only a second such sleep with no handler run in
	 * between counts (an interrupt controller may deliver late), and
	 * then the bit is acknowledged, or an edge-triggered input never
	 * sees another rising edge (QEMU keeps the line high while a bit is
	 * set). */
	if (disk->queue.irq_unheard && disk->queue.irq_unheard_handled == handled) {
		blk_dev_ack_used_bit(&disk->dev);
		disk->queue.stats.missed_interrupts++;
		disk->queue.irq_unheard = false;
	} else {
		disk->queue.irq_unheard = true;
		disk->queue.irq_unheard_handled = handled;
	}
}

/*
 * A wait that polls in interrupt mode asks the device not to interrupt
 * meanwhile (irq_quiet): the completion it is about to find would cost an
 * interrupt on top, and on QEMU that is an exception and four register
 * exits. The interrupt handler and the harvest leave the device quiet
 * while it is so.
 */
static void quiet_interrupts(struct vblk_disk *disk)
{
	if (!disk->queue.irq_quiet) {
		disk->queue.irq_quiet = true;
		blk_dev_irq_off(&disk->dev);
	}
}

/* Before a sleep, and when the wait ends: ask for interrupts again. A
 * completion that landed while they were off raises none of its own, so
 * if there is one, harvest it now. Returns whether there was. */
static bool end_quiet(struct vblk_disk *disk)
{
	if (!disk->queue.irq_quiet)
		return false;
	disk->queue.irq_quiet = false;
	if (!disk->dev.ready || !blk_dev_irq_on(&disk->dev))
		return false;
	poll_locked(disk);
	return true;
}

/* A wait sends what a plug holds back: the thread's own plug, and one a
 * callback took while the wait ran (nobody else would ever unplug it,
 * and with nothing in flight no timeout would end the wait). */
static void dispatch_plugged(struct vblk_disk *disk)
{
	if (disk->queue.plugged) {
		disk->queue.plugged = false;
		blk_disk_broken_by_queue(disk, blk_queue_run(&disk->queue));
	}
}

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
enum wait_way { WAY_SPIN, WAY_SLEEP };

struct stretch {
	uint64_t start_us;        /* dev.progress_us when it began */
	uint64_t completions;     /* dev.counts.completions then */
	uint64_t budget_us;       /* spin this long, then sleep (interrupts) */
	uint64_t now_us;          /* the last clock read */
	unsigned looks;           /* at the ring since that read */
	enum wait_way way;
};

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
static enum wait_way choose_way(struct blk_queue *q)
{
	struct blk_wait_learn *learn = &q->learn;

	if (!q->use_irq)
		return WAY_SPIN;
	if (min_spin_us == 0)
		return WAY_SLEEP;
	learn->stretches++;
	if (learn->spin_us == 0)
		return WAY_SPIN;
	if (learn->sleep_us == 0)
		return learn->stretches >= BLK_WAIT_FIRST_SLEEP ? WAY_SLEEP : WAY_SPIN;
	bool explore = learn->stretches % explore_every(learn) == 0;
	return learn->prefer_sleep != explore ? WAY_SLEEP : WAY_SPIN;
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

static void begin_stretch(struct vblk_disk *disk, struct stretch *st)
{
	st->start_us = disk->dev.progress_us;
	st->now_us = st->start_us;
	st->completions = disk->dev.counts.completions;
	st->looks = 0;
	st->way = choose_way(&disk->queue);
	st->budget_us = spin_budget_us(&disk->queue.learn);
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

/* A stretch ended with a completion: learn from how long it took. The
 * preference changes only when the other way is faster by a sixteenth,
 * so two equal ways do not flip back and forth. */
static void end_stretch(struct vblk_disk *disk, const struct stretch *st)
{
	struct blk_wait_learn *learn = &disk->queue.learn;

	if (!disk->queue.use_irq || min_spin_us == 0)
		return;
	uint64_t latency_us = disk->dev.progress_us - st->start_us;
	bool sleeping = st->way == WAY_SLEEP;
	average_in(sleeping ? &learn->sleep_us : &learn->spin_us, latency_us,
		   sleeping == learn->prefer_sleep ? 3u : 2u);
	if (learn->spin_us == 0 || learn->sleep_us == 0)
		return;
	if (learn->prefer_sleep)
		learn->prefer_sleep = !(learn->spin_us < learn->sleep_us - learn->sleep_us / 16u);
	else
		learn->prefer_sleep = learn->sleep_us < learn->spin_us - learn->spin_us / 16u;
}

/* Harvested something since the stretch began? Then it ended: learn, and
 * begin the next one from that completion. */
static void note_progress(struct vblk_disk *disk, struct stretch *st)
{
	if (disk->dev.counts.completions != st->completions) {
		end_stretch(disk, st);
		begin_stretch(disk, st);
	}
}

/* Every VBLK_WAIT_LOOKS_PER_CLOCK looks while spinning, and before each
 * sleep: read the clock and look after the device (check_device). */
static int look_at_clock(struct vblk_disk *disk, struct stretch *st)
{
	if (st->way == WAY_SPIN && ++st->looks < VBLK_WAIT_LOOKS_PER_CLOCK)
		return 0;
	st->looks = 0;
	st->now_us = plat_time_us();
	if (!disk->dev.ready || blk_dev_in_flight(&disk->dev) == 0)
		return 0;
	return check_device(disk, st->now_us);
}

/* In interrupt mode: does this stretch sleep now? */
static bool time_to_sleep(const struct vblk_disk *disk, const struct stretch *st)
{
	return disk->queue.use_irq &&
	       (st->way == WAY_SLEEP || st->now_us - st->start_us >= st->budget_us);
}

/* One look's worth of spinning. In interrupt mode the device is asked not
 * to interrupt meanwhile (quiet_interrupts); IRQs are let in for the
 * instant of the relax, as everywhere else. */
static void spin_once(struct vblk_disk *disk, plat_irqflags_t *flags)
{
	if (disk->queue.use_irq)
		quiet_interrupts(disk);
	plat_irq_restore(*flags);
	plat_cpu_relax();
	*flags = plat_irq_save();
}

/*
 * Wait until `done` holds. Each time round: dispatch what a plug holds
 * back, harvest, and spin or sleep as the stretch says; the timeout, the
 * re-notification and the status check run at each clock read
 * (look_at_clock). Switching from spinning to sleeping asks for
 * interrupts again first (end_quiet), and a completion that landed while
 * they were off is harvested then instead of slept on; one that lands
 * after that raises an interrupt, which stays pending while IRQs are
 * masked and ends the sleep (plat_idle). Returns 0, or -VBLK_EINVAL if the
 * queue is empty and `done` still does not hold (the caller waits for a
 * bio that was never submitted: waiting would be forever).
 */
static int wait_until(struct vblk_disk *disk, bool (*done)(struct vblk_disk *, const void *),
		      const void *ctx)
{
	plat_irqflags_t flags = plat_irq_save();
	struct stretch st;
	int err = 0;

	dispatch_plugged(disk);
	begin_stretch(disk, &st);
	while (!done(disk, ctx)) {
		if (disk->dev.ready)
			blk_disk_broken_by_queue(disk, blk_queue_complete(&disk->queue));
		note_progress(disk, &st);
		/* A callback that just ran may have plugged and submitted. */
		dispatch_plugged(disk);
		if (done(disk, ctx))
			break;
		if (blk_queue_empty(&disk->queue)) {
			err = -VBLK_EINVAL;
			break;
		}
		if (look_at_clock(disk, &st) != 0)
			continue;   /* the disk stopped: its bios are completed */
		if (!time_to_sleep(disk, &st))
			spin_once(disk, &flags);
		else if (!end_quiet(disk))
			sleep_for_interrupt(disk, &flags, st.now_us);
	}
	note_progress(disk, &st);
	end_quiet(disk);
	plat_irq_restore(flags);
	return err;
}

int vblk_wait_bios(struct vblk_disk *disk, struct vblk_bio *const *bios, unsigned count)
{
	if (disk == NULL || (bios == NULL && count > 0))
		return -VBLK_EINVAL;
	for (unsigned i = 0; i < count; i++) {
		if (bios[i] == NULL)
			return -VBLK_EINVAL;
	}
	struct bio_set set = { bios, count };
	int err = wait_until(disk, bios_completed, &set);
	for (unsigned i = 0; i < count && !err; i++)
		err = bios[i]->status;
	return err;
}

int vblk_drain(struct vblk_disk *disk)
{
	if (disk == NULL)
		return -VBLK_EINVAL;
	return wait_until(disk, queue_empty, NULL);
}

/*
 * The device's interrupt (virtio 1.2 §4.2.3.4): read InterruptStatus,
 * acknowledge exactly those bits, then act on them. QEMU holds the line
 * level-high while any status bit is set, so a bit that lands between the
 * read and the ack keeps the line up and brings us back here; and since
 * the ring is harvested after the ack, a completion the device posts
 * meanwhile is seen either now or on that next entry, never lost.
 */
void vblk_irq_handler(void *arg)
{
	struct vblk_disk *disk = arg;
	if (disk == NULL)
		return;

	plat_irqflags_t flags = plat_irq_save();
	uint32_t status = take_interrupt_status(disk);
	BLK_TRACE_INTERRUPT(status);
	disk->queue.stats.interrupts++;

	if (disk->dev.ready && (status & VIRTIO_INT_CONFIG_CHANGE))
		config_interrupt(disk);
	if (disk->dev.ready && (status & VIRTIO_INT_USED_BUFFER))
		blk_disk_broken_by_queue(disk, blk_queue_complete(&disk->queue));
	plat_irq_restore(flags);
}

/*
 * Switching to interrupts: while polled, the device may still have raised
 * its interrupt (with EVENT_IDX nothing stops the first one after a
 * used_event it saw long ago), and nobody acknowledged it. QEMU keeps the
 * line high while InterruptStatus is non-zero, so an edge-triggered GIC
 * input would never see a new rising edge. Acknowledge what is stale
 * first, then ask for interrupts, then harvest what arrived in between.
 */
static void start_interrupts(struct vblk_disk *disk)
{
	if (take_interrupt_status(disk) & VIRTIO_INT_CONFIG_CHANGE && disk->dev.ready)
		config_interrupt(disk);
	if (!disk->dev.ready)
		return;
	disk->queue.use_irq = true;
	disk->queue.irq_unheard = false;
	if (blk_dev_irq_on(&disk->dev))
		blk_disk_broken_by_queue(disk, blk_queue_complete(&disk->queue));
}

int vblk_use_interrupts(struct vblk_disk *disk, bool on)
{
	int err = blk_check_disk(disk);
	if (err)
		return err;
	plat_irqflags_t flags = plat_irq_save();
	if (on) {
		start_interrupts(disk);
	} else {
		disk->queue.use_irq = false;
		blk_dev_irq_off(&disk->dev);
	}
	err = blk_check_disk(disk);   /* a stale fault found on the way */
	plat_irq_restore(flags);
	return err;
}
