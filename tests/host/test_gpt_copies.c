/* SPDX-License-Identifier: MIT */
/*
 * The GPT reader's two copies (UEFI 2.10 §5.3.2): the primary corrupted
 * one field at a time, each refused by the check for that field (the
 * CRCs fixed after the change, so it is that check and not a CRC that
 * fires) and the backup used instead; both copies bad; a backup only; a
 * backup that disagrees with a sound primary; read errors; more
 * partitions than a table keeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gpt_fixture.h"
#include "vblk/gpt.h"

/* ---- the primary damaged one field at a time ------------------------- */

struct damage {
	const char *what;
	void (*apply)(uint8_t *header);  /* the primary header, LBA 1 */
	bool fix_crcs;                   /* recompute both CRCs afterwards */
	enum vblk_gpt_defect defect;
};

static void put32(uint8_t *header, uint32_t offset, uint32_t value)
{
	gpt_image_put32(header + offset, value);
}

static void put64(uint8_t *header, uint32_t offset, uint64_t value)
{
	gpt_image_put64(header + offset, value);
}

static void bad_signature(uint8_t *h) { h[7] = 'X'; }
static void header_size_91(uint8_t *h) { put32(h, GPT_IMAGE_HEADER_SIZE, 91); }
static void header_size_past_block(uint8_t *h) { put32(h, GPT_IMAGE_HEADER_SIZE, 516); }
static void header_crc_off_by_one(uint8_t *h) { h[GPT_IMAGE_HEADER_CRC] ^= 1; }
static void covered_byte_changed(uint8_t *h) { h[GPT_IMAGE_DISK_GUID] ^= 0x80; }
static void my_lba_2(uint8_t *h) { put64(h, GPT_IMAGE_MY_LBA, 2); }
static void alternate_off_disk(uint8_t *h) { put64(h, GPT_IMAGE_ALTERNATE_LBA, FX_NBLOCKS); }
static void alternate_is_itself(uint8_t *h) { put64(h, GPT_IMAGE_ALTERNATE_LBA, 1); }
static void first_past_last_usable(uint8_t *h) { put64(h, GPT_IMAGE_FIRST_USABLE, FX_NBLOCKS - 33); }
static void last_usable_off_disk(uint8_t *h) { put64(h, GPT_IMAGE_LAST_USABLE, FX_NBLOCKS); }
static void usable_holds_header(uint8_t *h) { put64(h, GPT_IMAGE_FIRST_USABLE, 1); }
static void usable_holds_backup(uint8_t *h) { put64(h, GPT_IMAGE_LAST_USABLE, FX_NBLOCKS - 1); }
static void entry_size_96(uint8_t *h) { put32(h, GPT_IMAGE_ENTRY_SIZE, 96); }
static void entry_size_384(uint8_t *h) { put32(h, GPT_IMAGE_ENTRY_SIZE, 384); }
static void entry_size_0(uint8_t *h) { put32(h, GPT_IMAGE_ENTRY_SIZE, 0); }
static void entries_2_pow_28(uint8_t *h) { put32(h, GPT_IMAGE_NUM_ENTRIES, 1u << 28); }
static void entries_past_max(uint8_t *h)
{
	put32(h, GPT_IMAGE_NUM_ENTRIES, VBLK_GPT_MAX_ARRAY_BYTES / 128u + 1u);
}
static void entries_uint32_max(uint8_t *h) { put32(h, GPT_IMAGE_NUM_ENTRIES, UINT32_MAX); }
static void array_at_mbr(uint8_t *h) { put64(h, GPT_IMAGE_ARRAY_LBA, 0); }
static void array_over_header(uint8_t *h) { put64(h, GPT_IMAGE_ARRAY_LBA, 1); }
static void array_in_usable(uint8_t *h) { put64(h, GPT_IMAGE_ARRAY_LBA, 40); }
static void array_past_end(uint8_t *h) { put64(h, GPT_IMAGE_ARRAY_LBA, FX_NBLOCKS - 16); }
static void array_lba_wraps(uint8_t *h) { put64(h, GPT_IMAGE_ARRAY_LBA, UINT64_MAX - 8); }
static void array_byte_changed(uint8_t *h) { h[512 + 56] ^= 0x20; /* LBA 2: "boot" */ }
static void array_crc_changed(uint8_t *h) { h[GPT_IMAGE_ARRAY_CRC] ^= 1; }

static void entry_first_after_last(uint8_t *h)
{
	put64(h, 512 + 128 + GPT_IMAGE_ENTRY_FIRST, 1134);   /* "kernel" 1134..1133 */
}

static void entry_before_usable(uint8_t *h)
{
	put64(h, 512 + GPT_IMAGE_ENTRY_FIRST, 33);           /* "boot" in the array */
}

static void entry_past_usable(uint8_t *h)
{
	put64(h, 512 + 3 * 128 + GPT_IMAGE_ENTRY_LAST, FX_NBLOCKS - 33);
}

static void entries_overlap(uint8_t *h)
{
	put64(h, 512 + 3 * 128 + GPT_IMAGE_ENTRY_FIRST, 1133);  /* "root" over "kernel" */
}

static void entry_inside_another(uint8_t *h)
{
	uint8_t *slot2 = h + 512 + 2 * 128;
	memcpy(slot2, h + 512 + 128, 128);                      /* a copy of "kernel" */
	put64(slot2, GPT_IMAGE_ENTRY_FIRST, 200);
	put64(slot2, GPT_IMAGE_ENTRY_LAST, 300);
}

static const struct damage damages[] = {
	{ "signature", bad_signature, false, VBLK_GPT_NO_SIGNATURE },
	{ "header size 91", header_size_91, true, VBLK_GPT_HEADER_SIZE },
	{ "header size past the block", header_size_past_block, false, VBLK_GPT_HEADER_SIZE },
	{ "header CRC", header_crc_off_by_one, false, VBLK_GPT_HEADER_CRC },
	{ "a byte the header CRC covers", covered_byte_changed, false, VBLK_GPT_HEADER_CRC },
	{ "MyLBA", my_lba_2, true, VBLK_GPT_MY_LBA },
	{ "AlternateLBA off the disk", alternate_off_disk, true, VBLK_GPT_ALTERNATE_LBA },
	{ "AlternateLBA = MyLBA", alternate_is_itself, true, VBLK_GPT_ALTERNATE_LBA },
	{ "first usable > last usable", first_past_last_usable, true, VBLK_GPT_USABLE_RANGE },
	{ "last usable off the disk", last_usable_off_disk, true, VBLK_GPT_USABLE_RANGE },
	{ "usable range over the header", usable_holds_header, true, VBLK_GPT_USABLE_RANGE },
	{ "usable range over the backup", usable_holds_backup, true, VBLK_GPT_USABLE_RANGE },
	{ "entry size 96", entry_size_96, true, VBLK_GPT_ENTRY_SIZE },
	{ "entry size 384", entry_size_384, true, VBLK_GPT_ENTRY_SIZE },
	{ "entry size 0", entry_size_0, true, VBLK_GPT_ENTRY_SIZE },
	{ "2^28 entries", entries_2_pow_28, true, VBLK_GPT_ARRAY_TOO_BIG },
	{ "one entry of 128 past the largest array", entries_past_max, true, VBLK_GPT_ARRAY_TOO_BIG },
	{ "2^32 - 1 entries", entries_uint32_max, true, VBLK_GPT_ARRAY_TOO_BIG },
	{ "array on the MBR", array_at_mbr, true, VBLK_GPT_ARRAY_BOUNDS },
	{ "array over the header", array_over_header, true, VBLK_GPT_ARRAY_BOUNDS },
	{ "array in the usable range", array_in_usable, true, VBLK_GPT_ARRAY_BOUNDS },
	{ "array past the disk's end", array_past_end, true, VBLK_GPT_ARRAY_BOUNDS },
	{ "array LBA near 2^64", array_lba_wraps, true, VBLK_GPT_ARRAY_BOUNDS },
	{ "a byte of the array", array_byte_changed, false, VBLK_GPT_ARRAY_CRC },
	{ "array CRC", array_crc_changed, false, VBLK_GPT_HEADER_CRC },
	{ "an entry ending before it starts", entry_first_after_last, true, VBLK_GPT_PART_RANGE },
	{ "an entry before the usable range", entry_before_usable, true, VBLK_GPT_PART_RANGE },
	{ "an entry past the usable range", entry_past_usable, true, VBLK_GPT_PART_RANGE },
	{ "two entries overlapping by a block", entries_overlap, true, VBLK_GPT_PART_OVERLAP },
	{ "an entry inside another", entry_inside_another, true, VBLK_GPT_PART_OVERLAP },
};

/* The damage is refused by its own check and the backup read instead;
 * with the same damage in the backup, no table at all. */
static void test_damaged_primary_falls_back_to_the_backup(void **state)
{
	const struct damage *damage = *state;
	fx_build_three();
	damage->apply(fx_block(1));
	if (damage->fix_crcs)
		fx_fix(1);
	assert_int_equal(fx_parse(), 0);
	assert_true(fx_gpt.from_backup);
	assert_int_equal(fx_gpt.primary_defect, damage->defect);
	assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_SOUND);
	fx_expect_three_parts();
}

/* ---- both copies, one copy, disagreeing copies ----------------------- */

/* The same damage in both copies: the table is refused, both say why. */
static void test_overlap_in_both_copies_is_refused(void **state)
{
	(void)state;
	fx_build_three();
	uint64_t headers[2] = { 1, fx_last_lba() };
	for (unsigned c = 0; c < 2; c++) {
		gpt_image_put64(fx_entry(headers[c], 3) + GPT_IMAGE_ENTRY_FIRST, 1000);
		fx_fix(headers[c]);
	}
	assert_int_equal(fx_parse(), -VBLK_EBADGPT);
	assert_int_equal(fx_gpt.primary_defect, VBLK_GPT_PART_OVERLAP);
	assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_PART_OVERLAP);
	assert_int_equal(fx_gpt.nparts, 0);
	assert_null(vblk_gpt_find_name(&fx_gpt, "kernel"));
}

static void test_different_damage_in_each_copy_names_both(void **state)
{
	(void)state;
	fx_build_three();
	fx_block(1)[GPT_IMAGE_HEADER_CRC] ^= 1;
	fx_entry(fx_last_lba(), 0)[60] ^= 1;
	assert_int_equal(fx_parse(), -VBLK_EBADGPT);
	assert_int_equal(fx_gpt.primary_defect, VBLK_GPT_HEADER_CRC);
	assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_ARRAY_CRC);
}

/* The first 34 blocks wiped but for the MBR: only the backup is left. */
static void test_backup_only_disk_is_read_from_the_backup(void **state)
{
	(void)state;
	fx_build_three();
	memset(fx_block(1), 0, 33 * 512);
	assert_int_equal(fx_parse(), 0);
	assert_true(fx_gpt.from_backup);
	assert_int_equal(fx_gpt.primary_defect, VBLK_GPT_NO_SIGNATURE);
	assert_int_equal(fx_gpt.first_usable_lba, 34);
	fx_expect_three_parts();
}

/* §5.3.2: a sound primary wins; the backup is said to disagree. */
static void test_sound_primary_wins_over_a_disagreeing_backup(void **state)
{
	(void)state;
	fx_build_three();
	gpt_image_put64(fx_entry(fx_last_lba(), 1) + GPT_IMAGE_ENTRY_LAST, 1000);
	fx_fix(fx_last_lba());
	assert_int_equal(fx_parse(), 0);
	assert_false(fx_gpt.from_backup);
	assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_MISMATCH);
	fx_expect_three_parts();

	fx_build_three();
	gpt_image_put64(fx_block(fx_last_lba()) + GPT_IMAGE_LAST_USABLE, 2000);
	fx_fix(fx_last_lba());
	assert_int_equal(fx_parse(), 0);
	assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_MISMATCH);

	fx_build_three();
	fx_block(fx_last_lba())[GPT_IMAGE_HEADER_CRC] ^= 1;
	assert_int_equal(fx_parse(), 0);
	assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_HEADER_CRC);
	fx_expect_three_parts();
}

/* §5.3.2: a sound primary is used, but a backup whose array no longer
 * matches its CRC is invalid (sgdisk -v: "Backup partition table: ERROR")
 * and said to be, for the caller to restore it. */
static void test_sound_primary_with_a_corrupt_backup_array(void **state)
{
	(void)state;
	fx_build_three();
	fx_entry(fx_last_lba(), 0)[60] ^= 1;
	assert_int_equal(fx_parse(), 0);
	assert_false(fx_gpt.from_backup);
	assert_int_equal(fx_gpt.primary_defect, VBLK_GPT_SOUND);
	assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_ARRAY_CRC);
	fx_expect_three_parts();
}

/* A disk grown after partitioning: the backup is no longer at its end,
 * but the primary points at it, and it is said to be misplaced. A corrupt
 * primary then leaves nothing. */
static void test_grown_disk_finds_its_backup_through_the_primary(void **state)
{
	(void)state;
	fx_build_three();
	uint8_t *grown = calloc(2 * FX_NBLOCKS, 512);
	assert_non_null(grown);
	memcpy(grown, fx_disk.mem, FX_NBLOCKS * 512);
	free(fx_disk.mem);
	fx_disk.mem = grown;
	fx_disk.layout.nblocks = 2 * FX_NBLOCKS;
	assert_int_equal(fx_parse(), 0);
	/* Read and sound, but not where a damaged primary's reader looks. */
	assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_NOT_AT_END);
	assert_string_equal(vblk_gpt_defect_name(fx_gpt.backup_defect),
			    "backup not at the disk's last block");
	fx_expect_three_parts();
	fx_block(1)[0] = 0;
	assert_int_equal(fx_parse(), -VBLK_EBADGPT);
	assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_NO_SIGNATURE);
}

static void test_read_errors_fall_back_then_are_returned(void **state)
{
	(void)state;
	fx_build_three();
	fx_disk.fail_lba[fx_disk.nfail++] = 1;
	assert_int_equal(fx_parse(), 0);
	assert_true(fx_gpt.from_backup);
	assert_int_equal(fx_gpt.primary_defect, VBLK_GPT_READ_FAILED);
	fx_expect_three_parts();
	fx_disk.fail_lba[fx_disk.nfail++] = fx_last_lba() - 1;  /* in the backup's array */
	assert_int_equal(fx_parse(), -VBLK_EIO);
	assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_READ_FAILED);
	assert_int_equal(fx_gpt.nparts, 0);
	fx_disk.fail_lba[0] = 0;
	assert_int_equal(fx_parse(), -VBLK_EIO);
}

/* A disk with an array of 256 entries, and one more partition than a
 * table keeps to put in it: one block each from LBA 100. */
static struct gpt_image_part *one_more_than_kept(void)
{
	static struct gpt_image_part many[VBLK_GPT_MAX_PARTS + 1];

	fx_new_disk(512, FX_NBLOCKS, 256, 128);
	for (uint32_t i = 0; i <= VBLK_GPT_MAX_PARTS; i++)
		many[i] = (struct gpt_image_part){ .entry_index = i, .first_lba = 100 + i,
						   .last_lba = 100 + i,
						   .type = VBLK_GPT_TYPE_LINUX_DATA };
	return many;
}

/* 129 used entries: one more than a table keeps. */
static void test_more_partitions_than_kept_are_refused(void **state)
{
	struct gpt_image_part *many = one_more_than_kept();
	(void)state;
	fx_build(many, VBLK_GPT_MAX_PARTS);
	assert_int_equal(fx_parse(), 0);
	assert_int_equal(fx_gpt.nparts, VBLK_GPT_MAX_PARTS);
	fx_build(many, VBLK_GPT_MAX_PARTS + 1);
	assert_int_equal(fx_parse(), -VBLK_EBADGPT);
	assert_int_equal(fx_gpt.primary_defect, VBLK_GPT_TOO_MANY_PARTS);
	assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_TOO_MANY_PARTS);
}

/* The same 129 entries with a byte of each copy's array changed: the
 * array is not the one the headers describe, and that is its first
 * defect (gpt.h: the defects in the order they are checked), not the
 * count of entries read out of it. */
static void test_damaged_array_is_array_crc_before_its_entries(void **state)
{
	(void)state;
	fx_build(one_more_than_kept(), VBLK_GPT_MAX_PARTS + 1);
	fx_entry(1, 200)[100] ^= 1;
	fx_entry(fx_last_lba(), 200)[100] ^= 1;
	assert_int_equal(fx_parse(), -VBLK_EBADGPT);
	assert_int_equal(fx_gpt.primary_defect, VBLK_GPT_ARRAY_CRC);
	assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_ARRAY_CRC);
}

/* An array larger than 128 entries, as `sgdisk --resize-table=1024` makes
 * (256 KiB on 4K blocks, in 16 chunks of the buffer): read, and a
 * partition in its last slot found. */
static void test_arrays_of_1024_entries_are_read(void **state)
{
	(void)state;
	static const uint32_t block_bytes[2] = { 512, 4096 };
	for (unsigned b = 0; b < 2; b++) {
		uint64_t first = 2 + 1024u * 128u / block_bytes[b];
		struct gpt_image_part parts[2] = {
			{ .entry_index = 0, .first_lba = first, .last_lba = first + 9,
			  .type = VBLK_GPT_TYPE_LINUX_DATA },
			{ .entry_index = 1023, .first_lba = first + 10, .last_lba = first + 19,
			  .type = VBLK_GPT_TYPE_EFI_SYSTEM },
		};
		fx_new_disk(block_bytes[b], 4096, 1024, 128);
		fx_build(parts, 2);
		assert_int_equal(fx_parse(), 0);
		assert_int_equal(fx_gpt.backup_defect, VBLK_GPT_SOUND);
		assert_int_equal(fx_gpt.nparts, 2);
		assert_non_null(vblk_gpt_entry(&fx_gpt, 1023));
		assert_int_equal(vblk_gpt_entry(&fx_gpt, 1023)->first_lba, first + 10);
		fx_teardown(NULL);
	}
}

#define NDAMAGES (sizeof(damages) / sizeof(damages[0]))
#define ONE(test) cmocka_unit_test_teardown(test, fx_teardown)

int main(void)
{
	static struct CMUnitTest damage_tests[NDAMAGES];
	static char names[NDAMAGES][96];
	for (unsigned i = 0; i < NDAMAGES; i++) {
		snprintf(names[i], sizeof(names[i]), "damaged primary: %s", damages[i].what);
		damage_tests[i] = (struct CMUnitTest){
			.name = names[i],
			.test_func = test_damaged_primary_falls_back_to_the_backup,
			.teardown_func = fx_teardown,
			.initial_state = (void *)&damages[i],
		};
	}
	const struct CMUnitTest tests[] = {
		ONE(test_overlap_in_both_copies_is_refused),
		ONE(test_different_damage_in_each_copy_names_both),
		ONE(test_backup_only_disk_is_read_from_the_backup),
		ONE(test_sound_primary_wins_over_a_disagreeing_backup),
		ONE(test_sound_primary_with_a_corrupt_backup_array),
		ONE(test_grown_disk_finds_its_backup_through_the_primary),
		ONE(test_read_errors_fall_back_then_are_returned),
		ONE(test_more_partitions_than_kept_are_refused),
		ONE(test_damaged_array_is_array_crc_before_its_entries),
		ONE(test_arrays_of_1024_entries_are_read),
	};
	int failed = _cmocka_run_group_tests("gpt damaged primary", damage_tests, NDAMAGES,
					     NULL, NULL);
	return failed + cmocka_run_group_tests_name("gpt copies", tests, NULL, NULL);
}
