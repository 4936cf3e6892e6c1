/* SPDX-License-Identifier: MIT */
/*
 * Finding completions: polling (vblk_poll) and waiting (vblk_wait_bios,
 * vblk_drain). The interrupt handler and the switch between the modes are
 * blk/interrupt.c; whether a stretch of a wait spins or sleeps, and what
 * the disk learns from it, is blk/spin_or_sleep.c.
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
 * disk has learned is faster on this host (wait_until says how,
 * blk/spin_or_sleep.c decides; docs/design.md, "How a wait waits"). The waits also look at the used ring
 * before each sleep and at least every VBLK_IRQ_RECHECK_US, so a lost or
 * unrouted interrupt costs a little latency, never a hang.
 *
 * Either way a wait ends: when its bios complete, or when a request is
 * overdue (check_device), which resets the device and completes every
 * queued bio with -VBLK_ETIMEDOUT.
 */
#include "blk/disk.h"

static bool needs_reset(struct vblk_disk *disk)
{
	return blk_dev_needs_reset(&disk->dev);
}

/*
 * A machine the host stops as a whole. A host that deschedules the vCPU
 * alone leaves the device running: what it finished meanwhile is in the
 * used ring, and time_out looks there first. But a host that stops the
 * whole machine (the QEMU process stopped or frozen, or starved) stops
 * the device's threads with the vCPU while the counter runs on (QEMU's
 * own `stop` stops the counter too): a request is overdue by the clock
 * the moment the machine runs again, before the device has had an
 * instant to finish it. So a wait gives up on a request only once it has
 * itself watched the device for a grace (a quarter of the timeout, at
 * most WAIT_GRACE_US): since its first clock read, and again since any
 * stall it saw, two of its clock reads more than WAIT_STALL_US apart (it
 * reads the clock at least every VBLK_IRQ_RECHECK_US while it sleeps,
 * far more often while it spins). A platform whose plat_idle oversleeps
 * looks like one stall after another: a wait counts stalls only until
 * they add up to the timeout, so it still ends, within about twice it.
 *
 * One watch for all disks: a wait runs on the one CPU, and one that
 * nests (a callback that waits, which vblk/bio.h forbids) keeps the
 * outer one's.
 */
#define WAIT_STALL_US (VBLK_IRQ_RECHECK_US + 50000u)
#define WAIT_GRACE_US 100000u

static struct {
	unsigned depth;          /* waits under way (vblk_poll is not one) */
	bool looked;             /* the wait has read the clock */
	uint64_t looked_us;      /* its last read */
	uint64_t watched_us;     /* since when the wait has watched the device */
	uint64_t stalled_us;     /* the stalls it saw, added up */
} watch;

static void watch_begin(void)
{
	if (watch.depth++ == 0) {
		watch.looked = false;
		watch.stalled_us = 0;
	}
}

static void watch_end(void)
{
	watch.depth--;
}

/* A wait read the clock: its first read, or one long after the last (the
 * whole machine stood still), starts the grace. */
static void watch_clock(const struct vblk_disk *disk, uint64_t now_us)
{
	uint64_t last_us = watch.looked_us;

	if (watch.depth == 0)
		return;
	watch.looked_us = now_us;
	if (!watch.looked) {
		watch.looked = true;
		watch.watched_us = now_us;
	} else if (now_us - last_us > WAIT_STALL_US && watch.stalled_us < disk->queue.timeout_us) {
		watch.stalled_us += now_us - last_us;
		watch.watched_us = now_us;
	}
}

/* How much of the wait's grace is left at `now_us` (0 outside a wait:
 * vblk_poll has none, as the time between two of the caller's polls is
 * the caller's). Counted from the grace's start, as every other time the
 * waits keep: an end worked out as an absolute time and compared with the
 * clock goes wrong once the clock wraps in between. */
static uint64_t grace_left_us(const struct vblk_disk *disk, uint64_t now_us)
{
	uint32_t grace_us = disk->queue.timeout_us / 4u;

	if (grace_us > WAIT_GRACE_US)
		grace_us = WAIT_GRACE_US;
	if (watch.depth == 0 || !watch.looked)
		return 0;
	uint64_t watched_for_us = now_us - watch.watched_us;
	return watched_for_us < grace_us ? grace_us - watched_for_us : 0;
}

/* A request is overdue: stop the disk, which fails every queued bio with
 * -VBLK_ETIMEDOUT. Up by the clock; but a host may have descheduled this
 * CPU between the last harvest and the clock read while the device
 * finished. What the used ring holds is progress, and the caller's next
 * look harvests it. And a host that stopped the whole machine stopped the
 * device too: a wait watches it for a grace first (watch_clock). */
static int time_out(struct vblk_disk *disk, uint64_t now_us)
{
	if (blk_dev_has_used(&disk->dev) || grace_left_us(disk, now_us) != 0)
		return 0;
	blk_disk_break(disk, -VBLK_ETIMEDOUT, "request timed out");
	return -VBLK_ETIMEDOUT;
}

/*
 * While requests are in flight: give up on a request overdue, or on a
 * device that says it needs a reset (§2.1.2); short of that, notify it
 * again every VBLK_RENOTIFY_US without progress (blk_dev_renotify says
 * why).
 * The timeout is per request (vblk.h). No completion for that long covers
 * a device gone quiet. A device that keeps completing newer requests and
 * never an older one makes progress, so each request it passes over is
 * timed from the first look that finds it so (blk_dev_passed_over, every
 * VBLK_STATUS_CHECK_US of a wait or vblk_poll). Completing out of order
 * is allowed: only a request still passed over a timeout later is overdue.
 * A modern device announces the latter with a configuration interrupt,
 * which a polled wait never takes: so Status is read every
 * VBLK_STATUS_CHECK_US (QEMU gives up on a request whose buffer lies
 * outside guest RAM this way, and the wait then ends in about a
 * millisecond instead of the whole timeout).
 */
static int check_device(struct vblk_disk *disk, uint64_t now_us)
{
	watch_clock(disk, now_us);
	if (now_us - disk->dev.progress_us > disk->queue.timeout_us)
		return time_out(disk, now_us);
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
		if (blk_dev_passed_over(&disk->dev, now_us, disk->queue.timeout_us))
			return time_out(disk, now_us);
	}
	return 0;
}

/* Harvest, then look after the device (check_device). Called with IRQs
 * masked. */
static int poll_locked(struct vblk_disk *disk)
{
	int completed = blk_disk_stop_if_broken(disk, blk_queue_complete(&disk->queue));
	if (completed >= 0 && blk_dev_in_flight(&disk->dev) > 0) {
		int err = check_device(disk, plat_time_us());
		if (err)
			return err;
	}
	return completed;
}

int vblk_poll(struct vblk_disk *disk)
{
	int err = blk_check_disk(disk);
	if (err)
		return err;
	plat_irqflags_t flags = plat_irq_save();
	if (!disk->queue.use_irq)
		blk_poll_config_change(disk);
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

/* How long to sleep until an interrupt, at most: until the next look at
 * the ring (VBLK_IRQ_RECHECK_US) or the moment the disk would be overdue
 * (and the wait's grace over). Counted from `now_us`, so that the sum
 * wraps with the clock when it is made a deadline, and its comparisons
 * stay differences. */
static uint64_t sleep_for_us(const struct vblk_disk *disk, uint64_t now_us)
{
	uint64_t since_progress_us = now_us - disk->dev.progress_us;
	uint64_t overdue_in_us = since_progress_us <= disk->queue.timeout_us
					 ? (uint64_t)disk->queue.timeout_us + 1u - since_progress_us
					 : 0;
	uint64_t grace_in_us = grace_left_us(disk, now_us);

	if (overdue_in_us < grace_in_us)
		overdue_in_us = grace_in_us;
	return overdue_in_us < VBLK_IRQ_RECHECK_US ? overdue_in_us : VBLK_IRQ_RECHECK_US;
}

/*
 * Sleep until an interrupt, or at most for sleep_for_us(), and notice
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
	uint64_t sleep_us = sleep_for_us(disk, now_us);
	uint64_t deadline_us = now_us + sleep_us;

	/* The clock wraps before the deadline: plat_idle, which compares it
	 * with the clock, would take it for passed. Poll through the wrap
	 * (at most VBLK_IRQ_RECHECK_US), letting interrupts in to relax. */
	if (deadline_us < now_us) {
		plat_irq_restore(*flags);
		plat_cpu_relax();
		*flags = plat_irq_save();
		return;
	}
	plat_idle(deadline_us);
	if (disk->queue.stats.interrupts != handled || plat_time_us() - now_us < sleep_us ||
	    !disk->dev.ready)
		return;
	/* The sleep ran to its deadline and no handler ran. If the host
	 * stalled this CPU past the deadline, plat_idle returned without
	 * opening the mask and an interrupt may be pending behind it: let it
	 * in, as the polling loop does. Only then look at the device's
	 * used-buffer bit: on virtio-pci reading the ISR clears it and lowers
	 * INTx (§4.1.4.5), so a look first would withdraw the very interrupt
	 * that was pending and make it seem lost. The register is read only
	 * here, so a working handler costs nothing. */
	plat_irq_restore(*flags);
	plat_cpu_relax();
	*flags = plat_irq_save();
	uint32_t bits = 0;
	if (disk->queue.stats.interrupts == handled && disk->dev.ready)
		bits = blk_dev_read_and_ack_interrupt(&disk->dev);
	/* A resize (or a device that needs a reset) the look found: on
	 * virtio-pci the look took its interrupt away, so it is taken here. */
	if (bits & VIRTIO_INT_CONFIG_CHANGE)
		blk_take_config_change(disk);
	if (!(bits & VIRTIO_INT_USED_BUFFER) || !disk->dev.ready) {
		disk->queue.irq_unheard = false;
		return;
	}
	/* Still unheard. Only a second such sleep with no handler run in
	 * between counts (an interrupt controller may deliver late, or the
	 * device completed between the mask and the look), and then the
	 * bit is acknowledged, or an edge-triggered input never sees
	 * another rising edge (QEMU keeps the line high while a bit is
	 * set). On virtio-pci the look itself took the bit down
	 * (blk_dev_read_and_ack_interrupt), so the second look counts only
	 * a bit the device raised again, and a look between them that finds none
	 * forgets the first: a device slower than a sleep is not counted
	 * there, nor one whose completions race one look only. */
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
		blk_disk_stop_if_broken(disk, blk_queue_run(&disk->queue));
	}
}

/* Every VBLK_WAIT_LOOKS_PER_CLOCK looks while spinning, and before each
 * sleep: read the clock and look after the device (check_device). */
static int look_at_clock(struct vblk_disk *disk, struct blk_wait_stretch *st)
{
	if (st->way == BLK_WAIT_SPIN && ++st->looks < VBLK_WAIT_LOOKS_PER_CLOCK)
		return 0;
	st->looks = 0;
	st->now_us = plat_time_us();
	if (!disk->dev.ready || blk_dev_in_flight(&disk->dev) == 0)
		return 0;
	return check_device(disk, st->now_us);
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

/* Is a bio callback of this disk running while the disk is stopped? */
static bool in_a_stops_callback(const struct vblk_disk *disk)
{
	return !disk->dev.ready && disk->queue.in_callbacks > 0;
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
 * bio that was never submitted: waiting would be forever), or the disk's
 * error if it stopped with bios still held (a callback waits).
 */
static int wait_until(struct vblk_disk *disk, bool (*done)(struct vblk_disk *, const void *),
		      const void *ctx)
{
	/* A callback of a disk being stopped waits for what the stop has yet
	 * to tell: the disk's error at once (vblk/bio.h). The loop below
	 * would find the queue empty once the stop had taken the last
	 * request from the device, and answer as if nothing was submitted. */
	if (in_a_stops_callback(disk) && !done(disk, ctx))
		return blk_check_disk(disk);
	plat_irqflags_t flags = plat_irq_save();
	struct blk_wait_stretch st;
	int err = 0;

	watch_begin();
	dispatch_plugged(disk);
	blk_wait_begin_stretch(disk, &st);
	while (!done(disk, ctx)) {
		if (disk->dev.ready)
			blk_disk_stop_if_broken(disk, blk_queue_complete(&disk->queue));
		blk_wait_note_progress(disk, &st);
		/* A callback that just ran may have plugged and submitted. */
		dispatch_plugged(disk);
		if (done(disk, ctx))
			break;
		if (blk_queue_empty(&disk->queue)) {
			err = -VBLK_EINVAL;
			break;
		}
		/* Stopped with bios still held. A stop completes what the
		 * queue held before it returns, so only a wait inside one of
		 * the stop's callbacks could see this, and those are answered
		 * before the loop (in_a_stops_callback). Kept so that no other
		 * way here can wait for ever on a disk that will not move. */
		if (!disk->dev.ready) {
			err = blk_check_disk(disk);
			break;
		}
		blk_wait_go_on(disk, &st);
		if (look_at_clock(disk, &st) != 0)
			continue;   /* the disk stopped: its bios are completed */
		if (!blk_wait_time_to_sleep(disk, &st))
			spin_once(disk, &flags);
		else if (!end_quiet(disk))
			sleep_for_interrupt(disk, &flags, st.now_us);
	}
	blk_wait_note_progress(disk, &st);
	end_quiet(disk);
	watch_end();
	plat_irq_restore(flags);
	return err;
}

/* Is one of `bios` still to be told by a loop outside the running
 * callback (blk_queue_finishing)? */
static bool finishing_one_of(struct vblk_disk *disk, struct vblk_bio *const *bios, unsigned count)
{
	plat_irqflags_t flags = plat_irq_save();
	bool found = false;

	for (unsigned i = 0; i < count && !found; i++)
		found = !bios[i]->completed && blk_queue_finishing(&disk->queue, bios[i]);
	plat_irq_restore(flags);
	return found;
}

int vblk_wait_bios(struct vblk_disk *disk, struct vblk_bio *const *bios, unsigned count)
{
	if (disk == NULL || (bios == NULL && count > 0))
		return -VBLK_EINVAL;
	for (unsigned i = 0; i < count; i++) {
		if (bios[i] == NULL)
			return -VBLK_EINVAL;
	}
	/* Called from a callback, for a bio that a loop outside it tells
	 * only after it returns (its own request's, or one an enclosing
	 * harvest holds): no wait can see it complete. Say so at once,
	 * rather than wait until the whole queue has drained, or the disk
	 * times out on requests the device is slow with. Levels exist only
	 * while callbacks run, below us on this stack: an interrupt's handler
	 * leaves none behind, so a look without masking sees whether any do.
	 * A disk being stopped answers first, with its error, as bio.h
	 * orders the two (the wait below returns it at once). */
	if (disk->queue.finishing != NULL && disk->dev.ready && finishing_one_of(disk, bios, count))
		return -VBLK_ESTATE;
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
	/* Even in the stop's last callback, with nothing left in the queue:
	 * the stop is still under way (vblk/bio.h). */
	if (in_a_stops_callback(disk))
		return blk_check_disk(disk);
	return wait_until(disk, queue_empty, NULL);
}
