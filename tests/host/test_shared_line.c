/* SPDX-License-Identifier: MIT */
/*
 * Two disks on one interrupt line (a PCI INTx line is shared), the line's
 * one handler registered for either of them, and a synchronous read of
 * the polled one while the other's interrupt-driven callbacks act on it.
 *
 *  - The synchronous read's own polling loop (blk_sync_run) lets IRQs in
 *    between its looks. If, in one such window, the read's request was
 *    harvested by someone else and a callback sent a request of its own
 *    (two bios merged under a plug), the ring again held as many
 *    requests as the loop expected, and it took that request for its
 *    own: it ended its first bio only, and the second never completed
 *    (its callback never ran; vblk_drain said 0 with it outstanding).
 *  - The handler of a polled disk (registered for a line it shares)
 *    harvested that disk in the interrupt, ran its callbacks there and
 *    counted the interrupt, where vblk/bio.h says a polled disk's
 *    completions are found by its polling.
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
#include "host_platform.h"
#include "vring/ring.h"
#include "vblk/vblk.h"

#define BIO_BYTES 4096u
#define BIO_SECTORS (BIO_BYTES / 512u)

static uint8_t pool[32 * BIO_BYTES] VBLK_ALIGNED;
static uint8_t sync_buf[8 * BIO_BYTES] VBLK_ALIGNED;
static struct vblk_disk *disk_b;
static struct fake_virtio *fv_b;
static bool in_irq, cb_in_irq[MAX_BIOS], trick_done, poll_b_first;
static int cb_rc;

static uint8_t *buffer(unsigned i)
{
	return pool + (size_t)i * BIO_BYTES;
}

static void done(struct vblk_bio *bio, int status);

/* A's callback (in A's interrupt): [vblk_poll(B),] then two adjacent
 * 4 KiB writes to B under a plug: one request of two bios. */
static void a_callback_action(void)
{
	if (poll_b_first)
		(void)vblk_poll(disk_b);
	vblk_plug(disk_b);
	memset(buffer(20), 0x20, BIO_BYTES);
	memset(buffer(21), 0x21, BIO_BYTES);
	make_bio(20, VBLK_OP_WRITE, 512, buffer(20), BIO_BYTES, done);
	make_bio(21, VBLK_OP_WRITE, 512 + BIO_SECTORS, buffer(21), BIO_BYTES, done);
	cb_rc = vblk_submit(disk_b, &bios[20]);
	if (!cb_rc)
		cb_rc = vblk_submit(disk_b, &bios[21]);
	vblk_unplug(disk_b);
}

static void done(struct vblk_bio *bio, int status)
{
	unsigned idx = log_done(bio, status);
	cb_in_irq[idx] = in_irq;
	if (idx == 0 && bio->owner == NULL && status == 0 && trick_done && cb_rc == 1)
		a_callback_action();
}

static void irq(struct vblk_disk *handler_disk)
{
	in_irq = true;
	vblk_irq_handler(handler_disk);
	in_irq = false;
}

/* The line's one handler is `ctx`'s. The first time A's device raises
 * it, B's device has just finished the thread's read (its first
 * completion: it interrupts although B is polled). */
static void line(struct fake_virtio *device, void *ctx)
{
	if (!trick_done && device != fv_b) {
		trick_done = true;
		assert_int_equal(fake_virtio_complete_some(fv_b, 1), 1);
		irq(ctx);
		fake_virtio_set_completion(fv_b, FAKE_COMPLETE_DEFERRED, 1);
		return;
	}
	irq(ctx);
}

static int setup(void **state)
{
	disk_setup(state);
	bio_log_reset();
	host_set_relax_limit(20u * VBLK_RESET_TIMEOUT_US);
	in_irq = trick_done = poll_b_first = false;
	memset(cb_in_irq, 0, sizeof(cb_in_irq));
	cb_rc = 1;
	return 0;
}

/* A (the test's disk) and B on one line (both TEST_INTID), whose one
 * handler is `owner`'s. */
static void two_disks(void **state, bool owner_is_b)
{
	attach_ok(state, NULL);
	fv_b = make_device(test_version(state), NULL);
	int index = attach_device(fv_b);
	assert_true(index >= 0);
	disk_b = vblk_disk((unsigned)index);
	/* Same TEST_INTID: one line. */
	assert_int_equal(vblk_disk_info(disk_b)->intid, vblk_disk_info(disk)->intid);
	struct vblk_disk *owner = owner_is_b ? disk_b : disk;
	fake_virtio_set_irq_hook(fv, line, owner);
	fake_virtio_set_irq_hook(fv_b, line, owner);
}

/* vblk_read(B) (B polled, one request) runs blk_sync_run's own harvest
 * loop. In one of its windows with IRQs open, B's request is completed
 * by someone else and A's callback puts a two-bio request in its place:
 * as many in flight as the loop expects. Every bio of B completes once. */
static void expect_every_bio_of_b_completes(void **state, bool via_poll)
{
	/* The line's handler is A's and A's callback polls B; or it is B's
	 * (polled), "for any disk on it". */
	two_disks(state, !via_poll);
	poll_b_first = via_poll;
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 2);
	fake_virtio_set_completion(fv_b, FAKE_COMPLETE_HELD, 0);
	memset(pool, 0x55, BIO_BYTES);
	make_bio(0, VBLK_OP_WRITE, 0, buffer(0), BIO_BYTES, done);
	assert_int_equal(vblk_submit(disk, &bios[0]), 0);

	assert_int_equal(vblk_read(disk_b, 0, sync_buf, 64), 0);
	assert_true(trick_done);
	assert_int_equal(cb_rc, 0);
	assert_int_equal(vblk_drain(disk_b), 0);
	assert_int_equal(vblk_drain(disk), 0);
	assert_int_equal(done_calls[20], 1);
	assert_int_equal(done_calls[21], 1);   /* was 0: never completed */
}

static void test_sync_read_leaves_a_callbacks_request_alone_handler_of_b(void **state)
{
	expect_every_bio_of_b_completes(state, false);
}

static void test_sync_read_leaves_a_callbacks_request_alone_callback_polls_b(void **state)
{
	expect_every_bio_of_b_completes(state, true);
}

/* bio.h: the handler of any disk on a line takes the interrupt "of all:
 * those in interrupt mode as their own handler would, polled ones only
 * so far as to lower the line (their completions are still found by
 * polling)". With the line's handler registered for the polled disk B,
 * B's bios complete inside the interrupt. */
static void test_polled_disk_is_only_acknowledged_by_its_own_handler(void **state)
{
	two_disks(state, true);
	trick_done = true;   /* no trick */
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	fake_virtio_set_completion(fv_b, FAKE_COMPLETE_DEFERRED, 3);
	make_bio(1, VBLK_OP_WRITE, 0, buffer(1), BIO_BYTES, done);
	assert_int_equal(vblk_submit(disk_b, &bios[1]), 0);
	assert_int_equal(vblk_drain(disk_b), 0);
	assert_int_equal(done_calls[1], 1);
	struct vblk_stats st;
	vblk_stats(disk_b, &st);
	assert_int_equal(st.interrupts, 0);   /* was 1 */
	assert_false(cb_in_irq[1]);           /* was run in the interrupt */
}

/*
 * The line's handler with both devices running beside the CPU. A and B
 * hold two writes each; A's device completes the older of its two and
 * interrupts, and the line's handler (A's, or the polled B's) runs. At
 * the 1st, 2nd, ... ring point of that run, until it has none left,
 * A's device or B's completes one more of its own (the oldest or the
 * newest). Once the handler returns with A's line down, nothing waits in
 * A's used ring (no interrupt would announce it: the handler looked
 * again after asking for interrupts), and A's completed bios have been
 * told; B's are told by its polling only, never in the interrupt, and
 * B counts no interrupt. Then each bio of either completes once, on its
 * disk.
 */
#define RING_POINTS_MAX 64u

static bool on_disk_of(struct fake_virtio *device, unsigned idx, uint64_t sector)
{
	return memcmp(fake_virtio_disk(device) + sector * 512u, buffer(idx), BIO_BYTES) == 0;
}

static void completion_at_any_ring_point_of_the_lines_handler(void **state, bool owner_is_b)
{
	enum { BIOS = 2 };

	two_disks(state, owner_is_b);
	trick_done = true;   /* no trick */
	cb_rc = 0;
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	for (unsigned on_b = 0; on_b < 2; on_b++) {
		struct fake_virtio *target = on_b ? fv_b : fv;
		unsigned swept = 0;
		for (unsigned nth = 1; nth <= RING_POINTS_MAX; nth++) {
			unsigned a = 1 + 2 * BIOS * (nth % 4), b = a + BIOS;
			bio_log_reset();
			memset(cb_in_irq, 0, sizeof(cb_in_irq));
			fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
			fake_virtio_set_completion(fv_b, FAKE_COMPLETE_HELD, 0);
			for (unsigned i = 0; i < BIOS; i++) {
				memset(buffer(a + i), (int)(0x60 + a + i), BIO_BYTES);
				memset(buffer(b + i), (int)(0x60 + b + i), BIO_BYTES);
				make_bio(a + i, VBLK_OP_WRITE, 8u * (a + i), buffer(a + i), BIO_BYTES, done);
				make_bio(b + i, VBLK_OP_WRITE, 8u * (b + i), buffer(b + i), BIO_BYTES, done);
				assert_int_equal(vblk_submit(disk, &bios[a + i]), 0);
				assert_int_equal(vblk_submit(disk_b, &bios[b + i]), 0);
			}
			unsigned before = fake_virtio_at_fired(target);
			fake_virtio_at_access(target, &(struct fake_virtio_at){
				.kind = FAKE_AT_RING_POINT, .nth = nth,
				.event = nth % 2 ? FAKE_EVENT_COMPLETE_OLDEST : FAKE_EVENT_COMPLETE_NEWEST });
			plat_irqflags_t flags = plat_irq_save();
			assert_int_equal(fake_virtio_complete_some(fv, 1), 1);
			plat_irq_restore(flags);   /* the line's handler runs here */
			bool fired = fake_virtio_at_fired(target) != before;
			fake_virtio_at_cancel(target);

			if (!fake_virtio_irq_pending(fv))
				assert_false(vring_has_used(&disk->dev.ring));
			unsigned told = 0;
			for (unsigned i = 0; i < BIOS; i++) {
				told += done_calls[a + i];
				assert_int_equal(done_calls[b + i], 0);   /* B's: its polling's */
			}
			assert_int_equal(told + fake_virtio_pending(fv), BIOS);

			fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
			fake_virtio_set_completion(fv_b, FAKE_COMPLETE_IMMEDIATE, 0);
			fake_virtio_complete_all(fv);
			fake_virtio_complete_all(fv_b);
			assert_int_equal(vblk_drain(disk), 0);
			assert_int_equal(vblk_drain(disk_b), 0);
			for (unsigned i = 0; i < BIOS; i++) {
				assert_int_equal(done_calls[a + i], 1);
				assert_int_equal(done_status[a + i], 0);
				assert_true(on_disk_of(fv, a + i, 8u * (a + i)));
				assert_int_equal(done_calls[b + i], 1);
				assert_int_equal(done_status[b + i], 0);
				assert_false(cb_in_irq[b + i]);
				assert_true(on_disk_of(fv_b, b + i, 8u * (b + i)));
			}
			assert_false(fake_virtio_irq_pending(fv));
			if (!fired)
				break;
			swept++;
		}
		/* The handler's harvest of A, its request for interrupts and
		 * the look after it. */
		assert_true(swept >= 3);
		assert_true(swept < RING_POINTS_MAX);
	}
	struct vblk_stats st;
	vblk_stats(disk_b, &st);
	assert_int_equal(st.interrupts, 0);
	fake_virtio_assert_clean(fv);
	fake_virtio_assert_clean(fv_b);
}

static void test_completion_at_any_ring_point_of_the_lines_handler_of_a(void **state)
{
	completion_at_any_ring_point_of_the_lines_handler(state, false);
}

static void test_completion_at_any_ring_point_of_the_lines_handler_of_b(void **state)
{
	completion_at_any_ring_point_of_the_lines_handler(state, true);
}

#define ALL(name) ALL_TRANSPORTS(name, setup, disk_teardown), \
		  PACKED_TRANSPORTS(name, setup, disk_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALL(test_sync_read_leaves_a_callbacks_request_alone_handler_of_b),
		ALL(test_sync_read_leaves_a_callbacks_request_alone_callback_polls_b),
		ALL(test_polled_disk_is_only_acknowledged_by_its_own_handler),
		ALL(test_completion_at_any_ring_point_of_the_lines_handler_of_a),
		ALL(test_completion_at_any_ring_point_of_the_lines_handler_of_b),
	};
	return cmocka_run_group_tests_name("shared_line", tests, NULL, NULL);
}
