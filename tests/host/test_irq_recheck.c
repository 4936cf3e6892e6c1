/* SPDX-License-Identifier: MIT */
/*
 * The wait's look at the interrupt status, where an interrupt seems lost
 * (blk/wait.c, sleep_for_interrupt), built with the wait's knobs at their
 * tightest: no spinning before a sleep (VBLK_IRQ_POLL_US 0) and a look
 * after every 1 us sleep (VBLK_IRQ_RECHECK_US 1), so the look races each
 * completion and configuration change the device makes. At the defaults
 * the look comes after 2 ms without an interrupt, rarely, and the same
 * races are there.
 *
 * On virtio-pci reading the ISR clears every bit and lowers the line
 * (§4.1.4.5), so what the look finds no handler will ever see: the
 * configuration change a resize raises must be taken by the look itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "disk_fixture.h"
#include "fake_virtio.h"
#include "host_platform.h"
#include "vblk/bio.h"
#include "vblk/vblk.h"

#if VBLK_IRQ_POLL_US != 0 || VBLK_IRQ_RECHECK_US != 1
#error "build with -DVBLK_IRQ_POLL_US=0u -DVBLK_IRQ_RECHECK_US=1u (the Makefile does)"
#endif

#define OLD_SECTORS 2048u
#define NEW_SECTORS 4096u
#define TIMINGS     200u

static uint8_t buf[4096] VBLK_ALIGNED;

static void take_interrupt(struct fake_virtio *device, void *ctx)
{
	(void)device;
	vblk_irq_handler(ctx);
}

/* The host grows the disk, and the device completes the write it held. */
static void grow_and_complete(void)
{
	fake_virtio_resize(fv, NEW_SECTORS);
	fake_virtio_complete_all(fv);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
}

/* One timing: the resize lands `relaxes` into the wait for a write. Once
 * the write is back and the disk idle, the disk must know its new size. */
static bool new_size_seen(void **state, uint64_t relaxes)
{
	attach_ok(state, NULL);
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	struct vblk_seg seg = { buf, sizeof(buf) };
	struct vblk_bio bio = { .op = VBLK_OP_WRITE, .sector = 0, .segs = &seg, .nsegs = 1 };
	struct vblk_bio *bios = &bio;
	assert_int_equal(vblk_submit(disk, &bio), 0);
	host_at_relax(relaxes, grow_and_complete);
	assert_int_equal(vblk_wait_bios(disk, &bios, 1), 0);
	assert_int_equal(bio.status, 0);
	assert_int_equal(vblk_drain(disk), 0);

	bool seen = vblk_capacity(disk) == NEW_SECTORS;
	if (seen)
		assert_int_equal(vblk_read(disk, OLD_SECTORS, buf, 8), 0);
	host_at_relax(0, NULL);
	disk_teardown(state);
	disk_setup(state);
	return seen;
}

static void test_resize_during_a_wait_is_seen_at_every_timing(void **state)
{
	unsigned missed = 0;
	uint64_t first_missed = 0;

	for (uint64_t relaxes = 0; relaxes < TIMINGS; relaxes++) {
		if (!new_size_seen(state, relaxes) && missed++ == 0)
			first_missed = relaxes;
	}
	if (missed != 0)
		fail_msg("%u of %u timings left the old capacity (first: the resize %llu "
			 "relaxes into the wait)", missed, TIMINGS,
			 (unsigned long long)first_missed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALL_TRANSPORTS(test_resize_during_a_wait_is_seen_at_every_timing, disk_setup,
			       disk_teardown),
		PACKED_TRANSPORTS(test_resize_during_a_wait_is_seen_at_every_timing, disk_setup,
				  disk_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
