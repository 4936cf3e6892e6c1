/* SPDX-License-Identifier: MIT */
/*
 * Property lookup (Devicetree Specification v0.4 §5.4.1): the values of
 * one or several properties of a node, read in one pass over its
 * properties, each checked as fdt/struct.c reads it.
 */
#include <string.h>

#include "vblk/error.h"
#include "fdt/fdt.h"
#include "fdt/token.h"

/* The index of the first wanted name equal to `name`, or FDT_NAME_NONE. */
static unsigned which_name(const char *name, const char *const names[], unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		if (fdt_names_equal(name, names[i]))
			return i;
	}
	return FDT_NAME_NONE;
}

static unsigned cache_slot(uint32_t name_off)
{
	/* Fibonacci hashing: the top 6 bits for 64 slots. */
	return (name_off * 2654435761u) >> 26;
}

/* Which wanted name the property at name_off has: from the cache, or
 * checked and compared (then remembered). -VBLK_EBADDT for a bad name. */
static int name_index(const struct fdt *fdt, uint32_t name_off, const char *const names[],
		      unsigned count, struct fdt_name_cache *cache, unsigned *which)
{
	unsigned slot = cache_slot(name_off);
	const char *name;

	if (cache != NULL && cache->name_off_plus1[slot] == name_off + 1) {
		*which = cache->which[slot];
		return 0;
	}
	name = fdt_prop_name(fdt, name_off);
	if (name == NULL)
		return -VBLK_EBADDT;
	*which = which_name(name, names, count);
	if (cache != NULL) {
		cache->name_off_plus1[slot] = name_off + 1;
		cache->which[slot] = (uint8_t)*which;
	}
	return 0;
}

int fdt_scan_props(const struct fdt *fdt, uint32_t body_off, const char *const names[],
		   unsigned count, struct fdt_prop props[], struct fdt_name_cache *cache,
		   uint32_t *end_off)
{
	struct fdt_prop value;
	uint32_t off = body_off, next_off, name_off, token;
	unsigned which;

	if (count >= FDT_NAME_NONE)
		return -VBLK_EINVAL;
	for (unsigned i = 0; i < count; i++)
		props[i] = (struct fdt_prop){ NULL, 0 };
	/* Properties come before subnodes (§5.4.2): stop at the first
	 * token that is neither a property nor a NOP. Each step advances by
	 * at least one token inside the block. */
	for (;;) {
		if (!fdt_read_token(fdt, off, &token))
			return -VBLK_EBADDT;
		if (token == FDT_NOP) {
			off += FDT_TOKEN_BYTES;
			continue;
		}
		if (token != FDT_PROP)
			break;
		if (fdt_read_prop_value(fdt, off, &value, &name_off, &next_off) < 0 ||
		    name_index(fdt, name_off, names, count, cache, &which) < 0)
			return -VBLK_EBADDT;
		if (which != FDT_NAME_NONE && props[which].value == NULL)
			props[which] = value;
		off = next_off;
	}
	*end_off = off;
	return 0;
}

int fdt_getprops(const struct fdt *fdt, int node_off, const char *const names[],
		 unsigned count, struct fdt_prop props[])
{
	uint32_t body_off, end_off;
	int err;

	if (names == NULL || props == NULL)
		return -VBLK_EINVAL;
	for (unsigned i = 0; i < count; i++) {
		props[i] = (struct fdt_prop){ NULL, 0 };
		if (names[i] == NULL)
			return -VBLK_EINVAL;
	}
	err = fdt_node_body(fdt, node_off, &body_off);
	if (err == 0)
		err = fdt_scan_props(fdt, body_off, names, count, props, NULL, &end_off);
	if (err < 0) {
		for (unsigned i = 0; i < count; i++)
			props[i] = (struct fdt_prop){ NULL, 0 };
	}
	return err;
}

const void *fdt_getprop(const struct fdt *fdt, int node_off, const char *name,
			uint32_t *len_bytes)
{
	struct fdt_prop prop;

	if (name == NULL || fdt_getprops(fdt, node_off, &name, 1, &prop) < 0 ||
	    prop.value == NULL)
		return NULL;
	if (len_bytes != NULL)
		*len_bytes = prop.len_bytes;
	return prop.value;
}

bool fdt_compat_has(const struct fdt_prop *compatible, const char *compat)
{
	const char *list = (const char *)compatible->value;
	uint32_t len_bytes = compatible->len_bytes, pos = 0;
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

bool fdt_is_compatible(const struct fdt *fdt, int node_off, const char *compat)
{
	struct fdt_prop compatible = { NULL, 0 };

	compatible.value = fdt_getprop(fdt, node_off, "compatible", &compatible.len_bytes);
	return fdt_compat_has(&compatible, compat);
}
