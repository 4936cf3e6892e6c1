/* SPDX-License-Identifier: MIT */
/*
 * The host node's interrupt-map, for pci/dt.c (dt_intx.c), and the
 * binding's address width both files read: internal to pci/.
 */
#ifndef VBLK_PCI_DT_INTX_H
#define VBLK_PCI_DT_INTX_H

#include "pci/pci.h"

/* A PCI address in the device tree is three cells, phys.hi (space and
 * bus:dev.fn), phys.mid and phys.lo (IEEE 1275 PCI Bus Binding 2.1
 * §2.2.1): in `ranges` and in each interrupt-map entry. */
#define PCI_DT_ADDRESS_CELLS 3u

struct fdt;
struct fdt_phandles;

/* Read the interrupt-map and interrupt-map-mask of the PCI host node at
 * node_off into *map (pci.h: struct pci_intx_map). Whatever the map
 * holds the host stays usable: one that cannot be read whole is empty,
 * map->status -VBLK_EBADDT (-VBLK_ENODEV: there is none), and a driver
 * then polls. Interrupt parents are found in `known` when a walk has
 * noted the tree's phandles (fdt_phandles_find), else by a search (NULL). */
void pci_dt_read_intx_map(const struct fdt *fdt, int node_off, struct pci_intx_map *map,
			  const struct fdt_phandles *known);

#endif
