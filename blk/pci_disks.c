/* SPDX-License-Identifier: MIT */
/*
 * Finding virtio-blk disks on PCI: every one behind the device tree's
 * ECAM host (the bus enumerated and the BARs nobody assigned placed by
 * pci/), or one function firmware set up (vblk_attach_pci). The disks
 * join the one table (blk/table.c) and the same probe report
 * (blk/attach.c) as the virtio-mmio ones.
 */
#include "blk/disk.h"

#include "pci/pci.h"
#include "virtio/pci.h"

static void record_pci_probe(const struct pci_function *fn, uint32_t device_type, int result)
{
	struct vblk_probe_entry entry = {
		.transport = VBLK_TRANSPORT_PCI,
		.device_id = device_type,
		.pci = { fn->bdf.bus, fn->bdf.dev, fn->bdf.fn },
		.pci_vendor_id = fn->vendor_id,
		.pci_device_id = fn->device_id,
		.result = result,
	};

	for (unsigned i = 0; i < fn->nbars && i < PCI_BARS_NORMAL; i++) {
		const struct pci_bar *bar = &fn->bar[i];
		if ((bar->kind == PCI_BAR_MEM32 || bar->kind == PCI_BAR_MEM64) && bar->status == 0)
			entry.pci_bar[i] = bar->cpu_addr;
	}
	blk_record_probe(&entry);
}

/* A function ready to be driven (BARs assigned, decoding and bus
 * mastering on: virtio 1.2 §4.1 needs bus mastering before DRIVER_OK)
 * becomes a disk. vblk takes the device's interrupts on INTx, which a
 * device raises only with MSI-X off (§4.1.5.3, §4.1.5.4: with it on, a
 * message or nothing), so whatever firmware left to silence the pin is
 * undone once the function is a disk (interrupts come only after
 * vblk_use_interrupts), and left alone if it is not. */
static int attach_function(const struct pci_host *host, const struct pci_function *fn,
			   uint32_t intid, bool irq_edge)
{
	struct virtio_dev probed;

	int err = virtio_pci_probe(&probed, host, fn);
	if (err)
		return err;
	int index = blk_attach_probed(&probed, intid, irq_edge);
	if (index >= 0)
		pci_use_intx(host, fn->bdf);
	return index;
}

/* The function's INTx as the host's interrupt-map routes it (virtio
 * 1.2 §4.1.5.3: without MSI-X a device interrupts on INTx); 0 if it has
 * none or the map says nothing: the disk then works polled only. */
static void find_intx(const struct pci_scan *scan, unsigned index, uint32_t *intid, bool *edge)
{
	if (pci_intx(scan, index, intid, edge) != 0) {
		*intid = 0;
		*edge = false;
	}
}

/*
 * Every virtio-blk function of the scan, in bus order. Only those are
 * enabled: the others (a NIC, a bridge's other children) keep decoding
 * off, as enumeration left them. Non-block virtio functions are
 * reported, as MMIO slots holding other devices are.
 */
static void attach_scanned(struct pci_scan *scan)
{
	for (unsigned i = 0; i < scan->count; i++) {
		const struct pci_function *fn = &scan->fn[i];
		uint32_t type = virtio_pci_device_type(&scan->host, fn);
		uint32_t intid;
		bool edge;

		if (type == 0)
			continue;                 /* not a virtio device */
		int err = -VBLK_ENODEV;
		if (type == VIRTIO_ID_BLOCK)
			err = pci_enable(scan, i);
		if (err == 0) {
			find_intx(scan, i, &intid, &edge);
			err = attach_function(&scan->host, fn, intid, edge);
		}
		record_pci_probe(fn, type, err < 0 ? err : 0);
	}
}

/*
 * Virtio functions the scan's table had no room for (more than
 * PCI_MAX_FUNCTIONS on the buses): never attached, but reported, a disk
 * with -VBLK_ENOMEM, so it is not missing from the report without a word.
 */
static void report_unrecorded(const struct pci_scan *scan)
{
	struct pci_unrecorded_walk walk = { 0 };
	struct pci_function fn;
	struct pci_bdf bdf;

	while (pci_next_unrecorded(scan, &walk, &bdf)) {
		pci_identify(&scan->host, bdf, &fn);
		uint32_t type = virtio_pci_device_type(&scan->host, &fn);
		if (type != 0)
			record_pci_probe(&fn, type,
					 type == VIRTIO_ID_BLOCK ? -VBLK_ENOMEM : -VBLK_ENODEV);
	}
}

/* The disks behind the device tree's PCI host (blk/dt_scan.c found it). */
void blk_attach_pci_host(const struct pci_host *host)
{
	static struct pci_scan scan;

	if (pci_scan(&scan, host) < 0)
		return;
	attach_scanned(&scan);
	report_unrecorded(&scan);
}

/* An ECAM window is 4 KiB per function at least; bus 0 at ecam_base. */
static bool plausible_function(uint64_t ecam_base, uint8_t dev, uint8_t fn)
{
	return ecam_base != 0 && ecam_base % PCI_CFG_SPACE_BYTES == 0 &&
	       dev < PCI_DEVS_PER_BUS && fn < PCI_FNS_PER_DEV;
}

/* Is the function at `bdf` of `host` a disk already? Its configuration
 * space's address says which function it is: two hosts may each have
 * one at the same bus:dev.fn. */
static bool function_attached(const struct pci_host *host, struct pci_bdf bdf)
{
	uint64_t config_space = pci_config_space(host, bdf);

	for (unsigned i = 0; i < vblk_disk_count(); i++) {
		const struct virtio_dev *vdev = &vblk_disk(i)->dev.vdev;
		if (vdev->transport == VIRTIO_TRANSPORT_PCI &&
		    vdev->regs.pci.config_space == config_space)
			return true;
	}
	return false;
}

/* The function at bdf, once the arguments are known to be good. It is
 * only read until it proves to be a virtio device: sizing its BARs turns
 * its decoding off for a moment (PCI 3.0 §6.2.5.1), which is not ours to
 * do to a function we will neither drive nor report (a NIC firmware may
 * be using), and there is nothing to write where no function answers. */
static int attach_at(const struct pci_host *host, struct pci_bdf bdf, uint32_t intid)
{
	struct pci_function found;

	pci_identify(host, bdf, &found);
	if (found.vendor_id == PCI_VENDOR_NONE)
		return -VBLK_ENODEV;
	uint32_t type = virtio_pci_device_type(host, &found);
	if (type == 0)
		return -VBLK_ENODEV;
	pci_read_function(host, bdf, -1, &found);
	int err = type == VIRTIO_ID_BLOCK ? 0 : -VBLK_ENODEV;
	if (!err) {
		pci_use_bars_as_set(&found);
		err = pci_enable_function(host, &found);
	}
	if (!err)
		err = attach_function(host, &found, intid, false);
	record_pci_probe(&found, type, err < 0 ? err : 0);
	return err;
}

VBLK_COLD int vblk_attach_pci(uint64_t ecam_base, uint8_t bus, uint8_t dev, uint8_t fn,
			      uint32_t intid)
{
	struct pci_host host = {
		.ecam_base = ecam_base,
		.ecam_size_bytes = ((uint64_t)bus + 1) * PCI_ECAM_BUS_BYTES,
		.bus_first = 0,
		.bus_last = bus,
	};
	struct pci_bdf bdf = { bus, dev, fn };

	/* A bad argument changes nothing, not even the probe report. */
	if (!plausible_function(ecam_base, dev, fn) || pci_host_check(&host) != 0)
		return -VBLK_EINVAL;
	if (!blk_setup_begin())
		return -VBLK_ESTATE;
	/* Sizing the BARs of a disk's function would stop its decoding
	 * for a moment under the disk. Looked at once set-up is ours, as
	 * vblk_attach does: no callback can attach the function meanwhile. */
	int err = function_attached(&host, bdf) ? -VBLK_ESTATE : attach_at(&host, bdf, intid);
	blk_setup_end();
	return err;
}
