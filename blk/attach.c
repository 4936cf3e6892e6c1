/* SPDX-License-Identifier: MIT */
/*
 * Making a disk of a device a transport found (virtio-mmio: blk/disks.c,
 * PCI: blk/pci_disks.c): a free slot of the disk pool, the device
 * initialised in it, and the probe report that says what was found where.
 * Below both finders, which call it and nothing of each other.
 */
#include "blk/disk.h"

#include "pci/pci.h"
#include "virtio/dt.h"

/* Every MMIO slot of the tree, and every virtio function on the PCI bus. */
#define PROBE_ENTRIES_MAX (VIRTIO_DT_MAX_NODES + PCI_MAX_FUNCTIONS)

static struct vblk_probe_entry probe_entries[PROBE_ENTRIES_MAX];
static unsigned probe_count;

/* Do two entries name one place: a virtio-mmio window, or a PCI function
 * (its bus:dev.fn, and its BARs, which tell two hosts' functions at one
 * bus:dev.fn apart)? */
static bool same_place(const struct vblk_probe_entry *a, const struct vblk_probe_entry *b)
{
	if (a->transport != b->transport)
		return false;
	if (a->transport == VBLK_TRANSPORT_MMIO)
		return a->mmio_base == b->mmio_base;
	if (a->pci.bus != b->pci.bus || a->pci.dev != b->pci.dev || a->pci.fn != b->pci.fn)
		return false;
	for (unsigned i = 0; i < sizeof(a->pci_bar) / sizeof(a->pci_bar[0]); i++)
		if (a->pci_bar[i] != b->pci_bar[i])
			return false;
	return true;
}

/* What a probe saw at one place, replacing what an earlier probe (a
 * vblk_attach that failed there, say) saw: one entry a place. */
void blk_record_probe(const struct vblk_probe_entry *entry)
{
	for (unsigned i = 0; i < probe_count; i++) {
		if (same_place(&probe_entries[i], entry)) {
			probe_entries[i] = *entry;
			return;
		}
	}
	if (probe_count < PROBE_ENTRIES_MAX) {
		probe_entries[probe_count++] = *entry;
		return;
	}
	/* Full (32 virtio-mmio slots and PCI_MAX_FUNCTIONS virtio functions):
	 * a disk is what the report must not lose (vblk.h: one past the
	 * function table is listed with -VBLK_ENOMEM), so it takes the place
	 * of the last entry that is no disk. */
	if (entry->device_id != VIRTIO_ID_BLOCK)
		return;
	for (unsigned i = probe_count; i-- > 0;) {
		if (probe_entries[i].device_id != VIRTIO_ID_BLOCK) {
			probe_entries[i] = *entry;
			return;
		}
	}
}

/* Forget the report (vblk_shutdown). */
void blk_forget_probes(void)
{
	probe_count = 0;
}

unsigned vblk_probe_report(const struct vblk_probe_entry **entries)
{
	if (entries)
		*entries = probe_entries;
	return probe_count;
}

/* Two probes of one device: the same register window, or the same
 * common configuration structure (a PCI function's BARs are unique). */
static bool same_device(const struct virtio_dev *a, const struct virtio_dev *b)
{
	if (a->transport != b->transport)
		return false;
	if (a->transport == VIRTIO_TRANSPORT_PCI)
		return a->regs.pci.common == b->regs.pci.common;
	return a->regs.mmio.base == b->regs.mmio.base;
}

bool blk_device_attached(const struct virtio_dev *dev)
{
	for (unsigned i = 0; i < vblk_disk_count(); i++) {
		if (same_device(&vblk_disk(i)->dev.vdev, dev))
			return true;
	}
	return false;
}

static bool slot_free(const struct vblk_disk *slot)
{
	return !slot->dev.held && !blk_table_is_attached(slot);
}

/* Ask the device of a held slot that is no disk any more to reset once
 * more: true if it does now (it has let go of the slot's memory). */
bool blk_slot_reclaim(struct vblk_disk *slot)
{
	if (slot->dev.held && !blk_table_is_attached(slot) && virtio_reset(&slot->dev.vdev) == 0)
		slot->dev.held = false;
	return !slot->dev.held;
}

/* A free slot; if there is none, one whose device resets now. */
static struct vblk_disk *free_slot(void)
{
	for (unsigned i = 0; i < blk_table_slots(); i++) {
		if (slot_free(blk_table_slot(i)))
			return blk_table_slot(i);
	}
	for (unsigned i = 0; i < blk_table_slots(); i++) {
		struct vblk_disk *slot = blk_table_slot(i);
		if (slot->dev.held && !blk_table_is_attached(slot) && blk_slot_reclaim(slot))
			return slot;
	}
	return NULL;
}

/* The device has just completed a reset (in `disk`'s set-up): it holds
 * nothing of a slot it was left holding before, so that slot is free. Left
 * held, it would be reclaimed one day by resetting the device, under the
 * disk it now is. */
static void release_held_slots(const struct vblk_disk *disk)
{
	for (unsigned i = 0; i < blk_table_slots(); i++) {
		struct vblk_disk *slot = blk_table_slot(i);
		if (slot != disk && slot->dev.held && !blk_table_is_attached(slot) &&
		    same_device(&slot->dev.vdev, &disk->dev.vdev))
			slot->dev.held = false;
	}
}

/*
 * Make a disk of a device its transport has identified (and reset
 * nothing yet): the device is initialised in a free slot. -VBLK_ENODEV
 * for a device that is no disk, -VBLK_ENOMEM when no slot is free (the
 * device is not touched: raise VBLK_POOL_BYTES or VBLK_MAX_DISKS,
 * whichever vblk_max_disks() follows), else the disk's
 * index or the error that stopped its initialisation.
 */
int blk_attach_probed(const struct virtio_dev *probed, uint32_t intid, bool irq_edge)
{
	if (probed->device_id != VIRTIO_ID_BLOCK)
		return -VBLK_ENODEV;
	/* Initialising a device that is a disk already would reset it and
	 * pull its ring from under that disk. */
	if (blk_device_attached(probed))
		return -VBLK_ESTATE;
	struct vblk_disk *disk = free_slot();
	if (disk == NULL)
		return -VBLK_ENOMEM;
	int err = blk_disk_setup(disk, probed, intid, irq_edge);
	if (err)
		return err;
	release_held_slots(disk);
	return (int)blk_table_add(disk);
}
