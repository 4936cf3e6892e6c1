/* SPDX-License-Identifier: MIT */
/*
 * Finding virtio-mmio transports in a device tree: every enabled node
 * compatible with "virtio,mmio", in document order, with its register
 * window and its interrupt. This is all the library reads of a tree
 * (vblk_init_from_dt); the machine around the disks (RAM, GIC, UART,
 * timer) is the runtime's business (drivers/board.c), so a node of those
 * that cannot be decoded never keeps a disk from being found.
 */
#ifndef VBLK_VIRTIO_DT_H
#define VBLK_VIRTIO_DT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
