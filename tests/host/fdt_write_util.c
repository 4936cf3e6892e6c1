/* SPDX-License-Identifier: MIT */
/* Helpers for test_fdt_write.c: see fdt_write_util.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fdt/fdt.h"
#include "fdt/header.h"
#include "disk_fixture.h"
#include "fdt_write_util.h"

#define DUMP_MAX_BYTES  (1024u * 1024u)

static void put_be32(uint8_t *bytes, uint32_t value)
{
	for (unsigned i = 0; i < 4; i++)
		bytes[i] = (uint8_t)(value >> (24 - 8 * i));
}

uint32_t blob_be32(const struct blob *blob, uint32_t off)
{
	return fdt_cell32(blob->bytes + off, 0);
}

size_t align4(size_t len_bytes)
{
	return (len_bytes + 3) & ~(size_t)3;
}

struct blob blob_load(const char *name, size_t room_bytes)
{
	size_t size;
	uint8_t *file = load_test_dtb(name, 0, &size);
	struct blob blob;

	blob.used = (uint32_t)size;
	blob.max = size + room_bytes;
	blob.bytes = calloc(1, blob.max);
	assert_non_null(blob.bytes);
	memcpy(blob.bytes, file, size);
	free(file);
	assert_int_equal(blob_be32(&blob, HDR_TOTALSIZE), blob.used);
	return blob;
}

void blob_free(struct blob *blob)
{
	free(blob->bytes);
	blob->bytes = NULL;
}

/* ---- a hand-assembled blob -------------------------------------------- */

static size_t put_token(uint8_t *at, uint32_t token)
{
	put_be32(at, token);
	return FDT_TOKEN_BYTES;
}

static size_t build_struct(uint8_t *at, const struct build_spec *spec)
{
	size_t off = 0;

	off += put_token(at + off, FDT_BEGIN_NODE);
	off += put_token(at + off, 0);                       /* "" padded */
	off += put_token(at + off, FDT_PROP);
	off += put_token(at + off, 2);
	off += put_token(at + off, spec->bad_name_off ? 1000 : 0);
	memcpy(at + off, "t\0\0\0", 4);
	off += 4;
	off += put_token(at + off, FDT_BEGIN_NODE);
	memcpy(at + off, "child\0\0\0", 8);
	off += 8;
	off += put_token(at + off, FDT_END_NODE);
	off += put_token(at + off, spec->unbalanced ? FDT_END : FDT_END_NODE);
	off += put_token(at + off, spec->no_end_token || spec->unbalanced ? FDT_NOP : FDT_END);
	return off;
}

struct blob build_blob(const struct build_spec *spec, size_t room_bytes)
{
	static const char strings[] = "compatible";
	uint8_t scratch[256] = { 0 };
	size_t struct_bytes = build_struct(scratch, spec);
	uint32_t rsv_off = HDR_BYTES_V17, rsv_bytes = RSVMAP_ENTRY_BYTES;
	uint32_t struct_off, strings_off, data_end;
	struct blob blob;

	if (spec->reserve_bytes != 0 || spec->rsvmap_unterminated)
		rsv_bytes += RSVMAP_ENTRY_BYTES;
	if (spec->strings_first) {
		strings_off = rsv_off + rsv_bytes;
		struct_off = (uint32_t)align4(strings_off + sizeof(strings));
		data_end = struct_off + (uint32_t)struct_bytes;
	} else {
		struct_off = rsv_off + rsv_bytes;
		strings_off = struct_off + (uint32_t)struct_bytes;
		data_end = strings_off + sizeof(strings);
	}
	blob.used = data_end + spec->slack_bytes;
	blob.max = blob.used + room_bytes;
	blob.bytes = calloc(1, blob.max);
	assert_non_null(blob.bytes);

	put_be32(blob.bytes + HDR_MAGIC, spec->bad_magic ? 0xfeedd00d : FDT_MAGIC);
	put_be32(blob.bytes + HDR_TOTALSIZE, blob.used);
	put_be32(blob.bytes + HDR_OFF_DT_STRUCT, struct_off);
	put_be32(blob.bytes + HDR_OFF_DT_STRINGS, spec->overlap ? struct_off + 8 : strings_off);
	put_be32(blob.bytes + HDR_OFF_MEM_RSVMAP, rsv_off);
	put_be32(blob.bytes + HDR_VERSION, spec->version16 ? 16 : 17);
	put_be32(blob.bytes + HDR_LAST_COMP, 16);
	put_be32(blob.bytes + HDR_SIZE_DT_STRINGS, sizeof(strings));
	put_be32(blob.bytes + HDR_SIZE_DT_STRUCT, (uint32_t)struct_bytes);
	if (spec->reserve_bytes != 0) {
		put_be32(blob.bytes + rsv_off + 4, (uint32_t)spec->reserve_base);
		put_be32(blob.bytes + rsv_off + 12, (uint32_t)spec->reserve_bytes);
	}
	if (spec->rsvmap_unterminated) {   /* both entries used: no 0,0 entry */
		for (uint32_t off = rsv_off; off < rsv_off + rsv_bytes; off += 8)
			put_be32(blob.bytes + off + 4, 1);
	}
	memcpy(blob.bytes + struct_off, scratch, struct_bytes);
	memcpy(blob.bytes + strings_off, strings, sizeof(strings));
	return blob;
}

/* ---- reading back ------------------------------------------------------ */

const void *blob_prop(const struct blob *blob, const char *path, const char *name,
		      uint32_t *len_bytes)
{
	struct fdt fdt;
	int node_off;

	assert_int_equal(fdt_open(&fdt, blob->bytes, blob->max), 0);
	node_off = fdt_path_offset(&fdt, path);
	assert_true(node_off >= 0);
	return fdt_getprop(&fdt, node_off, name, len_bytes);
}

const char *hex(const void *bytes, size_t len_bytes)
{
	static char text[4096];
	const uint8_t *in = bytes;

	assert_true(len_bytes * 2 < sizeof(text));
	for (size_t i = 0; i < len_bytes; i++)
		snprintf(text + 2 * i, 3, "%02x", in[i]);
	text[2 * len_bytes] = '\0';
	return text;
}

/* Append a node's properties to the dump. The reader has walked the tree,
 * so the tokens here are sound; the writer's blocks are read raw. */
static size_t dump_props(const struct fdt *fdt, int node_off, char *out, size_t used)
{
	const uint8_t *base = fdt->blob + fdt->struct_off;
	const char *strings = (const char *)fdt->blob + fdt->strings_off;
	uint32_t off = (uint32_t)node_off + 4 +
		       (uint32_t)align4(strlen(fdt_node_name(fdt, node_off)) + 1);

	for (;;) {
		uint32_t token = fdt_cell32(base + off, 0);

		if (token == FDT_NOP) {
			off += 4;
			continue;
		}
		if (token != FDT_PROP)
			return used;
		uint32_t len = fdt_cell32(base + off, 1), name_off = fdt_cell32(base + off, 2);

		used += (size_t)snprintf(out + used, DUMP_MAX_BYTES - used, "  %s=%s\n",
					 strings + name_off, hex(base + off + 12, len));
		assert_true(used < DUMP_MAX_BYTES);
		off += 12 + (uint32_t)align4(len);
	}
}

char *dump_tree(const struct blob *blob)
{
	struct fdt fdt;
	char *out = malloc(DUMP_MAX_BYTES);
	int off, depth = 0;
	size_t used = 0;

	assert_non_null(out);
	assert_int_equal(fdt_open(&fdt, blob->bytes, blob->max), 0);
	off = fdt_root(&fdt);
	assert_true(off >= 0);
	while (off > 0 || used == 0) {
		used += (size_t)snprintf(out + used, DUMP_MAX_BYTES - used, "%d %s\n", depth,
					 fdt_node_name(&fdt, off));
		used = dump_props(&fdt, off, out, used);
		off = fdt_next_node(&fdt, off, &depth);
		assert_true(off >= 0);        /* 0: a walk to FDT_END */
	}
	return out;
}

void dump_assert_equal(const struct blob *blob, const char *expected)
{
	char *got = dump_tree(blob);

	assert_string_equal(got, expected);
	free(got);
}

/* Where the line `line` ends (after its '\n') in dump, at or after `from`. */
static const char *line_end(const char *dump, const char *from, const char *line)
{
	size_t len = strlen(line);

	for (const char *at = from; (at = strstr(at, line)) != NULL; at++) {
		if ((at == dump || at[-1] == '\n') && at[len] == '\n')
			return at + len + 1;
	}
	fail_msg("line '%s' not in the dump", line);
	return NULL;
}

static char *splice_text(const char *dump, const char *at, size_t drop, const char *text)
{
	size_t head = (size_t)(at - dump), text_len = strlen(text);
	char *out = malloc(strlen(dump) + text_len + 2);

	memcpy(out, dump, head);
	memcpy(out + head, text, text_len);
	out[head + text_len] = '\n';
	strcpy(out + head + text_len + 1, at + drop);
	return out;
}

char *dump_insert_after(const char *dump, const char *line, const char *new_line)
{
	return splice_text(dump, line_end(dump, dump, line), 0, new_line);
}

char *dump_replace(const char *dump, const char *node_line, const char *old_line,
		   const char *new_line)
{
	const char *after = line_end(dump, line_end(dump, dump, node_line), old_line);
	size_t old_len = strlen(old_line) + 1;

	return splice_text(dump, after - old_len, old_len, new_line);
}
