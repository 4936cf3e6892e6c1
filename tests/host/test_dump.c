/* SPDX-License-Identifier: MIT */
/*
 * vblk_dump (blk/dump.c, vring/describe.c) against the fake device: with
 * requests held in flight, the dump names the chains' heads (split) or
 * buffer IDs and slots (packed), each descriptor's length and flags, the
 * indices and their shadows; after the device completes one, the used
 * index ahead of last_used; after the harvest, the used entry. The
 * library prints through vblk_printf, which this file defines to collect
 * the text.
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
#include "vblk/vblk.h"

static char out[16384];
static size_t out_len;

int vblk_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(out + out_len, sizeof(out) - out_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		out_len += (size_t)n < sizeof(out) - out_len ? (size_t)n : sizeof(out) - out_len - 1;
	return n;
}

static void clear_out(void)
{
	out_len = 0;
	out[0] = '\0';
}

/* The dump holds `line` (a whole line's text or a part of one). */
#define assert_dump_has(...)                                                                 \
	do {                                                                                 \
		char want_[256];                                                             \
		snprintf(want_, sizeof(want_), __VA_ARGS__);                                 \
		if (strstr(out, want_) == NULL)                                              \
			fail_msg("dump lacks \"%s\"; it was:\n%s", want_, out);               \
	} while (0)

static uint8_t bufs[2][VBLK_SECTOR_SIZE] VBLK_ALIGNED;
static struct vblk_seg segs[2];
static struct vblk_bio bios[2];

/* Two one-sector reads far apart (no merging), held by the device. */
static void two_reads_in_flight(void)
{
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	for (unsigned i = 0; i < 2; i++) {
		segs[i] = (struct vblk_seg){ .addr = bufs[i], .len_bytes = VBLK_SECTOR_SIZE };
		bios[i] = (struct vblk_bio){ .op = VBLK_OP_READ, .sector = 100 + 1000 * i,
					     .segs = &segs[i], .nsegs = 1 };
		assert_int_equal(vblk_submit(disk, &bios[i]), 0);
	}
	assert_int_equal(fake_virtio_pending(fv), 2);
}

static void test_dump_refuses_null(void **state)
{
	(void)state;
	clear_out();
	assert_int_equal(vblk_dump(NULL), -VBLK_EINVAL);
	assert_int_equal(out_len, 0);
}

static void test_split_dump_names_chains_in_flight(void **state)
{
	attach_ok(state, NULL);
	unsigned num = vblk_disk_info(disk)->queue_size;
	two_reads_in_flight();

	clear_out();
	assert_int_equal(vblk_dump(disk), 0);
	assert_dump_has("features: ");
	assert_dump_has("split ring: %u descriptors, %u free (free head 6), 2 chain(s) in flight",
			num, num - 6);
	assert_dump_has("avail idx 2 (driver's shadow 2)");
	assert_dump_has("used idx 0 (last_used 0, 0 to harvest)");
	assert_dump_has("in flight: head 0, 3 descriptor(s), device may write 513 bytes");
	assert_dump_has("in flight: head 3, 3 descriptor(s), device may write 513 bytes");
	assert_dump_has("desc 0: addr 0x");
	assert_dump_has(" len 16 flags NEXT next 1\n");
	assert_dump_has(" len 512 flags NEXT|WRITE next 2\n");
	assert_dump_has(" len 1 flags WRITE\n");
	assert_dump_has(" len 512 flags NEXT|WRITE next 5\n");
	assert_dump_has("in-flight request");
	assert_dump_has("read sector 100, 512 bytes, 1 bio(s)");
	assert_dump_has("read sector 1100, 512 bytes, 1 bio(s)");

	/* The device completes the first: used idx moves, last_used not. */
	assert_int_equal(fake_virtio_complete_some(fv, 1), 1);
	clear_out();
	assert_int_equal(vblk_dump(disk), 0);
	assert_dump_has("used idx 1 (last_used 0, 1 to harvest)");

	/* Harvested: the entry shows, the chain left the in-flight list. */
	assert_int_equal(vblk_poll(disk), 1);
	clear_out();
	assert_int_equal(vblk_dump(disk), 0);
	assert_dump_has("used idx 1 (last_used 1, 0 to harvest)");
	assert_dump_has("used[0] (idx 0): id 0 len 513");
	assert_dump_has("1 chain(s) in flight");
	assert_null(strstr(out, "in flight: head 0,"));
	assert_dump_has("in flight: head 3,");

	fake_virtio_complete_all(fv);
	assert_int_equal(vblk_drain(disk), 0);
}

static void test_packed_dump_names_ids_and_wrap_counters(void **state)
{
	attach_ok(state, NULL);
	unsigned num = vblk_disk_info(disk)->queue_size;
	two_reads_in_flight();

	clear_out();
	assert_int_equal(vblk_dump(disk), 0);
	assert_dump_has("packed ring: %u slots, %u free, 2 chain(s) in flight", num, num - 6);
	assert_dump_has("driver: next_avail 6, avail wrap counter 1, 0 slot(s) added and not "
			"yet published");
	assert_dump_has("device: last_used 0, used wrap counter 1");
	assert_dump_has("in flight: buffer id 0, 3 slot(s), device may write 513 bytes");
	assert_dump_has("in flight: buffer id 1, 3 slot(s), device may write 513 bytes");
	assert_dump_has("slots from last_used (6 in the device's hands)");
	assert_dump_has("slot 0: id 0 addr 0x");
	assert_dump_has(" len 16 flags NEXT AVAIL=1 USED=0\n");
	assert_dump_has("slot 4: id 1 addr 0x");
	assert_dump_has(" len 1 flags WRITE AVAIL=1 USED=0\n");

	assert_int_equal(fake_virtio_complete_some(fv, 1), 1);
	assert_int_equal(vblk_poll(disk), 1);
	clear_out();
	assert_int_equal(vblk_dump(disk), 0);
	assert_dump_has("device: last_used 3, used wrap counter 1");
	assert_dump_has("used slot 0: id 0 len 513 (wrap 1)");
	assert_dump_has("1 chain(s) in flight");

	fake_virtio_complete_all(fv);
	assert_int_equal(vblk_drain(disk), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_refuses_null),
		ALL_TRANSPORTS(test_split_dump_names_chains_in_flight, disk_setup, disk_teardown),
		PACKED_TRANSPORTS(test_packed_dump_names_ids_and_wrap_counters, disk_setup,
				  disk_teardown),
	};
	return cmocka_run_group_tests_name("dump", tests, NULL, NULL);
}
