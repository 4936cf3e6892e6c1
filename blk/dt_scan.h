/* SPDX-License-Identifier: MIT */
/*
 * blk_dt_scan(): the disks' transports a device tree names, in one walk
 * (blk/dt_scan.c): what virtio_dt_find and pci_dt_find_host give, each
 * with the result it would have.
 */
#ifndef VBLK_BLK_DT_SCAN_H
#define VBLK_BLK_DT_SCAN_H

#include <stddef.h>

#include "pci/pci.h"
#include "plat/compiler.h"
#include "virtio/dt.h"

struct blk_dt_found {
	struct virtio_dt mmio;     /* as virtio_dt_find gives them */
	struct pci_host pci;       /* as pci_dt_find_host gives it */
	int pci_err;               /* and what pci_dt_find_host would return */
};

/* Returns what virtio_dt_find would (0 or -VBLK_EBADDT; *found zeroed
 * and pci_err the same code then); on 0, found->pci_err says whether
 * found->pci holds a host (0), the tree has none (-VBLK_ENODEV), or it
 * could not be decoded (-VBLK_EBADDT, found->pci zeroed). */
VBLK_COLD int blk_dt_scan(struct blk_dt_found *found, const void *dtb, size_t max_bytes);

#endif
