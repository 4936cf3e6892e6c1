/* SPDX-License-Identifier: MIT */
/*
 * Configuration space through ECAM (PCI Express Base 4.0 §7.2.2): each
 * function's 4 KiB at a fixed place in one memory window, so a config
 * access is an MMIO access. Every access is checked against the window
 * first: outside it there is nothing, and on the real machine an access
 * there is a synchronous abort.
 */
#include "pci/pci.h"

#include "vblk/error.h"
#include "plat/platform.h"

int pci_host_check(struct pci_host *host)
{
	uint64_t buses;

	if (host == NULL || host->ecam_size_bytes < PCI_ECAM_BUS_BYTES ||
	    host->bus_first > host->bus_last)
		return -VBLK_EINVAL;
	if (host->ecam_base + host->ecam_size_bytes < host->ecam_base)
		return -VBLK_EINVAL;     /* the window wraps */
	/* 32-bit BARs and a bridge's non-prefetchable window hold 32-bit
	 * addresses (PCI 3.0 §6.2.5.1, PCI-to-PCI Bridge 1.2 §3.2.5.8). */
	if (host->mem32.size_bytes != 0 &&
	    (host->mem32.pci_base > UINT32_MAX ||
	     host->mem32.size_bytes - 1 > UINT32_MAX - host->mem32.pci_base))
		return -VBLK_EINVAL;
	if (host->mem64.size_bytes != 0 &&
	    host->mem64.size_bytes - 1 > UINT64_MAX - host->mem64.pci_base)
		return -VBLK_EINVAL;
	/* The host-generic binding's reg covers bus-range from its first bus
	 * at offset 0 (bus n at (n - first) MiB), as Linux's pci_ecam_map_bus
	 * reads it; a window smaller than the bus range holds fewer buses. */
	buses = host->ecam_size_bytes >> PCI_ECAM_BUS_SHIFT;
	if ((uint64_t)host->bus_last - host->bus_first + 1 > buses)
		host->bus_last = (uint8_t)(host->bus_first + buses - 1);
	return 0;
}

/* The CPU address of (bdf, offset); false when it is outside the window. */
static bool ecam_addr(const struct pci_host *host, struct pci_bdf bdf, uint32_t offset,
		      uintptr_t *addr)
{
	uint64_t rel;

	if (bdf.bus < host->bus_first || bdf.bus > host->bus_last ||
	    bdf.dev >= PCI_DEVS_PER_BUS || bdf.fn >= PCI_FNS_PER_DEV ||
	    offset >= PCI_CFG_SPACE_BYTES)
		return false;
	rel = (uint64_t)(bdf.bus - host->bus_first) << PCI_ECAM_BUS_SHIFT |
	      (uint64_t)bdf.dev << PCI_ECAM_DEV_SHIFT |
	      (uint64_t)bdf.fn << PCI_ECAM_FN_SHIFT | offset;
	if (rel >= host->ecam_size_bytes)
		return false;
	*addr = (uintptr_t)(host->ecam_base + rel);
	return true;
}

uint64_t pci_config_space(const struct pci_host *host, struct pci_bdf bdf)
{
	uintptr_t addr;

	return ecam_addr(host, bdf, 0, &addr) ? addr : 0;
}

static int check_access(const struct pci_host *host, struct pci_bdf bdf, uint32_t offset,
			unsigned width_bytes, uintptr_t *addr)
{
	if (host == NULL || (width_bytes != 1 && width_bytes != 2 && width_bytes != 4))
		return -VBLK_EINVAL;
	/* PCIe 4.0 §7.2.2: ECAM accesses are naturally aligned. */
	if (offset % width_bytes != 0)
		return -VBLK_EINVAL;
	return ecam_addr(host, bdf, offset, addr) ? 0 : -VBLK_ERANGE;
}

int pci_cfg_read(const struct pci_host *host, struct pci_bdf bdf, uint32_t offset,
		 unsigned width_bytes, uint32_t *val)
{
	uintptr_t addr;
	int err = check_access(host, bdf, offset, width_bytes, &addr);

	if (err < 0 || val == NULL)
		return err < 0 ? err : -VBLK_EINVAL;
	if (width_bytes == 4)
		*val = plat_mmio_read32(addr);
	else if (width_bytes == 2)
		*val = plat_mmio_read16(addr);
	else
		*val = plat_mmio_read8(addr);
	return 0;
}

int pci_cfg_write(const struct pci_host *host, struct pci_bdf bdf, uint32_t offset,
		  unsigned width_bytes, uint32_t val)
{
	uintptr_t addr;
	int err = check_access(host, bdf, offset, width_bytes, &addr);

	if (err < 0)
		return err;
	if (width_bytes == 4) {
		plat_mmio_write32(addr, val);
	} else if (width_bytes == 2) {
		/* A 16-bit store: a 32-bit one could not leave the neighbouring
		 * half alone (Status's write-1-to-clear bits beside Command). */
		plat_mmio_write16(addr, (uint16_t)val);
	} else {
		plat_mmio_write8(addr, (uint8_t)val);
	}
	return 0;
}

uint32_t pci_cfg_rd(const struct pci_host *host, struct pci_bdf bdf, uint32_t offset,
		    unsigned width_bytes)
{
	uint32_t val;

	if (pci_cfg_read(host, bdf, offset, width_bytes, &val) < 0)
		return width_bytes == 4 ? UINT32_MAX : (1u << (8 * width_bytes)) - 1;
	return val;
}

void pci_cfg_wr(const struct pci_host *host, struct pci_bdf bdf, uint32_t offset,
		unsigned width_bytes, uint32_t val)
{
	(void)pci_cfg_write(host, bdf, offset, width_bytes, val);
}
