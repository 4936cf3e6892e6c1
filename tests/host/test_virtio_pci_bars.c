/* SPDX-License-Identifier: MIT */
/*
 * virtio_pci_probe against structures that do not fit their BARs (virtio
 * 1.2 §4.1.4.1; shared/VIRTIO-CHECKLIST.md §7, PCI-12, 13 and 15): too
 * short, too long, wrapping, misaligned, in an I/O, absent, unassigned or
 * absurdly sized BAR. Each case asserts the probe's exact return code,
 * and that a refusal touched no BAR; the fixture (vpci_fixture.h) fails
 * the test on any access outside config space's capabilities or the
 * structures.
 *
 * The capability walk and the IDs: test_virtio_pci.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "host_platform.h"
#include "vblk/error.h"
#include "vpci_fixture.h"

#define BAR4_BYTES (16u * 1024u)
#define MIB        (1024u * 1024u)

/* PCI-12: a COMMON of 0x10 bytes lacks the queue fields. */
static void test_common_too_short_broken(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_cap_list(&fx, 1, 0x40);
	vpci_four_caps(&fx, 0x40, 0);
	vpci_cap(&fx, 0x40, 0x54, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0, 0x10);
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EBROKEN);
	vpci_cap(&fx, 0x40, 0x54, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0, VIRTIO_PCI_COMMON_MIN_BYTES);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
}

/* PCI-12: DEVICE 256 MiB long in a 512 MiB BAR4: used as it is. */
static void test_huge_device_inside_bar_fine(void **state)
{
	(void)state;
	fx.spec.bar[4].size_bytes = 512u * MIB;
	vpci_add_function(&fx);
	vpci_cap_list(&fx, 1, 0x40);
	vpci_four_caps(&fx, 0x40, 0);
	vpci_cap(&fx, 0x68, 0x7c, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x10000000);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
	assert_int_equal(dev.regs.pci.device_bytes, 0x10000000);
	assert_int_equal(dev.ops->config_read(&dev, 0, 4), 32768);
}

/* PCI-13: a DEVICE past its BAR's end is skipped for a later good one;
 * alone, it is -VBLK_EBROKEN. So is one that ends one byte past. */
static void test_device_past_bar_refused(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_cap_list(&fx, 1, 0xc0);
	vpci_cap(&fx, 0xc0, 0x40, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x10000000);
	vpci_four_caps(&fx, 0x40, 0);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
	assert_int_equal(dev.regs.pci.device, vpci_bar_addr(&fx, 4) + 0x2000);
	assert_int_equal(dev.regs.pci.device_bytes, 0x1000);

	vpci_cap(&fx, 0x68, 0x7c, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, BAR4_BYTES - 0x2000 + 1);
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EBROKEN);
}

/* PCI-13: offset + length wrapping 32 bits lands inside the BAR in
 * 32-bit arithmetic; both orders refused. */
static void test_offset_plus_length_wrapping_refused(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_cap_list(&fx, 1, 0x40);
	vpci_four_caps(&fx, 0x40, 0);
	vpci_cap(&fx, 0x68, 0x7c, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0xffffe001u);
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EBROKEN);
	vpci_cap(&fx, 0x68, 0x7c, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0xfffff000u, 0x2000);
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EBROKEN);
	vpci_cap(&fx, 0x68, 0x7c, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x1000);
	vpci_notify_cap(&fx, 0x7c, 0, 4, 0x3000, 0xfffff000u, 4);
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EBROKEN);
}

/* PCI-13: COMMON and DEVICE 4-aligned, NOTIFY 2-aligned; ISR any. */
static void test_misaligned_structures_refused(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_cap_list(&fx, 1, 0x40);
	vpci_four_caps(&fx, 0x40, 0);
	vpci_cap(&fx, 0x40, 0x54, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x0002, 0x1000);
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EBROKEN);
	vpci_four_caps(&fx, 0x40, 0);
	vpci_notify_cap(&fx, 0x7c, 0, 4, 0x3001, 0x800, 4);
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EBROKEN);
	vpci_four_caps(&fx, 0x40, 0);
	vpci_cap(&fx, 0x54, 0x68, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1003, 1);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
	assert_int_equal(dev.regs.pci.isr, vpci_bar_addr(&fx, 4) + 0x1003);
}

/* PCI-15: read but not assigned (pci_read_function alone): -VBLK_ESTATE,
 * not a BAR touched (none decodes). */
static void test_unassigned_bar_estate(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_qemu_caps(&fx);
	vpci_assert_untouched(vpci_probe_unassigned(&fx, &dev), -VBLK_ESTATE);
}

/* PCI-13: the I/O BAR0, the absent BAR2, BAR5 (BAR4's upper half). */
static void test_structure_in_io_or_absent_bar_refused(void **state)
{
	static const uint8_t bars[] = { 0, 2, 5 };

	(void)state;
	vpci_add_function(&fx);
	vpci_cap_list(&fx, 1, 0x40);
	for (size_t i = 0; i < sizeof(bars); i++) {
		vpci_four_caps(&fx, 0x40, 0);
		vpci_cap(&fx, 0x40, 0x54, VIRTIO_PCI_CAP_COMMON_CFG, bars[i], 0, 0x40);
		vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EBROKEN);
	}
}

/* A BAR4 claiming 2^63 bytes, or a mask with a hole, is never placed
 * (pci_enable: -VBLK_ESTATE) and the probe refuses it untouched. */
static void test_absurd_bar_size_refused(void **state)
{
	static const uint64_t masks[] = { 0x8000000000000000ull, 0xffffffff00ff0000ull };

	(void)state;
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		host_platform_reset();
		vpci_init(&fx);
		fx.spec.bar[4].mask_override = masks[i];
		assert_int_equal(vpci_probe_qemu(), -VBLK_EBROKEN);
		assert_int_equal(fx.enable_err, -VBLK_ESTATE);
		assert_int_equal(fx.model.bar_accesses, 0);
	}
}

#define T(name) cmocka_unit_test_setup_teardown(name, vpci_setup, vpci_teardown)

#define T(name) cmocka_unit_test_setup_teardown(name, vpci_setup, vpci_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_common_too_short_broken),
		T(test_huge_device_inside_bar_fine),
		T(test_device_past_bar_refused),
		T(test_offset_plus_length_wrapping_refused),
		T(test_misaligned_structures_refused),
		T(test_unassigned_bar_estate),
		T(test_structure_in_io_or_absent_bar_refused),
		T(test_absurd_bar_size_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
