/* SPDX-License-Identifier: MIT */
/*
 * One walk over the device tree for every disk it names: the virtio-mmio
 * nodes (virtio/dt.c) and the PCI ECAM host (pci/dt.c), each node's
 * properties read once. The walk covers the whole tree, so a blob
 * malformed anywhere is refused, as it is by either finder alone; a PCI
 * host that cannot be decoded costs the PCI disks only.
 *
 * The host is decoded after the walk, from the phandles it passed: its
 * interrupt-map names its interrupt parent (the GIC) by phandle, and
 * finding that node would otherwise be a second walk of the whole tree.
 */
#include <string.h>

#include "blk/dt_scan.h"
#include "vblk/error.h"

/* The walk reads of every node what the virtio-mmio finder needs (its
 * list, first: it holds what telling a PCI host apart needs too,
 * compatible and status), and the node's phandles. */
enum { PROP_PHANDLE = VIRTIO_DT_PROPS, PROP_LINUX_PHANDLE, SCAN_PROPS };

struct scan {
	struct blk_dt_found *found;
	struct fdt_phandles phandles;
	struct fdt_node pci_node;       /* the first enabled PCI host */
	bool pci_seen;
};

static int visit_node(void *ctx, const struct fdt *fdt, const struct fdt_node *node)
{
	struct scan *scan = ctx;

	(void)fdt;
	fdt_phandles_note(&scan->phandles, node->off, &node->prop[PROP_PHANDLE],
			  &node->prop[PROP_LINUX_PHANDLE]);
	/* The first enabled host is the one (pci_dt_find_host's rule); a
	 * node is looked at by both finders, as each alone would. Its
	 * property values are not kept: pci_dt_read_host reads its own. */
	if (!scan->pci_seen &&
	    pci_dt_is_host(node, &node->prop[VIRTIO_DT_COMPATIBLE], &node->prop[VIRTIO_DT_STATUS])) {
		scan->pci_seen = true;
		scan->pci_node = *node;
		scan->pci_node.prop = NULL;
	}
	return virtio_dt_take(&scan->found->mmio, node, node->prop);
}

int blk_dt_scan(struct blk_dt_found *found, const void *dtb, size_t max_bytes)
{
	const char *names[SCAN_PROPS];
	struct scan scan = { .found = found };
	struct fdt fdt;
	int err;

	for (unsigned i = 0; i < VIRTIO_DT_PROPS; i++)
		names[i] = virtio_dt_prop_names[i];
	names[PROP_PHANDLE] = "phandle";
	names[PROP_LINUX_PHANDLE] = "linux,phandle";
	memset(found, 0, sizeof(*found));
	err = fdt_open(&fdt, dtb, max_bytes);
	if (err == 0)
		err = fdt_scan(&fdt, names, SCAN_PROPS, visit_node, &scan);
	if (err < 0) {
		memset(found, 0, sizeof(*found));
		found->pci_err = err;
		return err;
	}
	/* The walk has noted every node of a tree it read whole. */
	fdt_phandles_done(&scan.phandles);
	found->pci_err = scan.pci_seen ?
		pci_dt_read_host(&found->pci, &fdt, &scan.pci_node, &scan.phandles) :
		-VBLK_ENODEV;
	return 0;
}
