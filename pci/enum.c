/* SPDX-License-Identifier: MIT */
/*
 * Enumeration: every device and function on every bus reachable from the
 * host's first bus, depth first through PCI-to-PCI bridges, each bridge
 * given the next free bus number as it is met (the order Linux and
 * U-Boot number them in). Each function found is recorded in the
 * caller's static table and its BARs sized (bar.c); nothing is enabled.
 *
 * Every loop is bounded: 32 devices x 8 functions per bus, a bus number
 * used once, bridges followed PCI_MAX_BRIDGE_DEPTH deep, the table
 * PCI_MAX_FUNCTIONS long. A device that answers everywhere costs time,
 * never a hang.
 */
#include <string.h>

#include "pci/pci.h"

#include "vblk/error.h"

static struct pci_bdf bdf_of(uint8_t bus, unsigned dev, unsigned fn)
{
	return (struct pci_bdf){ .bus = bus, .dev = (uint8_t)dev, .fn = (uint8_t)fn };
}

/* Vendor ID all ones: no function there (PCI 3.0 §6.2.1, a master abort
 * reads all ones). */
static bool present(const struct pci_host *host, struct pci_bdf bdf)
{
	return pci_cfg_rd(host, bdf, PCI_VENDOR_ID, 2) != PCI_VENDOR_NONE;
}

void pci_identify(const struct pci_host *host, struct pci_bdf bdf, struct pci_function *fn)
{
	uint32_t ids = pci_cfg_rd(host, bdf, PCI_VENDOR_ID, 4);

	memset(fn, 0, sizeof(*fn));
	fn->bdf = bdf;
	fn->vendor_id = (uint16_t)ids;
	fn->device_id = (uint16_t)(ids >> 16);
	fn->class_code = pci_cfg_rd(host, bdf, PCI_CLASS_REVISION, 4) >> 8;
	fn->header_type = (uint8_t)(pci_cfg_rd(host, bdf, PCI_HEADER_TYPE, 1) &
				    PCI_HEADER_LAYOUT_MASK);
	fn->parent = -1;
}

void pci_read_function(const struct pci_host *host, struct pci_bdf bdf, int parent,
		       struct pci_function *fn)
{
	uint32_t command;

	pci_identify(host, bdf, fn);
	fn->parent = parent;
	fn->nbars = fn->header_type == PCI_HEADER_BRIDGE ? PCI_BARS_BRIDGE : PCI_BARS_NORMAL;
	/* Decoding on means someone (firmware) set this function up: its
	 * BARs are used as they are. */
	command = pci_cfg_rd(host, bdf, PCI_COMMAND, 2);
	fn->firmware_assigned = (command & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) != 0;
	if (fn->header_type != PCI_HEADER_NORMAL && fn->header_type != PCI_HEADER_BRIDGE)
		fn->nbars = 0;   /* a CardBus bridge (type 2) or worse: left alone */
	pci_size_bars(host, fn);
}

/* Record the function at bdf; its index, or -1 if the table is full. */
static int record(struct pci_scan *scan, struct pci_bdf bdf, int parent)
{
	if (scan->count >= PCI_MAX_FUNCTIONS) {
		scan->dropped++;
		return -1;
	}
	pci_read_function(&scan->host, bdf, parent, &scan->fn[scan->count]);
	return (int)scan->count++;
}

static void set_bus_numbers(const struct pci_host *host, struct pci_bdf bdf,
			    uint8_t primary, uint8_t secondary, uint8_t subordinate)
{
	pci_cfg_wr(host, bdf, PCI_PRIMARY_BUS, 1, primary);
	pci_cfg_wr(host, bdf, PCI_SECONDARY_BUS, 1, secondary);
	pci_cfg_wr(host, bdf, PCI_SUBORDINATE_BUS, 1, subordinate);
}

static void scan_bus(struct pci_scan *scan, uint8_t bus, int parent, unsigned depth);

/*
 * Give the bridge at `index` the next bus number and walk behind it. While
 * we walk, its subordinate bus is the last the host has, so configuration
 * requests for every bus yet to be numbered below it are forwarded
 * (PCI-to-PCI Bridge 1.2 §3.2.5.3-5); afterwards it is the last number
 * handed out below it.
 */
static void follow_bridge(struct pci_scan *scan, int index, unsigned depth)
{
	const struct pci_host *host = &scan->host;
	struct pci_function *bridge = &scan->fn[index];
	uint8_t secondary;

	if (depth >= PCI_MAX_BRIDGE_DEPTH) {
		bridge->status = -VBLK_ENOMEM;
		set_bus_numbers(host, bridge->bdf, bridge->bdf.bus, 0, 0);
		return;
	}
	if (scan->last_bus >= host->bus_last) {
		bridge->status = -VBLK_ERANGE;   /* no bus number left */
		set_bus_numbers(host, bridge->bdf, bridge->bdf.bus, 0, 0);
		return;
	}
	secondary = ++scan->last_bus;
	set_bus_numbers(host, bridge->bdf, bridge->bdf.bus, secondary, host->bus_last);
	scan_bus(scan, secondary, index, depth + 1);
	/* scan_bus may have refilled the table; the bridge's entry stays. */
	bridge = &scan->fn[index];
	bridge->secondary_bus = secondary;
	bridge->subordinate_bus = scan->last_bus;
	pci_cfg_wr(host, bridge->bdf, PCI_SUBORDINATE_BUS, 1, scan->last_bus);
}

static void scan_function(struct pci_scan *scan, struct pci_bdf bdf, int parent,
			  unsigned depth)
{
	int index = record(scan, bdf, parent);

	if (index >= 0 && scan->fn[index].header_type == PCI_HEADER_BRIDGE)
		follow_bridge(scan, index, depth);
}

/* PCI 3.0 §6.2.1: functions 1-7 exist only where function 0 does and
 * says it is a multi-function device. */
static void scan_device(struct pci_scan *scan, uint8_t bus, unsigned dev, int parent,
			unsigned depth)
{
	const struct pci_host *host = &scan->host;
	unsigned fns = 1;

	if (!present(host, bdf_of(bus, dev, 0)))
		return;
	if (pci_cfg_rd(host, bdf_of(bus, dev, 0), PCI_HEADER_TYPE, 1) & PCI_HEADER_MULTI_FN)
		fns = PCI_FNS_PER_DEV;
	for (unsigned fn = 0; fn < fns; fn++)
		if (present(host, bdf_of(bus, dev, fn)))
			scan_function(scan, bdf_of(bus, dev, fn), parent, depth);
}

static void scan_bus(struct pci_scan *scan, uint8_t bus, int parent, unsigned depth)
{
	for (unsigned dev = 0; dev < PCI_DEVS_PER_BUS; dev++)
		scan_device(scan, bus, dev, parent, depth);
}

int pci_enumerate(struct pci_scan *scan, const struct pci_host *host)
{
	if (scan == NULL || host == NULL)
		return -VBLK_EINVAL;
	memset(scan, 0, sizeof(*scan));
	scan->host = *host;
	if (pci_host_check(&scan->host) < 0) {
		memset(scan, 0, sizeof(*scan));
		return -VBLK_EINVAL;
	}
	scan->last_bus = scan->host.bus_first;
	scan_bus(scan, scan->host.bus_first, -1, 0);
	return (int)scan->count;
}

int pci_scan(struct pci_scan *scan, const struct pci_host *host)
{
	int found = pci_enumerate(scan, host);

	if (found >= 0)
		pci_assign(scan);
	return found;
}

/* Is the function at bdf in the table? */
static bool recorded(const struct pci_scan *scan, struct pci_bdf bdf)
{
	for (unsigned i = 0; i < scan->count; i++) {
		const struct pci_bdf *at = &scan->fn[i].bdf;
		if (at->bus == bdf.bus && at->dev == bdf.dev && at->fn == bdf.fn)
			return true;
	}
	return false;
}

/* The walk's position as bus, device, function: 256 functions a bus. */
static struct pci_bdf bdf_at(const struct pci_scan *scan, unsigned pos)
{
	return bdf_of((uint8_t)(scan->host.bus_first + pos / (PCI_DEVS_PER_BUS * PCI_FNS_PER_DEV)),
		      pos / PCI_FNS_PER_DEV % PCI_DEVS_PER_BUS, pos % PCI_FNS_PER_DEV);
}

/*
 * The functions a full table left out are on buses the scan numbered
 * (bus_first to last_bus): a bridge it could not record was not followed,
 * so nothing behind one is reachable. The same rules as the scan: function
 * 0 says whether 1-7 may exist.
 */
bool pci_next_unrecorded(const struct pci_scan *scan, struct pci_unrecorded_walk *walk,
			 struct pci_bdf *bdf)
{
	const unsigned end = ((unsigned)scan->last_bus - scan->host.bus_first + 1) *
			     PCI_DEVS_PER_BUS * PCI_FNS_PER_DEV;

	if (scan->dropped == 0)
		return false;
	while (walk->next < end) {
		struct pci_bdf at = bdf_at(scan, walk->next);
		struct pci_bdf fn0 = bdf_of(at.bus, at.dev, 0);

		if (!present(&scan->host, fn0)) {   /* no device: its other functions neither */
			walk->next += PCI_FNS_PER_DEV - at.fn;
			continue;
		}
		if (at.fn != 0 &&
		    !(pci_cfg_rd(&scan->host, fn0, PCI_HEADER_TYPE, 1) & PCI_HEADER_MULTI_FN)) {
			walk->next += PCI_FNS_PER_DEV - at.fn;
			continue;
		}
		walk->next++;
		if (present(&scan->host, at) && !recorded(scan, at)) {
			*bdf = at;
			return true;
		}
	}
	return false;
}

int pci_find(const struct pci_scan *scan, uint16_t vendor_id, uint16_t device_id,
	     unsigned start)
{
	for (unsigned i = start; scan != NULL && i < scan->count; i++)
		if (scan->fn[i].vendor_id == vendor_id && scan->fn[i].device_id == device_id)
			return (int)i;
	return -1;
}
