/* SPDX-License-Identifier: MIT */
/*
 * The bootloader's arithmetic (examples/bootloader/image.c), on the host:
 * the arm64 Image header (Linux Documentation/arch/arm64/booting.rst) and
 * where the kernel, the initrd and the device tree go. The layouts are
 * QEMU virt's: RAM at 1 GiB, the bootloader linked at RAM + 2 MiB, the
 * tree QEMU gave at the start of RAM (ELF boot) or at RAM + 128 MiB
 * (Image boot).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vblk/error.h"
#include "vblk/fdt_edit.h"
#include "examples/bootloader/bootloader.h"
#include "fdt_write_util.h"

#define RAM_BASE      0x40000000ull
#define RAM_END_512M  (RAM_BASE + 512ull * MIB)
#define LOADER_BASE   (RAM_BASE + 2 * MIB)
#define LOADER_BYTES  0x1a0000ull
#define DEBIAN_IMAGE_SIZE 0x2010000ull   /* 6.1.0-57-arm64's header */

static void put_le64(uint8_t *at, uint64_t value)
{
	for (unsigned i = 0; i < 8; i++)
		at[i] = (uint8_t)(value >> (8 * i));
}

static void make_header(uint8_t *header, uint64_t text_offset, uint64_t image_size,
			uint64_t flags)
{
	memset(header, 0, ARM64_IMAGE_HEADER_BYTES);
	put_le64(header + 8, text_offset);
	put_le64(header + 16, image_size);
	put_le64(header + 24, flags);
	memcpy(header + 56, "ARM\x64", 4);
}

static void test_header_fields_read_little_endian(void **state)
{
	(void)state;
	uint8_t header[ARM64_IMAGE_HEADER_BYTES];
	struct arm64_image image;

	make_header(header, 0, DEBIAN_IMAGE_SIZE, 0xa);
	assert_int_equal(arm64_image_parse(header, 32956352, &image), 0);
	assert_int_equal(image.text_offset, 0);
	assert_int_equal(image.image_size, DEBIAN_IMAGE_SIZE);
	assert_int_equal(image.flags, 0xa);
}

static void test_header_refused_without_magic_or_big_endian(void **state)
{
	(void)state;
	uint8_t header[ARM64_IMAGE_HEADER_BYTES];
	struct arm64_image image;

	make_header(header, 0, DEBIAN_IMAGE_SIZE, 0x1);   /* bit 0: big-endian */
	assert_int_equal(arm64_image_parse(header, 1 * MIB, &image), -VBLK_EINVAL);
	make_header(header, 0, DEBIAN_IMAGE_SIZE, 0xa);
	header[59] = 0;                                     /* "ARM\0" */
	assert_int_equal(arm64_image_parse(header, 1 * MIB, &image), -VBLK_EINVAL);
}

static void test_old_header_gets_booting_rst_defaults(void **state)
{
	(void)state;
	uint8_t header[ARM64_IMAGE_HEADER_BYTES];
	struct arm64_image image;

	make_header(header, 0x1234, 0, 0);   /* before v3.17: image_size 0 */
	assert_int_equal(arm64_image_parse(header, 5 * MIB, &image), 0);
	assert_int_equal(image.text_offset, 0x80000);
	assert_int_equal(image.image_size, 5 * MIB);
}

static const struct arm64_image debian = { 0, DEBIAN_IMAGE_SIZE, 0xa };

static void test_elf_boot_layout(void **state)
{
	(void)state;
	const struct boot_region reserved[] = {
		{ LOADER_BASE, LOADER_BYTES },
		{ RAM_BASE, 7510 },                       /* QEMU's tree */
	};
	struct boot_plan plan;

	assert_int_equal(boot_plan_make(&plan, LOADER_BASE, RAM_END_512M, reserved, 2, &debian,
					32956416, 2048, 7510 + 3072), 0);
	/* the first 2 MiB boundary past the bootloader */
	assert_int_equal(plan.kernel_base, RAM_BASE + 4 * MIB);
	assert_int_equal(plan.kernel_entry, plan.kernel_base);
	/* the initrd after the kernel's image_size, the tree after that */
	assert_int_equal(plan.initrd.base, plan.kernel_base + DEBIAN_IMAGE_SIZE);
	assert_int_equal(plan.initrd.bytes, 2048);
	assert_int_equal(plan.dtb.base, plan.initrd.base + 4096);
	assert_int_equal(plan.dtb.bytes, 7510 + 3072);
}

static void test_text_offset_added_to_the_2mib_base(void **state)
{
	(void)state;
	const struct arm64_image old = { 0x80000, 12 * MIB, 0x2 };
	struct boot_plan plan;

	assert_int_equal(boot_plan_make(&plan, LOADER_BASE, RAM_END_512M, NULL, 0, &old,
					10 * MIB, 0, 8192), 0);
	assert_int_equal(plan.kernel_base % (2 * MIB), 0);
	assert_int_equal(plan.kernel_entry, plan.kernel_base + 0x80000);
	assert_int_equal(plan.initrd.bytes, 0);
	assert_int_equal(plan.dtb.base, plan.kernel_entry + 12 * MIB);
}

static void test_large_initrd_skips_the_image_boot_tree(void **state)
{
	(void)state;
	/* QEMU's Image path puts the tree at RAM + 128 MiB. */
	const struct boot_region reserved[] = {
		{ LOADER_BASE, LOADER_BYTES },
		{ RAM_BASE + 128 * MIB, 8192 },
	};
	struct boot_plan plan;

	assert_int_equal(boot_plan_make(&plan, LOADER_BASE, RAM_END_512M, reserved, 2, &debian,
					DEBIAN_IMAGE_SIZE, 100 * MIB, 16384), 0);
	assert_true(plan.initrd.base >= RAM_BASE + 128 * MIB + 8192);
	assert_int_equal(plan.initrd.base % 4096, 0);
	assert_int_equal(plan.dtb.base, plan.initrd.base + 100 * MIB);
}

static void test_load_rounded_past_image_size_is_the_kernels(void **state)
{
	(void)state;
	const struct arm64_image small = { 0, 4 * MIB, 0xa };
	struct boot_plan plan;

	/* the load, rounded to whole blocks, reaches past image_size */
	assert_int_equal(boot_plan_make(&plan, LOADER_BASE, RAM_END_512M, NULL, 0, &small,
					4 * MIB + 512, 4096, 4096), 0);
	assert_true(plan.initrd.base >= plan.kernel_entry + 4 * MIB + 512);
}

static void test_not_enough_ram(void **state)
{
	(void)state;
	struct boot_plan plan;

	assert_int_equal(boot_plan_make(&plan, LOADER_BASE, RAM_BASE + 32 * MIB, NULL, 0, &debian,
					DEBIAN_IMAGE_SIZE, 0, 8192), -VBLK_ERANGE);
	assert_int_equal(boot_plan_make(&plan, LOADER_BASE, RAM_BASE + 64 * MIB, NULL, 0, &debian,
					DEBIAN_IMAGE_SIZE, 64 * MIB, 8192), -VBLK_ERANGE);
	/* exactly enough: the tree's last byte is RAM's */
	assert_int_equal(boot_plan_make(&plan, RAM_BASE, RAM_BASE + DEBIAN_IMAGE_SIZE + 8192, NULL,
					0, &debian, DEBIAN_IMAGE_SIZE, 0, 8192), 0);
	assert_int_equal(plan.dtb.base + plan.dtb.bytes, RAM_BASE + DEBIAN_IMAGE_SIZE + 8192);
}

static bool overlap(uint64_t a, uint64_t a_bytes, uint64_t b, uint64_t b_bytes)
{
	return a < b + b_bytes && b < a + a_bytes;
}

/* Whatever the reserved regions, a plan never overlaps one of them or
 * itself, stays in RAM and keeps its alignments. */
static void test_plans_clear_of_reserved_regions(void **state)
{
	(void)state;
	uint64_t seed = 12345;

	for (unsigned trial = 0; trial < 2000; trial++) {
		struct boot_region reserved[3];
		struct boot_plan plan;
		uint64_t initrd;

		for (unsigned i = 0; i < 3; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			reserved[i].base = RAM_BASE + (seed >> 33) % (256 * MIB);
			reserved[i].bytes = 1 + (seed >> 20) % (40 * MIB);
		}
		initrd = (seed >> 40) % (64 * MIB);
		if (boot_plan_make(&plan, LOADER_BASE, RAM_END_512M, reserved, 3, &debian,
				   DEBIAN_IMAGE_SIZE, initrd, 12288) != 0)
			continue;
		const struct boot_region mine[] = {
			{ plan.kernel_base, DEBIAN_IMAGE_SIZE }, plan.initrd, plan.dtb,
		};
		assert_int_equal(plan.kernel_base % (2 * MIB), 0);
		assert_int_equal(plan.dtb.base % 8, 0);
		for (unsigned m = 0; m < 3; m++) {
			assert_true(mine[m].base + mine[m].bytes <= RAM_END_512M);
			for (unsigned r = 0; r < 3; r++)
				assert_false(overlap(mine[m].base, mine[m].bytes, reserved[r].base,
						     reserved[r].bytes));
			for (unsigned o = m + 1; o < 3; o++)
				assert_false(overlap(mine[m].base, mine[m].bytes, mine[o].base,
						     mine[o].bytes));
		}
	}
}

/* A header whose text_offset and image_size pass 2^64 between them is
 * refused: their wrapped sum planned a region shorter than the load,
 * which then went over the bootloader itself. */
static void test_sizes_that_wrap_are_refused(void **state)
{
	(void)state;
	const struct boot_region reserved[] = {
		{ LOADER_BASE, LOADER_BYTES },
		{ RAM_BASE, 7510 },
	};
	const struct arm64_image huge_size = { 0x80000, 0ull - 0x80000, 0xa };
	const struct arm64_image huge_offset = { 0ull - 0x100000, 0x200000, 0xa };
	struct boot_plan plan;

	assert_int_equal(boot_plan_make(&plan, LOADER_BASE, RAM_END_512M, reserved, 2, &huge_size,
					32 * MIB, 2048, 10582), -VBLK_ERANGE);
	assert_int_equal(boot_plan_make(&plan, LOADER_BASE, RAM_END_512M, reserved, 2,
					&huge_offset, 0x200000, 2048, 10582), -VBLK_ERANGE);
}

/* Without an initrd, /chosen says none (start = end = 0), even where the
 * tree QEMU wrote named its own -initrd: that memory was not kept clear,
 * and Linux would unpack whatever the kernel was loaded over. */
static void test_no_initrd_overrides_the_trees(void **state)
{
	(void)state;
	struct build_spec spec = { 0 };
	struct blob qemu = build_blob(&spec, 512);
	static uint8_t dest[16384];
	uint32_t len;

	assert_int_equal(vblk_fdt_add_node(qemu.bytes, qemu.max, "/chosen"), 0);
	assert_int_equal(vblk_fdt_set_u64(qemu.bytes, qemu.max, "/chosen", "linux,initrd-start",
					  0x48000000), 0);
	assert_int_equal(vblk_fdt_set_u64(qemu.bytes, qemu.max, "/chosen", "linux,initrd-end",
					  0x48600000), 0);
	int total = vblk_fdt_total_bytes(qemu.bytes, qemu.max);
	assert_true(total > 0);
	assert_int_equal(write_chosen(dest, sizeof(dest), qemu.bytes, (uint32_t)total,
				      "console=ttyAMA0", (struct boot_region){ 0, 0 }), 0);
	struct blob out = { dest, sizeof(dest), 0 };
	const uint8_t *start = blob_prop(&out, "/chosen", "linux,initrd-start", &len);
	assert_non_null(start);
	assert_int_equal(len, 8);
	assert_memory_equal(start, "\0\0\0\0\0\0\0\0", 8);
	const uint8_t *end = blob_prop(&out, "/chosen", "linux,initrd-end", &len);
	assert_non_null(end);
	assert_memory_equal(end, "\0\0\0\0\0\0\0\0", 8);
	blob_free(&qemu);
}

/* An EFI-stub Image's PE/COFF section table gives the file's length:
 * the end of the section whose raw data ends last. Anything short of a
 * whole table in the bytes given says nothing (0). */
static void put_le(uint8_t *at, uint64_t value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		at[i] = (uint8_t)(value >> (8 * i));
}

static void test_pe_header_gives_the_files_length(void **state)
{
	(void)state;
	static uint8_t header[4096];
	const uint32_t pe = 0x40, optional = 0xa0, table = pe + 24 + optional;

	memset(header, 0, sizeof(header));
	header[0] = 'M';
	header[1] = 'Z';
	put_le(header + 0x3c, pe, 4);
	memcpy(header + pe, "PE\0\0", 4);
	put_le(header + pe + 6, 2, 2);             /* two sections */
	put_le(header + pe + 20, optional, 2);
	put_le(header + table + 16, 0x1000, 4);    /* .text: 4 KiB at 0x10000 */
	put_le(header + table + 20, 0x10000, 4);
	put_le(header + table + 40 + 16, 0x1f6e000, 4);   /* .data, ending last */
	put_le(header + table + 40 + 20, 0x20000, 4);
	assert_int_equal(arm64_image_file_bytes(header, sizeof(header)), 0x1f8e000);

	/* The table past the bytes read, a PE offset beyond them, no "MZ". */
	assert_int_equal(arm64_image_file_bytes(header, table + 40), 0);
	put_le(header + 0x3c, 0xffffffff, 4);
	assert_int_equal(arm64_image_file_bytes(header, sizeof(header)), 0);
	put_le(header + 0x3c, pe, 4);
	header[0] = 'Z';
	assert_int_equal(arm64_image_file_bytes(header, sizeof(header)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_fields_read_little_endian),
		cmocka_unit_test(test_header_refused_without_magic_or_big_endian),
		cmocka_unit_test(test_old_header_gets_booting_rst_defaults),
		cmocka_unit_test(test_elf_boot_layout),
		cmocka_unit_test(test_text_offset_added_to_the_2mib_base),
		cmocka_unit_test(test_large_initrd_skips_the_image_boot_tree),
		cmocka_unit_test(test_load_rounded_past_image_size_is_the_kernels),
		cmocka_unit_test(test_not_enough_ram),
		cmocka_unit_test(test_plans_clear_of_reserved_regions),
		cmocka_unit_test(test_sizes_that_wrap_are_refused),
		cmocka_unit_test(test_no_initrd_overrides_the_trees),
		cmocka_unit_test(test_pe_header_gives_the_files_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
