/* SPDX-License-Identifier: MIT */
/*
 * Inside the fake ECAM host (fake_pci.h): a function's state, shared by
 * fake_pci.c (config space, routing) and fake_pci_device.c (the device
 * model behind a function: BAR windows, Command, time).
 */
#ifndef VBLK_TESTS_FAKE_PCI_INTERNAL_H
#define VBLK_TESTS_FAKE_PCI_INTERNAL_H

#include "fake_pci.h"
#include "pci/regs.h"

#define CFG_REVISION        0x08u
#define CFG_SUBSYSTEM       0x2cu   /* vendor, then device (type 0) */
#define CFG_INTERRUPT_PIN   0x3du

struct fake_fn;

/* One memory BAR's host window while it decodes. */
struct fake_bar_window {
	struct fake_fn *owner;
	unsigned bar;
	uint64_t mapped_at;                /* 0: not decoding */
};

/* One function: its config space, its BARs' values, its device model. */
struct fake_fn {
	struct fake_pci_fn_spec spec;
	uint8_t cfg[PCI_CFG_SPACE_BYTES];
	/* Bits of the capabilities the bus may change (fake_pci_cfg_writable):
	 * MSI and MSI-X Message Control's enable bits, say. */
	uint8_t cap_wmask[PCI_CFG_LEGACY_BYTES];
	uint64_t bar_val[FAKE_PCI_BARS];   /* of the BAR that starts there */
	const struct fake_pci_device_ops *dev_ops;  /* NULL: no model */
	void *dev_ctx;
	struct fake_bar_window window[FAKE_PCI_BARS];
};

/* The ECAM window and the functions behind it. */
struct fake_pci {
	uint64_t ecam_base;
	uint32_t ecam_bytes;
	uint8_t bus_first;
	struct fake_fn fn[FAKE_PCI_MAX_FNS];
	int count;
	uint64_t accesses;
	uint64_t writes;
};

/* fake_pci.c */
unsigned fake_pci_nbars(const struct fake_fn *f);
uint16_t fake_pci_command_of(const struct fake_fn *f);

/* fake_pci_device.c */
void fake_pci_update_decoding(struct fake_fn *f);
void fake_pci_notify_command(struct fake_fn *f, uint16_t old_command);
void fake_pci_unmap_windows(struct fake_fn *f);
void fake_pci_relax_devices(void *ctx);    /* host_mmio_ops of the ECAM */
void fake_pci_deliver_devices(void *ctx);

#endif
