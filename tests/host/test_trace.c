/* SPDX-License-Identifier: MIT */
/*
 * The trace mode (plat/trace.h), built with -DVBLK_TRACE=1 (the
 * Makefile's HOST_FLAGS_test_trace): two adjacent bios, plugged, become
 * one request, and each step prints its line in order: queued, merged,
 * request, chain (descriptor indices, lengths, directions), avail index,
 * notification, interrupt, used entry, completions. The lines are
 * collected through this file's vblk_printf.
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

static char out[32768];
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
	out_len = 0;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH_TRANSPORTS(test_trace_follows_two_merged_bios_through_the_ring, disk_setup,
				disk_teardown),
	};
	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
