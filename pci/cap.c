/* SPDX-License-Identifier: MIT */
/*
 * The capability list (PCI 3.0 §6.7): a chain of entries in the device-
 * specific part of configuration space, each starting with its ID and
 * the offset of the next. The list is the device's to write, so the walk
 * trusts none of it: a pointer must be dword-aligned (its low two bits
 * are reserved and masked off) and inside 0x40-0xff, and a list longer
 * than the space holds is a loop.
 */
#include "pci/pci.h"

/* 48 capabilities of 4 bytes fill the 192 bytes above the header: a
 * longer walk has met a capability before (PCI-7 of the checklist). */
#define PCI_CAP_HOPS_MAX 48u

static uint32_t cap_pointer(const struct pci_host *host, struct pci_bdf bdf, uint32_t at)
{
	return pci_cfg_rd(host, bdf, at, 1) & ~3u;
}

bool pci_cap_next(const struct pci_host *host, struct pci_bdf bdf, struct pci_cap_walk *walk)
{
	uint32_t pos;

	if (walk->hops >= PCI_CAP_HOPS_MAX)
		return false;
	if (walk->hops == 0) {
		/* Status says whether there is a list at all (§6.2.3). */
		if (!(pci_cfg_rd(host, bdf, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
			return false;
		pos = cap_pointer(host, bdf, PCI_CAP_POINTER);
	} else {
		pos = cap_pointer(host, bdf, walk->pos + PCI_CAP_NEXT);
	}
	if (pos < PCI_CFG_HEADER_BYTES || pos >= PCI_CFG_LEGACY_BYTES)
		return false;         /* 0 ends the list; anything else is bad */
	walk->pos = pos;
	walk->hops++;
	return true;
}

uint32_t pci_find_cap(const struct pci_host *host, struct pci_bdf bdf, uint8_t cap_id)
{
	struct pci_cap_walk walk = { 0 };

	while (pci_cap_next(host, bdf, &walk)) {
		if (pci_cfg_rd(host, bdf, walk.pos + PCI_CAP_ID, 1) == cap_id)
			return walk.pos;
	}
	return 0;
}
