/* SPDX-License-Identifier: MIT */
/*
 * The virtio-pci transport's ops on structures a hostile device described
 * (virtio 1.2 §4.1.4.3-6, §4.1.5; shared/VIRTIO-CHECKLIST.md §7): where
 * a notification goes (PCI-29, 30, 31), the queue fields (PCI-18, 21,
 * 22), the ISR latch (PCI-33) and device config past its length
 * (PCI-37). The fixture (vpci_fixture.h) fails the test on any BAR access
 * outside the structures or misaligned for its width.
 *
 * The probe itself: test_virtio_pci.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "host_platform.h"
#include "vblk/error.h"
#include "vpci_fixture.h"

static const struct virtio_queue_addrs ring = {
	.desc = 0x40001000, .driver = 0x40002000, .device = 0x123456789000ull,
};

/* QEMU's capabilities but the NOTIFY one's multiplier and length. */
static void probe_with_notify(uint32_t multiplier, uint32_t length)
{
	vpci_add_function(&fx);
	vpci_qemu_caps(&fx);
	vpci_notify_cap(&fx, 0x70, 0x60, 4, 0x3000, length, multiplier);
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
}

static uint32_t common_field(uint32_t offset, unsigned width_bytes)
{
	uint32_t val = 0;

	for (unsigned i = 0; i < width_bytes; i++)
		val |= (uint32_t)fx.model.common[offset + i] << (8 * i);
	return val;
}

/* ---- notify (PCI-29, 30, 31) ------------------------------------------ */

/* PCI-29, PCI-31: cap.offset + queue_notify_off x multiplier, a 16-bit
 * write of the queue index. */
static void test_notify_at_queue_notify_off_times_multiplier(void **state)
{
	(void)state;
	fx.model.queue_notify_off = 3;
	probe_with_notify(4, 0x1000);
	assert_int_equal(dev.ops->queue_enable(&dev, 0, 256, &ring), 0);
	dev.ops->notify(&dev, 0);
	assert_int_equal(fx.model.notify_writes, 1);
	assert_int_equal(fx.model.notify_offset, 12);
	assert_int_equal(fx.model.notify_width, 2);
	assert_int_equal(fx.model.notify_value, 0);
}

/* PCI-29: multiplier 0: every queue notifies at cap.offset. */
static void test_multiplier_zero_shares_one_address(void **state)
{
	(void)state;
	fx.model.queue_notify_off = 0x7777;
	probe_with_notify(0, 2);
	assert_int_equal(dev.ops->queue_enable(&dev, 0, 256, &ring), 0);
	dev.ops->notify(&dev, 0);
	assert_int_equal(fx.model.notify_writes, 1);
	assert_int_equal(fx.model.notify_offset, 0);
}

/* PCI-30: queue_notify_off x multiplier + 2 past the cap's length: the
 * queue is refused before a queue field is written, so queue_enable never
 * is. The last offset that fits still works. */
static void test_notify_outside_cap_refused(void **state)
{
	(void)state;
	fx.model.queue_notify_off = 0x400;         /* 0x1000: one past */
	probe_with_notify(4, 0x1000);
	assert_int_equal(dev.ops->queue_enable(&dev, 0, 256, &ring), -VBLK_EBROKEN);
	assert_int_equal(fx.model.queue_enable_writes, 0);
	assert_int_equal(common_field(VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0);

	fx.model.queue_notify_off = 0x3ff;         /* 0xffc + 2 fits */
	assert_int_equal(dev.ops->queue_enable(&dev, 0, 256, &ring), 0);
	dev.ops->notify(&dev, 0);
	assert_int_equal(fx.model.notify_offset, 0xffc);
}

/* PCI-30: queue_notify_off 0xffff x a multiplier of 0xffffffff does not
 * wrap into the structure. */
static void test_notify_offset_product_does_not_wrap(void **state)
{
	(void)state;
	fx.model.queue_notify_off = 0xffff;
	probe_with_notify(0xffffffffu, 0x1000);
	assert_int_equal(dev.ops->queue_enable(&dev, 0, 256, &ring), -VBLK_EBROKEN);
	assert_int_equal(fx.model.queue_enable_writes, 0);
}

/* PCI-30, PCI-5 (§4.1.4.4: the multiplier is 0 or an even power of 2):
 * an odd multiplier with an odd queue_notify_off names an odd address,
 * where a 16-bit write is misaligned (an alignment fault on Device
 * memory): refused like an address outside the structure. */
static void test_odd_notify_address_refused(void **state)
{
	(void)state;
	fx.model.queue_notify_off = 1;
	probe_with_notify(1, 0x1000);
	assert_int_equal(dev.ops->queue_enable(&dev, 0, 256, &ring), -VBLK_EBROKEN);
	assert_int_equal(fx.model.queue_enable_writes, 0);
	assert_int_equal(fx.model.notify_writes, 0);
}

/* ---- queues (PCI-21, 22) --------------------------------------------- */

/* PCI-22: size and the three addresses (low dword first), then
 * queue_enable = 1, once; queue 1 is not driven. */
static void test_queue_enable_writes_fields_then_enable(void **state)
{
	(void)state;
	probe_with_notify(4, 0x1000);
	assert_int_equal(dev.ops->queue_enable(&dev, 1, 256, &ring), -VBLK_EUNSUPP);
	assert_int_equal(fx.model.queue_enable_writes, 0);
	assert_int_equal(dev.ops->queue_enable(&dev, 0, 128, &ring), 0);
	assert_int_equal(fx.model.queue_enable_writes, 1);
	assert_int_equal(common_field(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	assert_int_equal(common_field(VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
	assert_int_equal(common_field(VIRTIO_PCI_COMMON_Q_SIZE, 2), 128);
	assert_int_equal(common_field(VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0x40001000);
	assert_int_equal(common_field(VIRTIO_PCI_COMMON_Q_DESCLO + 4, 4), 0);
	assert_int_equal(common_field(VIRTIO_PCI_COMMON_Q_AVAILLO, 4), 0x40002000);
	assert_int_equal(common_field(VIRTIO_PCI_COMMON_Q_USEDLO, 4), 0x56789000);
	assert_int_equal(common_field(VIRTIO_PCI_COMMON_Q_USEDLO + 4, 4), 0x1234);
}

/* PCI-20, PCI-21: a queue at or past num_queues is never selected; one
 * enabled already reads as unavailable. */
static void test_queue_max_past_num_queues_selects_nothing(void **state)
{
	(void)state;
	probe_with_notify(4, 0x1000);
	fx.model.common[VIRTIO_PCI_COMMON_Q_SELECT] = 0x55;
	assert_int_equal(dev.ops->queue_max(&dev, 1), 0);
	assert_int_equal(dev.ops->queue_max(&dev, 0xffff), 0);
	assert_int_equal(common_field(VIRTIO_PCI_COMMON_Q_SELECT, 2), 0x55);
	assert_int_equal(dev.ops->queue_max(&dev, 0), 256);
	assert_int_equal(common_field(VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
	fx.model.common[VIRTIO_PCI_COMMON_Q_ENABLE] = 1;
	assert_int_equal(dev.ops->queue_max(&dev, 0), 0);
}

/* PCI-18: each feature word read and written after its select. */
static void test_features_through_their_selects(void **state)
{
	(void)state;
	fx.model.device_features[0] = 0x12345678;
	fx.model.device_features[1] = 0x9;
	probe_with_notify(4, 0x1000);
	assert_int_equal(dev.ops->device_features(&dev), 0x912345678ull);
	dev.ops->set_driver_features(&dev, 0x100000044ull);
	assert_int_equal(common_field(VIRTIO_PCI_COMMON_GFSELECT, 4), 1);
	assert_int_equal(common_field(VIRTIO_PCI_COMMON_GF, 4), 1);
}

/* ---- ISR (PCI-33) ------------------------------------------------------ */

/* The read clears the ISR; the transport keeps bits 0-1 until the driver
 * acknowledges them, and passes the reserved bits 2-7 up as read, once,
 * not kept (so the driver can count them, and stop a device whose ISR
 * holds them: blk_dev_take_interrupt). */
static void test_isr_latched_until_ack_reserved_bits_passed_once(void **state)
{
	(void)state;
	probe_with_notify(4, 0x1000);
	fx.model.isr = 0xfd;
	assert_int_equal(dev.ops->interrupt_status(&dev), 0xfd);
	assert_int_equal(fx.model.isr, 0);
	assert_int_equal(dev.ops->interrupt_status(&dev), VIRTIO_INT_USED_BUFFER);
	assert_int_equal(fx.model.isr_reads, 2);
	fx.model.isr = VIRTIO_INT_CONFIG_CHANGE;
	assert_int_equal(dev.ops->interrupt_status(&dev), VIRTIO_INT_DEFINED);
	dev.ops->interrupt_ack(&dev, VIRTIO_INT_USED_BUFFER);
	assert_int_equal(dev.ops->interrupt_status(&dev), VIRTIO_INT_CONFIG_CHANGE);
	dev.ops->interrupt_ack(&dev, VIRTIO_INT_CONFIG_CHANGE);
	assert_int_equal(dev.ops->interrupt_status(&dev), 0);
}

/* A reset forgets what was latched (the device's ISR is 0 after it). */
static void test_reset_clears_isr_latch(void **state)
{
	(void)state;
	probe_with_notify(4, 0x1000);
	fx.model.isr = VIRTIO_INT_USED_BUFFER;
	assert_int_equal(dev.ops->interrupt_status(&dev), VIRTIO_INT_USED_BUFFER);
	assert_int_equal(dev.ops->reset(&dev), 0);
	assert_int_equal(dev.ops->get_status(&dev), 0);
	assert_int_equal(dev.ops->interrupt_status(&dev), 0);
}

/* ---- device config (PCI-37) ------------------------------------------- */

/* A DEVICE of 8 bytes: fields inside read, one past (or straddling the
 * end) reads 0 without an access. */
static void test_config_read_past_device_bytes_is_zero(void **state)
{
	(void)state;
	vpci_add_function(&fx);
	vpci_qemu_caps(&fx);
	vpci_cap(&fx, 0x60, 0x50, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 8);
	fx.model.region[VIRTIO_PCI_CAP_DEVICE_CFG].length = 8;
	fx.model.device_cfg[7] = 0xab;
	fx.model.device_cfg[8] = 0xcd;
	assert_int_equal(vpci_probe_scanned(&fx, &dev), 0);
	assert_int_equal(dev.ops->config_read(&dev, 0, 4), 32768);
	assert_int_equal(dev.ops->config_read(&dev, 4, 4), 0xab000000u);
	assert_int_equal(dev.ops->config_read(&dev, 7, 1), 0xab);
	unsigned reads = fx.model.device_cfg_reads;
	assert_int_equal(dev.ops->config_read(&dev, 8, 1), 0);
	assert_int_equal(dev.ops->config_read(&dev, 8, 4), 0);
	assert_int_equal(dev.ops->config_read(&dev, 6, 4), 0);
	assert_int_equal(dev.ops->config_read(&dev, 0x14, 2), 0);
	assert_int_equal(fx.model.device_cfg_reads, reads);
}

#define T(name) cmocka_unit_test_setup_teardown(name, vpci_setup, vpci_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_notify_at_queue_notify_off_times_multiplier),
		T(test_multiplier_zero_shares_one_address),
		T(test_notify_outside_cap_refused),
		T(test_notify_offset_product_does_not_wrap),
		T(test_odd_notify_address_refused),
		T(test_queue_enable_writes_fields_then_enable),
		T(test_queue_max_past_num_queues_selects_nothing),
		T(test_features_through_their_selects),
		T(test_isr_latched_until_ack_reserved_bits_passed_once),
		T(test_reset_clears_isr_latch),
		T(test_config_read_past_device_bytes_is_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
