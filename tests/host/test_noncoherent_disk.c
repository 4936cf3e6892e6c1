/* SPDX-License-Identifier: MIT */
/*
 * The whole driver on a platform whose DMA does not snoop the CPU's
 * caches (VBLK_NONCOHERENT_DMA), against the fake device, on every
 * transport: built with HOST_SHADOW_DMA, the fake reads and writes a
 * shadow of static memory, and only plat_dma_clean / plat_dma_invalidate
 * move whole 64-byte lines between it and what the CPU sees
 * (tests/host/host_platform.h). test_noncoherent.c does this for the
 * rings alone; here the request headers, status bytes, indirect tables,
 * segment arrays, data written and data read go through the model too.
 *
 * What the CPU stores and does not clean never reaches the device; what
 * the device writes reaches the CPU only through an invalidate, which
 * also drops what the CPU wrote on those lines and did not clean; so a
 * missing clean, a missing or early invalidate, and a line shared between
 * what the CPU writes and what the device writes each show up as wrong
 * data, a request the device refuses, or a completion never seen.
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
#include "vblk/bio.h"
#include "vblk/vblk.h"

#if !defined(VBLK_NONCOHERENT_DMA) || !defined(HOST_SHADOW_DMA)
#error "build with -DVBLK_NONCOHERENT_DMA -DHOST_SHADOW_DMA (the Makefile does)"
#endif

#define SECTOR_BYTES 512u
#define BIO_BYTES    4096u
#define NBIOS        48u      /* more than the request slots: some wait */
#define ROUNDS       6u       /* round the rings and their indices */

static uint8_t out_buf[NBIOS * BIO_BYTES] VBLK_ALIGNED;
static uint8_t in_buf[NBIOS * BIO_BYTES] VBLK_ALIGNED;
static struct vblk_bio bios[NBIOS];
static struct vblk_seg segs[NBIOS][2];

static uint8_t pattern(size_t i, unsigned round)
{
	return (uint8_t)(i * 7u + round * 31u + i / SECTOR_BYTES);
}

static void take_interrupt(struct fake_virtio *device, void *ctx)
{
	(void)device;
	vblk_irq_handler(ctx);
}

static void use_mode(bool irq)
{
	if (irq) {
		fake_virtio_set_irq_hook(fv, take_interrupt, disk);
		assert_int_equal(vblk_use_interrupts(disk, true), 0);
	}
}

/* Synchronous writes and reads of one buffer, round after round. */
static void sync_rounds(void **state, bool irq)
{
	attach_ok(state, NULL);
	use_mode(irq);
	for (unsigned round = 0; round < ROUNDS; round++) {
		for (size_t i = 0; i < sizeof(out_buf); i++)
			out_buf[i] = pattern(i, round);
		memset(in_buf, 0xee, sizeof(in_buf));
		uint32_t sectors = sizeof(out_buf) / SECTOR_BYTES;
		assert_int_equal(vblk_write(disk, 0, out_buf, sectors), 0);
		assert_memory_equal(fake_virtio_disk(fv), out_buf, sizeof(out_buf));
		assert_int_equal(vblk_read(disk, 0, in_buf, sectors), 0);
		assert_memory_equal(in_buf, out_buf, sizeof(out_buf));
	}
	assert_int_equal(fake_virtio_violation_count(fv), 0);
}

static void test_sync_polled(void **state) { sync_rounds(state, false); }
static void test_sync_interrupts(void **state) { sync_rounds(state, true); }

/* A short ring: four-buffer chains run out of ring space, and the driver
 * sends some through its indirect tables. */
static void short_ring(struct fake_virtio_opts *opts)
{
	opts->queue_num_max = 16;
}

/* Many bios at once, each of two segments (a chain of four buffers), so
 * requests wait for slots and ring space, and chains go through indirect
 * tables as well as the ring. */
static void async_rounds(void **state, bool irq)
{
	attach_ok(state, short_ring);
	use_mode(irq);
	struct vblk_bio *list[NBIOS];
	for (unsigned round = 0; round < ROUNDS; round++) {
		for (int dir = 0; dir < 2; dir++) {
			bool write = dir == 0;
			if (write) {
				for (size_t i = 0; i < sizeof(out_buf); i++)
					out_buf[i] = pattern(i, round + 1);
			} else {
				memset(in_buf, 0xee, sizeof(in_buf));
			}
			/* Every other bio's sectors, so none merge. */
			for (unsigned b = 0; b < NBIOS; b++) {
				uint8_t *mem = (write ? out_buf : in_buf) + (size_t)b * BIO_BYTES;
				segs[b][0] = (struct vblk_seg){ mem + BIO_BYTES / 2, BIO_BYTES / 2 };
				segs[b][1] = (struct vblk_seg){ mem, BIO_BYTES / 2 };
				bios[b] = (struct vblk_bio){
					.op = write ? VBLK_OP_WRITE : VBLK_OP_READ,
					.sector = (uint64_t)b * 2 * (BIO_BYTES / SECTOR_BYTES),
					.segs = segs[b], .nsegs = 2,
				};
				list[b] = &bios[b];
				assert_int_equal(vblk_submit(disk, &bios[b]), 0);
			}
			assert_int_equal(vblk_wait_bios(disk, list, NBIOS), 0);
			for (unsigned b = 0; b < NBIOS; b++)
				assert_int_equal(bios[b].status, 0);
		}
		for (unsigned b = 0; b < NBIOS; b++) {
			const uint8_t *mem = out_buf + (size_t)b * BIO_BYTES;
			const uint8_t *on_disk = fake_virtio_disk(fv) + (size_t)b * 2 * BIO_BYTES;
			assert_memory_equal(on_disk, mem + BIO_BYTES / 2, BIO_BYTES / 2);
			assert_memory_equal(on_disk + BIO_BYTES / 2, mem, BIO_BYTES / 2);
		}
		assert_memory_equal(in_buf, out_buf, sizeof(in_buf));
	}
	assert_int_equal(fake_virtio_violation_count(fv), 0);
}

static void test_async_polled(void **state) { async_rounds(state, false); }
static void test_async_interrupts(void **state) { async_rounds(state, true); }

/* GET_ID's buffer is the disk's own; FLUSH has no data. */
static void test_get_id_and_flush(void **state)
{
	attach_ok(state, NULL);
	char id[21];
	for (unsigned round = 0; round < ROUNDS; round++) {
		memset(id, 0, sizeof(id));
		assert_int_equal(vblk_get_id(disk, id), 0);
		assert_string_equal(id, fake_virtio_opts(fv)->serial);
		assert_int_equal(vblk_flush(disk), 0);
	}
	assert_int_equal(fake_virtio_violation_count(fv), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALL_TRANSPORTS(test_sync_polled, disk_setup, disk_teardown),
		ALL_TRANSPORTS(test_sync_interrupts, disk_setup, disk_teardown),
		ALL_TRANSPORTS(test_async_polled, disk_setup, disk_teardown),
		ALL_TRANSPORTS(test_async_interrupts, disk_setup, disk_teardown),
		ALL_TRANSPORTS(test_get_id_and_flush, disk_setup, disk_teardown),
	};
	return cmocka_run_group_tests_name("test_noncoherent_disk", tests, NULL, NULL);
}
