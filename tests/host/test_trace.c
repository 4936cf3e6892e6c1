/* SPDX-License-Identifier: MIT */
/*
 * What the library prints for a student, against the fake device, all
 * collected through this file's vblk_printf:
 *
 *  - the trace mode (plat/trace.h), this binary being built with
 *    -DVBLK_TRACE=1 (the Makefile's HOST_FLAGS_test_trace): two adjacent
 *    bios, plugged, become one request, and each step prints its line in
 *    order: queued, merged, request, chain (descriptor indices, lengths,
 *    directions), avail index, notification, interrupt, used entry,
 *    completions;
 *  - vblk_dump (blk/dump.c, vring/describe.c), which does not depend on
 *    the switch: with requests held in flight, the dump names the chains'
 *    heads (split) or buffer IDs and slots (packed), each descriptor's
 *    length and flags, the indices and their shadows; after the device
 *    completes one, the used index ahead of last_used; after the harvest,
 *    the used entry.
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

#if !VBLK_TRACE
#error "test_trace is built with -DVBLK_TRACE=1"
#endif

static char out[65536];
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

/* The trace holds these lines in this order (each a line's start). */
static void assert_lines_in_order(const char *const *lines, unsigned count)
{
	const char *at = out;

	for (unsigned i = 0; i < count; i++) {
		const char *found = strstr(at, lines[i]);
		if (found == NULL)
			fail_msg("no \"%s\" after line %u; the trace was:\n%s", lines[i], i, out);
		at = found + strlen(lines[i]);
	}
}

static unsigned done_calls;

static void done(struct vblk_bio *bio, int status)
{
	(void)bio;
	assert_int_equal(status, 0);
	done_calls++;
}

/* What a GIC would do with the device's line: run the disk's handler. */
static void take_interrupt(struct fake_virtio *device, void *ctx)
{
	(void)device;
	vblk_irq_handler(ctx);
}

static uint8_t bufs[2][VBLK_SECTOR_SIZE] VBLK_ALIGNED;
static struct vblk_seg segs[2];
static struct vblk_bio bios[2];

static void test_trace_follows_two_merged_bios_through_the_ring(void **state)
{
	attach_ok(state, without_indirect);
	/* Completed well after the notification, so the wait sleeps and the
	 * completion arrives as an interrupt. */
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, VBLK_IRQ_POLL_US + 100u);
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	clear_out();
	done_calls = 0;

	vblk_plug(disk);
	for (unsigned i = 0; i < 2; i++) {
		segs[i] = (struct vblk_seg){ .addr = bufs[i], .len_bytes = VBLK_SECTOR_SIZE };
		bios[i] = (struct vblk_bio){ .op = VBLK_OP_READ, .sector = 8 + i, .segs = &segs[i],
					     .nsegs = 1, .done = done };
		assert_int_equal(vblk_submit(disk, &bios[i]), 0);
	}
	vblk_unplug(disk);
	assert_int_equal(vblk_wait_bios(disk, (struct vblk_bio *[]){ &bios[0], &bios[1] }, 2), 0);
	assert_int_equal(done_calls, 2);

	/* The buffers are a sector each and apart in memory: two data
	 * descriptors, unless they happen to be adjacent (then one). */
	bool one = bufs[1] == bufs[0] + VBLK_SECTOR_SIZE;
	const char *const lines[] = {
		"[vblk] bio queued  read sector 8, 1 sector(s)\n",
		"[vblk] bio queued  read sector 9, 1 sector(s)\n",
		"[vblk] bio merged  read sector 9 behind the request at sector 8 (2 bios)\n",
		"[vblk] request     read sector 8, 1024 bytes, 2 bio(s), direct\n",
		one ? "[vblk] chain       head 0: #0 16B R -> #1 1024B W -> #2 1B W\n"
		    : "[vblk] chain       head 0: #0 16B R -> #1 512B W -> #2 512B W -> #3 1B W\n",
		"[vblk] avail idx   0 -> 1 published\n",
		"[vblk] notify      sent (",
		"[vblk] interrupt   status 0x1 used-buffer\n",
		"[vblk] used        used idx 0: id 0 len 1025\n",
		"[vblk] complete    read sector 8, 1 sector(s): status 0, callback\n",
		"[vblk] complete    read sector 9, 1 sector(s): status 0, callback\n",
	};
	assert_lines_in_order(lines, sizeof(lines) / sizeof(lines[0]));
}

/* ---- vblk_dump ------------------------------------------------------------ */

/* The dump holds `line` (a whole line's text or a part of one). */
#define assert_dump_has(...)                                                                 \
	do {                                                                                 \
		char want_[256];                                                             \
		snprintf(want_, sizeof(want_), __VA_ARGS__);                                 \
		if (strstr(out, want_) == NULL)                                              \
			fail_msg("dump lacks \"%s\"; it was:\n%s", want_, out);               \
	} while (0)

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
	assert_dump_has("3 of the free descriptors parked in request slots' frames");
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
	/* A chain's buffer ID is its head slot (vring/packed.c: take_id). */
	assert_dump_has("in flight: buffer id 3, 3 slot(s), device may write 513 bytes");
	assert_dump_has("slots from last_used (6 in the device's hands)");
	assert_dump_has("slot 0: id 0 addr 0x");
	assert_dump_has(" len 16 flags NEXT AVAIL=1 USED=0\n");
	assert_dump_has("slot 4: id 3 addr 0x");
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
		BOTH_TRANSPORTS(test_trace_follows_two_merged_bios_through_the_ring, disk_setup,
				disk_teardown),
		cmocka_unit_test(test_dump_refuses_null),
		ALL_TRANSPORTS(test_split_dump_names_chains_in_flight, disk_setup, disk_teardown),
		PACKED_TRANSPORTS(test_packed_dump_names_ids_and_wrap_counters, disk_setup,
				  disk_teardown),
	};
	return cmocka_run_group_tests_name("trace and dump", tests, NULL, NULL);
}
