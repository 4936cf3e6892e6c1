/* SPDX-License-Identifier: MIT */
/*
 * The ECAM host bridge from the device tree: the first enabled node
 * compatible with "pci-host-ecam-generic" (Linux's
 * Documentation/devicetree/bindings/pci/host-generic-pci.yaml, on the
 * PCI bus binding, IEEE 1275 PCI Bus Binding 2.1 §2.2.1): the decoding
 * of the node, for a walk that looks for other nodes as well
 * (blk/dt_scan.c), and pci_dt_find_host(), a walk of its own. Like
 * virtio/dt.c, either walks the whole tree, so a blob malformed anywhere
 * is refused, decoding only the node it wants.
 *
 *   reg        the ECAM window, in the parent's cells
 *   bus-range  <first last>; absent: 0 to 255
 *   ranges     (PCI address: 3 cells, CPU address: the parent's cells,
 *              size: 2 cells) entries; phys.hi's bits [25:24] say I/O (1),
 *              32-bit memory (2) or 64-bit memory (3)
 *   interrupt-map, interrupt-map-mask
 *              where each INTx pin goes (pci.h says what is supported);
 *              never a reason to refuse the host
 */
#include <string.h>

#include "pci/pci.h"
#include "pci/dt_intx.h"

#include "vblk/error.h"
#include "fdt/fdt.h"

#define PCI_DT_SIZE_CELLS     2u
#define PCI_PHYS_HI_SPACE_SHIFT 24
#define PCI_PHYS_HI_SPACE_MASK  0x3u
#define PCI_SPACE_IO          1u
#define PCI_SPACE_MEM32       2u
#define PCI_SPACE_MEM64       3u

/* What the host is decoded from, read in one pass once a walk has
 * matched its node. */
enum { PROP_REG, PROP_BUS_RANGE, PROP_RANGES, HOST_PROPS };
static const char *const host_names[HOST_PROPS] = {
	[PROP_REG] = "reg",
	[PROP_BUS_RANGE] = "bus-range",
	[PROP_RANGES] = "ranges",
};

static int read_bus_range(const struct fdt_prop *bus_range, struct pci_host *host)
{
	uint32_t first, last;

	if (bus_range->value == NULL) {
		host->bus_first = 0;
		host->bus_last = PCI_BUSES_MAX - 1;
		return 0;
	}
	if (bus_range->len_bytes != 2 * FDT_CELL_BYTES)
		return -VBLK_EBADDT;
	first = fdt_cell32(bus_range->value, 0);
	last = fdt_cell32(bus_range->value, 1);
	if (first > last || last >= PCI_BUSES_MAX)
		return -VBLK_EBADDT;
	host->bus_first = (uint8_t)first;
	host->bus_last = (uint8_t)last;
	return 0;
}

/* The first window of each space is kept; later ones are ignored. */
static void keep_window(struct pci_host *host, uint32_t space, struct pci_window window)
{
	struct pci_window *slot = space == PCI_SPACE_IO ? &host->io :
				  space == PCI_SPACE_MEM32 ? &host->mem32 :
				  space == PCI_SPACE_MEM64 ? &host->mem64 : NULL;

	if (slot != NULL && slot->size_bytes == 0)
		*slot = window;
}

static int read_ranges(const struct fdt_prop *ranges, struct fdt_bus parent,
		       struct pci_host *host)
{
	unsigned entry_cells = PCI_DT_ADDRESS_CELLS + parent.address_cells + PCI_DT_SIZE_CELLS;
	uint32_t len_bytes = ranges->len_bytes;
	const uint8_t *value = ranges->value;

	if (value == NULL)
		return 0;                 /* no windows: nothing can be assigned */
	if (parent.address_cells == 0 || parent.address_cells > 2 ||
	    len_bytes % (entry_cells * FDT_CELL_BYTES) != 0)
		return -VBLK_EBADDT;
	for (uint32_t at = 0; at < len_bytes; at += entry_cells * FDT_CELL_BYTES) {
		const uint8_t *entry = value + at;
		uint32_t phys_hi = fdt_cell32(entry, 0);
		struct pci_window window = {
			.pci_base = fdt_read_cells(entry, 1, 2),
			.cpu_base = fdt_read_cells(entry, PCI_DT_ADDRESS_CELLS,
						   parent.address_cells),
			.size_bytes = fdt_read_cells(entry, PCI_DT_ADDRESS_CELLS +
						     parent.address_cells, PCI_DT_SIZE_CELLS),
		};

		if (window.size_bytes == 0)
			continue;
		if (window.size_bytes - 1 > UINT64_MAX - window.pci_base ||
		    window.size_bytes - 1 > UINT64_MAX - window.cpu_base)
			return -VBLK_EBADDT;
		keep_window(host, phys_hi >> PCI_PHYS_HI_SPACE_SHIFT & PCI_PHYS_HI_SPACE_MASK,
			    window);
	}
	return 0;
}

/* ---- the host node ------------------------------------------------------ */

bool pci_dt_is_host(const struct fdt_node *node, const struct fdt_prop *compatible,
		    const struct fdt_prop *status)
{
	return node->depth > 0 && fdt_status_okay(status) &&
	       fdt_compat_has(compatible, "pci-host-ecam-generic");
}

/* The node's own #address-cells and #size-cells must be the PCI bus
 * binding's 3 and 2. The walk reads absent ones as 2 and 1, so 3 and 2
 * are properties present, one cell each, with these values. */
static bool binding_cells(const struct fdt_node *node)
{
	return node->children.address_cells == PCI_DT_ADDRESS_CELLS &&
	       node->children.size_cells == PCI_DT_SIZE_CELLS;
}

int pci_dt_read_host(struct pci_host *host, const struct fdt *fdt, const struct fdt_node *node,
		     const struct fdt_phandles *known)
{
	struct fdt_prop props[HOST_PROPS];
	struct fdt_reg reg;
	struct fdt_region ecam;
	int err;

	memset(host, 0, sizeof(*host));
	if (!binding_cells(node) ||
	    fdt_getprops(fdt, node->off, host_names, HOST_PROPS, props) < 0 ||
	    fdt_decode_reg(&props[PROP_REG], node->bus, &reg) < 0)
		return -VBLK_EBADDT;
	ecam = fdt_reg_entry(&reg, 0);
	host->ecam_base = ecam.base;
	host->ecam_size_bytes = ecam.size_bytes;
	err = read_bus_range(&props[PROP_BUS_RANGE], host);
	if (err == 0)
		err = read_ranges(&props[PROP_RANGES], node->bus, host);
	if (err == 0 && pci_host_check(host) < 0)
		err = -VBLK_EBADDT;
	if (err == 0)
		pci_dt_read_intx_map(fdt, node->off, &host->intx, known);
	else
		memset(host, 0, sizeof(*host));
	return err;
}

/* The walk of pci_dt_find_host reads these of every node. */
enum { PROP_COMPATIBLE, PROP_STATUS, SCAN_PROPS };
static const char *const scan_names[SCAN_PROPS] = {
	[PROP_COMPATIBLE] = "compatible",
	[PROP_STATUS] = "status",
};

struct find {
	struct pci_host *host;
	bool found;
};

static int visit_node(void *ctx, const struct fdt *fdt, const struct fdt_node *node)
{
	struct find *find = ctx;

	if (find->found || !pci_dt_is_host(node, &node->prop[PROP_COMPATIBLE],
					   &node->prop[PROP_STATUS]))
		return 0;
	find->found = true;
	return pci_dt_read_host(find->host, fdt, node, NULL);
}

int pci_dt_find_host(struct pci_host *host, const void *dtb, size_t max_bytes)
{
	struct find find = { .host = host };
	struct fdt fdt;
	int err;

	if (host == NULL)
		return -VBLK_EINVAL;
	memset(host, 0, sizeof(*host));
	err = fdt_open(&fdt, dtb, max_bytes);
	if (err == 0)
		err = fdt_scan(&fdt, scan_names, SCAN_PROPS, visit_node, &find);
	if (err == 0 && !find.found)
		err = -VBLK_ENODEV;
	if (err < 0)
		memset(host, 0, sizeof(*host));
	return err;
}
