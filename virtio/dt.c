/* SPDX-License-Identifier: MIT */
/*
 * Finding virtio-mmio nodes in a device tree (virtio/dt.h): the decoding
 * of one node from the properties a walk read of it once, for a walk that
 * looks for other nodes as well
 * (blk/dt_scan.c), and virtio_dt_find(), a walk of its own. Either walks
 * the whole tree, so a blob that is malformed anywhere is refused, but
 * decodes only the nodes it wants: what the runtime reads for itself
 * (RAM, GIC, UART, timer) is never looked at here.
 */
#include <string.h>

#include "vblk/error.h"
#include "virtio/dt.h"

const char *const virtio_dt_prop_names[VIRTIO_DT_PROPS] = {
	[VIRTIO_DT_COMPATIBLE] = "compatible",
	[VIRTIO_DT_STATUS] = "status",
	[VIRTIO_DT_REG] = "reg",
	[VIRTIO_DT_INTERRUPTS] = "interrupts",
};

/* Like fdt_decode_gic_interrupt's first specifier, but a node without
 * interrupts just has none (intid 0). */
static int read_optional_interrupt(const struct fdt_prop *interrupts, uint32_t *intid,
				   uint32_t *flags)
{
	int err = fdt_decode_gic_interrupt(interrupts, 0, intid, flags);

	if (err == -VBLK_ENODEV) {
		*intid = 0;
		*flags = 0;
		return 0;
	}
	return err;
}

int virtio_dt_take(struct virtio_dt *found, const struct fdt_node *node,
		   const struct fdt_prop props[VIRTIO_DT_PROPS])
{
	struct virtio_dt_node *kept;
	struct fdt_reg reg;
	struct fdt_region window;
	uint32_t intid, flags;
	int err;

	if (node->depth == 0 || !fdt_status_okay(&props[VIRTIO_DT_STATUS]) ||
	    !fdt_compat_has(&props[VIRTIO_DT_COMPATIBLE], "virtio,mmio"))
		return 0;
	if (found->count >= VIRTIO_DT_MAX_NODES)
		return 0;           /* keep the first ones */
	if (fdt_decode_reg(&props[VIRTIO_DT_REG], node->bus, &reg) < 0)
		return -VBLK_EBADDT;   /* no reg is as bad as a broken one */
	err = read_optional_interrupt(&props[VIRTIO_DT_INTERRUPTS], &intid, &flags);
	if (err < 0)
		return err;
	window = fdt_reg_entry(&reg, 0);
	kept = &found->node[found->count++];
	kept->base = window.base;
	kept->size_bytes = window.size_bytes;
	kept->intid = intid;
	kept->irq_edge = fdt_gic_irq_is_edge(flags);
	return 0;
}

static int visit_node(void *ctx, const struct fdt *fdt, const struct fdt_node *node)
{
	(void)fdt;
	return virtio_dt_take(ctx, node, node->prop);
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
		err = fdt_scan(&fdt, virtio_dt_prop_names, VIRTIO_DT_PROPS, visit_node, found);
	if (err < 0)
		memset(found, 0, sizeof(*found));
	return err;
}
