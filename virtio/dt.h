/* SPDX-License-Identifier: MIT */
/*
 * Finding virtio-mmio transports in a device tree: every enabled node
 * compatible with "virtio,mmio", in document order, with its register
 * window and its interrupt. With the PCI host (pci/dt.c), this is all
 * the library reads of a tree (vblk_init_from_dt, in one walk:
 * blk/dt_scan.c); the machine around the disks (RAM, GIC, UART, timer) is
 * the runtime's business (drivers/board.c), so a node of those that
 * cannot be decoded never keeps a disk from being found.
 */
#ifndef VBLK_VIRTIO_DT_H
#define VBLK_VIRTIO_DT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdt/fdt.h"

/* Nodes kept, the first ones in document order: QEMU virt has 32
 * virtio-mmio transports. */
#define VIRTIO_DT_MAX_NODES 32

struct virtio_dt_node {
	uint64_t base;          /* first reg entry, with the parent's cells */
	uint64_t size_bytes;
	uint32_t intid;         /* GIC INTID (SPI n -> 32 + n, PPI n -> 16 + n),
				   0 if the node has no interrupts */
	bool irq_edge;          /* edge-triggered (the specifier's flags say
				   1 or 2), else level (4 or 8) */
};

struct virtio_dt {
	struct virtio_dt_node node[VIRTIO_DT_MAX_NODES];
	unsigned count;
};

/*
 * Read the virtio-mmio nodes of the DTB at `dtb` (at most max_bytes
 * readable, any alignment). Returns 0; -VBLK_EINVAL if found is NULL; or
 * -VBLK_EBADDT, with *found zeroed, if the blob is malformed anywhere (its
 * header, its structure, a node nested too deep) or a virtio-mmio node
 * cannot be decoded: a reg missing or not whole entries of its parent's
 * cells (at most two each), interrupts not whole GIC specifiers or naming
 * an SPI/PPI the GIC cannot have. A wrong MMIO address is worse than none.
 * Addresses are not judged here: the caller decides what a window at 0
 * means. Other nodes are not decoded at all.
 */
int virtio_dt_find(struct virtio_dt *found, const void *dtb, size_t max_bytes);

/*
 * For a walk (fdt_scan) over a blob it has opened that looks for other
 * nodes as well: the properties virtio_dt_take needs of every node, in
 * the order it takes them (the walk's names), and the node itself, kept
 * in *found if it is an enabled virtio-mmio node below the root and *found
 * has room. Returns 0, or -VBLK_EBADDT for such a node that cannot be
 * decoded (as above); the walk should then end with it.
 */
enum virtio_dt_prop {
	VIRTIO_DT_COMPATIBLE,
	VIRTIO_DT_STATUS,
	VIRTIO_DT_REG,
	VIRTIO_DT_INTERRUPTS,
	VIRTIO_DT_PROPS
};
extern const char *const virtio_dt_prop_names[VIRTIO_DT_PROPS];

int virtio_dt_take(struct virtio_dt *found, const struct fdt_node *node,
		   const struct fdt_prop props[VIRTIO_DT_PROPS]);

#endif
