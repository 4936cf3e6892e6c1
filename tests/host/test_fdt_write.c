/* SPDX-License-Identifier: MIT */
/*
 * Device-tree writer tests (fdt/write.c, vblk/fdt_edit.h): every edit is
 * read back with the reader (fdt/), and the rest of the tree is
 * compared with what it was, through a text dump of every node and
 * property in document order. Inputs: QEMU's own dumps and hand-written
 * trees of tests/host/dtb/, and small blobs assembled here for layouts
 * dtc does not write (a reservation map entry, free space after the
 * strings, version 16, misordered or overlapping blocks).
 *
 * Each blob sits in a heap buffer of exactly the bound the writer is
 * given, so ASan catches a write past it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vblk/error.h"
#include "vblk/fdt_edit.h"
#include "fdt/fdt.h"
#include "fdt/header.h"
#include "fdt_write_util.h"

#define ROOM_BYTES 4096u

/* ---- edits read back ------------------------------------------------- */

static void test_new_string_prop_reads_back_rest_unchanged(void **state)
{
	(void)state;
	struct blob blob = blob_load("qemu-virt.dtb", ROOM_BYTES);
	char *before = dump_tree(&blob), *expected;
	uint32_t len;

	assert_int_equal(vblk_fdt_set_string(blob.bytes, blob.max, "/chosen", "bootargs",
					     "console=ttyAMA0 rdinit=/init"), 0);
	assert_string_equal(blob_prop(&blob, "/chosen", "bootargs", &len),
			    "console=ttyAMA0 rdinit=/init");
	assert_int_equal(len, sizeof("console=ttyAMA0 rdinit=/init"));
	/* Added first in /chosen, everything else as it was. */
	expected = dump_insert_after(before, "1 chosen",
				     "  bootargs=636f6e736f6c653d747479414d413020726469"
				     "6e69743d2f696e697400");
	dump_assert_equal(&blob, expected);
	/* a packed blob grows by exactly the new name and property */
	assert_int_equal(blob_be32(&blob, HDR_TOTALSIZE),
			 blob.used + sizeof("bootargs") + 12 + align4(len));
	free(before);
	free(expected);
	blob_free(&blob);
}

static void replace_mid_struct(size_t new_len)
{
	struct blob blob = blob_load("qemu-virt.dtb", ROOM_BYTES);
	uint32_t old_total = blob_be32(&blob, HDR_TOTALSIZE), len;
	uint8_t value[64];
	char *before = dump_tree(&blob), *expected, old_line[256], new_line[256];
	const uint8_t *old = blob_prop(&blob, "/pl011@9000000", "compatible", &len);

	assert_non_null(old);
	snprintf(old_line, sizeof(old_line), "  compatible=%s", hex(old, len));
	memset(value, 'x', sizeof(value));
	value[new_len - 1] = '\0';
	snprintf(new_line, sizeof(new_line), "  compatible=%s", hex(value, new_len));
	expected = dump_replace(before, "1 pl011@9000000", old_line, new_line);

	assert_int_equal(vblk_fdt_set_prop(blob.bytes, blob.max, "/pl011@9000000", "compatible",
					   value, (uint32_t)new_len), 0);
	dump_assert_equal(&blob, expected);
	if (new_len > len) {
		assert_int_equal(blob_be32(&blob, HDR_TOTALSIZE),
				 old_total + align4(new_len) - align4(len));
	} else {
		/* totalsize kept; what the edit freed at the end is zeroed */
		uint32_t data_end = blob_be32(&blob, HDR_OFF_DT_STRINGS) +
				    blob_be32(&blob, HDR_SIZE_DT_STRINGS);
		assert_int_equal(blob_be32(&blob, HDR_TOTALSIZE), old_total);
		for (uint32_t off = data_end; off < old_total; off++)
			assert_int_equal(blob.bytes[off], 0);
	}
	free(before);
	free(expected);
	blob_free(&blob);
}

static void test_prop_grows_in_the_middle(void **state)
{
	(void)state;
	replace_mid_struct(45);
}

static void test_prop_shrinks_in_the_middle(void **state)
{
	(void)state;
	replace_mid_struct(3);
}

static void test_prop_to_empty_and_back(void **state)
{
	(void)state;
	struct blob blob = blob_load("qemu-virt.dtb", ROOM_BYTES);
	uint32_t len = 1;

	assert_int_equal(vblk_fdt_set_prop(blob.bytes, blob.max, "/chosen", "stdout-path",
					   NULL, 0), 0);
	assert_non_null(blob_prop(&blob, "/chosen", "stdout-path", &len));
	assert_int_equal(len, 0);
	assert_int_equal(vblk_fdt_set_string(blob.bytes, blob.max, "/chosen", "stdout-path",
					     "/pl011@9000000"), 0);
	assert_string_equal(blob_prop(&blob, "/chosen", "stdout-path", &len), "/pl011@9000000");
	blob_free(&blob);
}

static void test_u64_is_two_big_endian_cells(void **state)
{
	(void)state;
	struct blob blob = blob_load("qemu-virt.dtb", ROOM_BYTES);
	uint32_t len;
	const uint8_t *cells;

	assert_int_equal(vblk_fdt_set_u64(blob.bytes, blob.max, "/chosen", "linux,initrd-start",
					  0x0000000142000000ull), 0);
	cells = blob_prop(&blob, "/chosen", "linux,initrd-start", &len);
	assert_int_equal(len, 8);
	assert_int_equal(fdt_read_cells(cells, 0, 2), 0x0000000142000000ull);
	blob_free(&blob);
}

static void test_add_node_to_empty_root_then_props(void **state)
{
	(void)state;
	struct blob blob = blob_load("board-empty.dtb", ROOM_BYTES);

	assert_int_equal(vblk_fdt_add_node(blob.bytes, blob.max, "/chosen"), 0);
	assert_int_equal(vblk_fdt_set_string(blob.bytes, blob.max, "/chosen", "bootargs", "x"), 0);
	assert_int_equal(vblk_fdt_set_u64(blob.bytes, blob.max, "/chosen", "linux,initrd-end", 7),
			 0);
	dump_assert_equal(&blob, "0 \n1 chosen\n  linux,initrd-end=0000000000000007\n"
				 "  bootargs=7800\n");
	blob_free(&blob);
}

static void test_add_node_goes_after_props_before_children(void **state)
{
	(void)state;
	struct blob blob = blob_load("qemu-virt.dtb", ROOM_BYTES);
	char *before = dump_tree(&blob), *expected;

	assert_int_equal(vblk_fdt_add_node(blob.bytes, blob.max, "/psci/extra@1"), 0);
	char psci_compatible[256];

	snprintf(psci_compatible, sizeof(psci_compatible), "  compatible=%s",
		 hex("arm,psci-1.0\0arm,psci-0.2\0arm,psci", 35));
	/* after /psci's last property, before the next node */
	expected = dump_insert_after(before, psci_compatible, "2 extra@1");
	dump_assert_equal(&blob, expected);
	free(before);
	free(expected);
	blob_free(&blob);
}

static void test_existing_node_is_kept_byte_for_byte(void **state)
{
	(void)state;
	struct blob blob = blob_load("qemu-virt.dtb", ROOM_BYTES);
	uint8_t *copy = malloc(blob.max);

	memcpy(copy, blob.bytes, blob.max);
	assert_int_equal(vblk_fdt_add_node(blob.bytes, blob.max, "/chosen"), 0);
	assert_memory_equal(copy, blob.bytes, blob.max);
	free(copy);
	blob_free(&blob);
}

/* ---- the strings block ----------------------------------------------- */

static void test_known_name_reuses_its_string(void **state)
{
	(void)state;
	struct blob blob = blob_load("qemu-virt.dtb", ROOM_BYTES);
	uint32_t strings = blob_be32(&blob, HDR_SIZE_DT_STRINGS);

	/* "reg" is there whole; "size-cells" as the tail of "#size-cells" */
	assert_int_equal(vblk_fdt_set_u64(blob.bytes, blob.max, "/chosen", "reg", 1), 0);
	assert_int_equal(vblk_fdt_set_u64(blob.bytes, blob.max, "/chosen", "size-cells", 2), 0);
	assert_int_equal(blob_be32(&blob, HDR_SIZE_DT_STRINGS), strings);
	assert_int_equal(vblk_fdt_set_u64(blob.bytes, blob.max, "/chosen", "brand-new", 3), 0);
	assert_int_equal(blob_be32(&blob, HDR_SIZE_DT_STRINGS), strings + sizeof("brand-new"));
	assert_non_null(blob_prop(&blob, "/chosen", "size-cells", NULL));
	assert_non_null(blob_prop(&blob, "/chosen", "brand-new", NULL));
	blob_free(&blob);
}

/* ---- room ------------------------------------------------------------- */

static void test_no_room_changes_nothing(void **state)
{
	(void)state;
	struct blob blob = blob_load("qemu-virt.dtb", 0);
	uint8_t *copy = malloc(blob.max);

	memcpy(copy, blob.bytes, blob.max);
	assert_int_equal(vblk_fdt_set_string(blob.bytes, blob.max, "/chosen", "bootargs", "x"),
			 -VBLK_ENOSPC);
	assert_int_equal(vblk_fdt_add_node(blob.bytes, blob.max, "/new"), -VBLK_ENOSPC);
	assert_int_equal(vblk_fdt_set_string(blob.bytes, blob.max, "/chosen", "stdout-path",
					     "/a-much-longer-path-than-before@9000000"),
			 -VBLK_ENOSPC);
	assert_memory_equal(copy, blob.bytes, blob.max);
	/* Shrinking needs no room. */
	assert_int_equal(vblk_fdt_set_string(blob.bytes, blob.max, "/chosen", "stdout-path", "/"),
			 0);
	free(copy);
	blob_free(&blob);
}

static void test_exact_room_fills_the_bound(void **state)
{
	(void)state;
	/* A new name (8 bytes with its NUL) and a 12 + 4-byte property. */
	struct blob blob = blob_load("qemu-virt.dtb", 24);

	assert_int_equal(vblk_fdt_set_string(blob.bytes, blob.max, "/chosen", "newprop", "abc"),
			 0);
	assert_int_equal(blob_be32(&blob, HDR_TOTALSIZE), blob.max);
	assert_int_equal(vblk_fdt_set_string(blob.bytes, blob.max, "/chosen", "newprop", "abcd"),
			 -VBLK_ENOSPC);
	blob_free(&blob);
}

static void test_free_space_used_before_totalsize_grows(void **state)
{
	(void)state;
	struct blob blob = build_blob(&(struct build_spec){ .slack_bytes = 64 }, ROOM_BYTES);
	uint32_t total = blob_be32(&blob, HDR_TOTALSIZE);

	assert_int_equal(vblk_fdt_set_string(blob.bytes, blob.max, "/", "model", "m"), 0);
	assert_int_equal(blob_be32(&blob, HDR_TOTALSIZE), total);
	assert_string_equal(blob_prop(&blob, "/", "model", NULL), "m");
	blob_free(&blob);
}

static void test_reservation_map_kept(void **state)
{
	(void)state;
	struct blob blob = build_blob(&(struct build_spec){ .reserve_base = 0x48000000,
							    .reserve_bytes = 0x100000 },
				      ROOM_BYTES);
	uint32_t rsv = blob_be32(&blob, HDR_OFF_MEM_RSVMAP);

	assert_int_equal(vblk_fdt_add_node(blob.bytes, blob.max, "/chosen"), 0);
	assert_int_equal(vblk_fdt_set_string(blob.bytes, blob.max, "/chosen", "bootargs", "q"), 0);
	assert_int_equal(blob_be32(&blob, HDR_OFF_MEM_RSVMAP), rsv);
	assert_int_equal(fdt_read_cells(blob.bytes + rsv, 0, 2), 0x48000000);
	assert_int_equal(fdt_read_cells(blob.bytes + rsv, 2, 2), 0x100000);
	assert_int_equal(fdt_read_cells(blob.bytes + rsv, 4, 4), 0);
	assert_string_equal(blob_prop(&blob, "/chosen", "bootargs", NULL), "q");
	blob_free(&blob);
}

/* ---- refused ------------------------------------------------------------ */

static void assert_refused(struct blob *blob, int want)
{
	uint8_t *copy = malloc(blob->max);

	memcpy(copy, blob->bytes, blob->max);
	assert_int_equal(vblk_fdt_set_string(blob->bytes, blob->max, "/", "model", "m"), want);
	assert_int_equal(vblk_fdt_add_node(blob->bytes, blob->max, "/chosen"), want);
	assert_memory_equal(copy, blob->bytes, blob->max);
	free(copy);
}

static void test_malformed_blobs_refused(void **state)
{
	(void)state;
	static const struct build_spec bad[] = {
		{ .bad_magic = true },
		{ .no_end_token = true },       /* the walk never meets FDT_END */
		{ .unbalanced = true },         /* FDT_END inside the root */
		{ .bad_name_off = true },       /* a property name off the strings block */
		{ .rsvmap_unterminated = true },
		{ .overlap = true },            /* strings start inside the structure */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct blob blob = build_blob(&bad[i], ROOM_BYTES);

		assert_refused(&blob, -VBLK_EBADDT);
		blob_free(&blob);
	}
}

static void test_valid_layouts_not_edited(void **state)
{
	(void)state;
	static const struct build_spec other[] = {
		{ .version16 = true },
		{ .strings_first = true },
	};

	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		struct blob blob = build_blob(&other[i], ROOM_BYTES);
		struct fdt fdt;

		assert_int_equal(fdt_open(&fdt, blob.bytes, blob.max), 0);  /* readable */
		assert_refused(&blob, -VBLK_EUNSUPP);
		blob_free(&blob);
	}
}

static void test_totalsize_past_bound_refused(void **state)
{
	(void)state;
	struct blob blob = blob_load("qemu-virt.dtb", 0);

	assert_int_equal(vblk_fdt_set_string(blob.bytes, blob.max - 1, "/", "model", "m"),
			 -VBLK_EBADDT);
	blob_free(&blob);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct blob blob = blob_load("qemu-virt.dtb", ROOM_BYTES);
	struct fdt fdt;

	assert_int_equal(vblk_fdt_add_node(blob.bytes, blob.max, "chosen"), -VBLK_EINVAL);
	assert_int_equal(vblk_fdt_add_node(blob.bytes, blob.max, "/"), -VBLK_EINVAL);
	assert_int_equal(vblk_fdt_add_node(blob.bytes, blob.max, "/no/such"), -VBLK_ENODEV);
	assert_int_equal(vblk_fdt_set_string(blob.bytes, blob.max, "/nope", "a", "b"), -VBLK_ENODEV);
	assert_int_equal(vblk_fdt_set_prop(blob.bytes, blob.max, "/chosen", "", "b", 2),
			 -VBLK_EINVAL);
	assert_int_equal(vblk_fdt_set_prop(blob.bytes, blob.max, "/chosen", "a", NULL, 2),
			 -VBLK_EINVAL);
	assert_int_equal(vblk_fdt_set_prop(NULL, 100, "/chosen", "a", "b", 2), -VBLK_EINVAL);
	/* a value or name inside the blob would move under the copy */
	assert_int_equal(vblk_fdt_set_prop(blob.bytes, blob.max, "/chosen", "a",
					   blob.bytes + 100, 8), -VBLK_EINVAL);
	assert_int_equal(vblk_fdt_total_bytes(blob.bytes, blob.max), (int)blob.used);
	/* an offset that is no node */
	assert_int_equal(fdt_open(&fdt, blob.bytes, blob.max), 0);
	assert_int_equal(fdt_set_prop(blob.bytes, blob.max, fdt_path_offset(&fdt, "/chosen") + 4,
				      "a", "b", 2), -VBLK_EINVAL);
	blob_free(&blob);
}

static void test_no_child_below_max_depth(void **state)
{
	(void)state;
	struct blob blob = blob_load("deep-64.dtb", ROOM_BYTES);
	struct fdt fdt;
	int off, depth = 0, deepest = -1;

	assert_int_equal(fdt_open(&fdt, blob.bytes, blob.max), 0);
	off = fdt_root(&fdt);
	while ((off = fdt_next_node(&fdt, off, &depth)) > 0) {
		if (depth == FDT_MAX_DEPTH)
			deepest = off;
	}
	assert_true(deepest > 0);
	assert_int_equal(fdt_add_subnode(blob.bytes, blob.max, deepest, "x"), -VBLK_EUNSUPP);
	assert_true(fdt_set_prop(blob.bytes, blob.max, deepest, "p", "v", 2) == 0);
	blob_free(&blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_string_prop_reads_back_rest_unchanged),
		cmocka_unit_test(test_prop_grows_in_the_middle),
		cmocka_unit_test(test_prop_shrinks_in_the_middle),
		cmocka_unit_test(test_prop_to_empty_and_back),
		cmocka_unit_test(test_u64_is_two_big_endian_cells),
		cmocka_unit_test(test_add_node_to_empty_root_then_props),
		cmocka_unit_test(test_add_node_goes_after_props_before_children),
		cmocka_unit_test(test_existing_node_is_kept_byte_for_byte),
		cmocka_unit_test(test_known_name_reuses_its_string),
		cmocka_unit_test(test_no_room_changes_nothing),
		cmocka_unit_test(test_exact_room_fills_the_bound),
		cmocka_unit_test(test_free_space_used_before_totalsize_grows),
		cmocka_unit_test(test_reservation_map_kept),
		cmocka_unit_test(test_malformed_blobs_refused),
		cmocka_unit_test(test_valid_layouts_not_edited),
		cmocka_unit_test(test_totalsize_past_bound_refused),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_no_child_below_max_depth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
