/* SPDX-License-Identifier: MIT */
/*
 * BAR sizing (PCI Local Bus 3.0 §6.2.5.1): write all ones, read back the
 * bits that stuck, restore. The address bits a BAR implements are a run
 * of ones from the top; their lowest is its size, which is also its
 * alignment. A 64-bit BAR is two registers sized together.
 *
 * And pci_enable: decoding and bus mastering for one function a driver
 * will use, and the bridges that lead to it, never for anything else.
 */
#include "pci/pci.h"

#include "vblk/error.h"

/* The largest BAR believed: aarch64 physical addresses have at most 52
 * bits (Armv8.2 LPA), so a device claiming more is broken or hostile. */
#define PCI_BAR_MAX_BYTES (1ull << 52)

/* Write all ones, read back, restore: the bits the register implements. */
static uint32_t probe_register(const struct pci_host *host, struct pci_bdf bdf,
			       uint32_t offset, uint32_t *orig)
{
	uint32_t stuck;

	*orig = pci_cfg_rd(host, bdf, offset, 4);
	pci_cfg_wr(host, bdf, offset, 4, UINT32_MAX);
	stuck = pci_cfg_rd(host, bdf, offset, 4);
	pci_cfg_wr(host, bdf, offset, 4, *orig);
	return stuck;
}

/* The size an address mask gives (ones from bit 63 down to the size's
 * bit), or 0 when the ones are not one contiguous run or the size is
 * past PCI_BAR_MAX_BYTES. */
static uint64_t size_of_mask(uint64_t addr_mask)
{
	uint64_t size_bytes = ~addr_mask + 1;

	if (addr_mask == 0 || (size_bytes & (size_bytes - 1)) != 0)
		return 0;
	return size_bytes <= PCI_BAR_MAX_BYTES ? size_bytes : 0;
}

static void set_size(struct pci_bar *bar, uint64_t addr_mask, bool firmware_assigned)
{
	bar->size_bytes = size_of_mask(addr_mask);
	if (bar->size_bytes == 0)
		bar->status = -VBLK_EBROKEN;
	else if (bar->kind == PCI_BAR_IO)
		bar->status = -VBLK_EUNSUPP;  /* no I/O window is used */
	else
		bar->status = firmware_assigned ? 0 : -VBLK_ESTATE;
}

/* I/O BAR. PCI 3.0 §6.2.5.1: the upper 16 bits may be hardwired to 0 on
 * a 16-bit decoder; they still belong to the mask. */
static void size_io(struct pci_bar *bar, uint32_t orig, uint32_t stuck, bool fw)
{
	uint32_t mask = stuck & PCI_BAR_IO_ADDR_MASK;

	bar->kind = PCI_BAR_IO;
	bar->pci_addr = orig & PCI_BAR_IO_ADDR_MASK;
	if (mask != 0 && (mask & 0xffff0000u) == 0)
		mask |= 0xffff0000u;
	set_size(bar, mask != 0 ? 0xffffffff00000000ull | mask : 0, fw);
}

/* Size BAR bar_idx; returns how many registers it took (2 for 64-bit). */
static unsigned size_one(const struct pci_host *host, struct pci_function *fn,
			 unsigned bar_idx)
{
	struct pci_bar *bar = &fn->bar[bar_idx];
	uint32_t orig, orig_hi, stuck, stuck_hi, type;
	uint64_t mask;

	stuck = probe_register(host, fn->bdf, PCI_BAR(bar_idx), &orig);
	if (stuck == 0)
		return 1;                          /* not implemented */
	if (orig & PCI_BAR_SPACE_IO) {
		size_io(bar, orig, stuck, fn->firmware_assigned);
		return 1;
	}
	bar->prefetchable = (orig & PCI_BAR_MEM_PREFETCH) != 0;
	bar->pci_addr = orig & PCI_BAR_MEM_ADDR_MASK;
	type = orig & PCI_BAR_MEM_TYPE_MASK;
	if (type != PCI_BAR_MEM_TYPE_64) {
		/* Type 01 (below 1 MiB) is reserved since PCI 3.0 and 11 is
		 * undefined: treated as 32-bit, whose rules are stricter. */
		bar->kind = PCI_BAR_MEM32;
		mask = stuck & PCI_BAR_MEM_ADDR_MASK;
		set_size(bar, mask != 0 ? 0xffffffff00000000ull | mask : 0,
			 fn->firmware_assigned);
		return 1;
	}
	bar->kind = PCI_BAR_MEM64;
	if (bar_idx + 1 >= fn->nbars) {            /* no register for the upper half */
		bar->status = -VBLK_EBROKEN;
		return 1;
	}
	stuck_hi = probe_register(host, fn->bdf, PCI_BAR(bar_idx + 1), &orig_hi);
	bar->pci_addr |= (uint64_t)orig_hi << 32;
	mask = (uint64_t)stuck_hi << 32 | (stuck & PCI_BAR_MEM_ADDR_MASK);
	set_size(bar, mask, fn->firmware_assigned);
	return 2;
}

void pci_size_bars(const struct pci_host *host, struct pci_function *fn)
{
	uint32_t command = pci_cfg_rd(host, fn->bdf, PCI_COMMAND, 2);
	uint32_t decode = command & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);

	/* PCI 3.0 §6.2.5.1 (implementation note): decoding off while the
	 * BARs hold all ones, or the function would answer there. */
	if (decode)
		pci_cfg_wr(host, fn->bdf, PCI_COMMAND, 2, command & ~decode);
	for (unsigned i = 0; i < fn->nbars;)
		i += size_one(host, fn, i);
	if (decode)
		pci_cfg_wr(host, fn->bdf, PCI_COMMAND, 2, command);
}

static bool memory_bars_assigned(const struct pci_function *fn)
{
	for (unsigned i = 0; i < fn->nbars; i++) {
		const struct pci_bar *bar = &fn->bar[i];

		if ((bar->kind == PCI_BAR_MEM32 || bar->kind == PCI_BAR_MEM64) &&
		    bar->status != 0)
			return false;
	}
	return true;
}

static void set_command_bits(const struct pci_host *host, struct pci_bdf bdf, uint32_t bits)
{
	uint32_t command = pci_cfg_rd(host, bdf, PCI_COMMAND, 2);

	pci_cfg_wr(host, bdf, PCI_COMMAND, 2, command | bits);
}

void pci_use_bars_as_set(struct pci_function *fn)
{
	for (unsigned i = 0; i < fn->nbars; i++) {
		struct pci_bar *bar = &fn->bar[i];

		if (bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64)
			continue;
		/* Decoding on (status 0 already) or off with an address in
		 * the BAR: either way, where firmware put it. */
		if (bar->status == 0 || (bar->status == -VBLK_ESTATE && bar->pci_addr != 0)) {
			bar->status = 0;
			bar->cpu_addr = bar->pci_addr;
		}
	}
}

int pci_enable_function(const struct pci_host *host, const struct pci_function *fn)
{
	if (!memory_bars_assigned(fn))
		return -VBLK_ESTATE;
	set_command_bits(host, fn->bdf, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return 0;
}

/*
 * A bridge forwards memory requests downstream only with Memory Space
 * Enable set, and the device's DMA upstream only with Bus Master Enable
 * (PCI-to-PCI Bridge 1.2 §3.2.4.3), so the bridges above the function are
 * enabled too; I/O decoding never is.
 */
int pci_enable(struct pci_scan *scan, unsigned index)
{
	const uint32_t bits = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	unsigned hops = 0;
	int up;

	if (scan == NULL || index >= scan->count)
		return -VBLK_EINVAL;
	if (!memory_bars_assigned(&scan->fn[index]))
		return -VBLK_ESTATE;
	/* Parents come before their children in the table, so the walk
	 * up ends; the hop count bounds it all the same. */
	for (up = scan->fn[index].parent; up >= 0 && (unsigned)up < index &&
	     hops < PCI_MAX_BRIDGE_DEPTH; up = scan->fn[up].parent, hops++)
		set_command_bits(&scan->host, scan->fn[up].bdf, bits);
	set_command_bits(&scan->host, scan->fn[index].bdf, bits);
	return 0;
}
