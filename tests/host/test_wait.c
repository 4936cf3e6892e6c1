/* SPDX-License-Identifier: MIT */
/*
 * How a wait waits (blk/wait.c, blk/spin_or_sleep.c, blk/wait.h;
 * docs/design.md, "How a wait waits"): its choice between spinning on the used ring and sleeping until
 * the device's interrupt, against the fake device.
 *
 * Besides the fake, each test maps a watcher: a window with no registers
 * whose relax hook runs after the fake's on every step of virtual time. It
 * knows whether the step was taken asleep (inside plat_idle) and checks
 * the rule no wait may break: asleep with a completion in the used ring
 * that raised no interrupt is a lost wake-up (on a real CPU, wfi until the
 * recheck deadline). For the contention tests it is also the device: it
 * completes the held request once the request has had its device time,
 * which a spinning CPU hands out four times more slowly than a sleeping
 * one (a vCPU that spins takes the host CPU the device's thread needs,
 * docs/performance.md).
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
#include "vblk/vblk.h"

#include "blk/disk.h"

#define KIB 1024u
#define WATCH_BASE 0x7f000000u    /* nothing of the fixture's is here */
#define WATCH_BYTES 0x1000u

static uint8_t data[4 * KIB] VBLK_ALIGNED;

/* The watcher's state, cleared by setup. */
static struct {
	uint64_t idle_seen;        /* host_idle_count() at the last step */
	unsigned lost_wakeups;
	unsigned asleep_steps, awake_steps;
	bool device;               /* it completes the held request */
	bool contention;           /* spinning slows the device down */
	unsigned per_request;      /* device time a request needs, in quarters */
	unsigned needed, given;    /* the request in flight's, so far */
} watch;

static uint32_t watch_read(void *ctx, uint32_t offset, unsigned width_bytes)
{
	(void)ctx;
	(void)width_bytes;
	fail_msg("the watcher has no registers (read at +0x%x)", offset);
	return 0;
}

static void watch_write(void *ctx, uint32_t offset, unsigned width_bytes, uint32_t val)
{
	(void)ctx;
	(void)width_bytes;
	(void)val;
	fail_msg("the watcher has no registers (write at +0x%x)", offset);
}

static void watch_relax(void *ctx)
{
	(void)ctx;
	bool asleep = host_idle_count() != watch.idle_seen;

	watch.idle_seen = host_idle_count();
	if (asleep)
		watch.asleep_steps++;
	else
		watch.awake_steps++;
	/* The fake (mapped first) has completed and interrupted by now. */
	if (asleep && disk != NULL && vring_has_used(&disk->dev.ring))
		watch.lost_wakeups++;
	/* As the device: what it completes here interrupts at the next step,
	 * as the fake's own completions do. */
	if (watch.device && watch.needed > 0) {
		watch.given += asleep || !watch.contention ? 4u : 1u;
		if (watch.given >= watch.needed) {
			watch.needed = 0;
			assert_int_equal(fake_virtio_complete_all(fv), 1);
		}
	}
}

static const struct host_mmio_ops watch_ops = {
	.read = watch_read,
	.write = watch_write,
	.relax = watch_relax,
};

static void take_interrupt(struct fake_virtio *device, void *ctx)
{
	(void)device;
	vblk_irq_handler(ctx);
}

static int setup(void **state)
{
	disk_setup(state);
	memset(&watch, 0, sizeof(watch));
	return 0;
}

/* The disk attached, the watcher after the fake, and interrupts on (or
 * not: polled). */
static void start(void **state, bool interrupts)
{
	attach_ok(state, NULL);
	host_mmio_map(WATCH_BASE, WATCH_BYTES, &watch_ops, NULL);
	if (interrupts) {
		fake_virtio_set_irq_hook(fv, take_interrupt, disk);
		assert_int_equal(vblk_use_interrupts(disk, true), 0);
	}
}

/* One 4 KiB write through a bio and vblk_wait_bios (the general wait; the
 * synchronous API takes its own short path while polled). Returns the
 * virtual time it took. */
static uint64_t one_write(uint64_t sector)
{
	struct vblk_seg seg = { data, sizeof(data) };
	struct vblk_bio bio = { .op = VBLK_OP_WRITE, .sector = sector, .segs = &seg, .nsegs = 1 };
	struct vblk_bio *wait = &bio;
	uint64_t start_us = host_time_us();

	if (watch.device) {
		watch.needed = watch.per_request;
		watch.given = 0;
	}
	assert_int_equal(vblk_submit(disk, &bio), 0);
	assert_int_equal(vblk_wait_bios(disk, &wait, 1), 0);
	assert_true(bio.completed);
	return host_time_us() - start_us;
}

/* The watcher completes each request after `steps` of device time, which
 * spinning hands out at a quarter of the rate when `contention` is set. */
static void device_by_watcher(unsigned steps, bool contention)
{
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	watch.device = true;
	watch.contention = contention;
	watch.per_request = 4u * steps;
}

#define WAITS 200u

static uint64_t queue_interrupts(void)
{
	struct vblk_stats stats;
	vblk_stats(disk, &stats);
	return stats.interrupts;
}

/* ==== interrupt mode ================================================== */

/* A device faster than any budget: the disk keeps spinning (sleeping only
 * in its turns of trying), learns a latency near the device's, and no wait
 * ever sleeps through a completion. */
static void test_fast_completions_are_spun_for(void **state)
{
	start(state, true);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 10);
	for (unsigned i = 0; i < WAITS; i++)
		one_write(8u * i);

	const struct blk_wait_learn *learn = &disk->queue.learn;
	assert_false(learn->prefer_sleep);
	assert_in_range(learn->spin_us, 5, 20);
	assert_true(learn->sleep_us > 0);   /* it did try */
	/* Sleeps only in the turns of trying: the first at BLK_WAIT_FIRST_SLEEP,
	 * then one in VBLK_WAIT_EXPLORE_EVERY. */
	assert_true(watch.asleep_steps <= (2u + WAITS / VBLK_WAIT_EXPLORE_EVERY) * 20u);
	assert_int_equal(watch.lost_wakeups, 0);
	fake_virtio_assert_clean(fv);
}

/* A slow device and no contention: a spinning wait gives up after its
 * budget (at most VBLK_WAIT_SPIN_MAX_US, plus the looks before the next
 * clock read) and sleeps; every wait ends with its completion. */
static void test_slow_completions_spin_no_longer_than_the_budget(void **state)
{
	const unsigned slow_steps = 3u * VBLK_WAIT_SPIN_MAX_US;

	start(state, true);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, slow_steps);
	for (unsigned i = 0; i < 40; i++) {
		unsigned awake_before = watch.awake_steps;
		uint64_t took_us = one_write(8u * i);
		assert_in_range(took_us, slow_steps, slow_steps + 2u * VBLK_WAIT_LOOKS_PER_CLOCK);
		assert_true(watch.awake_steps - awake_before <=
			    VBLK_WAIT_SPIN_MAX_US + 2u * VBLK_WAIT_LOOKS_PER_CLOCK);
	}
	assert_true(queue_interrupts() > 0);
	assert_int_equal(watch.lost_wakeups, 0);
	fake_virtio_assert_clean(fv);
}

/*
 * Contention: while the CPU spins the device runs at a quarter of its
 * speed. The disk must learn to sleep, and once it has, its waits take
 * about the sleeping time (the device's own), not the spinning one.
 */
static void test_contention_teaches_the_wait_to_sleep(void **state)
{
	const unsigned steps = 200u;

	start(state, true);
	device_by_watcher(steps, true);
	for (unsigned i = 0; i < WAITS; i++)
		one_write(8u * i);
	assert_true(disk->queue.learn.prefer_sleep);
	assert_true(disk->queue.learn.sleep_us < disk->queue.learn.spin_us);

	uint64_t total_us = 0;
	for (unsigned i = 0; i < 2u * VBLK_WAIT_EXPLORE_EVERY; i++)
		total_us += one_write(8u * i);
	/* Mostly slept: the mean within a quarter of the device's time, where
	 * spinning takes four times that (the two turns of trying cost some). */
	assert_true(total_us / (2u * VBLK_WAIT_EXPLORE_EVERY) < steps + steps / 4u);
	assert_int_equal(watch.lost_wakeups, 0);
	fake_virtio_assert_clean(fv);
}

/* The same device without contention: spinning is never slower, so the
 * disk keeps spinning (with a budget above the device's latency). */
static void test_no_contention_keeps_spinning(void **state)
{
	const unsigned steps = 200u;

	start(state, true);
	device_by_watcher(steps, false);
	for (unsigned i = 0; i < WAITS; i++)
		one_write(8u * i);
	assert_false(disk->queue.learn.prefer_sleep);
	assert_in_range(disk->queue.learn.spin_us, steps - 10u, steps + 2u * VBLK_WAIT_LOOKS_PER_CLOCK);
	assert_int_equal(watch.lost_wakeups, 0);
	fake_virtio_assert_clean(fv);
}

/* A wait for one request is one stretch: the wait that ends with its
 * completion begins no other (it counted two, so the turns of trying the
 * other way came twice as often as VBLK_WAIT_EXPLORE_EVERY says). */
static void test_a_wait_for_one_request_is_one_stretch(void **state)
{
	start(state, true);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 10);
	disk->queue.learn = (struct blk_wait_learn){ 0 };
	for (unsigned i = 0; i < 10; i++)
		one_write(8u * i);
	assert_int_equal(disk->queue.learn.stretches, 10);
	fake_virtio_assert_clean(fv);
}

/*
 * What a stretch teaches is the time per completion: with many requests in
 * flight a sleep wakes to several at once and a spin takes them one by one,
 * and the way that completes more of them in the same time must win. A
 * sleeping stretch of 80 us that ended with 8 completions (10 us each)
 * beats spinning stretches of 20 us with one each, though it was 4 times
 * as long.
 */
static void test_a_stretch_is_learnt_per_completion(void **state)
{
	start(state, true);
	struct blk_dev_counts counts = disk->dev.counts;
	uint64_t progress_us = disk->dev.progress_us;
	struct blk_wait_stretch st;

	disk->queue.learn = (struct blk_wait_learn){ 0 };
	blk_wait_begin_stretch(disk, &st);
	assert_int_equal(st.way, BLK_WAIT_SPIN);        /* nothing learnt yet */
	disk->dev.progress_us += 20;
	disk->dev.counts.completions += 1;
	blk_wait_note_progress(disk, &st);
	assert_int_equal(disk->queue.learn.spin_us, 20);

	blk_wait_go_on(disk, &st);
	st.way = BLK_WAIT_SLEEP;                         /* as a turn of trying */
	disk->dev.progress_us += 80;
	disk->dev.counts.completions += 8;
	blk_wait_note_progress(disk, &st);
	assert_int_equal(disk->queue.learn.sleep_us, 10);
	assert_true(disk->queue.learn.prefer_sleep);

	disk->dev.counts = counts;
	disk->dev.progress_us = progress_us;
	fake_virtio_assert_clean(fv);
}

/*
 * A completion that lands while the wait switches from spinning to
 * sleeping (device interrupts off, then on, then wfi): for each moment
 * around the fresh disk's budget (VBLK_IRQ_POLL_US, reached at a clock
 * read), the wait must end with the completion, never sleep with it
 * unseen (the watcher), and take no longer than the device plus the looks
 * to the next clock read.
 */
static void test_completion_during_the_switch_to_sleeping_is_not_lost(void **state)
{
	start(state, true);
	for (unsigned steps = VBLK_IRQ_POLL_US - 2u * VBLK_WAIT_LOOKS_PER_CLOCK;
	     steps <= VBLK_IRQ_POLL_US + 3u * VBLK_WAIT_LOOKS_PER_CLOCK; steps++) {
		/* Unlearned each time, so the switch stays where it was. */
		disk->queue.learn = (struct blk_wait_learn){ 0 };
		fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, steps);
		uint64_t took_us = one_write(8u * steps);
		assert_in_range(took_us, steps, steps + 2u * VBLK_WAIT_LOOKS_PER_CLOCK);
		assert_int_equal(watch.lost_wakeups, 0);
	}
	assert_true(watch.asleep_steps > 0);   /* some did switch */
	fake_virtio_assert_clean(fv);
}

/*
 * The same switch with the device running beside the CPU: a synchronous
 * read of a device slower than the fresh disk's budget (it spins with
 * the device asked not to interrupt, asks again, then sleeps), and the
 * device completes it at the 1st, 2nd, ... ring point of the run (a
 * barrier or a store of a field the device reads) until the run has
 * none left. Right before the store that asks for interrupts again, the
 * completion raises none: only the look after it finds it, and a wait
 * that slept instead would sleep on it (the watcher). Wherever it lands,
 * the read returns the disk's data within a few looks of it. (Each turn
 * of a sleeping wait harvests and asks for interrupts again, and the
 * host's plat_idle returns after one step: the device is made only a
 * little slower than the budget, so the run has few such turns.)
 */
#define RING_POINTS_MAX 64u

static uint64_t completed_at_us;

static void complete_now(struct fake_virtio *device, void *ctx)
{
	(void)ctx;
	if (fake_virtio_complete_all(device) > 0)
		completed_at_us = host_time_us();
}

static void test_completion_at_any_ring_point_of_the_switch_to_sleeping(void **state)
{
	enum { DEVICE_US = VBLK_IRQ_POLL_US + VBLK_WAIT_LOOKS_PER_CLOCK, SECTORS = 8, BYTES = SECTORS * 512 };

	start(state, true);
	unsigned swept = 0;
	for (unsigned nth = 1; nth <= RING_POINTS_MAX; nth++) {
		/* Unlearned each time: every run spins for VBLK_IRQ_POLL_US,
		 * then sleeps, so its ring points are the same. */
		disk->queue.learn = (struct blk_wait_learn){ 0 };
		uint64_t sector = (uint64_t)SECTORS * nth;
		uint8_t *on_device = fake_virtio_disk(fv) + sector * 512u;
		memset(on_device, (int)(0x30 + nth), BYTES);
		memset(data, 0, BYTES);
		fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, DEVICE_US);
		completed_at_us = UINT64_MAX;
		unsigned before = fake_virtio_at_fired(fv);
		fake_virtio_at_access(fv, &(struct fake_virtio_at){
			.kind = FAKE_AT_RING_POINT, .nth = nth, .event = FAKE_EVENT_CALL,
			.call = complete_now });
		unsigned asleep = watch.asleep_steps;
		uint64_t start_us = host_time_us();

		assert_int_equal(vblk_read(disk, sector, data, SECTORS), 0);
		uint64_t due_us = start_us + DEVICE_US + 1u;
		if (completed_at_us < due_us)
			due_us = completed_at_us;
		assert_true(host_time_us() <= due_us + 2u * VBLK_WAIT_LOOKS_PER_CLOCK);
		bool fired = fake_virtio_at_fired(fv) != before;
		fake_virtio_at_cancel(fv);
		assert_memory_equal(data, on_device, BYTES);
		assert_int_equal(watch.lost_wakeups, 0);
		assert_int_equal(fake_virtio_pending(fv), 0);
		assert_false(vring_has_used(&disk->dev.ring));
		assert_false(fake_virtio_irq_pending(fv));
		if (!fired) {
			/* Past the last point: this run, the device's own, slept. */
			assert_true(watch.asleep_steps > asleep);
			break;
		}
		swept++;
	}
	/* Two points at least to publish the read, one to ask the device not
	 * to interrupt, two to ask again (the store, the barrier before the
	 * look), one to harvest. */
	assert_true(swept >= 6);
	assert_true(swept < RING_POINTS_MAX);
	fake_virtio_assert_clean(fv);
}

/* ==== polled mode ===================================================== */

/* Polled, there is nothing to sleep on: every wait spins, fast or slow,
 * and learns nothing (the choice is interrupt mode's). */
static void test_polled_waits_spin_and_never_sleep(void **state)
{
	start(state, false);
	const unsigned delays[] = { 0, 3, 10, VBLK_IRQ_POLL_US, 5u * VBLK_WAIT_SPIN_MAX_US };
	for (unsigned i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		fake_virtio_set_completion(fv, delays[i] ? FAKE_COMPLETE_DEFERRED
							 : FAKE_COMPLETE_IMMEDIATE, delays[i]);
		for (unsigned j = 0; j < 8; j++) {
			uint64_t took_us = one_write(8u * j);
			assert_true(took_us <= delays[i] + 2u * VBLK_WAIT_LOOKS_PER_CLOCK);
		}
	}
	assert_int_equal(host_idle_count(), 0);
	assert_int_equal(queue_interrupts(), 0);
	assert_int_equal(disk->queue.learn.spin_us, 0);
	assert_int_equal(disk->queue.learn.sleep_us, 0);
	fake_virtio_assert_clean(fv);
}

/* The clock is read only every VBLK_WAIT_LOOKS_PER_CLOCK looks, but the
 * timeout still holds: a device that never answers fails the bio with
 * -VBLK_ETIMEDOUT no more than those looks after the disk's timeout, in
 * both modes. */
static void expect_timeout_on_time(void **state, bool interrupts)
{
	const uint32_t timeout_us = 5000u;

	start(state, interrupts);
	vblk_set_timeout_us(disk, timeout_us);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	struct vblk_seg seg = { data, sizeof(data) };
	struct vblk_bio bio = { .op = VBLK_OP_READ, .sector = 0, .segs = &seg, .nsegs = 1 };
	struct vblk_bio *wait = &bio;
	uint64_t start_us = host_time_us();
	assert_int_equal(vblk_submit(disk, &bio), 0);
	assert_int_equal(vblk_wait_bios(disk, &wait, 1), -VBLK_ETIMEDOUT);
	assert_in_range(host_time_us() - start_us, timeout_us,
			timeout_us + 2u * VBLK_WAIT_LOOKS_PER_CLOCK + 1u);
	/* Renotified meanwhile? Only after VBLK_RENOTIFY_US, longer than this. */
}

static void test_polled_timeout_still_holds(void **state)
{
	expect_timeout_on_time(state, false);
}

static void test_interrupt_mode_timeout_still_holds(void **state)
{
	expect_timeout_on_time(state, true);
}

/* ==== a machine the host stops as a whole ============================== */

/* Longer than a stall a wait can tell from its own pace (blk/wait.c:
 * WAIT_STALL_US), so the stall below is seen as one. */
#define STALL_TIMEOUT_US 100000u

/* The whole machine stands still: the clock jumps by twice the timeout
 * and nothing relaxes, so the fake device (which runs on relaxes) does
 * nothing meanwhile. */
static void stop_the_machine(void *ctx)
{
	(void)ctx;
	host_advance_time_us(2u * STALL_TIMEOUT_US);
}

/* One 4 KiB read, synchronous or as a bio and vblk_wait_bios, through a
 * stall of the whole machine before the `nth_read`-th clock read from
 * now. Returns its result. */
static int read_through_a_stall(bool sync, unsigned nth_read)
{
	struct vblk_seg seg = { data, sizeof(data) };
	struct vblk_bio bio = { .op = VBLK_OP_READ, .sector = 0, .segs = &seg, .nsegs = 1 };
	struct vblk_bio *wait = &bio;
	uint64_t start_us = host_time_us();
	int rc;

	host_set_clock_hook(stop_the_machine, NULL, nth_read);
	if (sync) {
		rc = vblk_read(disk, 0, data, sizeof(data) / VBLK_SECTOR_SIZE);
	} else {
		assert_int_equal(vblk_submit(disk, &bio), 0);
		rc = vblk_wait_bios(disk, &wait, 1);
	}
	host_set_clock_hook(NULL, NULL, 0);
	assert_true(host_time_us() - start_us >= 2u * STALL_TIMEOUT_US);   /* it stalled */
	return rc;
}

/* The host stops the whole machine, the device's threads with the vCPU
 * (a stopped or starved QEMU process), for twice the timeout while a
 * request is in flight, and the device answers a moment of its own time
 * after the machine runs again. The wait watches the device for a grace
 * before it gives up, so the read succeeds: right after the request was
 * sent (the 2nd clock read: the 1st stamps the send), and in the middle
 * of a wait (the 6th). */
static void expect_a_stopped_machine_survived(void **state, bool interrupts)
{
	start(state, interrupts);
	vblk_set_timeout_us(disk, STALL_TIMEOUT_US);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 1000);
	for (unsigned nth_read = 2; nth_read <= 6; nth_read += 4) {
		assert_int_equal(read_through_a_stall(true, nth_read), 0);
		assert_int_equal(read_through_a_stall(false, nth_read), 0);
	}
	fake_virtio_assert_clean(fv);
}

static void test_polled_read_survives_a_stopped_machine(void **state)
{
	expect_a_stopped_machine_survived(state, false);
}

static void test_interrupt_mode_read_survives_a_stopped_machine(void **state)
{
	expect_a_stopped_machine_survived(state, true);
}

/* A device that died while the machine stood still is still given up
 * on: within the grace, a quarter of the timeout, after the stall. */
static void test_a_device_dead_across_a_stall_still_times_out(void **state)
{
	start(state, false);
	vblk_set_timeout_us(disk, STALL_TIMEOUT_US);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	uint64_t start_us = host_time_us();
	assert_int_equal(read_through_a_stall(true, 2), -VBLK_ETIMEDOUT);
	assert_in_range(host_time_us() - start_us, 2u * STALL_TIMEOUT_US,
			2u * STALL_TIMEOUT_US + STALL_TIMEOUT_US / 4u + 2u * VBLK_WAIT_LOOKS_PER_CLOCK + 1u);
}

/* A host that stops the machine again and again, each time a little
 * longer than a wait can tell from its own pace (WAIT_STALL_US in
 * blk/wait.c), and more often than the grace (100 ms here): as a
 * platform whose plat_idle oversleeps looks. Every stall seen restarts
 * the grace, so a wait counts them only until they add up to the
 * timeout; a dead device is then given up on, within about twice the
 * timeout. */
#define OVERSLEEP_US      (VBLK_IRQ_RECHECK_US + 51000u)
#define OVERSLEEP_TIMEOUT_US 1000000u

static void stop_the_machine_every_other_read(void *ctx)
{
	(void)ctx;
	host_advance_time_us(OVERSLEEP_US);
	host_set_clock_hook(stop_the_machine_every_other_read, NULL, 2);
}

static void expect_endless_stalls_end_in_a_timeout(void **state, bool interrupts)
{
	start(state, interrupts);
	vblk_set_timeout_us(disk, OVERSLEEP_TIMEOUT_US);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	uint64_t start_us = host_time_us();
	host_set_clock_hook(stop_the_machine_every_other_read, NULL, 2);
	int rc = vblk_read(disk, 0, data, sizeof(data) / VBLK_SECTOR_SIZE);
	host_set_clock_hook(NULL, NULL, 0);
	assert_int_equal(rc, -VBLK_ETIMEDOUT);
	assert_in_range(host_time_us() - start_us, OVERSLEEP_TIMEOUT_US, 5u * OVERSLEEP_TIMEOUT_US / 2u);
}

static void test_a_polled_wait_through_endless_stalls_still_times_out(void **state)
{
	expect_endless_stalls_end_in_a_timeout(state, false);
}

static void test_an_interrupt_mode_wait_through_endless_stalls_still_times_out(void **state)
{
	expect_endless_stalls_end_in_a_timeout(state, true);
}

#define ALL(name) ALL_TRANSPORTS(name, setup, disk_teardown), \
		  PACKED_TRANSPORTS(name, setup, disk_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALL(test_fast_completions_are_spun_for),
		ALL(test_slow_completions_spin_no_longer_than_the_budget),
		ALL(test_contention_teaches_the_wait_to_sleep),
		ALL(test_no_contention_keeps_spinning),
		ALL(test_a_stretch_is_learnt_per_completion),
		ALL(test_a_wait_for_one_request_is_one_stretch),
		ALL(test_completion_during_the_switch_to_sleeping_is_not_lost),
		ALL(test_completion_at_any_ring_point_of_the_switch_to_sleeping),
		ALL(test_polled_waits_spin_and_never_sleep),
		ALL(test_polled_timeout_still_holds),
		ALL(test_interrupt_mode_timeout_still_holds),
		ALL(test_polled_read_survives_a_stopped_machine),
		ALL(test_interrupt_mode_read_survives_a_stopped_machine),
		ALL(test_a_device_dead_across_a_stall_still_times_out),
		ALL(test_a_polled_wait_through_endless_stalls_still_times_out),
		ALL(test_an_interrupt_mode_wait_through_endless_stalls_still_times_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
