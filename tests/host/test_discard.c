/* SPDX-License-Identifier: MIT */
/*
 * DISCARD and WRITE_ZEROES (virtio 1.2 §5.2.6, issue 17) against the fake
 * device, on both transports: what is negotiated and reported, how the
 * synchronous calls split a range to the device's limits, what they
 * refuse without sending anything, how bios merge (and where they must
 * not), and what a request's status does to every bio merged into it.
 * The fake checks every segment array it receives (BLK-10/12/14/16 and
 * BLK-DISCARD-*); each test ends with it reporting no rule broken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "disk_fixture.h"
#include "fake_virtio.h"
#include "vblk/vblk.h"

#define DISK_SECTORS   2048u     /* the fake's default, 1 MiB */
#define MAX_TEST_BIOS  8u

static uint8_t buf[64 * 1024] VBLK_ALIGNED;

/* The limits the next device gets (set_limits before attach). */
static struct {
	uint32_t max_sectors, max_seg, align;
	uint8_t may_unmap;
} limits;

static struct vblk_bio bios[MAX_TEST_BIOS];
static unsigned done_calls[MAX_TEST_BIOS];
static int done_status[MAX_TEST_BIOS];

static int setup(void **state)
{
	memset(done_calls, 0, sizeof(done_calls));
	memset(bios, 0, sizeof(bios));
	limits.max_sectors = 0;
	return disk_setup(state);
}

static void with_limits(struct fake_virtio_opts *opts)
{
	if (limits.max_sectors != 0) {
		opts->max_discard_sectors = limits.max_sectors;
		opts->max_write_zeroes_sectors = limits.max_sectors;
		opts->max_discard_seg = limits.max_seg;
		opts->max_write_zeroes_seg = limits.max_seg;
		opts->discard_sector_alignment = limits.align;
	}
	opts->write_zeroes_may_unmap = limits.may_unmap;
}

static void set_limits(uint32_t max_sectors, uint32_t max_seg, uint32_t align)
{
	limits.max_sectors = max_sectors;
	limits.max_seg = max_seg;
	limits.align = align;
}

static void without_discard(struct fake_virtio_opts *opts)
{
	opts->features &= ~FAKE_BIT(FAKE_F_BLK_DISCARD);
}

static void without_write_zeroes(struct fake_virtio_opts *opts)
{
	opts->features &= ~FAKE_BIT(FAKE_F_BLK_WRITE_ZEROES);
}

/* A disk full of non-zero bytes. */
static void fill_disk(void)
{
	uint8_t *mem = fake_virtio_disk(fv);
	for (uint64_t i = 0; i < fake_virtio_disk_bytes(fv); i++)
		mem[i] = (uint8_t)(i % 251u + 1u);
}

static bool sectors_zero(uint64_t sector, uint64_t nsectors)
{
	const uint8_t *mem = fake_virtio_disk(fv) + sector * VBLK_SECTOR_SIZE;
	for (uint64_t i = 0; i < nsectors * VBLK_SECTOR_SIZE; i++)
		if (mem[i] != 0)
			return false;
	return true;
}

static bool sectors_untouched(uint64_t sector, uint64_t nsectors)
{
	const uint8_t *mem = fake_virtio_disk(fv);
	for (uint64_t i = sector * VBLK_SECTOR_SIZE; i < (sector + nsectors) * VBLK_SECTOR_SIZE; i++)
		if (mem[i] != (uint8_t)(i % 251u + 1u))
			return false;
	return true;
}

static void note_done(struct vblk_bio *bio, int status)
{
	unsigned idx = (unsigned)(bio - bios);
	done_calls[idx]++;
	done_status[idx] = status;
}

static struct vblk_bio *range_bio(unsigned idx, enum vblk_op op, uint64_t sector,
				  uint64_t nsectors, uint32_t flags)
{
	bios[idx] = (struct vblk_bio){ .op = op, .sector = sector, .nsectors = nsectors,
				       .flags = flags, .done = note_done };
	return &bios[idx];
}

static void submit_ok(struct vblk_bio *bio)
{
	assert_int_equal(vblk_submit(disk, bio), 0);
}

static void wait_all(unsigned count)
{
	struct vblk_bio *waits[MAX_TEST_BIOS];
	for (unsigned i = 0; i < count; i++)
		waits[i] = &bios[i];
	vblk_wait_bios(disk, waits, count);
}

static void expect_each_done_with(unsigned count, int status)
{
	for (unsigned i = 0; i < count; i++) {
		assert_int_equal(done_calls[i], 1);
		assert_int_equal(done_status[i], status);
	}
}

/* ---- negotiation and what vblk_info says ------------------------------ */

static void test_both_features_are_negotiated_and_reported(void **state)
{
	limits.may_unmap = 1;
	attach_ok(state, with_limits);
	uint64_t accepted = fake_virtio_accepted_features(fv);
	assert_true(accepted & FAKE_BIT(FAKE_F_BLK_DISCARD));
	assert_true(accepted & FAKE_BIT(FAKE_F_BLK_WRITE_ZEROES));
	const struct vblk_info *info = vblk_disk_info(disk);
	assert_true(info->has_discard);
	assert_true(info->has_write_zeroes);
	assert_int_equal(info->max_discard_sectors, 4194303);
	assert_int_equal(info->max_discard_seg, 1);
	assert_int_equal(info->discard_sector_alignment, 8);
	assert_int_equal(info->max_write_zeroes_sectors, 4194303);
	assert_int_equal(info->max_write_zeroes_seg, 1);
	assert_true(info->write_zeroes_may_unmap);
	/* Whole units of 8 sectors per segment, one segment. */
	assert_int_equal(vblk_max_range_sectors(disk, VBLK_OP_DISCARD), 4194296);
	assert_int_equal(vblk_max_range_sectors(disk, VBLK_OP_WRITE_ZEROES), 4194303);
	assert_int_equal(vblk_max_range_sectors(disk, VBLK_OP_READ), 0);
}

static void test_limits_given_as_0_mean_none(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_opts(fv)->max_discard_sectors = 0;
	fake_virtio_opts(fv)->max_discard_seg = 0;
	fake_virtio_opts(fv)->discard_sector_alignment = 0;
	assert_int_equal(vblk_reset(disk), 0);
	/* UINT32_MAX per segment, as many segments as a request slot holds. */
	assert_true(vblk_max_range_sectors(disk, VBLK_OP_DISCARD) >= 0xffffffffull);
	fill_disk();
	assert_int_equal(vblk_discard(disk, 3, 5), 0);
	assert_true(sectors_zero(3, 5));
}

/* ---- the synchronous calls ----------------------------------------------- */

static void test_discard_zeroes_its_range_in_one_request(void **state)
{
	attach_ok(state, NULL);
	fill_disk();
	assert_int_equal(vblk_discard(disk, 64, 512), 0);
	assert_true(sectors_zero(64, 512));
	assert_true(sectors_untouched(0, 64));
	assert_true(sectors_untouched(576, DISK_SECTORS - 576));
	const struct fake_virtio_stats *stats = fake_virtio_stats(fv);
	assert_int_equal(stats->discards, 1);
	assert_int_equal(stats->range_segs, 1);
	assert_int_equal(stats->deallocated_sectors, 512);
}

static void test_write_zeroes_zeroes_and_unmaps_only_when_asked(void **state)
{
	limits.may_unmap = 1;
	attach_ok(state, with_limits);
	fill_disk();
	assert_int_equal(vblk_write_zeroes(disk, 1, 7, 0), 0);
	assert_int_equal(fake_virtio_stats(fv)->deallocated_sectors, 0);
	assert_int_equal(vblk_write_zeroes(disk, 100, 20, VBLK_WZ_UNMAP), 0);
	assert_int_equal(fake_virtio_stats(fv)->deallocated_sectors, 20);
	assert_true(sectors_zero(1, 7));
	assert_true(sectors_zero(100, 20));
	assert_true(sectors_untouched(0, 1));
	assert_true(sectors_untouched(8, 92));
	assert_true(sectors_untouched(120, DISK_SECTORS - 120));
	assert_int_equal(fake_virtio_stats(fv)->write_zeroes, 2);
}

/* QEMU 7.2's one segment per request: a range over max_*_sectors is
 * several requests, each no longer than the limit (the fake checks). */
static void test_range_splits_to_max_sectors_with_one_segment(void **state)
{
	set_limits(16, 1, 8);
	attach_ok(state, with_limits);
	fill_disk();
	assert_int_equal(vblk_discard(disk, 8, 80), 0);
	assert_int_equal(fake_virtio_stats(fv)->discards, 5);
	assert_int_equal(fake_virtio_stats(fv)->range_segs, 5);
	assert_true(sectors_zero(8, 80));
	assert_true(sectors_untouched(88, DISK_SECTORS - 88));
	assert_int_equal(vblk_write_zeroes(disk, 200, 33, 0), 0);
	assert_int_equal(fake_virtio_stats(fv)->write_zeroes, 3);
	assert_true(sectors_zero(200, 33));
	assert_true(sectors_untouched(233, 10));
}

/* Several segments: a request carries max_seg of them. */
static void test_range_splits_into_several_segments_per_request(void **state)
{
	set_limits(16, 4, 8);
	attach_ok(state, with_limits);
	fill_disk();
	assert_int_equal(vblk_discard(disk, 0, 160), 0);   /* 64 + 64 + 32 */
	assert_int_equal(fake_virtio_stats(fv)->discards, 3);
	assert_int_equal(fake_virtio_stats(fv)->range_segs, 10);
	assert_true(sectors_zero(0, 160));
	assert_true(sectors_untouched(160, DISK_SECTORS - 160));
}

/* More than SYNC_BATCH requests' worth: the call keeps going. */
static void test_long_range_takes_many_batches(void **state)
{
	set_limits(8, 1, 8);
	attach_ok(state, with_limits);
	fill_disk();
	assert_int_equal(vblk_write_zeroes(disk, 0, DISK_SECTORS, 0), 0);
	assert_int_equal(fake_virtio_stats(fv)->write_zeroes, DISK_SECTORS / 8);
	assert_true(sectors_zero(0, DISK_SECTORS));
}

/* Each refusal: the error, and the device saw nothing. */
static void expect_refused(int err, int expected)
{
	assert_int_equal(err, expected);
	assert_int_equal(fake_virtio_stats(fv)->requests, 0);
	assert_int_equal(fake_virtio_stats(fv)->notifies, 0);
	assert_true(sectors_untouched(0, DISK_SECTORS));
}

static void test_bad_ranges_are_refused_before_anything_is_sent(void **state)
{
	attach_ok(state, NULL);
	fill_disk();
	expect_refused(vblk_discard(disk, 4, 8), -VBLK_EALIGN);          /* alignment 8 */
	expect_refused(vblk_discard(disk, 8, 12), -VBLK_EALIGN);
	expect_refused(vblk_discard(disk, 0, 0), -VBLK_EINVAL);
	expect_refused(vblk_discard(disk, DISK_SECTORS, 8), -VBLK_ERANGE);
	expect_refused(vblk_discard(disk, DISK_SECTORS - 8, 16), -VBLK_ERANGE);
	expect_refused(vblk_discard(disk, UINT64_MAX - 7, 16), -VBLK_ERANGE);
	expect_refused(vblk_write_zeroes(disk, 0, 8, 2), -VBLK_EINVAL);
	expect_refused(vblk_write_zeroes(disk, 0, UINT64_MAX, 0), -VBLK_ERANGE);
	expect_refused(vblk_discard(NULL, 0, 8), -VBLK_EINVAL);
}

static void test_4k_blocks_refuse_partial_blocks(void **state)
{
	attach_ok(state, block_4k);
	fill_disk();
	expect_refused(vblk_write_zeroes(disk, 4, 8, 0), -VBLK_EALIGN);
	expect_refused(vblk_write_zeroes(disk, 8, 4, 0), -VBLK_EALIGN);
	assert_int_equal(vblk_write_zeroes(disk, 8, 8, 0), 0);
	assert_true(sectors_zero(8, 8));
}

static void test_read_only_disk_refuses_both(void **state)
{
	attach_ok(state, read_only);
	fill_disk();
	expect_refused(vblk_discard(disk, 0, 8), -VBLK_EROFS);
	expect_refused(vblk_write_zeroes(disk, 0, 8, 0), -VBLK_EROFS);
	expect_refused(vblk_submit(disk, range_bio(0, VBLK_OP_DISCARD, 0, 8, 0)), -VBLK_EROFS);
	assert_int_equal(done_calls[0], 0);
}

static void test_disk_without_the_feature_refuses_it(void **state)
{
	attach_ok(state, without_discard);
	fill_disk();
	assert_false(vblk_disk_info(disk)->has_discard);
	assert_false(fake_virtio_accepted_features(fv) & FAKE_BIT(FAKE_F_BLK_DISCARD));
	expect_refused(vblk_discard(disk, 0, 8), -VBLK_EUNSUPP);
	expect_refused(vblk_submit(disk, range_bio(0, VBLK_OP_DISCARD, 0, 8, 0)), -VBLK_EUNSUPP);
	assert_int_equal(vblk_write_zeroes(disk, 0, 8, 0), 0);   /* the other one works */
}

static void test_disk_without_write_zeroes_refuses_it(void **state)
{
	attach_ok(state, without_write_zeroes);
	fill_disk();
	assert_false(vblk_disk_info(disk)->has_write_zeroes);
	expect_refused(vblk_write_zeroes(disk, 0, 8, 0), -VBLK_EUNSUPP);
	assert_int_equal(vblk_discard(disk, 0, 8), 0);
}

/* Negotiated but unusable: a segment limit below the discard alignment
 * leaves no whole unit to send. The disk says so through
 * vblk_max_range_sectors, and every call is refused before it is sent. */
static void test_limits_below_one_unit_refuse_discard(void **state)
{
	set_limits(7, 1, 8);
	attach_ok(state, with_limits);
	fill_disk();
	assert_true(vblk_disk_info(disk)->has_discard);
	assert_int_equal(vblk_max_range_sectors(disk, VBLK_OP_DISCARD), 0);
	expect_refused(vblk_discard(disk, 0, 8), -VBLK_EUNSUPP);
	expect_refused(vblk_submit(disk, range_bio(0, VBLK_OP_DISCARD, 0, 8, 0)), -VBLK_EUNSUPP);
	assert_int_equal(fake_virtio_stats(fv)->discards, 0);
	assert_true(sectors_untouched(0, 16));
	/* Write-zeroes keeps to the logical block (1 sector): 7 per segment. */
	assert_int_equal(vblk_max_range_sectors(disk, VBLK_OP_WRITE_ZEROES), 7);
	assert_int_equal(vblk_write_zeroes(disk, 0, 7, 0), 0);
	assert_true(sectors_zero(0, 7));
}

/* ---- bios: checks, merging, status ------------------------------------ */

static void test_range_bio_with_segments_or_too_long_is_refused(void **state)
{
	set_limits(16, 2, 8);
	attach_ok(state, with_limits);
	fill_disk();
	struct vblk_seg seg = { buf, 4096 };
	struct vblk_bio *bio = range_bio(0, VBLK_OP_WRITE_ZEROES, 0, 8, 0);
	bio->segs = &seg;
	bio->nsegs = 1;
	expect_refused(vblk_submit(disk, bio), -VBLK_EINVAL);
	expect_refused(vblk_submit(disk, range_bio(0, VBLK_OP_DISCARD, 0, 40, 0)), -VBLK_ETOOBIG);
	expect_refused(vblk_submit(disk, range_bio(0, VBLK_OP_DISCARD, 0, 8, VBLK_WZ_UNMAP)),
		       -VBLK_EINVAL);
	expect_refused(vblk_submit(disk, range_bio(0, VBLK_OP_DISCARD, 0, 0, 0)), -VBLK_EINVAL);
	assert_int_equal(done_calls[0], 0);
	submit_ok(range_bio(0, VBLK_OP_DISCARD, 0, 32, 0));   /* exactly the limit */
	wait_all(1);
	expect_each_done_with(1, 0);
}

/* Plugged adjacent discards become one request: one widened range when
 * it fits a segment (QEMU's one-segment devices merge too). */
static void test_adjacent_discards_merge_into_one_request(void **state)
{
	attach_ok(state, NULL);
	fill_disk();
	vblk_plug(disk);
	submit_ok(range_bio(0, VBLK_OP_DISCARD, 16, 8, 0));
	submit_ok(range_bio(1, VBLK_OP_DISCARD, 24, 8, 0));
	submit_ok(range_bio(2, VBLK_OP_DISCARD, 8, 8, 0));    /* in front */
	submit_ok(range_bio(3, VBLK_OP_DISCARD, 32, 16, 0));
	vblk_unplug(disk);
	wait_all(4);
	expect_each_done_with(4, 0);
	struct vblk_stats stats;
	vblk_stats(disk, &stats);
	assert_int_equal(stats.requests, 1);
	assert_int_equal(stats.back_merges, 2);
	assert_int_equal(stats.front_merges, 1);
	assert_int_equal(fake_virtio_stats(fv)->discards, 1);
	assert_int_equal(fake_virtio_stats(fv)->range_segs, 1);
	assert_true(sectors_zero(8, 40));
	assert_true(sectors_untouched(48, DISK_SECTORS - 48));
}

/* A merged request keeps to max_seg segments of max_sectors. */
static void test_merging_stops_at_the_request_limit(void **state)
{
	set_limits(16, 2, 8);
	attach_ok(state, with_limits);
	fill_disk();
	vblk_plug(disk);
	for (unsigned i = 0; i < 6; i++)
		submit_ok(range_bio(i, VBLK_OP_WRITE_ZEROES, 8u * i, 8, 0));
	vblk_unplug(disk);
	wait_all(6);
	expect_each_done_with(6, 0);
	struct vblk_stats stats;
	vblk_stats(disk, &stats);
	assert_int_equal(stats.requests, 2);                   /* 32 + 16 */
	assert_int_equal(fake_virtio_stats(fv)->range_segs, 3);
	assert_true(sectors_zero(0, 48));
}

/* Never a discard with a write-zeroes, a write-zeroes with unmap with
 * one without, or either with a write. */
static void test_different_kinds_never_merge(void **state)
{
	attach_ok(state, NULL);
	fill_disk();
	vblk_plug(disk);
	submit_ok(range_bio(0, VBLK_OP_DISCARD, 0, 8, 0));
	submit_ok(range_bio(1, VBLK_OP_WRITE_ZEROES, 8, 8, 0));
	submit_ok(range_bio(2, VBLK_OP_WRITE_ZEROES, 16, 8, VBLK_WZ_UNMAP));
	struct vblk_seg seg = { buf, 4096 };
	memset(buf, 0x77, 4096);
	bios[3] = (struct vblk_bio){ .op = VBLK_OP_WRITE, .sector = 24, .segs = &seg, .nsegs = 1,
				     .done = note_done };
	submit_ok(&bios[3]);
	vblk_unplug(disk);
	wait_all(4);
	expect_each_done_with(4, 0);
	struct vblk_stats stats;
	vblk_stats(disk, &stats);
	assert_int_equal(stats.requests, 4);
	assert_int_equal(stats.back_merges + stats.front_merges, 0);
	assert_true(sectors_zero(0, 24));
	assert_memory_equal(fake_virtio_disk(fv) + 24 * VBLK_SECTOR_SIZE, buf, 4096);
}

/* A write queued after an overlapping discard stays after it. */
static void test_write_after_overlapping_discard_keeps_its_order(void **state)
{
	attach_ok(state, NULL);
	fill_disk();
	vblk_plug(disk);
	submit_ok(range_bio(0, VBLK_OP_DISCARD, 0, 16, 0));
	struct vblk_seg seg = { buf, 4096 };
	memset(buf, 0x5a, 4096);
	bios[1] = (struct vblk_bio){ .op = VBLK_OP_WRITE, .sector = 8, .segs = &seg, .nsegs = 1,
				     .done = note_done };
	submit_ok(&bios[1]);
	submit_ok(range_bio(2, VBLK_OP_DISCARD, 16, 8, 0));
	vblk_unplug(disk);
	wait_all(3);
	expect_each_done_with(3, 0);
	assert_true(sectors_zero(0, 8));
	assert_memory_equal(fake_virtio_disk(fv) + 8 * VBLK_SECTOR_SIZE, buf, 4096);
	assert_true(sectors_zero(16, 8));
}

static void merged_three_then_status(uint8_t status)
{
	fill_disk();
	fake_virtio_fail_request(fv, 1, status, FAKE_ONCE);
	vblk_plug(disk);
	for (unsigned i = 0; i < 3; i++)
		submit_ok(range_bio(i, VBLK_OP_DISCARD, 8u * i, 8, 0));
	vblk_unplug(disk);
	wait_all(3);
}

static void test_ioerr_reaches_every_merged_bio(void **state)
{
	attach_ok(state, NULL);
	merged_three_then_status(FAKE_BLK_S_IOERR);
	expect_each_done_with(3, -VBLK_EIO);
	assert_int_equal(vblk_discard(disk, 0, 8), 0);   /* the disk still works */
}

static void test_unsupp_reaches_every_merged_bio(void **state)
{
	attach_ok(state, NULL);
	merged_three_then_status(FAKE_BLK_S_UNSUPP);
	expect_each_done_with(3, -VBLK_EUNSUPP);
}

/* A status byte virtio does not define: the device broke the protocol. */
static void test_bad_status_breaks_the_disk_for_every_merged_bio(void **state)
{
	attach_ok(state, NULL);
	merged_three_then_status(0xee);
	expect_each_done_with(3, -VBLK_EBROKEN);
	assert_int_equal(vblk_discard(disk, 0, 8), -VBLK_EBROKEN);
	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(vblk_discard(disk, 0, 8), 0);
}

/* used.len must cover the status byte (§2.7.8.3), as for a write. */
static void test_short_used_len_fails_the_request(void **state)
{
	attach_ok(state, NULL);
	fill_disk();
	fake_virtio_corrupt_used(fv, FAKE_USED_LEN_SHORT, FAKE_ONCE);
	int err = vblk_write_zeroes(disk, 0, 8, 0);
	if (test_is_modern(state))
		assert_int_equal(err, -VBLK_EIO);
	else
		assert_int_equal(err, 0);   /* legacy: len is not trusted either way */
	assert_int_equal(vblk_write_zeroes(disk, 0, 8, 0), 0);
}

static void test_used_len_too_large_breaks_the_disk(void **state)
{
	attach_ok(state, NULL);
	fill_disk();
	fake_virtio_corrupt_used(fv, FAKE_USED_LEN_TOO_LARGE, FAKE_ONCE);
	assert_int_equal(vblk_discard(disk, 0, 8), -VBLK_EBROKEN);
	fake_virtio_clear_violations(fv);
	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(vblk_discard(disk, 0, 8), 0);
}

/* A request still queued when the disk shrinks is refused, not sent. */
static void test_range_past_a_shrunk_capacity_is_not_sent(void **state)
{
	attach_ok(state, NULL);
	fill_disk();
	vblk_plug(disk);
	submit_ok(range_bio(0, VBLK_OP_DISCARD, 1024, 64, 0));
	fake_virtio_resize(fv, 1024);
	vblk_poll(disk);
	vblk_unplug(disk);
	wait_all(1);
	expect_each_done_with(1, -VBLK_ERANGE);
	assert_int_equal(fake_virtio_stats(fv)->discards, 0);
}

/* Legacy and modern virtio-mmio, and a virtio-pci function. */
#define ALL(name) ALL_TRANSPORTS(name, setup, disk_teardown), \
		  PACKED_TRANSPORTS(name, setup, disk_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALL(test_both_features_are_negotiated_and_reported),
		ALL(test_limits_given_as_0_mean_none),
		ALL(test_discard_zeroes_its_range_in_one_request),
		ALL(test_write_zeroes_zeroes_and_unmaps_only_when_asked),
		ALL(test_range_splits_to_max_sectors_with_one_segment),
		ALL(test_range_splits_into_several_segments_per_request),
		ALL(test_long_range_takes_many_batches),
		ALL(test_bad_ranges_are_refused_before_anything_is_sent),
		ALL(test_4k_blocks_refuse_partial_blocks),
		ALL(test_read_only_disk_refuses_both),
		ALL(test_disk_without_the_feature_refuses_it),
		ALL(test_disk_without_write_zeroes_refuses_it),
		ALL(test_limits_below_one_unit_refuse_discard),
		ALL(test_range_bio_with_segments_or_too_long_is_refused),
		ALL(test_adjacent_discards_merge_into_one_request),
		ALL(test_merging_stops_at_the_request_limit),
		ALL(test_different_kinds_never_merge),
		ALL(test_write_after_overlapping_discard_keeps_its_order),
		ALL(test_ioerr_reaches_every_merged_bio),
		ALL(test_unsupp_reaches_every_merged_bio),
		ALL(test_bad_status_breaks_the_disk_for_every_merged_bio),
		ALL(test_short_used_len_fails_the_request),
		ALL(test_used_len_too_large_breaks_the_disk),
		ALL(test_range_past_a_shrunk_capacity_is_not_sent),
	};
	return cmocka_run_group_tests_name("discard", tests, NULL, NULL);
}
