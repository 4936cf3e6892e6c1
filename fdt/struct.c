/* SPDX-License-Identifier: MIT */
/*
 * The structure block (Devicetree Specification v0.4 §5.4): its tokens,
 * node names and property headers, each checked against the block as it
 * is read, and the node-by-node walk built on them.
 *
 * Nothing in the blob is trusted: a malformed block gives -VBLK_EBADDT
 * and never a read out of bounds. Every loop advances by at least one
 * token and stops at the end of the block, so no blob can make it spin.
 */
#include <string.h>

#include "vblk/error.h"
#include "fdt/fdt.h"
#include "fdt/header.h"
#include "fdt/token.h"

/* A node's name starts after its FDT_BEGIN_NODE token, is NUL-terminated
 * inside the structure block and is padded to the next token (§5.4.1). */
int fdt_skip_node_name(const struct fdt *fdt, uint32_t node_off, uint32_t *next_off)
{
	uint32_t name_off = node_off + FDT_TOKEN_BYTES;
	uint32_t avail_bytes = fdt->struct_bytes - name_off;
	const uint8_t *name = fdt_struct_at(fdt, name_off);
	const uint8_t *nul = memchr(name, '\0', avail_bytes);
	uint32_t end_off;

	if (nul == NULL)
		return -VBLK_EBADDT;
	end_off = name_off + fdt_align_token((uint32_t)(nul - name) + 1);
	if (end_off > fdt->struct_bytes)
		return -VBLK_EBADDT;
	*next_off = end_off;
	return 0;
}

/* The name offset must name a NUL-terminated string inside the strings
 * block (§5.4.1). */
const char *fdt_prop_name(const struct fdt *fdt, uint32_t name_off)
{
	const uint8_t *strings = fdt->blob + fdt->strings_off;

	if (name_off >= fdt->strings_bytes ||
	    memchr(strings + name_off, '\0', fdt->strings_bytes - name_off) == NULL)
		return NULL;
	return (const char *)strings + name_off;
}

int fdt_read_prop(const struct fdt *fdt, uint32_t off, struct fdt_prop_view *prop,
		  uint32_t *next_off)
{
	struct fdt_prop value;
	uint32_t name_off;
	int err = fdt_read_prop_value(fdt, off, &value, &name_off, next_off);

	if (err < 0)
		return err;
	prop->name = fdt_prop_name(fdt, name_off);
	if (prop->name == NULL)
		return -VBLK_EBADDT;
	prop->value = value.value;
	prop->len_bytes = value.len_bytes;
	return 0;
}

int fdt_next_token(const struct fdt *fdt, uint32_t off, uint32_t *token, uint32_t *next_off)
{
	struct fdt_prop_view prop;

	if (!fdt_read_token(fdt, off, token))
		return -VBLK_EBADDT;
	switch (*token) {
	case FDT_BEGIN_NODE:
		return fdt_skip_node_name(fdt, off, next_off);
	case FDT_PROP:
		return fdt_read_prop(fdt, off, &prop, next_off);
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		*next_off = off + FDT_TOKEN_BYTES;
		return 0;
	default:
		return -VBLK_EBADDT;
	}
}

int fdt_node_body(const struct fdt *fdt, int node_off, uint32_t *body_off)
{
	uint32_t token;

	if (fdt == NULL || node_off < 0 ||
	    !fdt_read_token(fdt, (uint32_t)node_off, &token) ||
	    token != FDT_BEGIN_NODE)
		return -VBLK_EBADDT;
	return fdt_skip_node_name(fdt, (uint32_t)node_off, body_off);
}

int fdt_root(const struct fdt *fdt)
{
	uint32_t off = 0, token;

	if (fdt == NULL)
		return -VBLK_EBADDT;
	/* NOPs may precede the root node; each step advances one token. Like
	 * every offset fdt_next_node() returns, the root's name is checked. */
	while (fdt_read_token(fdt, off, &token)) {
		if (token == FDT_BEGIN_NODE) {
			uint32_t body_off;

			if (fdt_skip_node_name(fdt, off, &body_off) < 0)
				return -VBLK_EBADDT;
			return (int)off;
		}
		if (token != FDT_NOP)
			return -VBLK_EBADDT;
		off += FDT_TOKEN_BYTES;
	}
	return -VBLK_EBADDT;
}

int fdt_expect_end(const struct fdt *fdt, uint32_t off)
{
	uint32_t token;

	while (fdt_read_token(fdt, off, &token)) {
		if (token == FDT_END)
			return 0;
		if (token != FDT_NOP)
			return -VBLK_EBADDT;
		off += FDT_TOKEN_BYTES;
	}
	return -VBLK_EBADDT;
}

int fdt_step_to_node(const struct fdt *fdt, uint32_t *off, int *depth)
{
	uint32_t token, next_off;

	/* Each step moves forward by at least one token, and fdt_next_token
	 * fails once it would leave the block: the loop is bounded. */
	for (;;) {
		int err = fdt_next_token(fdt, *off, &token, &next_off);

		if (err < 0)
			return err;
		switch (token) {
		case FDT_BEGIN_NODE:
			if (*depth + 1 > FDT_MAX_DEPTH)
				return -VBLK_EBADDT;
			(*depth)++;
			return 1;
		case FDT_END_NODE:
			if (--(*depth) < 0)
				return fdt_expect_end(fdt, next_off);
			break;
		case FDT_END:
			return -VBLK_EBADDT;   /* inside an open node: unbalanced */
		default:
			break;
		}
		*off = next_off;
	}
}

int fdt_next_node(const struct fdt *fdt, int node_off, int *depth)
{
	int node_depth = depth != NULL ? *depth : 0;
	uint32_t off;
	int err;

	if (node_depth < 0 || node_depth > FDT_MAX_DEPTH)
		return -VBLK_EBADDT;
	err = fdt_node_body(fdt, node_off, &off);
	if (err == 0)
		err = fdt_step_to_node(fdt, &off, &node_depth);
	if (err <= 0)
		return err;
	if (depth != NULL)
		*depth = node_depth;
	return (int)off;
}

const char *fdt_node_name(const struct fdt *fdt, int node_off)
{
	uint32_t body_off;

	if (fdt_node_body(fdt, node_off, &body_off) < 0)
		return NULL;
	return (const char *)fdt_struct_at(fdt, (uint32_t)node_off + FDT_TOKEN_BYTES);
}
