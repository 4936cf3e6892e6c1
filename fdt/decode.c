/* SPDX-License-Identifier: MIT */
/*
 * The decoders every reader of a tree shares: status (DT spec §2.3.4),
 * reg with the parent's #address-cells/#size-cells (§2.3.5), and GIC
 * interrupt specifiers (arm,gic binding). Each takes a property value
 * (from fdt_scan or fdt_getprops) or a node to look it up in.
 *
 * Nothing in the blob is trusted: a property that cannot be decoded is
 * -VBLK_EBADDT, and what to do about it is the reader's choice.
 */
#include <string.h>

#include "vblk/error.h"
#include "fdt/fdt.h"

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

static struct fdt_prop lookup(const struct fdt *fdt, int node_off, const char *name)
{
	struct fdt_prop prop = { NULL, 0 };

	prop.value = fdt_getprop(fdt, node_off, name, &prop.len_bytes);
	return prop;
}

static bool string_is(const struct fdt_prop *prop, const char *want)
{
	size_t want_bytes = strlen(want) + 1;

	return prop->value != NULL && prop->len_bytes == want_bytes &&
	       memcmp(prop->value, want, want_bytes) == 0;
}

bool fdt_prop_is_string(const struct fdt *fdt, int node_off, const char *name,
			const char *want)
{
	struct fdt_prop prop = lookup(fdt, node_off, name);

	return string_is(&prop, want);
}

bool fdt_status_okay(const struct fdt_prop *status)
{
	return status->value == NULL || string_is(status, "okay") || string_is(status, "ok");
}

bool fdt_node_enabled(const struct fdt *fdt, int node_off)
{
	struct fdt_prop status = lookup(fdt, node_off, "status");

	return fdt_status_okay(&status);
}

int fdt_decode_reg(const struct fdt_prop *reg_prop, struct fdt_bus bus, struct fdt_reg *reg)
{
	uint32_t entry_bytes;

	if (reg_prop->value == NULL)
		return -VBLK_ENODEV;
	if (bus.address_cells == 0 || bus.address_cells > MAX_ADDR_CELLS ||
	    bus.size_cells > MAX_SIZE_CELLS)
		return -VBLK_EBADDT;
	entry_bytes = (bus.address_cells + bus.size_cells) * FDT_CELL_BYTES;
	if (reg_prop->len_bytes == 0 || reg_prop->len_bytes % entry_bytes != 0)
		return -VBLK_EBADDT;
	reg->cells = reg_prop->value;
	reg->count = reg_prop->len_bytes / entry_bytes;
	reg->bus = bus;
	return 0;
}

int fdt_read_reg(const struct fdt *fdt, int node_off, struct fdt_bus bus,
		 struct fdt_reg *reg)
{
	struct fdt_prop reg_prop = lookup(fdt, node_off, "reg");

	return fdt_decode_reg(&reg_prop, bus, reg);
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

int fdt_decode_gic_interrupt(const struct fdt_prop *interrupts, uint32_t index,
			     uint32_t *intid, uint32_t *flags)
{
	const uint32_t spec_bytes = FDT_GIC_IRQ_CELLS * FDT_CELL_BYTES;
	unsigned first = index * FDT_GIC_IRQ_CELLS;

	if (interrupts->value == NULL)
		return -VBLK_ENODEV;
	if (interrupts->len_bytes == 0 || interrupts->len_bytes % spec_bytes != 0)
		return -VBLK_EBADDT;
	if (index >= interrupts->len_bytes / spec_bytes)
		return -VBLK_ENODEV;
	return fdt_gic_specifier(interrupts->value + first * FDT_CELL_BYTES, intid, flags);
}

int fdt_gic_interrupt(const struct fdt *fdt, int node_off, uint32_t index,
		      uint32_t *intid, uint32_t *flags)
{
	struct fdt_prop interrupts = lookup(fdt, node_off, "interrupts");

	return fdt_decode_gic_interrupt(&interrupts, index, intid, flags);
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
