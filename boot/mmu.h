/*
 * The EL1 stage 1 identity map of a vblk image, and turning the MMU on.
 *
 * Virtual address = physical address everywhere, so DMA addresses are CPU
 * pointers (plat_virt_to_phys). Two kinds of memory:
 *  - 0 .. 1 GiB: Device-nGnRnE, never executable. On QEMU virt all devices
 *    live there (flash, GIC, PL011, RTC, GPIO, virtio-mmio, PCIe windows).
 *  - RAM regions given by the caller (the DT memory nodes): Normal,
 *    write-back cacheable, inner shareable, executable at EL1. Rings and
 *    buffers shared with virtio devices live here; QEMU's virtio-mmio is
 *    dma-coherent, so the caches need no maintenance around DMA.
 * Anything else is unmapped and faults.
 */
#ifndef VBLK_BOOT_MMU_H
#define VBLK_BOOT_MMU_H

#include "drivers/board.h"

/* Build the tables and enable the MMU with data and instruction caches.
 * Regions are mapped with the largest blocks that fit (1 GiB, 2 MiB, 4 KiB
 * pages at the unaligned ends); a partial page at either end stays
 * unmapped. Call once, at EL1, MMU off.
 * Returns 0, or -VBLK_ENOMEM when the table pool ran out and some RAM
 * stayed unmapped (the MMU is on either way). */
int mmu_init(const struct board_region *ram, unsigned ram_count);

#endif
