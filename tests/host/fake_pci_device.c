/* SPDX-License-Identifier: MIT */
/*
 * The device model behind a fake PCI function (fake_pci.h): each memory
 * BAR a host MMIO window while it decodes, kept in step with Command and
 * the BARs after every config write; Command changes told to the model;
 * the model run with the machine.
 */
#include <string.h>

#include "fake_pci_internal.h"
#include "host_platform.h"

#define WINDOW_MAX_BYTES    (1u << 30)  /* what a BAR window maps at most */
#define BAR_SIZE_DEFAULT    4096u

static uint32_t window_read(void *ctx, uint32_t offset, unsigned width_bytes)
{
	struct fake_bar_window *w = ctx;
	const struct fake_fn *f = w->owner;

	if (f->dev_ops->bar_read == NULL)
		return 0;
	return f->dev_ops->bar_read(f->dev_ctx, w->bar, offset, width_bytes);
}

static void window_write(void *ctx, uint32_t offset, unsigned width_bytes, uint32_t val)
{
	struct fake_bar_window *w = ctx;
	const struct fake_fn *f = w->owner;

	if (f->dev_ops->bar_write != NULL)
		f->dev_ops->bar_write(f->dev_ctx, w->bar, offset, width_bytes, val);
}

static const struct host_mmio_ops window_ops = {
	.read = window_read,
	.write = window_write,
};

static uint32_t window_bytes(const struct fake_pci_bar_spec *bar)
{
	if (bar->size_bytes == 0)
		return BAR_SIZE_DEFAULT;
	return bar->size_bytes < WINDOW_MAX_BYTES ? (uint32_t)bar->size_bytes : WINDOW_MAX_BYTES;
}

/* The address memory BAR `reg` decodes now, or 0. As QEMU's
 * pci_bar_address(): nothing without Memory Space, at address 0, or for
 * a range that wraps (a 32-bit BAR: past 4 GiB). */
static uint64_t decoded_addr(const struct fake_fn *f, unsigned reg)
{
	const struct fake_pci_bar_spec *bar = &f->spec.bar[reg];
	uint64_t addr = f->bar_val[reg];
	uint64_t last = addr + window_bytes(bar) - 1;

	if (!(fake_pci_command_of(f) & PCI_COMMAND_MEMORY) || addr == 0 || last < addr)
		return 0;
	if (bar->kind == FAKE_BAR_MEM32 && last > UINT32_MAX)
		return 0;
	return addr;
}

void fake_pci_update_decoding(struct fake_fn *f)
{
	for (unsigned reg = 0; reg < fake_pci_nbars(f); reg++) {
		struct fake_bar_window *w = &f->window[reg];
		enum fake_pci_bar_kind kind = f->spec.bar[reg].kind;
		uint64_t want = kind == FAKE_BAR_MEM32 || kind == FAKE_BAR_MEM64
					? decoded_addr(f, reg) : 0;

		if (want == w->mapped_at)
			continue;
		if (w->mapped_at != 0)
			host_mmio_unmap((uintptr_t)w->mapped_at);
		w->mapped_at = want;
		if (want != 0)
			host_mmio_map((uintptr_t)want, window_bytes(&f->spec.bar[reg]), &window_ops, w);
	}
}

void fake_pci_notify_command(struct fake_fn *f, uint16_t old_command)
{
	if (f->dev_ops->command_changed != NULL)
		f->dev_ops->command_changed(f->dev_ctx, old_command, fake_pci_command_of(f));
}

void fake_pci_unmap_windows(struct fake_fn *f)
{
	for (unsigned reg = 0; reg < FAKE_PCI_BARS; reg++) {
		if (f->window[reg].mapped_at != 0)
			host_mmio_unmap((uintptr_t)f->window[reg].mapped_at);
		f->window[reg].mapped_at = 0;
	}
}

/* The device models run with the machine, whatever their BARs decode. */
void fake_pci_relax_devices(void *ctx)
{
	struct fake_pci *pci = ctx;

	for (int i = 0; i < pci->count; i++) {
		if (pci->fn[i].dev_ops != NULL && pci->fn[i].dev_ops->relax != NULL)
			pci->fn[i].dev_ops->relax(pci->fn[i].dev_ctx);
	}
}

void fake_pci_deliver_devices(void *ctx)
{
	struct fake_pci *pci = ctx;

	for (int i = 0; i < pci->count; i++) {
		if (pci->fn[i].dev_ops != NULL && pci->fn[i].dev_ops->deliver != NULL)
			pci->fn[i].dev_ops->deliver(pci->fn[i].dev_ctx);
	}
}

void fake_pci_set_device(struct fake_pci *pci, int index, const struct fake_pci_device_ops *ops,
			 void *ctx)
{
	struct fake_fn *f = &pci->fn[index];

	f->dev_ops = ops;
	f->dev_ctx = ctx;
	for (unsigned reg = 0; reg < FAKE_PCI_BARS; reg++)
		f->window[reg] = (struct fake_bar_window){ .owner = f, .bar = reg };
	fake_pci_update_decoding(f);
}

void fake_pci_cfg_set(struct fake_pci *pci, int index, uint32_t offset, const void *bytes,
		      uint32_t len_bytes)
{
	if (offset > PCI_CFG_SPACE_BYTES || len_bytes > PCI_CFG_SPACE_BYTES - offset)
		host_fail("fake_pci: config bytes %#x+%#x past the config space", offset, len_bytes);
	memcpy(&pci->fn[index].cfg[offset], bytes, len_bytes);
}

void fake_pci_cfg_writable(struct fake_pci *pci, int index, uint32_t offset, const void *mask,
			   uint32_t len_bytes)
{
	if (offset < PCI_CFG_HEADER_BYTES || offset > PCI_CFG_LEGACY_BYTES ||
	    len_bytes > PCI_CFG_LEGACY_BYTES - offset)
		host_fail("fake_pci: writable bits %#x+%#x outside the capabilities", offset,
			  len_bytes);
	memcpy(&pci->fn[index].cap_wmask[offset], mask, len_bytes);
}

uint16_t fake_pci_command(const struct fake_pci *pci, int index)
{
	return fake_pci_command_of(&pci->fn[index]);
}

uint64_t fake_pci_bar_mapped_at(const struct fake_pci *pci, int index, unsigned bar)
{
	return pci->fn[index].window[bar].mapped_at;
}
