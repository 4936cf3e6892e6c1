/* SPDX-License-Identifier: MIT */
/*
 * Sequences of calls and device events that once went wrong (issue 13),
 * each as found from outside, against the fake device on both transports:
 *
 *  - a plug a callback takes while a wait runs is dispatched by the wait
 *    (it hung: nothing in flight, so no timeout either);
 *  - a device whose reset never completes keeps its memory: the bios it
 *    may still use come back with -VBLK_EHELD, the disk stays dead, its
 *    slot is not handed to the next disk, and a reset that completes
 *    brings it all back (they were handed back as "failed" and reused);
 *  - InterruptStatus bits virtio does not define, delivered as a real
 *    interrupt, do not re-enter the handler forever;
 *  - a bio submitted while vblk holds it is refused with -VBLK_EBUSY and
 *    changes nothing (it cut the queued request's bio list);
 *  - vblk_shutdown flushes disks with a write cache, after what is
 *    queued has completed;
 *  - a polled wait notices DEVICE_NEEDS_RESET in about a millisecond;
 *  - completions the device makes at any of the ring's barriers or
 *    stores of fields it reads (a device running beside the CPU) are
 *    each taken once, and soon; one the device makes inside the
 *    interrupt handler, or in the switch to interrupts, is harvested
 *    before it returns with the line down (it must look again after
 *    asking for interrupts);
 *  - a resize at any ring point of a wait is seen as vblk_capacity says,
 *    and a request past the new end fails as it says; a device that
 *    needs a reset there stops the disk with -VBLK_EBROKEN, and
 *    vblk_reset brings it back;
 *  - vblk_reset keeps the interrupt mode and the statistics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bio_log.h"
#include "blk/disk.h"
#include "disk_fixture.h"
#include "fake_virtio.h"
#include "vring/ring.h"
#include "vblk/vblk.h"

#define SECTOR_BYTES     512u
#define BIO_BYTES        4096u
#define SHORT_TIMEOUT_US 5000u
/* A test that would hang ends here instead (the default is 100 s); a
 * stalled reset costs VBLK_RESET_TIMEOUT_US of them. */
#define HANG_RELAXES     (20u * VBLK_RESET_TIMEOUT_US)
/* A reset that never completes: more Status reads than any bound. */
#define STALLED_RESET    0xffffffffu
#define UNDEFINED_BIT    0x20u

static uint8_t pool[64 * BIO_BYTES] VBLK_ALIGNED;

/* What the callbacks are asked to do besides logging. */
static struct vblk_bio *plug_and_submit;  /* done() plugs and submits it */
static struct vblk_bio *resubmit;         /* done() submits it again */
static int resubmit_result;

static int setup(void **state)
{
	disk_setup(state);
	bio_log_reset();
	host_set_relax_limit(HANG_RELAXES);
	plug_and_submit = resubmit = NULL;
	resubmit_result = 1;
	return 0;
}

static uint8_t *buffer(unsigned idx)
{
	return pool + (size_t)idx * BIO_BYTES;
}

static void done(struct vblk_bio *bio, int status)
{
	log_done(bio, status);
	if (plug_and_submit != NULL) {
		struct vblk_bio *next = plug_and_submit;
		plug_and_submit = NULL;
		vblk_plug(disk);
		assert_int_equal(vblk_submit(disk, next), 0);
	}
	if (resubmit != NULL) {
		struct vblk_bio *again = resubmit;
		resubmit = NULL;
		resubmit_result = vblk_submit(disk, again);
	}
}

static struct vblk_bio *write_bio(unsigned idx, uint64_t sector)
{
	memset(buffer(idx), (int)(0x40 + idx), BIO_BYTES);
	return make_bio(idx, VBLK_OP_WRITE, sector, buffer(idx), BIO_BYTES, done);
}

static void submit_ok(struct vblk_bio *bio)
{
	assert_int_equal(vblk_submit(disk, bio), 0);
}

static void take_interrupt(struct fake_virtio *device, void *ctx)
{
	(void)device;
	vblk_irq_handler(ctx);
}

static void use_interrupts(void)
{
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
}

static struct vblk_stats stats_now(void)
{
	struct vblk_stats stats;
	vblk_stats(disk, &stats);
	return stats;
}

static void expect_done_once(unsigned first, unsigned count, int status)
{
	for (unsigned i = first; i < first + count; i++) {
		assert_int_equal(done_calls[i], 1);
		assert_int_equal(done_status[i], status);
	}
}

static bool on_disk(unsigned idx, uint64_t sector)
{
	return memcmp(fake_virtio_disk(fv) + sector * SECTOR_BYTES, buffer(idx), BIO_BYTES) == 0;
}

/* Bios first .. first + count - 1, each written at sector 8 * its index
 * (write_bio): each told once, with 0, and its data on the disk. */
static void expect_written_once(unsigned first, unsigned count)
{
	expect_done_once(first, count, 0);
	for (unsigned i = first; i < first + count; i++)
		assert_true(on_disk(i, 8 * i));
}

/* ==== 1. a plug taken in a callback during a wait ====================== */

/* The completion of bio 0 plugs and submits bio 1 while the thread is in
 * vblk_drain: the drain sends it, and returns once both are done. */
static void expect_drain_sends_a_callbacks_plug(void **state, bool interrupts)
{
	attach_ok(state, NULL);
	if (interrupts)
		use_interrupts();
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 3);
	plug_and_submit = write_bio(1, 64);
	submit_ok(write_bio(0, 0));

	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(0, 2, 0);
	assert_true(on_disk(0, 0) && on_disk(1, 64));
}

static void test_drain_sends_what_a_callback_plugged(void **state)
{
	expect_drain_sends_a_callbacks_plug(state, false);
}

static void test_drain_sends_what_a_callback_plugged_with_interrupts(void **state)
{
	expect_drain_sends_a_callbacks_plug(state, true);
}

/* The same while the thread waits for that very bio. */
static void test_wait_sends_what_a_callback_plugged(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 3);
	struct vblk_bio *later = write_bio(1, 64);
	plug_and_submit = later;
	submit_ok(write_bio(0, 0));

	assert_int_equal(vblk_wait_bios(disk, &later, 1), 0);
	expect_done_once(0, 2, 0);
}

/* ==== 2. a reset that never completes =================================== */

/* Bios 0-1 in the device's hands, bio 2 a FLUSH that waits for them
 * (never sent). */
static void queue_two_in_flight_one_pending(void)
{
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	submit_ok(write_bio(0, 0));
	submit_ok(write_bio(1, 64));
	submit_ok(make_bio(2, VBLK_OP_FLUSH, 0, NULL, 0, done));
	assert_int_equal(fake_virtio_pending(fv), 2);
}

/* A timeout resets the device; if Status never reads back 0, the bios
 * it may still write into come back with -VBLK_EHELD, the one it never
 * saw with the timeout. The disk stays dead, and vblk_reset says so until
 * the device resets; then the disk works again. */
static void time_out_into_a_stalled_reset(void **state)
{
	attach_ok(state, NULL);
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	queue_two_in_flight_one_pending();
	struct vblk_bio *first = &bios[0];
	fake_virtio_set_reset_delay(fv, STALLED_RESET);

	assert_int_equal(vblk_wait_bios(disk, &first, 1), -VBLK_EHELD);
}

static void test_timeout_with_a_stalled_reset_holds_the_buffers(void **state)
{
	time_out_into_a_stalled_reset(state);
	expect_done_once(0, 2, -VBLK_EHELD);
	expect_done_once(2, 1, -VBLK_ETIMEDOUT);
	assert_int_equal(vblk_read(disk, 0, buffer(8), 8), -VBLK_EBROKEN);
	assert_int_equal(vblk_reset(disk), -VBLK_EHELD);

	fake_virtio_set_reset_delay(fv, 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
	submit_ok(write_bio(3, 0));
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(3, 1, 0);
	assert_true(on_disk(3, 0));
}

/* The same disk held, its device still resetting: vblk_attach of its
 * window answers -VBLK_ESTATE without reading a register (only Status may
 * be touched until a reset completes, RST-1). */
static void test_attach_of_a_held_disks_window_reads_nothing(void **state)
{
	time_out_into_a_stalled_reset(state);
	fake_virtio_clear_violations(fv);

	assert_int_equal(vblk_attach(fake_virtio_base(fv), TEST_INTID), -VBLK_ESTATE);
	fake_virtio_assert_clean(fv);
	fake_virtio_set_reset_delay(fv, 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
}

/*
 * A reset that never completes leaves the device free to read the ring,
 * so it must change nothing in the descriptor table (RST-1), not even
 * where the driver keeps a request slot's descriptors linked between
 * requests (vring/split_frame.c: a chain in flight is not put back into
 * its frame, which would rewrite links). A read first links slot 0's
 * frame; then a FLUSH, header straight to status, stays in flight.
 */
static void held_reset_leaves_the_table(const uint8_t *before, unsigned table_bytes)
{
	fake_virtio_set_reset_delay(fv, STALLED_RESET);
	assert_int_equal(vblk_reset(disk), -VBLK_EHELD);
	assert_memory_equal(before, disk->ring_mem, table_bytes);
	fake_virtio_clear_violations(fv);
}

static void test_stalled_reset_leaves_a_flush_chain_in_the_table(void **state)
{
	static uint8_t before[16 * VBLK_QUEUE_SIZE];
	attach_ok(state, NULL);
	unsigned table_bytes = 16u * vblk_disk_info(disk)->queue_size;
	assert_int_equal(vblk_read(disk, 0, buffer(8), 8), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	submit_ok(make_bio(0, VBLK_OP_FLUSH, 0, NULL, 0, done));
	assert_int_equal(fake_virtio_pending(fv), 1);
	memcpy(before, disk->ring_mem, table_bytes);
	held_reset_leaves_the_table(before, table_bytes);
	expect_done_once(0, 1, -VBLK_EHELD);
}

/* The same with a write of two segments apart: header, data, data,
 * status, the second data descriptor a free one. */
static void test_stalled_reset_leaves_a_long_chain_in_the_table(void **state)
{
	static uint8_t before[16 * VBLK_QUEUE_SIZE];
	attach_ok(state, NULL);
	unsigned table_bytes = 16u * vblk_disk_info(disk)->queue_size;
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	struct vblk_bio *bio = write_bio(0, 64);
	segs[0][1] = (struct vblk_seg){ buffer(4), BIO_BYTES };
	bio->nsegs = 2;
	submit_ok(bio);
	assert_int_equal(fake_virtio_pending(fv), 1);
	memcpy(before, disk->ring_mem, table_bytes);
	held_reset_leaves_the_table(before, table_bytes);
	expect_done_once(0, 1, -VBLK_EHELD);
}

/* The host stalls the CPU in the reset's wait, past its deadline, while
 * the device completes the reset: Status is read once more after the
 * clock, so the reset succeeds instead of holding the disk. */
static void finish_the_reset_during_a_stall(void *ctx)
{
	host_advance_time_us(2 * (uint64_t)VBLK_RESET_TIMEOUT_US);
	fake_virtio_finish_reset(ctx);
}

static void test_reset_finished_during_a_stall_past_its_deadline_succeeds(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_reset_delay(fv, STALLED_RESET);
	/* The first read sets the deadline, the second is the wait's. */
	host_set_clock_hook(finish_the_reset_during_a_stall, fv, 2);
	assert_int_equal(vblk_reset(disk), 0);
	host_set_clock_hook(NULL, NULL, 0);
	fake_virtio_set_reset_delay(fv, 0);
	submit_ok(write_bio(0, 0));
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(0, 1, 0);
	assert_true(on_disk(0, 0));
}

/* vblk_reset with bios in flight and a reset that does not complete. */
static void test_vblk_reset_that_stalls_holds_what_was_in_flight(void **state)
{
	attach_ok(state, NULL);
	queue_two_in_flight_one_pending();
	fake_virtio_set_reset_delay(fv, STALLED_RESET);

	assert_int_equal(vblk_reset(disk), -VBLK_EHELD);
	expect_done_once(0, 2, -VBLK_EHELD);
	expect_done_once(2, 1, -VBLK_ECANCELED);
	assert_int_equal(vblk_submit(disk, write_bio(3, 0)), -VBLK_EBROKEN);
	assert_int_equal(done_calls[3], 0);
}

/* vblk_shutdown: the device keeps the held slot's memory, so the next
 * disk attached gets another slot; once the device resets, the slot is
 * free again. */
static void test_shutdown_with_a_stalled_reset_sets_the_slot_aside(void **state)
{
	attach_ok(state, NULL);
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	submit_ok(write_bio(0, 0));
	struct vblk_disk *held = disk;
	fake_virtio_set_reset_delay(fv, STALLED_RESET);

	/* The write timed out, then the reset stalled: the device may still
	 * use our memory, which outranks the timeout (vblk.h). */
	assert_int_equal(vblk_shutdown(), -VBLK_EHELD);
	expect_done_once(0, 1, -VBLK_EHELD);

	struct fake_virtio *second = make_device(test_version(state), NULL);
	int index = vblk_attach(fake_virtio_base(second), TEST_INTID);
	assert_int_equal(index, 0);
	assert_ptr_not_equal(vblk_disk(0), held);
	assert_int_equal(vblk_read(vblk_disk(0), 0, buffer(8), 8), 0);
	fake_virtio_assert_clean(second);

	/* The stalled device resets at last: a shutdown finds it so, and
	 * its slot is used again once the others are taken. */
	fake_virtio_set_reset_delay(fv, 0);
	assert_int_equal(vblk_shutdown(), 0);
	bool reused = false;
	for (unsigned i = 0; i < vblk_max_disks(); i++) {
		struct fake_virtio *dev = make_device(test_version(state), NULL);
		assert_true(vblk_attach(fake_virtio_base(dev), TEST_INTID) >= 0);
		reused |= vblk_disk(i) == held;
	}
	assert_true(reused);
	fake_virtio_clear_violations(fv);
}

/* The device of a held slot resets at last and is attached again, in
 * another slot; then the pool fills up. Its old slot is free (the device
 * let go of it when it reset for the new disk): the last attach must take
 * it without a word to that device. It reclaimed the slot by resetting
 * the device, under the disk it had become, whose next write timed out. */
static void test_held_device_attached_again_is_not_reset_for_its_old_slot(void **state)
{
	attach_ok(state, NULL);
	struct fake_virtio *device = fv;
	fake_virtio_set_reset_delay(device, STALLED_RESET);
	assert_int_equal(vblk_shutdown(), -VBLK_EHELD);

	fake_virtio_set_reset_delay(device, 0);
	fake_virtio_finish_reset(device);
	int index = attach_device(device);
	assert_true(index >= 0);
	struct vblk_disk *again = vblk_disk((unsigned)index);
	vblk_set_timeout_us(again, SHORT_TIMEOUT_US);
	unsigned resets = fake_virtio_stats(device)->resets;
	for (unsigned i = 1; i < vblk_max_disks(); i++)
		assert_true(attach_device(make_device(test_version(state), NULL)) >= 0);
	assert_int_equal(fake_virtio_stats(device)->resets, resets);

	memset(buffer(1), 0x5a, BIO_BYTES);
	assert_int_equal(vblk_write(again, 0, buffer(1), BIO_BYTES / VBLK_SECTOR_SIZE), 0);
	assert_memory_equal(fake_virtio_disk(device), buffer(1), BIO_BYTES);
	fake_virtio_assert_clean(device);
}

/* Every slot taken, one of them held by a device that never confirmed
 * its reset: an attach asks that device to reset once more. While it
 * still does not, the attach fails with -VBLK_ENOMEM, its own device
 * untouched and the held slot as it was; once it does, the slot is the
 * new disk's. */
static void test_a_full_table_takes_a_held_slot_only_once_its_device_resets(void **state)
{
	static uint8_t before[sizeof(struct vblk_disk)];
	attach_ok(state, NULL);
	struct vblk_disk *held = disk;
	fake_virtio_set_reset_delay(fv, STALLED_RESET);
	assert_int_equal(vblk_shutdown(), -VBLK_EHELD);
	for (unsigned i = 0; i + 1 < vblk_max_disks(); i++) {
		assert_int_equal(attach_device(make_device(test_version(state), NULL)), (int)i);
		assert_ptr_not_equal(vblk_disk(i), held);
	}

	memcpy(before, held, sizeof(before));
	struct fake_virtio *extra = make_device(test_version(state), NULL);
	assert_int_equal(attach_device(extra), -VBLK_ENOMEM);
	assert_int_equal(fake_virtio_stats(extra)->resets, 0);
	assert_memory_equal(held, before, sizeof(before));

	fake_virtio_set_reset_delay(fv, 0);
	int index = attach_device(extra);
	assert_int_equal(index, (int)vblk_max_disks() - 1);
	assert_ptr_equal(vblk_disk((unsigned)index), held);
	memset(buffer(1), 0x5a, BIO_BYTES);
	assert_int_equal(vblk_write(held, 0, buffer(1), BIO_BYTES / SECTOR_BYTES), 0);
	assert_memory_equal(fake_virtio_disk(extra), buffer(1), BIO_BYTES);
	fake_virtio_assert_clean(extra);
}

/* ==== 3. interrupt bits virtio does not define ========================= */

/* Delivered as an interrupt (the fake calls the handler while its line is
 * up): the handler runs once, not on every step, and I/O goes on. */
static void test_undefined_interrupt_bit_does_not_storm(void **state)
{
	attach_ok(state, NULL);
	use_interrupts();
	uint64_t handled = stats_now().interrupts;

	fake_virtio_raise_interrupt_bits(fv, UNDEFINED_BIT);
	assert_int_equal(vblk_read(disk, 0, buffer(0), 8), 0);
	assert_int_equal(vblk_read(disk, 8, buffer(1), 8), 0);
	assert_false(fake_virtio_irq_pending(fv));
	assert_int_equal(stats_now().bad_interrupts, 1);
	assert_true(stats_now().interrupts - handled <= 3);
}

/* A bit an acknowledgement cannot clear stops the disk: the line drops,
 * the bio in flight fails once, and nothing hangs. */
static void test_undefined_interrupt_bit_that_sticks_stops_the_disk(void **state)
{
	attach_ok(state, NULL);
	use_interrupts();
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	struct vblk_bio *bio = write_bio(0, 0);
	submit_ok(bio);

	fake_virtio_stick_interrupt_bits(fv, UNDEFINED_BIT);
	assert_int_equal(vblk_wait_bios(disk, &bio, 1), -VBLK_EBROKEN);
	expect_done_once(0, 1, -VBLK_EBROKEN);
	assert_false(fake_virtio_irq_pending(fv));
	assert_true(stats_now().interrupts <= 2);
}

static void complete_held(struct fake_virtio *device)
{
	fake_virtio_complete_all(device);
}

/* An undefined bit makes the handler read the status a second time (is
 * the bit stuck?), and the device completes a request at that very read.
 * On virtio-pci the read took the used-buffer bit off the device and
 * lowered INTx (§4.1.4.5): no interrupt would announce that completion
 * again, and it waited for a wait's recheck (here the handler is called
 * with no wait around it: for ever). On virtio-mmio the bit stays up and
 * raises the line again; either way the handler now takes it at once. */
static void test_used_bit_raised_between_the_two_status_reads_is_taken(void **state)
{
	attach_ok(state, NULL);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	struct vblk_bio *bio = write_bio(0, 0);
	submit_ok(bio);

	fake_virtio_raise_interrupt_bits(fv, UNDEFINED_BIT);
	fake_virtio_at_status_read(fv, 2, complete_held);
	vblk_irq_handler(disk);
	assert_int_equal(fake_virtio_pending(fv), 0);
	expect_done_once(0, 1, 0);
	assert_true(on_disk(0, 0));
	assert_false(fake_virtio_irq_pending(fv));
}

/* The same race at every access the handler makes to the device, placed
 * with the fake's general hook (fake_virtio_at_access): the nth read of
 * InterruptStatus, or (virtio-mmio: a virtio-pci driver acknowledges by
 * reading the ISR, so that event never fires there) the nth write of
 * InterruptACK. Whichever access the completion lands before, the
 * handler called alone, with no wait around it, completes the bio. */
static void test_completion_at_any_access_of_the_handler_is_taken(void **state)
{
	static const struct { enum fake_virtio_access_kind kind; unsigned nth; } at[] = {
		{ FAKE_AT_INTERRUPT_STATUS_READ, 1 }, { FAKE_AT_INTERRUPT_STATUS_READ, 2 },
		{ FAKE_AT_ACK_WRITE, 1 }, { FAKE_AT_ACK_WRITE, 2 },
	};

	attach_ok(state, NULL);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		struct vblk_bio *bio = write_bio(i, 8 * i);
		submit_ok(bio);
		unsigned fired = fake_virtio_at_fired(fv);
		fake_virtio_at_access(fv, &(struct fake_virtio_at){
			.kind = at[i].kind, .nth = at[i].nth, .event = FAKE_EVENT_COMPLETE_ALL });
		fake_virtio_raise_interrupt_bits(fv, UNDEFINED_BIT);
		vblk_irq_handler(disk);
		if (fake_virtio_at_fired(fv) == fired) {
			/* Not an access this transport's handler makes. */
			fake_virtio_at_cancel(fv);
			fake_virtio_complete_all(fv);
			vblk_irq_handler(disk);
		}
		assert_int_equal(fake_virtio_pending(fv), 0);
		expect_done_once(i, 1, 0);
		assert_true(on_disk(i, 8 * i));
		assert_false(fake_virtio_irq_pending(fv));
	}
}

/*
 * A device running beside the CPU may complete requests between any two
 * ring accesses the driver orders with a barrier, or just before a
 * plat_dma_store16 of a field it reads: before avail.idx exposes new
 * chains, between that store and the look at the device's notification
 * suppression, between used.idx and the entries it covers, just before
 * interrupts are asked for again and between that and the look after
 * it. The sweeps below run one sequence of calls again and again with a
 * device event at its 1st, 2nd, ... ring point (FAKE_AT_RING_POINT)
 * until a run has no such point left, polled and with interrupts. (The
 * CPU has IRQs masked at every ring point outside a set-up, which
 * fuzz_queue checks, so an interrupt raised there is taken at the next
 * unmask.)
 */
#define RING_POINTS_MAX 64u

/* Arm `event` at the `nth` ring point from now; returns the count of
 * events fired so far, for fired_since. */
static unsigned arm_at_ring_point_arg(unsigned nth, enum fake_virtio_event event, uint64_t arg)
{
	fake_virtio_at_access(fv, &(struct fake_virtio_at){
		.kind = FAKE_AT_RING_POINT, .nth = nth, .event = event, .arg = arg,
	});
	return fake_virtio_at_fired(fv);
}

static unsigned arm_at_ring_point(unsigned nth, enum fake_virtio_event event)
{
	return arm_at_ring_point_arg(nth, event, 0);
}

/* Did the armed event fire? Cancels it either way. */
static bool fired_since(unsigned fired_before)
{
	bool fired = fake_virtio_at_fired(fv) != fired_before;
	fake_virtio_at_cancel(fv);
	return fired;
}

/* A synchronous read sent behind two bios in flight, then a drain; every
 * held request completed at the point: each bio once, the read returns
 * the disk's data soon after the device completes it (not at a periodic
 * look), nothing stays in the ring, no interrupt is left up. */
static void test_completion_at_any_ring_point_is_taken_once(void **state)
{
	enum { READ_SECTORS = 16 };
	uint8_t *read_buf = buffer(60);

	attach_ok(state, NULL);
	for (unsigned irq = 0; irq < 2; irq++) {
		if (irq)
			use_interrupts();
		unsigned swept = 0;
		for (unsigned nth = 1; nth <= RING_POINTS_MAX; nth++) {
			unsigned first = 2 * (nth - 1) % 32;
			uint64_t read_sector = 512 + READ_SECTORS * ((nth - 1) % 64);
			uint8_t *on_device = fake_virtio_disk(fv) + read_sector * SECTOR_BYTES;

			bio_log_reset();
			fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 3);
			submit_ok(write_bio(first, 8 * first));
			submit_ok(write_bio(first + 1, 8 * (first + 1)));
			unsigned before = arm_at_ring_point(nth, FAKE_EVENT_COMPLETE_ALL);
			memset(on_device, (int)(0x90 + nth), READ_SECTORS * SECTOR_BYTES);
			memset(read_buf, 0, READ_SECTORS * SECTOR_BYTES);
			uint64_t start_us = plat_time_us();
			assert_int_equal(vblk_read(disk, read_sector, read_buf, READ_SECTORS), 0);
			/* The device completes it three relax steps after taking
			 * it: found then, not at a periodic look. */
			assert_true(plat_time_us() - start_us < VBLK_STATUS_CHECK_US / 4);
			assert_memory_equal(read_buf, on_device, READ_SECTORS * SECTOR_BYTES);
			assert_int_equal(vblk_drain(disk), 0);
			bool fired = fired_since(before);
			assert_int_equal(fake_virtio_pending(fv), 0);
			expect_written_once(first, 2);
			/* A polled disk's InterruptStatus may stay up: with
			 * EVENT_IDX the device interrupts at its first used
			 * buffer whatever used_event says, as QEMU does. */
			if (irq)
				assert_false(fake_virtio_irq_pending(fv));
			if (!fired)
				break;   /* past the last ring point of the run */
			swept++;
		}
		/* Two points at least to publish the read, one to harvest each
		 * of its three requests; and the sweep reached the end. */
		assert_true(swept >= 5);
		assert_true(swept < RING_POINTS_MAX);
	}
	fake_virtio_assert_clean(fv);
}

/* Four bios submitted one by one (each published and notified), then a
 * drain; one, the newest or every held request (newest first) completed
 * at the point: each bio once, with its data on the disk. */
static void test_completion_at_any_ring_point_of_submits_and_drain(void **state)
{
	static const enum fake_virtio_event events[] = {
		FAKE_EVENT_COMPLETE_OLDEST, FAKE_EVENT_COMPLETE_NEWEST,
		FAKE_EVENT_COMPLETE_ALL_REVERSED,
	};
	enum { BIOS = 4 };

	attach_ok(state, NULL);
	for (unsigned irq = 0; irq < 2; irq++) {
		if (irq)
			use_interrupts();
		for (unsigned e = 0; e < sizeof(events) / sizeof(events[0]); e++) {
			unsigned swept = 0;
			for (unsigned nth = 1; nth <= RING_POINTS_MAX; nth++) {
				unsigned first = BIOS * ((nth + e) % 8);
				bio_log_reset();
				fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 5);
				unsigned before = arm_at_ring_point(nth, events[e]);
				for (unsigned i = first; i < first + BIOS; i++)
					submit_ok(write_bio(i, 8 * i));
				assert_int_equal(vblk_drain(disk), 0);
				bool fired = fired_since(before);
				assert_int_equal(fake_virtio_pending(fv), 0);
				expect_written_once(first, BIOS);
				if (irq)
					assert_false(fake_virtio_irq_pending(fv));
				if (!fired)
					break;
				swept++;
			}
			/* Two points to publish each bio, one to harvest each. */
			assert_true(swept >= 3 * BIOS);
			assert_true(swept < RING_POINTS_MAX);
		}
	}
	fake_virtio_assert_clean(fv);
}

/* A plugged batch (six bios, two pairs of them adjacent, so four
 * requests) goes out in one publish at the unplug, then a drain; every
 * held request, or the newest, completed at the point: each bio once, on
 * the disk. */
static void test_completion_at_any_ring_point_of_a_plugged_batch(void **state)
{
	static const uint64_t sectors[] = { 0, 8, 40, 80, 88, 160 };
	enum { BIOS = 6 };

	attach_ok(state, NULL);
	for (unsigned irq = 0; irq < 2; irq++) {
		if (irq)
			use_interrupts();
		unsigned swept = 0;
		for (unsigned nth = 1; nth <= RING_POINTS_MAX; nth++) {
			unsigned first = BIOS * (nth % 4);
			uint64_t base = 256 * (nth % 4);
			bio_log_reset();
			fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 4);
			unsigned before = arm_at_ring_point(nth, nth % 2 ? FAKE_EVENT_COMPLETE_ALL
									: FAKE_EVENT_COMPLETE_NEWEST);
			vblk_plug(disk);
			for (unsigned i = 0; i < BIOS; i++)
				submit_ok(write_bio(first + i, base + sectors[i]));
			vblk_unplug(disk);
			assert_int_equal(vblk_drain(disk), 0);
			bool fired = fired_since(before);
			assert_int_equal(fake_virtio_pending(fv), 0);
			expect_done_once(first, BIOS, 0);
			for (unsigned i = 0; i < BIOS; i++)
				assert_true(on_disk(first + i, base + sectors[i]));
			if (irq)
				assert_false(fake_virtio_irq_pending(fv));
			if (!fired)
				break;
			swept++;
		}
		/* Two points to publish the batch, one to harvest each of its
		 * four requests. */
		assert_true(swept >= 6);
		assert_true(swept < RING_POINTS_MAX);
	}
	fake_virtio_assert_clean(fv);
}

/* `count` writes from bio `first`, held by the device. */
static void submit_held_writes(unsigned first, unsigned count)
{
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	for (unsigned i = first; i < first + count; i++)
		submit_ok(write_bio(i, 8 * i));
}

/* After a call that may have taken the device's interrupt: with the line
 * down nothing waits in the used ring (no interrupt would announce it),
 * and each bio was told or is still with the device. Then the device
 * completes the rest: each bio once, on the disk. */
static void expect_nothing_left_unannounced(unsigned first, unsigned count)
{
	if (!fake_virtio_irq_pending(fv))
		assert_false(vring_has_used(&disk->dev.ring));
	unsigned told = 0;
	for (unsigned i = first; i < first + count; i++)
		told += done_calls[i];
	assert_int_equal(told + fake_virtio_pending(fv), count);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	fake_virtio_complete_all(fv);
	assert_int_equal(vblk_drain(disk), 0);
	expect_written_once(first, count);
}

/* Interrupt-driven, no thread waiting: the device completes the oldest
 * of three held requests and interrupts; inside the handler's harvest it
 * completes the oldest or the newest left at the point. Once the handler
 * has returned with the line down, nothing may wait in the used ring (no
 * interrupt will announce it: the handler must have looked again after
 * asking for interrupts), and every completed bio has been told. */
static void test_completion_at_any_ring_point_of_the_handler_is_taken(void **state)
{
	enum { BIOS = 3 };

	attach_ok(state, NULL);
	use_interrupts();
	for (unsigned newest = 0; newest < 2; newest++) {
		unsigned swept = 0;
		for (unsigned nth = 1; nth <= RING_POINTS_MAX; nth++) {
			unsigned first = BIOS * (nth % 8);
			bio_log_reset();
			submit_held_writes(first, BIOS);
			unsigned before = arm_at_ring_point(nth, newest ? FAKE_EVENT_COMPLETE_NEWEST
									: FAKE_EVENT_COMPLETE_OLDEST);
			plat_irqflags_t flags = plat_irq_save();
			assert_int_equal(fake_virtio_complete_some(fv, 1), 1);
			plat_irq_restore(flags);   /* the handler runs here */
			bool fired = fired_since(before);
			expect_nothing_left_unannounced(first, BIOS);
			if (!fired)
				break;
			swept++;
		}
		/* The handler's harvest, its request for interrupts and the
		 * look after it. */
		assert_true(swept >= 3);
		assert_true(swept < RING_POINTS_MAX);
	}
	fake_virtio_assert_clean(fv);
}

/* Polled, three held requests, the device completes the oldest; then
 * the switch to interrupts (vblk_use_interrupts), which asks for them and
 * harvests what came before, while the device completes the oldest or
 * the newest left at each ring point of it. Once the switch has returned
 * with the line down, nothing waits in the used ring (no interrupt would
 * announce it: the switch must look after asking), and every completed
 * bio has been told. */
static void test_completion_at_any_ring_point_of_the_switch_to_interrupts(void **state)
{
	enum { BIOS = 3 };

	attach_ok(state, NULL);
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	for (unsigned newest = 0; newest < 2; newest++) {
		unsigned swept = 0;
		for (unsigned nth = 1; nth <= RING_POINTS_MAX; nth++) {
			unsigned first = BIOS * (nth % 8);
			bio_log_reset();
			assert_int_equal(vblk_use_interrupts(disk, false), 0);
			submit_held_writes(first, BIOS);
			assert_int_equal(fake_virtio_complete_some(fv, 1), 1);
			unsigned before = arm_at_ring_point(nth, newest ? FAKE_EVENT_COMPLETE_NEWEST
									: FAKE_EVENT_COMPLETE_OLDEST);
			assert_int_equal(vblk_use_interrupts(disk, true), 0);
			bool fired = fired_since(before);
			expect_nothing_left_unannounced(first, BIOS);
			assert_false(fake_virtio_irq_pending(fv));
			if (!fired)
				break;
			swept++;
		}
		/* The request for interrupts (a store, the barrier before the
		 * look), the harvest of the request completed before, and the
		 * harvest's own request for interrupts and look. */
		assert_true(swept >= 5);
		assert_true(swept < RING_POINTS_MAX);
	}
	fake_virtio_assert_clean(fv);
}

/*
 * A configuration change at each ring point of a wait with bios in
 * flight: the device shrinks the disk (FAKE_EVENT_RESIZE), or gives up
 * and says it needs a reset (FAKE_EVENT_NEEDS_RESET), at the 1st, 2nd,
 * ... ring point of three writes submitted one by one and a wait for
 * them, polled and with interrupts.
 */
enum { OLD_END = 2048, NEW_END = 1024 };   /* the fake's default: 2048 */

/* Four descriptors: a request or two fill the ring, and the last bio
 * waits in the queue for a completion, so it leaves the queue after the
 * device's interrupt may have told the disk of the change. */
static void small_ring(struct fake_virtio_opts *opts)
{
	opts->queue_num_max = 4;
}

/* Three writes below the new end and one past it (below the old end):
 * vblk.h's vblk_capacity says the new capacity is seen at once with
 * interrupts, at the next vblk_poll when polled, and that a request past
 * the new end fails, -VBLK_ERANGE if it had not left the queue (or, at
 * vblk_submit, is refused so), else with the device's answer (-VBLK_EIO).
 * The writes below it complete once, on the disk; a request past the new
 * end is refused afterwards and one just below it is carried out. */
static void test_resize_at_any_ring_point_of_a_wait(void **state)
{
	enum { BIOS = 4, PAST = BIOS - 1 };
	unsigned refused_in_queue = 0;

	attach_ok(state, small_ring);
	assert_int_equal(vblk_capacity(disk), OLD_END);
	for (unsigned irq = 0; irq < 2; irq++) {
		if (irq)
			use_interrupts();
		unsigned swept = 0;
		for (unsigned nth = 1; nth <= RING_POINTS_MAX; nth++) {
			unsigned first = BIOS * (nth % 8);
			uint64_t sector[BIOS] = { 8 * first, 8 * (first + 1), 8 * (first + 2),
						  NEW_END + 8 * (nth % 8) };
			struct vblk_bio *wait[BIOS];
			unsigned waited = 0;

			bio_log_reset();
			fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 5);
			unsigned before = arm_at_ring_point_arg(nth, FAKE_EVENT_RESIZE, NEW_END);
			int past_rc = 0;
			for (unsigned i = 0; i < BIOS; i++) {
				struct vblk_bio *bio = write_bio(first + i, sector[i]);
				int rc = vblk_submit(disk, bio);
				if (i == PAST)
					past_rc = rc;
				else
					assert_int_equal(rc, 0);
				if (rc == 0)
					wait[waited++] = bio;
			}
			int rc = vblk_wait_bios(disk, wait, waited);
			assert_int_equal(vblk_drain(disk), 0);
			bool fired = fired_since(before);
			if (!irq)
				assert_true(vblk_poll(disk) >= 0);   /* polled: seen here */
			/* The device refuses a request past its new end that it
			 * read after the resize (BLK-5 only for that one: sent
			 * before the driver could know, answered IOERR). */
			unsigned violations = fake_virtio_violation_count(fv);
			assert_true(violations <= 1);
			if (violations == 1) {
				assert_true(fake_virtio_has_violation(fv, "BLK-5"));
				assert_int_equal(done_status[first + PAST], -VBLK_EIO);
				fake_virtio_clear_violations(fv);
			}

			assert_int_equal(vblk_capacity(disk), fired ? NEW_END : OLD_END);
			assert_int_equal(fake_virtio_pending(fv), 0);
			expect_done_once(first, PAST, 0);
			for (unsigned i = 0; i < PAST; i++)
				assert_true(on_disk(first + i, sector[i]));
			int past_status = past_rc;
			if (past_rc == 0) {
				assert_int_equal(done_calls[first + PAST], 1);
				past_status = done_status[first + PAST];
				assert_int_equal(rc, past_status);
			} else {
				assert_int_equal(past_rc, -VBLK_ERANGE);
				assert_int_equal(done_calls[first + PAST], 0);
				assert_int_equal(rc, 0);
			}
			if (!fired)
				assert_int_equal(past_status, 0);
			else if (past_status != 0)
				assert_true(past_status == -VBLK_ERANGE || past_status == -VBLK_EIO);
			if (past_rc == 0 && past_status == -VBLK_ERANGE)
				refused_in_queue++;
			if (irq)
				assert_false(fake_virtio_irq_pending(fv));
			if (fired) {
				assert_int_equal(vblk_write(disk, NEW_END - 8, buffer(40), 8), 0);
				assert_int_equal(vblk_write(disk, NEW_END, buffer(40), 8), -VBLK_ERANGE);
				fake_virtio_resize(fv, OLD_END);
				assert_true(vblk_poll(disk) >= 0);
				assert_int_equal(vblk_capacity(disk), OLD_END);
			}
			if (!fired)
				break;
			swept++;
		}
		/* Two points to publish each of the three requests the small
		 * ring takes at least, one to harvest each. */
		assert_true(swept >= 3 * 3);
		assert_true(swept < RING_POINTS_MAX);
	}
	/* The queue's own check ran: a resize the interrupt told of before
	 * the last bio left the queue. */
	assert_true(refused_in_queue > 0);
	fake_virtio_assert_clean(fv);
}

/* The device needs a reset (a modern one says so in its status and with
 * a configuration interrupt; a legacy device has no way to): the wait
 * ends with -VBLK_EBROKEN (polled, in about a millisecond), every bio
 * completes once, carried out or with -VBLK_EBROKEN; the disk is
 * stopped (a submit then is refused with -VBLK_EBROKEN) once a wait or
 * vblk_poll has looked; vblk_reset brings it back. */
static void test_needs_reset_at_any_ring_point_of_a_wait(void **state)
{
	enum { BIOS = 3 };

	if (test_version(state) == 1)
		skip();
	attach_ok(state, NULL);
	for (unsigned irq = 0; irq < 2; irq++) {
		if (irq)
			use_interrupts();
		unsigned swept = 0;
		for (unsigned nth = 1; nth <= RING_POINTS_MAX; nth++) {
			unsigned first = BIOS * (nth % 8);
			struct vblk_bio *wait[BIOS];
			unsigned waited = 0;

			bio_log_reset();
			fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 5);
			unsigned before = arm_at_ring_point(nth, FAKE_EVENT_NEEDS_RESET);
			uint64_t start_us = plat_time_us();
			for (unsigned i = first; i < first + BIOS; i++) {
				struct vblk_bio *bio = write_bio(i, 8 * i);
				int rc = vblk_submit(disk, bio);
				if (rc == 0)
					wait[waited++] = bio;
				else
					assert_int_equal(rc, -VBLK_EBROKEN);
			}
			int rc = vblk_wait_bios(disk, wait, waited);
			assert_true(plat_time_us() - start_us <= 2 * VBLK_STATUS_CHECK_US);
			bool fired = fired_since(before);
			/* Polled, the last points leave it to this look. */
			int poll_rc = vblk_poll(disk);

			int first_err = 0;
			for (unsigned i = 0; i < waited; i++) {
				unsigned idx = (unsigned)(wait[i] - bios);
				assert_int_equal(done_calls[idx], 1);
				if (done_status[idx] == 0)
					assert_true(on_disk(idx, 8 * idx));
				else
					assert_int_equal(done_status[idx], -VBLK_EBROKEN);
				if (first_err == 0)
					first_err = done_status[idx];
			}
			assert_int_equal(rc, first_err);
			assert_true(fired || (waited == BIOS && first_err == 0));
			if (fired) {
				assert_int_equal(poll_rc, -VBLK_EBROKEN);
				assert_int_equal(vblk_write(disk, 0, buffer(40), 8), -VBLK_EBROKEN);
				assert_int_equal(vblk_reset(disk), 0);
			} else {
				assert_true(poll_rc >= 0);
			}
			memset(buffer(41), 0x41 + (int)nth, BIO_BYTES);
			assert_int_equal(vblk_write(disk, 512, buffer(41), 8), 0);
			assert_true(on_disk(41, 512));
			assert_int_equal(fake_virtio_pending(fv), 0);
			if (irq)
				assert_false(fake_virtio_irq_pending(fv));
			if (!fired)
				break;
			swept++;
		}
		/* Two points to publish each write, one to harvest each. */
		assert_true(swept >= 3 * BIOS);
		assert_true(swept < RING_POINTS_MAX);
	}
	fake_virtio_assert_clean(fv);
}

/* ==== a notification the device never saw ============================== */

/* avail_event out of reach, as a device leaves it when the driver's read
 * of it overtook its own store of avail.idx (blk_dev_renotify): the
 * driver does not notify and the device sleeps on the request. The wait
 * notifies again after VBLK_RENOTIFY_US, and the read completes long
 * before the timeout. Split ring only: the field is the split ring's. */
static void test_lost_notification_is_sent_again(void **state)
{
	attach_ok(state, NULL);
	struct virtqueue *vq = &disk->dev.ring.q.split;
	*vq->avail_event = (uint16_t)(vq->avail_idx + 0x8000u);
	uint64_t sent = stats_now().notifications, start_us = plat_time_us();

	assert_int_equal(vblk_read(disk, 0, buffer(0), 8), 0);
	assert_true(plat_time_us() - start_us >= VBLK_RENOTIFY_US);
	assert_true(plat_time_us() - start_us < 3 * VBLK_RENOTIFY_US);
	assert_int_equal(stats_now().renotifications, 1);
	assert_int_equal(stats_now().notifications, sent);
}

/* ==== a request the device keeps passing over ========================== */

/* A device that completes every newer request and never the oldest one
 * makes progress all the time: the oldest must still time out, the
 * timeout being per request (vblk.h). Bio 0 is sent first; then, every
 * millisecond, one more bio goes in and the device completes the newest.
 * With a 5 ms timeout bio 0 is overdue within about 7 ms (the look that
 * finds it overtaken starts its clock; looks come every
 * VBLK_STATUS_CHECK_US), not never. */
static void test_request_passed_over_times_out(void **state)
{
	attach_ok(state, NULL);
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	fake_virtio_set_order(fv, FAKE_ORDER_REVERSED, 0);
	submit_ok(write_bio(0, 0));
	uint64_t start_us = plat_time_us();
	for (unsigned i = 1; i <= 40 && done_calls[0] == 0; i++) {
		unsigned idx = 1 + i % 2;
		submit_ok(write_bio(idx, 8u * idx));
		host_advance_time_us(1000);
		fake_virtio_complete_some(fv, 1);   /* the newest */
		(void)vblk_poll(disk);
	}
	assert_int_equal(done_calls[0], 1);
	assert_int_equal(done_status[0], -VBLK_ETIMEDOUT);
	assert_true(plat_time_us() - start_us <= SHORT_TIMEOUT_US + 3 * VBLK_STATUS_CHECK_US);
}

/* Every passed-over request has its own clock. Bio 0 sits in the second
 * request slot and is never completed; in every 3 ms the device takes three
 * more bios, completes the two newest at once and the slot-0 one a
 * millisecond later: that one is passed over briefly, again and again.
 * Bio 0's clock must not restart each time a request in a lower slot is
 * passed over (with one clock for the device it did, and bio 0 never
 * timed out). */
static void test_request_passed_over_behind_a_lower_slot_times_out(void **state)
{
	attach_ok(state, NULL);
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	submit_ok(write_bio(3, 512));          /* slot 0 */
	submit_ok(write_bio(0, 0));            /* slot 1: never completed */
	fake_virtio_complete_some(fv, 1);      /* in order: bio 3, slot 0 free */
	assert_int_equal(vblk_poll(disk), 1);
	fake_virtio_set_order(fv, FAKE_ORDER_REVERSED, 0);
	uint64_t start_us = plat_time_us();
	for (unsigned cycle = 0; cycle < 40 && done_calls[0] == 0; cycle++) {
		submit_ok(write_bio(1, 64));   /* slot 0 */
		submit_ok(write_bio(2, 128));
		submit_ok(write_bio(4, 192));
		host_advance_time_us(1000);
		fake_virtio_complete_some(fv, 2);   /* bios 4 and 2: bio 1 passed over */
		(void)vblk_poll(disk);
		host_advance_time_us(1000);
		fake_virtio_complete_some(fv, 1);   /* bio 1 */
		(void)vblk_poll(disk);
		host_advance_time_us(1000);
		(void)vblk_poll(disk);
	}
	assert_int_equal(done_calls[0], 1);
	assert_int_equal(done_status[0], -VBLK_ETIMEDOUT);
	assert_true(plat_time_us() - start_us <= SHORT_TIMEOUT_US + 3 * VBLK_STATUS_CHECK_US + 3000);
}

/* The same inside vblk_wait_bios: bio 1's callback resubmits it, and the
 * device completes the newest request every 50 us, never bio 0. The wait
 * for bio 0 ends with -VBLK_ETIMEDOUT about a timeout later, not when the
 * stream stops 200 ms later. */
static unsigned stream_left;

static void stream_done(struct vblk_bio *bio, int status)
{
	log_done(bio, status);
	if (status == 0 && stream_left > 0) {
		stream_left--;
		assert_int_equal(vblk_submit(disk, bio), 0);
	}
}

static void complete_newest_again(void)
{
	fake_virtio_complete_some(fv, 1);
	host_at_relax(50, complete_newest_again);
}

static void test_wait_for_a_request_passed_over_is_bounded(void **state)
{
	attach_ok(state, NULL);
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	fake_virtio_set_order(fv, FAKE_ORDER_REVERSED, 0);
	stream_left = 4000;
	submit_ok(write_bio(0, 0));
	memset(buffer(1), 1, BIO_BYTES);
	submit_ok(make_bio(1, VBLK_OP_WRITE, 64, buffer(1), BIO_BYTES, stream_done));
	host_at_relax(50, complete_newest_again);
	uint64_t start_us = plat_time_us();
	struct vblk_bio *wanted = &bios[0];
	int rc = vblk_wait_bios(disk, &wanted, 1);
	uint64_t took_us = plat_time_us() - start_us;
	host_at_relax(0, NULL);
	assert_int_equal(rc, -VBLK_ETIMEDOUT);
	assert_int_equal(done_status[0], -VBLK_ETIMEDOUT);
	assert_true(took_us <= SHORT_TIMEOUT_US + 3 * VBLK_STATUS_CHECK_US);
	assert_true(stream_left > 0);
}

/* Out of order is not overdue: the device completes the newest request
 * first every time, and each oldest one a few milliseconds later, well
 * within the timeout. Nothing times out, every bio completes once. */
static void test_requests_completed_out_of_order_do_not_time_out(void **state)
{
	attach_ok(state, NULL);
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	fake_virtio_set_order(fv, FAKE_ORDER_REVERSED, 0);
	for (unsigned round = 0; round < 20; round++) {
		submit_ok(write_bio(0, 0));
		submit_ok(write_bio(1, 64));
		submit_ok(write_bio(2, 128));
		for (unsigned step = 0; step < 3; step++) {
			host_advance_time_us(1500);
			fake_virtio_complete_some(fv, 1);   /* newest first */
			assert_int_equal(vblk_poll(disk), 1);
		}
	}
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(done_calls[i], 20);
		assert_int_equal(done_status[i], 0);
	}
}

/* ==== 4. a bio submitted twice ========================================== */

/* Bios 0 and 1 merged into one request behind a plug: submitting bio 0
 * again is refused and changes nothing; both reach the disk, once. */
static void test_bio_queued_twice_is_refused(void **state)
{
	attach_ok(state, NULL);
	vblk_plug(disk);
	submit_ok(write_bio(0, 0));
	submit_ok(write_bio(1, BIO_BYTES / SECTOR_BYTES));

	assert_int_equal(vblk_submit(disk, &bios[0]), -VBLK_EBUSY);
	assert_int_equal(vblk_submit(disk, &bios[1]), -VBLK_EBUSY);
	assert_int_equal(stats_now().bios, 2);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(0, 2, 0);
	assert_true(on_disk(0, 0) && on_disk(1, BIO_BYTES / SECTOR_BYTES));
	assert_int_equal(fake_virtio_stats(fv)->writes, 1);
}

static void test_bio_in_flight_submitted_again_is_refused(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	submit_ok(write_bio(0, 0));

	assert_int_equal(vblk_submit(disk, &bios[0]), -VBLK_EBUSY);
	fake_virtio_complete_all(fv);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(0, 1, 0);
	/* Completed, it is the caller's again. */
	submit_ok(&bios[0]);
	assert_int_equal(vblk_drain(disk), 0);
	assert_int_equal(done_calls[0], 2);
}

/* Bio 0's callback submits bio 1, which shares its request and has not
 * been told its result yet: still vblk's, so refused. */
static void test_bio_whose_callback_has_not_run_is_refused(void **state)
{
	attach_ok(state, NULL);
	vblk_plug(disk);
	submit_ok(write_bio(0, 0));
	submit_ok(write_bio(1, BIO_BYTES / SECTOR_BYTES));
	resubmit = &bios[1];

	assert_int_equal(vblk_drain(disk), 0);
	assert_int_equal(resubmit_result, -VBLK_EBUSY);
	expect_done_once(0, 2, 0);
}

/* vblk owns nothing of a bio the caller did not zero: a stale owner
 * pointer does not make it "held". */
static void test_bio_with_a_stale_owner_is_accepted(void **state)
{
	attach_ok(state, NULL);
	struct vblk_bio *bio = write_bio(0, 0);
	bio->owner = disk;
	bio->next = bio;

	submit_ok(bio);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(0, 1, 0);
}

/* ==== 5. writes flushed at shutdown ===================================== */

/* A write-back disk (FLUSH offered): vblk_shutdown waits for the write
 * still queued, then flushes, then resets. */
static void test_shutdown_flushes_a_write_back_disk(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 5);
	submit_ok(write_bio(0, 0));

	assert_int_equal(vblk_shutdown(), 0);
	expect_done_once(0, 1, 0);
	assert_true(on_disk(0, 0));
	assert_int_equal(fake_virtio_stats(fv)->flushes, 1);
	fake_virtio_assert_clean(fv);
}

static void test_shutdown_sends_no_flush_to_a_write_through_disk(void **state)
{
	attach_ok(state, no_flush);
	assert_int_equal(vblk_write(disk, 0, buffer(0), 8), 0);
	assert_int_equal(vblk_shutdown(), 0);
	assert_int_equal(fake_virtio_stats(fv)->flushes, 0);
}

/* The flush fails: the data may not be durable, and vblk_shutdown says so
 * (the disk is forgotten all the same). */
static void test_shutdown_reports_a_failed_flush(void **state)
{
	attach_ok(state, NULL);
	assert_int_equal(vblk_write(disk, 0, buffer(0), 8), 0);
	fake_virtio_fail_request(fv, 1, FAKE_BLK_S_IOERR, FAKE_ONCE);

	assert_int_equal(vblk_shutdown(), -VBLK_EIO);
	assert_int_equal(vblk_disk_count(), 0);
}

/* ==== smaller things ==================================================== */

/* A modern device that gave up (DEVICE_NEEDS_RESET, as QEMU does for a
 * buffer outside guest RAM) fails a polled wait in about a millisecond,
 * not after the 10 s timeout. A legacy device cannot say so. */
static void test_polled_wait_notices_device_needs_reset(void **state)
{
	if (test_version(state) == 1)
		skip();
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	struct vblk_bio *bio = write_bio(0, 0);
	submit_ok(bio);
	fake_virtio_needs_reset(fv);

	uint64_t start_us = plat_time_us();
	assert_int_equal(vblk_wait_bios(disk, &bio, 1), -VBLK_EBROKEN);
	assert_true(plat_time_us() - start_us <= 2 * VBLK_STATUS_CHECK_US);
	expect_done_once(0, 1, -VBLK_EBROKEN);
}

/* vblk_reset keeps what the caller chose and what was counted. */
static void test_reset_keeps_interrupt_mode_and_statistics(void **state)
{
	attach_ok(state, NULL);
	use_interrupts();
	assert_int_equal(vblk_read(disk, 0, buffer(0), 8), 0);
	uint64_t requests = stats_now().requests;

	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(stats_now().requests, requests);
	uint64_t irqs = fake_virtio_stats(fv)->used_irqs;
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 200);
	assert_int_equal(vblk_read(disk, 0, buffer(0), 8), 0);
	assert_true(fake_virtio_stats(fv)->used_irqs > irqs);
	assert_int_equal(stats_now().requests, requests + 1);
}

#define BOTH(test) BOTH_TRANSPORTS(test, setup, disk_teardown)
/* And on a virtio-pci function, all but the stalled-reset shutdown,
 * which attaches its second device by a virtio-mmio address. There the
 * undefined interrupt bits are ISR bits 2-7: a read clears them, and a
 * device whose ISR keeps them is stopped as on MMIO (virtio/pci.c). */
#define ALL(test) ALL_TRANSPORTS(test, setup, disk_teardown), \
		  PACKED_TRANSPORTS(test, setup, disk_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALL(test_drain_sends_what_a_callback_plugged),
		ALL(test_drain_sends_what_a_callback_plugged_with_interrupts),
		ALL(test_wait_sends_what_a_callback_plugged),
		ALL(test_timeout_with_a_stalled_reset_holds_the_buffers),
		ALL(test_stalled_reset_leaves_a_flush_chain_in_the_table),
		ALL(test_stalled_reset_leaves_a_long_chain_in_the_table),
		ALL(test_reset_finished_during_a_stall_past_its_deadline_succeeds),
		ALL(test_vblk_reset_that_stalls_holds_what_was_in_flight),
		BOTH(test_shutdown_with_a_stalled_reset_sets_the_slot_aside),
		BOTH(test_attach_of_a_held_disks_window_reads_nothing),
		ALL(test_held_device_attached_again_is_not_reset_for_its_old_slot),
		ALL(test_a_full_table_takes_a_held_slot_only_once_its_device_resets),
		ALL(test_undefined_interrupt_bit_does_not_storm),
		ALL(test_undefined_interrupt_bit_that_sticks_stops_the_disk),
		ALL(test_used_bit_raised_between_the_two_status_reads_is_taken),
		ALL(test_completion_at_any_access_of_the_handler_is_taken),
		ALL(test_completion_at_any_ring_point_is_taken_once),
		ALL(test_completion_at_any_ring_point_of_submits_and_drain),
		ALL(test_completion_at_any_ring_point_of_a_plugged_batch),
		ALL(test_completion_at_any_ring_point_of_the_handler_is_taken),
		ALL(test_completion_at_any_ring_point_of_the_switch_to_interrupts),
		ALL(test_resize_at_any_ring_point_of_a_wait),
		ALL(test_needs_reset_at_any_ring_point_of_a_wait),
		ALL_TRANSPORTS(test_lost_notification_is_sent_again, setup, disk_teardown),
		ALL(test_request_passed_over_times_out),
		ALL(test_wait_for_a_request_passed_over_is_bounded),
		ALL(test_request_passed_over_behind_a_lower_slot_times_out),
		ALL(test_requests_completed_out_of_order_do_not_time_out),
		ALL(test_bio_queued_twice_is_refused),
		ALL(test_bio_in_flight_submitted_again_is_refused),
		ALL(test_bio_whose_callback_has_not_run_is_refused),
		ALL(test_bio_with_a_stale_owner_is_accepted),
		ALL(test_shutdown_flushes_a_write_back_disk),
		ALL(test_shutdown_sends_no_flush_to_a_write_through_disk),
		ALL(test_shutdown_reports_a_failed_flush),
		ALL(test_polled_wait_notices_device_needs_reset),
		ALL(test_reset_keeps_interrupt_mode_and_statistics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
