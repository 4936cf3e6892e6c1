/*
 * What the device tree says about the machine we run on: the parts vblk and
 * its runtime need, gathered once into a plain struct so no later code walks
 * the DTB again.
 */
#ifndef VBLK_BOARD_H
#define VBLK_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOARD_MAX_VIRTIO 32   /* QEMU virt has 32 virtio-mmio transports */
#define BOARD_MAX_MEMORY 4

struct board_region {
	uint64_t base;
	uint64_t size_bytes;
};

struct board_virtio_mmio {
	uint64_t base;
	uint64_t size_bytes;
	uint32_t intid;        /* GIC interrupt ID (SPI n -> 32 + n), 0 if none */
	uint32_t irq_flags;    /* third interrupts cell: 1 edge-rising, 4 level-high */
	int dma_coherent;      /* node has the "dma-coherent" property */
};

struct board_info {
	struct board_region memory[BOARD_MAX_MEMORY];
	unsigned memory_count;

	/* arm,gic-400/cortex-a15-gic (v2) or arm,gic-v3: regions in DT order */
	int gic_version;                /* 0 if none found, else 2 or 3 */
	struct board_region gic_dist;   /* GICD */
	struct board_region gic_cpu;    /* GICC (v2) or GICR (v3) */

	uint64_t uart_base;             /* first arm,pl011 (stdout-path if set) */
	uint32_t uart_intid;

	uint32_t timer_virt_intid;      /* arm,armv8-timer virtual PPI (27 on virt) */
	uint32_t timer_virt_flags;      /* its third interrupts cell (level-high) */

	struct board_virtio_mmio virtio[BOARD_MAX_VIRTIO];
	unsigned virtio_count;          /* in DT order (not slot order) */

	const char *bootargs;           /* /chosen/bootargs inside the blob, or NULL */
};

/* The third cell of a GIC interrupt specifier (arm,gic binding): bits
 * [3:0] are the trigger, 1 edge rising, 2 edge falling, 4 level high, 8
 * level low; on GICv2 bits [15:8] of a PPI's are a CPU mask. */
#define BOARD_IRQ_EDGE_RISING   0x1u
#define BOARD_IRQ_EDGE_FALLING  0x2u

static inline bool board_irq_is_edge(uint32_t irq_flags)
{
	return (irq_flags & (BOARD_IRQ_EDGE_RISING | BOARD_IRQ_EDGE_FALLING)) != 0;
}

/* Parse a DTB. Returns 0 or -VBLK_EBADDT; on error *info is zeroed. */
int board_from_fdt(struct board_info *info, const void *dtb, size_t max_bytes);

#endif
