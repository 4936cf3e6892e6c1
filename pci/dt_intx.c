/* SPDX-License-Identifier: MIT */
/*
 * The PCI host node's interrupt-map (DT spec v0.4 §2.4.3; Linux's
 * Documentation/devicetree/bindings/pci/pci.txt; Open Firmware
 * Recommended Practice: Interrupt Mapping 0.9), as far as it leads to an
 * Arm GIC: pci.h says what is supported.
 *
 * Each entry: the child unit address (3 cells) and pin (the host's
 * #interrupt-cells, 1), the interrupt parent's phandle, then the parent's
 * unit address (its #address-cells, 0 if absent, §2.4.3.1) and interrupt
 * specifier (its #interrupt-cells). An entry's length depends on the node
 * its phandle names, so one that cannot be resolved leaves the rest
 * unreadable.
 */
#include <string.h>

#include "pci/pci.h"
#include "pci/dt_intx.h"

#include "vblk/error.h"
#include "fdt/fdt.h"

#define PCI_DT_INTERRUPT_CELLS 1u
#define MAP_CHILD_CELLS        (PCI_DT_ADDRESS_CELLS + PCI_DT_INTERRUPT_CELLS)
#define MAP_PHANDLE_CELLS      1u
#define MAP_FIXED_CELLS        (MAP_CHILD_CELLS + MAP_PHANDLE_CELLS)
#define MAP_PHYS_HI            0u
#define MAP_PHYS_MID           1u
#define MAP_PHYS_LO            2u
#define MAP_PIN                3u

/*
 * Finding a parent searches the whole tree, so the parents found are kept:
 * QEMU's map names one GIC in every entry. A map that makes more than
 * MAP_PARENT_SEARCHES searches (more distinct parents than the cache
 * holds, in turn) is not read, or a large hostile blob would cost entries
 * x nodes steps.
 */
#define MAP_PARENTS_KEPT     4u
#define MAP_PARENT_SEARCHES  16u

struct map_parent {
	uint32_t phandle;          /* 0: an empty slot (0 names no node) */
	uint32_t address_cells;
	uint32_t interrupt_cells;
	bool is_gic;
};

struct map_reader {
	const struct fdt *fdt;
	const struct fdt_phandles *known;   /* may be NULL */
	uint32_t mask[MAP_CHILD_CELLS];
	struct map_parent parent[MAP_PARENTS_KEPT];
	unsigned searches;         /* also picks the slot the next one fills */
	struct pci_intx_map *map;
};

/* A one-cell property, or `absent` when it is missing; REQUIRED_CELLS: a
 * missing one is -VBLK_EBADDT, as is one that is not a single cell. */
#define REQUIRED_CELLS UINT32_MAX

static int read_cells(const struct fdt *fdt, int node_off, const char *name, uint32_t absent,
		      uint32_t *cells)
{
	uint32_t len_bytes;
	const void *value = fdt_getprop(fdt, node_off, name, &len_bytes);

	if (value == NULL && absent != REQUIRED_CELLS)
		*cells = absent;
	else if (value != NULL && len_bytes == FDT_CELL_BYTES)
		*cells = fdt_cell32(value, 0);
	else
		return -VBLK_EBADDT;
	return 0;
}

/* The same GICs the runtime's board reader knows (drivers/board.c). */
static bool is_gic(const struct fdt *fdt, int node_off)
{
	return fdt_getprop(fdt, node_off, "interrupt-controller", NULL) != NULL &&
	       (fdt_is_compatible(fdt, node_off, "arm,gic-v3") ||
		fdt_is_compatible(fdt, node_off, "arm,gic-400") ||
		fdt_is_compatible(fdt, node_off, "arm,cortex-a15-gic"));
}

static const struct map_parent *resolve_parent(struct map_reader *reader, uint32_t phandle)
{
	struct map_parent *parent;
	int node_off;

	for (unsigned i = 0; i < MAP_PARENTS_KEPT; i++)
		if (reader->parent[i].phandle == phandle && phandle != 0)
			return &reader->parent[i];
	if (reader->searches >= MAP_PARENT_SEARCHES)
		return NULL;
	parent = &reader->parent[reader->searches++ % MAP_PARENTS_KEPT];
	parent->phandle = 0;
	node_off = fdt_phandles_find(reader->known, reader->fdt, phandle);
	if (node_off < 0 ||
	    read_cells(reader->fdt, node_off, "#address-cells", 0, &parent->address_cells) < 0 ||
	    read_cells(reader->fdt, node_off, "#interrupt-cells", REQUIRED_CELLS,
		       &parent->interrupt_cells) < 0)
		return NULL;
	parent->is_gic = is_gic(reader->fdt, node_off) &&
			 parent->interrupt_cells == FDT_GIC_IRQ_CELLS;
	parent->phandle = phandle;
	return parent;
}

/* An entry to a GIC: kept masked, unless no configuration address (phys.mid
 * and phys.lo 0) can match it or the GIC number is out of range. */
static void keep_route(struct map_reader *reader, const uint8_t *entry,
		       const uint8_t *gic_specifier)
{
	struct pci_intx_map *map = reader->map;
	uint32_t intid, flags;

	if ((fdt_cell32(entry, MAP_PHYS_MID) & reader->mask[MAP_PHYS_MID]) != 0 ||
	    (fdt_cell32(entry, MAP_PHYS_LO) & reader->mask[MAP_PHYS_LO]) != 0 ||
	    fdt_gic_specifier(gic_specifier, &intid, &flags) < 0 || intid == 0) {
		map->skipped++;
		return;
	}
	if (map->count >= PCI_INTX_MAP_MAX) {
		map->dropped++;
		return;
	}
	map->route[map->count++] = (struct pci_intx_route){
		.phys_hi = fdt_cell32(entry, MAP_PHYS_HI) & map->mask_phys_hi,
		.pin = fdt_cell32(entry, MAP_PIN) & map->mask_pin,
		.intid = intid,
		.edge = fdt_gic_irq_is_edge(flags),
	};
}

/* The entry at cell *at of `cells_total`; *at moves past it (at least
 * MAP_FIXED_CELLS, so the caller's loop ends). */
static int read_entry(struct map_reader *reader, const uint8_t *cells, uint32_t cells_total,
		      uint32_t *at)
{
	const uint8_t *entry = cells + (size_t)*at * FDT_CELL_BYTES;
	uint32_t cells_left = cells_total - *at;
	const struct map_parent *parent;

	if (cells_left < MAP_FIXED_CELLS)
		return -VBLK_EBADDT;
	parent = resolve_parent(reader, fdt_cell32(entry, MAP_CHILD_CELLS));
	if (parent == NULL)
		return -VBLK_EBADDT;
	cells_left -= MAP_FIXED_CELLS;
	if (parent->address_cells > cells_left ||
	    parent->interrupt_cells > cells_left - parent->address_cells)
		return -VBLK_EBADDT;   /* truncated */
	if (parent->is_gic)
		keep_route(reader, entry, entry + (MAP_FIXED_CELLS + parent->address_cells) *
				      FDT_CELL_BYTES);
	else
		reader->map->skipped++;
	*at += MAP_FIXED_CELLS + parent->address_cells + parent->interrupt_cells;
	return 0;
}

/* Absent, the mask is all ones: every bit of an entry must match. */
static int read_map_mask(struct map_reader *reader, int node_off)
{
	uint32_t len_bytes;
	const void *value = fdt_getprop(reader->fdt, node_off, "interrupt-map-mask",
					&len_bytes);

	for (unsigned i = 0; i < MAP_CHILD_CELLS; i++)
		reader->mask[i] = UINT32_MAX;
	if (value == NULL)
		return 0;
	if (len_bytes != MAP_CHILD_CELLS * FDT_CELL_BYTES)
		return -VBLK_EBADDT;
	for (unsigned i = 0; i < MAP_CHILD_CELLS; i++)
		reader->mask[i] = fdt_cell32(value, i);
	return 0;
}

static int read_map_entries(struct map_reader *reader, int node_off)
{
	uint32_t len_bytes, pin_cells, at = 0;
	const uint8_t *value = fdt_getprop(reader->fdt, node_off, "interrupt-map", &len_bytes);
	int err;

	if (value == NULL)
		return -VBLK_ENODEV;
	if (read_cells(reader->fdt, node_off, "#interrupt-cells", REQUIRED_CELLS,
		       &pin_cells) < 0 || pin_cells != PCI_DT_INTERRUPT_CELLS ||
	    len_bytes % FDT_CELL_BYTES != 0)
		return -VBLK_EBADDT;
	err = read_map_mask(reader, node_off);
	reader->map->mask_phys_hi = reader->mask[MAP_PHYS_HI];
	reader->map->mask_pin = reader->mask[MAP_PIN];
	while (err == 0 && at < len_bytes / FDT_CELL_BYTES)
		err = read_entry(reader, value, len_bytes / FDT_CELL_BYTES, &at);
	return err;
}

void pci_dt_read_intx_map(const struct fdt *fdt, int node_off, struct pci_intx_map *map,
			  const struct fdt_phandles *known)
{
	struct map_reader reader = { .fdt = fdt, .known = known, .map = map };
	int err;

	memset(map, 0, sizeof(*map));
	err = read_map_entries(&reader, node_off);
	if (err < 0) {
		memset(map, 0, sizeof(*map));
		map->status = err;
	}
}
