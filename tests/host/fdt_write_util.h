/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the device-tree writer's tests (tests/host/test_fdt_write.c):
 * blobs in heap buffers of an exact bound, loaded from tests/host/dtb/ or
 * assembled here; property look-ups through the reader; and a text dump of
 * a whole tree ("DEPTH NAME" per node, "  PROP=HEX" per property, in
 * document order) to compare a tree before and after an edit.
 */
#ifndef TEST_FDT_WRITE_UTIL_H
#define TEST_FDT_WRITE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blob {
	uint8_t *bytes;
	size_t max;        /* the buffer's size: the bound the writer gets */
	uint32_t used;     /* totalsize as loaded or built */
};

/* tests/host/dtb/NAME (or $VBLK_DTB_DIR/NAME) with room_bytes of zeros after it. */
struct blob blob_load(const char *name, size_t room_bytes);
void blob_free(struct blob *blob);

/* Hand-assembled: root { compatible = "t"; child { }; } with the
 * strings block after the structure block, unless a field says otherwise. */
struct build_spec {
	uint32_t slack_bytes;          /* free bytes inside totalsize, after the strings */
	uint64_t reserve_base, reserve_bytes;  /* one /memreserve/ entry if bytes != 0 */
	bool bad_magic, no_end_token, unbalanced, bad_name_off;
	bool rsvmap_unterminated, overlap, version16, strings_first;
};
struct blob build_blob(const struct build_spec *spec, size_t room_bytes);

uint32_t blob_be32(const struct blob *blob, uint32_t off);
/* A property through the reader (the blob must open); NULL if absent. */
const void *blob_prop(const struct blob *blob, const char *path, const char *name,
		      uint32_t *len_bytes);

size_t align4(size_t len_bytes);
/* Lowercase hex of the bytes, in a static buffer. */
const char *hex(const void *bytes, size_t len_bytes);

/* The dump (malloc'ed); fails the test unless the reader walks the whole
 * tree to FDT_END. */
char *dump_tree(const struct blob *blob);
void dump_assert_equal(const struct blob *blob, const char *expected);
/* A copy of `dump` with `new_line` after the line `line`. */
char *dump_insert_after(const char *dump, const char *line, const char *new_line);
/* A copy with the first line `old_line` after the line `node_line` replaced. */
char *dump_replace(const char *dump, const char *node_line, const char *old_line,
		   const char *new_line);

#endif
