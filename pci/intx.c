/* SPDX-License-Identifier: MIT */
/*
 * Which GIC interrupt a function's INTx pin reaches.
 *
 * A function names its pin in the Interrupt Pin register (PCI 3.0
 * §6.2.4). Behind a PCI-to-PCI bridge the pin is rotated by the
 * function's device number before it reaches the bridge's own pins
 * (PCI-to-PCI Bridge Architecture 1.2 §9.1, the same for PCI Express
 * switch and root ports, PCIe 4.0 §2.2.8.1), once per bridge crossed, up
 * to the root bus. There the host's interrupt-map (dt_intx.c) says where
 * the root-bus device's pin goes, looked up by its configuration address
 * (phys.hi: bus << 16 | device << 11 | function << 8) and pin, both
 * masked with interrupt-map-mask (Open Firmware Recommended Practice:
 * Interrupt Mapping 0.9; Linux's Documentation/devicetree/bindings/pci/
 * pci.txt). QEMU virt's map swizzles once more by the root-bus slot
 * (hw/arm/virt.c create_pcie_irq_map: INTID 35 + (pin - 1 + slot) % 4).
 */
#include "pci/pci.h"

#include "vblk/error.h"

#define PHYS_HI_BUS_SHIFT 16
#define PHYS_HI_DEV_SHIFT 11
#define PHYS_HI_FN_SHIFT  8

static uint32_t phys_hi_of(struct pci_bdf bdf)
{
	return (uint32_t)bdf.bus << PHYS_HI_BUS_SHIFT | (uint32_t)bdf.dev << PHYS_HI_DEV_SHIFT |
	       (uint32_t)bdf.fn << PHYS_HI_FN_SHIFT;
}

/* PCI-to-PCI Bridge 1.2 §9.1 (Table 9-1): a pin of the device numbered
 * `dev` on a bridge's secondary bus arrives at the bridge as pin
 * ((pin - 1 + dev) mod 4) + 1. */
static uint32_t swizzle(uint32_t pin, uint8_t dev)
{
	return (pin - 1 + dev) % PCI_INTX_PINS + 1;
}

/* Walk from function `index` to its ancestor on the root bus, swizzling
 * *pin at each bridge crossed. The enumeration records a bridge before
 * what is behind it, so a parent index only goes down; anything else is
 * not a table pci_scan built, and is refused. */
static int root_ancestor(const struct pci_scan *scan, unsigned index, uint32_t *pin)
{
	const struct pci_function *fn = &scan->fn[index];

	while (fn->parent >= 0) {
		if ((unsigned)fn->parent >= index)
			return -VBLK_EINVAL;
		*pin = swizzle(*pin, fn->bdf.dev);
		index = (unsigned)fn->parent;
		fn = &scan->fn[index];
	}
	return (int)index;
}

static const struct pci_intx_route *find_route(const struct pci_intx_map *map,
					       uint32_t phys_hi, uint32_t pin)
{
	uint32_t masked_hi = phys_hi & map->mask_phys_hi;
	uint32_t masked_pin = pin & map->mask_pin;

	for (unsigned i = 0; i < map->count && i < PCI_INTX_MAP_MAX; i++)
		if (map->route[i].phys_hi == masked_hi && map->route[i].pin == masked_pin)
			return &map->route[i];
	return NULL;
}

int pci_intx(const struct pci_scan *scan, unsigned index, uint32_t *intid, bool *edge)
{
	const struct pci_intx_route *route;
	uint32_t pin;
	int root;

	if (scan == NULL || intid == NULL || edge == NULL || index >= scan->count ||
	    index >= PCI_MAX_FUNCTIONS)
		return -VBLK_EINVAL;
	pin = pci_cfg_rd(&scan->host, scan->fn[index].bdf, PCI_INTERRUPT_PIN, 1);
	/* 0: no INTx; above 4 reserved (all ones: the function is gone). */
	if (pin == PCI_INTX_PIN_NONE || pin > PCI_INTX_PIN_D)
		return -VBLK_ENODEV;
	root = root_ancestor(scan, index, &pin);
	if (root < 0)
		return root;
	route = find_route(&scan->host.intx, phys_hi_of(scan->fn[root].bdf), pin);
	if (route == NULL)
		return -VBLK_ENODEV;
	*intid = route->intid;
	*edge = route->edge;
	return 0;
}

/* Clear `bits` of a 16-bit register, writing only if one is set. */
static void clear_bits16(const struct pci_host *host, struct pci_bdf bdf, uint32_t at,
			 uint32_t bits)
{
	uint32_t val = pci_cfg_rd(host, bdf, at, 2);

	if (val & bits)
		pci_cfg_wr(host, bdf, at, 2, val & ~bits);
}

/*
 * Firmware that used the function before us (a boot loader with MSI-X,
 * or one that quietened INTx# before handing over) may leave either way
 * of silencing the pin on. A driver that sleeps on the pin would then
 * wait for an interrupt that never comes.
 */
void pci_use_intx(const struct pci_host *host, struct pci_bdf bdf)
{
	uint32_t msi = pci_find_cap(host, bdf, PCI_CAP_ID_MSI);
	uint32_t msix = pci_find_cap(host, bdf, PCI_CAP_ID_MSIX);

	if (msi != 0)
		clear_bits16(host, bdf, msi + PCI_MSI_CONTROL, PCI_MSI_CONTROL_ENABLE);
	if (msix != 0)
		clear_bits16(host, bdf, msix + PCI_MSI_CONTROL, PCI_MSIX_CONTROL_ENABLE);
	clear_bits16(host, bdf, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
}
