/* SPDX-License-Identifier: MIT */
/*
 * virtio_dt_find(): one walk over the device tree that keeps the
 * virtio-mmio nodes (virtio/dt.h). It walks the whole tree, so a blob that
 * is malformed anywhere is refused, but decodes only the nodes it wants:
 * what the runtime reads for itself (RAM, GIC, UART, timer) is never
 * looked at here.
 */
#include <string.h>

#include "vblk/error.h"
#include "fdt/fdt.h"
#include "virtio/dt.h"

/* Like fdt_gic_interrupt's first specifier, but a node without interrupts
 * just has none (intid 0). */
static int read_optional_interrupt(const struct fdt *fdt, int node_off,
				   uint32_t *intid, uint32_t *flags)
{
	int err = fdt_gic_interrupt(fdt, node_off, 0, intid, flags);

	if (err == -VBLK_ENODEV) {
		*intid = 0;
		*flags = 0;
		return 0;
	}
	return err;
}

static int visit_node(void *ctx, const struct fdt *fdt, int node_off, int depth,
		      struct fdt_bus bus)
{
	struct virtio_dt *found = ctx;
	struct virtio_dt_node *node;
	struct fdt_reg reg;
	struct fdt_region window;
	uint32_t intid, flags;
	int err;

	(void)depth;
	if (!fdt_node_enabled(fdt, node_off) ||
	    !fdt_is_compatible(fdt, node_off, "virtio,mmio"))
		return 0;
	if (found->count >= VIRTIO_DT_MAX_NODES)
		return 0;           /* keep the first ones */
	err = fdt_read_reg(fdt, node_off, bus, &reg);
	if (err < 0)
		return -VBLK_EBADDT;   /* no reg is as bad as a broken one */
	err = read_optional_interrupt(fdt, node_off, &intid, &flags);
	if (err < 0)
		return err;
	window = fdt_reg_entry(&reg, 0);
	node = &found->node[found->count++];
	node->base = window.base;
	node->size_bytes = window.size_bytes;
	node->intid = intid;
	node->irq_edge = fdt_gic_irq_is_edge(flags);
	return 0;
}

int virtio_dt_find(struct virtio_dt *found, const void *dtb, size_t max_bytes)
{
	struct fdt fdt;
	int err;

	if (found == NULL)
		return -VBLK_EINVAL;
	memset(found, 0, sizeof(*found));
	err = fdt_open(&fdt, dtb, max_bytes);
	if (err == 0)
		err = fdt_walk(&fdt, visit_node, found);
	if (err < 0)
		memset(found, 0, sizeof(*found));
	return err;
}
