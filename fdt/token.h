/* SPDX-License-Identifier: MIT */
/*
 * The structure block's tokens as the reader's files share them
 * (fdt/struct.c reads them, fdt/prop.c, fdt/find.c and fdt/walk.c walk
 * with them, fdt/write.c pads what it writes to them). Not for use
 * outside fdt/.
 *
 * Every reader below checks what it reads against the structure or
 * strings block before it hands anything on: an offset that does not
 * fit, a name without its NUL, a property value reaching past the block
 * gives -VBLK_EBADDT (or false), never a read out of bounds. The blob may
 * sit at any address and be read with the MMU off, where an unaligned load
 * faults: multi-byte values are assembled byte by byte.
 */
#ifndef VBLK_FDT_TOKEN_H
#define VBLK_FDT_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#include "vblk/error.h"
#include "fdt/fdt.h"
#include "fdt/header.h"

static inline uint32_t fdt_be32(const uint8_t *bytes)
{
	return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 |
	       (uint32_t)bytes[2] << 8 | (uint32_t)bytes[3];
}

/* strcmp() == 0, one byte at a time, for both the walk and the property
 * lookup: the optimised library versions may load whole words, and the
 * reader runs before the MMU is on, where an unaligned load faults. A
 * name from the blob is NUL-terminated inside the strings block
 * (fdt_prop_name checked it). */
static inline bool fdt_names_equal(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static inline uint32_t fdt_align_token(uint32_t len_bytes)
{
	return (len_bytes + FDT_TOKEN_BYTES - 1) & ~(FDT_TOKEN_BYTES - 1);
}

/* Is [off, off + len) inside a block of block_bytes? (No overflow.) */
static inline bool fdt_in_block(uint32_t off, uint32_t len, uint32_t block_bytes)
{
	return off <= block_bytes && len <= block_bytes - off;
}

static inline const uint8_t *fdt_struct_at(const struct fdt *fdt, uint32_t off)
{
	return fdt->blob + fdt->struct_off + off;
}

/* One property as the structure block holds it (§5.4.1). */
struct fdt_prop_view {
	const char *name;        /* NUL-terminated inside the strings block */
	const uint8_t *value;    /* len_bytes inside the structure block */
	uint32_t len_bytes;
};

/* The token word at `off`, or false if it is not a whole aligned token
 * inside the block. Inline, as the next one: a walk reads every token. */
static inline bool fdt_read_token(const struct fdt *fdt, uint32_t off, uint32_t *token)
{
	if (off % FDT_TOKEN_BYTES != 0 ||
	    !fdt_in_block(off, FDT_TOKEN_BYTES, fdt->struct_bytes))
		return false;
	*token = fdt_be32(fdt_struct_at(fdt, off));
	return true;
}

/* Where the token after the FDT_BEGIN_NODE at node_off starts: its name
 * must be NUL-terminated inside the block, padded to a token. */
int fdt_skip_node_name(const struct fdt *fdt, uint32_t node_off, uint32_t *next_off);

/* The FDT_PROP at `off` in two steps: its value (checked to lie inside
 * the structure block), the offset of its name and the token after it;
 * then its name, NULL unless name_off is a NUL-terminated string inside
 * the strings block. */
static inline int fdt_read_prop_value(const struct fdt *fdt, uint32_t off,
				      struct fdt_prop *value, uint32_t *name_off,
				      uint32_t *next_off)
{
	uint32_t value_off = off + PROP_HDR_BYTES;
	uint32_t len_bytes, end_off;

	if (!fdt_in_block(off, PROP_HDR_BYTES, fdt->struct_bytes))
		return -VBLK_EBADDT;
	len_bytes = fdt_be32(fdt_struct_at(fdt, off + FDT_TOKEN_BYTES));
	if (!fdt_in_block(value_off, len_bytes, fdt->struct_bytes))
		return -VBLK_EBADDT;
	end_off = value_off + fdt_align_token(len_bytes);
	if (end_off > fdt->struct_bytes)
		return -VBLK_EBADDT;
	value->value = fdt_struct_at(fdt, value_off);
	value->len_bytes = len_bytes;
	*name_off = fdt_be32(fdt_struct_at(fdt, off + 2 * FDT_TOKEN_BYTES));
	*next_off = end_off;
	return 0;
}

const char *fdt_prop_name(const struct fdt *fdt, uint32_t name_off);

/* Both steps: the FDT_PROP at `off`, checked as fdt_prop_view says, and
 * the token after it. */
int fdt_read_prop(const struct fdt *fdt, uint32_t off, struct fdt_prop_view *prop,
		  uint32_t *next_off);

/* Read the token at `off` and find where the following one starts;
 * -VBLK_EBADDT for an unknown token or one that does not fit. */
int fdt_next_token(const struct fdt *fdt, uint32_t off, uint32_t *token, uint32_t *next_off);

/* node_off is an FDT_BEGIN_NODE with a good name: where its properties
 * start. */
int fdt_node_body(const struct fdt *fdt, int node_off, uint32_t *body_off);

/* After the root's FDT_END_NODE at `off` only NOPs may come, then FDT_END
 * (§5.4.2): 0 or -VBLK_EBADDT. */
int fdt_expect_end(const struct fdt *fdt, uint32_t off);

/* From `off`, after a node's properties, to the next FDT_BEGIN_NODE in
 * document order: 1 with *off on it and *depth one deeper than the
 * nodes it closed on the way leave it, 0 once the root has closed and
 * FDT_END follows, or -VBLK_EBADDT. A property after a subnode (which
 * §5.4.2 does not allow, but which costs nothing to step over) is
 * checked and skipped as every other token. */
int fdt_step_to_node(const struct fdt *fdt, uint32_t *off, int *depth);

/*
 * What a walk has learnt of the property names it met, by their offset in
 * the strings block: an offset read once is a good name (fdt_prop_name
 * checked it) and is the wanted name `which` (or none of them). A later
 * property with the same name offset needs neither the check nor the
 * comparisons again; one not in the table gets both. Direct-mapped: a
 * collision only costs a comparison.
 */
#define FDT_NAME_CACHE_SLOTS 64u
#define FDT_NAME_NONE        0xffu

struct fdt_name_cache {
	uint32_t name_off_plus1[FDT_NAME_CACHE_SLOTS];   /* 0: empty slot */
	uint8_t which[FDT_NAME_CACHE_SLOTS];
};

/* Read the properties that start at body_off (NOPs skipped) up to the
 * first other token, whose offset goes to *end_off: props[i] gets the
 * value of the first property named names[i] (value NULL if there is
 * none; a name repeated in names[] is given to its first index only).
 * `cache` (may be NULL) must have been zeroed for the same blob and
 * names. -VBLK_EBADDT for a property that cannot be read. */
int fdt_scan_props(const struct fdt *fdt, uint32_t body_off, const char *const names[],
		   unsigned count, struct fdt_prop props[], struct fdt_name_cache *cache,
		   uint32_t *end_off);

#endif
