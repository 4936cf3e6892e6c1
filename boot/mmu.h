/* SPDX-License-Identifier: MIT */
/*
 * The EL1 stage 1 identity map of a vblk image, and turning the MMU on.
 *
 * Virtual address = physical address everywhere, so DMA addresses are CPU
 * pointers (plat_virt_to_phys). Two kinds of memory:
 *  - Device-nGnRnE, never executable: 0 .. 1 GiB, where QEMU virt has its
 *    own devices (flash, GIC, PL011, RTC, GPIO, virtio-mmio, the PCI I/O
 *    and 32-bit memory windows), and the device regions given by the
 *    caller (the board's PCI ECAM and memory windows, wherever they are).
 *  - RAM regions given by the caller (the DT memory nodes): Normal,
 *    write-back cacheable, inner shareable, executable at EL1. Rings and
 *    buffers shared with virtio devices live here; QEMU's virtio devices
 *    are dma-coherent, so the caches need no maintenance around DMA.
 * Anything else is unmapped and faults.
 */
#ifndef VBLK_BOOT_MMU_H
#define VBLK_BOOT_MMU_H

#include "drivers/board.h"

/* Build the tables and enable the MMU with data and instruction caches.
 * Regions are mapped with the largest blocks that fit (1 GiB, 2 MiB, 4 KiB
 * pages at the unaligned ends); a partial page at either end of RAM stays
 * unmapped, a device region is widened to whole pages. Call once, at EL1,
 * MMU off.
 * device_result[i] (device_count entries) says what became of device[i]:
 *   0               mapped (or inside the first GiB, mapped already)
 *   -VBLK_ERANGE    it reaches past the CPU's physical addresses
 *                   (mmu_pa_bits): not mapped
 *   -VBLK_EINVAL    empty, wrapping, or overlapping RAM: not mapped
 *   -VBLK_ENOMEM    the table pool has no room for it: not mapped
 * Returns 0, or -VBLK_ENOMEM when the table pool ran out and some RAM
 * stayed unmapped (the MMU is on either way). */
int mmu_init(const struct board_region *ram, unsigned ram_count,
	     const struct board_region *device, unsigned device_count, int *device_result);

/* The CPU's physical address size in bits (ID_AA64MMFR0_EL1.PARange, at
 * most 48): 40 on cortex-a53, 44 on cortex-a57/a72, 48 on max. */
unsigned mmu_pa_bits(void);

#endif
