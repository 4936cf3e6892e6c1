/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: PCI enumeration and BAR assignment (pci/) on a fake
 * ECAM whose topology, BAR masks and firmware leftovers come from the
 * input. After pci_scan, whatever the devices claimed:
 *   - every BAR assigned is naturally aligned, inside a host window, in
 *     the device's register, and overlaps no other memory BAR;
 *   - a bridge's windows hold every BAR assigned behind it and none
 *     assigned elsewhere;
 *   - decoding and bus mastering are off on every function firmware did
 *     not enable, until pci_enable, which enables only assigned ones;
 *   - the scan is bounded (config accesses counted);
 *   - past a full table, pci_next_unrecorded gives exactly the functions
 *     the scan dropped: as many, each present and none in the table.
 *
 * Input: a header byte (bit 0: a 64-bit window; bits 1-2: the 32-bit
 * window's size; bits 3-7: the last bus / 8), then per function 4 bytes
 * (parent, dev/fn, flags, BAR count) and per BAR 2 bytes (kind/flags,
 * log2 size) or 10 with a raw 64-bit mask, and firmware values.
 */
#include <stdlib.h>
#include <string.h>

#include "../host/fake_pci.h"
#include "../host/host_platform.h"
#include "fuzz_input.h"
#include "pci/pci.h"

#define ECAM_BASE  0x4010000000ull
#define ECAM_BYTES 0x10000000u
#define MAX_ACCESSES 4000000ull

static struct pci_scan scan;
static int fake_bridges[FAKE_PCI_MAX_FNS], nbridges;

#define CHECK(cond) do { if (!(cond)) { host_fail("invariant: %s", #cond); } } while (0)

static struct pci_host host_from(struct input *in)
{
	uint8_t head = take8(in);
	static const uint64_t mem32_bytes[4] = { 0x2eff0000, 0x100000, 0x10000, 0x3000 };
	struct pci_host host = {
		.ecam_base = ECAM_BASE, .ecam_size_bytes = ECAM_BYTES,
		.bus_first = 0, .bus_last = (uint8_t)((head >> 3) * 8 + 7),
		.mem32 = { 0x10000000, 0x10000000, mem32_bytes[head >> 1 & 3] },
	};

	if (head & 1)
		host.mem64 = (struct pci_window){ 0x8000000000ull, 0x8000000000ull,
						  0x8000000000ull };
	return host;
}

static struct fake_pci_bar_spec bar_from(struct input *in)
{
	uint8_t kind = take8(in), log2 = take8(in) % 64;
	struct fake_pci_bar_spec bar = {
		.kind = (enum fake_pci_bar_kind)(kind & 3),
		.prefetchable = (kind & 4) != 0,
		.size_bytes = 1ull << (log2 < 4 ? 4 : log2),
	};

	if (kind & 8)
		bar.mask_override = take64(in);
	return bar;
}

/* Firmware left this function set up: a BAR value and decoding on. */
static void firmware_leftovers(struct fake_pci *pci, int index, struct input *in)
{
	uint32_t bar0 = take32(in);

	fake_pci_cfg_write(pci, index, PCI_BAR0, 4, bar0);
	fake_pci_cfg_write(pci, index, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
}

static int add_functions(struct fake_pci *pci, struct input *in)
{
	int count = 0;

	nbridges = 0;
	while (input_left(in) && count < FAKE_PCI_MAX_FNS) {
		uint8_t parent = take8(in), devfn = take8(in), flags = take8(in);
		unsigned bars = take8(in) % (FAKE_PCI_BARS + 1);
		struct fake_pci_fn_spec spec = {
			.parent = nbridges == 0 || parent % (nbridges + 1) == 0 ? -1
				  : fake_bridges[parent % (nbridges + 1) - 1],
			.dev = devfn >> 3, .fn = devfn & 7, .vendor_id = 0x1af4,
			.device_id = (uint16_t)count,
			.bridge = (flags & 1) != 0, .multi_function = (flags & 2) != 0,
		};
		for (unsigned b = 0; b < bars; b++)
			spec.bar[b] = bar_from(in);
		int index = fake_pci_add(pci, &spec);
		if (spec.bridge)
			fake_bridges[nbridges++] = index;
		if (flags & 4)
			firmware_leftovers(pci, index, in);
		count++;
	}
	return count;
}

static bool is_memory(const struct pci_bar *bar)
{
	return bar->status == 0 && (bar->kind == PCI_BAR_MEM32 || bar->kind == PCI_BAR_MEM64);
}

static bool inside(uint64_t base, uint64_t size, uint64_t lo, uint64_t hi)
{
	return size != 0 && base >= lo && base + size - 1 <= hi;
}

static bool below(unsigned fn, int bridge)
{
	for (int up = scan.fn[fn].parent; up >= 0; up = scan.fn[up].parent)
		if (up == bridge)
			return true;
	return false;
}

/* A bridge's window as it decodes it, from its registers (PCI-to-PCI
 * Bridge 1.2 §3.2.5.8-9: [15:4] are address bits [31:20], the limit's
 * low 20 bits are all ones), not as pci_assign recorded it. */
struct span {
	uint64_t lo, hi;
};

static struct span bridge_window(const struct pci_function *br, uint32_t base_reg,
				 uint32_t upper_reg)
{
	const struct pci_host *h = &scan.host;
	uint64_t base = (uint64_t)(pci_cfg_rd(h, br->bdf, base_reg, 2) & 0xfff0u) << 16;
	uint64_t limit = (uint64_t)(pci_cfg_rd(h, br->bdf, base_reg + 2, 2) & 0xfff0u) << 16 |
			 0xfffffu;

	if (upper_reg != 0) {
		base |= (uint64_t)pci_cfg_rd(h, br->bdf, upper_reg, 4) << 32;
		limit |= (uint64_t)pci_cfg_rd(h, br->bdf, upper_reg + 4, 4) << 32;
	}
	return (struct span){ base, limit };
}

static void check_bar(const struct pci_function *fn, unsigned b)
{
	const struct pci_bar *bar = &fn->bar[b];
	const struct pci_host *h = &scan.host;

	if (fn->firmware_assigned)
		return;
	CHECK(bar->pci_addr % bar->size_bytes == 0);
	CHECK(inside(bar->pci_addr, bar->size_bytes, h->mem32.pci_base,
		     h->mem32.pci_base + h->mem32.size_bytes - 1) ||
	      inside(bar->pci_addr, bar->size_bytes, h->mem64.pci_base,
		     h->mem64.pci_base + h->mem64.size_bytes - 1));
	CHECK((pci_cfg_rd(h, fn->bdf, PCI_BAR0 + 4 * b, 4) & PCI_BAR_MEM_ADDR_MASK) ==
	      (uint32_t)bar->pci_addr);
	for (unsigned j = 0; j < scan.count; j++) {
		if (scan.fn[j].header_type != PCI_HEADER_BRIDGE || scan.fn[j].secondary_bus == 0)
			continue;
		struct span mem = bridge_window(&scan.fn[j], PCI_MEMORY_BASE, 0);
		struct span pref = bridge_window(&scan.fn[j], PCI_PREF_MEMORY_BASE,
						 PCI_PREF_BASE_UPPER32);
		uint64_t last = bar->pci_addr + bar->size_bytes - 1;
		bool in = inside(bar->pci_addr, bar->size_bytes, mem.lo, mem.hi) ||
			  inside(bar->pci_addr, bar->size_bytes, pref.lo, pref.hi);
		bool touches = (bar->pci_addr <= mem.hi && last >= mem.lo) ||
			       (bar->pci_addr <= pref.hi && last >= pref.lo);
		if (scan.fn[j].firmware_assigned)
			continue;
		CHECK(below((unsigned)(fn - scan.fn), (int)j) ? in : !touches);
	}
}

static void check_no_overlap(void)
{
	for (unsigned i = 0; i < scan.count; i++)
		for (unsigned b = 0; b < scan.fn[i].nbars; b++) {
			const struct pci_bar *x = &scan.fn[i].bar[b];
			if (!is_memory(x) || scan.fn[i].firmware_assigned)
				continue;
			check_bar(&scan.fn[i], b);
			for (unsigned j = 0; j < scan.count; j++)
				for (unsigned c = 0; c < scan.fn[j].nbars; c++) {
					const struct pci_bar *y = &scan.fn[j].bar[c];
					if ((i == j && b == c) || !is_memory(y))
						continue;
					CHECK(x->pci_addr + x->size_bytes <= y->pci_addr ||
					      y->pci_addr + y->size_bytes <= x->pci_addr);
				}
		}
}

static void check_enable(void)
{
	const uint32_t on = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_IO;

	for (unsigned i = 0; i < scan.count; i++)
		if (!scan.fn[i].firmware_assigned)
			CHECK((pci_cfg_rd(&scan.host, scan.fn[i].bdf, PCI_COMMAND, 2) & on) == 0);
	for (unsigned i = 0; i < scan.count; i++) {
		if (pci_enable(&scan, i) != 0)
			continue;
		for (unsigned b = 0; b < scan.fn[i].nbars; b++) {
			const struct pci_bar *bar = &scan.fn[i].bar[b];
			CHECK(bar->kind == PCI_BAR_IO || bar->kind == PCI_BAR_UNUSED ||
			      bar->status == 0);
		}
	}
}

static bool in_table(struct pci_bdf bdf)
{
	for (unsigned i = 0; i < scan.count; i++)
		if (scan.fn[i].bdf.bus == bdf.bus && scan.fn[i].bdf.dev == bdf.dev &&
		    scan.fn[i].bdf.fn == bdf.fn)
			return true;
	return false;
}

static void check_unrecorded(void)
{
	struct pci_unrecorded_walk walk = { 0 };
	struct pci_bdf bdf;
	unsigned seen = 0;

	while (pci_next_unrecorded(&scan, &walk, &bdf)) {
		CHECK(!in_table(bdf));
		CHECK(pci_cfg_rd(&scan.host, bdf, 0, 2) != 0xffffu);
		CHECK(++seen <= scan.dropped);
	}
	CHECK(seen == scan.dropped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };
	struct pci_host host = host_from(&in);
	struct fake_pci *pci = fake_pci_create(ECAM_BASE, ECAM_BYTES, 0);

	add_functions(pci, &in);
	int found = pci_scan(&scan, &host);
	CHECK(found >= 0 && (unsigned)found == scan.count && scan.count <= PCI_MAX_FUNCTIONS);
	CHECK(fake_pci_access_count(pci) < MAX_ACCESSES);
	check_no_overlap();
	check_enable();
	check_unrecorded();
	host_platform_reset();
	return 0;
}
