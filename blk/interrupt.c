/* SPDX-License-Identifier: MIT */
/*
 * The device's interrupt: the handler (vblk_irq_handler), switching a
 * disk between polled and interrupt mode (vblk_use_interrupts), and what
 * InterruptStatus says beyond used buffers: a configuration change, or a
 * device that needs a reset (virtio 1.2 §2.1.2, §4.2.3.4).
 *
 * Apart from the waits (blk/wait.c) because it runs in interrupt context
 * or switches modes, never waits. Two calls come from blk/wait.c:
 * vblk_poll, polled, asks it to look at InterruptStatus
 * (blk_poll_config_change), since then no interrupt announces a
 * configuration change; and a sleep whose own look at InterruptStatus
 * found the configuration bit hands it over (blk_take_config_change).
 */
#include "blk/disk.h"

/* The configuration-change bit of InterruptStatus. §2.1.2: a device that
 * needs a reset says so in its status and sends this interrupt; otherwise
 * the configuration changed (§2.3, e.g. a resize). */
VBLK_COLD static void config_interrupt(struct vblk_disk *disk)
{
	if (blk_dev_needs_reset(&disk->dev))
		blk_disk_break(disk, -VBLK_EBROKEN, "device needs reset");
	else
		blk_config_changed(disk);
}

/* Read and acknowledge the device's interrupt status (blk/device_ctl.c says
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
void blk_poll_config_change(struct vblk_disk *disk)
{
	if (take_interrupt_status(disk) & VIRTIO_INT_CONFIG_CHANGE && disk->dev.ready)
		config_interrupt(disk);
}

/* A configuration change a wait's look at InterruptStatus found and
 * acknowledged (blk_dev_read_and_ack_interrupt): no handler will see it. */
void blk_take_config_change(struct vblk_disk *disk)
{
	if (disk->dev.ready)
		config_interrupt(disk);
}

/*
 * One disk's interrupt (virtio 1.2 §4.2.3.4): read InterruptStatus,
 * acknowledge exactly those bits, then act on them. A completion the
 * device posts after the read is never lost: its bit was set already or
 * stays set, and either way the ring is harvested after the ack, so it
 * is seen now or on the next interrupt. A bit that first appears between
 * the read and the ack (a configuration change) stays set, and QEMU keeps
 * its line up while any bit is: a level-triggered input (PCI INTx) brings
 * us back here; an edge-triggered one (virtio-mmio on virt) sees no new
 * edge until the bit is acknowledged, which a wait's look at
 * InterruptStatus does (blk_dev_read_and_ack_interrupt).
 *
 * A disk in interrupt mode takes it fully, and counts it if its device
 * had a bit up: a line mate's interrupt is not this disk's, and its waits
 * watch the count to know that their own interrupt came. A polled disk
 * (a line mate, or the handler's own disk registered for a line it
 * shares or left registered after vblk_use_interrupts(false)) is only
 * acknowledged: its used buffers stay its polling's, and its callbacks
 * never run in an interrupt.
 */
static void take_disk(struct vblk_disk *disk)
{
	/* A device whose reset is under way, or never completed (`held`),
	 * is read and acknowledged too, although RST-1 would touch nothing
	 * but Status: one that holds a level line up while it resets, or
	 * for ever, would otherwise bring the handler back without end, and
	 * the reset's own wait would never run again. */
	bool use_irq = disk->queue.use_irq;
	uint32_t status = take_interrupt_status(disk);

	BLK_TRACE_INTERRUPT(status);
	if (use_irq && status != 0)
		disk->queue.stats.interrupts++;
	if (disk->dev.ready && (status & VIRTIO_INT_CONFIG_CHANGE))
		config_interrupt(disk);
	if (disk->dev.ready && (status & VIRTIO_INT_USED_BUFFER) && use_irq)
		blk_disk_stop_if_broken(disk, blk_queue_complete(&disk->queue));
}

/*
 * The other disks on `disk`'s interrupt line. A PCI INTx line is shared
 * (QEMU virt wires each slot to one of four: slots 2 and 6 interrupt
 * together), and a level-triggered line stays up while any device on it
 * holds its interrupt: a controller would take it again and again, for
 * ever, if one of them were left out. So the handler of one disk on a
 * line takes every disk's: one in interrupt mode as its own handler
 * would, a polled one (whose device may interrupt although asked not to:
 * QEMU does at the first completion) only as far as lowering the line.
 * One handler registered per line is then enough, and a polled disk
 * needs none. An INTID of 0 is unknown, not shared.
 */
static void take_line_mates(const struct vblk_disk *disk)
{
	uint32_t intid = disk->dev.info.intid;

	for (unsigned i = 0; intid != 0 && i < vblk_disk_count(); i++) {
		struct vblk_disk *mate = vblk_disk(i);
		if (mate != disk && mate->dev.info.intid == intid)
			take_disk(mate);
	}
}

void vblk_irq_handler(void *arg)
{
	struct vblk_disk *disk = arg;
	if (disk == NULL)
		return;

	plat_irqflags_t flags = plat_irq_save();
	take_disk(disk);
	take_line_mates(disk);
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
		blk_disk_stop_if_broken(disk, blk_queue_complete(&disk->queue));
}

VBLK_COLD int vblk_use_interrupts(struct vblk_disk *disk, bool on)
{
	int err = blk_check_disk(disk);
	if (err)
		return err;
	plat_irqflags_t flags = plat_irq_save();
	if (on) {
		start_interrupts(disk);
	} else {
		/* Polled (virtio 1.2 §2.7.7, §2.8.10: the device asked not to
		 * interrupt). A wait that switched interrupts off while it
		 * spins (irq_quiet) would otherwise ask for them again when
		 * it ends: called from a callback, this runs inside one. */
		disk->queue.use_irq = false;
		disk->queue.irq_quiet = false;
		blk_dev_irq_off(&disk->dev);
	}
	err = blk_check_disk(disk);   /* a stale fault found on the way */
	plat_irq_restore(flags);
	return err;
}
