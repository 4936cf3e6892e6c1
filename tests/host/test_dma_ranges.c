/* SPDX-License-Identifier: MIT */
/*
 * vblk_set_dma_ranges and the -VBLK_EFAULT it makes possible: a buffer
 * with a byte outside the memory the device may use is refused by every
 * call that takes one, before anything reaches the ring; a buffer inside
 * (one range, or ranges that touch) moves data as before; bad ranges are
 * refused and leave the ones in force. Sequences too: a refusal while
 * another bio is in flight, ranges changed between calls. On every
 * transport and both ring formats; each test ends with the fake device
 * reporting no rule broken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "disk_fixture.h"
#include "fake_virtio.h"
#include "vblk/vblk.h"

#define PAGE 4096u
#define PAGE_SECTORS (PAGE / VBLK_SECTOR_SIZE)

static uint8_t buf[8 * PAGE] VBLK_ALIGNED;

/* [buf + from, buf + to), as DMA addresses. */
static struct vblk_dma_range part_of_buf(size_t from, size_t to)
{
	return (struct vblk_dma_range){ plat_virt_to_phys(buf) + from, to - from };
}

static void give(const struct vblk_dma_range *ranges, unsigned count)
{
	assert_int_equal(vblk_set_dma_ranges(ranges, count), 0);
}

static void sent_nothing_since(const struct vblk_stats *before)
{
	struct vblk_stats now;

	vblk_stats(disk, &now);
	assert_int_equal(now.bios, before->bios);
	assert_int_equal(now.requests, before->requests);
	assert_int_equal(now.notifications, before->notifications);
}

/* A write of `nsectors` from buf + offset, then a read of them back into
 * buf + offset after poisoning it: the data made the round trip. */
static void round_trip(size_t offset, uint32_t nsectors)
{
	size_t len = nsectors * VBLK_SECTOR_SIZE;

	for (size_t i = 0; i < len; i++)
		buf[offset + i] = (uint8_t)(i * 7u + 3u);
	assert_int_equal(vblk_write(disk, 16, buf + offset, nsectors), 0);
	memset(buf + offset, 0xee, len);
	assert_int_equal(vblk_read(disk, 16, buf + offset, nsectors), 0);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(buf[offset + i], (uint8_t)(i * 7u + 3u));
}

static void refused_everywhere_outside(void **state)
{
	struct vblk_dma_range elsewhere = part_of_buf(4 * PAGE, 8 * PAGE);
	struct vblk_seg segs[2] = { { buf + 4 * PAGE, PAGE }, { buf, PAGE } };
	struct vblk_bio bio = { .op = VBLK_OP_READ, .segs = segs, .nsegs = 2 };
	struct vblk_stats before;

	attach_ok(state, NULL);
	give(&elsewhere, 1);
	vblk_stats(disk, &before);
	assert_int_equal(vblk_read(disk, 0, buf, PAGE_SECTORS), -VBLK_EFAULT);
	assert_int_equal(vblk_write(disk, 0, buf, PAGE_SECTORS), -VBLK_EFAULT);
	/* The first segment is inside; the second is not. */
	assert_int_equal(vblk_submit(disk, &bio), -VBLK_EFAULT);
	bio.op = VBLK_OP_WRITE;
	assert_int_equal(vblk_submit(disk, &bio), -VBLK_EFAULT);
	assert_null(bio.owner);
	sent_nothing_since(&before);
	round_trip(4 * PAGE, PAGE_SECTORS);
}

static void the_edges_of_a_range(void **state)
{
	struct vblk_dma_range middle = part_of_buf(PAGE, 3 * PAGE);
	struct vblk_stats before;

	attach_ok(state, NULL);
	give(&middle, 1);
	vblk_stats(disk, &before);
	/* One sector before its start, one past its end. */
	assert_int_equal(vblk_read(disk, 0, buf + PAGE - VBLK_SECTOR_SIZE, 2), -VBLK_EFAULT);
	assert_int_equal(vblk_read(disk, 0, buf + PAGE, 2 * PAGE_SECTORS + 1), -VBLK_EFAULT);
	assert_int_equal(vblk_read(disk, 0, buf + 3 * PAGE, 1), -VBLK_EFAULT);
	sent_nothing_since(&before);
	/* Exactly the range. */
	round_trip(PAGE, 2 * PAGE_SECTORS);
}

static void ranges_that_touch_hold_a_buffer_across_them(void **state)
{
	struct vblk_dma_range touching[3] = {
		part_of_buf(2 * PAGE, 3 * PAGE), part_of_buf(0, PAGE), part_of_buf(PAGE, 2 * PAGE),
	};
	struct vblk_dma_range gap[2] = { part_of_buf(0, PAGE), part_of_buf(PAGE + 64, 3 * PAGE) };

	attach_ok(state, NULL);
	give(touching, 3);
	round_trip(0, 3 * PAGE_SECTORS);
	give(gap, 2);
	assert_int_equal(vblk_read(disk, 0, buf, 2 * PAGE_SECTORS), -VBLK_EFAULT);
	round_trip(PAGE + 512, PAGE_SECTORS);
}

static void bad_ranges_are_refused_and_change_nothing(void **state)
{
	struct vblk_dma_range elsewhere = part_of_buf(4 * PAGE, 8 * PAGE);
	struct vblk_dma_range many[VBLK_MAX_DMA_RANGES + 1];
	struct vblk_dma_range empty = { plat_virt_to_phys(buf), 0 };
	struct vblk_dma_range wrapping = { UINT64_MAX - PAGE + 1, 2 * PAGE };
	struct vblk_dma_range top = { UINT64_MAX - PAGE + 1, PAGE };

	attach_ok(state, NULL);
	for (unsigned i = 0; i < VBLK_MAX_DMA_RANGES + 1; i++)
		many[i] = part_of_buf(0, sizeof(buf));
	give(&elsewhere, 1);
	assert_int_equal(vblk_set_dma_ranges(many, VBLK_MAX_DMA_RANGES + 1), -VBLK_EINVAL);
	assert_int_equal(vblk_set_dma_ranges(NULL, 1), -VBLK_EINVAL);
	assert_int_equal(vblk_set_dma_ranges(&empty, 1), -VBLK_EINVAL);
	assert_int_equal(vblk_set_dma_ranges(&wrapping, 1), -VBLK_EINVAL);
	/* Still `elsewhere`. */
	assert_int_equal(vblk_read(disk, 0, buf, 1), -VBLK_EFAULT);
	round_trip(4 * PAGE, 1);
	/* The top of the address space is a range like any other; the most
	 * there are, too. */
	give(&top, 1);
	assert_int_equal(vblk_read(disk, 0, buf, 1), -VBLK_EFAULT);
	give(many, VBLK_MAX_DMA_RANGES);
	round_trip(0, 1);
}

static void no_ranges_takes_every_address(void **state)
{
	struct vblk_dma_range elsewhere = part_of_buf(4 * PAGE, 8 * PAGE);

	attach_ok(state, NULL);
	round_trip(0, PAGE_SECTORS);
	give(&elsewhere, 1);
	assert_int_equal(vblk_read(disk, 0, buf, PAGE_SECTORS), -VBLK_EFAULT);
	give(NULL, 0);
	round_trip(0, PAGE_SECTORS);
}

/* Sectors past the capacity are what a caller needs to hear about first,
 * before the buffer that many sectors would need runs out of memory. */
static void the_sector_range_is_checked_first(void **state)
{
	struct vblk_dma_range all_of_buf = part_of_buf(0, sizeof(buf));
	struct vblk_seg seg = { buf, sizeof(buf) };
	struct vblk_bio bio = { .op = VBLK_OP_READ, .segs = &seg, .nsegs = 1 };

	attach_ok(state, NULL);
	give(&all_of_buf, 1);
	assert_int_equal(vblk_read(disk, 0, buf, UINT32_MAX), -VBLK_ERANGE);
	assert_int_equal(vblk_write(disk, vblk_capacity(disk), buf, 1), -VBLK_ERANGE);
	seg.addr = buf + PAGE;   /* now past the range's end, and the disk's */
	bio.sector = vblk_capacity(disk) - 1;
	assert_int_equal(vblk_submit(disk, &bio), -VBLK_ERANGE);
	bio.sector = 0;
	assert_int_equal(vblk_submit(disk, &bio), -VBLK_EFAULT);
}

/* A refused bio beside one in flight: the one in flight completes as if
 * nothing had happened, and the refused one was never the queue's. */
static void a_refusal_beside_a_bio_in_flight(void **state)
{
	struct vblk_dma_range first_half = part_of_buf(0, 4 * PAGE);
	struct vblk_seg good_seg = { buf, PAGE }, bad_seg = { buf + 4 * PAGE, PAGE };
	struct vblk_bio good = { .op = VBLK_OP_READ, .sector = 8, .segs = &good_seg, .nsegs = 1 };
	struct vblk_bio bad = { .op = VBLK_OP_READ, .sector = 16, .segs = &bad_seg, .nsegs = 1 };
	struct vblk_bio *waited = &good;

	attach_ok(state, NULL);
	give(&first_half, 1);
	vblk_plug(disk);
	assert_int_equal(vblk_submit(disk, &good), 0);
	assert_int_equal(vblk_submit(disk, &bad), -VBLK_EFAULT);
	vblk_unplug(disk);
	assert_int_equal(vblk_submit(disk, &bad), -VBLK_EFAULT);
	assert_int_equal(vblk_wait_bios(disk, &waited, 1), 0);
	assert_true(good.completed);
	assert_false(bad.completed);
	assert_null(bad.owner);
	/* The same bio, once its memory is in range, is an ordinary one. */
	give(NULL, 0);
	waited = &bad;
	assert_int_equal(vblk_submit(disk, &bad), 0);
	assert_int_equal(vblk_wait_bios(disk, &waited, 1), 0);
}

#define ALL(name) \
	ALL_TRANSPORTS(name, disk_setup, disk_teardown), PACKED_TRANSPORTS(name, disk_setup, disk_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALL(refused_everywhere_outside),
		ALL(the_edges_of_a_range),
		ALL(ranges_that_touch_hold_a_buffer_across_them),
		ALL(bad_ranges_are_refused_and_change_nothing),
		ALL(no_ranges_takes_every_address),
		ALL(the_sector_range_is_checked_first),
		ALL(a_refusal_beside_a_bio_in_flight),
	};
	return cmocka_run_group_tests_name("dma_ranges", tests, NULL, NULL);
}
