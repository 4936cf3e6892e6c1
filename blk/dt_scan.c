/* SPDX-License-Identifier: MIT */
/*
 * One walk over the device tree for every disk it names: the virtio-mmio
 * nodes (virtio/dt.c) and the PCI ECAM host (pci/dt.c), each node's
 * properties read once. The walk covers the whole tree, so a blob
 * malformed anywhere is refused, as it is by either finder alone; a PCI
 * host that cannot be decoded costs the PCI disks only, as before.
 */
#include <string.h>

#include "blk/dt_scan.h"
#include "vblk/error.h"

/* The walk reads of every node what the virtio-mmio finder needs, whose
 * list holds what telling a PCI host apart needs too (compatible,
 * status); the PCI finder reads the rest of the one host it takes. */
static int visit_node(void *ctx, const struct fdt *fdt, const struct fdt_node *node)
{
	struct blk_dt_found *found = ctx;

	/* The first enabled host is the one (pci_dt_find_host's rule); a
	 * node is looked at by both finders, as each alone would. */
	if (found->pci_err == -VBLK_ENODEV &&
	    pci_dt_is_host(node, &node->prop[VIRTIO_DT_COMPATIBLE], &node->prop[VIRTIO_DT_STATUS]))
		found->pci_err = pci_dt_read_host(&found->pci, fdt, node);
	return virtio_dt_take(&found->mmio, node, node->prop);
}

int blk_dt_scan(struct blk_dt_found *found, const void *dtb, size_t max_bytes)
{
	struct fdt fdt;
	int err;

	memset(found, 0, sizeof(*found));
	found->pci_err = -VBLK_ENODEV;
	err = fdt_open(&fdt, dtb, max_bytes);
	if (err == 0)
		err = fdt_scan(&fdt, virtio_dt_prop_names, VIRTIO_DT_PROPS, visit_node, found);
	if (err < 0) {
		memset(found, 0, sizeof(*found));
		found->pci_err = err;
	}
	return err;
}
