/* SPDX-License-Identifier: MIT */
/*
 * fdt_walk() and the decoders its visitors share: reg with the parent's
 * #address-cells/#size-cells (DT spec §2.3.5), status (§2.3.4), and GIC
 * interrupt specifiers (arm,gic binding).
 *
 * Like the rest of fdt/, nothing in the blob is trusted: a property that
 * cannot be decoded is -VBLK_EBADDT, and what to do about it is the
 * reader's choice.
 */
#include <string.h>

#include "vblk/error.h"
#include "fdt/fdt.h"

/* DT spec §2.3.5: defaults when a node has no #address-cells/#size-cells. */
#define DEFAULT_ADDRESS_CELLS 2u
#define DEFAULT_SIZE_CELLS    1u
/* We hold addresses and sizes in 64 bits: at most two cells each. */
#define MAX_ADDR_CELLS        2u
#define MAX_SIZE_CELLS        2u

/* arm,gic binding: interrupts = <type number flags>. */
#define GIC_IRQ_TYPE_SPI      0u
#define GIC_IRQ_TYPE_PPI      1u
#define GIC_SPI_BASE_INTID    32u
#define GIC_SPI_COUNT         988u   /* INTIDs 32..1019 */
#define GIC_PPI_BASE_INTID    16u
#define GIC_PPI_COUNT         16u    /* INTIDs 16..31 */

static uint32_t cells_prop(const struct fdt *fdt, int node_off, const char *name,
			   uint32_t default_cells)
{
	uint32_t len_bytes;
	const void *value = fdt_getprop(fdt, node_off, name, &len_bytes);

	if (value == NULL)
		return default_cells;
	if (len_bytes != FDT_CELL_BYTES)
		return FDT_CELLS_INVALID;
	return fdt_cell32(value, 0);
}

static struct fdt_bus node_bus_cells(const struct fdt *fdt, int node_off)
{
	struct fdt_bus bus = {
		.address_cells = cells_prop(fdt, node_off, "#address-cells",
					    DEFAULT_ADDRESS_CELLS),
		.size_cells = cells_prop(fdt, node_off, "#size-cells",
					 DEFAULT_SIZE_CELLS),
	};
	return bus;
}

int fdt_walk(const struct fdt *fdt, fdt_visit_fn *visit, void *ctx)
{
	/* cells[d]: what the node at depth d says about its children */
	struct fdt_bus cells[FDT_MAX_DEPTH + 1];
	int node_off = fdt_root(fdt);
	int depth = 0;

	if (node_off < 0)
		return node_off;
	cells[0] = node_bus_cells(fdt, node_off);
	/* fdt_next_node bounds depth by FDT_MAX_DEPTH and the walk by the
	 * size of the structure block. */
	for (;;) {
		node_off = fdt_next_node(fdt, node_off, &depth);
		if (node_off <= 0)
			return node_off;
		if (fdt_node_name(fdt, node_off) == NULL)
			return -VBLK_EBADDT;
		cells[depth] = node_bus_cells(fdt, node_off);
		int err = visit(ctx, fdt, node_off, depth, cells[depth - 1]);
		if (err < 0)
			return err;
	}
}

bool fdt_prop_is_string(const struct fdt *fdt, int node_off, const char *name,
			const char *want)
{
	uint32_t len_bytes;
	const char *value = fdt_getprop(fdt, node_off, name, &len_bytes);
	size_t want_bytes = strlen(want) + 1;

	return value != NULL && len_bytes == want_bytes &&
	       memcmp(value, want, want_bytes) == 0;
}

bool fdt_node_enabled(const struct fdt *fdt, int node_off)
{
	if (fdt_getprop(fdt, node_off, "status", NULL) == NULL)
		return true;
	return fdt_prop_is_string(fdt, node_off, "status", "okay") ||
	       fdt_prop_is_string(fdt, node_off, "status", "ok");
}

int fdt_read_reg(const struct fdt *fdt, int node_off, struct fdt_bus bus,
		 struct fdt_reg *reg)
{
	uint32_t len_bytes, entry_bytes;
	const void *value = fdt_getprop(fdt, node_off, "reg", &len_bytes);

	if (value == NULL)
		return -VBLK_ENODEV;
	if (bus.address_cells == 0 || bus.address_cells > MAX_ADDR_CELLS ||
	    bus.size_cells > MAX_SIZE_CELLS)
		return -VBLK_EBADDT;
	entry_bytes = (bus.address_cells + bus.size_cells) * FDT_CELL_BYTES;
	if (len_bytes == 0 || len_bytes % entry_bytes != 0)
		return -VBLK_EBADDT;
	reg->cells = value;
	reg->count = len_bytes / entry_bytes;
	reg->bus = bus;
	return 0;
}

struct fdt_region fdt_reg_entry(const struct fdt_reg *reg, uint32_t index)
{
	uint32_t entry_cells = reg->bus.address_cells + reg->bus.size_cells;
	unsigned first = index * entry_cells;
	struct fdt_region region = {
		.base = fdt_read_cells(reg->cells, first, reg->bus.address_cells),
		.size_bytes = fdt_read_cells(reg->cells,
					     first + reg->bus.address_cells,
					     reg->bus.size_cells),
	};
	return region;
}

int fdt_gic_interrupt(const struct fdt *fdt, int node_off, uint32_t index,
		      uint32_t *intid, uint32_t *flags)
{
	uint32_t len_bytes;
	const uint32_t spec_bytes = FDT_GIC_IRQ_CELLS * FDT_CELL_BYTES;
	const void *value = fdt_getprop(fdt, node_off, "interrupts", &len_bytes);
	unsigned first = index * FDT_GIC_IRQ_CELLS;

	if (value == NULL)
		return -VBLK_ENODEV;
	if (len_bytes == 0 || len_bytes % spec_bytes != 0)
		return -VBLK_EBADDT;
	if (index >= len_bytes / spec_bytes)
		return -VBLK_ENODEV;
	return fdt_gic_specifier((const uint8_t *)value + first * FDT_CELL_BYTES, intid, flags);
}

int fdt_gic_specifier(const void *cells, uint32_t *intid, uint32_t *flags)
{
	uint32_t type = fdt_cell32(cells, 0), number = fdt_cell32(cells, 1);

	*flags = fdt_cell32(cells, 2);
	*intid = 0;
	if (type == GIC_IRQ_TYPE_SPI) {
		if (number >= GIC_SPI_COUNT)
			return -VBLK_EBADDT;
		*intid = GIC_SPI_BASE_INTID + number;
	} else if (type == GIC_IRQ_TYPE_PPI) {
		if (number >= GIC_PPI_COUNT)
			return -VBLK_EBADDT;
		*intid = GIC_PPI_BASE_INTID + number;
	}
	return 0;
}
