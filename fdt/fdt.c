/* SPDX-License-Identifier: MIT */
/*
 * Flattened device tree reader (Devicetree Specification v0.4, chapter 5).
 *
 * Nothing in the blob is trusted. fdt_open() checks the header once; every
 * later call re-checks each token, name and length it touches against the
 * structure or strings block, so a malformed blob gives -VBLK_EBADDT and
 * never a read out of bounds. Every loop advances by at least one token and
 * stops at the end of the structure block, so no blob can make it spin.
 *
 * The blob may sit at any address and may be read with the MMU off, where
 * an unaligned load faults on real hardware: all multi-byte values are
 * assembled byte by byte.
 */
#include <string.h>

#include "vblk/error.h"
#include "fdt/fdt.h"
#include "fdt/header.h"

/* Smallest structure block: FDT_BEGIN_NODE, the root's empty name padded
 * to one word, FDT_END_NODE, FDT_END. */
#define FDT_MIN_STRUCT_BYTES (4u * FDT_TOKEN_BYTES)

static uint32_t be32(const uint8_t *bytes)
{
	return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 |
	       (uint32_t)bytes[2] << 8 | (uint32_t)bytes[3];
}

static uint32_t align_token(uint32_t len_bytes)
{
	return (len_bytes + FDT_TOKEN_BYTES - 1) & ~(FDT_TOKEN_BYTES - 1);
}

/* Is [off, off + len) inside a block of block_bytes? (No overflow.) */
static bool in_block(uint32_t off, uint32_t len, uint32_t block_bytes)
{
	return off <= block_bytes && len <= block_bytes - off;
}

uint32_t fdt_cell32(const void *cells, unsigned index)
{
	return be32((const uint8_t *)cells + (size_t)index * FDT_CELL_BYTES);
}

/* Cells beyond the low two are shifted out: callers check ncells first. */
uint64_t fdt_read_cells(const void *cells, unsigned index, unsigned ncells)
{
	uint64_t value = 0;

	for (unsigned i = 0; i < ncells; i++)
		value = value << 32 | fdt_cell32(cells, index + i);
	return value;
}

/* Version 16 has no size_dt_struct: bound the structure block by the
 * strings block if that follows it, else by totalsize. The walk itself
 * stops at FDT_END. */
static int v16_struct_bytes(const struct fdt *fdt, uint32_t *struct_bytes)
{
	uint32_t end_off = fdt->total_bytes;

	if (fdt->struct_off > end_off)
		return -VBLK_EBADDT;
	if (fdt->strings_off > fdt->struct_off && fdt->strings_off < end_off)
		end_off = fdt->strings_off;
	*struct_bytes = (end_off - fdt->struct_off) & ~(FDT_TOKEN_BYTES - 1);
	return 0;
}

/* Blocks inside totalsize, clear of the header, the structure block
 * token-aligned (DT spec §5.4) and big enough for an empty root. */
static int check_blocks(const struct fdt *fdt, uint32_t rsvmap_off)
{
	if (fdt->struct_off % FDT_TOKEN_BYTES != 0 ||
	    fdt->struct_bytes % FDT_TOKEN_BYTES != 0 ||
	    fdt->struct_bytes < FDT_MIN_STRUCT_BYTES)
		return -VBLK_EBADDT;
	if (fdt->struct_off < HDR_BYTES_V16 || fdt->strings_off < HDR_BYTES_V16 ||
	    rsvmap_off < HDR_BYTES_V16 || rsvmap_off > fdt->total_bytes)
		return -VBLK_EBADDT;
	if (!in_block(fdt->struct_off, fdt->struct_bytes, fdt->total_bytes) ||
	    !in_block(fdt->strings_off, fdt->strings_bytes, fdt->total_bytes))
		return -VBLK_EBADDT;
	return 0;
}

int fdt_open(struct fdt *fdt, const void *blob, size_t max_bytes)
{
	const uint8_t *bytes = blob;
	struct fdt checked;
	uint32_t version, last_comp;
	int err;

	if (fdt == NULL)
		return -VBLK_EINVAL;
	/* Enough for the fields every accepted version has (v16). */
	if (blob == NULL || max_bytes < HDR_BYTES_V16 ||
	    be32(bytes + HDR_MAGIC) != FDT_MAGIC)
		return -VBLK_EBADDT;

	checked.blob = bytes;
	checked.total_bytes = be32(bytes + HDR_TOTALSIZE);
	version = be32(bytes + HDR_VERSION);
	last_comp = be32(bytes + HDR_LAST_COMP);
	if (checked.total_bytes > max_bytes ||
	    checked.total_bytes > FDT_MAX_TOTAL_BYTES)
		return -VBLK_EBADDT;
	if (version < FDT_FIRST_VERSION || last_comp > FDT_NEWEST_COMPAT ||
	    last_comp > version)
		return -VBLK_EBADDT;
	if (checked.total_bytes < (version >= FDT_VERSION_STRUCT_SIZE ?
				   HDR_BYTES_V17 : HDR_BYTES_V16))
		return -VBLK_EBADDT;

	checked.struct_off = be32(bytes + HDR_OFF_DT_STRUCT);
	checked.strings_off = be32(bytes + HDR_OFF_DT_STRINGS);
	checked.strings_bytes = be32(bytes + HDR_SIZE_DT_STRINGS);
	if (version >= FDT_VERSION_STRUCT_SIZE)
		checked.struct_bytes = be32(bytes + HDR_SIZE_DT_STRUCT);
	else if (v16_struct_bytes(&checked, &checked.struct_bytes) < 0)
		return -VBLK_EBADDT;
	err = check_blocks(&checked, be32(bytes + HDR_OFF_MEM_RSVMAP));
	if (err < 0)
		return err;

	*fdt = checked;
	return 0;
}

static const uint8_t *struct_at(const struct fdt *fdt, uint32_t off)
{
	return fdt->blob + fdt->struct_off + off;
}

/* The token word at `off`, or false if it does not fit in the block. */
static bool read_token(const struct fdt *fdt, uint32_t off, uint32_t *token)
{
	if (off % FDT_TOKEN_BYTES != 0 ||
	    !in_block(off, FDT_TOKEN_BYTES, fdt->struct_bytes))
		return false;
	*token = be32(struct_at(fdt, off));
	return true;
}

/* A node's name starts after its FDT_BEGIN_NODE token, is NUL-terminated
 * inside the structure block and is padded to the next token (§5.4.1). */
static int skip_node_name(const struct fdt *fdt, uint32_t node_off,
			  uint32_t *next_off)
{
	uint32_t name_off = node_off + FDT_TOKEN_BYTES;
	uint32_t avail_bytes = fdt->struct_bytes - name_off;
	const uint8_t *name = struct_at(fdt, name_off);
	const uint8_t *nul = memchr(name, '\0', avail_bytes);
	uint32_t end_off;

	if (nul == NULL)
		return -VBLK_EBADDT;
	end_off = name_off + align_token((uint32_t)(nul - name) + 1);
	if (end_off > fdt->struct_bytes)
		return -VBLK_EBADDT;
	*next_off = end_off;
	return 0;
}

struct prop_view {
	const char *name;        /* NUL-terminated inside the strings block */
	const uint8_t *value;
	uint32_t len_bytes;
};

/* Decode the FDT_PROP at `off`: its value must fit in the structure block
 * and its name offset must name a NUL-terminated string inside the strings
 * block (§5.4.1). */
static int read_prop(const struct fdt *fdt, uint32_t off, struct prop_view *prop,
		     uint32_t *next_off)
{
	uint32_t value_off = off + PROP_HDR_BYTES;
	uint32_t len_bytes, name_off, end_off;
	const uint8_t *strings = fdt->blob + fdt->strings_off;

	if (!in_block(off, PROP_HDR_BYTES, fdt->struct_bytes))
		return -VBLK_EBADDT;
	len_bytes = be32(struct_at(fdt, off + FDT_TOKEN_BYTES));
	name_off = be32(struct_at(fdt, off + 2 * FDT_TOKEN_BYTES));
	if (!in_block(value_off, len_bytes, fdt->struct_bytes))
		return -VBLK_EBADDT;
	end_off = value_off + align_token(len_bytes);
	if (end_off > fdt->struct_bytes)
		return -VBLK_EBADDT;
	if (name_off >= fdt->strings_bytes ||
	    memchr(strings + name_off, '\0', fdt->strings_bytes - name_off) == NULL)
		return -VBLK_EBADDT;

	prop->name = (const char *)strings + name_off;
	prop->value = struct_at(fdt, value_off);
	prop->len_bytes = len_bytes;
	*next_off = end_off;
	return 0;
}

/* Read the token at `off` and find where the following token starts. */
static int next_token(const struct fdt *fdt, uint32_t off, uint32_t *token,
		      uint32_t *next_off)
{
	struct prop_view prop;

	if (!read_token(fdt, off, token))
		return -VBLK_EBADDT;
	switch (*token) {
	case FDT_BEGIN_NODE:
		return skip_node_name(fdt, off, next_off);
	case FDT_PROP:
		return read_prop(fdt, off, &prop, next_off);
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		*next_off = off + FDT_TOKEN_BYTES;
		return 0;
	default:
		return -VBLK_EBADDT;
	}
}

/* Validate that node_off is an FDT_BEGIN_NODE and return where its
 * properties start. */
static int node_body(const struct fdt *fdt, int node_off, uint32_t *body_off)
{
	uint32_t token;

	if (fdt == NULL || node_off < 0 ||
	    !read_token(fdt, (uint32_t)node_off, &token) ||
	    token != FDT_BEGIN_NODE)
		return -VBLK_EBADDT;
	return skip_node_name(fdt, (uint32_t)node_off, body_off);
}

int fdt_root(const struct fdt *fdt)
{
	uint32_t off = 0, token;

	if (fdt == NULL)
		return -VBLK_EBADDT;
	/* NOPs may precede the root node; each step advances one token. Like
	 * every offset fdt_next_node() returns, the root's name is checked. */
	while (read_token(fdt, off, &token)) {
		if (token == FDT_BEGIN_NODE) {
			uint32_t body_off;

			if (skip_node_name(fdt, off, &body_off) < 0)
				return -VBLK_EBADDT;
			return (int)off;
		}
		if (token != FDT_NOP)
			return -VBLK_EBADDT;
		off += FDT_TOKEN_BYTES;
	}
	return -VBLK_EBADDT;
}

/* After the root's FDT_END_NODE only NOPs may come, then FDT_END (§5.4.2). */
static int expect_end(const struct fdt *fdt, uint32_t off)
{
	uint32_t token;

	while (read_token(fdt, off, &token)) {
		if (token == FDT_END)
			return 0;
		if (token != FDT_NOP)
			return -VBLK_EBADDT;
		off += FDT_TOKEN_BYTES;
	}
	return -VBLK_EBADDT;
}

int fdt_next_node(const struct fdt *fdt, int node_off, int *depth)
{
	int node_depth = depth != NULL ? *depth : 0;
	uint32_t off, next_off, token;
	int err;

	if (node_depth < 0 || node_depth > FDT_MAX_DEPTH)
		return -VBLK_EBADDT;
	err = node_body(fdt, node_off, &off);
	if (err < 0)
		return err;
	/* Each step moves `off` forward by at least one token, and next_token
	 * fails once it would leave the block: the loop is bounded. */
	for (;;) {
		err = next_token(fdt, off, &token, &next_off);
		if (err < 0)
			return err;
		switch (token) {
		case FDT_BEGIN_NODE:
			if (++node_depth > FDT_MAX_DEPTH)
				return -VBLK_EBADDT;
			if (depth != NULL)
				*depth = node_depth;
			return (int)off;
		case FDT_END_NODE:
			if (--node_depth < 0)
				return expect_end(fdt, next_off);
			break;
		case FDT_END:
			/* FDT_END inside an open node: unbalanced tree. */
			return -VBLK_EBADDT;
		default:
			break;
		}
		off = next_off;
	}
}

const char *fdt_node_name(const struct fdt *fdt, int node_off)
{
	uint32_t body_off;

	if (node_body(fdt, node_off, &body_off) < 0)
		return NULL;
	return (const char *)struct_at(fdt, (uint32_t)node_off + FDT_TOKEN_BYTES);
}

/* strcmp() == 0, one byte at a time: the optimised library versions may
 * load whole words, and this runs before the MMU is on. `blob_name` is
 * NUL-terminated inside the strings block (read_prop checked). */
static bool names_equal(const char *blob_name, const char *name)
{
	while (*blob_name != '\0' && *blob_name == *name) {
		blob_name++;
		name++;
	}
	return *blob_name == *name;
}

const void *fdt_getprop(const struct fdt *fdt, int node_off, const char *name,
			uint32_t *len_bytes)
{
	struct prop_view prop;
	uint32_t off, next_off, token;

	if (name == NULL || node_body(fdt, node_off, &off) < 0)
		return NULL;
	/* Properties come before subnodes (§5.4.2): stop at the first
	 * token that is neither a property nor a NOP. */
	while (read_token(fdt, off, &token)) {
		if (token == FDT_NOP) {
			off += FDT_TOKEN_BYTES;
			continue;
		}
		if (token != FDT_PROP || read_prop(fdt, off, &prop, &next_off) < 0)
			return NULL;
		if (names_equal(prop.name, name)) {
			if (len_bytes != NULL)
				*len_bytes = prop.len_bytes;
			return prop.value;
		}
		off = next_off;
	}
	return NULL;
}

/* Does node name `name` match path component comp[0..comp_len)? Without a
 * unit address in the component, "memory" matches "memory@40000000". */
static bool name_matches(const char *name, const char *comp, size_t comp_len)
{
	if (strncmp(name, comp, comp_len) != 0)
		return false;
	/* strncmp matched comp_len non-NUL bytes, so name[comp_len] exists. */
	if (name[comp_len] == '\0')
		return true;
	return name[comp_len] == '@' && memchr(comp, '@', comp_len) == NULL;
}

static int find_child(const struct fdt *fdt, int parent_off, int parent_depth,
		      const char *comp, size_t comp_len)
{
	int depth = parent_depth;
	int off = parent_off;

	for (;;) {
		off = fdt_next_node(fdt, off, &depth);
		if (off < 0)
			return off;
		if (off == 0 || depth <= parent_depth)
			return -VBLK_ENODEV;
		if (depth == parent_depth + 1) {
			const char *name = fdt_node_name(fdt, off);

			if (name == NULL)
				return -VBLK_EBADDT;
			if (name_matches(name, comp, comp_len))
				return off;
		}
	}
}

int fdt_path_offset(const struct fdt *fdt, const char *path)
{
	int node_off, depth = 0;

	if (path == NULL || path[0] != '/')
		return -VBLK_ENODEV;
	node_off = fdt_root(fdt);
	while (node_off >= 0) {
		size_t comp_len;

		while (*path == '/')
			path++;
		if (*path == '\0')
			break;
		for (comp_len = 0; path[comp_len] != '\0' && path[comp_len] != '/';)
			comp_len++;
		if (depth >= FDT_MAX_DEPTH)
			return -VBLK_ENODEV;
		node_off = find_child(fdt, node_off, depth, path, comp_len);
		depth++;
		path += comp_len;
	}
	return node_off;
}

static bool has_phandle(const struct fdt *fdt, int node_off, const char *name,
			uint32_t phandle)
{
	uint32_t len_bytes;
	const void *value = fdt_getprop(fdt, node_off, name, &len_bytes);

	return value != NULL && len_bytes == FDT_CELL_BYTES && fdt_cell32(value, 0) == phandle;
}

/* §2.3.3: 0 and all ones are not phandles (dtc never assigns them). */
#define FDT_PHANDLE_NONE 0u
#define FDT_PHANDLE_ALL  UINT32_MAX

int fdt_node_by_phandle(const struct fdt *fdt, uint32_t phandle)
{
	int node_off, depth = 0;

	if (phandle == FDT_PHANDLE_NONE || phandle == FDT_PHANDLE_ALL)
		return -VBLK_ENODEV;
	/* The root first (it may sit at offset 0, which fdt_next_node
	 * returns only at the end); fdt_next_node bounds the walk by the
	 * structure block. */
	for (node_off = fdt_root(fdt); node_off >= 0;) {
		if (has_phandle(fdt, node_off, "phandle", phandle) ||
		    has_phandle(fdt, node_off, "linux,phandle", phandle))
			return node_off;
		node_off = fdt_next_node(fdt, node_off, &depth);
		if (node_off == 0)
			return -VBLK_ENODEV;
	}
	return node_off;
}

bool fdt_is_compatible(const struct fdt *fdt, int node_off, const char *compat)
{
	uint32_t len_bytes, pos = 0;
	const char *list = fdt_getprop(fdt, node_off, "compatible", &len_bytes);
	size_t want_len;

	if (list == NULL || compat == NULL)
		return false;
	want_len = strlen(compat);
	/* A string list; the last entry may lack its NUL in a bad blob. */
	while (pos < len_bytes) {
		const char *entry = list + pos;
		const char *nul = memchr(entry, '\0', len_bytes - pos);
		size_t entry_len = nul != NULL ? (size_t)(nul - entry) : len_bytes - pos;

		if (entry_len == want_len && memcmp(entry, compat, want_len) == 0)
			return true;
		pos += (uint32_t)entry_len + 1;
	}
	return false;
}
