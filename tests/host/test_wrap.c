/* SPDX-License-Identifier: MIT */
/*
 * After very many events: every counter, index and clock the driver keeps
 * crossing its wrap with requests in flight, against the fake device.
 *
 *  - the split ring's 16-bit avail and used indices crossing 65535 (event
 *    idx on and off, polled and interrupt-driven, out-of-order completions);
 *  - the packed ring's wrap counters flipping many thousands of times with
 *    out-of-order completions;
 *  - the device layer's 32-bit completions_ever (the passed-over timeouts)
 *    crossing 2^32;
 *  - the adaptive wait's 32-bit stretch count crossing 2^32;
 *  - a clock that starts just below UINT64_MAX and wraps to 0 while
 *    requests are in flight and while a timeout runs.
 *
 * Each stream keeps up to STREAM_SLOTS bios in flight, each in a region of
 * its own (so no two bios in flight overlap, and a read's expected data is
 * known), mixes writes of a pattern that changes with every request, reads
 * that check it, and synchronous reads and writes in a region apart. Every
 * callback must run exactly once, with status 0 and the right data; at the
 * end the fake's disk must equal the shadow copy byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "disk_fixture.h"
#include "fake_virtio.h"
#include "host_platform.h"
#include "vblk/bio.h"
#include "vblk/vblk.h"

#include "blk/disk.h"

#define SECTOR 512u
#define STREAM_SLOTS 32u
#define REGION_SECTORS 16u
#define BIO_MAX_SECTORS 8u
#define SYNC_BASE (STREAM_SLOTS * REGION_SECTORS)
#define SYNC_SECTORS 16u
#define DISK_SECTORS 2048u   /* the fake's default capacity */

static uint8_t shadow[DISK_SECTORS * SECTOR];
static uint8_t slot_buf[STREAM_SLOTS][BIO_MAX_SECTORS * SECTOR] VBLK_ALIGNED;
static uint8_t sync_buf[SYNC_SECTORS * SECTOR] VBLK_ALIGNED;
static struct vblk_bio sbio[STREAM_SLOTS];
static struct vblk_seg sseg[STREAM_SLOTS];

static struct {
	unsigned submits[STREAM_SLOTS];
	unsigned calls[STREAM_SLOTS];
	bool busy[STREAM_SLOTS];
	uint64_t done_total, errors, mismatches, double_calls;
	uint64_t sync_ops;
	uint64_t rng;
	uint64_t seq;
	bool in_irq;
	int last_status;
	uint64_t done_at_us[STREAM_SLOTS];
} st;

static int setup(void **state)
{
	disk_setup(state);
	/* A wait that never ends fails in seconds, not minutes. */
	host_set_relax_limit(30000000);
	memset(&st, 0, sizeof(st));
	st.rng = 0x9e3779b97f4a7c15ull;
	memset(shadow, 0, sizeof(shadow));
	return 0;
}

static uint32_t rnd(uint32_t n)
{
	st.rng ^= st.rng << 13;
	st.rng ^= st.rng >> 7;
	st.rng ^= st.rng << 17;
	return (uint32_t)(st.rng % n);
}

static void pattern(uint8_t *mem, size_t len, uint64_t seq)
{
	for (size_t i = 0; i < len; i++)
		mem[i] = (uint8_t)(seq * 131u + i * 7u + (i >> 9) + (seq >> 8));
}

static void stream_done(struct vblk_bio *bio, int status)
{
	unsigned i = (unsigned)(bio - sbio);

	if (!st.busy[i])
		st.double_calls++;
	st.busy[i] = false;
	st.calls[i]++;
	st.done_total++;
	st.last_status = status;
	st.done_at_us[i] = plat_time_us();
	if (status != 0) {
		st.errors++;
		return;
	}
	if (bio->op == VBLK_OP_READ &&
	    memcmp(slot_buf[i], shadow + bio->sector * SECTOR, bio->segs[0].len_bytes) != 0)
		st.mismatches++;
}

static void take_interrupt(struct fake_virtio *device, void *ctx)
{
	(void)device;
	st.in_irq = true;
	vblk_irq_handler(ctx);
	st.in_irq = false;
}

static void use_interrupts(void)
{
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
}

/* Submit one bio on slot `i`: a write of a new pattern or a read. */
static void submit_slot(unsigned i)
{
	uint32_t nsect = 1 + rnd(BIO_MAX_SECTORS);
	uint64_t sector = i * REGION_SECTORS + rnd(REGION_SECTORS - nsect + 1);
	bool write = rnd(2) == 0;
	uint32_t len = nsect * SECTOR;

	if (write) {
		pattern(slot_buf[i], len, ++st.seq);
		memcpy(shadow + sector * SECTOR, slot_buf[i], len);
	} else {
		memset(slot_buf[i], 0xa5, len);
	}
	sseg[i] = (struct vblk_seg){ slot_buf[i], len };
	sbio[i] = (struct vblk_bio){ .op = write ? VBLK_OP_WRITE : VBLK_OP_READ,
				    .sector = sector, .segs = &sseg[i], .nsegs = 1,
				    .done = stream_done };
	st.busy[i] = true;
	st.submits[i]++;
	int err = vblk_submit(disk, &sbio[i]);
	if (err != 0)
		fail_msg("submit %u refused: %d", i, err);
}

/* A synchronous write and read-back in the region apart. */
static void sync_op(void)
{
	uint32_t nsect = 1 + rnd(SYNC_SECTORS);
	uint64_t sector = SYNC_BASE + rnd(SYNC_SECTORS - nsect + 1);
	uint32_t len = nsect * SECTOR;

	pattern(sync_buf, len, ++st.seq);
	memcpy(shadow + sector * SECTOR, sync_buf, len);
	assert_int_equal(vblk_write(disk, sector, sync_buf, nsect), 0);
	memset(sync_buf, 0x5a, len);
	assert_int_equal(vblk_read(disk, sector, sync_buf, nsect), 0);
	if (memcmp(sync_buf, shadow + sector * SECTOR, len) != 0)
		fail_msg("sync read back differs at sector %llu", (unsigned long long)sector);
	st.sync_ops++;
}

static uint64_t ring_requests(void)
{
	struct vblk_stats s;
	vblk_stats(disk, &s);
	return s.requests;
}

/*
 * Run until the driver has sent `requests` more requests: depth changes
 * every few hundred bios between 1 and STREAM_SLOTS.
 */
static void stream(uint64_t requests)
{
	uint64_t until = ring_requests() + requests;
	unsigned depth = 1;
	uint64_t n = 0;

	while (ring_requests() < until) {
		if (n % 300 == 0)
			depth = 1 + rnd(STREAM_SLOTS);
		for (unsigned i = 0; i < depth; i++) {
			if (!st.busy[i]) {
				submit_slot(i);
				n++;
			}
		}
		if (n % 97 == 0)
			sync_op();
		/* Wait for one of them, at random. */
		unsigned pick = rnd(depth);
		if (st.busy[pick]) {
			struct vblk_bio *one = &sbio[pick];
			int err = vblk_wait_bios(disk, &one, 1);
			if (err != 0)
				fail_msg("wait: %d after %llu completions", err,
					 (unsigned long long)st.done_total);
		}
		if (st.double_calls || st.errors || st.mismatches)
			fail_msg("after %llu completions: %llu double, %llu errors, %llu mismatches",
				 (unsigned long long)st.done_total,
				 (unsigned long long)st.double_calls,
				 (unsigned long long)st.errors,
				 (unsigned long long)st.mismatches);
	}
	assert_int_equal(vblk_drain(disk), 0);
}

/* With nothing in flight, every descriptor (split) or slot and buffer ID
 * (packed) is the driver's again, each exactly once: no drift in the
 * ring's accounting after many laps. */
static void check_ring_idle(void)
{
	const struct vring *ring = &disk->dev.ring;
	bool seen[VBLK_QUEUE_SIZE] = { false };

	if (vring_is_packed(ring)) {
		const struct vq_packed *vq = &ring->q.packed;
		assert_int_equal(vq->in_flight, 0);
		assert_int_equal(vq->num_free, vq->num);
		assert_int_equal(vq->batch_head_flags, 0);   /* no batch open */
		assert_int_equal(vq->batch_ids, VQP_NO_ID);
		/* Every buffer ID free: no pool to walk, an ID is in flight
		 * exactly while its chain's token is set. */
		for (unsigned id = 0; id < vq->num; id++)
			assert_null(vq->chain[id].token);
		return;
	}
	const struct virtqueue *vq = &ring->q.split;
	assert_int_equal(vq->in_flight, 0);
	assert_int_equal(vq->num_free, vq->num);
	assert_int_equal(vq->avail_idx, vq->published_idx);
	uint16_t d = vq->free_head;
	for (unsigned k = 0; k < (unsigned)(vq->num_free - vq->num_parked); k++) {
		assert_true(d < vq->num);
		assert_false(seen[d]);
		seen[d] = true;
		d = vq->next[d];
	}
	unsigned parked = 0;
	for (unsigned f = 0; f < VQ_FRAMES; f++) {
		const struct vq_frame *fr = &vq->frame[f];
		if (fr->head == VQ_NO_DESC)
			continue;
		const uint16_t three[3] = { fr->head, fr->mid, fr->tail };
		for (unsigned k = 0; k < 3; k++) {
			assert_true(three[k] < vq->num);
			assert_false(seen[three[k]]);
			seen[three[k]] = true;
		}
		parked += 3;
	}
	assert_int_equal(parked, vq->num_parked);
	for (unsigned k = 0; k < vq->num; k++)
		assert_true(seen[k]);
}

/* Every bio's callback ran once per submission; the disk is the shadow. */
static void check_all(void)
{
	struct vblk_stats stats;
	vblk_stats(disk, &stats);
	const struct vring *ring = &disk->dev.ring;
	unsigned num = vring_is_packed(ring) ? ring->q.packed.num : ring->q.split.num;
	print_message("    %s ring of %u: %llu requests (%llu laps of the 16-bit idx), "
		      "%llu descriptors (%llu laps of the ring), %llu bios checked\n",
		      vring_is_packed(ring) ? "packed" : "split", num,
		      (unsigned long long)stats.requests, (unsigned long long)(stats.requests >> 16),
		      (unsigned long long)stats.descriptors,
		      (unsigned long long)(stats.descriptors / num),
		      (unsigned long long)st.done_total);
	check_ring_idle();
	for (unsigned i = 0; i < STREAM_SLOTS; i++) {
		if (st.calls[i] != st.submits[i])
			fail_msg("slot %u: %u submissions, %u callbacks", i, st.submits[i],
				 st.calls[i]);
	}
	assert_int_equal(st.double_calls, 0);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.mismatches, 0);
	if (memcmp(fake_virtio_disk(fv), shadow, sizeof(shadow)) != 0) {
		for (size_t b = 0; b < sizeof(shadow); b++) {
			if (fake_virtio_disk(fv)[b] != shadow[b])
				fail_msg("disk differs from the shadow at byte %zu", b);
		}
	}
	fake_virtio_assert_clean(fv);
}

static void q8(struct fake_virtio_opts *opts)
{
	opts->queue_num_max = 8;
}

static void q8_no_event_idx(struct fake_virtio_opts *opts)
{
	q8(opts);
	without_event_idx(opts);
}

static void q8_direct(struct fake_virtio_opts *opts)
{
	q8(opts);
	without_indirect(opts);
}

static void q7(struct fake_virtio_opts *opts)
{
	opts->queue_num_max = 7;   /* packed: not a power of 2 */
}

static void device_out_of_order(void)
{
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 3);
	fake_virtio_set_order(fv, FAKE_ORDER_SHUFFLED, 12345);
}

/* How often the split ring's avail index passed 65535. */
static uint16_t split_avail(void)
{
	return disk->dev.ring.q.split.avail_idx;
}

/* A request that the device never completes times out after the timeout
 * (and not much later): after every wrap the timeouts still work. */
static void check_timeout_fires(uint32_t timeout_us)
{
	vblk_set_timeout_us(disk, timeout_us);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	uint64_t t0 = plat_time_us();
	submit_slot(0);
	struct vblk_bio *one = &sbio[0];
	int err = vblk_wait_bios(disk, &one, 1);
	uint64_t took = st.done_at_us[0] - t0;
	assert_int_equal(err, -VBLK_ETIMEDOUT);
	assert_int_equal(st.calls[0], st.submits[0]);
	if (took < timeout_us || took > timeout_us + timeout_us / 2 + 2000)
		fail_msg("timeout of %u us fired after %llu us", timeout_us,
			 (unsigned long long)took);
	st.errors = 0;
	/* The request's data is lost with the reset: the region's shadow may
	 * be stale if it was a write. Let the device work again. */
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
	if (sbio[0].op == VBLK_OP_WRITE)
		memcpy(shadow + sbio[0].sector * SECTOR,
		       fake_virtio_disk(fv) + sbio[0].sector * SECTOR, sseg[0].len_bytes);
	vblk_set_timeout_us(disk, 0);
}

/* ---- split ring indices past 65535 ---------------------------------- */

static void split_wrap(void **state, opts_tweak_fn *tweak, bool irq)
{
	attach_ok(state, tweak);
	if (irq)
		use_interrupts();
	device_out_of_order();
	uint16_t before = split_avail();
	/* Past 65535 twice: the first crossing, then a whole lap more. */
	stream(140000);
	assert_true(ring_requests() >= 140000);
	(void)before;
	check_all();
	check_timeout_fires(50000);
	device_out_of_order();
	stream(2000);
	check_all();
}

static void test_split_indices_wrap_event_idx_polled(void **state)
{
	split_wrap(state, q8, false);
}

static void test_split_indices_wrap_event_idx_irq(void **state)
{
	split_wrap(state, q8, true);
}

static void test_split_indices_wrap_no_event_idx_polled(void **state)
{
	split_wrap(state, q8_no_event_idx, false);
}

static void test_split_indices_wrap_no_event_idx_irq(void **state)
{
	split_wrap(state, q8_no_event_idx, true);
}

static void test_split_indices_wrap_direct_irq(void **state)
{
	split_wrap(state, q8_direct, true);
}

/* ---- packed ring laps ---------------------------------------------- */

static void test_packed_wrap_counters_flip_many_times(void **state)
{
	attach_ok(state, test_is_packed(state) ? q7 : q8);
	use_interrupts();
	device_out_of_order();
	stream(60000);
	check_all();
	check_timeout_fires(50000);
	device_out_of_order();
	stream(2000);
	check_all();
}

static void test_packed_wrap_polled_no_event_idx(void **state)
{
	attach_ok(state, q8_no_event_idx);
	device_out_of_order();
	stream(60000);
	check_all();
}

/* ---- completions_ever past 2^32 ------------------------------------ */

/*
 * The device completes newer requests and holds one: that one is passed
 * over, and must time out a timeout after the first look that finds it
 * so, with completions_ever crossing 2^32 meanwhile. And one that only
 * waits its turn behind others must not be taken for passed over.
 */
static void test_passed_over_timeout_across_completion_count_wrap(void **state)
{
	attach_ok(state, NULL);
	const uint32_t timeout_us = 200000;
	vblk_set_timeout_us(disk, timeout_us);
	disk->dev.completions_ever = UINT32_MAX - 2;
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	fake_virtio_set_order(fv, FAKE_ORDER_REVERSED, 0);

	submit_slot(0);     /* held: the device passes it over */
	assert_int_equal(vblk_poll(disk), 0);
	uint64_t t0 = plat_time_us();
	uint64_t first_passed = 0;
	while (st.calls[0] == 0) {
		submit_slot(1);
		assert_int_equal(vblk_poll(disk), 0);
		fake_virtio_complete_some(fv, 1);   /* the newest: slot 1 */
		for (unsigned k = 0; k < 1500 && st.calls[0] == 0; k++) {
			plat_cpu_relax();
			vblk_poll(disk);
		}
		if (first_passed == 0 && disk->dev.reqs[0].passed_over + disk->dev.reqs[1].passed_over)
			first_passed = plat_time_us();
		if (plat_time_us() - t0 > 10u * timeout_us)
			fail_msg("the passed-over request never timed out");
	}
	assert_int_equal(sbio[0].status, -VBLK_ETIMEDOUT);
	assert_true(disk->dev.completions_ever < 1000);   /* it wrapped */
	uint64_t took = st.done_at_us[0] - t0;
	if (took < timeout_us || took > timeout_us + 20000)
		fail_msg("passed over for %llu us before timing out (timeout %u)",
			 (unsigned long long)took, timeout_us);
	(void)first_passed;
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	vblk_reset(disk);
	vblk_set_timeout_us(disk, 0);
	st.errors = 0;
}

static void test_waiting_turn_is_not_passed_over_across_wrap(void **state)
{
	attach_ok(state, NULL);
	disk->dev.completions_ever = UINT32_MAX - 3;
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 2);
	stream(200);
	check_all();
	/* Nothing in flight was passed over by a device completing in order. */
	for (unsigned i = 0; i < BLK_MAX_REQS; i++)
		assert_false(disk->dev.reqs[i].in_ring);
}

/* ---- the wait's stretch count past 2^32 ---------------------------- */

static void test_stretch_count_wraps(void **state)
{
	attach_ok(state, q8);
	use_interrupts();
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 100);
	stream(200);
	disk->queue.learn.stretches = UINT32_MAX - 50;
	stream(2000);
	check_all();
	assert_true(disk->queue.learn.stretches < 100000);
}

/* ---- a clock near UINT64_MAX ---------------------------------------- */

static void clock_near_end(uint64_t before_end_us)
{
	host_advance_time_us(UINT64_MAX - before_end_us);
}

static void test_clock_wrap_with_requests_in_flight(void **state)
{
	clock_near_end(30000);
	attach_ok(state, q8);
	use_interrupts();
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 200);
	fake_virtio_set_order(fv, FAKE_ORDER_SHUFFLED, 77);
	stream(6000);
	assert_true(plat_time_us() < UINT64_MAX / 2);   /* the clock wrapped */
	check_all();
}

/* A timeout that runs across the clock's wrap fires on time. */
static void timeout_across_clock_wrap(void **state, bool irq, uint64_t before_end_us,
				      uint32_t timeout_us)
{
	attach_ok(state, NULL);
	if (irq)
		use_interrupts();
	clock_near_end(before_end_us);
	check_timeout_fires(timeout_us);
}

static void test_timeout_across_clock_wrap_polled(void **state)
{
	timeout_across_clock_wrap(state, false, 20000, 100000);
}

static void test_timeout_across_clock_wrap_irq(void **state)
{
	timeout_across_clock_wrap(state, true, 20000, 100000);
}

/* The wait's grace ends just before the clock's end and its timeout
 * after it (the wait's first look 30 ms before the end, a grace of 25 ms,
 * the timeout 100 ms); and a grace that itself runs past the end. */
static void test_timeout_grace_before_clock_wrap_irq(void **state)
{
	timeout_across_clock_wrap(state, true, 30000, 100000);
}

static void test_timeout_grace_before_clock_wrap_polled(void **state)
{
	timeout_across_clock_wrap(state, false, 30000, 100000);
}

static void test_timeout_grace_across_clock_wrap_irq(void **state)
{
	timeout_across_clock_wrap(state, true, 30, 100000);
}

static void test_timeout_grace_across_clock_wrap_polled(void **state)
{
	timeout_across_clock_wrap(state, false, 30, 100000);
}

/*
 * A request overdue when its wait begins (the machine stood still): the
 * wait still watches the device for its grace (a quarter of the timeout,
 * at most 100 ms) before giving up, also when the clock is near its end.
 */
static void complete_held(void)
{
	fake_virtio_complete_all(fv);
}

static void test_overdue_at_wait_start_gets_grace(void **state, uint64_t before_end_us)
{
	attach_ok(state, NULL);
	use_interrupts();
	const uint32_t timeout_us = 100000;
	vblk_set_timeout_us(disk, timeout_us);
	clock_near_end(before_end_us);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	submit_slot(0);
	assert_int_equal(vblk_poll(disk), 0);
	/* The machine stood still longer than the timeout. */
	host_advance_time_us(timeout_us + 5000);
	/* The device finishes it 5 ms into the wait (within the grace). */
	host_at_relax(5000, complete_held);
	struct vblk_bio *one = &sbio[0];
	int err = vblk_wait_bios(disk, &one, 1);
	if (err != 0)
		fail_msg("a request the device finished %s into the wait's grace failed with %d "
			 "(clock started %llu us before its end)", "5 ms", err,
			 (unsigned long long)before_end_us);
	assert_int_equal(st.calls[0], 1);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
}

static void test_overdue_at_wait_start_gets_grace_clock_low(void **state)
{
	host_advance_time_us(1000000);
	test_overdue_at_wait_start_gets_grace(state, 0);
}

static void test_overdue_at_wait_start_gets_grace_clock_near_end(void **state)
{
	/* The wait begins 50 ms before the clock's end: its grace (25 ms)
	 * ends before the wrap. */
	test_overdue_at_wait_start_gets_grace(state, 105000 + 50000);
}

static void test_overdue_at_wait_start_gets_grace_clock_at_end(void **state)
{
	/* The wait begins 10 ms before the clock's end: its grace ends
	 * 15 ms after the wrap. */
	test_overdue_at_wait_start_gets_grace(state, 105000 + 10000);
}

/* ---- the reset's wait near the clock's end --------------------------- */

/*
 * A device that takes a few reads of Status to finish its reset (RST-1)
 * while the clock is less than VBLK_RESET_TIMEOUT_US from its end: the
 * reset completes, it is not taken for one that never does.
 */
static void test_reset_near_clock_end_completes(void **state)
{
	attach_ok(state, NULL);
	clock_near_end(VBLK_RESET_TIMEOUT_US / 2);
	fake_virtio_set_reset_delay(fv, 50);
	assert_int_equal(vblk_reset(disk), 0);
	stream(100);
	check_all();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		ALL_TRANSPORTS(test_split_indices_wrap_event_idx_polled, setup, disk_teardown),
		ALL_TRANSPORTS(test_split_indices_wrap_event_idx_irq, setup, disk_teardown),
		ALL_TRANSPORTS(test_split_indices_wrap_no_event_idx_polled, setup, disk_teardown),
		ALL_TRANSPORTS(test_split_indices_wrap_no_event_idx_irq, setup, disk_teardown),
		BOTH_TRANSPORTS(test_split_indices_wrap_direct_irq, setup, disk_teardown),
		PACKED_TRANSPORTS(test_packed_wrap_counters_flip_many_times, setup, disk_teardown),
		PACKED_TRANSPORTS(test_packed_wrap_polled_no_event_idx, setup, disk_teardown),
		ALL_TRANSPORTS(test_passed_over_timeout_across_completion_count_wrap, setup,
			       disk_teardown),
		PACKED_TRANSPORTS(test_passed_over_timeout_across_completion_count_wrap, setup,
				  disk_teardown),
		ALL_TRANSPORTS(test_waiting_turn_is_not_passed_over_across_wrap, setup, disk_teardown),
		BOTH_TRANSPORTS(test_stretch_count_wraps, setup, disk_teardown),
		ALL_TRANSPORTS(test_clock_wrap_with_requests_in_flight, setup, disk_teardown),
		PACKED_TRANSPORTS(test_clock_wrap_with_requests_in_flight, setup, disk_teardown),
		BOTH_TRANSPORTS(test_timeout_across_clock_wrap_polled, setup, disk_teardown),
		BOTH_TRANSPORTS(test_timeout_across_clock_wrap_irq, setup, disk_teardown),
		BOTH_TRANSPORTS(test_timeout_grace_before_clock_wrap_irq, setup, disk_teardown),
		BOTH_TRANSPORTS(test_timeout_grace_before_clock_wrap_polled, setup, disk_teardown),
		BOTH_TRANSPORTS(test_timeout_grace_across_clock_wrap_irq, setup, disk_teardown),
		BOTH_TRANSPORTS(test_timeout_grace_across_clock_wrap_polled, setup, disk_teardown),
		BOTH_TRANSPORTS(test_overdue_at_wait_start_gets_grace_clock_low, setup, disk_teardown),
		BOTH_TRANSPORTS(test_overdue_at_wait_start_gets_grace_clock_near_end, setup,
				disk_teardown),
		BOTH_TRANSPORTS(test_overdue_at_wait_start_gets_grace_clock_at_end, setup,
				disk_teardown),
		ALL_TRANSPORTS(test_reset_near_clock_end_completes, setup, disk_teardown),
	};
	if (argc > 1) cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
