/* SPDX-License-Identifier: MIT */
/*
 * The runtime maps what PCI needs (boot/mmu.c): the case pci_map checks,
 * on whichever start and GIC the row boots, that the PCI host's ECAM and
 * memory windows the board parser found (rt_board()->device) are mapped
 * as Device-nGnRnE from their first to their last page, and that the
 * guest reaches the devices through them.
 *
 *   regions=N      expect N device regions (3 with highmem, 2 without)
 *   ecam=ADDR      expect the ECAM there (0x4010000000, or 0x3f000000)
 *   bar=32|64      a virtio-pci function's modern capabilities (its
 *                  common configuration) are expected in a BAR the
 *                  library's pci_scan placed below or above 4 GiB
 *
 * Every test boot has QEMU virt's default NIC, virtio-net-pci at 00:01.0,
 * which vblk leaves alone: its BARs are the ones read. The host bridge
 * answers at 00:00.0 (1b36:0008).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "drivers/board.h"
#include "pci/pci.h"
#include "plat/platform.h"
#include "vblk/runtime.h"
#include "tests/qemu/guest.h"

#define HOST_BRIDGE_IDS        0x00081b36u   /* device 0008, vendor 1b36 */
#define VIRTIO_PCI_VENDOR      0x1af4u
#define FOUR_GIB               (1ull << 32)
#define PAGE_BYTES             4096u

/* PAR_EL1 after an address translation (Arm ARM D17.2.118). */
#define PAR_FAULT              0x1ull
#define PAR_ATTR_SHIFT         56
#define MAIR_DEVICE_nGnRnE     0x00u

/* virtio 1.2 §4.1.4 capabilities (walked with pci/cap.c). */
#define VIRTIO_CAP_CFG_TYPE    3u
#define VIRTIO_CAP_BAR         4u
#define VIRTIO_CAP_OFFSET      8u
#define VIRTIO_PCI_CAP_COMMON  1u
#define COMMON_DFSELECT        0x00u
#define COMMON_DF              0x04u
#define VIRTIO_F_VERSION_1_HIGH 0x1u      /* bit 32: bit 0 of feature word 1 */

static struct pci_host host;
static struct pci_scan scan;         /* pci_scan fills it from `host` */

/* What stage 1 makes of `addr` for an EL1 read: the PAR_EL1 value. */
static uint64_t translate(uint64_t addr)
{
	uint64_t par;

	__asm__ volatile("at s1e1r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(addr)
			 : "memory");
	return par;
}

/* Mapped, 1:1, as Device-nGnRnE. */
static int check_device_page(uint64_t addr)
{
	uint64_t par = translate(addr);
	uint64_t page = addr & ~(uint64_t)(PAGE_BYTES - 1);

	if (par & PAR_FAULT)
		return fail("0x%llx is not mapped (PAR_EL1 0x%llx)", (unsigned long long)addr,
			    (unsigned long long)par);
	if ((par & 0x0000fffffffff000ull) != page ||
	    (par >> PAR_ATTR_SHIFT) != MAIR_DEVICE_nGnRnE)
		return fail("0x%llx maps to PAR_EL1 0x%llx, not 1:1 device memory",
			    (unsigned long long)addr, (unsigned long long)par);
	return 0;
}

static int check_regions(const struct board_info *board)
{
	uint64_t want = arg_u64("regions", 0);

	if (want != 0 && board->device_count != want)
		return fail("%u device region(s) in the board, expected %lu",
			    board->device_count, (unsigned long)want);
	for (unsigned i = 0; i < board->device_count; i++) {
		const struct board_region *region = &board->device[i];

		printf("device region %u: 0x%llx, 0x%llx bytes\n", i,
		       (unsigned long long)region->base, (unsigned long long)region->size_bytes);
		if (check_device_page(region->base) != 0 ||
		    check_device_page(region->base + region->size_bytes - 1) != 0)
			return -1;
	}
	return 0;
}

/* 00:00.0's IDs through the ECAM the DT gives, which pci/ reads alike. */
static int check_ecam(const struct board_info *board)
{
	uint64_t want = arg_u64("ecam", 0);
	uint32_t ids;

	if (board->device_count == 0)
		return fail("no PCI host in the board");
	if (want != 0 && board->device[0].base != want)
		return fail("ECAM at 0x%llx, expected 0x%llx",
			    (unsigned long long)board->device[0].base, (unsigned long long)want);
	if (pci_dt_find_host(&host, rt_dtb(), rt_dtb_max_bytes()) != 0 ||
	    host.ecam_base != board->device[0].base)
		return fail("pci_dt_find_host does not see the board's ECAM");
	ids = plat_mmio_read32((uintptr_t)board->device[0].base);
	printf("00:00.0 through the ECAM at 0x%llx: %04x:%04x\n",
	       (unsigned long long)board->device[0].base, ids & 0xffffu, ids >> 16);
	if (ids != HOST_BRIDGE_IDS)
		return fail("00:00.0 answers 0x%08x, expected the host bridge 0x%08x", ids,
			    HOST_BRIDGE_IDS);
	return 0;
}

/* The BAR and offset of function fn's virtio common configuration, from
 * its vendor capabilities; -1 if it has none. */
static int common_cfg(const struct pci_function *fn, unsigned *bar, uint32_t *offset)
{
	const struct pci_host *host = &scan.host;
	struct pci_cap_walk walk = { 0 };

	while (pci_cap_next(host, fn->bdf, &walk)) {
		uint32_t at = walk.pos;

		if (pci_cfg_rd(host, fn->bdf, at + PCI_CAP_ID, 1) == PCI_CAP_ID_VENDOR &&
		    pci_cfg_rd(host, fn->bdf, at + VIRTIO_CAP_CFG_TYPE, 1) == VIRTIO_PCI_CAP_COMMON) {
			*bar = pci_cfg_rd(host, fn->bdf, at + VIRTIO_CAP_BAR, 1);
			*offset = pci_cfg_rd(host, fn->bdf, at + VIRTIO_CAP_OFFSET, 4);
			return *bar < PCI_BARS_NORMAL ? 0 : -1;
		}
	}
	return -1;
}

/* A virtio-pci function nobody enabled (the NIC), its BARs placed by
 * pci_scan, read through the window its common configuration lies in:
 * the device offers VERSION_1 in feature word 1 (virtio 1.2 §4.1.4.3). */
static int check_bar_window(void)
{
	uint64_t want_bits = arg_u64("bar", 0);
	unsigned bar = 0;
	uint32_t offset = 0, features;
	int count = pci_scan(&scan, &host);

	if (count <= 0)
		return fail("pci_scan found nothing (%d)", count);
	for (unsigned i = 0; i < (unsigned)count; i++) {
		const struct pci_function *fn = &scan.fn[i];

		if (fn->vendor_id != VIRTIO_PCI_VENDOR || fn->firmware_assigned ||
		    common_cfg(fn, &bar, &offset) != 0 || fn->bar[bar].status != 0)
			continue;
		uint64_t addr = fn->bar[bar].cpu_addr + offset;

		if (pci_enable(&scan, i) != 0)
			return fail("pci_enable of %02x:%02x.%x failed", fn->bdf.bus,
				    fn->bdf.dev, fn->bdf.fn);
		plat_mmio_write32((uintptr_t)addr + COMMON_DFSELECT, 1);
		features = plat_mmio_read32((uintptr_t)addr + COMMON_DF);
		plat_mmio_write32((uintptr_t)addr + COMMON_DFSELECT, 0);
		printf("%02x:%02x.%x %04x:%04x: BAR%u at 0x%llx, feature word 1 0x%08x\n",
		       fn->bdf.bus, fn->bdf.dev, fn->bdf.fn, fn->vendor_id, fn->device_id, bar,
		       (unsigned long long)fn->bar[bar].cpu_addr, features);
		if (features == UINT32_MAX || !(features & VIRTIO_F_VERSION_1_HIGH))
			return fail("the common configuration in BAR%u does not answer", bar);
		if ((want_bits == 64 && addr < FOUR_GIB) || (want_bits == 32 && addr >= FOUR_GIB))
			return fail("BAR%u at 0x%llx, expected in the %lu-bit window", bar,
				    (unsigned long long)addr, (unsigned long)want_bits);
		return 0;
	}
	return fail("no virtio-pci function with its BARs free to place");
}

int test_pci_map(void)
{
	const struct board_info *board = rt_board();

	if (check_regions(board) != 0 || check_ecam(board) != 0)
		return -1;
	return check_bar_window();
}
