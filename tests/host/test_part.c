/* SPDX-License-Identifier: MIT */
/*
 * GPT partitions through the real driver on the fake device: the table
 * read with vblk_read (vblk_gpt_read_disk), at 512-byte and 4 KiB logical
 * blocks, and partition handles whose reads and writes land at the
 * partition's sectors and are refused with -VBLK_ERANGE, before any
 * request reaches the device, when they reach past its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "disk_fixture.h"
#include "fake_virtio.h"
#include "gpt_image.h"
#include "vblk/gpt.h"
#include "vblk/vblk.h"

#define DISK_SECTORS 2048u   /* the fake's default, 1 MiB */

static struct vblk_gpt gpt;
static uint8_t buf[16 * 1024] VBLK_ALIGNED;
static uint8_t before[DISK_SECTORS * VBLK_SECTOR_SIZE];

/* "boot" 34..133, "kernel" 134..1133 and "root" 1134..2013 at 512-byte
 * blocks; the same LBAs divided by 8 (less the arrays) at 4 KiB. */
static const struct gpt_image_part parts_512[] = {
	{ .entry_index = 0, .first_lba = 34, .last_lba = 133, .type = VBLK_GPT_TYPE_EFI_SYSTEM,
	  .name = "boot" },
	{ .entry_index = 1, .first_lba = 134, .last_lba = 1133, .type = VBLK_GPT_TYPE_LINUX_DATA,
	  .name = "kernel" },
	{ .entry_index = 3, .first_lba = 1134, .last_lba = 2013, .type = VBLK_GPT_TYPE_LINUX_DATA,
	  .name = "root" },
};
static const struct gpt_image_part parts_4k[] = {
	{ .entry_index = 0, .first_lba = 6, .last_lba = 99, .type = VBLK_GPT_TYPE_LINUX_DATA,
	  .name = "kernel" },
	{ .entry_index = 1, .first_lba = 100, .last_lba = 250, .type = VBLK_GPT_TYPE_LINUX_DATA,
	  .name = "root" },
};

/* Every sector of the fake disk a pattern of its own, then the table. */
static void write_table(uint32_t block_bytes, const struct gpt_image_part *parts, unsigned n)
{
	uint8_t *mem = fake_virtio_disk(fv);
	for (size_t i = 0; i < DISK_SECTORS * VBLK_SECTOR_SIZE; i++)
		mem[i] = (uint8_t)(i / VBLK_SECTOR_SIZE * 7u + i);
	struct gpt_image_layout layout = { block_bytes, DISK_SECTORS * VBLK_SECTOR_SIZE / block_bytes,
					   0, 0 };
	uint64_t array_blocks = gpt_image_array_blocks(&layout);
	memset(mem, 0, (2 + array_blocks) * block_bytes);
	memset(mem + (layout.nblocks - 1 - array_blocks) * block_bytes, 0,
	       (1 + array_blocks) * block_bytes);
	gpt_image_build(mem, &layout, parts, n);
	memcpy(before, mem, sizeof(before));
}

static void open_named(struct vblk_part *part, const char *name)
{
	assert_int_equal(vblk_part_open(part, disk, &gpt, vblk_gpt_find_name(&gpt, name)), 0);
}

static void expect_disk_unchanged(void)
{
	assert_memory_equal(fake_virtio_disk(fv), before, sizeof(before));
}

static void test_table_is_read_through_the_driver(void **state)
{
	attach_ok(state, NULL);
	write_table(512, parts_512, 3);
	assert_int_equal(vblk_gpt_read_disk(disk, &gpt), 0);
	assert_false(gpt.from_backup);
	assert_int_equal(gpt.backup_defect, VBLK_GPT_SOUND);
	assert_int_equal(gpt.nblocks, DISK_SECTORS);
	assert_int_equal(gpt.nparts, 3);
	assert_int_equal(vblk_gpt_find_name(&gpt, "root")->entry_index, 3);
}

static void test_disk_without_a_table_has_no_gpt(void **state)
{
	attach_ok(state, NULL);
	assert_int_equal(vblk_gpt_read_disk(disk, &gpt), -VBLK_ENOGPT);
	assert_int_equal(vblk_gpt_read_disk(NULL, &gpt), -VBLK_EINVAL);
	assert_int_equal(vblk_gpt_read_disk(disk, NULL), -VBLK_EINVAL);
}

static void test_partition_reads_and_writes_its_own_sectors(void **state)
{
	struct vblk_part kernel;
	attach_ok(state, NULL);
	write_table(512, parts_512, 3);
	assert_int_equal(vblk_gpt_read_disk(disk, &gpt), 0);
	open_named(&kernel, "kernel");
	assert_int_equal(kernel.first_sector, 134);
	assert_int_equal(kernel.nsectors, 1000);

	assert_int_equal(vblk_part_read(&kernel, 0, buf, 16), 0);
	assert_memory_equal(buf, before + 134 * 512, 16 * 512);
	memset(buf, 0x5a, 4 * 512);
	assert_int_equal(vblk_part_write(&kernel, 996, buf, 4), 0);   /* its last 4 */
	assert_memory_equal(fake_virtio_disk(fv) + 1130 * 512, buf, 4 * 512);
	memcpy(before + 1130 * 512, buf, 4 * 512);
	expect_disk_unchanged();                                       /* and no more */
}

/* Past the end, reaching past it, or wrapping: refused, nothing sent. */
static void test_partition_io_past_its_end_is_refused_before_the_device(void **state)
{
	static const struct { uint64_t sector; uint32_t nsectors; } outside[] = {
		{ 1000, 1 }, { 999, 2 }, { 0, 1001 }, { 1001, 1 },
		{ UINT64_MAX, 1 }, { UINT64_MAX - 3, 8 }, { 1ull << 63, 16 },
	};
	struct vblk_part kernel;
	attach_ok(state, NULL);
	write_table(512, parts_512, 3);
	assert_int_equal(vblk_gpt_read_disk(disk, &gpt), 0);
	open_named(&kernel, "kernel");
	uint32_t requests = fake_virtio_stats(fv)->requests;

	memset(buf, 0xee, sizeof(buf));
	for (unsigned i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		assert_int_equal(vblk_part_write(&kernel, outside[i].sector, buf, outside[i].nsectors),
				 -VBLK_ERANGE);
		assert_int_equal(vblk_part_read(&kernel, outside[i].sector, buf, outside[i].nsectors),
				 -VBLK_ERANGE);
		uint64_t disk_sector = 0;
		assert_int_equal(vblk_part_disk_sector(&kernel, outside[i].sector,
						       outside[i].nsectors, &disk_sector),
				 -VBLK_ERANGE);
		assert_int_equal(disk_sector, 0);
	}
	assert_int_equal(fake_virtio_stats(fv)->requests, requests);
	expect_disk_unchanged();
}

static void test_partition_handle_needs_a_partition(void **state)
{
	struct vblk_part part;
	uint64_t disk_sector;
	attach_ok(state, NULL);
	write_table(512, parts_512, 3);
	assert_int_equal(vblk_gpt_read_disk(disk, &gpt), 0);
	/* A failed find goes straight in. */
	assert_int_equal(vblk_part_open(&part, disk, &gpt, vblk_gpt_find_name(&gpt, "swap")),
			 -VBLK_EINVAL);
	assert_int_equal(vblk_part_open(NULL, disk, &gpt, &gpt.parts[0]), -VBLK_EINVAL);
	assert_int_equal(vblk_part_open(&part, NULL, &gpt, &gpt.parts[0]), -VBLK_EINVAL);
	/* An entry the disk does not hold. */
	struct vblk_gpt_part beyond = gpt.parts[0];
	beyond.last_lba = DISK_SECTORS;
	assert_int_equal(vblk_part_open(&part, disk, &gpt, &beyond), -VBLK_EINVAL);
	assert_int_equal(vblk_part_read(NULL, 0, buf, 1), -VBLK_EINVAL);
	assert_int_equal(vblk_part_disk_sector(NULL, 0, 1, &disk_sector), -VBLK_EINVAL);
	open_named(&part, "root");
	assert_int_equal(vblk_part_disk_sector(&part, 10, 6, &disk_sector), 0);
	assert_int_equal(disk_sector, 1144);
}

/* GPT LBAs are logical blocks: at 4 KiB, LBA n is sector 8n, and the
 * disk's own rule (whole blocks) holds inside a partition too. */
static void test_4k_partition_counts_sectors_of_its_blocks(void **state)
{
	struct vblk_part root;
	attach_ok(state, block_4k);
	write_table(4096, parts_4k, 2);
	assert_int_equal(vblk_gpt_read_disk(disk, &gpt), 0);
	assert_int_equal(gpt.block_bytes, 4096);
	assert_int_equal(gpt.nblocks, DISK_SECTORS / 8);
	open_named(&root, "root");
	assert_int_equal(root.first_sector, 800);
	assert_int_equal(root.nsectors, 151 * 8);

	assert_int_equal(vblk_part_read(&root, 8, buf, 16), 0);
	assert_memory_equal(buf, before + 808 * 512, 16 * 512);
	assert_int_equal(vblk_part_read(&root, 1, buf, 8), -VBLK_EALIGN);
	memset(buf, 0x77, 8 * 512);
	assert_int_equal(vblk_part_write(&root, 151 * 8 - 8, buf, 8), 0);
	memcpy(before + (800 + 151 * 8 - 8) * 512, buf, 8 * 512);
	assert_int_equal(vblk_part_write(&root, 151 * 8, buf, 8), -VBLK_ERANGE);
	expect_disk_unchanged();
}

#define MODERN(name) { #name, name, disk_setup, disk_teardown, (void *)2 }

int main(void)
{
	const struct CMUnitTest tests[] = {
		MODERN(test_table_is_read_through_the_driver),
		MODERN(test_disk_without_a_table_has_no_gpt),
		MODERN(test_partition_reads_and_writes_its_own_sectors),
		MODERN(test_partition_io_past_its_end_is_refused_before_the_device),
		MODERN(test_partition_handle_needs_a_partition),
		MODERN(test_4k_partition_counts_sectors_of_its_blocks),
	};
	return cmocka_run_group_tests_name("part", tests, NULL, NULL);
}
