/* SPDX-License-Identifier: MIT */
/*
 * The translation tables of the runtime's identity map (boot/mmu.h),
 * built in memory; boot/mmu.c points the MMU at them. Portable C with no
 * system registers, so the host tests build and walk the same tables
 * (tests/host/test_mmu.c).
 *
 * 4 KiB granule, 48-bit addresses (TCR_EL1.T0SZ = 16): a walk starts at
 * level 0 (Arm ARM D8.2.7).
 */
#ifndef VBLK_BOOT_MMU_TABLES_H
#define VBLK_BOOT_MMU_TABLES_H

#include <stdint.h>

#include "drivers/board.h"

#define MMU_PAGE_BYTES      4096u
#define MMU_TABLE_ENTRIES   512u
#define MMU_VA_BITS         48

/* The MAIR_EL1 slots the descriptors name; boot/mmu.c fills them. */
#define MMU_MAIR_IDX_DEVICE 0       /* Device-nGnRnE */
#define MMU_MAIR_IDX_NORMAL 1       /* Normal, write-back */

/* The pool below level 0. The first GiB's level-1 table; for RAM, as
 * when the walk started at level 1, two tables (levels 2 and 3) at each
 * unaligned end of a region and two spare in case RAM is carved out of
 * the device GiB, and a level-1 table for a region beyond 512 GiB; for a
 * device region in a 512 GiB entry of its own, its level-1 table and two
 * at each end. */
#define MMU_TABLES_PER_RAM    5
#define MMU_TABLES_PER_DEVICE 5
#define MMU_TABLES (1 + MMU_TABLES_PER_RAM * BOARD_MAX_MEMORY + 2 + \
		    MMU_TABLES_PER_DEVICE * BOARD_MAX_DEVICE)

struct mmu_tables {
	uint64_t l0[MMU_TABLE_ENTRIES] __attribute__((aligned(MMU_PAGE_BYTES)));
	uint64_t pool[MMU_TABLES][MMU_TABLE_ENTRIES] __attribute__((aligned(MMU_PAGE_BYTES)));
	unsigned used;              /* pool tables handed out */
};

/* Fill zeroed tables: the first GiB as device memory, then RAM, then the
 * device regions, each with pa_bits of physical address (mmu_pa_bits).
 * device_result[i] and the return value as mmu_init's (boot/mmu.h). */
int mmu_tables_build(struct mmu_tables *tables, unsigned pa_bits,
		     const struct board_region *ram, unsigned ram_count,
		     const struct board_region *device, unsigned device_count,
		     int *device_result);

#endif
