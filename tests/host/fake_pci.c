/* SPDX-License-Identifier: MIT */
/*
 * The fake ECAM host bridge (fake_pci.h). Config space is a byte array
 * per function; what a write may change is one mask per register
 * (writable_mask), and the BARs are kept apart as 64-bit values filtered
 * through their address masks. After every config write to a function
 * with a device model, what its BARs decode is brought in step
 * (fake_pci_device.c).
 */
#include <stdlib.h>
#include <string.h>

#include "fake_pci_internal.h"
#include "host_platform.h"
#include "pci/regs.h"

unsigned fake_pci_nbars(const struct fake_fn *f)
{
	return f->spec.bridge ? PCI_BARS_BRIDGE : PCI_BARS_NORMAL;
}

uint16_t fake_pci_command_of(const struct fake_fn *f)
{
	return (uint16_t)(f->cfg[PCI_COMMAND] | f->cfg[PCI_COMMAND + 1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- BARs ------------------------------------------------------------ */

static uint64_t bar_addr_mask(const struct fake_pci_bar_spec *bar)
{
	uint64_t mask = bar->mask_override ? bar->mask_override : ~(bar->size_bytes - 1);

	switch (bar->kind) {
	case FAKE_BAR_IO:    return mask & PCI_BAR_IO_ADDR_MASK;
	case FAKE_BAR_MEM32: return mask & PCI_BAR_MEM_ADDR_MASK;
	case FAKE_BAR_MEM64: return mask & ~(uint64_t)0xf;
	default:             return 0;
	}
}

static uint32_t bar_flags(const struct fake_pci_bar_spec *bar)
{
	uint32_t pref = bar->prefetchable ? PCI_BAR_MEM_PREFETCH : 0;

	switch (bar->kind) {
	case FAKE_BAR_IO:    return PCI_BAR_SPACE_IO;
	case FAKE_BAR_MEM32: return pref;
	case FAKE_BAR_MEM64: return PCI_BAR_MEM_TYPE_64 | pref;
	default:             return 0;
	}
}

/* Register `reg` is the upper half of the 64-bit BAR before it. */
static bool is_upper_half(const struct fake_fn *f, unsigned reg)
{
	return reg > 0 && f->spec.bar[reg - 1].kind == FAKE_BAR_MEM64;
}

static uint32_t bar_read(const struct fake_fn *f, unsigned reg)
{
	if (is_upper_half(f, reg))
		return (uint32_t)(f->bar_val[reg - 1] >> 32);
	return (uint32_t)f->bar_val[reg] | bar_flags(&f->spec.bar[reg]);
}

static void bar_write(struct fake_fn *f, unsigned reg, uint32_t val)
{
	unsigned owner = is_upper_half(f, reg) ? reg - 1 : reg;
	uint64_t *stored = &f->bar_val[owner];

	if (owner != reg)
		*stored = (*stored & 0xffffffffull) | (uint64_t)val << 32;
	else
		*stored = (*stored & ~0xffffffffull) | val;
	*stored &= bar_addr_mask(&f->spec.bar[owner]);
}

/* ---- config space ---------------------------------------------------- */

static bool is_bar_reg(const struct fake_fn *f, uint32_t dword_off)
{
	return dword_off >= PCI_BAR0 && dword_off < PCI_BAR0 + 4 * fake_pci_nbars(f);
}

/* The bits of a register a write may change; everything else reads
 * back what it was (IDs, class, header type, status). */
static uint32_t writable_mask(const struct fake_fn *f, uint32_t dword_off)
{
	switch (dword_off) {
	case PCI_COMMAND: return 0x00000407u;   /* IO, MEM, MASTER, INTx disable */
	case 0x0cu:       return 0x0000ffffu;   /* cache line, latency timer */
	case 0x3cu:       return f->spec.bridge ? 0xffff00ffu : 0x000000ffu;
	}
	if (dword_off >= PCI_CFG_HEADER_BYTES && dword_off < PCI_CFG_LEGACY_BYTES)
		return get32(&f->cap_wmask[dword_off]);
	if (!f->spec.bridge)
		return 0;
	switch (dword_off) {
	case PCI_PRIMARY_BUS:        return 0xffffffffu;
	case PCI_IO_BASE:            return 0x0000f0f0u;
	case PCI_MEMORY_BASE:        return 0xfff0fff0u;
	case PCI_PREF_MEMORY_BASE:   return 0xfff0fff0u;
	case PCI_PREF_BASE_UPPER32:  return 0xffffffffu;
	case PCI_PREF_LIMIT_UPPER32: return 0xffffffffu;
	case PCI_IO_BASE_UPPER16:    return 0xffffffffu;
	}
	return 0;
}

static uint32_t dword_read(const struct fake_fn *f, uint32_t dword_off)
{
	if (is_bar_reg(f, dword_off))
		return bar_read(f, (dword_off - PCI_BAR0) / 4);
	return get32(&f->cfg[dword_off]);
}

static uint32_t cfg_read(const struct fake_fn *f, uint32_t offset, unsigned width_bytes)
{
	uint32_t dword = dword_read(f, offset & ~3u);
	uint32_t shifted = dword >> (8 * (offset & 3));

	return width_bytes == 4 ? shifted : shifted & ((1u << (8 * width_bytes)) - 1);
}

static void cfg_write(struct fake_fn *f, uint32_t offset, unsigned width_bytes, uint32_t val)
{
	uint16_t old_command = fake_pci_command_of(f);

	uint32_t dword_off = offset & ~3u, shift = 8 * (offset & 3);
	uint32_t lanes = (width_bytes == 4 ? UINT32_MAX : (1u << (8 * width_bytes)) - 1) << shift;
	uint32_t change = lanes & (is_bar_reg(f, dword_off) ? UINT32_MAX
				   : writable_mask(f, dword_off));
	uint32_t merged = (dword_read(f, dword_off) & ~change) | ((val << shift) & change);

	if (is_bar_reg(f, dword_off))
		bar_write(f, (dword_off - PCI_BAR0) / 4, merged);
	else
		put32(&f->cfg[dword_off], merged);
	if (f->dev_ops == NULL)
		return;
	fake_pci_update_decoding(f);
	if (fake_pci_command_of(f) != old_command)
		fake_pci_notify_command(f, old_command);
}

/* ---- routing --------------------------------------------------------- */

int fake_pci_bus_of(struct fake_pci *pci, int index)
{
	const struct fake_fn *f = &pci->fn[index];
	int bus;

	if (f->spec.parent < 0)
		return pci->bus_first;
	bus = pci->fn[f->spec.parent].cfg[PCI_SECONDARY_BUS];
	/* Every bridge above must forward a request for `bus`, and sit on a
	 * lower bus than the one it forwards to. */
	for (int up = f->spec.parent; up >= 0; up = pci->fn[up].spec.parent) {
		const uint8_t *cfg = pci->fn[up].cfg;
		int up_bus = fake_pci_bus_of(pci, up);

		if (up_bus < 0 || cfg[PCI_SECONDARY_BUS] <= up_bus ||
		    bus < cfg[PCI_SECONDARY_BUS] || bus > cfg[PCI_SUBORDINATE_BUS])
			return -1;
	}
	return bus;
}

static struct fake_fn *find_fn(struct fake_pci *pci, uint32_t window_off)
{
	uint32_t bus = pci->bus_first + (window_off >> PCI_ECAM_BUS_SHIFT);
	uint32_t dev = window_off >> PCI_ECAM_DEV_SHIFT & (PCI_DEVS_PER_BUS - 1);
	uint32_t fn = window_off >> PCI_ECAM_FN_SHIFT & (PCI_FNS_PER_DEV - 1);

	for (int i = 0; i < pci->count; i++)
		if (pci->fn[i].spec.dev == dev && pci->fn[i].spec.fn == fn &&
		    fake_pci_bus_of(pci, i) == (int)bus)
			return &pci->fn[i];
	return NULL;
}

static void check_access(uint32_t offset, unsigned width_bytes)
{
	if (offset % width_bytes != 0)
		host_fail("fake_pci: misaligned %u-byte access at +0x%x", width_bytes, offset);
}

static uint32_t ecam_read(void *ctx, uint32_t offset, unsigned width_bytes)
{
	struct fake_pci *pci = ctx;
	struct fake_fn *f = find_fn(pci, offset);

	check_access(offset, width_bytes);
	pci->accesses++;
	if (f == NULL)   /* a master abort reads all ones */
		return width_bytes == 4 ? UINT32_MAX : (1u << (8 * width_bytes)) - 1;
	return cfg_read(f, offset & (PCI_CFG_SPACE_BYTES - 1), width_bytes);
}

static void ecam_write(void *ctx, uint32_t offset, unsigned width_bytes, uint32_t val)
{
	struct fake_pci *pci = ctx;
	struct fake_fn *f = find_fn(pci, offset);

	check_access(offset, width_bytes);
	pci->accesses++;
	pci->writes++;
	if (f != NULL)
		cfg_write(f, offset & (PCI_CFG_SPACE_BYTES - 1), width_bytes, val);
}

static void ecam_release(void *ctx)
{
	struct fake_pci *pci = ctx;

	for (int i = 0; i < pci->count; i++) {
		struct fake_fn *f = &pci->fn[i];

		if (f->dev_ops == NULL)
			continue;
		fake_pci_unmap_windows(f);
		if (f->dev_ops->release != NULL)
			f->dev_ops->release(f->dev_ctx);
	}
	host_mmio_unmap((uintptr_t)pci->ecam_base);
	free(pci);
}

static const struct host_mmio_ops ecam_ops = {
	.read = ecam_read,
	.write = ecam_write,
	.relax = fake_pci_relax_devices,
	.deliver = fake_pci_deliver_devices,
	.release = ecam_release,
};

struct fake_pci *fake_pci_create(uint64_t ecam_base, uint32_t ecam_bytes, uint8_t bus_first)
{
	struct fake_pci *pci = calloc(1, sizeof(*pci));

	if (pci == NULL)
		host_fail("fake_pci: out of memory");
	pci->ecam_base = ecam_base;
	pci->ecam_bytes = ecam_bytes;
	pci->bus_first = bus_first;
	host_mmio_map((uintptr_t)ecam_base, ecam_bytes, &ecam_ops, pci);
	return pci;
}

int fake_pci_add(struct fake_pci *pci, const struct fake_pci_fn_spec *spec)
{
	struct fake_fn *f;

	if (pci->count >= FAKE_PCI_MAX_FNS || spec->parent >= pci->count ||
	    (spec->parent >= 0 && !pci->fn[spec->parent].spec.bridge) ||
	    spec->dev >= PCI_DEVS_PER_BUS || spec->fn >= PCI_FNS_PER_DEV)
		host_fail("fake_pci: bad function spec");
	f = &pci->fn[pci->count];
	memset(f, 0, sizeof(*f));
	f->spec = *spec;
	put32(&f->cfg[PCI_VENDOR_ID], (uint32_t)spec->device_id << 16 | spec->vendor_id);
	put32(&f->cfg[PCI_CLASS_REVISION], spec->class_code << 8);
	f->cfg[CFG_REVISION] = spec->revision;
	f->cfg[CFG_INTERRUPT_PIN] = spec->interrupt_pin;
	if (!spec->bridge)
		put32(&f->cfg[CFG_SUBSYSTEM],
		      (uint32_t)spec->subsystem_id << 16 | spec->subsystem_vendor_id);
	f->cfg[PCI_HEADER_TYPE] = (uint8_t)((spec->bridge ? PCI_HEADER_BRIDGE : PCI_HEADER_NORMAL) |
					    (spec->multi_function ? PCI_HEADER_MULTI_FN : 0));
	if (spec->bridge) {
		/* A 64-bit prefetchable window (PCI-to-PCI 1.2 §3.2.5.9). */
		f->cfg[PCI_PREF_MEMORY_BASE] = PCI_PREF_RANGE_64;
		f->cfg[PCI_PREF_MEMORY_LIMIT] = PCI_PREF_RANGE_64;
	}
	return pci->count++;
}

uint32_t fake_pci_cfg_read(struct fake_pci *pci, int index, uint32_t offset, unsigned width_bytes)
{
	return cfg_read(&pci->fn[index], offset, width_bytes);
}

void fake_pci_cfg_write(struct fake_pci *pci, int index, uint32_t offset, unsigned width_bytes,
			uint32_t val)
{
	cfg_write(&pci->fn[index], offset, width_bytes, val);
}

uint64_t fake_pci_bar_addr(struct fake_pci *pci, int index, unsigned bar)
{
	return pci->fn[index].bar_val[bar];
}

uint64_t fake_pci_access_count(const struct fake_pci *pci)
{
	return pci->accesses;
}

uint64_t fake_pci_write_count(const struct fake_pci *pci)
{
	return pci->writes;
}
