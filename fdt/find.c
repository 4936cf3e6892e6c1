/* SPDX-License-Identifier: MIT */
/*
 * Finding one node: by its absolute path, or by its phandle (with a walk,
 * or in the table of those a walk has passed).
 */
#include <string.h>

#include "vblk/error.h"
#include "fdt/fdt.h"

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

/* §2.3.3: 0 and all ones are not phandles (dtc never assigns them). */
#define FDT_PHANDLE_NONE 0u
#define FDT_PHANDLE_ALL  UINT32_MAX

/* "phandle", and the older "linux,phandle" a node may carry instead. */
enum { PROP_PHANDLE, PROP_LINUX_PHANDLE, PHANDLE_PROPS };
static const char *const phandle_names[PHANDLE_PROPS] = {
	[PROP_PHANDLE] = "phandle",
	[PROP_LINUX_PHANDLE] = "linux,phandle",
};

struct phandle_find {
	uint32_t phandle;
	int node_off;
};

static bool names_phandle(const struct fdt_prop *prop, uint32_t phandle)
{
	return prop->value != NULL && prop->len_bytes == FDT_CELL_BYTES &&
	       fdt_cell32(prop->value, 0) == phandle;
}

/* The first node, the root included, that carries the phandle stops the
 * walk (FDT_SCAN_STOP). */
static int visit_phandle(void *ctx, const struct fdt *fdt, const struct fdt_node *node)
{
	struct phandle_find *find = ctx;

	(void)fdt;
	if (!names_phandle(&node->prop[PROP_PHANDLE], find->phandle) &&
	    !names_phandle(&node->prop[PROP_LINUX_PHANDLE], find->phandle))
		return 0;
	find->node_off = node->off;
	return FDT_SCAN_STOP;
}

int fdt_node_by_phandle(const struct fdt *fdt, uint32_t phandle)
{
	struct phandle_find find = { .phandle = phandle, .node_off = -VBLK_ENODEV };
	int err;

	if (phandle == FDT_PHANDLE_NONE || phandle == FDT_PHANDLE_ALL)
		return -VBLK_ENODEV;
	/* One pass over each node's properties for both names; fdt_scan
	 * bounds the walk by the structure block. */
	err = fdt_scan(fdt, phandle_names, PHANDLE_PROPS, visit_phandle, &find);
	return err < 0 ? err : find.node_off;
}

/* ---- phandles a walk has passed ------------------------------------- */

static bool one_cell(const struct fdt_prop *prop)
{
	return prop->value != NULL && prop->len_bytes == FDT_CELL_BYTES;
}

static bool known_phandle(const struct fdt_phandles *known, uint32_t phandle, int *node_off)
{
	for (unsigned i = 0; i < known->count; i++) {
		if (known->phandle[i] == phandle) {
			*node_off = known->node_off[i];
			return true;
		}
	}
	return false;
}

/* A later node with a phandle an earlier one has is not the one a
 * search in document order finds: only the first is kept. */
static void keep_phandle(struct fdt_phandles *known, int node_off, const struct fdt_prop *prop)
{
	uint32_t phandle;
	int kept_off;

	if (!one_cell(prop))
		return;
	phandle = fdt_cell32(prop->value, 0);
	if (phandle == FDT_PHANDLE_NONE || phandle == FDT_PHANDLE_ALL ||
	    known_phandle(known, phandle, &kept_off))
		return;
	if (known->count >= FDT_PHANDLES_KEPT) {
		known->overflow = true;
		return;
	}
	known->phandle[known->count] = phandle;
	known->node_off[known->count++] = node_off;
}

void fdt_phandles_note(struct fdt_phandles *known, int node_off,
		       const struct fdt_prop *phandle, const struct fdt_prop *linux_phandle)
{
	keep_phandle(known, node_off, phandle);
	keep_phandle(known, node_off, linux_phandle);
}

void fdt_phandles_done(struct fdt_phandles *known)
{
	known->complete = true;
}

int fdt_phandles_find(const struct fdt_phandles *known, const struct fdt *fdt,
		      uint32_t phandle)
{
	int node_off;

	if (phandle == FDT_PHANDLE_NONE || phandle == FDT_PHANDLE_ALL)
		return -VBLK_ENODEV;
	if (known != NULL && known_phandle(known, phandle, &node_off))
		return node_off;
	if (known != NULL && known->complete && !known->overflow)
		return -VBLK_ENODEV;
	return fdt_node_by_phandle(fdt, phandle);
}
