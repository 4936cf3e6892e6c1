/* SPDX-License-Identifier: MIT */
/*
 * A fake PCI Express host bridge for the host tests: an ECAM window
 * (PCIe 4.0 §7.2.2) mapped with host_mmio_map, behind it a topology the
 * test describes function by function: endpoints on the root bus,
 * PCI-to-PCI bridges (a pcie-root-port) with functions behind them,
 * multi-function devices.
 *
 * Each function has a 4 KiB config space with the registers hardware
 * makes read-only kept read-only, and BARs that behave like real ones
 * for sizing: the address bits below the size and the type bits read
 * back fixed, a 64-bit BAR is two registers, an I/O BAR reads bit 0 set.
 * A bridge forwards configuration requests by its bus numbers as a real
 * one does (PCI-to-PCI Bridge 1.2 §3.2.5.3-5): a function behind it
 * answers only once its bridge's secondary bus is set, and on that bus.
 * Hostile BARs come from mask_override (any bit pattern: not contiguous,
 * 2^63, ...). Absent functions read all ones.
 *
 * A function may have a device model behind it (fake_pci_set_device):
 * each of its memory BARs then decodes a host MMIO window while Memory
 * Space is on in Command and the BAR holds an address (QEMU's
 * pci_bar_address(): 0, or a range that wraps, decodes nothing); the
 * window moves when the BAR is rewritten and goes when decoding goes.
 * The model sees Command changes (Bus Master Enable: may it DMA?) and
 * runs on every host_cpu_relax() through the ECAM window. Its capability
 * list is bytes the creator puts in config space (fake_pci_cfg_set),
 * read-only to the bus but for the bits fake_pci_cfg_writable opens.
 */
#ifndef VBLK_TESTS_FAKE_PCI_H
#define VBLK_TESTS_FAKE_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_PCI_MAX_FNS 96   /* more than pci/'s table holds */
#define FAKE_PCI_BARS    6

enum fake_pci_bar_kind {
	FAKE_BAR_NONE = 0,
	FAKE_BAR_IO,
	FAKE_BAR_MEM32,
	FAKE_BAR_MEM64,     /* takes this register and the next */
};

struct fake_pci_bar_spec {
	enum fake_pci_bar_kind kind;
	bool prefetchable;
	uint64_t size_bytes;     /* a power of 2 */
	uint64_t mask_override;  /* nonzero: the address bits that stick
				    when all ones are written, as given */
};

struct fake_pci_fn_spec {
	int parent;              /* index of the bridge above, -1: root bus */
	uint8_t dev, fn;
	uint16_t vendor_id, device_id;
	uint32_t class_code;     /* 24 bits */
	uint8_t revision;
	uint16_t subsystem_vendor_id, subsystem_id; /* type 0 only */
	uint8_t interrupt_pin;   /* 0 none, 1-4 INTA-INTD */
	bool bridge;             /* header type 1 (2 BARs) */
	bool multi_function;     /* header type bit 7 */
	struct fake_pci_bar_spec bar[FAKE_PCI_BARS];
};

struct fake_pci;

/* An ECAM window of ecam_bytes at ecam_base whose first bus is bus_first.
 * Freed by host_platform_reset(). */
struct fake_pci *fake_pci_create(uint64_t ecam_base, uint32_t ecam_bytes, uint8_t bus_first);

/* Add a function; its index (in the order added). A parent must be added
 * before its children (host_fail otherwise). */
int fake_pci_add(struct fake_pci *pci, const struct fake_pci_fn_spec *spec);

/* Read or write function `index`'s config space as the bus would, whether
 * it is reachable or not (a test setting up what firmware left). */
uint32_t fake_pci_cfg_read(struct fake_pci *pci, int index, uint32_t offset, unsigned width_bytes);
void fake_pci_cfg_write(struct fake_pci *pci, int index, uint32_t offset, unsigned width_bytes,
			uint32_t val);

/* The bus function `index` answers on now, or -1 if no configuration
 * request reaches it. */
int fake_pci_bus_of(struct fake_pci *pci, int index);

/* The address BAR `bar` decodes (the 64-bit value for a 64-bit one). */
uint64_t fake_pci_bar_addr(struct fake_pci *pci, int index, unsigned bar);

/* Config accesses the driver made so far; and of them the writes, also
 * those no function answered. */
uint64_t fake_pci_access_count(const struct fake_pci *pci);
uint64_t fake_pci_write_count(const struct fake_pci *pci);

/* ---- a device model behind a function -------------------------------- */

/* All optional. `offset` is from the BAR's base; accesses are 1, 2 or 4
 * bytes, inside the BAR's size_bytes (mask_override aside). */
struct fake_pci_device_ops {
	uint32_t (*bar_read)(void *ctx, unsigned bar, uint32_t offset, unsigned width_bytes);
	void (*bar_write)(void *ctx, unsigned bar, uint32_t offset, unsigned width_bytes,
			  uint32_t val);
	/* Command changed, by the driver or by a test playing firmware. */
	void (*command_changed)(void *ctx, uint16_t old_command, uint16_t new_command);
	void (*relax)(void *ctx);    /* every host_cpu_relax() */
	void (*deliver)(void *ctx);  /* the CPU unmasked IRQs */
	void (*release)(void *ctx);  /* the ECAM is being freed */
};

void fake_pci_set_device(struct fake_pci *pci, int index, const struct fake_pci_device_ops *ops,
			 void *ctx);

/* Put raw bytes in function `index`'s config space (capabilities, Status
 * bits, the capability pointer): the bus reads them, writes leave them. */
void fake_pci_cfg_set(struct fake_pci *pci, int index, uint32_t offset, const void *bytes,
		      uint32_t len_bytes);

/* Let the bus change these bits of the capabilities' bytes at offset
 * (inside [0x40, 0x100)): mask bytes, 1 where a write sticks. */
void fake_pci_cfg_writable(struct fake_pci *pci, int index, uint32_t offset, const void *mask,
			   uint32_t len_bytes);

/* Command now (Memory Space, Bus Master Enable, ...). */
uint16_t fake_pci_command(const struct fake_pci *pci, int index);

/* Where BAR `bar` of a function with a device model is decoded now, or 0. */
uint64_t fake_pci_bar_mapped_at(const struct fake_pci *pci, int index, unsigned bar);

#endif
