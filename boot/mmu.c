/*
 * EL1 identity map with the 4 KiB granule and a 48-bit address space
 * (Arm ARM D8 "The AArch64 Virtual Memory System Architecture").
 *
 * With T0SZ = 16 a walk starts at level 0: a table of 512 entries of
 * 512 GiB each, every one a pointer to a level-1 table (level 0 has no
 * blocks with this granule). Below it an entry is a block, or points to a
 * table of 512 entries one level down (1 GiB blocks at level 1, 2 MiB at
 * level 2, 4 KiB pages at level 3). Each range is mapped with the largest
 * blocks its alignment allows, so tables below level 1 are only needed at
 * a range's unaligned ends.
 *
 * What is mapped, and why:
 *  - 0 .. 1 GiB, Device-nGnRnE: QEMU virt's devices (flash, GIC, PL011,
 *    RTC, virtio-mmio), the PCI I/O window, the 32-bit PCI memory window
 *    0x1000_0000..0x3efe_ffff and, with highmem=off, the ECAM at
 *    0x3f00_0000. One level-1 block.
 *  - RAM (the DT memory nodes): Normal write-back, executable.
 *  - The board's device regions (drivers/board.h: the PCI host's ECAM and
 *    memory windows, where the library's PCI disks are reached), Device-
 *    nGnRnE, never executable: with highmem (QEMU's default) the ECAM at
 *    256 GiB + 256 MiB (2 MiB blocks) and the 64-bit window at 512 GiB (a
 *    level-1 table of 1 GiB blocks). That window is why the address space
 *    is 48 bits: 39 end at 512 GiB. What lies in the first GiB is mapped
 *    already.
 * A device region is mapped whole or not at all: not if it reaches past
 * the CPU's physical address range (ID_AA64MMFR0_EL1.PARange: 40 bits, 1
 * TiB, on cortex-a53; an output address beyond it would fault), overlaps
 * RAM (whose attributes must not change) or needs more tables than the
 * pool has left. The caller is told which, and says so.
 */
#include "boot/mmu.h"

#include <stdbool.h>
#include <stdint.h>

#include "boot/sysreg.h"
#include "vblk/error.h"

#define PAGE_SHIFT       12
#define PAGE_BYTES       (1u << PAGE_SHIFT)
#define TABLE_SHIFT      9                /* 512 entries per table */
#define TABLE_ENTRIES    (1u << TABLE_SHIFT)
#define FIRST_LEVEL      0
#define FIRST_BLOCK_LEVEL 1               /* no level-0 blocks with 4 KiB pages */
#define LAST_LEVEL       3
#define VA_BITS          48
#define GIB_BYTES        (1ull << 30)
#define BLOCK_2M_BYTES   (1ull << 21)

/* QEMU virt puts its own devices below 1 GiB and RAM from 1 GiB up. */
#define DEVICE_REGION_END GIB_BYTES

/* The pool below level 0. The first GiB's level-1 table; for RAM, as
 * when the walk started at level 1, two tables (levels 2 and 3) at each
 * unaligned end of a region and two spare in case RAM is carved out of
 * the device GiB, and a level-1 table for a region beyond 512 GiB; for a
 * device region in a 512 GiB entry of its own, its level-1 table and two
 * at each end (tables_needed). */
#define TABLES_PER_RAM    5
#define TABLES_PER_DEVICE 5
#define MMU_TABLES       (1 + TABLES_PER_RAM * BOARD_MAX_MEMORY + 2 + \
			  TABLES_PER_DEVICE * BOARD_MAX_DEVICE)

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

/* MAIR_EL1: one byte of attributes per index. */
#define MAIR_IDX_DEVICE  0
#define MAIR_IDX_NORMAL  1
#define MAIR_DEVICE_nGnRnE 0x00ull        /* no gathering, reordering, early ack */
#define MAIR_NORMAL_WB   0xffull          /* inner+outer write-back, RW-allocate */
#define MAIR_VALUE       ((MAIR_DEVICE_nGnRnE << (8 * MAIR_IDX_DEVICE)) | \
			  (MAIR_NORMAL_WB << (8 * MAIR_IDX_NORMAL)))

#define ATTRS_DEVICE     (DESC_ATTR_INDEX(MAIR_IDX_DEVICE) | DESC_AF | DESC_PXN | DESC_UXN)
#define ATTRS_RAM        (DESC_ATTR_INDEX(MAIR_IDX_NORMAL) | DESC_SH_INNER | DESC_AF | DESC_UXN)

/* TCR_EL1: TTBR0 walks only (EPD1), 4 KiB granule, tables cached and
 * inner shareable like the memory they live in. IPS is set at run time. */
#define TCR_T0SZ         (64ull - VA_BITS)
#define TCR_IRGN0_WBWA   (1ull << 8)
#define TCR_ORGN0_WBWA   (1ull << 10)
#define TCR_SH0_INNER    (3ull << 12)
#define TCR_TG0_4K       (0ull << 14)
#define TCR_EPD1         (1ull << 23)
#define TCR_IPS_SHIFT    32
#define TCR_VALUE        (TCR_T0SZ | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | \
			  TCR_TG0_4K | TCR_EPD1)

#define CTR_DMINLINE_SHIFT 16              /* log2(words) of the smallest D-line */
#define CTR_DMINLINE_MASK  0xfu
#define CTR_WORD_BYTES     4u

/* The tables: in .bss, so zero (all entries invalid) before mmu_init. */
static uint64_t l0_table[TABLE_ENTRIES] __attribute__((aligned(PAGE_BYTES)));
static uint64_t tables[MMU_TABLES][TABLE_ENTRIES] __attribute__((aligned(PAGE_BYTES)));
static unsigned tables_used;

/* Linker symbols: the whole image, code to stack. */
extern char __image_start[], _end[];

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
static uint64_t *next_table(uint64_t *entry, unsigned level)
{
	uint64_t *table;

	if (is_table(*entry, level))
		return (uint64_t *)(uintptr_t)(*entry & DESC_ADDR_MASK);
	if (tables_used == MMU_TABLES)
		return NULL;
	table = tables[tables_used++];
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
static int64_t map_one(uint64_t addr, uint64_t end, uint64_t attrs)
{
	uint64_t *table = l0_table;

	for (unsigned level = FIRST_LEVEL;; level++) {
		uint64_t bytes = 1ull << level_shift(level);
		uint64_t *entry = &table[(addr >> level_shift(level)) % TABLE_ENTRIES];
		bool fits = level >= FIRST_BLOCK_LEVEL && addr % bytes == 0 &&
			    end - addr >= bytes;

		if (level == LAST_LEVEL || (fits && !is_table(*entry, level))) {
			*entry = addr | attrs | (level == LAST_LEVEL ? DESC_PAGE : DESC_BLOCK);
			return (int64_t)bytes;
		}
		table = next_table(entry, level);
		if (table == NULL)
			return -VBLK_ENOMEM;
	}
}

/* Map [base, end) 1:1 with `attrs`; both 4 KiB aligned. */
static int map_range(uint64_t base, uint64_t end, uint64_t attrs)
{
	for (uint64_t addr = base; addr < end;) {
		int64_t mapped_bytes = map_one(addr, end, attrs);
		if (mapped_bytes < 0)
			return (int)mapped_bytes;
		addr += (uint64_t)mapped_bytes;
	}
	return 0;
}

/* The CPU's physical address size (ID_AA64MMFR0_EL1.PARange, Arm ARM
 * D17.2.64) as TCR_EL1.IPS encodes it, at most 48 bits: larger ones need
 * FEAT_LPA, and our VA has 48 bits. */
static uint64_t parange(void)
{
	uint64_t mmfr0;

	__asm__ volatile("mrs %0, id_aa64mmfr0_el1" : "=r"(mmfr0));
	uint64_t encoding = mmfr0 & ID_AA64MMFR0_PARANGE_MASK;
	return encoding > PARANGE_48_BITS ? PARANGE_48_BITS : encoding;
}

unsigned mmu_pa_bits(void)
{
	static const unsigned bits_of_parange[PARANGE_48_BITS + 1] = { 32, 36, 40, 42, 44, 48 };

	return bits_of_parange[parange()];
}

/* A RAM region, shrunk to whole pages inside the physical address space. */
static int map_ram(const struct board_region *region)
{
	uint64_t base = region->base, end = region->base + region->size_bytes;
	uint64_t pa_limit = 1ull << mmu_pa_bits();

	if (end < base || end > pa_limit)
		end = pa_limit;         /* wrapped, or beyond what the CPU can address */
	base = (base + PAGE_BYTES - 1) & ~(uint64_t)(PAGE_BYTES - 1);
	end &= ~(uint64_t)(PAGE_BYTES - 1);
	if (base >= end)
		return 0;
	return map_range(base, end, ATTRS_RAM);
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
static unsigned tables_needed(uint64_t base, uint64_t end)
{
	unsigned count = end_tables(base) + end_tables(end);

	for (uint64_t index = base >> level_shift(0); index <= (end - 1) >> level_shift(0);
	     index++)
		if (!is_table(l0_table[index], 0))
			count++;
	return count;
}

static bool overlaps(uint64_t base, uint64_t end, const struct board_region *region)
{
	return base < region->base + region->size_bytes && region->base < end;
}

/* A device region, widened to whole pages: 0, or why it stays unmapped
 * (mmu.h). */
static int map_device(const struct board_region *region, const struct board_region *ram,
		      unsigned ram_count)
{
	uint64_t base = region->base & ~(uint64_t)(PAGE_BYTES - 1);
	uint64_t end = region->base + region->size_bytes;

	if (region->size_bytes == 0 || end < region->base)
		return -VBLK_EINVAL;
	if (end > 1ull << mmu_pa_bits())
		return -VBLK_ERANGE;
	end = (end + PAGE_BYTES - 1) & ~(uint64_t)(PAGE_BYTES - 1);
	if (base < DEVICE_REGION_END)
		base = DEVICE_REGION_END;        /* mapped as device already */
	if (base >= end)
		return 0;
	for (unsigned i = 0; i < ram_count; i++)
		if (overlaps(base, end, &ram[i]))
			return -VBLK_EINVAL;
	if (tables_needed(base, end) > MMU_TABLES - tables_used)
		return -VBLK_ENOMEM;
	return map_range(base, end, ATTRS_DEVICE);   /* cannot run out: counted */
}

/* Invalidate the data cache lines of [start, end) to the point of
 * coherency. We wrote the tables (and everything else so far) with the
 * MMU off, i.e. straight to memory; a stale line left by earlier software
 * must not shadow that once the walker and the CPU read through the cache. */
static void dcache_invalidate(uintptr_t start, uintptr_t end)
{
	uint64_t ctr;
	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	unsigned log2_words = (ctr >> CTR_DMINLINE_SHIFT) & CTR_DMINLINE_MASK;
	uintptr_t line_bytes = (uintptr_t)CTR_WORD_BYTES << log2_words;

	for (uintptr_t addr = start & ~(line_bytes - 1); addr < end; addr += line_bytes)
		__asm__ volatile("dc ivac, %0" : : "r"(addr) : "memory");
	__asm__ volatile("dsb sy" ::: "memory");
}

/* An output address beyond IPS faults; nothing we map lies there. */
static uint64_t tcr_ips(void)
{
	return parange() << TCR_IPS_SHIFT;
}

static void mmu_enable(void)
{
	uint64_t sctlr;

	__asm__ volatile(
		"msr mair_el1, %0\n"
		"msr tcr_el1, %1\n"
		"msr ttbr0_el1, %2\n"
		"isb\n"
		/* No stale translations: nothing was cached with these tables,
		 * but the TLBs' reset contents are UNKNOWN. */
		"tlbi vmalle1\n"
		"dsb nsh\n"
		"ic iallu\n"
		"dsb nsh\n"
		"isb\n"
		: : "r"(MAIR_VALUE), "r"(TCR_VALUE | tcr_ips()), "r"((uintptr_t)l0_table)
		: "memory");

	__asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
	sctlr |= SCTLR_EL1_M | SCTLR_EL1_C | SCTLR_EL1_I;
	/* The isb makes the next instruction fetch use the new regime. */
	__asm__ volatile("msr sctlr_el1, %0\n isb" : : "r"(sctlr) : "memory");
}

int mmu_init(const struct board_region *ram, unsigned ram_count,
	     const struct board_region *device, unsigned device_count, int *device_result)
{
	int err = 0;

	/* One level-1 table and block, the pool's first: cannot fail. */
	map_range(0, DEVICE_REGION_END, ATTRS_DEVICE);
	for (unsigned i = 0; i < ram_count; i++) {
		int region_err = map_ram(&ram[i]);
		if (region_err < 0)
			err = region_err;
	}
	/* After RAM, so a device region can take no table RAM needs. */
	for (unsigned i = 0; i < device_count; i++)
		device_result[i] = map_device(&device[i], ram, ram_count);
	/* Tables must be in memory before the walker reads them. */
	__asm__ volatile("dsb ish" ::: "memory");
	dcache_invalidate((uintptr_t)__image_start, (uintptr_t)_end);
	mmu_enable();
	return err;
}
