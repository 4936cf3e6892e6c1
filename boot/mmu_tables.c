/* SPDX-License-Identifier: MIT */
/*
 * Building the identity map's tables (boot/mmu_tables.h; what is mapped,
 * and why, is boot/mmu.c's header). Arm ARM D8 "The AArch64 Virtual
 * Memory System Architecture", 4 KiB granule, 48-bit addresses.
 *
 * A walk starts at level 0: a table of 512 entries of 512 GiB each, every
 * one a pointer to a level-1 table (level 0 has no blocks with this
 * granule). Below it an entry is a block, or points to a table of 512
 * entries one level down (1 GiB blocks at level 1, 2 MiB at level 2,
 * 4 KiB pages at level 3). Each range is mapped with the largest blocks
 * its alignment allows, so tables below level 1 are only needed at a
 * range's unaligned ends. Tables come from a fixed pool; a device region
 * that might not fit what is left is refused before anything of it is
 * written.
 */
#include "boot/mmu_tables.h"

#include <stdbool.h>
#include <stdint.h>

#include "vblk/error.h"

#define PAGE_SHIFT       12
#define PAGE_BYTES       MMU_PAGE_BYTES
#define TABLE_SHIFT      9                /* 512 entries per table */
#define TABLE_ENTRIES    MMU_TABLE_ENTRIES
#define FIRST_LEVEL      0
#define FIRST_BLOCK_LEVEL 1               /* no level-0 blocks with 4 KiB pages */
#define LAST_LEVEL       3
#define GIB_BYTES        (1ull << 30)
#define BLOCK_2M_BYTES   (1ull << 21)

/* QEMU virt puts its own devices below 1 GiB and RAM from 1 GiB up. */
#define DEVICE_REGION_END GIB_BYTES

/* Translation table descriptor bits (Arm ARM D8.3). */
#define DESC_VALID       (1ull << 0)
#define DESC_TYPE_MASK   (3ull << 0)
#define DESC_BLOCK       (1ull << 0)      /* levels 1-2: block mapping */
#define DESC_TABLE       (3ull << 0)      /* levels 1-2: next-level table */
#define DESC_PAGE        (3ull << 0)      /* level 3: page mapping */
#define DESC_ATTR_INDEX(i) ((uint64_t)(i) << 2)   /* MAIR_EL1 slot */
#define DESC_SH_INNER    (3ull << 8)      /* inner shareable */
#define DESC_AF          (1ull << 10)     /* access flag: no AF faults */
#define DESC_PXN         (1ull << 53)     /* not executable at EL1 */
#define DESC_UXN         (1ull << 54)     /* not executable at EL0 */
#define DESC_ADDR_MASK   0x0000fffffffff000ull
/* AP[2:1] = 0b00 everywhere: read/write at EL1, no access from EL0. */

#define ATTRS_DEVICE     (DESC_ATTR_INDEX(MMU_MAIR_IDX_DEVICE) | DESC_AF | DESC_PXN | DESC_UXN)
#define ATTRS_RAM        (DESC_ATTR_INDEX(MMU_MAIR_IDX_NORMAL) | DESC_SH_INNER | DESC_AF | DESC_UXN)

/* Address bits one entry of a level covers: 39, 30, 21, 12. */
static unsigned level_shift(unsigned level)
{
	return PAGE_SHIFT + TABLE_SHIFT * (LAST_LEVEL - level);
}

static bool is_table(uint64_t entry, unsigned level)
{
	return level < LAST_LEVEL && (entry & DESC_TYPE_MASK) == DESC_TABLE;
}

/* The table one level below `entry` (at `level`), created if needed. A
 * block already there is split into 512 smaller blocks (or pages) with the
 * same attributes, so nothing mapped before changes. NULL when the pool is
 * empty. */
static uint64_t *next_table(struct mmu_tables *tables, uint64_t *entry, unsigned level)
{
	uint64_t *table;

	if (is_table(*entry, level))
		return (uint64_t *)(uintptr_t)(*entry & DESC_ADDR_MASK);
	if (tables->used == MMU_TABLES)
		return NULL;
	table = tables->pool[tables->used++];
	if (*entry & DESC_VALID) {
		uint64_t child_bytes = 1ull << level_shift(level + 1);
		uint64_t child_type = level + 1 == LAST_LEVEL ? DESC_PAGE : DESC_BLOCK;
		for (unsigned i = 0; i < TABLE_ENTRIES; i++)
			table[i] = ((*entry & ~DESC_TYPE_MASK) + i * child_bytes) | child_type;
	}
	*entry = (uintptr_t)table | DESC_TABLE;
	return table;
}

/* Map one block or page at `addr` (4 KiB aligned, below `end`): the
 * largest that starts there and fits. Returns the bytes mapped, or
 * -VBLK_ENOMEM. */
static int64_t map_one(struct mmu_tables *tables, uint64_t addr, uint64_t end,
		       uint64_t attrs)
{
	uint64_t *table = tables->l0;

	for (unsigned level = FIRST_LEVEL;; level++) {
		uint64_t bytes = 1ull << level_shift(level);
		uint64_t *entry = &table[(addr >> level_shift(level)) % TABLE_ENTRIES];
		bool fits = level >= FIRST_BLOCK_LEVEL && addr % bytes == 0 &&
			    end - addr >= bytes;

		if (level == LAST_LEVEL || (fits && !is_table(*entry, level))) {
			*entry = addr | attrs | (level == LAST_LEVEL ? DESC_PAGE : DESC_BLOCK);
			return (int64_t)bytes;
		}
		table = next_table(tables, entry, level);
		if (table == NULL)
			return -VBLK_ENOMEM;
	}
}

/* Map [base, end) 1:1 with `attrs`; both 4 KiB aligned. */
static int map_range(struct mmu_tables *tables, uint64_t base, uint64_t end,
		     uint64_t attrs)
{
	for (uint64_t addr = base; addr < end;) {
		int64_t mapped_bytes = map_one(tables, addr, end, attrs);
		if (mapped_bytes < 0)
			return (int)mapped_bytes;
		addr += (uint64_t)mapped_bytes;
	}
	return 0;
}

/* A RAM region, shrunk to whole pages inside the physical address space. */
static int map_ram(struct mmu_tables *tables, uint64_t pa_limit,
		   const struct board_region *region)
{
	uint64_t base = region->base, end = region->base + region->size_bytes;

	if (end < base || end > pa_limit)
		end = pa_limit;         /* wrapped, or beyond what the CPU can address */
	base = (base + PAGE_BYTES - 1) & ~(uint64_t)(PAGE_BYTES - 1);
	end &= ~(uint64_t)(PAGE_BYTES - 1);
	if (base >= end)
		return 0;
	return map_range(tables, base, end, ATTRS_RAM);
}

/* Tables an end of a range at `addr` can add: none on a 1 GiB boundary,
 * a level-2 table on a 2 MiB one, else a level-3 table too. */
static unsigned end_tables(uint64_t addr)
{
	if (addr % GIB_BYTES == 0)
		return 0;
	return addr % BLOCK_2M_BYTES == 0 ? 1 : 2;
}

/* At least as many tables as mapping [base, end) takes: a level-1 table
 * for each 512 GiB entry that has none yet, and the ends' (a block is
 * split, or a table started, only where the range does not cover it). */
static unsigned tables_needed(const struct mmu_tables *tables, uint64_t base, uint64_t end)
{
	unsigned count = end_tables(base) + end_tables(end);

	for (uint64_t index = base >> level_shift(0); index <= (end - 1) >> level_shift(0);
	     index++)
		if (!is_table(tables->l0[index], 0))
			count++;
	return count;
}

static bool overlaps(uint64_t base, uint64_t end, const struct board_region *region)
{
	return base < region->base + region->size_bytes && region->base < end;
}

/* A device region, widened to whole pages: 0, or why it stays unmapped
 * (mmu.h). */
static int map_device(struct mmu_tables *tables, uint64_t pa_limit,
		      const struct board_region *region, const struct board_region *ram,
		      unsigned ram_count)
{
	uint64_t base = region->base & ~(uint64_t)(PAGE_BYTES - 1);
	uint64_t end = region->base + region->size_bytes;

	if (region->size_bytes == 0 || end < region->base)
		return -VBLK_EINVAL;
	if (end > pa_limit)
		return -VBLK_ERANGE;
	end = (end + PAGE_BYTES - 1) & ~(uint64_t)(PAGE_BYTES - 1);
	if (base < DEVICE_REGION_END)
		base = DEVICE_REGION_END;        /* mapped as device already */
	if (base >= end)
		return 0;
	for (unsigned i = 0; i < ram_count; i++)
		if (overlaps(base, end, &ram[i]))
			return -VBLK_EINVAL;
	if (tables_needed(tables, base, end) > MMU_TABLES - tables->used)
		return -VBLK_ENOMEM;
	return map_range(tables, base, end, ATTRS_DEVICE);   /* cannot run out: counted */
}

int mmu_tables_build(struct mmu_tables *tables, unsigned pa_bits,
		     const struct board_region *ram, unsigned ram_count,
		     const struct board_region *device, unsigned device_count,
		     int *device_result)
{
	uint64_t pa_limit = 1ull << pa_bits;
	int err = 0;

	/* One level-1 table and block, the pool's first: cannot fail. */
	map_range(tables, 0, DEVICE_REGION_END, ATTRS_DEVICE);
	for (unsigned i = 0; i < ram_count; i++) {
		int region_err = map_ram(tables, pa_limit, &ram[i]);
		if (region_err < 0)
			err = region_err;
	}
	/* After RAM, so a device region can take no table RAM needs. */
	for (unsigned i = 0; i < device_count; i++)
		device_result[i] = map_device(tables, pa_limit, &device[i], ram, ram_count);
	return err;
}
