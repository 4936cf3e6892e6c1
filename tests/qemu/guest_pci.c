/* SPDX-License-Identifier: MIT */
/*
 * QEMU test cases for how disks are found again and found without a
 * device tree: vblk_attach_pci as firmware would call it, and a second
 * vblk_init_from_dt after vblk_shutdown (the bus enumerated once more,
 * the disks' functions kept as the first pass left them).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pci/pci.h"
#include "vblk/runtime.h"
#include "vblk/vblk.h"
#include "tests/qemu/guest.h"

static uint8_t io_buf[64 * SECTOR_BYTES] VBLK_ALIGNED;

/*
 * Firmware that used the disk before handing over may leave its INTx
 * silenced: Interrupt Disable in Command, MSI-X enabled (QEMU then
 * signals by message, here to no vector at all). vblk must undo both,
 * or the test's interrupt-driven I/O sees no interrupt.
 */
static void leave_intx_silenced(const struct pci_host *host, struct pci_bdf bdf)
{
	uint32_t msix = pci_find_cap(host, bdf, PCI_CAP_ID_MSIX);
	uint32_t command = pci_cfg_rd(host, bdf, PCI_COMMAND, 2);

	if (msix != 0)
		pci_cfg_wr(host, bdf, msix + PCI_MSI_CONTROL, 2,
			   pci_cfg_rd(host, bdf, msix + PCI_MSI_CONTROL, 2) |
			   PCI_MSIX_CONTROL_ENABLE);
	pci_cfg_wr(host, bdf, PCI_COMMAND, 2, command | PCI_COMMAND_INTX_DISABLE);
	printf("firmware left %02x:%02x.%u with INTx disabled%s\n", bdf.bus, bdf.dev, bdf.fn,
	       msix != 0 ? " and MSI-X enabled" : "");
}

/*
 * attach_pci=BUS:DEV.FN plays firmware without a device tree for the
 * library: something placed the BARs before vblk runs (here the library's
 * own enumeration stands in for that firmware: pci_scan assigns, enables
 * nothing) and left INTx silenced, and vblk_attach_pci gets the ECAM
 * base, the function and its INTx, and turns on decoding itself. A second
 * attach of the same function is refused.
 */
int attach_pci_as_firmware(const char *where)
{
	static struct pci_scan scan;
	struct pci_host host;
	unsigned bus, dev, fn;
	uint32_t intid = 0;
	bool edge;
	int rc;

	if (sscanf(where, "%x:%x.%u", &bus, &dev, &fn) != 3)
		return fail("attach_pci=%s is not BUS:DEV.FN", where);
	if (rt_dtb() == NULL || pci_dt_find_host(&host, rt_dtb(), rt_dtb_max_bytes()) != 0 ||
	    pci_scan(&scan, &host) < 0)
		return fail("no PCI host to play firmware with");
	for (unsigned i = 0; i < scan.count; i++) {
		if (scan.fn[i].bdf.bus == bus && scan.fn[i].bdf.dev == dev &&
		    scan.fn[i].bdf.fn == fn && pci_intx(&scan, i, &intid, &edge) != 0)
			intid = 0;
	}
	leave_intx_silenced(&host, (struct pci_bdf){ (uint8_t)bus, (uint8_t)dev, (uint8_t)fn });
	rc = vblk_attach_pci(host.ecam_base, (uint8_t)bus, (uint8_t)dev, (uint8_t)fn, intid);
	printf("vblk_attach_pci(%02x:%02x.%u, intid %lu): %d\n", bus, dev, fn,
	       (unsigned long)intid, rc);
	if (rc < 0)
		return fail("vblk_attach_pci returned %d (%s)", rc, vblk_strerror(rc));
	return expect_rc("a second vblk_attach_pci of the disk",
			 vblk_attach_pci(host.ecam_base, (uint8_t)bus, (uint8_t)dev, (uint8_t)fn,
					 intid),
			 -VBLK_ESTATE);
}

/* Where a disk is, to recognise it after a new probe. */
struct disk_place {
	enum vblk_transport transport;
	uint64_t mmio_base;
	struct vblk_pci_address pci;
};

static struct disk_place place_of(const struct vblk_disk *disk)
{
	const struct vblk_info *info = vblk_disk_info(disk);

	return (struct disk_place){ info->transport, info->mmio_base, info->pci };
}

static bool same_place(struct disk_place a, struct disk_place b)
{
	return a.transport == b.transport && a.mmio_base == b.mmio_base &&
	       a.pci.bus == b.pci.bus && a.pci.dev == b.pci.dev && a.pci.fn == b.pci.fn;
}

/* Write seed + index at `start` of every disk, 64 sectors. */
static int write_every_disk(uint64_t seed, uint64_t start)
{
	for (unsigned i = 0; i < vblk_disk_count(); i++) {
		fill_pattern(io_buf, seed + i, start, 64);
		if (expect_rc("vblk_write", vblk_write(vblk_disk(i), start, io_buf, 64), 0))
			return -1;
	}
	return 0;
}

static int check_every_disk(uint64_t seed, uint64_t start)
{
	for (unsigned i = 0; i < vblk_disk_count(); i++) {
		if (expect_rc("vblk_read", vblk_read(vblk_disk(i), start, io_buf, 64), 0))
			return -1;
		if (check_pattern(io_buf, seed + i, start, 64) != 0)
			return fail("disk %u lost what it held across the new probe", i);
	}
	return 0;
}

/*
 * reinit seed= start=: write to every disk, vblk_shutdown, probe the
 * device tree again: the same disks in the same order at the same places
 * (MMIO windows, PCI functions), each holding what it was given, and
 * writable (the host checks the writes after QEMU exits).
 */
int test_reinit(void)
{
	uint64_t seed = arg_u64("seed", 1), start = arg_u64("start", 0);
	struct disk_place before[VBLK_MAX_DISKS];
	unsigned count = vblk_disk_count();
	int rc;

	if (count == 0)
		return fail("no disks found");
	for (unsigned i = 0; i < count; i++)
		before[i] = place_of(vblk_disk(i));
	if (write_every_disk(seed, start) != 0 || expect_rc("vblk_shutdown", vblk_shutdown(), 0))
		return -1;
	rc = vblk_init_from_dt(rt_dtb(), rt_dtb_max_bytes());
	printf("second vblk_init_from_dt: %d disk(s)\n", rc);
	if (rc != (int)count)
		return fail("%d disk(s) the second time, %u the first", rc, count);
	for (unsigned i = 0; i < count; i++) {
		if (!same_place(before[i], place_of(vblk_disk(i))))
			return fail("disk %u is elsewhere after the new probe", i);
	}
	if (check_every_disk(seed, start) != 0)
		return -1;
	return write_every_disk(seed, start + 64);
}
