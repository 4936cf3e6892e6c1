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
 * callbacks, and the waits sleep in plat_idle() between interrupts. For
 * VBLK_IRQ_POLL_US after each completion or dispatch into an idle ring a
 * wait polls instead (a fast device is found sooner by looking than by
 * being woken: 4 KiB reads at depth 1 went from ~60 to ~50 us), and asks
 * the device not to interrupt meanwhile (the completion it finds would
 * cost an interrupt on top: 1 per request before, 0 after). The waits
 * also look at the used ring before each sleep and at least every
 * VBLK_IRQ_RECHECK_US, so a lost or unrouted interrupt costs a little
 * latency, never a hang.
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
static int check_device(struct vblk_disk *disk)
{
	uint64_t now_us = plat_time_us();

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
		int err = check_device(disk);
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

/* Interrupt mode polls too, for a while after the last progress (a
 * completion, or a dispatch into an idle ring): a completion that comes
 * within VBLK_IRQ_POLL_US is found without the cost of sleeping and
 * being woken. Beyond that the wait sleeps. */
static bool worth_polling(const struct vblk_disk *disk)
{
	/* A variable, not the macro: with VBLK_IRQ_POLL_US 0 (always sleep)
	 * the comparison is always false, which -Wtype-limits refuses. */
	const uint64_t poll_us = VBLK_IRQ_POLL_US;
	return plat_time_us() - disk->dev.progress_us < poll_us;
}

/* Sleep until an interrupt, but no later than the next look at the ring
 * (VBLK_IRQ_RECHECK_US) or the moment the disk would be overdue. */
static uint64_t sleep_deadline(const struct vblk_disk *disk)
{
	uint64_t overdue_us = disk->dev.progress_us + disk->queue.timeout_us + 1;
	uint64_t recheck_us = plat_time_us() + VBLK_IRQ_RECHECK_US;

	return recheck_us < overdue_us ? recheck_us : overdue_us;
}

/*
 * Sleep until an interrupt, or at most until sleep_deadline(), and notice
 * when the device's interrupts go nowhere: vblk_irq_handler not registered
 * for the disk's INTID, or routed elsewhere. Nothing is lost then (the
 * waits look at the ring themselves), but every wait costs up to
 * VBLK_IRQ_RECHECK_US, so it is counted where vblk_stats shows it.
 * Called, like plat_idle, with IRQs masked; `flags` are the wait's saved
 * ones.
 */
static void sleep_for_interrupt(struct vblk_disk *disk, plat_irqflags_t *flags)
{
	uint64_t handled = disk->queue.stats.interrupts, deadline_us = sleep_deadline(disk);

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
 * Wait until `done` holds. Before each sleep: dispatch what a plug holds
 * back, harvest, check the timeout. Returns 0, or -VBLK_EINVAL if the
 * queue is empty and `done` still does not hold (the caller waits for a
 * bio that was never submitted: waiting would be forever).
 */
static int wait_until(struct vblk_disk *disk, bool (*done)(struct vblk_disk *, const void *),
		      const void *ctx)
{
	plat_irqflags_t flags = plat_irq_save();
	int err = 0;

	dispatch_plugged(disk);
	while (!done(disk, ctx)) {
		if (disk->dev.ready)
			poll_locked(disk);
		/* A callback that just ran may have plugged and submitted. */
		dispatch_plugged(disk);
		if (done(disk, ctx))
			break;
		if (blk_queue_empty(&disk->queue)) {
			err = -VBLK_EINVAL;
			break;
		}
		if (disk->queue.use_irq && !worth_polling(disk)) {
			if (!end_quiet(disk))
				sleep_for_interrupt(disk, &flags);
		} else {
			if (disk->queue.use_irq)
				quiet_interrupts(disk);
			plat_irq_restore(flags);
			plat_cpu_relax();
			flags = plat_irq_save();
		}
	}
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
