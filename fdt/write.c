/* SPDX-License-Identifier: MIT */
/*
 * Editing a flattened device tree in place (Devicetree Specification v0.4,
 * chapter 5): set a property, add a node, within a bound the caller gives.
 *
 * The blob is not trusted any more here than in the reader: open_rw()
 * checks the header and the layout and walks the whole structure block
 * before the first byte is written, so every offset the edit computes
 * afterwards lies inside a block it has seen whole. The room an edit needs
 * is counted and checked first, so an edit either completes or leaves the
 * blob as it was.
 *
 * Layout: the writer needs the order dtc and QEMU produce (header, memory
 * reservation map, structure block, strings block) so that an edit moves
 * only what follows its point, and the strings block, last, grows at its
 * end. The reservation map stays where it is.
 */
#include <stdint.h>
#include <string.h>

#include "vblk/error.h"
#include "fdt/fdt.h"
#include "fdt/header.h"
#include "fdt/token.h"

/* A blob checked for writing. */
struct fdt_rw {
	uint8_t *blob;
	uint32_t max_bytes;    /* the caller's bound, at most FDT_MAX_TOTAL_BYTES */
	struct fdt fdt;        /* the reader's view, kept in step with each edit */
	uint32_t data_end;     /* end of the strings block: the last byte in use */
};

static void put_be32(uint8_t *bytes, uint32_t value)
{
	bytes[0] = (uint8_t)(value >> 24);
	bytes[1] = (uint8_t)(value >> 16);
	bytes[2] = (uint8_t)(value >> 8);
	bytes[3] = (uint8_t)value;
}

/* The blocks in dtc's order (header, reservation map, structure block,
 * strings block), which the writer needs: -VBLK_EUNSUPP for another
 * order, -VBLK_EBADDT for blocks that overlap. fdt_open has put each
 * block inside totalsize. */
static int check_layout(const struct fdt_rw *rw)
{
	uint32_t off = fdt_cell32(rw->blob + HDR_OFF_MEM_RSVMAP, 0);

	if (off > rw->fdt.struct_off || rw->fdt.strings_off < rw->fdt.struct_off)
		return -VBLK_EUNSUPP;
	if (off < HDR_BYTES_V17 || off % RSVMAP_ALIGN != 0 ||
	    rw->fdt.strings_off - rw->fdt.struct_off < rw->fdt.struct_bytes)
		return -VBLK_EBADDT;
	/* The map ends with an entry of both 0 (§5.3.2), before the
	 * structure block. */
	for (; rw->fdt.struct_off - off >= RSVMAP_ENTRY_BYTES; off += RSVMAP_ENTRY_BYTES) {
		if (fdt_read_cells(rw->blob + off, 0, 2) == 0 &&
		    fdt_read_cells(rw->blob + off, 2, 2) == 0)
			return 0;
	}
	return -VBLK_EBADDT;
}

/* Walk the structure block to FDT_END; report the depth of node_off
 * (-1 if the walk never meets it). */
static int walk_whole(const struct fdt *fdt, int node_off, int *node_depth)
{
	int off = fdt_root(fdt), depth = 0;

	*node_depth = -1;
	while (off >= 0) {
		if (off == node_off)
			*node_depth = depth;
		off = fdt_next_node(fdt, off, &depth);
		if (off == 0)
			return 0;
	}
	return -VBLK_EBADDT;
}

static int open_rw(struct fdt_rw *rw, void *blob, size_t max_bytes, int node_off,
		   int *node_depth)
{
	int err;

	if (blob == NULL)
		return -VBLK_EINVAL;
	rw->blob = blob;
	rw->max_bytes = max_bytes > FDT_MAX_TOTAL_BYTES ? FDT_MAX_TOTAL_BYTES
							: (uint32_t)max_bytes;
	err = fdt_open(&rw->fdt, blob, rw->max_bytes);
	if (err < 0)
		return err;
	if (fdt_cell32(rw->blob + HDR_VERSION, 0) < FDT_VERSION_STRUCT_SIZE)
		return -VBLK_EUNSUPP;
	err = check_layout(rw);
	if (err < 0)
		return err;
	rw->data_end = rw->fdt.strings_off + rw->fdt.strings_bytes;
	err = walk_whole(&rw->fdt, node_off, node_depth);
	if (err < 0)
		return err;
	return *node_depth < 0 ? -VBLK_EINVAL : 0;
}

/* Does the blob have `grow_bytes` more within the bound? */
static bool room_for(const struct fdt_rw *rw, uint64_t grow_bytes)
{
	return grow_bytes <= (uint64_t)rw->max_bytes - rw->data_end;
}

/* Is [ptr, ptr + len_bytes) clear of the caller's buffer? */
static bool outside_blob(const struct fdt_rw *rw, const void *ptr, size_t len_bytes)
{
	uintptr_t start = (uintptr_t)ptr, blob = (uintptr_t)rw->blob;

	return start + len_bytes <= blob || start >= blob + rw->max_bytes;
}

static void set_header(struct fdt_rw *rw, uint32_t field_off, uint32_t value)
{
	put_be32(rw->blob + field_off, value);
}

/* totalsize follows the data when it grows past it, and never shrinks. */
static void update_totalsize(struct fdt_rw *rw)
{
	if (rw->data_end > rw->fdt.total_bytes) {
		rw->fdt.total_bytes = rw->data_end;
		set_header(rw, HDR_TOTALSIZE, rw->data_end);
	}
}

/* Replace old_bytes at structure offset `at` by new_bytes (left for the
 * caller to fill), moving the rest of the structure block and the strings
 * block. The caller has checked the room. */
static void struct_splice(struct fdt_rw *rw, uint32_t at, uint32_t old_bytes,
			  uint32_t new_bytes)
{
	uint32_t from = rw->fdt.struct_off + at + old_bytes;
	uint32_t to = rw->fdt.struct_off + at + new_bytes;
	uint32_t old_end = rw->data_end;

	memmove(rw->blob + to, rw->blob + from, old_end - from);
	rw->data_end = old_end - old_bytes + new_bytes;
	if (rw->data_end < old_end)
		memset(rw->blob + rw->data_end, 0, old_end - rw->data_end);
	rw->fdt.struct_bytes = rw->fdt.struct_bytes - old_bytes + new_bytes;
	rw->fdt.strings_off = rw->fdt.strings_off - old_bytes + new_bytes;
	set_header(rw, HDR_SIZE_DT_STRUCT, rw->fdt.struct_bytes);
	set_header(rw, HDR_OFF_DT_STRINGS, rw->fdt.strings_off);
	update_totalsize(rw);
}

/* The offset of `name` in the strings block, as a whole string or the
 * tail of one; false if it is not there. */
static bool find_string(const struct fdt_rw *rw, const char *name, uint32_t *name_off)
{
	const uint8_t *strings = rw->blob + rw->fdt.strings_off;
	size_t want_bytes = strlen(name) + 1;

	for (uint32_t off = 0; want_bytes <= rw->fdt.strings_bytes - off; off++) {
		if (memcmp(strings + off, name, want_bytes) == 0) {
			*name_off = off;
			return true;
		}
	}
	return false;
}

/* Append `name` to the strings block, the last block. */
static uint32_t append_string(struct fdt_rw *rw, const char *name)
{
	uint32_t name_off = rw->fdt.strings_bytes;
	uint32_t name_bytes = (uint32_t)strlen(name) + 1;

	memcpy(rw->blob + rw->data_end, name, name_bytes);
	rw->data_end += name_bytes;
	rw->fdt.strings_bytes += name_bytes;
	set_header(rw, HDR_SIZE_DT_STRINGS, rw->fdt.strings_bytes);
	update_totalsize(rw);
	return name_off;
}

/* Structure offset of the first token after a node's padded name. */
static uint32_t node_body_off(const struct fdt_rw *rw, int node_off)
{
	const char *node_name = fdt_node_name(&rw->fdt, node_off);

	return (uint32_t)node_off + FDT_TOKEN_BYTES +
	       fdt_align_token((uint32_t)strlen(node_name) + 1);
}

static uint8_t *struct_ptr(const struct fdt_rw *rw, uint32_t off)
{
	return rw->blob + rw->fdt.struct_off + off;
}

/* Write a value and zero its padding to the next token. */
static void put_value(struct fdt_rw *rw, uint32_t value_off, const void *value,
		      uint32_t len_bytes)
{
	if (len_bytes != 0)
		memcpy(struct_ptr(rw, value_off), value, len_bytes);
	memset(struct_ptr(rw, value_off + len_bytes), 0, fdt_align_token(len_bytes) - len_bytes);
}

static int replace_prop(struct fdt_rw *rw, const uint8_t *old_value, uint32_t old_len,
			const void *value, uint32_t len_bytes)
{
	uint32_t value_off = (uint32_t)(old_value - struct_ptr(rw, 0));
	uint32_t old_bytes = fdt_align_token(old_len), new_bytes = fdt_align_token(len_bytes);

	if (new_bytes > old_bytes && !room_for(rw, new_bytes - old_bytes))
		return -VBLK_ENOSPC;
	struct_splice(rw, value_off, old_bytes, new_bytes);
	put_be32(struct_ptr(rw, value_off - 2 * FDT_TOKEN_BYTES), len_bytes);
	put_value(rw, value_off, value, len_bytes);
	return 0;
}

/* A new property goes first in its node: properties precede subnodes
 * (§5.4.2), and the first place after the name is always before them. */
static int add_prop(struct fdt_rw *rw, int node_off, const char *name, const void *value,
		    uint32_t len_bytes)
{
	uint32_t name_off, at = node_body_off(rw, node_off);
	bool have_name = find_string(rw, name, &name_off);
	uint64_t prop_bytes = PROP_HDR_BYTES + (uint64_t)fdt_align_token(len_bytes);
	uint64_t string_bytes = have_name ? 0 : strlen(name) + 1;

	if (!room_for(rw, prop_bytes + string_bytes))
		return -VBLK_ENOSPC;
	if (!have_name)
		name_off = append_string(rw, name);
	struct_splice(rw, at, 0, (uint32_t)prop_bytes);
	put_be32(struct_ptr(rw, at), FDT_PROP);
	put_be32(struct_ptr(rw, at + FDT_TOKEN_BYTES), len_bytes);
	put_be32(struct_ptr(rw, at + 2 * FDT_TOKEN_BYTES), name_off);
	put_value(rw, at + PROP_HDR_BYTES, value, len_bytes);
	return 0;
}

int fdt_set_prop(void *blob, size_t max_bytes, int node_off, const char *name,
		 const void *value, uint32_t len_bytes)
{
	struct fdt_rw rw;
	const uint8_t *old_value;
	uint32_t old_len;
	int depth, err;

	if (name == NULL || name[0] == '\0' || (value == NULL && len_bytes != 0) ||
	    len_bytes > FDT_MAX_TOTAL_BYTES)
		return -VBLK_EINVAL;
	err = open_rw(&rw, blob, max_bytes, node_off, &depth);
	if (err < 0)
		return err;
	if (!outside_blob(&rw, name, strlen(name) + 1) ||
	    (len_bytes != 0 && !outside_blob(&rw, value, len_bytes)))
		return -VBLK_EINVAL;
	old_value = fdt_getprop(&rw.fdt, node_off, name, &old_len);
	if (old_value != NULL)
		return replace_prop(&rw, old_value, old_len, value, len_bytes);
	return add_prop(&rw, node_off, name, value, len_bytes);
}

/* The child of the node at parent_off (at parent_depth) named exactly
 * `name`, or -VBLK_ENODEV. The blob has been walked whole. */
static int find_child_named(const struct fdt_rw *rw, int parent_off, int parent_depth,
			    const char *name)
{
	int depth = parent_depth, off = parent_off;

	for (;;) {
		off = fdt_next_node(&rw->fdt, off, &depth);
		if (off <= 0 || depth <= parent_depth)
			return -VBLK_ENODEV;
		if (depth == parent_depth + 1 && strcmp(fdt_node_name(&rw->fdt, off), name) == 0)
			return off;
	}
}

/* Where a node's properties end: its first subnode or its FDT_END_NODE.
 * The walk checked every token, so only their lengths are read here. */
static uint32_t props_end(const struct fdt_rw *rw, int node_off)
{
	uint32_t off = node_body_off(rw, node_off);

	for (;;) {
		uint32_t token = fdt_cell32(struct_ptr(rw, off), 0);

		if (token == FDT_NOP) {
			off += FDT_TOKEN_BYTES;
		} else if (token == FDT_PROP) {
			uint32_t len_bytes = fdt_cell32(struct_ptr(rw, off), 1);

			off += PROP_HDR_BYTES + fdt_align_token(len_bytes);
		} else {
			return off;
		}
	}
}

static bool valid_node_name(const char *name)
{
	size_t len = name != NULL ? strlen(name) : 0;

	return len != 0 && len <= FDT_MAX_NAME_BYTES && strchr(name, '/') == NULL;
}

int fdt_add_subnode(void *blob, size_t max_bytes, int parent_off, const char *name)
{
	struct fdt_rw rw;
	uint32_t at, name_bytes, node_bytes;
	int depth, existing, err;

	if (!valid_node_name(name))
		return -VBLK_EINVAL;
	err = open_rw(&rw, blob, max_bytes, parent_off, &depth);
	if (err < 0)
		return err;
	if (!outside_blob(&rw, name, strlen(name) + 1))
		return -VBLK_EINVAL;
	existing = find_child_named(&rw, parent_off, depth, name);
	if (existing >= 0)
		return existing;
	if (depth >= FDT_MAX_DEPTH)
		return -VBLK_EUNSUPP;   /* the reader would refuse the result */

	/* FDT_BEGIN_NODE, the name padded to a token, FDT_END_NODE. */
	name_bytes = fdt_align_token((uint32_t)strlen(name) + 1);
	node_bytes = 2 * FDT_TOKEN_BYTES + name_bytes;
	if (!room_for(&rw, node_bytes))
		return -VBLK_ENOSPC;
	at = props_end(&rw, parent_off);
	struct_splice(&rw, at, 0, node_bytes);
	put_be32(struct_ptr(&rw, at), FDT_BEGIN_NODE);
	put_value(&rw, at + FDT_TOKEN_BYTES, name, (uint32_t)strlen(name) + 1);
	put_be32(struct_ptr(&rw, at + FDT_TOKEN_BYTES + name_bytes), FDT_END_NODE);
	return (int)at;
}
