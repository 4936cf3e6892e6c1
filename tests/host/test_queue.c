/* SPDX-License-Identifier: MIT */
/*
 * The asynchronous request queue (include/vblk/bio.h, blk/queue.c,
 * blk/merge.c) against the fake device, for both transport versions:
 *
 *  - merging: back and front merges, and the cases that must not merge
 *    (sector gap, other operation, across a FLUSH, ahead of an overlapping
 *    request), the seg_max / size_max / request-size limits, coalescing of
 *    physically contiguous segments, bios too big for any request;
 *  - flow: a full ring holds bios back and loses none whatever order the
 *    device completes in; plugging; a FLUSH waits for earlier writes;
 *    callbacks that submit;
 *  - indirect descriptors: used when ring space is short and only then,
 *    never without the feature or for a chain longer than the table,
 *    mixed with direct chains in any completion order, after a timeout;
 *  - failure: a device error fails every bio of its request and no other;
 *    a timeout or a broken used ring completes every queued bio once;
 *  - interrupts: completions and configuration changes through
 *    vblk_irq_handler;
 *  - bad input to vblk_submit: refused, `done` not called, nothing sent.
 *
 * The Makefile builds this file twice: as test_queue, and as
 * test_translated with VBLK_PLAT_VIRT_TO_PHYS, where DMA addresses are
 * 1 TiB away from the pointers, so any address the driver forgot to
 * translate points nowhere.
 *
 * Each behaviour is checked twice where it can be: in the driver's own
 * statistics (vblk_stats) and in what the fake device saw (its statistics,
 * the framing of the last chain, the disk contents). Every test ends by
 * checking that the fake recorded no rule violation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bio_log.h"
#include "disk_fixture.h"
#include "fake_virtio.h"
#include "vblk/vblk.h"
/* Internal limits the tests probe: BLK_MAX_REQS (requests the driver has),
 * BLK_PLUG_MAX_REQS (requests a plug holds back) and BLK_MERGE_SCAN
 * (requests a bio may merge into, from the last). */
#include "blk/disk.h"

#define SECTOR_BYTES      512u
#define KIB               1024u
#define MIB               (1024u * 1024u)
#define SMALL_QUEUE       8u     /* two direct 3-descriptor chains fit, a third not */
#define MEDIUM_QUEUE      16u    /* five fit */
#define SHORT_TIMEOUT_US  5000u

/* Buffers come from one pool. slot(k) is 8 KiB apart from slot(k+1), so
 * bios of at most 4 KiB in different slots are never physically contiguous
 * (and never coalesce) unless a test places them so on purpose. */
#define SLOT_BYTES  (8u * KIB)
#define POOL_BYTES  (8u * MIB)
static uint8_t pool[POOL_BYTES] VBLK_ALIGNED;

/* What the bios' callbacks saw, besides bio_log.h's count and status. */
static bool done_in_irq[MAX_BIOS];
static unsigned done_seq[MAX_BIOS];   /* 1 for the first bio completed, ... */
static unsigned completions_seen;
static bool in_irq_hook;              /* the fake is "taking" an interrupt */

/* ---- fixtures ------------------------------------------------------- */

static int setup(void **state)
{
	disk_setup(state);
	bio_log_reset();
	in_irq_hook = false;
	completions_seen = 0;
	memset(done_in_irq, 0, sizeof(done_in_irq));
	memset(done_seq, 0, sizeof(done_seq));
	return 0;
}

static void small_queue(struct fake_virtio_opts *opts)
{
	opts->queue_num_max = SMALL_QUEUE;
}

static void medium_queue(struct fake_virtio_opts *opts)
{
	opts->queue_num_max = MEDIUM_QUEUE;
}

/* The ring's own back-pressure, with direct chains only. */
static void small_direct_queue(struct fake_virtio_opts *opts)
{
	small_queue(opts);
	without_indirect(opts);
}

static void medium_direct_queue(struct fake_virtio_opts *opts)
{
	medium_queue(opts);
	without_indirect(opts);
}

/* ---- memory and bios ------------------------------------------------ */

static uint8_t *slot(unsigned k)
{
	return pool + (size_t)k * SLOT_BYTES;
}

static void fill(uint8_t *mem, size_t len_bytes, uint8_t seed)
{
	for (size_t i = 0; i < len_bytes; i++)
		mem[i] = (uint8_t)(i * 7u + seed + i / SECTOR_BYTES);
}

static uint8_t *disk_at(uint64_t sector)
{
	return fake_virtio_disk(fv) + sector * SECTOR_BYTES;
}

/* Every callback goes through here: count, and remember how and when. */
static void record_done(struct vblk_bio *bio, int status)
{
	unsigned idx = log_done(bio, status);

	done_in_irq[idx] = in_irq_hook;
	done_seq[idx] = ++completions_seen;
}

/* Bio `idx`: `op` on `sector`, one segment of `len_bytes` at `addr`. */
static struct vblk_bio *prep_bio(unsigned idx, enum vblk_op op, uint64_t sector, void *addr,
				 uint32_t len_bytes)
{
	return make_bio(idx, op, sector, addr, len_bytes, record_done);
}

/* Append another segment to bio `idx`. */
static void add_seg(unsigned idx, void *addr, uint32_t len_bytes)
{
	struct vblk_bio *bio = &bios[idx];

	assert_true(bio->nsegs < MAX_SEGS_PER_BIO);
	segs[idx][bio->nsegs++] = (struct vblk_seg){ addr, len_bytes };
}

static struct vblk_bio *prep_flush(unsigned idx)
{
	return prep_bio(idx, VBLK_OP_FLUSH, 0, NULL, 0);
}

static void submit_ok(unsigned idx)
{
	assert_int_equal(vblk_submit(disk, &bios[idx]), 0);
}

/* A write of slot(idx) (filled with a pattern of its own) to `sector`. */
static void submit_write(unsigned idx, uint64_t sector, uint32_t len_bytes)
{
	fill(slot(idx), len_bytes, (uint8_t)(idx + 1));
	prep_bio(idx, VBLK_OP_WRITE, sector, slot(idx), len_bytes);
	submit_ok(idx);
}

static void wait_all(unsigned count, int expected)
{
	struct vblk_bio *waits[MAX_BIOS];

	for (unsigned i = 0; i < count; i++)
		waits[i] = &bios[i];
	assert_int_equal(vblk_wait_bios(disk, waits, count), expected);
}

/* Bios [first, first + count) each completed exactly once with `status`. */
static void expect_done_once(unsigned first, unsigned count, int status)
{
	for (unsigned i = first; i < first + count; i++) {
		assert_int_equal(done_calls[i], 1);
		assert_int_equal(done_status[i], status);
		assert_true(bios[i].completed);
		assert_int_equal(bios[i].status, status);
	}
}

static void expect_not_done(unsigned first, unsigned count)
{
	for (unsigned i = first; i < first + count; i++)
		assert_int_equal(done_calls[i], 0);
}

/* ---- what the driver and the device saw ----------------------------- */

static struct vblk_stats queue_stats(void)
{
	struct vblk_stats stats;
	vblk_stats(disk, &stats);
	return stats;
}

/* The counters that describe how bios became requests and chains. */
static void expect_shape(const struct vblk_stats *expected)
{
	struct vblk_stats got = queue_stats();

	assert_int_equal(got.bios, expected->bios);
	assert_int_equal(got.requests, expected->requests);
	assert_int_equal(got.back_merges, expected->back_merges);
	assert_int_equal(got.front_merges, expected->front_merges);
	assert_int_equal(got.coalesced_segs, expected->coalesced_segs);
	assert_int_equal(got.descriptors, expected->descriptors);
	assert_int_equal(got.notifications, expected->notifications);
}

/* The device executed `requests` requests after `notifies` notifications. */
static void expect_device_saw(uint32_t requests, uint32_t notifies)
{
	assert_int_equal(fake_virtio_stats(fv)->requests, requests);
	assert_int_equal(fake_virtio_stats(fv)->notifies, notifies);
}

static const struct fake_virtio_chain *last_chain(void)
{
	return fake_virtio_last_chain(fv);
}

/*
 * The last chain is framed as virtio 1.2 §5.2.6 wants: a 16-byte
 * device-readable header {type, reserved, sector}, `ndata` data buffers
 * (device-writable for a read), a 1-byte device-writable status. The
 * header is read where the driver put it: the tests look before that
 * request slot can be reused.
 */
static void expect_framing(uint32_t type, uint64_t sector, unsigned ndata)
{
	const struct fake_virtio_chain *chain = last_chain();
	const struct fake_virtio_seg *status = &chain->seg[ndata + 1];
	struct { uint32_t type, reserved; uint64_t sector; } hdr;

	assert_int_equal(chain->nsegs, ndata + 2);
	assert_int_equal(chain->seg[0].len_bytes, sizeof(hdr));
	assert_int_equal(chain->seg[0].flags & FAKE_DESC_F_WRITE, 0);
	memcpy(&hdr, host_dma_ptr(chain->seg[0].addr), sizeof(hdr));
	assert_int_equal(hdr.type, type);
	assert_int_equal(hdr.sector, sector);
	for (unsigned i = 1; i <= ndata; i++) {
		bool device_writes = chain->seg[i].flags & FAKE_DESC_F_WRITE;
		assert_int_equal(device_writes, type == FAKE_BLK_T_IN);
	}
	assert_int_equal(status->len_bytes, 1);
	assert_true(status->flags & FAKE_DESC_F_WRITE);
}

/* Data buffer `i` (0-based, after the header) of the last chain. */
static void expect_data_seg(unsigned i, const void *addr, uint32_t len_bytes)
{
	const struct fake_virtio_seg *seg = &last_chain()->seg[i + 1];

	assert_int_equal(seg->addr, plat_virt_to_phys(addr));
	assert_int_equal(seg->len_bytes, len_bytes);
}

/* ==== merging ======================================================== */

/* A bio starting where a queued request ends joins it (back merge). */
static void test_adjacent_bio_back_merges_into_one_request(void **state)
{
	attach_ok(state, NULL);
	vblk_plug(disk);
	submit_write(0, 16, 4 * KIB);
	submit_write(1, 24, 4 * KIB);
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, 2, 0);
	expect_shape(&(struct vblk_stats){ .bios = 2, .requests = 1, .back_merges = 1,
					   .descriptors = 4, .notifications = 1 });
	expect_device_saw(1, 1);
	expect_framing(FAKE_BLK_T_OUT, 16, 2);
	expect_data_seg(0, slot(0), 4 * KIB);
	expect_data_seg(1, slot(1), 4 * KIB);
	assert_memory_equal(disk_at(16), slot(0), 4 * KIB);
	assert_memory_equal(disk_at(24), slot(1), 4 * KIB);
	fake_virtio_assert_clean(fv);
}

/* A bio ending where a queued request starts joins it in front, and the
 * request then starts at the bio's sector with the bio's data first. */
static void test_preceding_bio_front_merges_into_one_request(void **state)
{
	attach_ok(state, NULL);
	vblk_plug(disk);
	submit_write(0, 24, 4 * KIB);
	submit_write(1, 16, 4 * KIB);
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, 2, 0);
	expect_shape(&(struct vblk_stats){ .bios = 2, .requests = 1, .front_merges = 1,
					   .descriptors = 4, .notifications = 1 });
	expect_device_saw(1, 1);
	expect_framing(FAKE_BLK_T_OUT, 16, 2);
	expect_data_seg(0, slot(1), 4 * KIB);
	expect_data_seg(1, slot(0), 4 * KIB);
	assert_memory_equal(disk_at(16), slot(1), 4 * KIB);
	assert_memory_equal(disk_at(24), slot(0), 4 * KIB);
	fake_virtio_assert_clean(fv);
}

/* One sector between two bios: two requests (sent with one kick). */
static void test_bios_with_a_sector_gap_are_not_merged(void **state)
{
	attach_ok(state, NULL);
	vblk_plug(disk);
	submit_write(0, 16, 4 * KIB);
	submit_write(1, 25, 4 * KIB);
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, 2, 0);
	expect_shape(&(struct vblk_stats){ .bios = 2, .requests = 2, .descriptors = 6,
					   .notifications = 1 });
	expect_device_saw(2, 1);
	expect_framing(FAKE_BLK_T_OUT, 25, 1);
	assert_memory_equal(disk_at(16), slot(0), 4 * KIB);
	assert_memory_equal(disk_at(25), slot(1), 4 * KIB);
	fake_virtio_assert_clean(fv);
}

/* A request carries one operation (virtio 1.2 §5.2.6: one type per
 * header), so a read right after an adjacent write stays apart. */
static void test_read_after_adjacent_write_is_not_merged(void **state)
{
	attach_ok(state, NULL);
	fill(disk_at(24), 4 * KIB, 0x55);
	vblk_plug(disk);
	submit_write(0, 16, 4 * KIB);
	prep_bio(1, VBLK_OP_READ, 24, slot(1), 4 * KIB);
	submit_ok(1);
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, 2, 0);
	expect_shape(&(struct vblk_stats){ .bios = 2, .requests = 2, .descriptors = 6,
					   .notifications = 1 });
	expect_device_saw(2, 1);
	expect_framing(FAKE_BLK_T_IN, 24, 1);
	assert_memory_equal(slot(1), disk_at(24), 4 * KIB);
	assert_memory_equal(disk_at(16), slot(0), 4 * KIB);
	fake_virtio_assert_clean(fv);
}

/* A FLUSH covers the writes before it; a write after it that joined an
 * earlier request would slip in front of it. Neither a back- nor a
 * front-adjacent write merges across it. */
static void test_writes_do_not_merge_across_a_flush(void **state)
{
	attach_ok(state, NULL);
	vblk_plug(disk);
	submit_write(0, 16, 4 * KIB);
	prep_flush(1);
	submit_ok(1);
	submit_write(2, 24, 4 * KIB);   /* would back-merge into bio 0 */
	submit_write(3, 8, 4 * KIB);    /* would front-merge into bio 0 */
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, 4, 0);
	/* Write 0 goes alone; the FLUSH and the two writes after it once it
	 * has completed: two kicks. */
	expect_shape(&(struct vblk_stats){ .bios = 4, .requests = 4, .descriptors = 11,
					   .notifications = 2 });
	expect_device_saw(4, 2);
	assert_int_equal(fake_virtio_stats(fv)->flushes, 1);
	assert_true(done_seq[0] < done_seq[1]);
	assert_memory_equal(disk_at(8), slot(3), 4 * KIB);
	assert_memory_equal(disk_at(16), slot(0), 4 * KIB);
	assert_memory_equal(disk_at(24), slot(2), 4 * KIB);
	fake_virtio_assert_clean(fv);
}

/* A write adjacent to an earlier write, but overlapping a read queued in
 * between, must not join the earlier write: it would then be sent before
 * the read and change what the read returns. */
static void test_bio_does_not_merge_ahead_of_a_request_it_overlaps(void **state)
{
	attach_ok(state, NULL);
	fill(disk_at(24), 4 * KIB, 0x66);
	fill(slot(9), 4 * KIB, 0x66);       /* the disk's old contents */
	vblk_plug(disk);
	submit_write(0, 16, 4 * KIB);
	prep_bio(1, VBLK_OP_READ, 24, slot(1), 4 * KIB);
	submit_ok(1);
	submit_write(2, 24, 4 * KIB);
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, 3, 0);
	expect_shape(&(struct vblk_stats){ .bios = 3, .requests = 3, .descriptors = 9,
					   .notifications = 1 });
	expect_device_saw(3, 1);
	assert_memory_equal(slot(1), slot(9), 4 * KIB);
	assert_memory_equal(disk_at(24), slot(2), 4 * KIB);
	fake_virtio_assert_clean(fv);
}

/*
 * Plugged: a write at sector 0, then `between` unrelated writes, then one
 * that continues the first. The queue looks at the last BLK_MERGE_SCAN
 * pending requests for a merge, newest first, so the last write joins the
 * first one only if that is among them. Either way every byte lands.
 */
static void merge_across(void **state, unsigned between, bool merges)
{
	attach_ok(state, NULL);
	vblk_plug(disk);
	submit_write(0, 0, 4 * KIB);
	for (unsigned i = 1; i <= between; i++)
		submit_write(i, 1000 + 100 * i, 4 * KIB);   /* gaps: nothing merges */
	submit_write(between + 1, 8, 4 * KIB);
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, between + 2, 0);
	struct vblk_stats stats = queue_stats();
	assert_int_equal(stats.back_merges, merges ? 1 : 0);
	assert_int_equal(stats.requests, between + (merges ? 1 : 2));
	assert_memory_equal(disk_at(0), slot(0), 4 * KIB);
	assert_memory_equal(disk_at(8), slot(between + 1), 4 * KIB);
	for (unsigned i = 1; i <= between; i++)
		assert_memory_equal(disk_at(1000 + 100 * i), slot(i), 4 * KIB);
	fake_virtio_assert_clean(fv);
}

static void test_bio_merges_into_the_eighth_request_from_the_end(void **state)
{
	merge_across(state, BLK_MERGE_SCAN - 1, true);
}

static void test_bio_does_not_look_further_back_than_eight_requests(void **state)
{
	merge_across(state, BLK_MERGE_SCAN, false);
}

static void seg_max_2(struct fake_virtio_opts *opts)
{
	opts->seg_max = 2;
}

/* virtio 1.2 §5.2.4: at most seg_max data buffers per request. Two
 * one-segment bios fill a request; the third adjacent one starts another. */
static void test_merge_stops_at_seg_max(void **state)
{
	attach_ok(state, seg_max_2);
	assert_int_equal(vblk_max_bio_segs(disk), 2);
	vblk_plug(disk);
	submit_write(0, 16, SECTOR_BYTES);
	submit_write(1, 17, SECTOR_BYTES);
	submit_write(2, 18, SECTOR_BYTES);
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, 3, 0);
	expect_shape(&(struct vblk_stats){ .bios = 3, .requests = 2, .back_merges = 1,
					   .descriptors = 7, .notifications = 1 });
	expect_device_saw(2, 1);
	expect_framing(FAKE_BLK_T_OUT, 18, 1);
	for (unsigned i = 0; i < 3; i++)
		assert_memory_equal(disk_at(16 + i), slot(i), SECTOR_BYTES);
	fake_virtio_assert_clean(fv);
}

/* A request counts its descriptors only when a bio first tries to join
 * it, and its first bio's count then too: two segments of the first bio
 * (apart in memory) and one of the next are three descriptors, one more
 * than seg_max, so the second bio starts a request of its own. */
static void test_first_bios_segments_count_when_the_next_tries_to_merge(void **state)
{
	attach_ok(state, seg_max_2);
	fill(slot(0), SECTOR_BYTES, 1);
	fill(slot(2), SECTOR_BYTES, 3);
	vblk_plug(disk);
	prep_bio(0, VBLK_OP_WRITE, 16, slot(0), SECTOR_BYTES);
	add_seg(0, slot(2), SECTOR_BYTES);
	submit_ok(0);
	submit_write(1, 18, SECTOR_BYTES);
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, 2, 0);
	expect_shape(&(struct vblk_stats){ .bios = 2, .requests = 2, .descriptors = 7,
					   .notifications = 1 });
	assert_memory_equal(disk_at(16), slot(0), SECTOR_BYTES);
	assert_memory_equal(disk_at(17), slot(2), SECTOR_BYTES);
	assert_memory_equal(disk_at(18), slot(1), SECTOR_BYTES);
	fake_virtio_assert_clean(fv);
}

static void room_for_max_request(struct fake_virtio_opts *opts)
{
	opts->capacity_sectors = (VBLK_MAX_REQUEST_BYTES + MIB) / SECTOR_BYTES;
}

/* A request carries at most vblk_max_bio_bytes(): a bio that would take
 * a full request past it starts a new one. */
static void test_merge_stops_at_max_request_bytes(void **state)
{
	attach_ok(state, room_for_max_request);
	uint32_t max_bytes = vblk_max_bio_bytes(disk);
	assert_int_equal(max_bytes, VBLK_MAX_REQUEST_BYTES);
	uint8_t *big = pool, *small = pool + max_bytes + SLOT_BYTES;
	fill(big, max_bytes, 1);
	fill(small, 4 * KIB, 2);

	vblk_plug(disk);
	prep_bio(0, VBLK_OP_WRITE, 0, big, max_bytes);
	submit_ok(0);
	prep_bio(1, VBLK_OP_WRITE, max_bytes / SECTOR_BYTES, small, 4 * KIB);
	submit_ok(1);
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, 2, 0);
	expect_shape(&(struct vblk_stats){ .bios = 2, .requests = 2, .descriptors = 6,
					   .notifications = 1 });
	expect_device_saw(2, 1);
	assert_memory_equal(disk_at(0), big, max_bytes);
	assert_memory_equal(disk_at(max_bytes / SECTOR_BYTES), small, 4 * KIB);
	fake_virtio_assert_clean(fv);
}

static void size_max_4k(struct fake_virtio_opts *opts)
{
	opts->features |= FAKE_BIT(FAKE_F_BLK_SIZE_MAX);
	opts->size_max_bytes = 4 * KIB;
}

/* virtio 1.2 §5.2.4: no data buffer longer than size_max, so one 16 KiB
 * segment goes out as four 4 KiB descriptors. */
static void test_segment_longer_than_size_max_is_split_into_descriptors(void **state)
{
	attach_ok(state, size_max_4k);
	assert_int_equal(vblk_disk_info(disk)->size_max_bytes, 4 * KIB);
	fill(disk_at(32), 16 * KIB, 3);
	prep_bio(0, VBLK_OP_READ, 32, pool, 16 * KIB);
	submit_ok(0);
	wait_all(1, 0);

	expect_done_once(0, 1, 0);
	expect_shape(&(struct vblk_stats){ .bios = 1, .requests = 1, .descriptors = 6,
					   .notifications = 1 });
	expect_device_saw(1, 1);
	expect_framing(FAKE_BLK_T_IN, 32, 4);
	for (unsigned i = 0; i < 4; i++)
		expect_data_seg(i, pool + i * 4 * KIB, 4 * KIB);
	assert_memory_equal(pool, disk_at(32), 16 * KIB);
	fake_virtio_assert_clean(fv);
}

static void two_4k_segments(struct fake_virtio_opts *opts)
{
	size_max_4k(opts);
	opts->seg_max = 2;
}

/* A bio no request can carry is refused whole, before anything is queued. */
static void expect_too_big(unsigned idx)
{
	assert_int_equal(vblk_submit(disk, &bios[idx]), -VBLK_ETOOBIG);
	assert_int_equal(done_calls[idx], 0);
}

/* With seg_max 2 and size_max 4 KiB a request holds 8 KiB in two
 * descriptors. Bios needing more bytes, more segments, or more
 * descriptors once cut at size_max are refused with -VBLK_ETOOBIG. */
static void test_bio_over_the_request_limits_is_refused_with_etoobig(void **state)
{
	attach_ok(state, two_4k_segments);
	assert_int_equal(vblk_max_bio_segs(disk), 2);
	assert_int_equal(vblk_max_bio_bytes(disk), 8 * KIB);

	prep_bio(0, VBLK_OP_WRITE, 0, slot(0), 12 * KIB);      /* bytes */
	expect_too_big(0);
	prep_bio(1, VBLK_OP_WRITE, 0, slot(0), SECTOR_BYTES);   /* segments */
	add_seg(1, slot(1), SECTOR_BYTES);
	add_seg(1, slot(2), SECTOR_BYTES);
	expect_too_big(1);
	prep_bio(2, VBLK_OP_READ, 0, slot(0), SECTOR_BYTES);    /* 512 + 4096 + 3584 */
	add_seg(2, slot(1), 7 * KIB + SECTOR_BYTES);
	expect_too_big(2);
	assert_int_equal(queue_stats().bios, 0);
	expect_device_saw(0, 0);

	/* Exactly at the limits: one 8 KiB segment, cut in two. */
	prep_bio(3, VBLK_OP_READ, 0, slot(0), 8 * KIB);
	submit_ok(3);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(3, 1, 0);
	expect_framing(FAKE_BLK_T_IN, 0, 2);
	fake_virtio_assert_clean(fv);
}

/* Two bios whose buffers touch in memory and whose sectors touch on disk
 * become one request with a single data descriptor. */
static void test_contiguous_bios_coalesce_into_one_descriptor(void **state)
{
	attach_ok(state, NULL);
	fill(pool, 8 * KIB, 4);
	vblk_plug(disk);
	prep_bio(0, VBLK_OP_WRITE, 40, pool, 4 * KIB);
	submit_ok(0);
	prep_bio(1, VBLK_OP_WRITE, 48, pool + 4 * KIB, 4 * KIB);
	submit_ok(1);
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, 2, 0);
	expect_shape(&(struct vblk_stats){ .bios = 2, .requests = 1, .back_merges = 1,
					   .coalesced_segs = 1, .descriptors = 3,
					   .notifications = 1 });
	expect_device_saw(1, 1);
	expect_framing(FAKE_BLK_T_OUT, 40, 1);
	expect_data_seg(0, pool, 8 * KIB);
	assert_memory_equal(disk_at(40), pool, 8 * KIB);
	fake_virtio_assert_clean(fv);
}

/* Coalescing fills a descriptor up to size_max and no further: 2 KiB +
 * 4 KiB of contiguous memory become 4 KiB + 2 KiB. */
static void test_coalescing_stops_at_size_max(void **state)
{
	attach_ok(state, size_max_4k);
	fill(pool, 6 * KIB, 5);
	vblk_plug(disk);
	prep_bio(0, VBLK_OP_WRITE, 16, pool, 2 * KIB);
	submit_ok(0);
	prep_bio(1, VBLK_OP_WRITE, 20, pool + 2 * KIB, 4 * KIB);
	submit_ok(1);
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, 2, 0);
	expect_shape(&(struct vblk_stats){ .bios = 2, .requests = 1, .back_merges = 1,
					   .coalesced_segs = 1, .descriptors = 4,
					   .notifications = 1 });
	expect_framing(FAKE_BLK_T_OUT, 16, 2);
	expect_data_seg(0, pool, 4 * KIB);
	expect_data_seg(1, pool + 4 * KIB, 2 * KIB);
	assert_memory_equal(disk_at(16), pool, 6 * KIB);
	fake_virtio_assert_clean(fv);
}

/* The picture in bio.h: many small adjacent writes out of one buffer cost
 * the device one request of three descriptors. */
#define SMALL_WRITES 64u

static void test_many_small_adjacent_writes_become_one_request(void **state)
{
	attach_ok(state, NULL);
	fill(pool, SMALL_WRITES * SECTOR_BYTES, 6);
	vblk_plug(disk);
	for (unsigned i = 0; i < SMALL_WRITES; i++) {
		prep_bio(i, VBLK_OP_WRITE, 100 + i, pool + i * SECTOR_BYTES, SECTOR_BYTES);
		submit_ok(i);
	}
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, SMALL_WRITES, 0);
	expect_shape(&(struct vblk_stats){ .bios = SMALL_WRITES, .requests = 1,
					   .back_merges = SMALL_WRITES - 1,
					   .coalesced_segs = SMALL_WRITES - 1,
					   .descriptors = 3, .notifications = 1 });
	expect_device_saw(1, 1);
	expect_data_seg(0, pool, SMALL_WRITES * SECTOR_BYTES);
	assert_memory_equal(disk_at(100), pool, SMALL_WRITES * SECTOR_BYTES);
	fake_virtio_assert_clean(fv);
}

/* ==== a full ring ===================================================== */

static unsigned count_done(unsigned count)
{
	unsigned done = 0;

	for (unsigned i = 0; i < count; i++)
		done += done_calls[i] != 0;
	return done;
}

/* Complete the device's held requests a few at a time, harvesting after
 * each batch, until bios [0, count) have all completed. If the device
 * holds nothing while some are still outstanding, the driver has dropped
 * them: fail instead of spinning. */
static void complete_in_batches(unsigned count, unsigned batch)
{
	unsigned done;

	while ((done = count_done(count)) < count) {
		if (fake_virtio_complete_some(fv, batch) == 0)
			fail_msg("%u of %u bios never reached the device", count - done, count);
		assert_true(vblk_poll(disk) >= 0);
	}
}

/*
 * The pending list is walked backwards from its tail, and dispatch takes
 * its head: after the ring has taken some requests (two requests fit the
 * small ring at a time here), a bio still finds the ones left, and the
 * walk ends at the new head instead of running into a dispatched request
 * (whose links belong to the device layer by then).
 */
static void test_bio_merges_into_what_dispatch_left_pending(void **state)
{
	attach_ok(state, small_direct_queue);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	unsigned n = 0;
	while (queue_stats().queue_full == 0) {   /* the last one waits for the ring */
		submit_write(n, 100 * n, SECTOR_BYTES);
		n++;
	}
	submit_write(n, 100 * n, SECTOR_BYTES);   /* and this one behind it */
	const unsigned dispatched = n - 1, pending = n;
	assert_int_equal(fake_virtio_complete_some(fv, 1), 1);
	assert_true(vblk_poll(disk) >= 0);      /* room for one: `dispatched` goes */
	assert_int_equal(fake_virtio_pending(fv), dispatched);

	submit_write(n + 1, 100 * pending + 1, SECTOR_BYTES);    /* continues `pending` */
	submit_write(n + 2, 100 * pending - 1, SECTOR_BYTES);    /* leads into it */
	submit_write(n + 3, 100 * dispatched + 1, SECTOR_BYTES); /* continues one sent */
	complete_in_batches(n + 4, 2);

	expect_done_once(0, n + 4, 0);
	struct vblk_stats stats = queue_stats();
	assert_int_equal(stats.back_merges, 1);
	assert_int_equal(stats.front_merges, 1);
	assert_int_equal(stats.requests, n + 2);
	for (unsigned i = 0; i <= n; i++)
		assert_memory_equal(disk_at(100 * i), slot(i), SECTOR_BYTES);
	assert_memory_equal(disk_at(100 * pending + 1), slot(n + 1), SECTOR_BYTES);
	assert_memory_equal(disk_at(100 * pending - 1), slot(n + 2), SECTOR_BYTES);
	assert_memory_equal(disk_at(100 * dispatched + 1), slot(n + 3), SECTOR_BYTES);
	fake_virtio_assert_clean(fv);
}

/* More bios than the driver has requests, each needing its own request:
 * some wait for a request, most for ring space. */
#define FLOOD_BIOS (BLK_MAX_REQS + 22)

/*
 * Eight descriptors hold two 3-descriptor chains (direct only here; with
 * indirect tables see test_full_ring_takes_indirect_chains_in_the_gap).
 * The rest wait in the driver (counted as queue_full), go out as the
 * device completes newest first, and every bio completes exactly once with
 * its data on the disk.
 */
static void test_full_ring_holds_bios_back_and_loses_none(void **state)
{
	attach_ok(state, small_direct_queue);
	assert_int_equal(vblk_disk_info(disk)->queue_size, SMALL_QUEUE);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	fake_virtio_set_order(fv, FAKE_ORDER_REVERSED, 0);

	for (unsigned i = 0; i < FLOOD_BIOS; i++)
		submit_write(i, 2 * i, SECTOR_BYTES);   /* a sector apart: no merging */
	assert_true(queue_stats().queue_full > 0);
	assert_int_equal(fake_virtio_pending(fv), 2);
	expect_not_done(0, FLOOD_BIOS);

	complete_in_batches(FLOOD_BIOS, 1);
	expect_done_once(0, FLOOD_BIOS, 0);
	for (unsigned i = 0; i < FLOOD_BIOS; i++)
		assert_memory_equal(disk_at(2 * i), slot(i), SECTOR_BYTES);
	struct vblk_stats stats = queue_stats();
	assert_int_equal(stats.requests, FLOOD_BIOS);
	assert_int_equal(stats.completions, FLOOD_BIOS);
	assert_int_equal(stats.errors, 0);
	assert_int_equal(fake_virtio_stats(fv)->requests, FLOOD_BIOS);
	assert_int_equal(fake_virtio_stats(fv)->max_pending, 2);
	fake_virtio_assert_clean(fv);
}

/* Poll only, completing `batch` held requests at a time, until bios
 * [0, count) are done; fail if the device holds nothing meanwhile. */
static void poll_in_batches_or_fail(unsigned count, unsigned batch)
{
	for (unsigned polls = 0; count_done(count) < count; polls++) {
		if (polls == 10 * count)
			fail_msg("%u of %u bios never completed (device holds %u)",
				 count - count_done(count), count, fake_virtio_pending(fv));
		fake_virtio_complete_some(fv, batch);
		assert_true(vblk_poll(disk) >= 0);
	}
}

/* The device holds what it gets; plugged, FLOOD_BIOS writes a sector
 * apart (no merging): more bios than the disk has requests. */
static void plugged_flood_of_writes(void)
{
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	vblk_plug(disk);
	for (unsigned i = 0; i < FLOOD_BIOS; i++)
		submit_write(i, 2 * i, SECTOR_BYTES);
}

/*
 * bio.h: a full plug dispatches. A thread that plugs, submits more bios
 * than there are requests and then only polls: the first full plug goes
 * out, the rest wait for a request; as completions free requests, the
 * bios that waited take them and, the plug having run over, go out too,
 * so polling alone completes every bio. Before, they sat in requests held
 * back by the plug, with nothing in flight to end the polling.
 */
static void test_a_plug_that_ran_over_sends_what_waited_as_requests_free(void **state)
{
	attach_ok(state, NULL);
	plugged_flood_of_writes();
	assert_int_equal(fake_virtio_pending(fv), BLK_MAX_REQS);
	poll_in_batches_or_fail(FLOOD_BIOS, 8);
	expect_done_once(0, FLOOD_BIOS, 0);
	for (unsigned i = 0; i < FLOOD_BIOS; i++)
		assert_memory_equal(disk_at(2 * i), slot(i), SECTOR_BYTES);
	vblk_unplug(disk);
	fake_virtio_assert_clean(fv);
}

/*
 * Requests refused at dispatch (the disk shrank under them) free their
 * slots, and bios that waited for one go out in the same run: nothing
 * else would admit them. Here the ring holds two chains (direct only):
 * two requests are in flight, the other slots' requests wait for ring
 * space at the end of the disk, and three bios wait for a slot. The disk
 * then shrinks under the pending requests; the two in flight complete:
 * their slots admit two of the waiting bios, the pending requests are
 * refused one by one as the run reaches them, and the third waiting bio
 * takes a freed slot in that same run.
 */
#define FLOOD_SECTORS (2 * BLK_MAX_REQS + 2)
#define FLOOD_WAITING 3u

static void test_bios_waiting_behind_refused_requests_go_out_at_once(void **state)
{
	const unsigned flood = BLK_MAX_REQS - 2, first_waiting = BLK_MAX_REQS;

	attach_ok(state, small_direct_queue);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	uint64_t capacity = vblk_capacity(disk);
	submit_write(0, 0, SECTOR_BYTES);
	submit_write(1, 2, SECTOR_BYTES);
	assert_int_equal(fake_virtio_pending(fv), 2);   /* the ring is full */
	for (unsigned i = 2; i < 2 + flood; i++)
		submit_write(i, capacity - FLOOD_SECTORS + 2 * i, SECTOR_BYTES);
	for (unsigned i = 0; i < FLOOD_WAITING; i++)
		submit_write(first_waiting + i, 4 + 2 * i, SECTOR_BYTES);
	expect_not_done(0, first_waiting + FLOOD_WAITING);

	fake_virtio_resize(fv, capacity - FLOOD_SECTORS);   /* every flood bio past it */
	assert_int_equal(fake_virtio_complete_all(fv), 2);
	assert_true(vblk_poll(disk) >= 2);
	expect_done_once(0, 2, 0);
	for (unsigned i = 2; i < 2 + flood; i++)
		assert_int_equal(done_status[i], -VBLK_ERANGE);
	/* The waiting bios, the third included, are in requests; two fit the
	 * ring, the third goes out as they complete. */
	assert_int_equal(fake_virtio_pending(fv), 2);
	complete_in_batches(first_waiting + FLOOD_WAITING, 1);
	expect_done_once(first_waiting, FLOOD_WAITING, 0);
	for (unsigned i = 0; i < FLOOD_WAITING; i++)
		assert_memory_equal(disk_at(4 + 2 * i), slot(first_waiting + i), SECTOR_BYTES);
	fake_virtio_assert_clean(fv);
}

/* A plug that ran over on a ring too small for its requests: the full
 * plug's requests the ring could not take stay pending; once the waiting
 * bios were admitted, the plug held them again, with nothing in flight to
 * end the polling. They go out as the ring makes room. */
static void test_a_plug_that_ran_over_on_a_small_ring_sends_what_the_ring_left(void **state)
{
	attach_ok(state, small_direct_queue);
	plugged_flood_of_writes();
	poll_in_batches_or_fail(FLOOD_BIOS, 1);
	expect_done_once(0, FLOOD_BIOS, 0);
	vblk_unplug(disk);
	fake_virtio_assert_clean(fv);
}

/*
 * Every request of the disk is in flight, held by the device, when a
 * synchronous read comes: it finds no request to build and goes through
 * the queue instead, waiting for a slot. The device completes what it
 * holds at the wait's first relax; the read then goes out, returns the
 * disk's data, and every bio before it completed once.
 */
static void test_a_synchronous_read_with_every_request_in_flight_waits_for_one(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	for (unsigned i = 0; i < BLK_MAX_REQS; i++)
		submit_write(i, 2 * i, SECTOR_BYTES);   /* a sector apart: no merging */
	assert_int_equal(fake_virtio_pending(fv), BLK_MAX_REQS);

	const uint64_t sector = 4 * BLK_MAX_REQS;
	uint8_t *read_buf = slot(BLK_MAX_REQS);
	fill(disk_at(sector), 4 * KIB, 0x3c);
	memset(read_buf, 0, 4 * KIB);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	fake_virtio_at_access(fv, &(struct fake_virtio_at){ .kind = FAKE_AT_RELAX, .nth = 1,
							   .event = FAKE_EVENT_COMPLETE_ALL });
	assert_int_equal(vblk_read(disk, sector, read_buf, 4 * KIB / SECTOR_BYTES), 0);
	assert_memory_equal(read_buf, disk_at(sector), 4 * KIB);
	assert_int_equal(fake_virtio_at_fired(fv), 1);
	expect_done_once(0, BLK_MAX_REQS, 0);
	for (unsigned i = 0; i < BLK_MAX_REQS; i++)
		assert_memory_equal(disk_at(2 * i), slot(i), SECTOR_BYTES);
	fake_virtio_assert_clean(fv);
}

/* A plug that ran over with a FLUSH at the head of what it holds: the
 * FLUSH waits for the writes in flight, and the bio that waited is
 * admitted behind it; when the writes completed, no bio was waiting any
 * more and the plug held the FLUSH and the bio back for ever. */
static void test_a_plug_that_ran_over_behind_a_flush_sends_both(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	vblk_plug(disk);
	for (unsigned i = 0; i + 1 < BLK_MAX_REQS; i++)
		submit_write(i, 2 * i, SECTOR_BYTES);
	prep_flush(BLK_MAX_REQS - 1);
	submit_ok(BLK_MAX_REQS - 1);
	submit_write(BLK_MAX_REQS, 2 * BLK_MAX_REQS, SECTOR_BYTES);   /* waits for a slot */
	poll_in_batches_or_fail(BLK_MAX_REQS + 1, 1);
	expect_done_once(0, BLK_MAX_REQS + 1, 0);
	vblk_unplug(disk);
	fake_virtio_assert_clean(fv);
}

/*
 * With every request in use, new bios wait in a list of their own. When a
 * request frees up they are admitted in order and still merge with each
 * other: the first starts a request, the next joins it in front, the last
 * at the back. None is lost on the way.
 */
static void test_bios_that_waited_for_a_request_still_merge(void **state)
{
	const unsigned first_waiting = BLK_MAX_REQS;
	const uint64_t middle = 1000;

	attach_ok(state, small_queue);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	for (unsigned i = 0; i < BLK_MAX_REQS; i++)
		submit_write(i, 2 * i, SECTOR_BYTES);   /* every request in use */
	submit_write(first_waiting, middle, SECTOR_BYTES);
	submit_write(first_waiting + 1, middle - 1, SECTOR_BYTES);
	submit_write(first_waiting + 2, middle + 1, SECTOR_BYTES);
	assert_int_equal(queue_stats().back_merges + queue_stats().front_merges, 0);

	complete_in_batches(first_waiting + 3, 2);
	expect_done_once(0, first_waiting + 3, 0);
	struct vblk_stats stats = queue_stats();
	assert_int_equal(stats.requests, BLK_MAX_REQS + 1);
	assert_int_equal(stats.front_merges, 1);
	assert_int_equal(stats.back_merges, 1);
	assert_int_equal(fake_virtio_stats(fv)->requests, BLK_MAX_REQS + 1);
	for (unsigned i = 0; i < 3; i++) {
		uint64_t sector = i == 0 ? middle : i == 1 ? middle - 1 : middle + 1;
		assert_memory_equal(disk_at(sector), slot(first_waiting + i), SECTOR_BYTES);
	}
	fake_virtio_assert_clean(fv);
}

#define SHUFFLED_READS 40u

/* Same with reads completed in a shuffled order: each buffer gets its own
 * sectors, whichever request the device answers first. */
static void test_full_ring_reads_complete_in_shuffled_order(void **state)
{
	attach_ok(state, medium_direct_queue);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	fake_virtio_set_order(fv, FAKE_ORDER_SHUFFLED, 7);
	fill(disk_at(0), 3 * SHUFFLED_READS * SECTOR_BYTES, 9);

	for (unsigned i = 0; i < SHUFFLED_READS; i++) {
		memset(slot(i), 0, 2 * SECTOR_BYTES);
		prep_bio(i, VBLK_OP_READ, 3 * i, slot(i), 2 * SECTOR_BYTES);
		submit_ok(i);
	}
	assert_true(queue_stats().queue_full > 0);
	assert_int_equal(fake_virtio_pending(fv), MEDIUM_QUEUE / 3);

	complete_in_batches(SHUFFLED_READS, 3);
	expect_done_once(0, SHUFFLED_READS, 0);
	for (unsigned i = 0; i < SHUFFLED_READS; i++)
		assert_memory_equal(slot(i), disk_at(3 * i), 2 * SECTOR_BYTES);
	assert_int_equal(queue_stats().back_merges + queue_stats().front_merges, 0);
	fake_virtio_assert_clean(fv);
}

/* ==== device errors =================================================== */

/*
 * The device answers for a chain as a whole (virtio 1.2 §5.2.6: one status
 * byte), so when it fails the request holding bios 0-2 each of them gets
 * the error; bio 3, in a request of its own, succeeds. The disk keeps
 * working afterwards.
 */
static void expect_merged_request_fails_with(void **state, uint8_t device_status, int err)
{
	attach_ok(state, NULL);
	fake_virtio_fail_sector(fv, 28, device_status, FAKE_ONCE);
	vblk_plug(disk);
	submit_write(0, 16, 4 * KIB);
	submit_write(1, 24, 4 * KIB);   /* holds sector 28 */
	submit_write(2, 32, 4 * KIB);
	submit_write(3, 64, 4 * KIB);
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);

	expect_done_once(0, 3, err);
	expect_done_once(3, 1, 0);
	assert_int_equal(queue_stats().requests, 2);
	assert_int_equal(queue_stats().back_merges, 2);
	assert_int_equal(queue_stats().errors, 3);
	assert_int_equal(fake_virtio_stats(fv)->failed_by_knob, 1);
	assert_memory_equal(disk_at(64), slot(3), 4 * KIB);

	fill(pool, 12 * KIB, 8);
	assert_int_equal(vblk_write(disk, 16, pool, 24), 0);
	assert_memory_equal(disk_at(16), pool, 12 * KIB);
	fake_virtio_assert_clean(fv);
}

static void test_ioerr_fails_every_bio_of_the_merged_request(void **state)
{
	expect_merged_request_fails_with(state, FAKE_BLK_S_IOERR, -VBLK_EIO);
}

static void test_unsupp_fails_every_bio_of_the_merged_request(void **state)
{
	expect_merged_request_fails_with(state, FAKE_BLK_S_UNSUPP, -VBLK_EUNSUPP);
}

/*
 * A used entry naming no chain (virtio 1.2 §2.7.8: the device returns only
 * heads it was given) breaks the disk. The device is reset, and every bio,
 * merged or not, completes once with -VBLK_EBROKEN; new bios are refused
 * until vblk_reset.
 */
#define BROKEN_BIOS 6u

static void test_broken_used_ring_fails_every_bio_in_flight_once(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	vblk_plug(disk);
	submit_write(0, 8, SECTOR_BYTES);
	submit_write(1, 9, SECTOR_BYTES);   /* merges with bio 0 */
	for (unsigned i = 2; i < BROKEN_BIOS; i++)
		submit_write(i, 16 * i, SECTOR_BYTES);
	vblk_unplug(disk);
	assert_int_equal(fake_virtio_pending(fv), BROKEN_BIOS - 1);

	fake_virtio_corrupt_used(fv, FAKE_USED_ID_OUT_OF_RANGE, FAKE_ONCE);
	fake_virtio_complete_all(fv);
	assert_int_equal(vblk_poll(disk), -VBLK_EBROKEN);
	expect_done_once(0, BROKEN_BIOS, -VBLK_EBROKEN);
	assert_int_equal(queue_stats().errors, BROKEN_BIOS);
	assert_false(fake_virtio_queue_ready(fv));

	prep_bio(BROKEN_BIOS, VBLK_OP_READ, 0, slot(0), SECTOR_BYTES);
	assert_int_equal(vblk_submit(disk, &bios[BROKEN_BIOS]), -VBLK_EBROKEN);
	assert_int_equal(vblk_poll(disk), -VBLK_EBROKEN);
	expect_done_once(0, BROKEN_BIOS, -VBLK_EBROKEN);
	assert_int_equal(done_calls[BROKEN_BIOS], 0);

	assert_int_equal(vblk_reset(disk), 0);
	expect_done_once(0, BROKEN_BIOS, -VBLK_EBROKEN);   /* not canceled again */
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	submit_write(BROKEN_BIOS, 8, SECTOR_BYTES);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(BROKEN_BIOS, 1, 0);
	assert_memory_equal(disk_at(8), slot(BROKEN_BIOS), SECTOR_BYTES);
	fake_virtio_assert_clean(fv);
}

/* A device that never answers: after the timeout with no progress the
 * wait gives up, the device is reset (so it lets go of the buffers,
 * virtio 1.2 §3.3.1) and every queued bio - in the ring or still waiting
 * for room - completes once with -VBLK_ETIMEDOUT. */
#define TIMEOUT_BIOS 5u

static void test_timeout_fails_every_queued_bio_once(void **state)
{
	attach_ok(state, small_direct_queue);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	uint32_t resets = fake_virtio_stats(fv)->resets;
	for (unsigned i = 0; i < TIMEOUT_BIOS; i++)
		submit_write(i, 16 * i, SECTOR_BYTES);
	assert_int_equal(fake_virtio_pending(fv), 2);   /* the rest wait for room */

	wait_all(TIMEOUT_BIOS, -VBLK_ETIMEDOUT);
	expect_done_once(0, TIMEOUT_BIOS, -VBLK_ETIMEDOUT);
	assert_int_equal(queue_stats().errors, TIMEOUT_BIOS);
	assert_int_equal(fake_virtio_stats(fv)->resets, resets + 1);
	assert_false(fake_virtio_queue_ready(fv));
	assert_true(host_time_us() >= SHORT_TIMEOUT_US);

	prep_bio(TIMEOUT_BIOS, VBLK_OP_READ, 0, slot(0), SECTOR_BYTES);
	assert_int_equal(vblk_submit(disk, &bios[TIMEOUT_BIOS]), -VBLK_EBROKEN);
	fake_virtio_assert_clean(fv);
}

/* The host stalls the CPU between the wait's last harvest and its clock
 * read for longer than the timeout, and the device finishes meanwhile:
 * the wait finds the time up with the completion in the used ring. That
 * is progress, not a timeout: the bio succeeds and the disk stays up. */
static void stall_while_the_device_finishes(void *ctx)
{
	host_advance_time_us(2 * SHORT_TIMEOUT_US);
	fake_virtio_complete_all(ctx);
}

static void test_completion_during_a_stall_past_the_timeout_is_not_a_timeout(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	submit_write(0, 16, 4 * KIB);
	host_set_clock_hook(stall_while_the_device_finishes, fv, 1);
	wait_all(1, 0);
	expect_done_once(0, 1, 0);
	assert_memory_equal(disk_at(16), slot(0), 4 * KIB);
	assert_int_equal(queue_stats().errors, 0);
	assert_true(host_time_us() >= 2 * SHORT_TIMEOUT_US);

	/* The disk is up: the next request goes through. */
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	submit_write(1, 32, 4 * KIB);
	wait_all(2, 0);
	assert_memory_equal(disk_at(32), slot(1), 4 * KIB);
	fake_virtio_assert_clean(fv);
}

static void test_disk_works_again_after_timeout_and_reset(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	submit_write(0, 16, SECTOR_BYTES);
	wait_all(1, -VBLK_ETIMEDOUT);

	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
	expect_done_once(0, 1, -VBLK_ETIMEDOUT);
	submit_write(1, 16, SECTOR_BYTES);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(1, 1, 0);
	assert_memory_equal(disk_at(16), slot(1), SECTOR_BYTES);
	fake_virtio_assert_clean(fv);
}

/* ==== indirect descriptors (virtio 1.2 §2.7.5.3) ===================== */

/* Bio `idx`: a write of two 512-byte segments of slot(idx) with a gap
 * between them, so they cannot coalesce: a 4-descriptor chain. */
static void submit_two_segment_write(unsigned idx, uint64_t sector)
{
	uint8_t *mem = slot(idx);

	fill(mem, 2 * KIB, (uint8_t)(idx + 1));
	prep_bio(idx, VBLK_OP_WRITE, sector, mem, SECTOR_BYTES);
	add_seg(idx, mem + KIB, SECTOR_BYTES);
	submit_ok(idx);
}

static void expect_two_segment_write_on_disk(unsigned idx, uint64_t sector)
{
	assert_memory_equal(disk_at(sector), slot(idx), SECTOR_BYTES);
	assert_memory_equal(disk_at(sector + 1), slot(idx) + KIB, SECTOR_BYTES);
}

/* Three two-segment writes (4-descriptor chains) sent at once to a ring
 * of 8. The first goes in directly: 4 descriptors leave 4, one for each
 * request behind it. The second would leave none for the third, so it
 * goes through its table, one descriptor; so does the third (4 > 3 free).
 * All three are in the device's hands, where direct chains fit two. */
static void plug_three_two_segment_writes(void)
{
	vblk_plug(disk);
	for (unsigned i = 0; i < 3; i++)
		submit_two_segment_write(i, 16 * i);
	vblk_unplug(disk);
}

/* The device sees the same framing (§5.2.6) inside the table: header,
 * data, status, every entry but the last linked with NEXT. */
static void test_requests_go_indirect_when_ring_space_is_short(void **state)
{
	attach_ok(state, small_queue);
	assert_true(fake_virtio_accepted_features(fv) & FAKE_BIT(FAKE_F_INDIRECT_DESC));
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	plug_three_two_segment_writes();

	assert_int_equal(fake_virtio_pending(fv), 3);
	expect_shape(&(struct vblk_stats){ .bios = 3, .requests = 3, .descriptors = 4 + 1 + 1,
					   .notifications = 1 });
	assert_int_equal(queue_stats().queue_full, 0);
	const struct fake_virtio_chain *chain = last_chain();
	assert_true(chain->indirect);
	expect_framing(FAKE_BLK_T_OUT, 32, 2);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(chain->seg[i].flags, FAKE_DESC_F_NEXT);
	assert_int_equal(chain->seg[3].flags, FAKE_DESC_F_WRITE);
	expect_data_seg(0, slot(2), SECTOR_BYTES);
	expect_data_seg(1, slot(2) + KIB, SECTOR_BYTES);

	fake_virtio_complete_all(fv);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(0, 3, 0);
	for (unsigned i = 0; i < 3; i++)
		expect_two_segment_write_on_disk(i, 16 * i);
	assert_int_equal(vring_num_free(&disk->dev.ring), SMALL_QUEUE);
	fake_virtio_assert_clean(fv);
}

/* With room to spare a chain goes into the ring directly: that costs the
 * device less than mapping a table (blk/request.c). */
static void test_chain_goes_direct_while_the_ring_has_room(void **state)
{
	attach_ok(state, NULL);
	submit_two_segment_write(0, 16);
	assert_int_equal(vblk_drain(disk), 0);

	expect_shape(&(struct vblk_stats){ .bios = 1, .requests = 1, .descriptors = 4,
					   .notifications = 1 });
	assert_false(last_chain()->indirect);
	expect_framing(FAKE_BLK_T_OUT, 16, 2);
	expect_two_segment_write_on_disk(0, 16);
	fake_virtio_assert_clean(fv);
}

/* §2.7.5.3.1 (SPL-9): without the feature no INDIRECT flag, ever (the
 * fake records a violation if one appears): the third write waits. */
static void test_indirect_is_not_used_unless_negotiated(void **state)
{
	attach_ok(state, small_direct_queue);
	assert_false(fake_virtio_accepted_features(fv) & FAKE_BIT(FAKE_F_INDIRECT_DESC));
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	plug_three_two_segment_writes();

	assert_int_equal(fake_virtio_pending(fv), 2);
	assert_int_equal(queue_stats().descriptors, 4 + 4);
	assert_true(queue_stats().queue_full > 0);
	assert_false(last_chain()->indirect);

	complete_in_batches(3, 1);
	expect_done_once(0, 3, 0);
	assert_int_equal(queue_stats().descriptors, 4 + 4 + 4);
	assert_false(last_chain()->indirect);
	for (unsigned i = 0; i < 3; i++)
		expect_two_segment_write_on_disk(i, 16 * i);
	fake_virtio_assert_clean(fv);
}

static void queue_64_size_max_4k(struct fake_virtio_opts *opts)
{
	opts->queue_num_max = 64;
	size_max_4k(opts);
}

/* Bio `idx`: a write of `ndata` 4 KiB pieces of the pool, cut at size_max
 * into `ndata` data descriptors. */
static void submit_long_write(unsigned idx, uint64_t sector, unsigned ndata, uint8_t *mem)
{
	fill(mem, ndata * 4 * KIB, (uint8_t)(idx + 1));
	prep_bio(idx, VBLK_OP_WRITE, sector, mem, ndata * 4 * KIB);
	submit_ok(idx);
}

/* A table holds VBLK_INDIRECT_MAX descriptors. Under ring pressure a chain
 * that long still takes one ring descriptor; one longer goes into the ring
 * directly, or waits for room there. */
static void test_chain_longer_than_the_table_never_goes_indirect(void **state)
{
	const unsigned too_long = VBLK_INDIRECT_MAX - 1, fits = VBLK_INDIRECT_MAX - 2;
	uint8_t *mem0 = pool, *mem1 = pool + MIB, *mem2 = pool + 2 * MIB;

	attach_ok(state, queue_64_size_max_4k);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	vblk_plug(disk);
	submit_long_write(0, 0, too_long, mem0);      /* direct: 64 - 33 = 31 left */
	submit_long_write(1, 512, fits, mem1);        /* 32 > 31: its table */
	submit_long_write(2, 1024, too_long, mem2);   /* no table, no room: waits */
	vblk_unplug(disk);

	assert_int_equal(fake_virtio_pending(fv), 2);
	assert_int_equal(queue_stats().descriptors, (too_long + 2) + 1);
	assert_true(queue_stats().queue_full > 0);
	assert_true(last_chain()->indirect);
	assert_int_equal(last_chain()->nsegs, VBLK_INDIRECT_MAX);

	complete_in_batches(3, 1);
	expect_done_once(0, 3, 0);
	assert_false(last_chain()->indirect);
	assert_int_equal(last_chain()->nsegs, too_long + 2);
	assert_memory_equal(disk_at(0), mem0, too_long * 4 * KIB);
	assert_memory_equal(disk_at(512), mem1, fits * 4 * KIB);
	assert_memory_equal(disk_at(1024), mem2, too_long * 4 * KIB);
	fake_virtio_assert_clean(fv);
}

/* §2.7.5.3.1: a chain is no longer than the queue even in a table, so
 * indirect tables do not raise the per-request segment limit. */
static void test_indirect_does_not_raise_the_segment_limit(void **state)
{
	attach_ok(state, medium_queue);
	assert_true(fake_virtio_accepted_features(fv) & FAKE_BIT(FAKE_F_INDIRECT_DESC));
	assert_int_equal(vblk_max_bio_segs(disk), MEDIUM_QUEUE - 2);
}

/*
 * The ring of 8 takes two direct 3-descriptor chains; the next two do not
 * fit directly in the 2 descriptors left but do through their tables, one
 * descriptor each. Only then do requests wait. Completed newest first,
 * the device holds 4 at a time (2 without indirect), and nothing is lost.
 */
static void test_full_ring_takes_indirect_chains_in_the_gap(void **state)
{
	attach_ok(state, small_queue);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	fake_virtio_set_order(fv, FAKE_ORDER_REVERSED, 0);

	for (unsigned i = 0; i < FLOOD_BIOS; i++)
		submit_write(i, 2 * i, SECTOR_BYTES);
	assert_true(queue_stats().queue_full > 0);
	assert_int_equal(fake_virtio_pending(fv), 4);
	assert_int_equal(queue_stats().descriptors, 3 + 3 + 1 + 1);
	assert_int_equal(vring_num_free(&disk->dev.ring), 0);

	complete_in_batches(FLOOD_BIOS, 1);
	expect_done_once(0, FLOOD_BIOS, 0);
	for (unsigned i = 0; i < FLOOD_BIOS; i++)
		assert_memory_equal(disk_at(2 * i), slot(i), SECTOR_BYTES);
	assert_int_equal(fake_virtio_stats(fv)->requests, FLOOD_BIOS);
	assert_int_equal(fake_virtio_stats(fv)->max_pending, 4);
	assert_int_equal(vring_num_free(&disk->dev.ring), SMALL_QUEUE);
	fake_virtio_assert_clean(fv);
}

#define MIXED_READS 40u

/* Reads of one segment (direct chains) and of two (indirect) in flight
 * together, answered in a shuffled order: each buffer gets its own
 * sectors, and every ring descriptor comes back. */
static void test_mixed_direct_and_indirect_reads_complete_out_of_order(void **state)
{
	attach_ok(state, medium_queue);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	fake_virtio_set_order(fv, FAKE_ORDER_SHUFFLED, 11);
	fill(disk_at(0), 3 * MIXED_READS * SECTOR_BYTES, 13);

	for (unsigned i = 0; i < MIXED_READS; i++) {
		memset(slot(i), 0, 2 * KIB);
		prep_bio(i, VBLK_OP_READ, 3 * i, slot(i), SECTOR_BYTES);
		if (i % 2)
			add_seg(i, slot(i) + KIB, SECTOR_BYTES);
		submit_ok(i);
	}
	/* More in flight than 16 descriptors hold as direct chains. */
	assert_true(fake_virtio_pending(fv) > MEDIUM_QUEUE / 3);

	complete_in_batches(MIXED_READS, 3);
	expect_done_once(0, MIXED_READS, 0);
	for (unsigned i = 0; i < MIXED_READS; i++) {
		assert_memory_equal(slot(i), disk_at(3 * i), SECTOR_BYTES);
		if (i % 2)
			assert_memory_equal(slot(i) + KIB, disk_at(3 * i + 1), SECTOR_BYTES);
	}
	assert_int_equal(vring_num_free(&disk->dev.ring), MEDIUM_QUEUE);
	fake_virtio_assert_clean(fv);
}

/* §2.7.8.3: a used len beyond the writable bytes of the table (data +
 * status) is impossible: the disk stops and every bio fails. The newest
 * chain, completed first, is an indirect one. */
static void test_used_len_beyond_an_indirect_chain_breaks_the_disk(void **state)
{
	attach_ok(state, small_queue);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	fake_virtio_set_order(fv, FAKE_ORDER_REVERSED, 0);
	vblk_plug(disk);
	for (unsigned i = 0; i < 3; i++) {
		prep_bio(i, VBLK_OP_READ, 16 * i, slot(i), SECTOR_BYTES);
		add_seg(i, slot(i) + KIB, SECTOR_BYTES);
		submit_ok(i);
	}
	vblk_unplug(disk);
	assert_true(last_chain()->indirect);

	fake_virtio_corrupt_used(fv, FAKE_USED_LEN_TOO_LARGE, FAKE_ONCE);
	fake_virtio_complete_all(fv);
	assert_int_equal(vblk_poll(disk), -VBLK_EBROKEN);
	expect_done_once(0, 3, -VBLK_EBROKEN);
	fake_virtio_assert_clean(fv);
}

/* A timeout resets the device and fails everything, indirect chains
 * included (vq_detach frees their one descriptor each); after
 * vblk_reset the tables are used again. */
static void test_timeout_with_indirect_chains_in_flight_fails_each_bio_once(void **state)
{
	attach_ok(state, small_queue);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	for (unsigned i = 0; i < TIMEOUT_BIOS; i++)
		submit_write(i, 16 * i, SECTOR_BYTES);
	assert_int_equal(fake_virtio_pending(fv), 4);   /* 2 direct + 2 indirect */

	wait_all(TIMEOUT_BIOS, -VBLK_ETIMEDOUT);
	expect_done_once(0, TIMEOUT_BIOS, -VBLK_ETIMEDOUT);
	assert_int_equal(vring_num_free(&disk->dev.ring), SMALL_QUEUE);

	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
	submit_two_segment_write(TIMEOUT_BIOS, 64);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(TIMEOUT_BIOS, 1, 0);
	expect_two_segment_write_on_disk(TIMEOUT_BIOS, 64);
	fake_virtio_assert_clean(fv);
}

/* ==== callbacks ======================================================= */

#define CHAINED_BIOS 8u
static int chained_submit_err;

/* bio.h allows `done` to submit: each completion queues the next bio. */
static void submit_next_bio(struct vblk_bio *bio, int status)
{
	unsigned next = bio_index(bio) + 1;

	record_done(bio, status);
	if (next < CHAINED_BIOS && chained_submit_err == 0)
		chained_submit_err = vblk_submit(disk, &bios[next]);
}

static void test_callback_can_submit_the_next_bio(void **state)
{
	attach_ok(state, NULL);
	chained_submit_err = 0;
	for (unsigned i = 0; i < CHAINED_BIOS; i++) {
		fill(slot(i), SECTOR_BYTES, (uint8_t)i);
		prep_bio(i, VBLK_OP_WRITE, 4 * i, slot(i), SECTOR_BYTES)->done = submit_next_bio;
	}
	submit_ok(0);
	assert_int_equal(vblk_drain(disk), 0);

	assert_int_equal(chained_submit_err, 0);
	expect_done_once(0, CHAINED_BIOS, 0);
	for (unsigned i = 0; i < CHAINED_BIOS; i++) {
		assert_int_equal(done_seq[i], i + 1);
		assert_memory_equal(disk_at(4 * i), slot(i), SECTOR_BYTES);
	}
	expect_device_saw(CHAINED_BIOS, CHAINED_BIOS);
	fake_virtio_assert_clean(fv);
}

#define RESUBMITS 3u

/* A bio is the caller's again once `done` runs: it may go straight back. */
static void resubmit_self(struct vblk_bio *bio, int status)
{
	unsigned idx = log_done(bio, status);

	if (done_calls[idx] < RESUBMITS && chained_submit_err == 0)
		chained_submit_err = vblk_submit(disk, bio);
}

static void test_callback_can_resubmit_its_own_bio(void **state)
{
	attach_ok(state, NULL);
	chained_submit_err = 0;
	fill(disk_at(50), SECTOR_BYTES, 3);
	prep_bio(0, VBLK_OP_READ, 50, slot(0), SECTOR_BYTES)->done = resubmit_self;
	submit_ok(0);
	assert_int_equal(vblk_drain(disk), 0);

	assert_int_equal(chained_submit_err, 0);
	assert_int_equal(done_calls[0], RESUBMITS);
	assert_int_equal(done_status[0], 0);
	assert_memory_equal(slot(0), disk_at(50), SECTOR_BYTES);
	expect_device_saw(RESUBMITS, RESUBMITS);
	assert_int_equal(queue_stats().bios, RESUBMITS);
	fake_virtio_assert_clean(fv);
}

/* ==== plugging ======================================================== */

/* While plugged nothing reaches the ring or the device; unplugging sends
 * the whole batch with one notification. */
static void test_plugged_bios_wait_for_unplug_and_share_one_kick(void **state)
{
	attach_ok(state, NULL);
	vblk_plug(disk);
	for (unsigned i = 0; i < 3; i++)
		submit_write(i, 16 * i, SECTOR_BYTES);
	expect_device_saw(0, 0);
	assert_int_equal(queue_stats().requests, 0);
	expect_not_done(0, 3);

	vblk_unplug(disk);
	expect_shape(&(struct vblk_stats){ .bios = 3, .requests = 3, .descriptors = 9,
					   .notifications = 1 });
	expect_device_saw(3, 1);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(0, 3, 0);
	fake_virtio_assert_clean(fv);
}

/* Waiting for a plugged bio would be forever; the wait helpers unplug. */
static void test_wait_helpers_dispatch_plugged_bios(void **state)
{
	attach_ok(state, NULL);
	vblk_plug(disk);
	submit_write(0, 16, SECTOR_BYTES);
	wait_all(1, 0);
	expect_done_once(0, 1, 0);

	vblk_plug(disk);
	submit_write(1, 32, SECTOR_BYTES);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(1, 1, 0);
	expect_device_saw(2, 2);

	/* The plug is gone: the next bio goes out at once. */
	submit_write(2, 48, SECTOR_BYTES);
	expect_device_saw(3, 3);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(2, 1, 0);
	fake_virtio_assert_clean(fv);
}

/* A plug holds back at most BLK_PLUG_MAX_REQS requests, then sends them
 * (and stays plugged for what follows). */
static void test_full_plug_dispatches_on_its_own(void **state)
{
	attach_ok(state, NULL);
	vblk_plug(disk);
	for (unsigned i = 0; i + 1 < BLK_PLUG_MAX_REQS; i++)
		submit_write(i, 2 * i, SECTOR_BYTES);
	expect_device_saw(0, 0);
	submit_write(BLK_PLUG_MAX_REQS - 1, 2 * (BLK_PLUG_MAX_REQS - 1), SECTOR_BYTES);
	expect_device_saw(BLK_PLUG_MAX_REQS, 1);
	/* Those may hold every request slot (BLK_MAX_REQS): harvest them, so
	 * the next bio has one and only the plug holds it back. */
	assert_int_equal(vblk_poll(disk), (int)BLK_PLUG_MAX_REQS);
	submit_write(BLK_PLUG_MAX_REQS, 2 * BLK_PLUG_MAX_REQS, SECTOR_BYTES);
	expect_device_saw(BLK_PLUG_MAX_REQS, 1);

	vblk_unplug(disk);
	expect_device_saw(BLK_PLUG_MAX_REQS + 1, 2);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(0, BLK_PLUG_MAX_REQS + 1, 0);
	fake_virtio_assert_clean(fv);
}

/* A completion that arrives while plugged harvests, but leaves the plug
 * alone: the request being built stays open for the bios that continue
 * it (a stream of adjacent bios became requests of a third of the batch
 * when each interrupt sent off what the plug had so far). */
static void test_completion_while_plugged_keeps_the_plug(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	submit_write(0, 0, SECTOR_BYTES);
	expect_device_saw(0, 1);

	vblk_plug(disk);
	submit_write(1, 64, SECTOR_BYTES);
	submit_write(2, 65, SECTOR_BYTES);
	assert_int_equal(fake_virtio_complete_all(fv), 1);
	assert_int_equal(vblk_poll(disk), 1);
	expect_done_once(0, 1, 0);
	expect_not_done(1, 2);
	assert_int_equal(queue_stats().requests, 1);

	submit_write(3, 66, SECTOR_BYTES);   /* still joins bios 1 and 2 */
	vblk_unplug(disk);
	/* 3 + (header, three slots, status) descriptors */
	expect_shape(&(struct vblk_stats){ .bios = 4, .requests = 2, .back_merges = 2,
					   .descriptors = 8, .notifications = 2 });
	fake_virtio_complete_all(fv);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(0, 4, 0);
	fake_virtio_assert_clean(fv);
}

/* ==== flush =========================================================== */

/*
 * A FLUSH makes durable the writes completed before it is sent (virtio 1.2
 * §5.2.6), so the driver holds it back until the writes submitted before
 * it have completed: with two writes in the device's hands, it stays in the
 * driver; it goes out only when the second write completes.
 */
static void test_flush_waits_for_earlier_writes_to_complete(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	submit_write(0, 16, 4 * KIB);
	submit_write(1, 64, 4 * KIB);
	prep_flush(2);
	submit_ok(2);
	assert_int_equal(queue_stats().requests, 2);
	assert_int_equal(fake_virtio_pending(fv), 2);

	assert_int_equal(fake_virtio_complete_some(fv, 1), 1);
	assert_int_equal(vblk_poll(disk), 1);
	assert_int_equal(queue_stats().requests, 2);
	assert_int_equal(fake_virtio_pending(fv), 1);
	expect_not_done(2, 1);

	assert_int_equal(fake_virtio_complete_some(fv, 1), 1);
	assert_int_equal(vblk_poll(disk), 1);
	assert_int_equal(queue_stats().requests, 3);
	assert_int_equal(fake_virtio_pending(fv), 1);
	expect_framing(FAKE_BLK_T_FLUSH, 0, 0);
	assert_int_equal(fake_virtio_stats(fv)->flushes, 0);

	fake_virtio_complete_all(fv);
	assert_int_equal(vblk_poll(disk), 1);
	expect_done_once(0, 3, 0);
	assert_true(done_seq[2] > done_seq[0] && done_seq[2] > done_seq[1]);
	assert_int_equal(fake_virtio_stats(fv)->flushes, 1);
	fake_virtio_assert_clean(fv);
}

/* Without VIRTIO_BLK_F_FLUSH the device is write-through (virtio 1.2
 * §5.2.5.1) and must not get T_FLUSH: the bio completes at once. */
static void test_flush_bio_without_flush_feature_completes_at_once(void **state)
{
	attach_ok(state, no_flush);
	prep_flush(0);
	submit_ok(0);
	expect_done_once(0, 1, 0);
	expect_device_saw(0, 0);
	assert_int_equal(queue_stats().bios, 1);
	assert_int_equal(queue_stats().requests, 0);
	fake_virtio_assert_clean(fv);
}

/* ==== interrupts ====================================================== */

/* What a GIC would do with the device's line: run the registered handler. */
static void take_interrupt(struct fake_virtio *device, void *ctx)
{
	(void)device;
	in_irq_hook = true;
	vblk_irq_handler(ctx);
	in_irq_hook = false;
}

static void use_interrupts(void)
{
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
}

#define IRQ_BIOS 4u

/* A device slower than the wait's polling window (VBLK_IRQ_POLL_US). */
#define SLOW_DEVICE_STEPS (VBLK_IRQ_POLL_US + 100u)

/* With interrupts on, the device's completions (each a while after its
 * notification) arrive through vblk_irq_handler, which runs the
 * callbacks; the wait sleeps meanwhile. */
static void test_interrupt_handler_completes_bios(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, SLOW_DEVICE_STEPS);
	use_interrupts();
	vblk_plug(disk);
	submit_write(0, 16, 4 * KIB);
	submit_write(1, 24, 4 * KIB);   /* merges with bio 0 */
	submit_write(2, 64, 4 * KIB);
	fill(disk_at(128), 4 * KIB, 0x77);
	prep_bio(3, VBLK_OP_READ, 128, slot(3), 4 * KIB);
	submit_ok(3);
	wait_all(IRQ_BIOS, 0);

	expect_done_once(0, IRQ_BIOS, 0);
	for (unsigned i = 0; i < IRQ_BIOS; i++)
		assert_true(done_in_irq[i]);
	assert_true(queue_stats().interrupts > 0);
	assert_true(host_idle_count() > 0);
	assert_true(fake_virtio_stats(fv)->used_irqs > 0);
	assert_memory_equal(disk_at(16), slot(0), 4 * KIB);
	assert_memory_equal(disk_at(24), slot(1), 4 * KIB);
	assert_memory_equal(disk_at(64), slot(2), 4 * KIB);
	assert_memory_equal(slot(3), disk_at(128), 4 * KIB);
	fake_virtio_assert_clean(fv);
}

/* A synchronous call with interrupts on returns only once the device has
 * answered every request of it: its bios live in the call's stack frame,
 * and the data must be in place (a write on the disk, a read in the
 * buffer) when it returns. */
static void test_sync_calls_with_interrupts_wait_for_the_device(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, SLOW_DEVICE_STEPS);
	use_interrupts();
	fill(slot(0), 8 * KIB, 0x5a);
	assert_int_equal(vblk_write(disk, 40, slot(0), 16), 0);
	assert_memory_equal(disk_at(40), slot(0), 8 * KIB);
	memset(slot(1), 0, 8 * KIB);
	assert_int_equal(vblk_read(disk, 40, slot(1), 16), 0);
	assert_memory_equal(slot(1), disk_at(40), 8 * KIB);

	struct vblk_stats stats = queue_stats();
	assert_int_equal(stats.completions, stats.requests);
	assert_true(fake_virtio_stats(fv)->used_irqs > 0);
	fake_virtio_assert_clean(fv);
}

/*
 * While a wait polls, the device is asked not to interrupt: the completion
 * the wait is about to find costs no interrupt (on QEMU each one is four
 * register exits and an exception). Once the wait returns, interrupts are
 * asked for again, so a bio that completes later with nobody waiting
 * still reaches its callback through one.
 */
static void wait_one(unsigned idx)
{
	struct vblk_bio *wait = &bios[idx];
	assert_int_equal(vblk_wait_bios(disk, &wait, 1), 0);
}

static void polling_wait_takes_no_interrupt(void)
{
	use_interrupts();
	/* QEMU interrupts for the first used buffer whatever used_event
	 * says, and so does the fake: get that one out of the way. */
	submit_write(0, 8, SECTOR_BYTES);
	wait_one(0);
	uint32_t raised = fake_virtio_stats(fv)->used_irqs;
	uint64_t taken = queue_stats().interrupts;

	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, VBLK_IRQ_POLL_US / 4);
	submit_write(1, 16, 4 * KIB);
	wait_one(1);
	expect_done_once(1, 1, 0);
	assert_false(done_in_irq[1]);
	assert_int_equal(fake_virtio_stats(fv)->used_irqs, raised);
	assert_int_equal(queue_stats().interrupts, taken);

	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	submit_write(2, 32, 4 * KIB);
	assert_int_equal(fake_virtio_complete_all(fv), 1);
	assert_int_equal(fake_virtio_stats(fv)->used_irqs, raised + 1);
	(void)queue_stats();   /* unmasking IRQs takes the pending interrupt */
	assert_int_equal(queue_stats().interrupts, taken + 1);
	expect_done_once(2, 1, 0);
	assert_true(done_in_irq[2]);
	assert_memory_equal(disk_at(16), slot(1), 4 * KIB);
	assert_memory_equal(disk_at(32), slot(2), 4 * KIB);
	fake_virtio_assert_clean(fv);
}

static void test_polling_wait_takes_no_interrupt(void **state)
{
	attach_ok(state, NULL);
	polling_wait_takes_no_interrupt();
}

static void test_polling_wait_takes_no_interrupt_without_event_idx(void **state)
{
	attach_ok(state, without_event_idx);
	polling_wait_takes_no_interrupt();
}

/*
 * Bios that resubmit themselves from their callbacks while the thread
 * drains, on a device that answers alternately within the polling window
 * and well after it: the wait keeps switching between polling with the
 * device's interrupts off and sleeping with them on. Every round must
 * complete exactly once, some found by polling, some by interrupt, and
 * nothing may be left in the ring when the drain returns.
 */
#define ALTERNATING_ROUNDS 24u

static void resubmit_alternating(struct vblk_bio *bio, int status)
{
	unsigned idx = log_done(bio, status);

	done_in_irq[idx] |= in_irq_hook;
	if (done_calls[idx] < ALTERNATING_ROUNDS && chained_submit_err == 0) {
		bool slow_next = done_calls[idx] % 2 == 1;
		fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED,
					   slow_next ? SLOW_DEVICE_STEPS : VBLK_IRQ_POLL_US / 4);
		chained_submit_err = vblk_submit(disk, bio);
	}
}

static void test_drain_switches_between_polling_and_interrupts(void **state)
{
	attach_ok(state, NULL);
	chained_submit_err = 0;
	use_interrupts();
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, VBLK_IRQ_POLL_US / 4);
	fill(slot(0), SECTOR_BYTES, 9);
	prep_bio(0, VBLK_OP_WRITE, 40, slot(0), SECTOR_BYTES)->done = resubmit_alternating;
	submit_ok(0);
	assert_int_equal(vblk_drain(disk), 0);

	assert_int_equal(chained_submit_err, 0);
	assert_int_equal(done_calls[0], ALTERNATING_ROUNDS);
	assert_int_equal(done_status[0], 0);
	assert_true(done_in_irq[0]);                       /* the slow ones */
	/* The slow half, and the first completion (QEMU and the fake
	 * interrupt for it whatever used_event says); none for the rest. */
	assert_true(queue_stats().interrupts <= ALTERNATING_ROUNDS / 2 + 1);
	assert_false(vring_has_used(&disk->dev.ring));
	assert_memory_equal(disk_at(40), slot(0), SECTOR_BYTES);
	expect_device_saw(ALTERNATING_ROUNDS, ALTERNATING_ROUNDS);
	fake_virtio_assert_clean(fv);
}

/* A device that answers within the polling window is found by polling:
 * the wait never sleeps (the interrupt may still come; it finds nothing
 * more to do). */
static void test_fast_completion_is_polled_for_without_sleeping(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, VBLK_IRQ_POLL_US / 4);
	use_interrupts();
	submit_write(0, 16, 4 * KIB);
	wait_all(1, 0);

	expect_done_once(0, 1, 0);
	assert_int_equal(host_idle_count(), 0);
	assert_memory_equal(disk_at(16), slot(0), 4 * KIB);
	fake_virtio_assert_clean(fv);
}

/*
 * Interrupt mode whose interrupts never reach vblk_irq_handler (nobody
 * registered it): each wait sleeps to its recheck deadline and finds the
 * completion itself. An interrupt still unheard at a second such sleep is
 * counted as missed and acknowledged, so the line is not left high. Each
 * "sleep" here lasts its whole VBLK_IRQ_RECHECK_US, as a WFI nobody wakes
 * does. With the handler taking them, nothing is counted.
 */
/* A disk that has learned that sleeping is faster here (blk/wait.h): its
 * waits sleep at once instead of spinning their first looks, which at a
 * clock step of VBLK_IRQ_RECHECK_US per look would outlast the device. */
static void prefer_sleeping(void)
{
	disk->queue.learn = (struct blk_wait_learn){ .spin_us = VBLK_WAIT_SPIN_MAX_US,
						     .sleep_us = 1, .stretches = 1,
						     .prefer_sleep = true };
}

static void expect_missed_interrupts(bool handler_registered)
{
	host_set_time_step_us(VBLK_IRQ_RECHECK_US);
	prefer_sleeping();
	/* Within the first sleep of each wait, as QEMU is within
	 * VBLK_IRQ_RECHECK_US: on virtio-pci a look that finds nothing
	 * between two completions forgets the first (blk/wait.c). */
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 1);
	if (handler_registered)
		use_interrupts();
	else
		assert_int_equal(vblk_use_interrupts(disk, true), 0);
	for (unsigned i = 0; i < 3; i++) {
		submit_write(i, 16 + 8 * i, 4 * KIB);
		wait_one(i);
		expect_done_once(i, 1, 0);
		assert_memory_equal(disk_at(16 + 8 * i), slot(i), 4 * KIB);
	}

	struct vblk_stats stats = queue_stats();
	assert_true(host_idle_count() > 0);
	if (handler_registered) {
		assert_int_equal(stats.missed_interrupts, 0);
		assert_true(stats.interrupts > 0);
	} else {
		assert_int_equal(stats.interrupts, 0);
		assert_true(stats.missed_interrupts > 0);
		assert_true(stats.missed_interrupts <= fake_virtio_stats(fv)->used_irqs);
	}
	fake_virtio_assert_clean(fv);
}

static void test_interrupts_that_never_reach_the_handler_are_counted(void **state)
{
	attach_ok(state, NULL);
	expect_missed_interrupts(false);
}

static void test_interrupts_the_handler_takes_are_not_counted_as_missed(void **state)
{
	attach_ok(state, NULL);
	expect_missed_interrupts(true);
}

/* An interrupt that reaches the CPU only after the sleep has ended (it came
 * as the deadline passed, or the host stalled the CPU): the wait finds the
 * bit up with no handler run, but the handler does run later. Not missed. */
static unsigned late_deliveries;

static void take_interrupt_late(struct fake_virtio *device, void *ctx)
{
	if (late_deliveries++ % 2 == 0)
		return;   /* not yet: the line stays up and is offered again */
	take_interrupt(device, ctx);
}

static void test_interrupt_taken_after_the_sleep_is_not_counted_as_missed(void **state)
{
	attach_ok(state, NULL);
	late_deliveries = 0;
	host_set_time_step_us(VBLK_IRQ_RECHECK_US);
	/* Later than a spinning wait's first look at the clock, so each wait
	 * spins, then sleeps, then meets the late interrupt. */
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, VBLK_WAIT_LOOKS_PER_CLOCK + 4);
	fake_virtio_set_irq_hook(fv, take_interrupt_late, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	for (unsigned i = 0; i < 4; i++) {
		submit_write(i, 16 + 8 * i, 4 * KIB);
		wait_one(i);
		expect_done_once(i, 1, 0);
	}
	assert_true(queue_stats().interrupts > 0);
	assert_int_equal(queue_stats().missed_interrupts, 0);
	fake_virtio_assert_clean(fv);
}

/*
 * The host stalls the CPU between a wait's look at the clock and its
 * sleep, past the sleep's deadline, while the device completes: the
 * interrupt is pending behind the mask when plat_idle returns. It must be
 * taken, not counted as missed: on virtio-pci a look at the ISR before
 * letting it in would clear it and lower INTx (virtio 1.2 §4.1.4.5), and
 * the handler would never run for it.
 */
static void test_interrupt_pending_after_a_stalled_sleep_is_taken(void **state)
{
	attach_ok(state, NULL);
	host_set_time_step_us(VBLK_IRQ_RECHECK_US);
	prefer_sleeping();
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 1);
	use_interrupts();
	for (unsigned i = 0; i < 4; i++) {
		host_stall_idles(UINT32_MAX);
		submit_write(i, 16 + 8 * i, 4 * KIB);
		wait_one(i);
		expect_done_once(i, 1, 0);
		assert_memory_equal(disk_at(16 + 8 * i), slot(i), 4 * KIB);
	}
	host_stall_idles(0);
	assert_true(host_idle_count() > 0);
	assert_true(queue_stats().interrupts > 0);
	assert_int_equal(queue_stats().missed_interrupts, 0);
	fake_virtio_assert_clean(fv);
}

/* A configuration-change interrupt (virtio 1.2 §4.2.3.4; here a resize)
 * makes the handler re-read the capacity, and the new sectors are usable. */
static void test_config_change_interrupt_updates_capacity(void **state)
{
	attach_ok(state, NULL);
	use_interrupts();
	uint64_t old_capacity = vblk_capacity(disk);
	fake_virtio_resize(fv, 2 * old_capacity);
	host_cpu_relax();   /* the CPU takes the interrupt */

	assert_int_equal(vblk_capacity(disk), 2 * old_capacity);
	assert_int_equal(queue_stats().config_changes, 1);
	assert_true(queue_stats().interrupts > 0);
	submit_write(0, old_capacity, 4 * KIB);
	wait_all(1, 0);
	assert_memory_equal(disk_at(old_capacity), slot(0), 4 * KIB);
	fake_virtio_assert_clean(fv);
}

/* A resize while the disk is polled and nobody polls: its configuration
 * change waits in InterruptStatus. Switching to interrupts acknowledges
 * what is pending there (or an edge-triggered line would never rise
 * again), so the switch itself must take the change, not drop it. */
static void test_resize_pending_at_the_switch_to_interrupts_is_taken(void **state)
{
	attach_ok(state, NULL);
	uint64_t old_capacity = vblk_capacity(disk);
	fake_virtio_resize(fv, 2 * old_capacity);
	assert_int_equal(vblk_capacity(disk), old_capacity);   /* not looked at yet */

	use_interrupts();
	assert_int_equal(vblk_capacity(disk), 2 * old_capacity);
	assert_int_equal(queue_stats().config_changes, 1);
	submit_write(0, old_capacity, 4 * KIB);
	wait_all(1, 0);
	assert_memory_equal(disk_at(old_capacity), slot(0), 4 * KIB);
	fake_virtio_assert_clean(fv);
}

/* Requests of 4 KiB at most (one 4 KiB segment each), on a ring of two
 * direct chains. */
static void small_direct_queue_of_4k_requests(struct fake_virtio_opts *opts)
{
	small_direct_queue(opts);
	opts->features |= FAKE_BIT(FAKE_F_BLK_SIZE_MAX) | FAKE_BIT(FAKE_F_BLK_SEG_MAX);
	opts->seg_max = 1;
	opts->size_max_bytes = 4 * KIB;
}

/*
 * A synchronous 8 KiB write is two requests; with one bio in flight the
 * ring takes the first only, and the second is left to the queue. The
 * device asks for a reset at the first one's notification, and its
 * interrupt, taken as IRQs open between the two, stops the disk. The
 * second half must then be refused, not sent nor lost: the write fails
 * with -VBLK_EBROKEN, the device executed nothing, and the disk works
 * after a reset. (NEEDS_RESET is a modern device's.)
 */
static void test_a_synchronous_write_whose_disk_stops_between_its_halves_sends_no_more(void **state)
{
	attach_ok(state, small_direct_queue_of_4k_requests);
	if (!test_is_modern(state))
		skip();
	use_interrupts();
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	submit_write(0, 0, SECTOR_BYTES);
	fill(slot(1), 8 * KIB, 0x5b);
	fake_virtio_at_access(fv, &(struct fake_virtio_at){ .kind = FAKE_AT_NOTIFY_WRITE, .nth = 1,
							   .event = FAKE_EVENT_NEEDS_RESET });
	assert_int_equal(vblk_write(disk, 64, slot(1), 8 * KIB / SECTOR_BYTES), -VBLK_EBROKEN);
	assert_int_equal(fake_virtio_at_fired(fv), 1);
	assert_int_equal(fake_virtio_stats(fv)->requests, 0);
	expect_done_once(0, 1, -VBLK_EBROKEN);
	assert_int_equal(vblk_poll(disk), -VBLK_EBROKEN);

	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(vblk_write(disk, 64, slot(1), 8 * KIB / SECTOR_BYTES), 0);
	assert_memory_equal(disk_at(64), slot(1), 8 * KIB);
}

/* ==== bad input to vblk_submit ======================================== */

/* Refused with `err`: `done` not called, nothing counted, nothing sent. */
static void expect_refused(struct vblk_disk *target, struct vblk_bio *bio, int err)
{
	assert_int_equal(vblk_submit(target, bio), err);
	if (bio)
		assert_int_equal(done_calls[bio_index(bio)], 0);
	assert_int_equal(queue_stats().bios, 0);
	expect_device_saw(0, 0);
}

static void test_submit_refuses_null_disk_and_bio(void **state)
{
	attach_ok(state, NULL);
	expect_refused(NULL, prep_bio(0, VBLK_OP_READ, 0, slot(0), SECTOR_BYTES), -VBLK_EINVAL);
	expect_refused(disk, NULL, -VBLK_EINVAL);
	fake_virtio_assert_clean(fv);
}

static void test_submit_refuses_missing_or_empty_segments(void **state)
{
	attach_ok(state, NULL);
	struct vblk_bio *bio = prep_bio(0, VBLK_OP_READ, 0, slot(0), SECTOR_BYTES);
	bio->nsegs = 0;
	expect_refused(disk, bio, -VBLK_EINVAL);

	bio = prep_bio(1, VBLK_OP_WRITE, 0, slot(0), SECTOR_BYTES);
	bio->segs = NULL;
	expect_refused(disk, bio, -VBLK_EINVAL);

	bio = prep_bio(2, VBLK_OP_WRITE, 0, slot(0), 0);
	expect_refused(disk, bio, -VBLK_EINVAL);

	bio = prep_bio(3, VBLK_OP_READ, 0, slot(0), SECTOR_BYTES);
	add_seg(3, slot(1), 0);           /* the second one is empty */
	expect_refused(disk, bio, -VBLK_EINVAL);

	bio = prep_bio(4, VBLK_OP_READ, 0, slot(0), SECTOR_BYTES);
	add_seg(4, NULL, SECTOR_BYTES);
	expect_refused(disk, bio, -VBLK_EINVAL);
	fake_virtio_assert_clean(fv);
}

/* A segment starts on a VBLK_DMA_ALIGN boundary and holds whole sectors. */
static void test_submit_refuses_misaligned_segments(void **state)
{
	attach_ok(state, NULL);
	expect_refused(disk, prep_bio(0, VBLK_OP_READ, 0, slot(0) + 8, SECTOR_BYTES),
		       -VBLK_EALIGN);
	expect_refused(disk, prep_bio(1, VBLK_OP_WRITE, 0, slot(0), 1000), -VBLK_EALIGN);
	struct vblk_bio *bio = prep_bio(2, VBLK_OP_WRITE, 0, slot(0), SECTOR_BYTES);
	add_seg(2, slot(1), SECTOR_BYTES + 64);
	expect_refused(disk, bio, -VBLK_EALIGN);
	fake_virtio_assert_clean(fv);
}

/* virtio 1.2 §5.2.6.1: no request reaches past the capacity - including
 * one whose end wraps around 2^64. */
static void test_submit_refuses_out_of_range_and_wrapping_sectors(void **state)
{
	attach_ok(state, NULL);
	uint64_t capacity = vblk_capacity(disk);
	expect_refused(disk, prep_bio(0, VBLK_OP_READ, capacity, slot(0), SECTOR_BYTES),
		       -VBLK_ERANGE);
	expect_refused(disk, prep_bio(1, VBLK_OP_WRITE, capacity - 1, slot(0), 2 * SECTOR_BYTES),
		       -VBLK_ERANGE);
	expect_refused(disk, prep_bio(2, VBLK_OP_READ, UINT64_MAX - 3, slot(0), 4 * KIB),
		       -VBLK_ERANGE);

	/* The last sector itself is fine. */
	prep_bio(3, VBLK_OP_READ, capacity - 1, slot(0), SECTOR_BYTES);
	submit_ok(3);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(3, 1, 0);
	fake_virtio_assert_clean(fv);
}

/* On a disk of 4 KiB logical blocks a bio covers whole blocks. */
static void test_submit_refuses_partial_blocks_on_4k_disk(void **state)
{
	attach_ok(state, block_4k);
	expect_refused(disk, prep_bio(0, VBLK_OP_READ, 1, slot(0), 4 * KIB), -VBLK_EALIGN);
	expect_refused(disk, prep_bio(1, VBLK_OP_WRITE, 8, slot(0), SECTOR_BYTES), -VBLK_EALIGN);
	expect_refused(disk, prep_bio(2, VBLK_OP_READ, 8, slot(0), 6 * KIB), -VBLK_EALIGN);

	prep_bio(3, VBLK_OP_READ, 8, slot(0), 4 * KIB);
	submit_ok(3);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(3, 1, 0);
	fake_virtio_assert_clean(fv);
}

/* virtio 1.2 §5.2.6.2: nothing that writes goes to a read-only device.
 * vblk_submit refuses FLUSH there too, as vblk_flush does (there can be no
 * write to make durable); reads still work. */
static void test_submit_refuses_writes_and_flushes_on_read_only_disk(void **state)
{
	attach_ok(state, read_only);
	expect_refused(disk, prep_bio(0, VBLK_OP_WRITE, 0, slot(0), SECTOR_BYTES), -VBLK_EROFS);
	expect_refused(disk, prep_flush(1), -VBLK_EROFS);

	prep_bio(2, VBLK_OP_READ, 0, slot(0), SECTOR_BYTES);
	submit_ok(2);
	assert_int_equal(vblk_drain(disk), 0);
	expect_done_once(2, 1, 0);
	fake_virtio_assert_clean(fv);
}

/* Only READ, WRITE and FLUSH are public; GET_ID (3) is internal. */
static void test_submit_refuses_unknown_op(void **state)
{
	attach_ok(state, NULL);
	expect_refused(disk, prep_bio(0, (enum vblk_op)3, 0, slot(0), SECTOR_BYTES),
		       -VBLK_EINVAL);
	expect_refused(disk, prep_bio(1, (enum vblk_op)99, 0, slot(0), SECTOR_BYTES),
		       -VBLK_EINVAL);
	fake_virtio_assert_clean(fv);
}

/* A FLUSH has no data (bio.h; virtio 1.2 §5.2.6.1: T_FLUSH carries no
 * data buffer, checklist BLK-8): one that comes with segments is refused
 * rather than sent with them. */
static void test_submit_refuses_flush_with_data(void **state)
{
	attach_ok(state, NULL);
	struct vblk_bio *bio = prep_flush(0);
	segs[0][0] = (struct vblk_seg){ slot(0), SECTOR_BYTES };
	bio->nsegs = 1;
	expect_refused(disk, bio, -VBLK_EINVAL);

	bio = prep_flush(1);
	bio->segs = NULL;
	bio->nsegs = 2;
	expect_refused(disk, bio, -VBLK_EINVAL);
	fake_virtio_assert_clean(fv);
}

/* Legacy and modern virtio-mmio, and a virtio-pci function. */
#define ALL(name) ALL_TRANSPORTS(name, setup, disk_teardown), \
		  PACKED_TRANSPORTS(name, setup, disk_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALL(test_adjacent_bio_back_merges_into_one_request),
		ALL(test_preceding_bio_front_merges_into_one_request),
		ALL(test_bios_with_a_sector_gap_are_not_merged),
		ALL(test_read_after_adjacent_write_is_not_merged),
		ALL(test_writes_do_not_merge_across_a_flush),
		ALL(test_bio_does_not_merge_ahead_of_a_request_it_overlaps),
		ALL(test_bio_merges_into_the_eighth_request_from_the_end),
		ALL(test_bio_does_not_look_further_back_than_eight_requests),
		ALL(test_bio_merges_into_what_dispatch_left_pending),
		ALL(test_merge_stops_at_seg_max),
		ALL(test_first_bios_segments_count_when_the_next_tries_to_merge),
		ALL(test_merge_stops_at_max_request_bytes),
		ALL(test_segment_longer_than_size_max_is_split_into_descriptors),
		ALL(test_bio_over_the_request_limits_is_refused_with_etoobig),
		ALL(test_contiguous_bios_coalesce_into_one_descriptor),
		ALL(test_coalescing_stops_at_size_max),
		ALL(test_many_small_adjacent_writes_become_one_request),
		ALL(test_full_ring_holds_bios_back_and_loses_none),
		ALL(test_a_plug_that_ran_over_sends_what_waited_as_requests_free),
		ALL(test_a_plug_that_ran_over_on_a_small_ring_sends_what_the_ring_left),
		ALL(test_a_synchronous_read_with_every_request_in_flight_waits_for_one),
		ALL(test_a_plug_that_ran_over_behind_a_flush_sends_both),
		ALL(test_bios_that_waited_for_a_request_still_merge),
		ALL(test_bios_waiting_behind_refused_requests_go_out_at_once),
		ALL(test_full_ring_reads_complete_in_shuffled_order),
		ALL(test_ioerr_fails_every_bio_of_the_merged_request),
		ALL(test_unsupp_fails_every_bio_of_the_merged_request),
		ALL(test_broken_used_ring_fails_every_bio_in_flight_once),
		ALL(test_timeout_fails_every_queued_bio_once),
		ALL(test_requests_go_indirect_when_ring_space_is_short),
		ALL(test_chain_goes_direct_while_the_ring_has_room),
		ALL(test_indirect_is_not_used_unless_negotiated),
		ALL(test_chain_longer_than_the_table_never_goes_indirect),
		ALL(test_indirect_does_not_raise_the_segment_limit),
		ALL(test_full_ring_takes_indirect_chains_in_the_gap),
		ALL(test_mixed_direct_and_indirect_reads_complete_out_of_order),
		ALL(test_used_len_beyond_an_indirect_chain_breaks_the_disk),
		ALL(test_timeout_with_indirect_chains_in_flight_fails_each_bio_once),
		ALL(test_completion_during_a_stall_past_the_timeout_is_not_a_timeout),
		ALL(test_disk_works_again_after_timeout_and_reset),
		ALL(test_callback_can_submit_the_next_bio),
		ALL(test_callback_can_resubmit_its_own_bio),
		ALL(test_plugged_bios_wait_for_unplug_and_share_one_kick),
		ALL(test_wait_helpers_dispatch_plugged_bios),
		ALL(test_full_plug_dispatches_on_its_own),
		ALL(test_completion_while_plugged_keeps_the_plug),
		ALL(test_flush_waits_for_earlier_writes_to_complete),
		ALL(test_flush_bio_without_flush_feature_completes_at_once),
		ALL(test_interrupt_handler_completes_bios),
		ALL(test_sync_calls_with_interrupts_wait_for_the_device),
		ALL(test_fast_completion_is_polled_for_without_sleeping),
		ALL(test_interrupts_that_never_reach_the_handler_are_counted),
		ALL(test_interrupts_the_handler_takes_are_not_counted_as_missed),
		ALL(test_interrupt_pending_after_a_stalled_sleep_is_taken),
		ALL(test_interrupt_taken_after_the_sleep_is_not_counted_as_missed),
		ALL(test_polling_wait_takes_no_interrupt),
		ALL(test_polling_wait_takes_no_interrupt_without_event_idx),
		ALL(test_drain_switches_between_polling_and_interrupts),
		ALL(test_config_change_interrupt_updates_capacity),
		ALL(test_resize_pending_at_the_switch_to_interrupts_is_taken),
		ALL(test_a_synchronous_write_whose_disk_stops_between_its_halves_sends_no_more),
		ALL(test_submit_refuses_null_disk_and_bio),
		ALL(test_submit_refuses_missing_or_empty_segments),
		ALL(test_submit_refuses_misaligned_segments),
		ALL(test_submit_refuses_out_of_range_and_wrapping_sectors),
		ALL(test_submit_refuses_partial_blocks_on_4k_disk),
		ALL(test_submit_refuses_writes_and_flushes_on_read_only_disk),
		ALL(test_submit_refuses_unknown_op),
		ALL(test_submit_refuses_flush_with_data),
	};
	return cmocka_run_group_tests_name("queue", tests, NULL, NULL);
}
