/* SPDX-License-Identifier: MIT */
/*
 * Interleavings of the block layer (blk/api.c's synchronous path beside
 * the queue, callbacks, resets, resizes and a device that breaks part
 * way), against the fake device on every transport and ring format:
 *
 *  - a callback that calls back into vblk: a synchronous read, write or
 *    flush of the same disk or of another one, a reset of its own disk,
 *    a switch of the interrupt mode;
 *  - a synchronous call while another submitter's bios are in flight,
 *    plugged, or waiting for ring space, and a FLUSH behind them;
 *  - a synchronous batch of 8 requests that the device breaks half way
 *    (bad used id, used.idx jump, bad length, an unknown status byte), or
 *    that times out with part of it complete;
 *  - a resize that shrinks the disk during a synchronous call.
 *
 * Each checks that every bio completes exactly once with a documented
 * status, that no call hangs (the relax limit), that the data is what was
 * written, and that the disk works again afterwards (a vblk_reset where
 * it stopped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bio_log.h"
#include "blk/disk.h"
#include "disk_fixture.h"
#include "fake_virtio.h"
#include "vblk/vblk.h"

#define SECTOR_BYTES     512u
#define BIO_BYTES        4096u
#define BIO_SECTORS      (BIO_BYTES / SECTOR_BYTES)
#define SHORT_TIMEOUT_US 5000u
/* A test that would hang ends here instead (the default is 100 s). */
#define HANG_RELAXES     (20u * VBLK_RESET_TIMEOUT_US)
/* A synchronous batch: 8 requests of one 4 KiB descriptor each. */
#define BATCH_REQS       8u
#define BATCH_SECTORS    (BATCH_REQS * BIO_SECTORS)

static uint8_t pool[64 * BIO_BYTES] VBLK_ALIGNED;
static uint8_t sync_buf[2 * BATCH_REQS * BIO_BYTES] VBLK_ALIGNED;

static uint8_t *buffer(unsigned idx)
{
	return pool + (size_t)idx * BIO_BYTES;
}

static uint8_t *disk_at(struct fake_virtio *device, uint64_t sector)
{
	return fake_virtio_disk(device) + sector * SECTOR_BYTES;
}

static void fill(uint8_t *mem, size_t len_bytes, uint8_t seed)
{
	for (size_t i = 0; i < len_bytes; i++)
		mem[i] = (uint8_t)(i * 13u + seed + i / SECTOR_BYTES);
}

/* ---- the world acting at a chosen moment ------------------------------ */

/* host_at_relax (tests/host/host_platform.h) runs the device's or the
 * host's part at a chosen host_cpu_relax() inside a call. */

/* ---- callbacks --------------------------------------------------------- */

enum action {
	ACT_NONE,
	ACT_RESET,          /* vblk_reset of its own disk */
	ACT_READ,           /* vblk_read of `act_disk` */
	ACT_WRITE,          /* vblk_write of `act_disk` */
	ACT_FLUSH,          /* vblk_flush of `act_disk` */
	ACT_POLLED,         /* vblk_use_interrupts(false) */
	ACT_INTERRUPTS,     /* vblk_use_interrupts(true) */
	ACT_DRAIN,          /* vblk_drain of its own disk */
	ACT_WAIT_NEXT,      /* vblk_wait_bios for the bio after it */
	ACT_POLL,           /* vblk_poll of its own disk */
	ACT_RESET_OTHER,    /* vblk_reset of `act_disk` */
	ACT_SHUTDOWN,       /* vblk_shutdown */
	ACT_INIT_FROM_DT,   /* vblk_init_from_dt of QEMU virt's tree */
};

/* What bio `act_bio`'s callback does, once; its result. */
static unsigned act_bio;
static enum action act;
static struct vblk_disk *act_disk;
static uint64_t act_sector;
static int act_rc;
static bool act_done;
static bool in_irq;
static bool act_in_irq;

static int setup(void **state)
{
	disk_setup(state);
	bio_log_reset();
	host_set_relax_limit(HANG_RELAXES);
	act = ACT_NONE;
	act_done = false;
	act_rc = 1;
	act_disk = NULL;
	in_irq = act_in_irq = false;
	memset(sync_buf, 0, sizeof(sync_buf));
	return 0;
}

static void done(struct vblk_bio *bio, int status)
{
	unsigned idx = log_done(bio, status);

	if (idx != act_bio || act == ACT_NONE || act_done)
		return;
	act_done = true;
	act_in_irq = in_irq;
	switch (act) {
	case ACT_RESET:
		act_rc = vblk_reset(disk);
		break;
	case ACT_READ:
		act_rc = vblk_read(act_disk, act_sector, sync_buf, BATCH_SECTORS);
		break;
	case ACT_WRITE:
		act_rc = vblk_write(act_disk, act_sector, sync_buf, BATCH_SECTORS);
		break;
	case ACT_FLUSH:
		act_rc = vblk_flush(act_disk);
		break;
	case ACT_POLLED:
		act_rc = vblk_use_interrupts(disk, false);
		break;
	case ACT_INTERRUPTS:
		act_rc = vblk_use_interrupts(disk, true);
		break;
	case ACT_DRAIN:
		act_rc = vblk_drain(disk);
		break;
	case ACT_WAIT_NEXT: {
		struct vblk_bio *next = &bios[idx + 1];
		act_rc = vblk_wait_bios(disk, &next, 1);
		break;
	}
	case ACT_POLL:
		act_rc = vblk_poll(disk);
		break;
	case ACT_RESET_OTHER:
		act_rc = vblk_reset(act_disk);
		break;
	case ACT_SHUTDOWN:
		act_rc = vblk_shutdown();
		break;
	case ACT_INIT_FROM_DT: {
		size_t len_bytes;
		uint8_t *blob = load_test_dtb("qemu-virt.dtb", 0, &len_bytes);
		act_rc = vblk_init_from_dt(blob, len_bytes);
		free(blob);
		break;
	}
	case ACT_NONE:
		break;
	}
}

static struct vblk_bio *write_bio(unsigned idx, uint64_t sector)
{
	fill(buffer(idx), BIO_BYTES, (uint8_t)(0x40 + idx));
	return make_bio(idx, VBLK_OP_WRITE, sector, buffer(idx), BIO_BYTES, done);
}

static void submit_ok(struct vblk_bio *bio)
{
	assert_int_equal(vblk_submit(disk, bio), 0);
}

static void take_interrupt(struct fake_virtio *device, void *ctx)
{
	(void)device;
	in_irq = true;
	vblk_irq_handler(ctx);
	in_irq = false;
}

static void use_interrupts(struct fake_virtio *device, struct vblk_disk *target)
{
	fake_virtio_set_irq_hook(device, take_interrupt, target);
	assert_int_equal(vblk_use_interrupts(target, true), 0);
}

/* Each of bios [first, first + count) completed once with one of `a`, `b`. */
static void expect_done_once_with(unsigned first, unsigned count, int a, int b)
{
	for (unsigned i = first; i < first + count; i++) {
		assert_int_equal(done_calls[i], 1);
		assert_true(done_status[i] == a || done_status[i] == b);
		assert_true(bios[i].completed);
	}
}

/* The disk works: a write and a read back of 8 requests. */
static void expect_disk_works(struct vblk_disk *target, struct fake_virtio *device)
{
	static uint8_t back[BATCH_REQS * BIO_BYTES] VBLK_ALIGNED;

	fill(sync_buf, BATCH_REQS * BIO_BYTES, 0x99);
	assert_int_equal(vblk_write(target, 256, sync_buf, BATCH_SECTORS), 0);
	assert_memory_equal(disk_at(device, 256), sync_buf, BATCH_REQS * BIO_BYTES);
	memset(back, 0, sizeof(back));
	assert_int_equal(vblk_read(target, 256, back, BATCH_SECTORS), 0);
	assert_memory_equal(back, sync_buf, sizeof(back));
}

/* One 4 KiB descriptor per request: a 32 KiB call is a batch of 8. */
static void one_page_requests(struct fake_virtio_opts *opts)
{
	opts->features |= FAKE_BIT(FAKE_F_BLK_SEG_MAX) | FAKE_BIT(FAKE_F_BLK_SIZE_MAX);
	opts->seg_max = 1;
	opts->size_max_bytes = BIO_BYTES;
}

/* ==== 1. a callback that calls back into vblk =========================== */

/*
 * Bios 0 and 1 are one request (merged under a plug), bio 2 another; the
 * callback of bio 0 asks for a reset of its disk (vblk_reset) before bio
 * 1 of the same request has been told. A callback must not reset its
 * disk (vblk/bio.h): the reset re-initialised the queue under the loop
 * that was telling the request's bios, and bio 1 was never completed (its
 * wait then said -VBLK_EINVAL, "never submitted"). It is refused with
 * -VBLK_ESTATE, and every bio completes once, with the device's status.
 * The same with vblk_shutdown, which resets and forgets every disk, the
 * one whose callback loop runs included (the caller's wait then said
 * -VBLK_ESTATE), and vblk_init_from_dt, which begins with a shutdown:
 * refused, nothing done; the disk is still attached and works.
 */
static void expect_refused_in_callback(void **state, enum action what, bool interrupts)
{
	attach_ok(state, NULL);
	if (interrupts)
		use_interrupts(fv, disk);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 3);
	vblk_plug(disk);
	submit_ok(write_bio(0, 0));
	submit_ok(write_bio(1, BIO_SECTORS));
	submit_ok(write_bio(2, 64));
	act_bio = 0;
	act = what;
	vblk_unplug(disk);

	struct vblk_bio *waits[] = { &bios[0], &bios[1], &bios[2] };
	assert_int_equal(vblk_wait_bios(disk, waits, 3), 0);
	assert_true(act_done);
	assert_int_equal(act_rc, -VBLK_ESTATE);
	expect_done_once_with(0, 3, 0, 0);
	assert_true(memcmp(disk_at(fv, 0), buffer(0), BIO_BYTES) == 0);
	assert_true(memcmp(disk_at(fv, BIO_SECTORS), buffer(1), BIO_BYTES) == 0);
	assert_true(memcmp(disk_at(fv, 64), buffer(2), BIO_BYTES) == 0);
	assert_int_equal(vblk_disk_count(), 1);
	assert_ptr_equal(vblk_disk(0), disk);
	assert_int_equal(fake_virtio_stats(fv)->resets, 1);   /* attach's only */
	assert_int_equal(vblk_drain(disk), 0);
	expect_disk_works(disk, fv);
	fake_virtio_assert_clean(fv);
}

static void test_reset_in_a_callback_loses_no_bio_of_its_request(void **state)
{
	expect_refused_in_callback(state, ACT_RESET, false);
}

static void test_reset_in_an_interrupt_callback_loses_no_bio_of_its_request(void **state)
{
	expect_refused_in_callback(state, ACT_RESET, true);
}

static void test_shutdown_in_a_callback_is_refused(void **state)
{
	expect_refused_in_callback(state, ACT_SHUTDOWN, false);
}

static void test_shutdown_in_an_interrupt_callback_is_refused(void **state)
{
	expect_refused_in_callback(state, ACT_SHUTDOWN, true);
}

static void test_init_from_dt_in_a_callback_is_refused(void **state)
{
	expect_refused_in_callback(state, ACT_INIT_FROM_DT, false);
}

/* A reset that fails the queue (here vblk_reset's own, -VBLK_ECANCELED)
 * runs the callbacks of what it fails: one that asks for a reset again is
 * refused as well, rather than initialise the device a second time inside
 * the first initialisation. */
static void test_reset_in_a_callback_of_a_canceled_bio_is_refused(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	submit_ok(write_bio(0, 0));
	submit_ok(write_bio(1, 64));
	act_bio = 0;
	act = ACT_RESET;
	assert_int_equal(vblk_reset(disk), 0);
	assert_true(act_done);
	assert_int_equal(act_rc, -VBLK_ESTATE);
	expect_done_once_with(0, 2, -VBLK_ECANCELED, -VBLK_ECANCELED);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	expect_disk_works(disk, fv);
	fake_virtio_assert_clean(fv);
}

/* A FLUSH on a write-through disk completes inside vblk_submit, callback
 * included: a reset asked for there is refused as from any callback. */
static void test_reset_in_the_callback_of_an_empty_flush_is_refused(void **state)
{
	attach_ok(state, no_flush);
	make_bio(0, VBLK_OP_FLUSH, 0, NULL, 0, done);
	act_bio = 0;
	act = ACT_RESET;
	submit_ok(&bios[0]);
	assert_true(act_done);
	assert_int_equal(act_rc, -VBLK_ESTATE);
	expect_done_once_with(0, 1, 0, 0);
	assert_int_equal(fake_virtio_stats(fv)->resets, 1);
	expect_disk_works(disk, fv);
	fake_virtio_assert_clean(fv);
}

/*
 * A timeout stops the disk and completes what it held, callbacks included;
 * the first callback waits on the disk (vblk_drain, or vblk_wait_bios for
 * a bio still in flight) or polls it. vblk/bio.h forbids a callback to
 * wait, but such a wait must not hang: the disk is stopped and the bios
 * it waits for are completed only once the callback has returned (the
 * wait spun for ever: nothing to harvest, and no timeout for a stopped
 * disk). It returns at once with the disk's error.
 */
static void expect_wait_in_a_failing_callback_returns(void **state, enum action what, unsigned bio)
{
	attach_ok(state, NULL);
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	for (unsigned i = 0; i < 3; i++)
		submit_ok(write_bio(i, 16u * i));
	act_bio = bio;
	act = what;
	/* The drain ends with the queue empty: 0, every bio completed. */
	assert_int_equal(vblk_drain(disk), 0);
	assert_true(act_done);
	assert_true(act_rc == -VBLK_EBROKEN || act_rc == -VBLK_ETIMEDOUT);
	expect_done_once_with(0, 3, -VBLK_ETIMEDOUT, -VBLK_ETIMEDOUT);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
	expect_disk_works(disk, fv);
	fake_virtio_assert_clean(fv);
}

static void test_drain_in_the_callback_of_a_timed_out_bio_returns(void **state)
{
	expect_wait_in_a_failing_callback_returns(state, ACT_DRAIN, 0);
}

static void test_wait_in_the_callback_of_a_timed_out_bio_returns(void **state)
{
	expect_wait_in_a_failing_callback_returns(state, ACT_WAIT_NEXT, 0);
}

static void test_poll_in_the_callback_of_a_timed_out_bio_returns(void **state)
{
	expect_wait_in_a_failing_callback_returns(state, ACT_POLL, 0);
}

/* In the callback of the last bio the stop tells, nothing is left in the
 * queue: still the disk's error, not the 0 of a drained queue. */
static void test_drain_in_the_last_callback_of_a_stop_returns_the_disks_error(void **state)
{
	expect_wait_in_a_failing_callback_returns(state, ACT_DRAIN, 2);
}

/*
 * Bios 0 and 1 are one request; bio 0's callback waits for bio 1, which
 * the same loop tells only once that callback returns. The wait cannot
 * succeed (a callback must not wait, vblk/bio.h), and said -VBLK_EINVAL,
 * "never submitted", of a bio that was submitted and completes a moment
 * later. It says -VBLK_ESTATE: a call not valid here.
 */
static void test_wait_for_a_bio_of_the_same_request_in_a_callback(void **state)
{
	attach_ok(state, NULL);
	vblk_plug(disk);
	submit_ok(write_bio(0, 0));
	submit_ok(write_bio(1, BIO_SECTORS));
	act_bio = 0;
	act = ACT_WAIT_NEXT;
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);
	assert_true(act_done);
	assert_int_equal(act_rc, -VBLK_ESTATE);
	expect_done_once_with(0, 2, 0, 0);
	/* Never submitted is still -VBLK_EINVAL. */
	struct vblk_bio *never = write_bio(2, 64);
	assert_int_equal(vblk_wait_bios(disk, &never, 1), -VBLK_EINVAL);
	fake_virtio_assert_clean(fv);
}

/*
 * A callback reads 8 requests' worth of the same disk while other bios of
 * its submitter are in flight: the read returns the disk's data, every
 * bio completes once, and nothing is written where it should not be.
 */
static void expect_sync_call_in_callback(void **state, enum action what, bool interrupts)
{
	attach_ok(state, one_page_requests);
	if (interrupts)
		use_interrupts(fv, disk);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 5);
	fill(disk_at(fv, 512), BATCH_REQS * BIO_BYTES, 0x21);
	if (what == ACT_WRITE)
		fill(sync_buf, BATCH_REQS * BIO_BYTES, 0x37);
	for (unsigned i = 0; i < 4; i++)
		submit_ok(write_bio(i, 16u * i));
	act_bio = 1;
	act = what;
	act_disk = disk;
	act_sector = 512;

	assert_int_equal(vblk_drain(disk), 0);
	assert_true(act_done);
	assert_int_equal(act_rc, 0);
	expect_done_once_with(0, 4, 0, 0);
	for (unsigned i = 0; i < 4; i++)
		assert_memory_equal(disk_at(fv, 16u * i), buffer(i), BIO_BYTES);
	if (what == ACT_READ || what == ACT_WRITE)
		assert_memory_equal(sync_buf, disk_at(fv, 512), BATCH_REQS * BIO_BYTES);
	expect_disk_works(disk, fv);
	fake_virtio_assert_clean(fv);
}

static void test_callback_reads_the_same_disk(void **state)
{
	expect_sync_call_in_callback(state, ACT_READ, false);
}

static void test_interrupt_callback_reads_the_same_disk(void **state)
{
	expect_sync_call_in_callback(state, ACT_READ, true);
}

static void test_callback_writes_the_same_disk(void **state)
{
	expect_sync_call_in_callback(state, ACT_WRITE, false);
}

static void test_callback_flushes_the_same_disk(void **state)
{
	expect_sync_call_in_callback(state, ACT_FLUSH, false);
}

static void test_interrupt_callback_flushes_the_same_disk(void **state)
{
	expect_sync_call_in_callback(state, ACT_FLUSH, true);
}

/* A callback of disk A reads disk B (polled or with interrupts on both). */
static void expect_callback_reads_another_disk(void **state, bool interrupts)
{
	attach_ok(state, NULL);
	struct fake_virtio *fv_b = make_device(test_version(state), one_page_requests);
	int index = attach_device(fv_b);
	assert_true(index >= 0);
	struct vblk_disk *disk_b = vblk_disk((unsigned)index);
	if (interrupts) {
		use_interrupts(fv, disk);
		use_interrupts(fv_b, disk_b);
	}
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 4);
	fake_virtio_set_completion(fv_b, FAKE_COMPLETE_DEFERRED, 6);
	fill(disk_at(fv_b, 128), BATCH_REQS * BIO_BYTES, 0x5c);
	for (unsigned i = 0; i < 3; i++)
		submit_ok(write_bio(i, 16u * i));
	act_bio = 0;
	act = ACT_READ;
	act_disk = disk_b;
	act_sector = 128;

	assert_int_equal(vblk_drain(disk), 0);
	assert_true(act_done);
	assert_int_equal(act_rc, 0);
	assert_memory_equal(sync_buf, disk_at(fv_b, 128), BATCH_REQS * BIO_BYTES);
	expect_done_once_with(0, 3, 0, 0);
	expect_disk_works(disk_b, fv_b);
	expect_disk_works(disk, fv);
	fake_virtio_assert_clean(fv_b);
}

static void test_callback_reads_another_disk(void **state)
{
	expect_callback_reads_another_disk(state, false);
}

static void test_interrupt_callback_reads_another_disk(void **state)
{
	expect_callback_reads_another_disk(state, true);
}

/*
 * Two disks on one interrupt line (a PCI INTx line is shared: on QEMU
 * virt slots 2 and 6 interrupt together), with vblk_irq_handler
 * registered for disk A only, as a controller allows one handler per
 * line. Whenever disk B's device raises the line, the CPU runs A's
 * handler, and B's line must be down when it returns: a level-triggered
 * line left up is taken again at once, for ever (the guest hung so on
 * QEMU with B polled and A interrupt-driven).
 */
static struct vblk_disk *line_owner;
static struct fake_virtio *line_mate;
static unsigned line_mate_takes, line_left_up;

static struct vblk_stats stats_of(const struct vblk_disk *target)
{
	struct vblk_stats stats;

	vblk_stats(target, &stats);
	return stats;
}

static void take_shared_line(struct fake_virtio *device, void *ctx)
{
	static unsigned depth;

	(void)ctx;
	/* A line left up is delivered again as the handler unmasks: the
	 * storm, which here would recurse until the stack ran out. Counted
	 * and asserted after the test (failing inside the handler would
	 * unwind through the driver). */
	if (depth > 0 && fake_virtio_irq_pending(line_mate)) {
		line_left_up++;
		return;
	}
	depth++;
	line_mate_takes++;
	take_interrupt(device, line_owner);
	if (fake_virtio_irq_pending(line_mate))
		line_left_up++;
	depth--;
}

static struct vblk_disk *attach_line_mate(void **state)
{
	attach_ok(state, NULL);
	line_mate = make_device(test_version(state), NULL);
	int index = attach_device(line_mate);
	assert_true(index >= 0);
	struct vblk_disk *disk_b = vblk_disk((unsigned)index);
	assert_int_equal(vblk_disk_info(disk_b)->intid, vblk_disk_info(disk)->intid);
	line_owner = disk;
	line_mate_takes = line_left_up = 0;
	use_interrupts(fv, disk);
	fake_virtio_set_irq_hook(line_mate, take_shared_line, NULL);
	return disk_b;
}

/* B polled: its device interrupts all the same at the first completion
 * (QEMU and the fake do, whatever used_event says). A's handler lowers
 * B's line, and B's reads stay its own: found by its polling, with no
 * callback of B in the interrupt. */
static void test_line_shared_with_a_polled_disk_is_lowered_by_the_other_handler(void **state)
{
	struct vblk_disk *disk_b = attach_line_mate(state);

	fill(disk_at(line_mate, 64), BATCH_REQS * BIO_BYTES, 0x3c);
	fake_virtio_set_completion(line_mate, FAKE_COMPLETE_DEFERRED, 2);
	host_set_relax_limit(host_relax_count() + HANG_RELAXES);
	for (unsigned round = 0; round < 3; round++) {
		memset(sync_buf, 0, sizeof(sync_buf));
		assert_int_equal(vblk_read(disk_b, 64, sync_buf, BATCH_SECTORS), 0);
		assert_memory_equal(sync_buf, disk_at(line_mate, 64), BATCH_REQS * BIO_BYTES);
	}
	/* (A packed ring's DISABLE flag keeps the device quiet from the
	 * start: QEMU and the fake honour it at the first completion too.) */
	if (!test_is_packed(state))
		assert_true(line_mate_takes > 0);
	assert_int_equal(line_left_up, 0);
	assert_int_equal(stats_of(disk_b).interrupts, 0);
	expect_disk_works(disk, fv);
	expect_disk_works(disk_b, line_mate);
	fake_virtio_assert_clean(line_mate);
}

/* B in interrupt mode too, its handler never registered (the line has
 * one already): A's handler completes B's bios, callbacks and all. */
static void test_line_shared_with_an_interrupt_driven_disk_completes_both(void **state)
{
	struct vblk_disk *disk_b = attach_line_mate(state);

	assert_int_equal(vblk_use_interrupts(disk_b, true), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 3);
	fake_virtio_set_completion(line_mate, FAKE_COMPLETE_DEFERRED, 5);
	for (unsigned i = 0; i < 3; i++)
		submit_ok(write_bio(i, 16u * i));
	for (unsigned i = 3; i < 6; i++)
		assert_int_equal(vblk_submit(disk_b, write_bio(i, 16u * i)), 0);
	host_set_relax_limit(host_relax_count() + HANG_RELAXES);
	assert_int_equal(vblk_drain(disk_b), 0);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once_with(0, 6, 0, 0);
	for (unsigned i = 0; i < 3; i++) {
		assert_memory_equal(disk_at(fv, 16u * i), buffer(i), BIO_BYTES);
		assert_memory_equal(disk_at(line_mate, 16u * (i + 3)), buffer(i + 3), BIO_BYTES);
	}
	/* B has no handler: A's took its interrupts, and counts them on B
	 * as often as B's device raised one (on a packed ring the waits
	 * found every completion first: none). */
	assert_int_equal(line_left_up, 0);
	uint32_t raised_b = fake_virtio_stats(line_mate)->used_irqs;
	assert_true(stats_of(disk_b).interrupts <= raised_b);
	assert_int_equal(stats_of(disk_b).interrupts > 0, raised_b > 0);
	assert_int_equal(stats_of(disk_b).missed_interrupts, 0);
	expect_disk_works(disk_b, line_mate);
	fake_virtio_assert_clean(line_mate);
}

/*
 * A callback switches the interrupt mode while a wait runs. Switched to
 * polled, the device is asked not to interrupt from then on (virtio 1.2
 * §2.7.7, §2.8.10): later completions raise none. (The wait had turned
 * interrupts off while it spun, irq_quiet, and turned them back on as it
 * ended, although the disk was polled by then: every later completion
 * interrupted.) Switched to interrupts, they arrive through the handler.
 */
static void test_callback_switches_to_polled_mode_during_a_wait(void **state)
{
	attach_ok(state, NULL);
	use_interrupts(fv, disk);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 3);
	for (unsigned i = 0; i < 3; i++)
		submit_ok(write_bio(i, 16u * i));
	act_bio = 0;
	act = ACT_POLLED;
	assert_int_equal(vblk_drain(disk), 0);
	assert_true(act_done);
	assert_int_equal(act_rc, 0);
	expect_done_once_with(0, 3, 0, 0);

	/* Polled now: bios complete through vblk_poll, with no interrupt. */
	uint32_t irqs = fake_virtio_stats(fv)->used_irqs;
	fake_virtio_set_irq_hook(fv, NULL, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	submit_ok(write_bio(3, 64));
	submit_ok(write_bio(4, 96));
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once_with(3, 2, 0, 0);
	expect_disk_works(disk, fv);
	assert_int_equal(fake_virtio_stats(fv)->used_irqs, irqs);
	fake_virtio_assert_clean(fv);
}

static void test_callback_switches_to_interrupts_during_a_wait(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 3);
	for (unsigned i = 0; i < 3; i++)
		submit_ok(write_bio(i, 16u * i));
	act_bio = 0;
	act = ACT_INTERRUPTS;
	assert_int_equal(vblk_drain(disk), 0);
	assert_true(act_done);
	assert_int_equal(act_rc, 0);
	expect_done_once_with(0, 3, 0, 0);

	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, VBLK_IRQ_POLL_US + 100u);
	submit_ok(write_bio(3, 64));
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once_with(3, 1, 0, 0);
	assert_true(done_calls[3] == 1);
	expect_disk_works(disk, fv);
	fake_virtio_assert_clean(fv);
}

/* ==== 2. a synchronous call beside another submitter's bios ============ */

/* Bios in flight, plugged, or waiting for ring space (a ring of 8
 * descriptors without indirect tables: two requests fit). */
enum beside { IN_FLIGHT, PLUGGED, WAITING_FOR_ROOM };

static void small_direct_ring(struct fake_virtio_opts *opts)
{
	one_page_requests(opts);
	opts->queue_num_max = 8;
	without_indirect(opts);
}

static void expect_sync_beside(void **state, enum beside beside, bool interrupts)
{
	attach_ok(state, beside == WAITING_FOR_ROOM ? small_direct_ring : one_page_requests);
	if (interrupts)
		use_interrupts(fv, disk);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 4);
	if (beside == PLUGGED)
		vblk_plug(disk);
	for (unsigned i = 0; i < 6; i++)
		submit_ok(write_bio(i, 16u * i));
	fill(disk_at(fv, 512), BATCH_REQS * BIO_BYTES, 0x6d);

	assert_int_equal(vblk_read(disk, 512, sync_buf, BATCH_SECTORS), 0);
	assert_memory_equal(sync_buf, disk_at(fv, 512), BATCH_REQS * BIO_BYTES);
	fill(sync_buf, BATCH_REQS * BIO_BYTES, 0x4e);
	assert_int_equal(vblk_write(disk, 1024, sync_buf, BATCH_SECTORS), 0);
	assert_memory_equal(sync_buf, disk_at(fv, 1024), BATCH_REQS * BIO_BYTES);

	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once_with(0, 6, 0, 0);
	for (unsigned i = 0; i < 6; i++)
		assert_memory_equal(disk_at(fv, 16u * i), buffer(i), BIO_BYTES);
	fake_virtio_assert_clean(fv);
}

static void test_sync_call_beside_bios_in_flight(void **state)
{
	expect_sync_beside(state, IN_FLIGHT, false);
}

static void test_sync_call_beside_plugged_bios(void **state)
{
	expect_sync_beside(state, PLUGGED, false);
}

static void test_sync_call_beside_bios_waiting_for_ring_space(void **state)
{
	expect_sync_beside(state, WAITING_FOR_ROOM, false);
}

static void test_sync_call_beside_bios_waiting_for_ring_space_with_interrupts(void **state)
{
	expect_sync_beside(state, WAITING_FOR_ROOM, true);
}

/* A FLUSH of a synchronous call behind writes in the device's hands goes
 * out only once they completed (virtio 1.2 §5.2.6): never three requests
 * in the device at once. */
static unsigned completer_left;

static void complete_one_now_and_then(void)
{
	fake_virtio_complete_some(fv, 1);
	if (--completer_left > 0)
		host_at_relax(50, complete_one_now_and_then);
}

static void test_sync_flush_behind_writes_in_flight(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	submit_ok(write_bio(0, 0));
	submit_ok(write_bio(1, 64));
	completer_left = 3;
	host_at_relax(50, complete_one_now_and_then);
	assert_int_equal(vblk_flush(disk), 0);
	expect_done_once_with(0, 2, 0, 0);
	assert_int_equal(fake_virtio_stats(fv)->flushes, 1);
	assert_int_equal(fake_virtio_stats(fv)->max_pending, 2);
	fake_virtio_assert_clean(fv);
}

/* ==== 3. a batch of 8 that the device breaks half way =================== */

static void break_half_way(enum fake_virtio_used_fault fault, uint8_t status)
{
	if (fault != FAKE_USED_OK)
		fake_virtio_corrupt_used_after(fv, fault, BATCH_REQS / 2 - 1);
	else
		fake_virtio_fail_request(fv, BATCH_REQS / 2, status, FAKE_ONCE);
}

/*
 * The device breaks the ring at the 4th completion of 8: the call fails
 * with -VBLK_EBROKEN and the disk stops, or, on a packed ring whose used
 * descriptor went one slot too far (PK-7: the driver must not look
 * there), the request never completes and the call times out. Either
 * way vblk_reset brings the disk back, with the data where it was.
 */
static void expect_batch_broken_half_way(void **state, enum fake_virtio_used_fault fault,
					 uint8_t status, bool interrupts, bool deferred)
{
	bool packed = test_is_packed(state);
	int expected = packed && fault == FAKE_USED_IDX_JUMP ? -VBLK_ETIMEDOUT : -VBLK_EBROKEN;

	attach_ok(state, one_page_requests);
	if (interrupts)
		use_interrupts(fv, disk);
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	if (deferred)
		fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 2);
	/* A packed device writes a duplicate where the next used descriptor
	 * goes: completed together, the next one overwrites it unseen. One
	 * at a time, the driver sees it. */
	if (packed && fault == FAKE_USED_DUPLICATE) {
		fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
		completer_left = BATCH_REQS;
		host_at_relax(50, complete_one_now_and_then);
	}
	fill(disk_at(fv, 64), BATCH_REQS * BIO_BYTES, 0x17);
	break_half_way(fault, status);

	int rc = vblk_read(disk, 64, sync_buf, BATCH_SECTORS);
	assert_int_equal(rc, expected);
	host_at_relax(0, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	struct vblk_bio probe = { .op = VBLK_OP_READ };
	assert_int_equal(vblk_submit(disk, &probe), -VBLK_EBROKEN);
	fake_virtio_clear_violations(fv);

	assert_int_equal(vblk_reset(disk), 0);
	expect_disk_works(disk, fv);
	memset(sync_buf, 0, sizeof(sync_buf));
	assert_int_equal(vblk_read(disk, 64, sync_buf, BATCH_SECTORS), 0);
	assert_memory_equal(sync_buf, disk_at(fv, 64), BATCH_REQS * BIO_BYTES);
}

static void test_batch_broken_half_way_by_a_used_id_out_of_range(void **state)
{
	expect_batch_broken_half_way(state, FAKE_USED_ID_OUT_OF_RANGE, 0, false, false);
}

static void test_batch_broken_half_way_by_a_used_id_not_a_head(void **state)
{
	expect_batch_broken_half_way(state, FAKE_USED_ID_NOT_HEAD, 0, false, true);
}

static void test_batch_broken_half_way_by_a_used_idx_jump(void **state)
{
	expect_batch_broken_half_way(state, FAKE_USED_IDX_JUMP, 0, false, false);
}

static void test_batch_broken_half_way_by_a_used_len_too_large(void **state)
{
	expect_batch_broken_half_way(state, FAKE_USED_LEN_TOO_LARGE, 0, false, true);
}

static void test_batch_broken_half_way_by_a_duplicate_used_entry(void **state)
{
	expect_batch_broken_half_way(state, FAKE_USED_DUPLICATE, 0, false, false);
}

static void test_batch_broken_half_way_by_an_unknown_status_byte(void **state)
{
	expect_batch_broken_half_way(state, FAKE_USED_OK, 0xee, false, false);
}

static void test_batch_broken_half_way_by_an_unknown_status_byte_deferred(void **state)
{
	expect_batch_broken_half_way(state, FAKE_USED_OK, 0xee, false, true);
}

static void test_batch_broken_half_way_with_interrupts(void **state)
{
	expect_batch_broken_half_way(state, FAKE_USED_ID_OUT_OF_RANGE, 0, true, true);
}

/* An IOERR half way fails the call, not the disk. */
static void test_batch_with_an_ioerr_half_way_keeps_the_disk(void **state)
{
	attach_ok(state, one_page_requests);
	fake_virtio_fail_request(fv, BATCH_REQS / 2, FAKE_BLK_S_IOERR, FAKE_ONCE);
	assert_int_equal(vblk_read(disk, 64, sync_buf, BATCH_SECTORS), -VBLK_EIO);
	expect_disk_works(disk, fv);
	fake_virtio_assert_clean(fv);
}

/* Half the batch completes, then the device goes silent: the call ends
 * with -VBLK_ETIMEDOUT after the disk's timeout, the device reset. */
static void complete_half(void)
{
	fake_virtio_complete_some(fv, BATCH_REQS / 2);
}

static void expect_batch_times_out_half_way(void **state, bool interrupts)
{
	attach_ok(state, one_page_requests);
	if (interrupts)
		use_interrupts(fv, disk);
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	host_at_relax(20, complete_half);
	uint64_t start = host_relax_count();
	assert_int_equal(vblk_read(disk, 64, sync_buf, BATCH_SECTORS), -VBLK_ETIMEDOUT);
	assert_true(host_relax_count() - start < 4u * SHORT_TIMEOUT_US);
	assert_int_equal(fake_virtio_pending(fv), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
	expect_disk_works(disk, fv);
	fake_virtio_assert_clean(fv);
}

static void test_batch_times_out_with_half_of_it_complete(void **state)
{
	expect_batch_times_out_half_way(state, false);
}

static void test_batch_times_out_with_half_of_it_complete_with_interrupts(void **state)
{
	expect_batch_times_out_half_way(state, true);
}

/*
 * The same break, on a device whose reset then never completes: the
 * requests still in its hands come back with -VBLK_EHELD, so it may still
 * write into the caller's buffer. The call must say so (docs/
 * conformance.md, CLN-2: a synchronous call returns -VBLK_EHELD), not the
 * first error in the batch's order (-VBLK_EBROKEN of the 4th request, or
 * the -VBLK_EIO of an earlier one), after which the caller would reuse a
 * buffer the device may still write.
 */
#define STALLED_RESET 0xffffffffu
#define STALL_STEP_US 500u

static void expect_held_batch_says_so(void **state, bool ioerr_first, bool interrupts)
{
	attach_ok(state, one_page_requests);
	if (interrupts)
		use_interrupts(fv, disk);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 2);
	if (ioerr_first)
		fake_virtio_fail_request(fv, 1, FAKE_BLK_S_IOERR, FAKE_ONCE);
	fake_virtio_fail_request(fv, BATCH_REQS / 2, 0xee, FAKE_ONCE);
	fake_virtio_set_reset_delay(fv, STALLED_RESET);
	/* The driver waits VBLK_RESET_TIMEOUT_US for each stalled reset: a
	 * faster clock makes that few relax steps. */
	host_set_time_step_us(STALL_STEP_US);

	assert_int_equal(vblk_read(disk, 64, sync_buf, BATCH_SECTORS), -VBLK_EHELD);
	assert_int_equal(vblk_reset(disk), -VBLK_EHELD);
	host_set_time_step_us(1);
	fake_virtio_set_reset_delay(fv, 0);
	assert_int_equal(vblk_reset(disk), 0);
	fake_virtio_clear_violations(fv);
	expect_disk_works(disk, fv);
}

static void test_batch_broken_half_way_by_a_device_that_does_not_reset(void **state)
{
	expect_held_batch_says_so(state, false, false);
}

static void test_batch_failed_then_broken_by_a_device_that_does_not_reset(void **state)
{
	expect_held_batch_says_so(state, true, false);
}

static void test_batch_broken_by_a_device_that_does_not_reset_with_interrupts(void **state)
{
	expect_held_batch_says_so(state, false, true);
}

/* ==== 4. a resize during a synchronous call ============================= */

/* The disk shrinks to 96 sectors while a 16-request write runs (two
 * batches, the first from sector 64). The requests the device holds are
 * its to refuse; those not yet sent are refused by the driver with
 * -VBLK_ERANGE (virtio 1.2 §5.2.6.1). Either way the call ends with an
 * error, nothing past the end is written, and the disk works after. */
#define SHRUNK_SECTORS 96u

static void shrink(void)
{
	fake_virtio_resize(fv, SHRUNK_SECTORS);
	fake_virtio_complete_all(fv);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
}

/* Polled, with the handler registered all the same: the resize's
 * interrupt (InterruptStatus 0x3) runs it inside the synchronous call's
 * polling loop, where it harvests the call's own requests. */
enum resize_seen { RESIZE_POLLED, RESIZE_POLLED_HANDLER, RESIZE_INTERRUPTS };

static void expect_resize_during_sync_write(void **state, enum resize_seen seen)
{
	bool interrupts = seen != RESIZE_POLLED;

	attach_ok(state, one_page_requests);
	if (seen == RESIZE_INTERRUPTS)
		use_interrupts(fv, disk);
	if (seen == RESIZE_POLLED_HANDLER)
		fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	host_at_relax(10, shrink);
	fill(sync_buf, sizeof(sync_buf), 0x71);
	int rc = vblk_write(disk, 64, sync_buf, 2 * BATCH_SECTORS);
	assert_true(rc == -VBLK_ERANGE || rc == -VBLK_EIO);
	/* The fake calls it BLK-5 when it executes, after the resize, the
	 * four requests past the new end that were in its hands before:
	 * those, and no request sent later. */
	assert_int_equal(fake_virtio_violation_count(fv), 4);
	for (unsigned i = 0; i < 4; i++)
		assert_true(strncmp(fake_virtio_violation(fv, i), "BLK-5:", 6) == 0);
	fake_virtio_clear_violations(fv);
	if (interrupts)
		assert_int_equal(vblk_capacity(disk), SHRUNK_SECTORS);
	assert_true(vblk_poll(disk) >= 0);
	assert_int_equal(vblk_capacity(disk), SHRUNK_SECTORS);
	assert_int_equal(vblk_read(disk, 64, sync_buf, 2 * BATCH_SECTORS), -VBLK_ERANGE);
	assert_int_equal(vblk_drain(disk), 0);
	fill(sync_buf, BATCH_REQS * BIO_BYTES, 0x99);
	assert_int_equal(vblk_write(disk, 0, sync_buf, BATCH_SECTORS), 0);
	assert_memory_equal(disk_at(fv, 0), sync_buf, BATCH_REQS * BIO_BYTES);
	fake_virtio_assert_clean(fv);
}

static void test_resize_shrinks_the_disk_during_a_sync_write(void **state)
{
	expect_resize_during_sync_write(state, RESIZE_POLLED);
}

static void test_resize_shrinks_the_disk_during_a_polled_sync_write_with_a_handler(void **state)
{
	expect_resize_during_sync_write(state, RESIZE_POLLED_HANDLER);
}

static void test_resize_shrinks_the_disk_during_a_sync_write_with_interrupts(void **state)
{
	expect_resize_during_sync_write(state, RESIZE_INTERRUPTS);
}

/* ==== 5. a reset from a callback while a synchronous call waits ========= */

/* Bio 0 (another submitter's) is in flight, so the 8-request read goes
 * through the queue and waits; bio 0's callback asks for a reset of the
 * disk, which is refused (-VBLK_ESTATE): the read succeeds, never hangs,
 * and its buffer is not written after it returned. */
static void expect_reset_from_callback_during_sync(void **state, bool interrupts)
{
	attach_ok(state, one_page_requests);
	if (interrupts)
		use_interrupts(fv, disk);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 6);
	submit_ok(write_bio(0, 0));
	act_bio = 0;
	act = ACT_RESET;
	fill(disk_at(fv, 64), BATCH_REQS * BIO_BYTES, 0x2b);
	int rc = vblk_read(disk, 64, sync_buf, BATCH_SECTORS);
	assert_true(act_done);
	assert_int_equal(act_rc, -VBLK_ESTATE);
	assert_int_equal(rc, 0);
	assert_memory_equal(sync_buf, disk_at(fv, 64), BATCH_REQS * BIO_BYTES);
	expect_done_once_with(0, 1, 0, 0);
	static uint8_t copy[BATCH_REQS * BIO_BYTES];
	memcpy(copy, sync_buf, sizeof(copy));
	assert_int_equal(vblk_drain(disk), 0);
	for (unsigned i = 0; i < 100; i++)
		host_cpu_relax();
	assert_memory_equal(copy, sync_buf, sizeof(copy));
	expect_disk_works(disk, fv);
	fake_virtio_assert_clean(fv);
}

static void test_reset_from_a_callback_while_a_sync_call_waits(void **state)
{
	expect_reset_from_callback_during_sync(state, false);
}

static void test_reset_from_an_interrupt_callback_while_a_sync_call_waits(void **state)
{
	expect_reset_from_callback_during_sync(state, true);
}

/* Disk A's interrupt arrives while a synchronous read of disk B polls
 * (IRQs are let in between its looks), and A's callback resets B: B's
 * requests are canceled under the read, which notices and returns
 * -VBLK_ECANCELED, and B works after. */
static void test_callback_of_one_disk_resets_another_during_its_sync_read(void **state)
{
	attach_ok(state, NULL);
	struct fake_virtio *fv_b = make_device(test_version(state), one_page_requests);
	int index = attach_device(fv_b);
	assert_true(index >= 0);
	struct vblk_disk *disk_b = vblk_disk((unsigned)index);
	use_interrupts(fv, disk);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 30);
	fake_virtio_set_completion(fv_b, FAKE_COMPLETE_DEFERRED, 200);
	submit_ok(write_bio(0, 0));
	act_bio = 0;
	act = ACT_RESET_OTHER;
	act_disk = disk_b;
	fill(disk_at(fv_b, 64), BATCH_REQS * BIO_BYTES, 0x3c);

	int rc = vblk_read(disk_b, 64, sync_buf, BATCH_SECTORS);
	assert_true(act_done && act_in_irq);
	assert_int_equal(act_rc, 0);
	/* The timing puts the reset inside the read (B's device answers
	 * 200 steps after A's). */
	assert_int_equal(rc, -VBLK_ECANCELED);
	expect_done_once_with(0, 1, 0, 0);
	fake_virtio_set_completion(fv_b, FAKE_COMPLETE_IMMEDIATE, 0);
	expect_disk_works(disk_b, fv_b);
	expect_disk_works(disk, fv);
	fake_virtio_assert_clean(fv_b);
	fake_virtio_assert_clean(fv);
}

/* ==== one set-up at a time ============================================== */

/*
 * Attaching, resetting and shutting down poll a device's Status with IRQs
 * open, so an interrupt-driven callback may run in the middle of one and
 * call another. That second one is refused (-VBLK_ESTATE) and the first
 * completes as if nothing had happened. Before: an attach from the
 * callback took the slot the thread's attach was filling (the thread's
 * then said -VBLK_EHELD of a good device); a reset of a disk the thread
 * was resetting re-initialised it under that reset (-VBLK_EHELD again,
 * and a disk both ready and held); a callback run by a shutdown's drain
 * revived a disk the shutdown had finished (its device left at
 * DRIVER_OK, and a "forgotten" disk that still did I/O).
 */
static struct fake_virtio *other_fv, *third_fv;
static struct vblk_disk *other_disk;
static int other_rc;

/* Disk B's completion interrupt, at the thread's next clock read in the
 * middle of a set-up (IRQs open: the Status poll's deadline). */
static void complete_other_now(void *ctx)
{
	(void)ctx;
	fake_virtio_complete_all(other_fv);
	if (fake_virtio_irq_pending(other_fv) && !host_irq_masked())
		vblk_irq_handler(other_disk);
}

static void attach_in_callback(struct vblk_bio *bio, int status)
{
	done(bio, status);
	other_rc = vblk_attach(fake_virtio_base(third_fv), TEST_INTID + 2);
}

static void reset_in_callback(struct vblk_bio *bio, int status)
{
	done(bio, status);
	other_rc = vblk_reset(act_disk);
}

/* The test's virtio-mmio version; modern for a PCI entry. The disks
 * here are attached with vblk_attach, each with an INTID of its own. */
static uint32_t mmio_version(void **state)
{
	return test_version(state) == TRANSPORT_PCI ? 2 : test_version(state);
}

/* Disk B (MMIO, an interrupt line of its own), interrupt-driven, one
 * bio held by its device whose callback is `callback`. */
static void other_disk_with_a_held_bio(void **state, vblk_bio_done_fn callback)
{
	other_fv = make_device(mmio_version(state), NULL);
	int index = vblk_attach(fake_virtio_base(other_fv), TEST_INTID + 1);
	assert_true(index >= 0);
	other_disk = vblk_disk((unsigned)index);
	use_interrupts(other_fv, other_disk);
	fake_virtio_set_completion(other_fv, FAKE_COMPLETE_HELD, 0);
	fill(buffer(0), BIO_BYTES, 0x31);
	assert_int_equal(vblk_submit(other_disk, make_bio(0, VBLK_OP_WRITE, 0, buffer(0),
							  BIO_BYTES, callback)), 0);
	other_rc = 1;
}

static void test_attach_from_a_callback_during_an_attach_is_refused(void **state)
{
	other_disk_with_a_held_bio(state, attach_in_callback);
	fv = make_device(mmio_version(state), NULL);
	third_fv = make_device(mmio_version(state), NULL);
	host_set_clock_hook(complete_other_now, NULL, 1);
	int index = vblk_attach(fake_virtio_base(fv), TEST_INTID);
	host_set_clock_hook(NULL, NULL, 0);
	assert_int_equal(done_calls[0], 1);
	assert_int_equal(other_rc, -VBLK_ESTATE);
	assert_true(index >= 0);
	disk = vblk_disk((unsigned)index);
	assert_int_equal(vblk_disk_count(), 2);
	assert_int_equal(fake_virtio_status(third_fv), 0);   /* never touched */
	expect_disk_works(disk, fv);
	fake_virtio_set_completion(other_fv, FAKE_COMPLETE_IMMEDIATE, 0);
	expect_disk_works(other_disk, other_fv);
	fake_virtio_assert_clean(other_fv);
}

static void test_reset_from_a_callback_during_a_reset_is_refused(void **state)
{
	attach_ok(state, NULL);
	other_disk_with_a_held_bio(state, reset_in_callback);
	act_disk = disk;
	fake_virtio_set_reset_delay(fv, 5);
	host_set_clock_hook(complete_other_now, NULL, 1);
	int rc = vblk_reset(disk);
	host_set_clock_hook(NULL, NULL, 0);
	assert_int_equal(done_calls[0], 1);
	assert_int_equal(other_rc, -VBLK_ESTATE);
	assert_int_equal(rc, 0);
	expect_disk_works(disk, fv);
	fake_virtio_set_completion(other_fv, FAKE_COMPLETE_IMMEDIATE, 0);
	expect_disk_works(other_disk, other_fv);
	fake_virtio_assert_clean(other_fv);
}

/* B, attached first, is finished first; A's bio completes in A's drain,
 * and its callback resets B. */
static void test_reset_from_a_callback_during_a_shutdown_is_refused(void **state)
{
	other_fv = make_device(test_version(state), NULL);
	assert_int_equal(attach_device(other_fv), 0);
	act_disk = vblk_disk(0);
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 50);
	assert_int_equal(vblk_submit(disk, make_bio(0, VBLK_OP_WRITE, 0, buffer(0), BIO_BYTES,
						    reset_in_callback)), 0);
	other_rc = 1;
	assert_int_equal(vblk_shutdown(), 0);
	assert_int_equal(done_calls[0], 1);
	assert_int_equal(other_rc, -VBLK_ESTATE);
	assert_int_equal(vblk_disk_count(), 0);
	assert_int_equal(fake_virtio_status(other_fv), 0);
	assert_int_equal(vblk_write(act_disk, 0, buffer(1), BIO_SECTORS), -VBLK_ESTATE);
}

#define ALL(name) ALL_TRANSPORTS(name, setup, disk_teardown), \
		  PACKED_TRANSPORTS(name, setup, disk_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALL(test_reset_in_a_callback_loses_no_bio_of_its_request),
		ALL(test_reset_in_an_interrupt_callback_loses_no_bio_of_its_request),
		ALL(test_shutdown_in_a_callback_is_refused),
		ALL(test_shutdown_in_an_interrupt_callback_is_refused),
		ALL(test_init_from_dt_in_a_callback_is_refused),
		ALL(test_attach_from_a_callback_during_an_attach_is_refused),
		ALL(test_reset_from_a_callback_during_a_reset_is_refused),
		ALL(test_reset_from_a_callback_during_a_shutdown_is_refused),
		ALL(test_reset_in_a_callback_of_a_canceled_bio_is_refused),
		ALL(test_reset_in_the_callback_of_an_empty_flush_is_refused),
		ALL(test_drain_in_the_callback_of_a_timed_out_bio_returns),
		ALL(test_wait_in_the_callback_of_a_timed_out_bio_returns),
		ALL(test_poll_in_the_callback_of_a_timed_out_bio_returns),
		ALL(test_drain_in_the_last_callback_of_a_stop_returns_the_disks_error),
		ALL(test_wait_for_a_bio_of_the_same_request_in_a_callback),
		ALL(test_callback_reads_the_same_disk),
		ALL(test_interrupt_callback_reads_the_same_disk),
		ALL(test_callback_writes_the_same_disk),
		ALL(test_callback_flushes_the_same_disk),
		ALL(test_interrupt_callback_flushes_the_same_disk),
		ALL(test_callback_reads_another_disk),
		ALL(test_interrupt_callback_reads_another_disk),
		ALL(test_line_shared_with_a_polled_disk_is_lowered_by_the_other_handler),
		ALL(test_line_shared_with_an_interrupt_driven_disk_completes_both),
		ALL(test_callback_switches_to_polled_mode_during_a_wait),
		ALL(test_callback_switches_to_interrupts_during_a_wait),
		ALL(test_sync_call_beside_bios_in_flight),
		ALL(test_sync_call_beside_plugged_bios),
		ALL(test_sync_call_beside_bios_waiting_for_ring_space),
		ALL(test_sync_call_beside_bios_waiting_for_ring_space_with_interrupts),
		ALL(test_sync_flush_behind_writes_in_flight),
		ALL(test_batch_broken_half_way_by_a_used_id_out_of_range),
		ALL(test_batch_broken_half_way_by_a_used_id_not_a_head),
		ALL(test_batch_broken_half_way_by_a_used_idx_jump),
		ALL(test_batch_broken_half_way_by_a_used_len_too_large),
		ALL(test_batch_broken_half_way_by_a_duplicate_used_entry),
		ALL(test_batch_broken_half_way_by_an_unknown_status_byte),
		ALL(test_batch_broken_half_way_by_an_unknown_status_byte_deferred),
		ALL(test_batch_broken_half_way_with_interrupts),
		ALL(test_batch_with_an_ioerr_half_way_keeps_the_disk),
		ALL(test_batch_broken_half_way_by_a_device_that_does_not_reset),
		ALL(test_batch_failed_then_broken_by_a_device_that_does_not_reset),
		ALL(test_batch_broken_by_a_device_that_does_not_reset_with_interrupts),
		ALL(test_batch_times_out_with_half_of_it_complete),
		ALL(test_batch_times_out_with_half_of_it_complete_with_interrupts),
		ALL(test_resize_shrinks_the_disk_during_a_sync_write),
		ALL(test_resize_shrinks_the_disk_during_a_polled_sync_write_with_a_handler),
		ALL(test_resize_shrinks_the_disk_during_a_sync_write_with_interrupts),
		ALL(test_reset_from_a_callback_while_a_sync_call_waits),
		ALL(test_reset_from_an_interrupt_callback_while_a_sync_call_waits),
		ALL(test_callback_of_one_disk_resets_another_during_its_sync_read),
	};
	return cmocka_run_group_tests_name("interleave", tests, NULL, NULL);
}
