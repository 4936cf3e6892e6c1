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
 */
#ifndef VBLK_TESTS_FAKE_PCI_H
#define VBLK_TESTS_FAKE_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_PCI_MAX_FNS 64
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

/* Config accesses the driver made so far. */
uint64_t fake_pci_access_count(const struct fake_pci *pci);

#endif
