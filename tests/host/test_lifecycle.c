/* SPDX-License-Identifier: MIT */
/*
 * What the API reports across a disk's life, beside other disks: the
 * interrupts counted on the disk whose device raised them, what
 * vblk_shutdown says of a disk the interrupt handler stopped before it,
 * the probe report after a place was probed more than once, two PCI
 * hosts' functions at one bus:dev.fn, and what a shutdown says of a
 * device that did not reset, now or at an earlier vblk_reset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bio_log.h"
#include "disk_fixture.h"
#include "fake_pci.h"
#include "fake_virtio.h"
#include "fake_virtio_pci.h"
#include "host_platform.h"
#include "vblk/vblk.h"

#define BIO_BYTES    4096u
#define HANG_RELAXES (20u * VBLK_RESET_TIMEOUT_US)

static uint8_t pool[8 * BIO_BYTES] VBLK_ALIGNED;

static int setup(void **state)
{
	disk_setup(state);
	bio_log_reset();
	host_set_relax_limit(HANG_RELAXES);
	return 0;
}

static void done(struct vblk_bio *bio, int status)
{
	log_done(bio, status);
}

static void take_interrupt(struct fake_virtio *device, void *ctx)
{
	(void)device;
	vblk_irq_handler(ctx);
}

static struct vblk_stats stats_of(struct vblk_disk *of)
{
	struct vblk_stats stats;
	vblk_stats(of, &stats);
	return stats;
}

/* Disks A (`disk`, `fv`) and B on one line, both interrupt-driven, the
 * line's handler A's: returns B, and its device in *fv_b. */
static struct vblk_disk *attach_two_on_one_line(void **state, struct fake_virtio **fv_b)
{
	attach_ok(state, NULL);
	*fv_b = make_device(test_version(state), NULL);
	int index = attach_device(*fv_b);
	assert_true(index >= 0);
	struct vblk_disk *disk_b = vblk_disk((unsigned)index);
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	fake_virtio_set_irq_hook(*fv_b, take_interrupt, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	assert_int_equal(vblk_use_interrupts(disk_b, true), 0);
	return disk_b;
}

/* A and B on one line; only A does I/O. B's "interrupts handled" stays 0: the handler
 * looked at B's device for each of A's interrupts, and found nothing. */
static void test_a_line_mates_interrupts_are_not_counted_on_a_quiet_disk(void **state)
{
	struct fake_virtio *fv_b;
	struct vblk_disk *disk_b = attach_two_on_one_line(state, &fv_b);
	vblk_reset_stats(disk);
	vblk_reset_stats(disk_b);

	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 20);
	for (unsigned i = 0; i < 4; i++) {
		memset(pool, (int)i, BIO_BYTES);
		struct vblk_bio *bio = make_bio(i, VBLK_OP_WRITE, 8u * i, pool, BIO_BYTES, done);
		assert_int_equal(vblk_submit(disk, bio), 0);
		assert_int_equal(vblk_wait_bios(disk, &bio, 1), 0);
	}
	assert_int_equal(fake_virtio_stats(fv_b)->used_irqs, 0);
	if (fake_virtio_stats(fv)->used_irqs > 0)
		assert_true(stats_of(disk).interrupts > 0);
	assert_int_equal(stats_of(disk_b).interrupts, 0);
	fake_virtio_assert_clean(fv_b);
}

/* A write completes into the device's volatile cache (FLUSH offered), then
 * the device needs a reset. vblk.h: vblk_shutdown returns "the first
 * error: a wait or flush that failed (the data may not be durable)". It
 * did when a wait found the break (polled), and said 0 when the interrupt
 * handler had stopped the disk first. */
static void shutdown_after_a_break(void **state, bool interrupts)
{
	attach_ok(state, NULL);
	if (!test_is_modern(state))
		skip();   /* DEVICE_NEEDS_RESET is a modern device's */
	assert_true(vblk_disk_info(disk)->has_flush);
	if (interrupts) {
		fake_virtio_set_irq_hook(fv, take_interrupt, disk);
		assert_int_equal(vblk_use_interrupts(disk, true), 0);
	}
	memset(pool, 0x5a, BIO_BYTES);
	assert_int_equal(vblk_write(disk, 0, pool, 8), 0);
	fake_virtio_needs_reset(fv);
	host_cpu_relax();   /* the interrupt, if any, is taken here */
	assert_int_equal(vblk_shutdown(), -VBLK_EBROKEN);
	fake_virtio_clear_violations(fv);
}

static void test_shutdown_after_a_break_found_by_a_wait_reports_it(void **state)
{
	shutdown_after_a_break(state, false);
}

static void test_shutdown_after_a_break_found_by_the_handler_reports_it(void **state)
{
	shutdown_after_a_break(state, true);
}

/* A disk with a write cache times out and its reset never completes: the
 * write's bio says -VBLK_EHELD, and so must vblk_shutdown, whatever else
 * went wrong first (the timeout): that device may still write into memory
 * the caller is about to hand on. */
static void test_shutdown_says_held_before_an_earlier_error(void **state)
{
	attach_ok(state, NULL);
	assert_true(vblk_disk_info(disk)->has_flush);
	vblk_set_timeout_us(disk, 5000u);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	memset(pool, 0x5a, BIO_BYTES);
	struct vblk_bio *bio = make_bio(0, VBLK_OP_WRITE, 0, pool, BIO_BYTES, done);
	assert_int_equal(vblk_submit(disk, bio), 0);
	fake_virtio_set_reset_delay(fv, 0xffffffffu);
	assert_int_equal(vblk_wait_bios(disk, &bio, 1), -VBLK_EHELD);
	assert_int_equal(vblk_shutdown(), -VBLK_EHELD);
	fake_virtio_set_reset_delay(fv, 0);
	fake_virtio_clear_violations(fv);
}

/* Two disks with write caches; disk 0's device needs a reset after a
 * write (so vblk_shutdown reports -VBLK_EBROKEN for it), and disk 1 is
 * finished after it. A healthy disk 1 must not hide disk 0's error; a
 * disk 1 whose reset never completes outranks it with -VBLK_EHELD. */
/* Disks 0 and 1, each written once into its write cache; then disk 0's
 * device needs a reset. Returns disk 1's device. */
static struct fake_virtio *two_written_disks_the_first_broken(void **state)
{
	attach_ok(state, NULL);
	if (!test_is_modern(state))
		skip();   /* DEVICE_NEEDS_RESET is a modern device's */
	struct fake_virtio *fv_b = make_device(test_version(state), NULL);
	assert_int_equal(attach_device(fv_b), 1);
	memset(pool, 0x5a, BIO_BYTES);
	assert_int_equal(vblk_write(disk, 0, pool, 8), 0);
	assert_int_equal(vblk_write(vblk_disk(1), 0, pool, 8), 0);
	fake_virtio_needs_reset(fv);
	return fv_b;
}

static void shutdown_after_a_break_then_a_second_disk(void **state, bool second_held)
{
	struct fake_virtio *fv_b = two_written_disks_the_first_broken(state);
	if (second_held)
		fake_virtio_set_reset_delay(fv_b, 0xffffffffu);
	assert_int_equal(vblk_shutdown(), second_held ? -VBLK_EHELD : -VBLK_EBROKEN);
	assert_memory_equal(fake_virtio_disk(fv_b), pool, BIO_BYTES);
	fake_virtio_set_reset_delay(fv_b, 0);
	fake_virtio_clear_violations(fv);
}

static void test_shutdown_keeps_the_first_disks_error_past_a_healthy_one(void **state)
{
	shutdown_after_a_break_then_a_second_disk(state, false);
}

static void test_shutdown_says_held_for_a_later_disk_after_an_error(void **state)
{
	shutdown_after_a_break_then_a_second_disk(state, true);
}

/* Disk 1's device confirms its reset only when vblk_shutdown asks it
 * again, after the disks are forgotten (its second reset from now). */
static unsigned resets_before_shutdown;

static void finish_the_second_reset(struct fake_virtio *device, void *ctx)
{
	if (fake_virtio_stats(device)->resets < resets_before_shutdown + 2) {
		fake_virtio_at_access(device, &(struct fake_virtio_at){ .kind = FAKE_AT_STATUS_READ,
			.nth = 1, .event = FAKE_EVENT_CALL, .call = finish_the_second_reset, .ctx = ctx });
		return;
	}
	fake_virtio_set_reset_delay(device, 0);
	fake_virtio_finish_reset(device);
}

/* A device that did not confirm its first reset, but does when asked
 * again before vblk_shutdown returns, holds no memory of ours any more:
 * the result is disk 0's error, not -VBLK_EHELD, and its slot is free. */
static void test_shutdown_says_held_only_for_a_device_that_still_is(void **state)
{
	struct fake_virtio *fv_b = two_written_disks_the_first_broken(state);
	fake_virtio_set_reset_delay(fv_b, 0xffffffffu);
	resets_before_shutdown = fake_virtio_stats(fv_b)->resets;
	finish_the_second_reset(fv_b, NULL);
	assert_int_equal(vblk_shutdown(), -VBLK_EBROKEN);
	assert_int_equal(fake_virtio_stats(fv_b)->resets, resets_before_shutdown + 2);
	fake_virtio_clear_violations(fv);
	for (unsigned i = 0; i < vblk_max_disks(); i++)
		assert_int_equal(attach_device(make_device(test_version(state), NULL)), (int)i);
}

/* A stream: each bio's callback submits it again, as an application
 * keeping four reads in flight does. */
#define STREAM_BIOS 4u
static unsigned stream_tells[STREAM_BIOS];
static int stream_last_resubmit[STREAM_BIOS];

static void resubmit(struct vblk_bio *bio, int status)
{
	unsigned i = (unsigned)(bio - bios);

	assert_int_equal(status, 0);
	stream_tells[i]++;
	stream_last_resubmit[i] = vblk_submit(disk, bio);
}

/* vblk_shutdown drains each disk before its reset: had it taken the
 * stream's resubmissions, the disk would never have been empty. Every
 * disk refuses new bios from the moment it begins, so it ends, each bio
 * told once more, with its resubmission refused. */
static void test_shutdown_ends_under_a_stream_of_resubmitting_callbacks(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 3);
	memset(stream_tells, 0, sizeof(stream_tells));
	for (unsigned i = 0; i < STREAM_BIOS; i++) {
		make_bio(i, VBLK_OP_READ, 8u * i, pool + i * BIO_BYTES, BIO_BYTES, resubmit);
		assert_int_equal(vblk_submit(disk, &bios[i]), 0);
	}
	for (unsigned polls = 0; polls < 100; polls++) {
		host_cpu_relax();
		assert_true(vblk_poll(disk) >= 0);
	}
	unsigned told_before = 0;
	for (unsigned i = 0; i < STREAM_BIOS; i++)
		told_before += stream_tells[i];
	assert_true(told_before > STREAM_BIOS);   /* it streamed */

	assert_int_equal(vblk_shutdown(), 0);
	unsigned told = 0;
	for (unsigned i = 0; i < STREAM_BIOS; i++) {
		told += stream_tells[i];
		assert_int_equal(stream_last_resubmit[i], -VBLK_ESTATE);
	}
	assert_int_equal(told, told_before + STREAM_BIOS);
}

/* A place probed three times has one entry, the last probe's. */
static void test_probe_report_has_one_entry_a_place(void **state)
{
	(void)state;
	struct fake_virtio_opts opts;
	fake_virtio_default_opts(&opts, 2);
	opts.device_id = 0;   /* an empty slot */
	struct fake_virtio *empty = fake_virtio_create(&opts);
	for (int i = 0; i < 3; i++)
		assert_int_equal(vblk_attach(fake_virtio_base(empty), TEST_INTID), -VBLK_ENODEV);
	const struct vblk_probe_entry *entries;
	assert_int_equal(vblk_probe_report(&entries), 1);
	assert_int_equal(entries[0].mmio_base, fake_virtio_base(empty));
	assert_int_equal(entries[0].result, -VBLK_ENODEV);

	/* The slot gets a disk: its entry says so, still one. */
	struct fake_virtio *full = make_device(2, NULL);
	assert_true(vblk_attach(fake_virtio_base(full), TEST_INTID) >= 0);
	assert_true(vblk_attach(fake_virtio_base(empty), TEST_INTID) == -VBLK_ENODEV);
	assert_int_equal(vblk_probe_report(&entries), 2);
}

/* The same for a PCI function: an attach its device refused (FEATURES_OK
 * cleared once), then one that succeeds, leave one entry, the last. */
static void test_probe_report_has_one_entry_a_pci_function(void **state)
{
	(void)state;
	fv = make_device(TRANSPORT_PCI, NULL);
	fake_virtio_refuse_features_ok(fv, FAKE_ONCE);
	assert_int_equal(attach_device(fv), -VBLK_EFEATURES);
	assert_int_equal(attach_device(fv), 0);
	const struct vblk_probe_entry *entries;
	assert_int_equal(vblk_probe_report(&entries), 1);
	assert_int_equal(entries[0].transport, VBLK_TRANSPORT_PCI);
	assert_int_equal(entries[0].result, 0);
}

/* vblk.h: attaching a device that is a disk already is refused with
 * -VBLK_ESTATE, on either transport. Initialising it again would reset
 * it and pull its ring from under the disk: the device sees no register
 * access at all (nor, on PCI, its configuration space: sizing its BARs
 * would stop it decoding them), and the write it holds completes as
 * usual. */
static void test_attaching_a_disk_again_leaves_its_write_in_flight(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	memset(pool, 0x6b, BIO_BYTES);
	struct vblk_bio *bio = make_bio(0, VBLK_OP_WRITE, 8, pool, BIO_BYTES, done);
	assert_int_equal(vblk_submit(disk, bio), 0);
	assert_int_equal(fake_virtio_pending(fv), 1);
	fake_virtio_clear_reg_trace(fv);
	struct fake_pci *ecam = test_is_pci(state) ? fake_virtio_pci_host(fv) : NULL;
	uint64_t config_accesses = ecam ? fake_pci_access_count(ecam) : 0;

	assert_int_equal(attach_device(fv), -VBLK_ESTATE);
	const struct fake_virtio_access *trace;
	assert_int_equal(fake_virtio_reg_trace(fv, &trace), 0);
	if (ecam)
		assert_int_equal(fake_pci_access_count(ecam), config_accesses);
	assert_int_equal(vblk_disk_count(), 1);
	assert_int_equal(fake_virtio_pending(fv), 1);
	assert_int_equal(done_calls[0], 0);

	assert_int_equal(fake_virtio_complete_all(fv), 1);
	assert_int_equal(vblk_wait_bios(disk, &bio, 1), 0);
	assert_int_equal(done_calls[0], 1);
	assert_int_equal(done_status[0], 0);
	assert_memory_equal(fake_virtio_disk(fv) + 8 * VBLK_SECTOR_SIZE, pool, BIO_BYTES);
	const struct vblk_probe_entry *entries;
	assert_int_equal(vblk_probe_report(&entries), 1);
	assert_int_equal(entries[0].result, 0);
}

/* Firmware with two PCI hosts (two ECAM windows) attaches 00:01.0 of
 * each: two functions, two disks (vblk.h: -VBLK_ESTATE only for "the
 * function is a disk already"). */
static void test_same_bus_dev_fn_on_two_hosts_are_two_disks(void **state)
{
	(void)state;
	const uint64_t second_ecam = FAKE_ECAM_BASE + FAKE_ECAM_BYTES;
	struct fake_pci *first = fake_pci_create(FAKE_ECAM_BASE, FAKE_ECAM_BYTES, 0);
	struct fake_pci *second = fake_pci_create(second_ecam, FAKE_ECAM_BYTES, 0);
	struct fake_virtio *dev_first = fake_virtio_create_pci(first, -1, 1, 0, NULL, NULL);
	struct fake_virtio *dev_second = fake_virtio_create_pci(second, -1, 1, 0, NULL, NULL);
	fake_virtio_pci_assign_bars(dev_first, FAKE_PCI_MEM32_BASE, FAKE_PCI_MEM64_BASE, false);
	fake_virtio_pci_assign_bars(dev_second, FAKE_PCI_MEM32_BASE + 0x100000,
				    FAKE_PCI_MEM64_BASE + 0x100000, false);

	assert_int_equal(vblk_attach_pci(FAKE_ECAM_BASE, 0, 1, 0, TEST_INTID), 0);
	assert_int_equal(vblk_attach_pci(second_ecam, 0, 1, 0, TEST_INTID + 1), 1);
	assert_int_equal(vblk_attach_pci(second_ecam, 0, 1, 0, TEST_INTID + 1), -VBLK_ESTATE);
	memset(pool, 0x33, BIO_BYTES);
	assert_int_equal(vblk_write(vblk_disk(1), 0, pool, 8), 0);
	assert_memory_equal(fake_virtio_disk(dev_second), pool, BIO_BYTES);
	fake_virtio_assert_clean(dev_first);
	fake_virtio_assert_clean(dev_second);
}

/* A write completes into the device's cache, then vblk_reset: the device
 * does not confirm it, so the disk is dead, its writes never flushed. The
 * stall then ends, so the shutdown's own reset completes: its result can
 * only come from the disk's state. */
static int shutdown_after_written_then_reset_held(void)
{
	assert_true(vblk_disk_info(disk)->has_flush);
	memset(pool, 0x5a, BIO_BYTES);
	assert_int_equal(vblk_write(disk, 0, pool, 8), 0);
	fake_virtio_set_reset_delay(fv, 0xffffffffu);
	assert_int_equal(vblk_reset(disk), -VBLK_EHELD);
	assert_int_equal(vblk_write(disk, 0, pool, 8), -VBLK_EBROKEN);
	fake_virtio_set_reset_delay(fv, 0);
	fake_virtio_finish_reset(fv);
	int err = vblk_shutdown();
	fake_virtio_clear_violations(fv);
	return err;
}

/* vblk.h: the shutdown returns a flush that could not be made. */
static void test_shutdown_of_a_disk_a_reset_left_dead_reports_it(void **state)
{
	attach_ok(state, NULL);
	assert_int_equal(shutdown_after_written_then_reset_held(), -VBLK_EBROKEN);
}

/* The same after a timeout the disk recovered from by vblk_reset: the
 * shutdown reports the disk as it is, not that old timeout. */
static void test_shutdown_does_not_report_a_break_recovered_from(void **state)
{
	attach_ok(state, NULL);
	vblk_set_timeout_us(disk, 5000u);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	assert_int_equal(vblk_read(disk, 0, pool, 8), -VBLK_ETIMEDOUT);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(vblk_read(disk, 0, pool, 8), 0);
	assert_int_equal(shutdown_after_written_then_reset_held(), -VBLK_EBROKEN);
}

/* vblk_reset of a running disk whose device then refuses FEATURES_OK:
 * the bios held are canceled, the reset says why it failed, the disk is
 * stopped (-VBLK_EBROKEN: vblk_reset may be tried again, vblk.h), and it
 * works again once a reset succeeds. */
static void test_a_reset_whose_init_fails_leaves_the_disk_stopped(void **state)
{
	if (test_version(state) == 1)
		skip();   /* legacy has no FEATURES_OK */
	attach_ok(state, NULL);
	static struct vblk_bio bio;
	static struct vblk_seg seg;
	seg = (struct vblk_seg){ pool, BIO_BYTES };
	bio = (struct vblk_bio){ .op = VBLK_OP_READ, .sector = 8, .segs = &seg, .nsegs = 1,
				 .done = done };
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	assert_int_equal(vblk_submit(disk, &bio), 0);
	vblk_poll(disk);
	fake_virtio_refuse_features_ok(fv, FAKE_STICKY);
	assert_int_equal(vblk_reset(disk), -VBLK_EFEATURES);
	assert_true(bio.completed);
	assert_int_equal(bio.status, -VBLK_ECANCELED);
	assert_int_equal(vblk_read(disk, 0, pool, 8), -VBLK_EBROKEN);
	assert_int_equal(vblk_submit(disk, &bio), -VBLK_EBROKEN);
	assert_int_equal(vblk_reset(disk), -VBLK_EFEATURES);
	fake_virtio_refuse_features_ok(fv, FAKE_ONCE);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	/* FAKE_ONCE: the next FEATURES_OK is refused, the one after taken. */
	assert_int_equal(vblk_reset(disk), -VBLK_EFEATURES);
	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(vblk_read(disk, 0, pool, 8), 0);
	assert_int_equal(vblk_shutdown(), 0);
}

#define ALL(test) ALL_TRANSPORTS(test, setup, disk_teardown), \
		  PACKED_TRANSPORTS(test, setup, disk_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALL(test_a_line_mates_interrupts_are_not_counted_on_a_quiet_disk),
		ALL(test_shutdown_after_a_break_found_by_a_wait_reports_it),
		ALL(test_shutdown_after_a_break_found_by_the_handler_reports_it),
		ALL(test_shutdown_says_held_before_an_earlier_error),
		ALL(test_shutdown_keeps_the_first_disks_error_past_a_healthy_one),
		ALL(test_shutdown_says_held_for_a_later_disk_after_an_error),
		ALL(test_shutdown_says_held_only_for_a_device_that_still_is),
		ALL(test_shutdown_ends_under_a_stream_of_resubmitting_callbacks),
		ALL(test_shutdown_of_a_disk_a_reset_left_dead_reports_it),
		ALL(test_shutdown_does_not_report_a_break_recovered_from),
		ALL(test_a_reset_whose_init_fails_leaves_the_disk_stopped),
		ALL(test_attaching_a_disk_again_leaves_its_write_in_flight),
		cmocka_unit_test_setup_teardown(test_probe_report_has_one_entry_a_place, setup,
						disk_teardown),
		cmocka_unit_test_setup_teardown(test_probe_report_has_one_entry_a_pci_function, setup,
						disk_teardown),
		cmocka_unit_test_setup_teardown(test_same_bus_dev_fn_on_two_hosts_are_two_disks,
						setup, disk_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
