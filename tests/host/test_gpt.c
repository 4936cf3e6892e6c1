/* SPDX-License-Identifier: MIT */
/*
 * The GPT reader (part/, UEFI 2.10 §5.2.3 and §5.3) on hand-made disks
 * held in memory, when the table is sound: read whole at 512-byte and
 * 4 KiB blocks, found by slot, name and type; entry sizes other than 128;
 * names in UTF-16 beyond ASCII; disks with no protective MBR. Damaged
 * copies are test_gpt_copies.c's. The reader fails the test if the
 * parser asks for any block past the disk's end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gpt_fixture.h"
#include "part/crc32.h"
#include "vblk/gpt.h"

#define LINUX VBLK_GPT_TYPE_LINUX_DATA
#define ESP VBLK_GPT_TYPE_EFI_SYSTEM

/* ---- sound tables ---------------------------------------------------- */

static void test_crc32_is_the_iso_3309_crc(void **state)
{
	(void)state;
	uint8_t bytes[1000];
	assert_int_equal(crc32_of("123456789", 9), 0xcbf43926u);
	for (unsigned i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 7u + i / 13u);
	assert_int_equal(crc32_of(bytes, sizeof(bytes)), gpt_image_crc32(bytes, sizeof(bytes)));
}

static void test_sound_table_is_read_from_the_primary(void **state)
{
	(void)state;
	fx_build_three();
	assert_int_equal(fx_parse(), 0);
	assert_false(fx_gpt.from_backup);
	assert_int_equal(fx_gpt.primary_defect, VBLK_GPT_SOUND);
	assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_SOUND);
	assert_int_equal(fx_gpt.first_usable_lba, 34);
	assert_int_equal(fx_gpt.last_usable_lba, FX_NBLOCKS - 34);
	assert_int_equal(fx_gpt.disk_guid.bytes[0], 0x10);
	fx_expect_three_parts();
	/* MBR, header, 16 KiB of array in one read, the backup's header,
	 * the backup's array (for its CRC) in one read. */
	assert_int_equal(fx_disk.reads, 5);
}

static void test_partitions_are_found_by_slot_name_and_type(void **state)
{
	(void)state;
	fx_build_three();
	assert_int_equal(fx_parse(), 0);
	assert_ptr_equal(vblk_gpt_entry(&fx_gpt, 3), &fx_gpt.parts[2]);
	assert_null(vblk_gpt_entry(&fx_gpt, 2));
	assert_null(vblk_gpt_entry(&fx_gpt, 128));
	assert_ptr_equal(vblk_gpt_find_type(&fx_gpt, &ESP), &fx_gpt.parts[0]);
	assert_ptr_equal(vblk_gpt_find_type(&fx_gpt, &LINUX), &fx_gpt.parts[1]);
	struct vblk_guid other = VBLK_GUID(0x12345678, 0x9abc, 0xdef0, 0x1234, 0x56789abcdef0ull);
	assert_null(vblk_gpt_find_type(&fx_gpt, &other));
	assert_null(vblk_gpt_find_name(&fx_gpt, "kern"));
	assert_null(vblk_gpt_find_name(&fx_gpt, "kernel2"));
	assert_null(vblk_gpt_find_name(&fx_gpt, "Kernel"));
	assert_null(vblk_gpt_find_name(&fx_gpt, ""));
}

/* VBLK_GUID writes the text form's fields in the disk's mixed order. */
static void test_guid_macro_stores_the_disk_byte_order(void **state)
{
	(void)state;
	static const uint8_t esp_on_disk[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
						 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };
	assert_memory_equal(ESP.bytes, esp_on_disk, 16);
}

static void test_4k_blocks_are_read_in_4k_lbas(void **state)
{
	(void)state;
	fx_new_disk(4096, 256, 0, 0);
	const struct gpt_image_part parts[] = {
		{ .entry_index = 0, .first_lba = 6, .last_lba = 99, .type = LINUX, .name = "kernel" },
		{ .entry_index = 1, .first_lba = 100, .last_lba = 250, .type = LINUX, .name = "root" },
	};
	fx_build(parts, 2);
	assert_int_equal(fx_parse(), 0);
	assert_int_equal(fx_gpt.block_bytes, 4096);
	assert_int_equal(fx_gpt.first_usable_lba, 6);
	assert_int_equal(fx_gpt.last_usable_lba, 250);
	assert_int_equal(vblk_gpt_find_name(&fx_gpt, "root")->first_lba, 100);
	/* The same table read as if its blocks were 512 bytes is no table. */
	fx_disk.layout.block_bytes = 512;
	fx_disk.layout.nblocks = 256 * 8;
	assert_int_equal(fx_parse(), -VBLK_EBADGPT);
}

/* §5.3.2: 128 x 2^n; only each entry's first 128 bytes mean anything,
 * including entries larger than the buffer the array is read through. */
static void test_entry_sizes_other_than_128_are_read(void **state)
{
	static const uint32_t shapes[][2] = { { 128, 256 }, { 64, 512 }, { 4, 128 }, { 1, 32768 } };
	const struct gpt_image_part parts[] = {
		{ .entry_index = 0, .first_lba = 100, .last_lba = 199, .type = ESP, .name = "boot" },
		{ .entry_index = 3, .first_lba = 200, .last_lba = 299, .type = LINUX, .name = "root" },
	};
	(void)state;
	for (unsigned s = 0; s < 4; s++) {
		uint32_t entries = shapes[s][0], entry_bytes = shapes[s][1];
		unsigned nparts = entries > 3 ? 2 : 1;
		fx_new_disk(512, FX_NBLOCKS, entries, entry_bytes);
		fx_build(parts, nparts);
		for (uint32_t i = 0; i < entries && entry_bytes > 128; i++)
			memset(fx_entry(1, i) + 128, 0xa5, entry_bytes - 128);
		fx_fix(1);
		assert_int_equal(fx_parse(), 0);
		assert_false(fx_gpt.from_backup);
		assert_int_equal(fx_gpt.primary_defect, VBLK_GPT_SOUND);
		assert_int_equal(fx_gpt.nparts, nparts);
		assert_ptr_equal(vblk_gpt_find_name(&fx_gpt, "boot"), &fx_gpt.parts[0]);
		assert_int_equal(fx_gpt.parts[nparts - 1].entry_index, parts[nparts - 1].entry_index);
	}
}

/* ---- names ----------------------------------------------------------- */

static void set_name_units(uint32_t index, const uint16_t *units, unsigned nunits)
{
	uint64_t headers[2] = { 1, fx_last_lba() };
	for (unsigned c = 0; c < 2; c++) {
		uint8_t *name = fx_entry(headers[c], index) + GPT_IMAGE_ENTRY_NAME;
		memset(name, 0, 2 * VBLK_GPT_NAME_UNITS);
		for (unsigned i = 0; i < nunits; i++) {
			name[2 * i] = (uint8_t)units[i];
			name[2 * i + 1] = (uint8_t)(units[i] >> 8);
		}
		fx_fix(headers[c]);
	}
}

/* A unit beyond ASCII matches nothing, even one whose low byte is an
 * ASCII letter (U+0165 is 0x65 'e' in its low byte). */
static void test_names_beyond_ascii_match_no_ascii_name(void **state)
{
	static const uint16_t e_acute[] = { 'k', 0x00e9, 'r', 'n', 'e', 'l' };
	static const uint16_t t_caron[] = { 'k', 0x0165, 'r', 'n', 'e', 'l' };
	char ascii[16];
	(void)state;
	fx_build_three();
	set_name_units(1, e_acute, 6);
	set_name_units(3, t_caron, 6);
	assert_int_equal(fx_parse(), 0);
	assert_null(vblk_gpt_find_name(&fx_gpt, "kernel"));
	assert_null(vblk_gpt_find_name(&fx_gpt, "k\xc3\xa9rnel"));  /* UTF-8 */
	assert_null(vblk_gpt_find_name(&fx_gpt, "k\xe9rnel"));      /* Latin-1 */
	assert_int_equal(vblk_gpt_name_ascii(&fx_gpt.parts[1], ascii, sizeof(ascii)), 6);
	assert_string_equal(ascii, "k?rnel");
	assert_int_equal(vblk_gpt_name_ascii(&fx_gpt.parts[1], ascii, 4), 6);
	assert_string_equal(ascii, "k?r");
}

/* A name of all 36 units has no terminator. */
static void test_name_of_36_units_matches_36_characters(void **state)
{
	const char *full = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint16_t units[VBLK_GPT_NAME_UNITS];
	(void)state;
	for (unsigned i = 0; i < VBLK_GPT_NAME_UNITS; i++)
		units[i] = (uint16_t)full[i];
	fx_build_three();
	set_name_units(3, units, VBLK_GPT_NAME_UNITS);
	assert_int_equal(fx_parse(), 0);
	assert_ptr_equal(vblk_gpt_find_name(&fx_gpt, full), &fx_gpt.parts[2]);
	assert_null(vblk_gpt_find_name(&fx_gpt, "abcdefghijklmnopqrstuvwxyz0123456789x"));
	assert_null(vblk_gpt_find_name(&fx_gpt, "abcdefghijklmnopqrstuvwxyz012345678"));
}

/* ---- no GPT, bad arguments ------------------------------------------- */

static void test_disk_without_protective_mbr_has_no_gpt(void **state)
{
	(void)state;
	fx_build_three();
	fx_block(0)[511] = 0;                          /* no 0x55AA */
	assert_int_equal(fx_parse(), -VBLK_ENOGPT);
	fx_block(0)[511] = 0xaa;
	gpt_image_put32(fx_block(0) + 446 + 8, 2);     /* 0xEE not at LBA 1 */
	assert_int_equal(fx_parse(), -VBLK_ENOGPT);
	/* A hybrid MBR: another record first, the protective one second. */
	memcpy(fx_block(0) + 446 + 16, fx_block(0) + 446, 16);
	gpt_image_put32(fx_block(0) + 446 + 16 + 8, 1);
	fx_block(0)[446 + 4] = 0x0c;
	assert_int_equal(fx_parse(), 0);
	assert_int_equal(vblk_gpt_parse(&fx_gpt, fx_read, &fx_disk, 512, 0), -VBLK_ENOGPT);
}

/* A protective MBR on disks too small for a table: only blocks that
 * exist are read (the reader fails the test otherwise). */
static void test_disks_of_one_and_two_blocks_hold_no_table(void **state)
{
	(void)state;
	for (uint64_t nblocks = 1; nblocks <= 2; nblocks++) {
		fx_new_disk(512, nblocks, 0, 0);
		fx_block(0)[446 + 4] = 0xee;
		gpt_image_put32(fx_block(0) + 446 + 8, 1);
		fx_block(0)[510] = 0x55;
		fx_block(0)[511] = 0xaa;
		assert_int_equal(fx_parse(), -VBLK_EBADGPT);
		assert_int_equal(fx_gpt.primary_defect, VBLK_GPT_NO_SIGNATURE);
	}
}

static void test_bad_arguments_are_refused(void **state)
{
	(void)state;
	fx_new_disk(512, 8, 0, 0);
	assert_int_equal(vblk_gpt_parse(NULL, fx_read, &fx_disk, 512, 8), -VBLK_EINVAL);
	assert_int_equal(vblk_gpt_parse(&fx_gpt, NULL, &fx_disk, 512, 8), -VBLK_EINVAL);
	assert_int_equal(vblk_gpt_parse(&fx_gpt, fx_read, &fx_disk, 256, 8), -VBLK_EINVAL);
	assert_int_equal(vblk_gpt_parse(&fx_gpt, fx_read, &fx_disk, 1000, 8), -VBLK_EINVAL);
	assert_int_equal(vblk_gpt_parse(&fx_gpt, fx_read, &fx_disk, 8192, 8), -VBLK_EINVAL);
	assert_int_equal(fx_disk.reads, 0);
	assert_string_equal(vblk_strerror(-VBLK_EBADGPT), "malformed GUID partition table");
	assert_string_equal(vblk_gpt_defect_name(VBLK_GPT_DEFECT_COUNT), "unknown defect");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_is_the_iso_3309_crc),
		cmocka_unit_test_teardown(test_sound_table_is_read_from_the_primary, fx_teardown),
		cmocka_unit_test_teardown(test_partitions_are_found_by_slot_name_and_type, fx_teardown),
		cmocka_unit_test(test_guid_macro_stores_the_disk_byte_order),
		cmocka_unit_test_teardown(test_4k_blocks_are_read_in_4k_lbas, fx_teardown),
		cmocka_unit_test_teardown(test_entry_sizes_other_than_128_are_read, fx_teardown),
		cmocka_unit_test_teardown(test_names_beyond_ascii_match_no_ascii_name, fx_teardown),
		cmocka_unit_test_teardown(test_name_of_36_units_matches_36_characters, fx_teardown),
		cmocka_unit_test_teardown(test_disk_without_protective_mbr_has_no_gpt, fx_teardown),
		cmocka_unit_test_teardown(test_disks_of_one_and_two_blocks_hold_no_table, fx_teardown),
		cmocka_unit_test_teardown(test_bad_arguments_are_refused, fx_teardown),
	};
	return cmocka_run_group_tests_name("gpt", tests, NULL, NULL);
}
