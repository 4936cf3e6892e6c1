/* SPDX-License-Identifier: MIT */
/*
 * virtio_pci_probe against hostile config spaces (virtio 1.2 §4.1.2,
 * §4.1.4; shared/VIRTIO-CHECKLIST.md §7, the IDs in the test names'
 * comments): the capability walk, the checks of each structure against
 * its BAR, and the PCI IDs. Each case asserts the probe's exact return
 * code, and that a refusal touched no BAR. The fixture (vpci_fixture.h)
 * fails the test on any config read of the probe outside the function's
 * first 256 bytes, any config write, and any BAR access outside the
 * structures, misaligned or where nothing decodes.
 *
 * Each structure against its BAR: test_virtio_pci_bars.c; the queue,
 * notify, ISR and device-config ops: test_virtio_pci_ops.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "host_platform.h"
#include "vblk/error.h"
#include "vpci_fixture.h"

/* ---- IDs (PCI-1..4) ---------------------------------------------------- */

/* PCI-9: QEMU's order (MSI-X, PCI_CFG, NOTIFY, DEVICE, ISR, COMMON). */
static void test_qemu_layout_probes_at_bar4(void **state)
{
	(void)state;
	assert_int_equal(vpci_probe_qemu(), 0);
	assert_int_equal(fx.enable_err, 0);
	uint64_t bar4 = vpci_bar_addr(&fx, 4);
	assert_true(bar4 >= VPCI_MEM64_BASE);
	assert_int_equal(dev.regs.pci.common, bar4);
	assert_int_equal(dev.regs.pci.isr, bar4 + 0x1000);
	assert_int_equal(dev.regs.pci.device, bar4 + 0x2000);
	assert_int_equal(dev.regs.pci.device_bytes, 0x1000);
	assert_int_equal(dev.regs.pci.notify, bar4 + 0x3000);
	assert_int_equal(dev.regs.pci.notify_bytes, 0x1000);
	assert_int_equal(dev.regs.pci.notify_multiplier, 4);
	assert_int_equal(dev.regs.pci.num_queues, 1);
	assert_int_equal(dev.device_id, VIRTIO_ID_BLOCK);
	assert_int_equal(dev.vendor_id, 0x1af4);
	assert_int_equal(dev.transport, VIRTIO_TRANSPORT_PCI);
}

/* PCI-1..4: (device ID, subsystem ID, header type) -> virtio type and
 * the probe's verdict. */
static void test_device_type_from_ids(void **state)
{
	static const struct {
		uint16_t vendor_id, device_id, subsystem_id;
		bool bridge;
		uint32_t type;
		int probe;
	} rows[] = {
		{ 0x1af4, 0x1042, 0x1100, false, 2, 0 },            /* modern blk */
		{ 0x1af4, 0x1001, 0x0002, false, 2, 0 },            /* transitional */
		{ 0x1af4, 0x1000, 0x0001, false, 1, 0 },            /* net */
		{ 0x1af4, 0x1041, 0x1100, false, 1, 0 },            /* modern net */
		{ 0x1af4, 0x107f, 0x1100, false, 0x3f, 0 },
		{ 0x1af4, 0x1001, 0x0000, false, 0, -VBLK_ENODEV }, /* no type */
		{ 0x1af4, 0x1040, 0x1100, false, 0, -VBLK_ENODEV }, /* type 0 */
		{ 0x1af4, 0x1080, 0x0002, false, 0, -VBLK_ENODEV },
		{ 0x1af4, 0x0fff, 0x0002, false, 0, -VBLK_ENODEV },
		{ 0x1af4, 0x1042, 0x1100, true, 0, -VBLK_ENODEV },  /* a bridge */
		{ 0x8086, 0x1042, 0x0002, false, 0, -VBLK_ENODEV },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		host_platform_reset();
		vpci_init(&fx);
		fx.spec.vendor_id = rows[i].vendor_id;
		fx.spec.device_id = rows[i].device_id;
		fx.spec.subsystem_id = rows[i].subsystem_id;
		fx.spec.bridge = rows[i].bridge;
		if (rows[i].bridge)
			fx.spec.bar[4] = (struct fake_pci_bar_spec){ 0 };
		int err = vpci_probe_qemu();
		assert_int_equal(err, rows[i].probe);
		assert_int_equal(dev.device_id, rows[i].type);
		if (err)
			assert_int_equal(fx.model.bar_accesses, 0);
	}
}

/* ---- the capability walk (PCI-7, 8, 9, 10, 11, 42) ------------------- */

/* PCI-7, PCI-42: capabilities in config space, Status bit 4 clear. */
static void test_status_without_cap_list_is_legacy_only(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_qemu_caps(&fx);
	vpci_cap_list(&fx, 0, 0x98);
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EUNSUPP);
}

/* PCI-42: QEMU's disable-modern=on: an MSI-X capability only. */
static void test_only_msix_is_legacy_only(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_qemu_caps(&fx);
	vpci_cfg_byte(&fx, 0x99, 0x00);    /* MSI-X's next: the end */
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EUNSUPP);
}

/* PCI-7: COMMON's next points back at the first capability: the walk
 * ends after its hop bound, with every structure found. */
static void test_cap_loop_ends(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_qemu_caps(&fx);
	vpci_cfg_byte(&fx, 0x41, 0x98);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
	/* 48 hops of at most 9 reads each, and the header's few. */
	assert_in_range(fx.probe_cfg_reads, 48, 48 * 9 + 8);
}

/* PCI-7: a capability pointing at itself, before DEVICE and NOTIFY. */
static void test_self_loop_ends_broken(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_cap_list(&fx, 1, 0x40);
	vpci_four_caps(&fx, 0x40, 0);
	vpci_cfg_byte(&fx, 0x55, 0x54);    /* ISR -> ISR */
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EBROKEN);
}

/* PCI-7: a pointer into the header (below 0x40) ends the walk. */
static void test_pointer_below_0x40_ends_walk(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_cap_list(&fx, 1, 0x40);
	vpci_four_caps(&fx, 0x40, 0);
	vpci_cfg_byte(&fx, 0x55, 0x10);    /* ISR -> the BARs */
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EBROKEN);

	vpci_cap_list(&fx, 1, 0x3c);       /* the first pointer already */
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EUNSUPP);
}

/* PCI-7 (PCI 3.0 §6.7): the pointers' two low bits are reserved and
 * masked, so 0x9b and 0x87 lead to 0x98 and 0x84. */
static void test_pointer_low_bits_masked(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_qemu_caps(&fx);
	vpci_cap_list(&fx, 1, 0x9b);
	vpci_cfg_byte(&fx, 0x99, 0x87);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
	assert_int_equal(dev.regs.pci.notify_multiplier, 4);
}

/* PCI-7, PCI-13: a capability whose bytes would run past 0xff (a COMMON
 * at 0xf4; a NOTIFY at 0xf0, its multiplier at 0x100) is passed over
 * without reading there, and the later good one used. */
static void test_cap_running_past_0xff_ignored(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_four_caps(&fx, 0x40, 0);
	vpci_cap_list(&fx, 1, 0xf4);
	vpci_cap(&fx, 0xf4, 0x40, VIRTIO_PCI_CAP_COMMON_CFG, 1, 0, 0x1000);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
	assert_int_equal(dev.regs.pci.common, vpci_bar_addr(&fx, 4));

	vpci_cap_list(&fx, 1, 0xf0);
	vpci_notify_cap(&fx, 0xf0, 0x40, 1, 0, 0x1000, 4);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
	assert_int_equal(dev.regs.pci.notify, vpci_bar_addr(&fx, 4) + 0x3000);

	vpci_cap_list(&fx, 1, 0xec);       /* ends at 0x100 exactly: used */
	vpci_notify_cap(&fx, 0xec, 0x40, 4, 0x3000, 0x1000, 8);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
	assert_int_equal(dev.regs.pci.notify_multiplier, 8);
}

/* PCI-11: bar 6 (and 0xff) is reserved: ignored, a later COMMON used. */
static void test_reserved_bar_ignored_later_used(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_cap_list(&fx, 1, 0xc0);
	vpci_cap(&fx, 0xc0, 0xd0, VIRTIO_PCI_CAP_COMMON_CFG, 6, 0, 0x1000);
	vpci_cap(&fx, 0xd0, 0x40, VIRTIO_PCI_CAP_COMMON_CFG, 0xff, 0, 0x1000);
	vpci_four_caps(&fx, 0x40, 0);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
	assert_int_equal(dev.regs.pci.common, vpci_bar_addr(&fx, 4));
}

/* PCI-8: cfg_types 7, 0x42 and 0 ahead of the real ones, pointing at
 * BAR1 where nothing is served: skipped. PCI_CFG (5) too. */
static void test_reserved_cfg_types_skipped(void **state)
{
	static const uint8_t reserved[] = { 7, 0x42, 0, VIRTIO_PCI_CAP_PCI_CFG };

	(void)state;
	vpci_add_function(&fx);
	vpci_cap_list(&fx, 1, 0xa0);
	for (unsigned i = 0; i < sizeof(reserved); i++) {
		uint8_t pos = (uint8_t)(0xa0 + 0x10 * i);

		vpci_cap(&fx, pos, i + 1 < sizeof(reserved) ? pos + 0x10 : 0x40, reserved[i], 1, 0,
			 0x1000);
	}
	vpci_four_caps(&fx, 0x40, 0);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
}

/* PCI-9: two usable COMMON capabilities: the first is the device's
 * preference and wins. */
static void test_first_common_wins(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_cap_list(&fx, 1, 0x40);
	vpci_four_caps(&fx, 0x40, 0xc0);
	vpci_cap(&fx, 0xc0, 0, VIRTIO_PCI_CAP_COMMON_CFG, 1, 0, 0x1000);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
	assert_int_equal(dev.regs.pci.common, vpci_bar_addr(&fx, 4));
}

/* PCI-10: cap_len 0x20 on every capability; a cap_len too short for the
 * structure's fields (12, or 16 on NOTIFY) is not used. */
static void test_cap_len_longer_accepted_shorter_not(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_cap_list(&fx, 1, 0x40);
	vpci_cap(&fx, 0x40, 0x60, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x0000, 0x1000);
	vpci_cap(&fx, 0x60, 0x80, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 0x1000);
	vpci_cap(&fx, 0x80, 0xa0, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x1000);
	vpci_notify_cap(&fx, 0xa0, 0, 4, 0x3000, 0x1000, 4);
	for (uint8_t pos = 0x40; pos <= 0xa0; pos += 0x20)
		vpci_cfg_byte(&fx, pos + VIRTIO_PCI_CAP_LEN, 0x20);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);

	vpci_cfg_byte(&fx, 0xa0 + VIRTIO_PCI_CAP_LEN, VIRTIO_PCI_CAP_BYTES);
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EBROKEN);
	vpci_cfg_byte(&fx, 0xa0 + VIRTIO_PCI_CAP_LEN, 0x20);
	vpci_cfg_byte(&fx, 0x40 + VIRTIO_PCI_CAP_LEN, 12);
	vpci_assert_untouched(vpci_probe_scanned(&fx, &dev), -VBLK_EBROKEN);
}

#define T(name) cmocka_unit_test_setup_teardown(name, vpci_setup, vpci_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_qemu_layout_probes_at_bar4),
		T(test_device_type_from_ids),
		T(test_status_without_cap_list_is_legacy_only),
		T(test_only_msix_is_legacy_only),
		T(test_cap_loop_ends),
		T(test_self_loop_ends_broken),
		T(test_pointer_below_0x40_ends_walk),
		T(test_pointer_low_bits_masked),
		T(test_cap_running_past_0xff_ignored),
		T(test_reserved_bar_ignored_later_used),
		T(test_reserved_cfg_types_skipped),
		T(test_first_common_wins),
		T(test_cap_len_longer_accepted_shorter_not),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
