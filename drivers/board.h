/* SPDX-License-Identifier: MIT */
/*
 * What the device tree says about the machine the vblk runtime runs on:
 * RAM, the GIC, the console PL011 and the virtual timer's interrupt,
 * gathered once into a plain struct so no later code walks the DTB again.
 * The runtime's own: the disks are the library's (virtio/dt.h, pci/), whose
 * nodes are not read here, and a node here that cannot be decoded does not
 * keep the library from finding them. Of a PCI host only the address
 * windows are read, for the MMU to map (boot/mmu.h): the library reaches
 * its PCI disks through them.
 */
#ifndef VBLK_BOARD_H
#define VBLK_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOARD_MAX_MEMORY 4
/* Device regions beyond QEMU virt's first GiB: one PCI host's ECAM and
 * its two memory windows (32-bit and 64-bit). */
#define BOARD_MAX_DEVICE 3

struct board_region {
	uint64_t base;
	uint64_t size_bytes;
};

struct board_info {
	struct board_region memory[BOARD_MAX_MEMORY];
	unsigned memory_count;

	/* arm,gic-400/cortex-a15-gic (v2) or arm,gic-v3: regions in DT order */
	int gic_version;                /* 0 if none found, else 2 or 3 */
	struct board_region gic_dist;   /* GICD */
	struct board_region gic_cpu;    /* GICC (v2) or GICR (v3) */

	uint64_t uart_base;             /* first arm,pl011 (stdout-path if set) */

	uint32_t timer_virt_intid;      /* arm,armv8-timer virtual PPI (27 on virt) */
	uint32_t timer_virt_flags;      /* its third interrupts cell (level-high;
					   fdt_gic_irq_is_edge) */

	/* The first enabled pci-host-ecam-generic: its ECAM (reg), then the
	 * first 32-bit and the first 64-bit memory window of its ranges, in
	 * ranges order (the windows pci/ places BARs in; I/O is not used).
	 * CPU addresses. None if the node cannot be decoded: the rest of the
	 * board still parses. To be mapped as device memory. */
	struct board_region device[BOARD_MAX_DEVICE];
	unsigned device_count;
};

/* Parse a DTB. Returns 0 or -VBLK_EBADDT; on error *info is zeroed. */
int board_from_fdt(struct board_info *info, const void *dtb, size_t max_bytes);

/* The board boot/rt.c parsed at boot (never NULL; all zero if there was
 * no device tree or it was malformed). For the runtime and its tests. */
const struct board_info *rt_board(void);

#endif
