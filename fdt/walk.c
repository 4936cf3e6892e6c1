/* SPDX-License-Identifier: MIT */
/*
 * fdt_scan(): one walk over every node that reads each node's properties
 * once, collecting those the caller names and the #address-cells /
 * #size-cells its children are decoded with (DT spec §2.3.5); fdt_walk(),
 * the same walk for visitors that look properties up themselves.
 *
 * Every token, name and property is checked as it is read (fdt/struct.c),
 * the depth is bounded by FDT_MAX_DEPTH, and a walk that runs to its end
 * has seen a complete, balanced structure block followed by FDT_END.
 */
#include "vblk/error.h"
#include "fdt/fdt.h"
#include "fdt/token.h"

/* DT spec §2.3.5: defaults when a node has no #address-cells/#size-cells. */
#define DEFAULT_ADDRESS_CELLS 2u
#define DEFAULT_SIZE_CELLS    1u

/* The walk's own properties: looked for with the caller's names, added
 * after them unless the caller asks for them too. */
#define OWN_PROPS 2u

struct scan {
	const struct fdt *fdt;
	const char *names[FDT_SCAN_MAX_PROPS + OWN_PROPS];
	struct fdt_prop props[FDT_SCAN_MAX_PROPS + OWN_PROPS];
	unsigned count;                     /* names in use */
	unsigned address_cells, size_cells; /* their indices in names[] */
	struct fdt_bus cells[FDT_MAX_DEPTH + 1];  /* what the node at depth d
						     gives its children */
	struct fdt_name_cache names_seen;
	fdt_node_fn *visit;
	void *ctx;
};

/* The index of `name` in the scan's names, added if it is not there. */
static unsigned add_name(struct scan *scan, const char *name)
{
	for (unsigned i = 0; i < scan->count; i++) {
		if (fdt_names_equal(scan->names[i], name))
			return i;
	}
	scan->names[scan->count] = name;
	return scan->count++;
}

static uint32_t cells_value(const struct fdt_prop *prop, uint32_t default_cells)
{
	if (prop->value == NULL)
		return default_cells;
	if (prop->len_bytes != FDT_CELL_BYTES)
		return FDT_CELLS_INVALID;
	return fdt_cell32(prop->value, 0);
}

/* Read the node at node_off (depth `depth`, its FDT_BEGIN_NODE checked),
 * hand it to the visitor, and return where its properties end. */
static int read_node(struct scan *scan, uint32_t node_off, int depth, uint32_t *end_off)
{
	static const struct fdt_bus root_parent = { DEFAULT_ADDRESS_CELLS, DEFAULT_SIZE_CELLS };
	uint32_t body_off;
	int err = fdt_skip_node_name(scan->fdt, node_off, &body_off);

	if (err == 0)
		err = fdt_scan_props(scan->fdt, body_off, scan->names, scan->count,
				     scan->props, &scan->names_seen, end_off);
	if (err < 0)
		return err;
	struct fdt_node node = {
		.off = (int)node_off,
		.depth = depth,
		.bus = depth > 0 ? scan->cells[depth - 1] : root_parent,
		.children = {
			cells_value(&scan->props[scan->address_cells], DEFAULT_ADDRESS_CELLS),
			cells_value(&scan->props[scan->size_cells], DEFAULT_SIZE_CELLS),
		},
		.prop = scan->props,
	};
	scan->cells[depth] = node.children;
	return scan->visit(scan->ctx, scan->fdt, &node);
}

int fdt_scan(const struct fdt *fdt, const char *const names[], unsigned count,
	     fdt_node_fn *visit, void *ctx)
{
	/* On the stack (about 1 KiB): a visitor may start a walk of its
	 * own (fdt_node_by_phandle). */
	struct scan scan;
	int root_off = fdt_root(fdt);
	int depth = 0, err;
	uint32_t off, end_off;

	if (visit == NULL || count > FDT_SCAN_MAX_PROPS || (count > 0 && names == NULL))
		return -VBLK_EINVAL;
	if (root_off < 0)
		return root_off;
	scan = (struct scan){ .fdt = fdt, .count = count, .visit = visit, .ctx = ctx };
	for (unsigned i = 0; i < count; i++) {
		if (names[i] == NULL)
			return -VBLK_EINVAL;
		scan.names[i] = names[i];
	}
	scan.address_cells = add_name(&scan, "#address-cells");
	scan.size_cells = add_name(&scan, "#size-cells");
	off = (uint32_t)root_off;
	do {
		err = read_node(&scan, off, depth, &end_off);
		if (err != 0)
			return err;
		off = end_off;
		err = fdt_step_to_node(fdt, &off, &depth);
	} while (err > 0);
	return err;
}

/* ---- fdt_walk: the nodes below the root, looked up by the visitor ---- */

struct walk {
	fdt_visit_fn *visit;
	void *ctx;
};

static int visit_below_root(void *ctx, const struct fdt *fdt, const struct fdt_node *node)
{
	const struct walk *walk = ctx;
	int err;

	if (node->depth == 0)
		return 0;
	err = walk->visit(walk->ctx, fdt, node->off, node->depth, node->bus);
	return err < 0 ? err : 0;
}

int fdt_walk(const struct fdt *fdt, fdt_visit_fn *visit, void *ctx)
{
	struct walk walk = { .visit = visit, .ctx = ctx };

	return fdt_scan(fdt, NULL, 0, visit_below_root, &walk);
}
