/* SPDX-License-Identifier: MIT */
/*
 * BAR assignment: each BAR naturally aligned (PCI 3.0 §6.2.5.1) inside
 * one of the host's windows, bus by bus from the first, and each bridge's
 * windows opened around what was placed behind it.
 *
 * Two cursors move only upwards, one per window, so nothing placed can
 * overlap: a bridge's windows are 1 MiB granules (PCI-to-PCI Bridge 1.2
 * §3.2.5.8, §3.2.5.9), so the cursors are rounded to 1 MiB on the way in
 * and out of a bridge and no sibling lands inside its window. Both start
 * above every BAR firmware left assigned in their window.
 *
 *   32-bit memory window: 32-bit BARs, and 64-bit BARs that are not
 *     prefetchable (a bridge's non-prefetchable window is 32-bit);
 *   64-bit window: 64-bit prefetchable BARs (all of them on the 32-bit
 *     window when the host has none, e.g. virt with highmem=off);
 *   I/O: not assigned (-VBLK_EUNSUPP), the bridges' I/O windows closed.
 */
#include "pci/pci.h"

#include "vblk/error.h"

struct cursor {
	const struct pci_window *window;
	uint64_t next;      /* PCI address of the first free byte */
	bool full;          /* next has passed the window's end */
};

struct assign {
	struct pci_scan *scan;
	struct cursor mem32, mem64;
};

static uint64_t window_last(const struct pci_window *window)
{
	return window->pci_base + window->size_bytes - 1;
}

static bool in_window(const struct pci_window *window, uint64_t pci_addr)
{
	return window->size_bytes != 0 && pci_addr >= window->pci_base &&
	       pci_addr <= window_last(window);
}

/* Does a kept BAR reach into the window (from below, too)? */
static bool overlaps_window(const struct pci_window *window, const struct pci_bar *bar)
{
	uint64_t bar_last = bar->pci_addr + bar->size_bytes - 1;

	return window->size_bytes != 0 && bar_last >= bar->pci_addr &&
	       bar->pci_addr <= window_last(window) && bar_last >= window->pci_base;
}

/* Round up to a power of 2; false if that passes 2^64. */
static bool align_up(uint64_t value, uint64_t align, uint64_t *out)
{
	uint64_t rounded = (value + align - 1) & ~(align - 1);

	if (rounded < value)
		return false;
	*out = rounded;
	return true;
}

/* [addr, addr + size) from the cursor, aligned to size; false if it does
 * not fit in what is left of the window. */
static bool take(struct cursor *cur, uint64_t size_bytes, uint64_t *addr)
{
	uint64_t start;

	if (cur->full || cur->window->size_bytes == 0 ||
	    !align_up(cur->next, size_bytes, &start) ||
	    start > window_last(cur->window) ||
	    size_bytes - 1 > window_last(cur->window) - start)
		return false;
	*addr = start;
	cur->next = start + size_bytes;
	cur->full = cur->next == 0 || cur->next > window_last(cur->window);
	return true;
}

static void round_cursor(struct cursor *cur)
{
	if (!cur->full && !align_up(cur->next, PCI_BRIDGE_WINDOW_BYTES, &cur->next))
		cur->full = true;
}

static void write_bar(const struct pci_host *host, const struct pci_function *fn,
		      unsigned bar_idx, uint64_t pci_addr)
{
	uint32_t offset = PCI_BAR(bar_idx);
	uint32_t flags = pci_cfg_rd(host, fn->bdf, offset, 4) & ~PCI_BAR_MEM_ADDR_MASK;

	pci_cfg_wr(host, fn->bdf, offset, 4, (uint32_t)pci_addr | flags);
	if (fn->bar[bar_idx].kind == PCI_BAR_MEM64)
		pci_cfg_wr(host, fn->bdf, offset + 4, 4, (uint32_t)(pci_addr >> 32));
}

static void place_bar(struct assign *as, struct pci_function *fn, unsigned bar_idx)
{
	struct pci_bar *bar = &fn->bar[bar_idx];
	struct cursor *cur = &as->mem32;
	uint64_t addr;

	if (bar->status != -VBLK_ESTATE)
		return;                 /* unused, I/O, absurd, or kept */
	if (bar->kind == PCI_BAR_MEM64 && bar->prefetchable &&
	    as->scan->host.mem64.size_bytes != 0)
		cur = &as->mem64;
	if (!take(cur, bar->size_bytes, &addr)) {
		bar->status = -VBLK_ENOMEM;
		return;
	}
	write_bar(&as->scan->host, fn, bar_idx, addr);
	bar->pci_addr = addr;
	bar->cpu_addr = addr - cur->window->pci_base + cur->window->cpu_base;
	bar->status = 0;
}

/* A window [base, limit]; base > limit closes it (PCI-to-PCI 1.2 §3.2.5.8). */
static void write_mem_window(const struct pci_host *host, struct pci_function *bridge,
			     uint64_t base, uint64_t limit)
{
	pci_cfg_wr(host, bridge->bdf, PCI_MEMORY_BASE, 2, (uint32_t)(base >> 16) & 0xfff0u);
	pci_cfg_wr(host, bridge->bdf, PCI_MEMORY_LIMIT, 2, (uint32_t)(limit >> 16) & 0xfff0u);
	bridge->mem_base = base;
	bridge->mem_limit = limit;
}

static void write_pref_window(const struct pci_host *host, struct pci_function *bridge,
			      uint64_t base, uint64_t limit)
{
	pci_cfg_wr(host, bridge->bdf, PCI_PREF_MEMORY_BASE, 2, (uint32_t)(base >> 16) & 0xfff0u);
	pci_cfg_wr(host, bridge->bdf, PCI_PREF_MEMORY_LIMIT, 2, (uint32_t)(limit >> 16) & 0xfff0u);
	pci_cfg_wr(host, bridge->bdf, PCI_PREF_BASE_UPPER32, 4, (uint32_t)(base >> 32));
	pci_cfg_wr(host, bridge->bdf, PCI_PREF_LIMIT_UPPER32, 4, (uint32_t)(limit >> 32));
	bridge->pref_base = base;
	bridge->pref_limit = limit;
}

/* Closed windows: base one granule above limit. */
#define CLOSED_BASE  PCI_BRIDGE_WINDOW_BYTES
#define CLOSED_LIMIT 0u

static void close_io_window(const struct pci_host *host, struct pci_function *bridge)
{
	pci_cfg_wr(host, bridge->bdf, PCI_IO_BASE, 1, 0xf0u);
	pci_cfg_wr(host, bridge->bdf, PCI_IO_LIMIT, 1, 0x00u);
	pci_cfg_wr(host, bridge->bdf, PCI_IO_BASE_UPPER16, 4, 0);
}

/* The window from `start` to the rounded cursor, or closed if empty. */
static void window_span(const struct cursor *cur, uint64_t start, uint64_t *base,
			uint64_t *limit)
{
	if (cur->next > start) {
		*base = start;
		*limit = cur->next - 1;
	} else {
		*base = CLOSED_BASE;
		*limit = CLOSED_LIMIT;
	}
}

static void assign_bus(struct assign *as, int parent, unsigned depth);

static void assign_bridge(struct assign *as, int index, unsigned depth)
{
	const struct pci_host *host = &as->scan->host;
	uint64_t start32, start64, base, limit;

	close_io_window(host, &as->scan->fn[index]);
	round_cursor(&as->mem32);
	round_cursor(&as->mem64);
	start32 = as->mem32.next;
	start64 = as->mem64.next;
	if (as->scan->fn[index].secondary_bus != 0 && depth < PCI_MAX_BRIDGE_DEPTH)
		assign_bus(as, index, depth + 1);
	round_cursor(&as->mem32);
	round_cursor(&as->mem64);
	window_span(&as->mem32, start32, &base, &limit);
	write_mem_window(host, &as->scan->fn[index], base, limit);
	window_span(&as->mem64, start64, &base, &limit);
	write_pref_window(host, &as->scan->fn[index], base, limit);
}

/* The BARs of every function below `parent` (-1: the first bus), then
 * the bridges among them, each with what lies behind it. */
static void assign_bus(struct assign *as, int parent, unsigned depth)
{
	struct pci_scan *scan = as->scan;

	for (unsigned i = 0; i < scan->count; i++) {
		if (scan->fn[i].parent != parent || scan->fn[i].firmware_assigned)
			continue;
		for (unsigned bar = 0; bar < scan->fn[i].nbars; bar++)
			place_bar(as, &scan->fn[i], bar);
	}
	for (unsigned i = 0; i < scan->count; i++)
		if (scan->fn[i].parent == parent && !scan->fn[i].firmware_assigned &&
		    scan->fn[i].header_type == PCI_HEADER_BRIDGE)
			assign_bridge(as, (int)i, depth);
}

/* Start a cursor above every kept BAR that lies in its window, and give
 * each kept BAR its CPU address. */
static void start_above_kept(struct assign *as, struct cursor *cur)
{
	struct pci_scan *scan = as->scan;

	cur->next = cur->window->pci_base;
	for (unsigned i = 0; i < scan->count; i++) {
		for (unsigned b = 0; scan->fn[i].firmware_assigned && b < scan->fn[i].nbars; b++) {
			struct pci_bar *bar = &scan->fn[i].bar[b];
			uint64_t end = bar->pci_addr + bar->size_bytes;

			if (bar->status != 0 || bar->size_bytes == 0 ||
			    bar->kind == PCI_BAR_IO || !overlaps_window(cur->window, bar))
				continue;
			if (in_window(cur->window, bar->pci_addr))
				bar->cpu_addr = bar->pci_addr - cur->window->pci_base +
						cur->window->cpu_base;
			if (end == 0 || end - 1 > window_last(cur->window))
				cur->full = true;
			else if (end > cur->next)
				cur->next = end;
		}
	}
}

void pci_assign(struct pci_scan *scan)
{
	struct assign as = {
		.scan = scan,
		.mem32 = { .window = &scan->host.mem32 },
		.mem64 = { .window = &scan->host.mem64 },
	};

	start_above_kept(&as, &as.mem32);
	start_above_kept(&as, &as.mem64);
	assign_bus(&as, -1, 0);
}
