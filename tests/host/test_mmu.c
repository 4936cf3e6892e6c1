/* SPDX-License-Identifier: MIT */
/*
 * The runtime's identity map (boot/mmu_tables.c), built on the host and
 * walked here as the MMU would walk it (Arm ARM D8, 4 KiB granule, 48-bit
 * addresses, the walk starting at level 0): what each address translates
 * to, at which level, with which attributes, and how many tables it took.
 *
 * The board is QEMU virt's unless a test says otherwise: 128 MiB of RAM at
 * 1 GiB; with highmem the PCI ECAM at 256 GiB + 256 MiB, the 32-bit
 * window in the first GiB and the 64-bit window at 512 GiB
 * (tests/host/test_fdt.c checks the board parser gives exactly these).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/mmu_tables.h"
#include "vblk/error.h"

#define KIB            1024ull
#define MIB            (1024ull * KIB)
#define GIB            (1024ull * MIB)

/* Descriptor fields, decoded independently of the builder (Arm ARM D8.3). */
#define DESC_VALID      0x1ull
#define DESC_TYPE_MASK  0x3ull
#define DESC_TABLE      0x3ull         /* levels 0-2; a page at level 3 */
#define DESC_BLOCK      0x1ull         /* levels 1-2 */
#define DESC_ADDR_MASK  0x0000fffffffff000ull
#define DESC_ATTR_INDEX(desc) (((desc) >> 2) & 0x7u)
#define DESC_SH(desc)   (((desc) >> 8) & 0x3u)
#define DESC_AP(desc)   (((desc) >> 6) & 0x3u)
#define DESC_AF         (1ull << 10)
#define DESC_PXN        (1ull << 53)
#define DESC_UXN        (1ull << 54)
#define SH_INNER        3u

#define PA_BITS_A53     40u            /* cortex-a53's PARange */

static const struct board_region virt_ram = { 1 * GIB, 128 * MIB };
static const struct board_region virt_ecam = { 0x4010000000ull, 256 * MIB };
static const struct board_region virt_mem32 = { 0x10000000ull, 0x2eff0000ull };
static const struct board_region virt_mem64 = { 0x8000000000ull, 512 * GIB };

static struct mmu_tables *tables;

static int setup(void **state)
{
	(void)state;
	tables = aligned_alloc(MMU_PAGE_BYTES, sizeof(*tables));
	if (tables == NULL)
		return -1;
	memset(tables, 0, sizeof(*tables));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(tables);
	return 0;
}

struct leaf {
	unsigned level;     /* 1 or 2: a block, 3: a page */
	uint64_t desc;
};

/* The walk the MMU does for `addr`: true with the leaf if it is mapped.
 * Every leaf must map addr to itself. */
static bool lookup(uint64_t addr, struct leaf *leaf)
{
	const uint64_t *table = tables->l0;

	for (unsigned level = 0; level <= 3; level++) {
		unsigned shift = 39 - 9 * level;
		uint64_t desc = table[(addr >> shift) % MMU_TABLE_ENTRIES];
		uint64_t block_bytes = 1ull << shift;

		if (!(desc & DESC_VALID))
			return false;
		if (level < 3 && (desc & DESC_TYPE_MASK) == DESC_TABLE) {
			table = (const uint64_t *)(uintptr_t)(desc & DESC_ADDR_MASK);
			continue;
		}
		/* No blocks at level 0; 0b01 at level 3 is reserved. */
		assert_true(level != 0);
		assert_true(level != 3 || (desc & DESC_TYPE_MASK) == DESC_TABLE);
		assert_true(level == 3 || (desc & DESC_TYPE_MASK) == DESC_BLOCK);
		assert_int_equal(desc & DESC_ADDR_MASK & ~(block_bytes - 1),
				 addr & ~(block_bytes - 1));
		leaf->level = level;
		leaf->desc = desc;
		return true;
	}
	return false;
}

static void assert_unmapped(uint64_t addr)
{
	struct leaf leaf;

	if (lookup(addr, &leaf))
		fail_msg("0x%llx is mapped (level %u)", (unsigned long long)addr, leaf.level);
}

/* Device-nGnRnE, never executable, at `level`. */
static void assert_device(uint64_t addr, unsigned level)
{
	struct leaf leaf;

	if (!lookup(addr, &leaf))
		fail_msg("0x%llx is not mapped", (unsigned long long)addr);
	assert_int_equal(leaf.level, level);
	assert_int_equal(DESC_ATTR_INDEX(leaf.desc), MMU_MAIR_IDX_DEVICE);
	assert_true(leaf.desc & DESC_PXN);
	assert_true(leaf.desc & DESC_UXN);
	assert_true(leaf.desc & DESC_AF);
	assert_int_equal(DESC_AP(leaf.desc), 0);
}

/* Normal write-back, inner shareable, executable at EL1 only, at `level`. */
static void assert_ram(uint64_t addr, unsigned level)
{
	struct leaf leaf;

	if (!lookup(addr, &leaf))
		fail_msg("0x%llx is not mapped", (unsigned long long)addr);
	assert_int_equal(leaf.level, level);
	assert_int_equal(DESC_ATTR_INDEX(leaf.desc), MMU_MAIR_IDX_NORMAL);
	assert_int_equal(DESC_SH(leaf.desc), SH_INNER);
	assert_false(leaf.desc & DESC_PXN);
	assert_true(leaf.desc & DESC_UXN);
	assert_true(leaf.desc & DESC_AF);
	assert_int_equal(DESC_AP(leaf.desc), 0);
}

static int build(unsigned pa_bits, const struct board_region *ram, unsigned ram_count,
		 const struct board_region *device, unsigned device_count, int *device_result)
{
	return mmu_tables_build(tables, pa_bits, ram, ram_count, device, device_count,
				device_result);
}

static void test_first_gib_is_one_device_block_and_ram_2mib_blocks(void **state)
{
	(void)state;
	assert_int_equal(build(PA_BITS_A53, &virt_ram, 1, NULL, 0, NULL), 0);
	assert_device(0, 1);
	assert_device(virt_mem32.base, 1);
	assert_device(1 * GIB - 1, 1);
	assert_ram(1 * GIB, 2);
	assert_ram(1 * GIB + 128 * MIB - 1, 2);
	assert_unmapped(1 * GIB + 128 * MIB);
	assert_unmapped(virt_ecam.base);
	assert_unmapped(virt_mem64.base);
	/* The first GiB's level-1 table, RAM's level-2 table. */
	assert_int_equal(tables->used, 2);
}

static void test_qemu_virt_pci_windows_are_mapped_with_the_largest_blocks(void **state)
{
	const struct board_region device[] = { virt_ecam, virt_mem32, virt_mem64 };
	int result[3] = { -1, -1, -1 };

	(void)state;
	assert_int_equal(build(PA_BITS_A53, &virt_ram, 1, device, 3, result), 0);
	assert_int_equal(result[0], 0);
	assert_int_equal(result[1], 0);
	assert_int_equal(result[2], 0);
	assert_unmapped(virt_ecam.base - 1);
	assert_device(virt_ecam.base, 2);
	assert_device(virt_ecam.base + virt_ecam.size_bytes - 1, 2);
	assert_unmapped(virt_ecam.base + virt_ecam.size_bytes);
	assert_device(virt_mem32.base + virt_mem32.size_bytes - 1, 1);
	assert_unmapped(virt_mem64.base - 1);
	assert_device(virt_mem64.base, 1);
	assert_device(virt_mem64.base + virt_mem64.size_bytes - 1, 1);
	/* RAM as without the windows. */
	assert_ram(1 * GIB, 2);
	assert_ram(1 * GIB + 128 * MIB - 1, 2);
	/* + the ECAM's level-2 table and the 64-bit window's level-1 table. */
	assert_int_equal(tables->used, 4);
}

static void test_highmem_off_regions_in_the_first_gib_take_no_tables(void **state)
{
	const struct board_region device[] = { { 0x3f000000ull, 16 * MIB }, virt_mem32 };
	int result[2] = { -1, -1 };

	(void)state;
	assert_int_equal(build(PA_BITS_A53, &virt_ram, 1, device, 2, result), 0);
	assert_int_equal(result[0], 0);
	assert_int_equal(result[1], 0);
	assert_device(0x3f000000ull + 16 * MIB - 1, 1);
	assert_int_equal(tables->used, 2);
}

static void test_window_past_the_physical_range_is_refused_and_unmapped(void **state)
{
	const struct board_region device[] = {
		{ 1ull << PA_BITS_A53, 512 * GIB },            /* at 1 TiB */
		{ (1ull << PA_BITS_A53) - 4 * KIB, 8 * KIB },  /* across it */
	};
	int result[2] = { -1, -1 };

	(void)state;
	assert_int_equal(build(PA_BITS_A53, &virt_ram, 1, device, 2, result), 0);
	assert_int_equal(result[0], -VBLK_ERANGE);
	assert_int_equal(result[1], -VBLK_ERANGE);
	assert_unmapped(1ull << PA_BITS_A53);
	assert_unmapped((1ull << PA_BITS_A53) - 4 * KIB);
	assert_int_equal(tables->used, 2);
}

static void test_window_inside_a_wider_physical_range_is_mapped(void **state)
{
	const struct board_region device[] = { { 1ull << PA_BITS_A53, 512 * GIB } };
	int result[1] = { -1 };

	(void)state;
	/* cortex-a57's 44 bits reach the same window at 1 TiB. */
	assert_int_equal(build(44, &virt_ram, 1, device, 1, result), 0);
	assert_int_equal(result[0], 0);
	assert_device(1ull << PA_BITS_A53, 1);
	assert_device((1ull << PA_BITS_A53) + 512 * GIB - 1, 1);
}

static void test_region_overlapping_ram_is_refused_and_ram_unchanged(void **state)
{
	const struct board_region device[] = {
		{ 1 * GIB + 64 * MIB, 2 * MIB },               /* inside RAM */
		{ 512 * MIB, 768 * MIB },                      /* across RAM's start */
	};
	int result[2] = { -1, -1 };

	(void)state;
	assert_int_equal(build(PA_BITS_A53, &virt_ram, 1, device, 2, result), 0);
	assert_int_equal(result[0], -VBLK_EINVAL);
	assert_int_equal(result[1], -VBLK_EINVAL);
	assert_ram(1 * GIB, 2);
	assert_ram(1 * GIB + 64 * MIB, 2);
	assert_unmapped(1 * GIB + 128 * MIB);
}

static void test_empty_or_wrapping_region_is_refused(void **state)
{
	const struct board_region device[] = {
		{ 0x5000000000ull, 0 },
		{ UINT64_MAX - 4 * KIB + 1, 8 * KIB },
	};
	int result[2] = { -1, -1 };

	(void)state;
	assert_int_equal(build(PA_BITS_A53, &virt_ram, 1, device, 2, result), 0);
	assert_int_equal(result[0], -VBLK_EINVAL);
	assert_int_equal(result[1], -VBLK_EINVAL);
	assert_int_equal(tables->used, 2);
}

static void test_unaligned_region_is_widened_to_whole_pages(void **state)
{
	const struct board_region device[] = { { 0x5000000800ull, 4 * KIB } };
	int result[1] = { -1 };

	(void)state;
	assert_int_equal(build(PA_BITS_A53, &virt_ram, 1, device, 1, result), 0);
	assert_int_equal(result[0], 0);
	assert_unmapped(0x5000000000ull - 1);
	assert_device(0x5000000000ull, 3);
	assert_device(0x5000001fffull, 3);
	assert_unmapped(0x5000002000ull);
}

/*
 * RAM that takes most of the pool: four regions, each across five 512 GiB
 * entries with unaligned ends (5 level-1 tables, 2 level-2, 2 level-3).
 * A device region that might not fit what is left is refused before any
 * of it is written; one that fits is still mapped.
 */
static void test_region_the_pool_cannot_hold_is_refused_whole(void **state)
{
	struct board_region ram[BOARD_MAX_MEMORY];
	const struct board_region device[] = {
		{ 0x300000001000ull, 2 * GIB },                /* needs 5 */
		{ 0x400000000000ull, 1 * GIB },                /* needs 1 */
	};
	int result[2] = { -1, -1 };
	unsigned used;

	(void)state;
	for (unsigned i = 0; i < BOARD_MAX_MEMORY; i++)
		ram[i] = (struct board_region){ ((uint64_t)(1 + 5 * i) << 39) + 4 * KIB,
						(5ull << 39) - 8 * KIB };
	assert_int_equal(build(48, ram, BOARD_MAX_MEMORY, NULL, 0, NULL), 0);
	used = tables->used;
	assert_int_equal(used, 1 + BOARD_MAX_MEMORY * 9);
	assert_true(MMU_TABLES - used < 5);
	memset(tables, 0, sizeof(*tables));

	assert_int_equal(build(48, ram, BOARD_MAX_MEMORY, device, 2, result), 0);
	assert_int_equal(result[0], -VBLK_ENOMEM);
	assert_unmapped(device[0].base);
	assert_unmapped(device[0].base + device[0].size_bytes - 1);
	assert_int_equal(result[1], 0);
	assert_device(device[1].base, 1);
	assert_int_equal(tables->used, used + 1);
}

static void test_ram_the_pool_cannot_hold_is_reported(void **state)
{
	struct board_region ram[BOARD_MAX_MEMORY];

	(void)state;
	/* Four regions of 20 512 GiB entries each: more level-1 tables than
	 * the pool has. What fits is mapped; the call says some is not. */
	for (unsigned i = 0; i < BOARD_MAX_MEMORY; i++)
		ram[i] = (struct board_region){ ((uint64_t)(1 + 20 * i) << 39) + 4 * KIB,
						20ull << 39 };
	assert_int_equal(build(48, ram, BOARD_MAX_MEMORY, NULL, 0, NULL), -VBLK_ENOMEM);
	assert_int_equal(tables->used, MMU_TABLES);
	assert_ram(ram[0].base, 3);
}

static void test_ram_past_the_physical_range_is_clipped(void **state)
{
	const struct board_region ram[] = { { (1ull << PA_BITS_A53) - 1 * GIB, 2 * GIB } };

	(void)state;
	assert_int_equal(build(PA_BITS_A53, ram, 1, NULL, 0, NULL), 0);
	assert_ram((1ull << PA_BITS_A53) - 1, 1);
	assert_unmapped(1ull << PA_BITS_A53);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_first_gib_is_one_device_block_and_ram_2mib_blocks),
		TEST(test_qemu_virt_pci_windows_are_mapped_with_the_largest_blocks),
		TEST(test_highmem_off_regions_in_the_first_gib_take_no_tables),
		TEST(test_window_past_the_physical_range_is_refused_and_unmapped),
		TEST(test_window_inside_a_wider_physical_range_is_mapped),
		TEST(test_region_overlapping_ram_is_refused_and_ram_unchanged),
		TEST(test_empty_or_wrapping_region_is_refused),
		TEST(test_unaligned_region_is_widened_to_whole_pages),
		TEST(test_region_the_pool_cannot_hold_is_refused_whole),
		TEST(test_ram_the_pool_cannot_hold_is_reported),
		TEST(test_ram_past_the_physical_range_is_clipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
