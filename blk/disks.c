/* SPDX-License-Identifier: MIT */
/*
 * The disks: finding them (in a device tree, or at an address), shutting
 * them all down, and resetting one of them. Making a disk of a device
 * either transport found, and the probe report, are blk/attach.c (PCI
 * disks are found by blk/pci_disks.c); their memory and the list of
 * those attached are in blk/table.c.
 */
#include "blk/disk.h"

#include "blk/dt_scan.h"
#include "virtio/mmio.h"
#include "pci/pci.h"

/*
 * One set-up at a time: attaching, probing, resetting a disk and shutting
 * down all poll a device's Status with IRQs open, so a bio callback run
 * by the interrupt handler meanwhile may call another of them. That one
 * would re-initialise a disk under the first (whose reset then never
 * sees Status read 0), take the slot it is filling, or revive a disk a
 * shutdown has finished: it is refused with -VBLK_ESTATE instead.
 */
static bool setting_up;

bool blk_setup_begin(void)
{
	plat_irqflags_t flags = plat_irq_save();
	bool free = !setting_up;
	setting_up = true;
	plat_irq_restore(flags);
	return free;
}

void blk_setup_end(void)
{
	setting_up = false;
}

static void record_mmio_probe(uint64_t base, const struct virtio_dev *dev, int result)
{
	blk_record_probe(&(struct vblk_probe_entry){
		.transport = VBLK_TRANSPORT_MMIO,
		.mmio_base = base,
		.version = dev->regs.mmio.version,
		.device_id = dev->device_id,
		.result = result,
	});
}

/* No virtio-mmio window sits at 0 (QEMU virt has flash there): it is an
 * address that was never set. Registers are 32 bits wide and naturally
 * aligned (virtio 1.2 §4.2.2.2), so a window off a 4-byte boundary is a
 * wrong address too: reading it would fault. */
static bool plausible_window(uint64_t mmio_base)
{
	return mmio_base != 0 && mmio_base % sizeof(uint32_t) == 0;
}

static int attach_mmio(uint64_t mmio_base, uint32_t intid, bool irq_edge)
{
	struct virtio_dev probed;

	if (!plausible_window(mmio_base)) {
		/* A device tree's bad address: shown in the report, not read. */
		record_mmio_probe(mmio_base, &(struct virtio_dev){ .regs.mmio.base = mmio_base },
				  -VBLK_EINVAL);
		return -VBLK_EINVAL;
	}
	/* A disk's window is not initialised again, nor reported twice, nor
	 * even read: its device may be in the middle of a reset (a request
	 * timed out), when nothing but Status may be touched (RST-1). */
	const struct virtio_dev at = {
		.transport = VIRTIO_TRANSPORT_MMIO, .regs.mmio.base = (uintptr_t)mmio_base,
	};
	if (blk_device_attached(&at))
		return -VBLK_ESTATE;
	int result = virtio_mmio_probe(&probed, (uintptr_t)mmio_base);
	if (result == 0)
		result = blk_attach_probed(&probed, intid, irq_edge);
	record_mmio_probe(mmio_base, &probed, result < 0 ? result : 0);
	return result;
}

VBLK_COLD int vblk_attach(uint64_t mmio_base, uint32_t intid)
{
	/* A bad argument changes nothing, not even the probe report. */
	if (!plausible_window(mmio_base))
		return -VBLK_EINVAL;
	if (!blk_setup_begin())
		return -VBLK_ESTATE;
	int result = attach_mmio(mmio_base, intid, false);
	blk_setup_end();
	return result;
}

/*
 * Finish with one disk: let what is queued complete, make completed
 * writes durable (a device with FLUSH may hold them in a volatile cache,
 * virtio 1.2 §5.2.6.2), then reset. A disk that is broken already has
 * nothing left to wait for, and cannot be flushed: with a write cache,
 * what it wrote may not be durable, so its error is the result, whether
 * a wait found the break here (polled) or the interrupt handler before.
 */
static int finish_disk(struct vblk_disk *disk)
{
	bool cached = disk->dev.info.has_flush && !disk->dev.info.read_only;
	int err = 0;

	if (disk->dev.ready) {
		vblk_drain(disk);
		if (!disk->dev.ready)
			err = disk->dev.broken_err;   /* it broke or timed out meanwhile */
		else if (cached)
			err = vblk_flush(disk);
	} else if (cached && disk->dev.broken_reason != NULL) {
		err = disk->dev.broken_err;
	}
	int reset_err = blk_disk_reset(disk, -VBLK_ECANCELED);
	/* A device that may still use our memory outranks any other error:
	 * the caller is about to hand that memory on (vblk.h). */
	return reset_err == -VBLK_EHELD || err == 0 ? reset_err : err;
}

static int shutdown_all(void)
{
	int first_err = 0;

	for (unsigned i = 0; i < vblk_disk_count(); i++)
		vblk_disk(i)->queue.shutting_down = true;
	for (unsigned i = 0; i < vblk_disk_count(); i++) {
		struct vblk_disk *disk = vblk_disk(i);
		int err = finish_disk(disk);
		/* The first error. A device that did not confirm its reset is
		 * asked again below, which alone says whether it still holds
		 * memory of ours. */
		if (first_err == 0 && err != -VBLK_EHELD)
			first_err = err;
		disk->dev.broken_reason = NULL;  /* forgotten, not broken: ESTATE */
	}
	blk_table_forget_all();
	blk_forget_probes();
	/* Devices that still hold memory of ours, from this shutdown or an
	 * earlier one, are asked again: the caller is about to hand memory
	 * on, and should know if some of it is not free. That outranks any
	 * other error. */
	for (unsigned i = 0; i < blk_table_slots(); i++) {
		if (blk_table_slot(i)->dev.held && !blk_slot_reclaim(blk_table_slot(i)))
			first_err = -VBLK_EHELD;
	}
	return first_err;
}

/* Is one of the disks' bio callbacks running (perhaps under this call)? */
static bool in_any_callback(void)
{
	for (unsigned i = 0; i < vblk_disk_count(); i++) {
		if (vblk_disk(i)->queue.in_callbacks > 0)
			return true;
	}
	return false;
}

VBLK_COLD int vblk_init_from_dt(const void *dtb, size_t dtb_max_bytes)
{
	static struct blk_dt_found found;

	if (dtb == NULL)
		return -VBLK_EINVAL;
	/* It starts with a shutdown, refused from a bio callback. */
	if (in_any_callback() || !blk_setup_begin())
		return -VBLK_ESTATE;
	/* One walk finds both kinds of transport (blk/dt_scan.c). */
	int err = blk_dt_scan(&found, dtb, dtb_max_bytes);
	if (err == 0) {
		shutdown_all();
		for (unsigned i = 0; i < found.mmio.count; i++) {
			const struct virtio_dt_node *node = &found.mmio.node[i];
			attach_mmio(node->base, node->intid, node->irq_edge);
		}
		/* A PCI host that cannot be decoded costs the PCI disks only. */
		if (found.pci_err == 0)
			blk_attach_pci_host(&found.pci);
	}
	blk_setup_end();
	return err ? err : (int)vblk_disk_count();
}

VBLK_COLD int vblk_shutdown(void)
{
	/* From a bio callback (vblk/bio.h forbids it): resetting and
	 * forgetting the disk whose loop runs that callback would lose the
	 * bios it has yet to tell, as a vblk_reset there would. */
	if (in_any_callback() || !blk_setup_begin())
		return -VBLK_ESTATE;
	int err = shutdown_all();
	blk_setup_end();
	return err;
}

const struct vblk_info *vblk_disk_info(const struct vblk_disk *disk)
{
	return disk ? &disk->dev.info : NULL;
}

uint64_t vblk_capacity(const struct vblk_disk *disk)
{
	return disk ? disk->dev.info.capacity_sectors : 0;
}

void vblk_set_timeout_us(struct vblk_disk *disk, uint32_t timeout_us)
{
	if (disk)
		disk->queue.timeout_us = timeout_us ? timeout_us : VBLK_TIMEOUT_US;
}

VBLK_COLD int vblk_reset(struct vblk_disk *disk)
{
	if (disk == NULL)
		return -VBLK_EINVAL;
	if (!blk_table_is_attached(disk))
		return -VBLK_ESTATE;
	/* From one of the disk's own callbacks (vblk/bio.h forbids it): the
	 * reset would re-initialise the queue under the loop that runs the
	 * callback, and the bios it has yet to tell would be lost, or a
	 * reset that fails the queue would initialise the device twice. */
	if (disk->queue.in_callbacks > 0 || !blk_setup_begin())
		return -VBLK_ESTATE;
	int err = blk_disk_init(disk);
	blk_setup_end();
	return err;
}
