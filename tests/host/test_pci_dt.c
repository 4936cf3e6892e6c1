/* SPDX-License-Identifier: MIT */
/*
 * The PCI host from the device tree (pci/dt.c) and config-space access
 * through ECAM (pci/ecam.c): the committed QEMU virt dumps hold the
 * pcie@10000000 node; tests/host/dtb/pci-*.dts are hand-written
 * variants (highmem=off, malformed ranges). The .dtb files are opened
 * relative to the repository root, or to $VBLK_DTB_DIR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "disk_fixture.h"
#include "fake_pci.h"
#include "host_platform.h"
#include "pci/pci.h"
#include "vblk/error.h"

#define ECAM_BASE       0x4010000000ull
#define ECAM_BYTES      0x10000000u

/* Exactly the blob (load_test_dtb): ASan sees any overread. */
static void *load_dtb(const char *name, size_t *size)
{
	return load_test_dtb(name, 0, size);
}

static int find_in(const char *name, struct pci_host *host)
{
	size_t size;
	void *blob = load_dtb(name, &size);
	int err = pci_dt_find_host(host, blob, size);

	free(blob);
	return err;
}

/* ---- the device tree -------------------------------------------------- */

static void assert_virt_highmem_host(const struct pci_host *host)
{
	assert_int_equal(host->ecam_base, ECAM_BASE);
	assert_int_equal(host->ecam_size_bytes, ECAM_BYTES);
	assert_int_equal(host->bus_first, 0);
	assert_int_equal(host->bus_last, 0xff);
	assert_int_equal(host->io.cpu_base, 0x3eff0000);
	assert_int_equal(host->io.pci_base, 0);
	assert_int_equal(host->io.size_bytes, 0x10000);
	assert_int_equal(host->mem32.pci_base, 0x10000000);
	assert_int_equal(host->mem32.cpu_base, 0x10000000);
	assert_int_equal(host->mem32.size_bytes, 0x2eff0000);
	assert_int_equal(host->mem64.pci_base, 0x8000000000ull);
	assert_int_equal(host->mem64.cpu_base, 0x8000000000ull);
	assert_int_equal(host->mem64.size_bytes, 0x8000000000ull);
}

static void test_dt_qemu_virt_host(void **state)
{
	static const char *const dumps[] = {
		"qemu-virt.dtb", "qemu-virt-gicv3.dtb", "qemu-virt-1g.dtb",
		"qemu-virt-2blk.dtb", "qemu-virt-secure.dtb", "qemu-virt-el2.dtb",
	};
	struct pci_host host;

	(void)state;
	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		assert_int_equal(find_in(dumps[i], &host), 0);
		assert_virt_highmem_host(&host);
	}
}

static void test_dt_highmem_off_host(void **state)
{
	struct pci_host host;

	(void)state;
	assert_int_equal(find_in("pci-highmem-off.dtb", &host), 0);
	assert_int_equal(host.ecam_base, 0x3f000000);
	assert_int_equal(host.ecam_size_bytes, 0x01000000);
	assert_int_equal(host.bus_last, 0x0f);
	assert_int_equal(host.mem32.size_bytes, 0x2eff0000);
	assert_int_equal(host.mem64.size_bytes, 0);
}

static void test_dt_broken_ranges_refused(void **state)
{
	struct pci_host host = { .ecam_base = 1 };

	(void)state;
	assert_int_equal(find_in("pci-bad-ranges.dtb", &host), -VBLK_EBADDT);
	assert_int_equal(host.ecam_base, 0);
}

static void test_dt_without_a_host_is_no_device(void **state)
{
	struct pci_host host;

	(void)state;
	assert_int_equal(find_in("board-empty.dtb", &host), -VBLK_ENODEV);
	assert_int_equal(pci_dt_find_host(NULL, NULL, 0), -VBLK_EINVAL);
}

static void test_dt_truncated_blob_refused(void **state)
{
	struct pci_host host;
	size_t size;
	void *blob = load_dtb("qemu-virt.dtb", &size);

	(void)state;
	assert_int_equal(pci_dt_find_host(&host, blob, size / 2), -VBLK_EBADDT);
	free(blob);
}

/* ---- ECAM ------------------------------------------------------------- */

static struct pci_host ecam_host(void)
{
	return (struct pci_host){ .ecam_base = ECAM_BASE, .ecam_size_bytes = ECAM_BYTES,
				  .bus_first = 0, .bus_last = 0xff };
}

static void test_host_check_clips_buses_to_the_window(void **state)
{
	struct pci_host host = ecam_host();

	(void)state;
	host.ecam_size_bytes = 16u << 20;
	assert_int_equal(pci_host_check(&host), 0);
	assert_int_equal(host.bus_last, 15);
	host.ecam_size_bytes = 4096;
	assert_int_equal(pci_host_check(&host), -VBLK_EINVAL);
	host = ecam_host();
	host.mem32 = (struct pci_window){ 0xf0000000, 0xf0000000, 0x20000000 };
	assert_int_equal(pci_host_check(&host), -VBLK_EINVAL);   /* past 4 GiB */
}

static void test_ecam_reaches_bus_device_function_offset(void **state)
{
	struct pci_host host = ecam_host();
	struct fake_pci *pci = fake_pci_create(ECAM_BASE, ECAM_BYTES, 0);
	int fn = fake_pci_add(pci, &(struct fake_pci_fn_spec){
		.parent = -1, .dev = 5, .fn = 0, .vendor_id = 0x1af4, .device_id = 0x1042,
		.multi_function = true });
	struct pci_bdf at = { 0, 5, 0 };
	uint32_t val;

	(void)state;
	assert_int_equal(pci_cfg_read(&host, at, PCI_VENDOR_ID, 4, &val), 0);
	assert_int_equal(val, 0x10421af4);
	assert_int_equal(pci_cfg_read(&host, at, PCI_DEVICE_ID, 2, &val), 0);
	assert_int_equal(val, 0x1042);
	assert_int_equal(pci_cfg_read(&host, at, PCI_HEADER_TYPE, 1, &val), 0);
	assert_int_equal(val, PCI_HEADER_MULTI_FN);
	assert_int_equal(pci_cfg_write(&host, at, PCI_COMMAND, 2, PCI_COMMAND_MASTER), 0);
	assert_int_equal(fake_pci_cfg_read(pci, fn, PCI_COMMAND, 2), PCI_COMMAND_MASTER);
	assert_int_equal(pci_cfg_write(&host, at, 0x3c, 1, 0x2a), 0);
	assert_int_equal(fake_pci_cfg_read(pci, fn, 0x3c, 1), 0x2a);
	/* An empty slot reads all ones. */
	assert_int_equal(pci_cfg_rd(&host, (struct pci_bdf){ 0, 6, 0 }, PCI_VENDOR_ID, 2), 0xffff);
	host_platform_reset();
}

static void test_ecam_refuses_accesses_outside_the_window(void **state)
{
	struct pci_host host = ecam_host();
	struct fake_pci *pci = fake_pci_create(ECAM_BASE, 16u << 20, 0);
	uint32_t val = 0x5a5a;

	(void)state;
	host.ecam_size_bytes = 16u << 20;
	assert_int_equal(pci_host_check(&host), 0);
	assert_int_equal(pci_cfg_read(&host, (struct pci_bdf){ 16, 0, 0 }, 0, 4, &val),
			 -VBLK_ERANGE);
	assert_int_equal(pci_cfg_read(&host, (struct pci_bdf){ 0, 32, 0 }, 0, 4, &val),
			 -VBLK_ERANGE);
	assert_int_equal(pci_cfg_read(&host, (struct pci_bdf){ 0, 0, 8 }, 0, 4, &val),
			 -VBLK_ERANGE);
	assert_int_equal(pci_cfg_read(&host, (struct pci_bdf){ 0, 0, 0 }, 4096, 1, &val),
			 -VBLK_ERANGE);
	assert_int_equal(pci_cfg_read(&host, (struct pci_bdf){ 0, 0, 0 }, 2, 4, &val),
			 -VBLK_EINVAL);
	assert_int_equal(pci_cfg_read(&host, (struct pci_bdf){ 0, 0, 0 }, 0, 3, &val),
			 -VBLK_EINVAL);
	assert_int_equal(pci_cfg_write(&host, (struct pci_bdf){ 16, 0, 0 }, 0, 4, 0),
			 -VBLK_ERANGE);
	assert_int_equal(val, 0x5a5a);
	assert_int_equal(fake_pci_access_count(pci), 0);
	assert_int_equal(pci_cfg_rd(&host, (struct pci_bdf){ 16, 0, 0 }, 0, 4), UINT32_MAX);
	host_platform_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dt_qemu_virt_host),
		cmocka_unit_test(test_dt_highmem_off_host),
		cmocka_unit_test(test_dt_broken_ranges_refused),
		cmocka_unit_test(test_dt_without_a_host_is_no_device),
		cmocka_unit_test(test_dt_truncated_blob_refused),
		cmocka_unit_test(test_host_check_clips_buses_to_the_window),
		cmocka_unit_test(test_ecam_reaches_bus_device_function_offset),
		cmocka_unit_test(test_ecam_refuses_accesses_outside_the_window),
	};
	return cmocka_run_group_tests_name("pci_dt", tests, NULL, NULL);
}
