/* SPDX-License-Identifier: MIT */
/*
 * A disk: its device layer and its request queue together, and what the
 * API files (blk/api.c, commands.c, api_queue.c, wait.c, interrupt.c,
 * disks.c) need to run them: the disk's life on its device (blk/disk.c),
 * the table of disks (blk/table.c), the checks every call starts with.
 */
#ifndef VBLK_BLK_DISK_H
#define VBLK_BLK_DISK_H

#include "blk/queue.h"
#include "plat/compiler.h"

/* One slot of the disk pool (blk/table.c). The ring's memory comes first
 * and is 4 KiB aligned (the legacy layout's QueuePFN names a 4 KiB page,
 * virtio 1.2 §4.2.4; the modern alignment rules of §2.7 are smaller), so
 * the rest packs behind it without padding: 24 KiB with the defaults. */
struct vblk_disk {
	uint8_t ring_mem[VRING_ANY_MEM_BYTES(VBLK_QUEUE_SIZE)]
		__attribute__((aligned(VRING_ALIGN_BYTES)));
	struct blk_dev dev;
	struct blk_queue queue;
};

/* blk/disk.c: one disk on its device. */
VBLK_COLD int blk_disk_setup(struct vblk_disk *disk, const struct virtio_dev *probed,
			     uint32_t intid, bool irq_edge);
VBLK_COLD int blk_disk_init(struct vblk_disk *disk);
VBLK_COLD int blk_disk_reset(struct vblk_disk *disk, int reason);
VBLK_COLD void blk_disk_break(struct vblk_disk *disk, int reason, const char *why);
VBLK_COLD void blk_disk_stop_broken_ring(struct vblk_disk *disk);
VBLK_COLD void blk_config_changed(struct vblk_disk *disk);

/* Pass on what a queue call returned, and if the device broke the
 * protocol under it (-VBLK_EBROKEN: the ring refused, or found the device
 * writing nonsense), stop the disk first, which completes every queued
 * bio. The queue never stops the disk itself: it is the layer below.
 * Inline: it follows every queue call. */
static inline int blk_disk_stop_if_broken(struct vblk_disk *disk, int err)
{
	if (err == -VBLK_EBROKEN)
		blk_disk_stop_broken_ring(disk);
	return err;
}

/* blk/disks.c: one attach, probe, reset or shutdown at a time: false if
 * one is running already (the caller refuses with -VBLK_ESTATE); else
 * call blk_setup_end when done. */
bool blk_setup_begin(void);
void blk_setup_end(void);

/* blk/attach.c: a disk of a device either transport found, in a free
 * slot; the probe report. */
VBLK_COLD int blk_attach_probed(const struct virtio_dev *probed, uint32_t intid, bool irq_edge);
VBLK_COLD bool blk_device_attached(const struct virtio_dev *dev);
VBLK_COLD void blk_record_probe(const struct vblk_probe_entry *entry);
VBLK_COLD void blk_forget_probes(void);
VBLK_COLD bool blk_slot_reclaim(struct vblk_disk *slot);

/* blk/pci_disks.c: the disks behind a PCI host. */
struct pci_host;
VBLK_COLD void blk_attach_pci_host(const struct pci_host *host);

/* blk/table.c: the table of disks. */
struct vblk_disk *blk_table_slot(unsigned index);
unsigned blk_table_slots(void);
bool blk_table_is_attached(const struct vblk_disk *disk);
VBLK_COLD unsigned blk_table_add(struct vblk_disk *disk);
VBLK_COLD void blk_table_forget_all(void);
VBLK_COLD bool blk_disk_holds_bio(const struct vblk_bio *bio);

/* Can the disk take I/O? -VBLK_EINVAL for NULL, -VBLK_EBROKEN once it
 * has been stopped, -VBLK_ESTATE before attach or after shutdown. Inline:
 * every API call starts with it. */
static inline int blk_check_disk(const struct vblk_disk *disk)
{
	if (disk == NULL)
		return -VBLK_EINVAL;
	if (!disk->dev.ready)
		return disk->dev.broken_reason ? -VBLK_EBROKEN : -VBLK_ESTATE;
	return 0;
}

/* blk/spin_or_sleep.c: for the wait loop (blk/wait.c), the stretch it is
 * in: begin one, end it once something completed, begin the next before
 * spinning or sleeping on, and whether to sleep now (interrupt mode)
 * rather than spin. */
void blk_wait_begin_stretch(struct vblk_disk *disk, struct blk_wait_stretch *st);
void blk_wait_note_progress(struct vblk_disk *disk, struct blk_wait_stretch *st);
void blk_wait_go_on(struct vblk_disk *disk, struct blk_wait_stretch *st);
bool blk_wait_time_to_sleep(const struct vblk_disk *disk, const struct blk_wait_stretch *st);

/* blk/interrupt.c: for vblk_poll (blk/wait.c), polled mode's look at
 * InterruptStatus for a configuration change. */
void blk_poll_config_change(struct vblk_disk *disk);
/* blk/interrupt.c: for the waits, a configuration change their look at
 * InterruptStatus found (blk/wait.c). */
VBLK_COLD void blk_take_config_change(struct vblk_disk *disk);

/* blk/features.c */
VBLK_COLD uint64_t blk_driver_features(void);

#endif
