/* SPDX-License-Identifier: MIT */
/*
 * The table of disks: the pool of disk memory (VBLK_POOL_BYTES, cut into
 * slots of one struct vblk_disk each: ring, request slots, indirect
 * tables, state) and the disks attached now, in the order vblk_disk()
 * numbers them. A slot is free when it is not attached and not `held`
 * (its device never confirmed a reset). VBLK_MAX_DISKS costs a pointer
 * per disk; only the pool holds memory, so a disk the application never
 * attaches costs what the pool was given for it, and no more
 * (docs/design.md, "Memory"). It calls nothing but the queue's
 * blk_queue_holds: finding and shutting down disks (blk/disks.c) and
 * refusing a bio submitted twice (blk/api.c) both ask it.
 */
#include "blk/disk.h"

/* Slots the pool holds, never more than the table can list. */
#define POOL_SLOTS (VBLK_POOL_BYTES / sizeof(struct vblk_disk))
#define TABLE_SLOTS (POOL_SLOTS < VBLK_MAX_DISKS ? POOL_SLOTS : VBLK_MAX_DISKS)

_Static_assert(VBLK_POOL_BYTES >= sizeof(struct vblk_disk),
	       "VBLK_POOL_BYTES must hold at least one disk (vblk_disk_bytes())");

static struct vblk_disk slots[TABLE_SLOTS];
static struct vblk_disk *attached[VBLK_MAX_DISKS];
static unsigned disk_count;

struct vblk_disk *blk_table_slot(unsigned index)
{
	return &slots[index];
}

unsigned blk_table_slots(void)
{
	return TABLE_SLOTS;
}

size_t vblk_disk_bytes(void)
{
	return sizeof(struct vblk_disk);
}

unsigned vblk_max_disks(void)
{
	return TABLE_SLOTS;
}

/* Is `disk` one of the disks attached now? A pointer kept across
 * vblk_shutdown() is not: its device is no longer ours to restart. */
bool blk_table_is_attached(const struct vblk_disk *disk)
{
	for (unsigned i = 0; i < disk_count; i++) {
		if (attached[i] == disk)
			return true;
	}
	return false;
}

/* The caller has checked there is room (a free slot means there is).
 * The interrupt handler walks the table (a disk takes the interrupts of
 * the others on its line: blk/interrupt.c), so it sees the new entry
 * whole or not at all. */
unsigned blk_table_add(struct vblk_disk *disk)
{
	plat_irqflags_t flags = plat_irq_save();
	unsigned index = disk_count;

	attached[index] = disk;
	disk_count = index + 1;
	plat_irq_restore(flags);
	return index;
}

void blk_table_forget_all(void)
{
	disk_count = 0;
}

unsigned vblk_disk_count(void)
{
	return disk_count;
}

struct vblk_disk *vblk_disk(unsigned index)
{
	return index < disk_count ? attached[index] : NULL;
}

/* Does any attached disk hold `bio` (queued, in flight, being completed)?
 * bio->owner says which disk to ask; it is only a hint, since a bio the
 * caller did not zero may hold anything there. */
bool blk_disk_holds_bio(const struct vblk_bio *bio)
{
	for (unsigned i = 0; i < disk_count; i++) {
		if (attached[i] == bio->owner)
			return blk_queue_holds(&attached[i]->queue, bio);
	}
	return false;
}
