/* SPDX-License-Identifier: MIT */
/*
 * The ECAM host bridge from the device tree: the first enabled node
 * compatible with "pci-host-ecam-generic" (Linux's
 * Documentation/devicetree/bindings/pci/host-generic-pci.yaml, on the
 * PCI bus binding, IEEE 1275 PCI Bus Binding 2.1 §2.2.1). Like
 * virtio/dt.c, one walk over the whole tree, so a blob malformed anywhere
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

#define PCI_DT_ADDRESS_CELLS  3u
#define PCI_DT_SIZE_CELLS     2u
#define PCI_PHYS_HI_SPACE_SHIFT 24
#define PCI_PHYS_HI_SPACE_MASK  0x3u
#define PCI_SPACE_IO          1u
#define PCI_SPACE_MEM32       2u
#define PCI_SPACE_MEM64       3u

struct find {
	struct pci_host *host;
	bool found;
};

static bool own_cells_are(const struct fdt *fdt, int node_off, const char *name,
			  uint32_t want)
{
	uint32_t len_bytes;
	const void *value = fdt_getprop(fdt, node_off, name, &len_bytes);

	return value != NULL && len_bytes == FDT_CELL_BYTES && fdt_cell32(value, 0) == want;
}

static int read_bus_range(const struct fdt *fdt, int node_off, struct pci_host *host)
{
	uint32_t len_bytes, first, last;
	const void *value = fdt_getprop(fdt, node_off, "bus-range", &len_bytes);

	if (value == NULL) {
		host->bus_first = 0;
		host->bus_last = PCI_BUSES_MAX - 1;
		return 0;
	}
	if (len_bytes != 2 * FDT_CELL_BYTES)
		return -VBLK_EBADDT;
	first = fdt_cell32(value, 0);
	last = fdt_cell32(value, 1);
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

static int read_ranges(const struct fdt *fdt, int node_off, struct fdt_bus parent,
		       struct pci_host *host)
{
	unsigned entry_cells = PCI_DT_ADDRESS_CELLS + parent.address_cells + PCI_DT_SIZE_CELLS;
	uint32_t len_bytes;
	const uint8_t *value = fdt_getprop(fdt, node_off, "ranges", &len_bytes);

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

static int read_host(const struct fdt *fdt, int node_off, struct fdt_bus parent,
		     struct pci_host *host)
{
	struct fdt_reg reg;
	struct fdt_region ecam;
	int err;

	if (!own_cells_are(fdt, node_off, "#address-cells", PCI_DT_ADDRESS_CELLS) ||
	    !own_cells_are(fdt, node_off, "#size-cells", PCI_DT_SIZE_CELLS))
		return -VBLK_EBADDT;
	if (fdt_read_reg(fdt, node_off, parent, &reg) < 0)
		return -VBLK_EBADDT;
	ecam = fdt_reg_entry(&reg, 0);
	host->ecam_base = ecam.base;
	host->ecam_size_bytes = ecam.size_bytes;
	err = read_bus_range(fdt, node_off, host);
	if (err == 0)
		err = read_ranges(fdt, node_off, parent, host);
	if (err == 0 && pci_host_check(host) < 0)
		err = -VBLK_EBADDT;
	if (err == 0)
		pci_dt_read_intx_map(fdt, node_off, &host->intx);
	return err;
}

static int visit_node(void *ctx, const struct fdt *fdt, int node_off, int depth,
		      struct fdt_bus bus)
{
	struct find *find = ctx;

	(void)depth;
	if (find->found || !fdt_node_enabled(fdt, node_off) ||
	    !fdt_is_compatible(fdt, node_off, "pci-host-ecam-generic"))
		return 0;
	find->found = true;
	return read_host(fdt, node_off, bus, find->host);
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
		err = fdt_walk(&fdt, visit_node, &find);
	if (err == 0 && !find.found)
		err = -VBLK_ENODEV;
	if (err < 0)
		memset(host, 0, sizeof(*host));
	return err;
}
