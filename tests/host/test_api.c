/* SPDX-License-Identifier: MIT */
/*
 * Bad input to every public function of include/vblk/vblk.h and
 * include/vblk/bio.h, as one table: each row names a call, the state of
 * the disk it is made on, and what it must return. Covered: NULL pointers,
 * zero counts, sector ranges at or past the capacity or wrapping past
 * 2^64, buffers off the VBLK_DMA_ALIGN boundary, bios with more segments
 * or bytes than one request carries, writes and flushes on a read-only
 * disk, partial blocks on a 4 KiB-block disk, buffers outside the
 * memory the device may use and bad DMA ranges, discards off
 * discard_sector_alignment, unknown write-zeroes flags, discards and
 * write-zeroes on a disk that offers neither, calls before any init, after
 * vblk_shutdown() and after the device broke, and device trees that are
 * NULL, garbage or cut short.
 *
 * The contract (README's error table, the header comments) is that a
 * call that fails submits nothing and changes nothing. So after each call
 * one runner checks, besides the return value, that the device saw no
 * request, no notification and no status write; that the driver counted
 * no bio and no request; that the disk holds what it held; that no bio's
 * `done` ran; and that a disk that was usable still is (a broken one once
 * vblk_reset() has recovered it). Rows with a disk run on a modern and on
 * a legacy device; every test also ends with the fake reporting no rule
 * broken.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "disk_fixture.h"
#include "fake_virtio.h"
#include "vblk/vblk.h"

/* 5 MiB: a bio just over the 4 MiB request limit still fits the disk, so
 * it is refused for its size and not for its range. */
#define DISK_SECTORS    10240u
#define ONE_SECTOR      VBLK_SECTOR_SIZE
#define CHECK_SECTORS   8u       /* the read that shows a disk still works */
#define SCATTER_STRIDE  1024u    /* segments this far apart never coalesce */
#define QEMU_DTB        "qemu-virt.dtb"
#define FDT_HEADER_BYTES 40u

/* What a call that returns no error code is expected to give back. */
#define NOTHING      0   /* a void function: its wrapper returns 0 */
#define NULL_POINTER 0   /* a function returning a pointer gave NULL */
#define UNTOUCHED    0   /* the caller's memory was left as it was */
#define UNKNOWN_TEXT 0   /* vblk_strerror() said "unknown error" */

enum disk_state {
	NO_DISK,    /* nothing attached; slot 0 is empty (DeviceID 0) */
	READY,
	READ_ONLY,  /* the device offers VIRTIO_BLK_F_RO */
	BLOCK_4K,   /* blk_size 4096 */
	NO_RANGE_OPS, /* the device offers neither DISCARD nor WRITE_ZEROES */
	BROKEN,     /* the device published a bogus used id: -VBLK_EBROKEN */
	SHUT_DOWN,  /* attached, then vblk_shutdown(); the pointer kept */
	BROKEN_THEN_SHUT_DOWN, /* forgotten, so not "broken: reset it" any more */
};

struct api_case {
	const char *says;       /* the row as a sentence */
	enum disk_state state;
	int64_t (*call)(void);  /* makes the call, returns what it returned */
	int64_t returns;
};

/* ---- the world a call runs in ---------------------------------------- */

/* disk_fixture.h's fv is the device in slot 0; its disk is NULL in NO_DISK. */
static uint8_t buf[VBLK_MAX_REQUEST_BYTES + 4096] VBLK_ALIGNED;
static struct vblk_seg segs[VBLK_QUEUE_SIZE];
static struct vblk_bio bio;
static unsigned done_calls;
static uint8_t *disk_before;       /* the disk's bytes before the call */

static void count_done(struct vblk_bio *done_bio, int status)
{
	(void)done_bio;
	(void)status;
	done_calls++;
}

/* A bio with one segment, and a callback that must never run. */
static struct vblk_bio *bio_of(enum vblk_op op, uint64_t sector, void *addr, uint32_t len_bytes)
{
	segs[0] = (struct vblk_seg){ addr, len_bytes };
	bio = (struct vblk_bio){ .op = op, .sector = sector, .segs = segs, .nsegs = 1,
				 .done = count_done };
	return &bio;
}

/* A read of `nsegs` one-sector segments that are never contiguous, so
 * each needs a descriptor of its own. */
static struct vblk_bio *scattered_read(uint32_t nsegs)
{
	assert_true(nsegs <= VBLK_QUEUE_SIZE && nsegs * SCATTER_STRIDE <= sizeof(buf));
	for (uint32_t i = 0; i < nsegs; i++)
		segs[i] = (struct vblk_seg){ buf + i * SCATTER_STRIDE, VBLK_SECTOR_SIZE };
	bio = (struct vblk_bio){ .op = VBLK_OP_READ, .segs = segs, .nsegs = (uint16_t)nsegs,
				 .done = count_done };
	return &bio;
}

static struct vblk_bio *flush_bio(void)
{
	bio = (struct vblk_bio){ .op = VBLK_OP_FLUSH, .done = count_done };
	return &bio;
}

/* ---- vblk_init_from_dt ------------------------------------------------ */

static int64_t init_from_qemu_dtb(long keep_bytes)
{
	size_t len_bytes;
	uint8_t *blob = load_test_dtb(QEMU_DTB, keep_bytes, &len_bytes);
	int ndisks = vblk_init_from_dt(blob, len_bytes);
	free(blob);
	return ndisks;
}

static int64_t init_null_blob(void) { return vblk_init_from_dt(NULL, 4096); }
static int64_t init_one_byte_short(void) { return init_from_qemu_dtb(-1); }
static int64_t init_header_only(void) { return init_from_qemu_dtb(FDT_HEADER_BYTES); }

static int64_t init_zero_bytes(void)
{
	static const uint8_t nothing[1];
	return vblk_init_from_dt(nothing, 0);
}

static int64_t init_garbage(void)
{
	static uint8_t garbage[4096];
	memset(garbage, 0xa5, sizeof(garbage));
	return vblk_init_from_dt(garbage, sizeof(garbage));
}

/* ---- vblk_attach, vblk_probe_report, the disk table ------------------- */

static int64_t attach_address_0(void) { return vblk_attach(0, TEST_INTID); }
static int64_t attach_slot_0(void) { return vblk_attach(fake_virtio_base(fv), TEST_INTID); }
/* Registers are 32-bit and naturally aligned (virtio 1.2 §4.2.2.2), so no
 * register window starts off a 4-byte boundary. */
static int64_t attach_misaligned(void)
{
	return vblk_attach(fake_virtio_base(fv) + 2, TEST_INTID);
}

static int64_t attach_network_device(void)
{
	fake_virtio_opts(fv)->device_id = 1;
	return attach_slot_0();
}

static int64_t probe_report_into_null(void) { return vblk_probe_report(NULL); }

static int64_t probe_report(void)
{
	const struct vblk_probe_entry *entries;
	return vblk_probe_report(&entries);
}

static int64_t disk_past_last(void) { return (intptr_t)vblk_disk(vblk_disk_count()); }
static int64_t disk_uint_max(void) { return (intptr_t)vblk_disk(UINT_MAX); }
static int64_t disk_0(void) { return (intptr_t)vblk_disk(0); }
static int64_t disk_count(void) { return vblk_disk_count(); }
static int64_t info_of_null(void) { return (intptr_t)vblk_disk_info(NULL); }
static int64_t capacity_of_null(void) { return (int64_t)vblk_capacity(NULL); }

/* ---- vblk_read, vblk_write --------------------------------------------- */

static int64_t read_null_disk(void) { return vblk_read(NULL, 0, buf, 1); }
static int64_t read_disk_0(void) { return vblk_read(vblk_disk(0), 0, buf, 1); }
static int64_t read_null_buf(void) { return vblk_read(disk, 0, NULL, 1); }
static int64_t read_0_sectors(void) { return vblk_read(disk, 0, buf, 0); }
static int64_t read_0_sectors_off_by_1(void) { return vblk_read(disk, 0, buf + 1, 0); }
static int64_t read_at_capacity(void) { return vblk_read(disk, DISK_SECTORS, buf, 1); }
static int64_t read_past_capacity(void) { return vblk_read(disk, DISK_SECTORS - 1, buf, 2); }
static int64_t read_at_uint64_max(void) { return vblk_read(disk, UINT64_MAX, buf, 1); }
static int64_t read_wrapping(void) { return vblk_read(disk, UINT64_MAX - 3, buf, 8); }
static int64_t read_uint32_max(void) { return vblk_read(disk, 0, buf, UINT32_MAX); }
static int64_t read_off_by_1(void) { return vblk_read(disk, 0, buf + 1, 1); }
static int64_t read_off_by_8(void) { return vblk_read(disk, 0, buf + 8, 1); }
static int64_t read_off_by_32(void) { return vblk_read(disk, 0, buf + 32, 1); }
static int64_t read_inside_block(void) { return vblk_read(disk, 1, buf, 8); }
static int64_t read_half_block(void) { return vblk_read(disk, 8, buf, 4); }
static int64_t read_one_sector(void) { return vblk_read(disk, 0, buf, 1); }

static int64_t write_null_disk(void) { return vblk_write(NULL, 0, buf, 1); }
static int64_t write_disk_0(void) { return vblk_write(vblk_disk(0), 0, buf, 1); }
static int64_t write_null_buf(void) { return vblk_write(disk, 0, NULL, 1); }
static int64_t write_0_sectors(void) { return vblk_write(disk, 0, buf, 0); }
static int64_t write_at_capacity(void) { return vblk_write(disk, DISK_SECTORS, buf, 1); }
static int64_t write_past_capacity(void) { return vblk_write(disk, DISK_SECTORS - 1, buf, 2); }
static int64_t write_wrapping(void) { return vblk_write(disk, UINT64_MAX - 3, buf, 8); }
static int64_t write_uint32_max(void) { return vblk_write(disk, 0, buf, UINT32_MAX); }
static int64_t write_off_by_1(void) { return vblk_write(disk, 0, buf + 1, 1); }
static int64_t write_off_by_8(void) { return vblk_write(disk, 0, buf + 8, 1); }
static int64_t write_off_by_32(void) { return vblk_write(disk, 0, buf + 32, 1); }
static int64_t write_inside_block(void) { return vblk_write(disk, 1, buf, 8); }
static int64_t write_half_block(void) { return vblk_write(disk, 8, buf, 4); }
static int64_t write_one_block(void) { return vblk_write(disk, 0, buf, 8); }

/* ---- vblk_discard, vblk_write_zeroes (discard_sector_alignment 8) ------ */

static int64_t discard_null_disk(void) { return vblk_discard(NULL, 0, 8); }
static int64_t discard_disk_0(void) { return vblk_discard(vblk_disk(0), 0, 8); }
static int64_t discard_0_sectors(void) { return vblk_discard(disk, 0, 0); }
static int64_t discard_at_capacity(void) { return vblk_discard(disk, DISK_SECTORS, 8); }
static int64_t discard_past_capacity(void) { return vblk_discard(disk, DISK_SECTORS - 8, 16); }
static int64_t discard_wrapping(void) { return vblk_discard(disk, UINT64_MAX - 7, 16); }
static int64_t discard_uint64_max(void) { return vblk_discard(disk, 0, UINT64_MAX); }
static int64_t discard_off_alignment(void) { return vblk_discard(disk, 4, 8); }
static int64_t discard_part_unit(void) { return vblk_discard(disk, 8, 4); }
static int64_t discard_one_unit(void) { return vblk_discard(disk, 0, 8); }

static int64_t zeroes_null_disk(void) { return vblk_write_zeroes(NULL, 0, 8, 0); }
static int64_t zeroes_disk_0(void) { return vblk_write_zeroes(vblk_disk(0), 0, 8, 0); }
static int64_t zeroes_0_sectors(void) { return vblk_write_zeroes(disk, 0, 0, 0); }
static int64_t zeroes_flag_2(void) { return vblk_write_zeroes(disk, 0, 8, 2); }
static int64_t zeroes_all_flags(void) { return vblk_write_zeroes(disk, 0, 8, ~0u); }
static int64_t zeroes_at_capacity(void) { return vblk_write_zeroes(disk, DISK_SECTORS, 1, 0); }
static int64_t zeroes_wrapping(void) { return vblk_write_zeroes(disk, UINT64_MAX - 3, 8, 0); }
static int64_t zeroes_inside_block(void) { return vblk_write_zeroes(disk, 1, 8, 0); }
static int64_t zeroes_half_block(void) { return vblk_write_zeroes(disk, 8, 4, 0); }
static int64_t zeroes_one_block(void) { return vblk_write_zeroes(disk, 0, 8, VBLK_WZ_UNMAP); }

/* ---- vblk_flush, vblk_get_id, vblk_set_timeout_us, vblk_reset ---------- */

static int64_t flush_null(void) { return vblk_flush(NULL); }
static int64_t flush_disk(void) { return vblk_flush(disk); }
static int64_t flush_disk_0(void) { return vblk_flush(vblk_disk(0)); }

static int64_t get_id_null_disk(void)
{
	char id[21];
	return vblk_get_id(NULL, id);
}

static int64_t get_id_into_null(void) { return vblk_get_id(disk, NULL); }

static int64_t get_id(void)
{
	char id[21];
	return vblk_get_id(disk, id);
}

static int64_t set_timeout_of_null(void)
{
	vblk_set_timeout_us(NULL, 1);
	return NOTHING;
}

static int64_t reset_null(void) { return vblk_reset(NULL); }
static int64_t reset_disk(void) { return vblk_reset(disk); }

static int64_t shutdown_all(void)
{
	vblk_shutdown();
	return NOTHING;
}

/* ---- vblk_feature_names, vblk_strerror --------------------------------- */

#define NAMES_GUARD 0x5a

/* The names of `features` in a buffer of `len` bytes followed by guard
 * bytes; fails the test if a guard byte changed or the returned length is
 * not the string's. */
static int64_t names_in(uint64_t features, size_t len)
{
	char names[64];

	memset(names, NAMES_GUARD, sizeof(names));
	size_t used = vblk_feature_names(features, names, len);
	for (size_t i = len; i < sizeof(names); i++) {
		if (names[i] != NAMES_GUARD)
			fail_msg("byte %zu of a %zu-byte buffer was written", i, len);
	}
	if (len > 0 && used != strlen(names))
		fail_msg("returned %zu for \"%s\"", used, names);
	return (int64_t)used;
}

static int64_t names_into_null(void) { return vblk_feature_names(~0ull, NULL, 64); }
static int64_t names_in_0_bytes(void) { return names_in(~0ull, 0); }
static int64_t names_in_1_byte(void) { return names_in(~0ull, 1); }
static int64_t flush_name_in_6_bytes(void) { return names_in(1ull << 9, 6); }
/* SEG_MAX (bit 2) does not fit 5 bytes; RO (bit 5) would. */
static int64_t seg_max_and_ro_in_5_bytes(void) { return names_in((1ull << 2) | (1ull << 5), 5); }

static int64_t says_unknown(int err)
{
	return strcmp(vblk_strerror(err), "unknown error") == 0 ? UNKNOWN_TEXT : 1;
}

static int64_t strerror_int_min(void) { return says_unknown(INT_MIN); }
static int64_t strerror_int_max(void) { return says_unknown(INT_MAX); }
static int64_t strerror_count(void) { return says_unknown(VBLK_ERROR_COUNT); }
static int64_t strerror_minus_count(void) { return says_unknown(-VBLK_ERROR_COUNT); }

/* ---- buffers outside the DMA ranges; vblk_set_dma_ranges -------------- */

/* The call with the device allowed only the memory just past `buf`, then
 * every address again (so the runner's check that the disk still works
 * reads as ever). */
static int64_t with_buf_out_of_range(int64_t (*call)(void))
{
	struct vblk_dma_range after_buf = { plat_virt_to_phys(buf) + sizeof(buf), 1u << 20 };
	assert_int_equal(vblk_set_dma_ranges(&after_buf, 1), 0);
	int64_t rc = call();
	assert_int_equal(vblk_set_dma_ranges(NULL, 0), 0);
	return rc;
}

static int64_t read_buf(void) { return vblk_read(disk, 0, buf, 8); }
static int64_t write_buf(void) { return vblk_write(disk, 0, buf, 8); }
static int64_t submit_buf(void) { return vblk_submit(disk, bio_of(VBLK_OP_WRITE, 0, buf, 4096)); }
static int64_t read_out_of_range(void) { return with_buf_out_of_range(read_buf); }
static int64_t write_out_of_range(void) { return with_buf_out_of_range(write_buf); }
static int64_t submit_out_of_range(void) { return with_buf_out_of_range(submit_buf); }

static int64_t set_ranges(uint64_t base, uint64_t size_bytes, unsigned count)
{
	struct vblk_dma_range ranges[VBLK_MAX_DMA_RANGES + 1];
	for (unsigned i = 0; i < VBLK_MAX_DMA_RANGES + 1; i++)
		ranges[i] = (struct vblk_dma_range){ base, size_bytes };
	return vblk_set_dma_ranges(ranges, count);
}

static int64_t set_too_many_ranges(void) { return set_ranges(0, 4096, VBLK_MAX_DMA_RANGES + 1); }
static int64_t set_empty_range(void) { return set_ranges(0, 0, 1); }
static int64_t set_wrapping_range(void) { return set_ranges(UINT64_MAX, 2, 1); }
static int64_t set_null_ranges(void) { return vblk_set_dma_ranges(NULL, 2); }

/* ---- vblk_submit ------------------------------------------------------- */

static int64_t submit(struct vblk_bio *submitted) { return vblk_submit(disk, submitted); }

static int64_t submit_read_of(uint64_t sector, void *addr, uint32_t len_bytes)
{
	return submit(bio_of(VBLK_OP_READ, sector, addr, len_bytes));
}

static int64_t submit_write_of(uint64_t sector, void *addr, uint32_t len_bytes)
{
	return submit(bio_of(VBLK_OP_WRITE, sector, addr, len_bytes));
}

static int64_t submit_to_null_disk(void)
{
	return vblk_submit(NULL, bio_of(VBLK_OP_READ, 0, buf, ONE_SECTOR));
}

static int64_t submit_to_disk_0(void)
{
	return vblk_submit(vblk_disk(0), bio_of(VBLK_OP_READ, 0, buf, ONE_SECTOR));
}

static int64_t submit_null_segs(void)
{
	struct vblk_bio *submitted = bio_of(VBLK_OP_READ, 0, buf, ONE_SECTOR);
	submitted->segs = NULL;
	return submit(submitted);
}

static int64_t submit_no_segs(void)
{
	struct vblk_bio *submitted = bio_of(VBLK_OP_READ, 0, buf, ONE_SECTOR);
	submitted->nsegs = 0;
	return submit(submitted);
}

static int64_t submit_op(int op) { return submit(bio_of((enum vblk_op)op, 0, buf, ONE_SECTOR)); }

static int64_t submit_null_bio(void) { return submit(NULL); }
static int64_t submit_flush(void) { return submit(flush_bio()); }
static int64_t submit_op_7(void) { return submit_op(7); }
static int64_t submit_op_3(void) { return submit_op(3); }  /* the driver's own GET_ID */
static int64_t submit_flush_with_data(void) { return submit_op(VBLK_OP_FLUSH); }
static int64_t submit_read(void) { return submit_read_of(0, buf, ONE_SECTOR); }
static int64_t submit_write(void) { return submit_write_of(0, buf, ONE_SECTOR); }
static int64_t submit_empty_seg(void) { return submit_read_of(0, buf, 0); }
static int64_t submit_seg_at_null(void) { return submit_read_of(0, NULL, ONE_SECTOR); }
static int64_t submit_off_by_1(void) { return submit_read_of(0, buf + 1, ONE_SECTOR); }
static int64_t submit_off_by_8(void) { return submit_write_of(0, buf + 8, ONE_SECTOR); }
static int64_t submit_off_by_32(void) { return submit_read_of(0, buf + 32, ONE_SECTOR); }
static int64_t submit_1000_bytes(void) { return submit_read_of(0, buf, 1000); }
static int64_t submit_at_capacity(void) { return submit_read_of(DISK_SECTORS, buf, ONE_SECTOR); }
static int64_t submit_past_capacity(void) { return submit_write_of(DISK_SECTORS - 1, buf, 1024); }
static int64_t submit_wrapping(void) { return submit_read_of(UINT64_MAX - 3, buf, 4096); }
static int64_t submit_inside_block(void) { return submit_read_of(1, buf, 4096); }
static int64_t submit_half_block(void) { return submit_write_of(8, buf, 2048); }

static int64_t submit_one_seg_too_many(void)
{
	return submit(scattered_read(vblk_max_bio_segs(disk) + 1));
}

static int64_t submit_one_sector_too_big(void)
{
	return submit_read_of(0, buf, vblk_max_bio_bytes(disk) + ONE_SECTOR);
}

/* A DISCARD or WRITE_ZEROES bio: a range, no segments. */
static int64_t submit_range(enum vblk_op op, uint64_t sector, uint64_t nsectors, uint32_t flags)
{
	bio = (struct vblk_bio){ .op = op, .sector = sector, .nsectors = nsectors, .flags = flags,
				 .done = count_done };
	return submit(&bio);
}

static int64_t submit_discard(void) { return submit_range(VBLK_OP_DISCARD, 0, 8, 0); }
static int64_t submit_zeroes(void) { return submit_range(VBLK_OP_WRITE_ZEROES, 0, 8, 0); }
static int64_t submit_discard_0_sectors(void) { return submit_range(VBLK_OP_DISCARD, 0, 0, 0); }
static int64_t submit_discard_unmap(void)
{
	return submit_range(VBLK_OP_DISCARD, 0, 8, VBLK_WZ_UNMAP);
}
static int64_t submit_zeroes_flag_2(void) { return submit_range(VBLK_OP_WRITE_ZEROES, 0, 8, 2); }
static int64_t submit_discard_off_alignment(void) { return submit_range(VBLK_OP_DISCARD, 4, 8, 0); }
static int64_t submit_zeroes_past_capacity(void)
{
	return submit_range(VBLK_OP_WRITE_ZEROES, DISK_SECTORS - 8, 16, 0);
}
static int64_t submit_discard_wrapping(void)
{
	return submit_range(VBLK_OP_DISCARD, UINT64_MAX - 7, 16, 0);
}

static int64_t submit_zeroes_with_a_segment(void)
{
	struct vblk_bio *submitted = bio_of(VBLK_OP_WRITE_ZEROES, 0, buf, 4096);
	submitted->nsectors = 8;
	return submit(submitted);
}

static int64_t max_range_of_null(void) { return (int64_t)vblk_max_range_sectors(NULL, VBLK_OP_DISCARD); }
static int64_t max_range_of_read(void) { return (int64_t)vblk_max_range_sectors(disk, VBLK_OP_READ); }
static int64_t max_range_without_feature(void)
{
	return (int64_t)vblk_max_range_sectors(disk, VBLK_OP_DISCARD);
}

/* ---- plugging, limits, polling, waiting -------------------------------- */

static int64_t plug_null(void)
{
	vblk_plug(NULL);
	return NOTHING;
}

static int64_t unplug_null(void)
{
	vblk_unplug(NULL);
	return NOTHING;
}

static int64_t unplug_disk(void)
{
	vblk_unplug(disk);
	return NOTHING;
}

static int64_t max_segs_of_null(void) { return vblk_max_bio_segs(NULL); }
static int64_t max_bytes_of_null(void) { return vblk_max_bio_bytes(NULL); }
static int64_t poll_null(void) { return vblk_poll(NULL); }
static int64_t poll_disk(void) { return vblk_poll(disk); }

static int64_t wait_on_null_disk(void)
{
	struct vblk_bio *bios[] = { bio_of(VBLK_OP_READ, 0, buf, ONE_SECTOR) };
	return vblk_wait_bios(NULL, bios, 1);
}

static int64_t wait_null_array(void) { return vblk_wait_bios(disk, NULL, 1); }
static int64_t wait_zero_bios(void) { return vblk_wait_bios(disk, NULL, 0); }

static int64_t wait_array_of_null(void)
{
	struct vblk_bio *bios[] = { NULL };
	return vblk_wait_bios(disk, bios, 1);
}

static int64_t wait_never_submitted(void)
{
	struct vblk_bio *bios[] = { bio_of(VBLK_OP_READ, 0, buf, ONE_SECTOR) };
	return vblk_wait_bios(disk, bios, 1);
}

static int64_t drain_null(void) { return vblk_drain(NULL); }
static int64_t drain_disk(void) { return vblk_drain(disk); }

/* ---- interrupts, statistics -------------------------------------------- */

static int64_t interrupts_on_null(void) { return vblk_use_interrupts(NULL, true); }
static int64_t interrupts_on(void) { return vblk_use_interrupts(disk, true); }

static int64_t irq_handler_null(void)
{
	vblk_irq_handler(NULL);
	return NOTHING;
}

static int64_t irq_handler_disk(void)
{
	vblk_irq_handler(disk);
	return NOTHING;
}

static int64_t stats_of_null(void)
{
	struct vblk_stats stats, as_before;

	memset(&stats, 0xa5, sizeof(stats));
	as_before = stats;
	vblk_stats(NULL, &stats);
	return memcmp(&stats, &as_before, sizeof(stats)) == 0 ? UNTOUCHED : 1;
}

static int64_t stats_into_null(void)
{
	vblk_stats(disk, NULL);
	return NOTHING;
}

static int64_t reset_stats_of_null(void)
{
	vblk_reset_stats(NULL);
	return NOTHING;
}

/* ---- the table ----------------------------------------------------------- */

static const struct api_case cases[] = {
	{ "vblk_init_from_dt of a NULL blob is invalid and keeps the disks it has",
	  READY, init_null_blob, -VBLK_EINVAL },
	{ "vblk_init_from_dt of a NULL blob before any init is invalid",
	  NO_DISK, init_null_blob, -VBLK_EINVAL },
	{ "vblk_init_from_dt of a zero-byte blob is a malformed device tree",
	  READY, init_zero_bytes, -VBLK_EBADDT },
	{ "vblk_init_from_dt of 4 KiB of garbage is a malformed device tree",
	  READY, init_garbage, -VBLK_EBADDT },
	{ "vblk_init_from_dt of QEMU's tree cut after its header is a malformed device tree",
	  READY, init_header_only, -VBLK_EBADDT },
	{ "vblk_init_from_dt of QEMU's tree one byte short is a malformed device tree",
	  READY, init_one_byte_short, -VBLK_EBADDT },

	{ "vblk_attach at address 0 is invalid",
	  NO_DISK, attach_address_0, -VBLK_EINVAL },
	{ "vblk_attach at an address off a 4-byte boundary is invalid",
	  READY, attach_misaligned, -VBLK_EINVAL },
	{ "vblk_attach to an empty slot finds no device",
	  NO_DISK, attach_slot_0, -VBLK_ENODEV },
	{ "vblk_attach to a network device finds no disk",
	  NO_DISK, attach_network_device, -VBLK_ENODEV },
	{ "vblk_attach to a device that is a disk already is not valid now",
	  READY, attach_slot_0, -VBLK_ESTATE },

	{ "vblk_probe_report into a NULL pointer still counts the slot probed",
	  READY, probe_report_into_null, 1 },
	{ "vblk_probe_report before any init has no slot to report",
	  NO_DISK, probe_report, 0 },
	{ "vblk_probe_report after vblk_shutdown has no slot to report",
	  SHUT_DOWN, probe_report, 0 },

	{ "vblk_disk of the index past the last disk is NULL",
	  READY, disk_past_last, NULL_POINTER },
	{ "vblk_disk of UINT_MAX is NULL",
	  READY, disk_uint_max, NULL_POINTER },
	{ "vblk_disk(0) before any init is NULL",
	  NO_DISK, disk_0, NULL_POINTER },
	{ "vblk_disk(0) after vblk_shutdown is NULL",
	  SHUT_DOWN, disk_0, NULL_POINTER },
	{ "vblk_disk_count after vblk_shutdown is 0",
	  SHUT_DOWN, disk_count, 0 },
	{ "vblk_disk_info of a NULL disk is NULL",
	  READY, info_of_null, NULL_POINTER },
	{ "vblk_capacity of a NULL disk is 0 sectors",
	  READY, capacity_of_null, 0 },

	{ "vblk_read on a NULL disk is invalid",
	  READY, read_null_disk, -VBLK_EINVAL },
	{ "vblk_read on vblk_disk(0) before any init is invalid",
	  NO_DISK, read_disk_0, -VBLK_EINVAL },
	{ "vblk_read into a NULL buffer is invalid",
	  READY, read_null_buf, -VBLK_EINVAL },
	{ "vblk_read of 0 sectors is invalid",
	  READY, read_0_sectors, -VBLK_EINVAL },
	{ "vblk_read of 0 sectors into a misaligned buffer is invalid, as a bio's empty segment is",
	  READY, read_0_sectors_off_by_1, -VBLK_EINVAL },
	{ "vblk_read starting at the capacity is out of range",
	  READY, read_at_capacity, -VBLK_ERANGE },
	{ "vblk_read running one sector past the capacity is out of range",
	  READY, read_past_capacity, -VBLK_ERANGE },
	{ "vblk_read at sector UINT64_MAX is out of range",
	  READY, read_at_uint64_max, -VBLK_ERANGE },
	{ "vblk_read whose end wraps past 2^64 is out of range",
	  READY, read_wrapping, -VBLK_ERANGE },
	{ "vblk_read of UINT32_MAX sectors is out of range",
	  READY, read_uint32_max, -VBLK_ERANGE },
	{ "vblk_read into a buffer 1 byte off alignment is misaligned",
	  READY, read_off_by_1, -VBLK_EALIGN },
	{ "vblk_read into a buffer 8 bytes off alignment is misaligned",
	  READY, read_off_by_8, -VBLK_EALIGN },
	{ "vblk_read into a buffer 32 bytes off alignment is misaligned",
	  READY, read_off_by_32, -VBLK_EALIGN },
	{ "vblk_read starting inside a 4 KiB block is misaligned",
	  BLOCK_4K, read_inside_block, -VBLK_EALIGN },
	{ "vblk_read of half a 4 KiB block is misaligned",
	  BLOCK_4K, read_half_block, -VBLK_EALIGN },
	{ "vblk_read on a broken disk says it is broken",
	  BROKEN, read_one_sector, -VBLK_EBROKEN },
	{ "vblk_read on a disk that was shut down is not valid now",
	  SHUT_DOWN, read_one_sector, -VBLK_ESTATE },
	{ "vblk_read on a broken disk that was then shut down is not valid now",
	  BROKEN_THEN_SHUT_DOWN, read_one_sector, -VBLK_ESTATE },

	{ "vblk_write on a NULL disk is invalid",
	  READY, write_null_disk, -VBLK_EINVAL },
	{ "vblk_write on vblk_disk(0) before any init is invalid",
	  NO_DISK, write_disk_0, -VBLK_EINVAL },
	{ "vblk_write from a NULL buffer is invalid",
	  READY, write_null_buf, -VBLK_EINVAL },
	{ "vblk_write of 0 sectors is invalid",
	  READY, write_0_sectors, -VBLK_EINVAL },
	{ "vblk_write starting at the capacity is out of range",
	  READY, write_at_capacity, -VBLK_ERANGE },
	{ "vblk_write running one sector past the capacity is out of range",
	  READY, write_past_capacity, -VBLK_ERANGE },
	{ "vblk_write whose end wraps past 2^64 is out of range",
	  READY, write_wrapping, -VBLK_ERANGE },
	{ "vblk_write of UINT32_MAX sectors is out of range",
	  READY, write_uint32_max, -VBLK_ERANGE },
	{ "vblk_write from a buffer 1 byte off alignment is misaligned",
	  READY, write_off_by_1, -VBLK_EALIGN },
	{ "vblk_write from a buffer 8 bytes off alignment is misaligned",
	  READY, write_off_by_8, -VBLK_EALIGN },
	{ "vblk_write from a buffer 32 bytes off alignment is misaligned",
	  READY, write_off_by_32, -VBLK_EALIGN },
	{ "vblk_write on a read-only disk is refused as read-only",
	  READ_ONLY, write_one_block, -VBLK_EROFS },
	{ "vblk_write starting inside a 4 KiB block is misaligned",
	  BLOCK_4K, write_inside_block, -VBLK_EALIGN },
	{ "vblk_write of half a 4 KiB block is misaligned",
	  BLOCK_4K, write_half_block, -VBLK_EALIGN },
	{ "vblk_write on a broken disk says it is broken",
	  BROKEN, write_one_block, -VBLK_EBROKEN },
	{ "vblk_write on a disk that was shut down is not valid now",
	  SHUT_DOWN, write_one_block, -VBLK_ESTATE },

	{ "vblk_read into memory outside the DMA ranges is refused as a bad address",
	  READY, read_out_of_range, -VBLK_EFAULT },
	{ "vblk_write from memory outside the DMA ranges is refused as a bad address",
	  READY, write_out_of_range, -VBLK_EFAULT },
	{ "vblk_submit of a segment outside the DMA ranges is refused as a bad address",
	  READY, submit_out_of_range, -VBLK_EFAULT },
	{ "vblk_set_dma_ranges of more than VBLK_MAX_DMA_RANGES is invalid",
	  READY, set_too_many_ranges, -VBLK_EINVAL },
	{ "vblk_set_dma_ranges of an empty range is invalid",
	  READY, set_empty_range, -VBLK_EINVAL },
	{ "vblk_set_dma_ranges of a range wrapping past 2^64 is invalid",
	  READY, set_wrapping_range, -VBLK_EINVAL },
	{ "vblk_set_dma_ranges of NULL with a count is invalid",
	  READY, set_null_ranges, -VBLK_EINVAL },

	{ "vblk_discard of a NULL disk is invalid",
	  READY, discard_null_disk, -VBLK_EINVAL },
	{ "vblk_discard of vblk_disk(0) before any init is invalid",
	  NO_DISK, discard_disk_0, -VBLK_EINVAL },
	{ "vblk_discard of 0 sectors is invalid",
	  READY, discard_0_sectors, -VBLK_EINVAL },
	{ "vblk_discard starting at the capacity is out of range",
	  READY, discard_at_capacity, -VBLK_ERANGE },
	{ "vblk_discard running past the capacity is out of range",
	  READY, discard_past_capacity, -VBLK_ERANGE },
	{ "vblk_discard whose end wraps past 2^64 is out of range",
	  READY, discard_wrapping, -VBLK_ERANGE },
	{ "vblk_discard of UINT64_MAX sectors is out of range",
	  READY, discard_uint64_max, -VBLK_ERANGE },
	{ "vblk_discard starting off discard_sector_alignment is misaligned",
	  READY, discard_off_alignment, -VBLK_EALIGN },
	{ "vblk_discard of part of an alignment unit is misaligned",
	  READY, discard_part_unit, -VBLK_EALIGN },
	{ "vblk_discard on a read-only disk is refused as read-only",
	  READ_ONLY, discard_one_unit, -VBLK_EROFS },
	{ "vblk_discard on a disk without DISCARD is unsupported",
	  NO_RANGE_OPS, discard_one_unit, -VBLK_EUNSUPP },
	{ "vblk_discard of half a 4 KiB block is misaligned",
	  BLOCK_4K, discard_part_unit, -VBLK_EALIGN },
	{ "vblk_discard on a broken disk says it is broken",
	  BROKEN, discard_one_unit, -VBLK_EBROKEN },
	{ "vblk_discard on a disk that was shut down is not valid now",
	  SHUT_DOWN, discard_one_unit, -VBLK_ESTATE },

	{ "vblk_write_zeroes of a NULL disk is invalid",
	  READY, zeroes_null_disk, -VBLK_EINVAL },
	{ "vblk_write_zeroes of vblk_disk(0) before any init is invalid",
	  NO_DISK, zeroes_disk_0, -VBLK_EINVAL },
	{ "vblk_write_zeroes of 0 sectors is invalid",
	  READY, zeroes_0_sectors, -VBLK_EINVAL },
	{ "vblk_write_zeroes with an unknown flag is invalid",
	  READY, zeroes_flag_2, -VBLK_EINVAL },
	{ "vblk_write_zeroes with every flag bit set is invalid",
	  READY, zeroes_all_flags, -VBLK_EINVAL },
	{ "vblk_write_zeroes starting at the capacity is out of range",
	  READY, zeroes_at_capacity, -VBLK_ERANGE },
	{ "vblk_write_zeroes whose end wraps past 2^64 is out of range",
	  READY, zeroes_wrapping, -VBLK_ERANGE },
	{ "vblk_write_zeroes starting inside a 4 KiB block is misaligned",
	  BLOCK_4K, zeroes_inside_block, -VBLK_EALIGN },
	{ "vblk_write_zeroes of half a 4 KiB block is misaligned",
	  BLOCK_4K, zeroes_half_block, -VBLK_EALIGN },
	{ "vblk_write_zeroes on a read-only disk is refused as read-only",
	  READ_ONLY, zeroes_one_block, -VBLK_EROFS },
	{ "vblk_write_zeroes on a disk without WRITE_ZEROES is unsupported",
	  NO_RANGE_OPS, zeroes_one_block, -VBLK_EUNSUPP },
	{ "vblk_write_zeroes on a broken disk says it is broken",
	  BROKEN, zeroes_one_block, -VBLK_EBROKEN },
	{ "vblk_write_zeroes on a disk that was shut down is not valid now",
	  SHUT_DOWN, zeroes_one_block, -VBLK_ESTATE },

	{ "vblk_flush of a NULL disk is invalid",
	  READY, flush_null, -VBLK_EINVAL },
	{ "vblk_flush of vblk_disk(0) before any init is invalid",
	  NO_DISK, flush_disk_0, -VBLK_EINVAL },
	{ "vblk_flush of a read-only disk is refused as read-only",
	  READ_ONLY, flush_disk, -VBLK_EROFS },
	{ "vblk_flush of a broken disk says it is broken",
	  BROKEN, flush_disk, -VBLK_EBROKEN },
	{ "vblk_flush of a disk that was shut down is not valid now",
	  SHUT_DOWN, flush_disk, -VBLK_ESTATE },

	{ "vblk_get_id of a NULL disk is invalid",
	  READY, get_id_null_disk, -VBLK_EINVAL },
	{ "vblk_get_id into a NULL string is invalid",
	  READY, get_id_into_null, -VBLK_EINVAL },
	{ "vblk_get_id of a broken disk says it is broken",
	  BROKEN, get_id, -VBLK_EBROKEN },
	{ "vblk_get_id of a disk that was shut down is not valid now",
	  SHUT_DOWN, get_id, -VBLK_ESTATE },

	{ "vblk_set_timeout_us of a NULL disk does nothing",
	  READY, set_timeout_of_null, NOTHING },
	{ "vblk_reset of a NULL disk is invalid",
	  READY, reset_null, -VBLK_EINVAL },
	{ "vblk_reset of a disk that was shut down is not valid now",
	  SHUT_DOWN, reset_disk, -VBLK_ESTATE },
	{ "vblk_reset of a broken disk that was then shut down is not valid now",
	  BROKEN_THEN_SHUT_DOWN, reset_disk, -VBLK_ESTATE },
	{ "vblk_shutdown before any init does nothing",
	  NO_DISK, shutdown_all, NOTHING },
	{ "vblk_shutdown a second time does nothing",
	  SHUT_DOWN, shutdown_all, NOTHING },

	{ "vblk_feature_names into a NULL buffer writes nothing",
	  NO_DISK, names_into_null, 0 },
	{ "vblk_feature_names into 0 bytes writes nothing",
	  NO_DISK, names_in_0_bytes, 0 },
	{ "vblk_feature_names into 1 byte writes the empty string",
	  NO_DISK, names_in_1_byte, 0 },
	{ "vblk_feature_names fits FLUSH into exactly 6 bytes",
	  NO_DISK, flush_name_in_6_bytes, 5 },
	{ "vblk_feature_names lists no name after one that did not fit",
	  NO_DISK, seg_max_and_ro_in_5_bytes, 0 },
	{ "vblk_strerror of INT_MIN is an unknown error",
	  NO_DISK, strerror_int_min, UNKNOWN_TEXT },
	{ "vblk_strerror of INT_MAX is an unknown error",
	  NO_DISK, strerror_int_max, UNKNOWN_TEXT },
	{ "vblk_strerror of VBLK_ERROR_COUNT is an unknown error",
	  NO_DISK, strerror_count, UNKNOWN_TEXT },
	{ "vblk_strerror of -VBLK_ERROR_COUNT is an unknown error",
	  NO_DISK, strerror_minus_count, UNKNOWN_TEXT },

	{ "vblk_submit to a NULL disk is invalid",
	  READY, submit_to_null_disk, -VBLK_EINVAL },
	{ "vblk_submit to vblk_disk(0) before any init is invalid",
	  NO_DISK, submit_to_disk_0, -VBLK_EINVAL },
	{ "vblk_submit of a NULL bio is invalid",
	  READY, submit_null_bio, -VBLK_EINVAL },
	{ "vblk_submit of a bio with a NULL segment array is invalid",
	  READY, submit_null_segs, -VBLK_EINVAL },
	{ "vblk_submit of a read with no segments is invalid",
	  READY, submit_no_segs, -VBLK_EINVAL },
	{ "vblk_submit of a segment of 0 bytes is invalid",
	  READY, submit_empty_seg, -VBLK_EINVAL },
	{ "vblk_submit of a segment at NULL is invalid",
	  READY, submit_seg_at_null, -VBLK_EINVAL },
	{ "vblk_submit of an unknown operation is invalid",
	  READY, submit_op_7, -VBLK_EINVAL },
	{ "vblk_submit of the driver's internal GET_ID operation is invalid",
	  READY, submit_op_3, -VBLK_EINVAL },
	{ "vblk_submit of a flush that carries data is invalid",
	  READY, submit_flush_with_data, -VBLK_EINVAL },
	{ "vblk_submit of a segment 1 byte off alignment is misaligned",
	  READY, submit_off_by_1, -VBLK_EALIGN },
	{ "vblk_submit of a segment 8 bytes off alignment is misaligned",
	  READY, submit_off_by_8, -VBLK_EALIGN },
	{ "vblk_submit of a segment 32 bytes off alignment is misaligned",
	  READY, submit_off_by_32, -VBLK_EALIGN },
	{ "vblk_submit of a segment of 1000 bytes is misaligned",
	  READY, submit_1000_bytes, -VBLK_EALIGN },
	{ "vblk_submit of a bio starting at the capacity is out of range",
	  READY, submit_at_capacity, -VBLK_ERANGE },
	{ "vblk_submit of a bio running one sector past the capacity is out of range",
	  READY, submit_past_capacity, -VBLK_ERANGE },
	{ "vblk_submit of a bio whose end wraps past 2^64 is out of range",
	  READY, submit_wrapping, -VBLK_ERANGE },
	{ "vblk_submit of one segment more than vblk_max_bio_segs is too big",
	  READY, submit_one_seg_too_many, -VBLK_ETOOBIG },
	{ "vblk_submit of one sector more than vblk_max_bio_bytes is too big",
	  READY, submit_one_sector_too_big, -VBLK_ETOOBIG },
	{ "vblk_submit of a write to a read-only disk is refused as read-only",
	  READ_ONLY, submit_write, -VBLK_EROFS },
	{ "vblk_submit of a flush to a read-only disk is refused as read-only",
	  READ_ONLY, submit_flush, -VBLK_EROFS },
	{ "vblk_submit of a bio starting inside a 4 KiB block is misaligned",
	  BLOCK_4K, submit_inside_block, -VBLK_EALIGN },
	{ "vblk_submit of half a 4 KiB block is misaligned",
	  BLOCK_4K, submit_half_block, -VBLK_EALIGN },
	{ "vblk_submit of a discard of 0 sectors is invalid",
	  READY, submit_discard_0_sectors, -VBLK_EINVAL },
	{ "vblk_submit of a discard with the unmap flag is invalid",
	  READY, submit_discard_unmap, -VBLK_EINVAL },
	{ "vblk_submit of a write-zeroes with an unknown flag is invalid",
	  READY, submit_zeroes_flag_2, -VBLK_EINVAL },
	{ "vblk_submit of a write-zeroes that carries a segment is invalid",
	  READY, submit_zeroes_with_a_segment, -VBLK_EINVAL },
	{ "vblk_submit of a discard off discard_sector_alignment is misaligned",
	  READY, submit_discard_off_alignment, -VBLK_EALIGN },
	{ "vblk_submit of a write-zeroes running past the capacity is out of range",
	  READY, submit_zeroes_past_capacity, -VBLK_ERANGE },
	{ "vblk_submit of a discard whose end wraps past 2^64 is out of range",
	  READY, submit_discard_wrapping, -VBLK_ERANGE },
	{ "vblk_submit of a discard to a read-only disk is refused as read-only",
	  READ_ONLY, submit_discard, -VBLK_EROFS },
	{ "vblk_submit of a write-zeroes to a read-only disk is refused as read-only",
	  READ_ONLY, submit_zeroes, -VBLK_EROFS },
	{ "vblk_submit of a discard to a disk without DISCARD is unsupported",
	  NO_RANGE_OPS, submit_discard, -VBLK_EUNSUPP },
	{ "vblk_submit of a write-zeroes to a disk without WRITE_ZEROES is unsupported",
	  NO_RANGE_OPS, submit_zeroes, -VBLK_EUNSUPP },
	{ "vblk_submit to a broken disk says it is broken",
	  BROKEN, submit_read, -VBLK_EBROKEN },
	{ "vblk_submit to a disk that was shut down is not valid now",
	  SHUT_DOWN, submit_read, -VBLK_ESTATE },

	{ "vblk_plug of a NULL disk does nothing",
	  READY, plug_null, NOTHING },
	{ "vblk_unplug of a NULL disk does nothing",
	  READY, unplug_null, NOTHING },
	{ "vblk_unplug of a broken disk sends nothing",
	  BROKEN, unplug_disk, NOTHING },
	{ "vblk_max_bio_segs of a NULL disk is 0",
	  READY, max_segs_of_null, 0 },
	{ "vblk_max_bio_bytes of a NULL disk is 0",
	  READY, max_bytes_of_null, 0 },
	{ "vblk_max_range_sectors of a NULL disk is 0",
	  READY, max_range_of_null, 0 },
	{ "vblk_max_range_sectors of a read is 0",
	  READY, max_range_of_read, 0 },
	{ "vblk_max_range_sectors of DISCARD on a disk without it is 0",
	  NO_RANGE_OPS, max_range_without_feature, 0 },
	{ "vblk_poll of a NULL disk is invalid",
	  READY, poll_null, -VBLK_EINVAL },
	{ "vblk_poll of an idle disk completes nothing",
	  READY, poll_disk, 0 },
	{ "vblk_poll of a broken disk says it is broken",
	  BROKEN, poll_disk, -VBLK_EBROKEN },
	{ "vblk_poll of a disk that was shut down is not valid now",
	  SHUT_DOWN, poll_disk, -VBLK_ESTATE },

	{ "vblk_wait_bios on a NULL disk is invalid",
	  READY, wait_on_null_disk, -VBLK_EINVAL },
	{ "vblk_wait_bios for one bio in a NULL array is invalid",
	  READY, wait_null_array, -VBLK_EINVAL },
	{ "vblk_wait_bios for a NULL bio is invalid",
	  READY, wait_array_of_null, -VBLK_EINVAL },
	{ "vblk_wait_bios for a bio never submitted is invalid, not a hang",
	  READY, wait_never_submitted, -VBLK_EINVAL },
	{ "vblk_wait_bios for a bio never submitted to a broken disk is invalid",
	  BROKEN, wait_never_submitted, -VBLK_EINVAL },
	{ "vblk_wait_bios for a bio never submitted to a shut-down disk is invalid",
	  SHUT_DOWN, wait_never_submitted, -VBLK_EINVAL },
	{ "vblk_wait_bios for no bios at all returns at once",
	  READY, wait_zero_bios, 0 },
	{ "vblk_drain of a NULL disk is invalid",
	  READY, drain_null, -VBLK_EINVAL },
	{ "vblk_drain of an idle disk returns at once",
	  READY, drain_disk, 0 },
	{ "vblk_drain of a broken disk has nothing left to wait for",
	  BROKEN, drain_disk, 0 },

	{ "vblk_use_interrupts on a NULL disk is invalid",
	  READY, interrupts_on_null, -VBLK_EINVAL },
	{ "vblk_use_interrupts on a broken disk says it is broken",
	  BROKEN, interrupts_on, -VBLK_EBROKEN },
	{ "vblk_use_interrupts on a disk that was shut down is not valid now",
	  SHUT_DOWN, interrupts_on, -VBLK_ESTATE },
	{ "vblk_irq_handler of a NULL disk does nothing",
	  READY, irq_handler_null, NOTHING },
	{ "vblk_irq_handler of a broken disk sends nothing",
	  BROKEN, irq_handler_disk, NOTHING },
	{ "vblk_irq_handler of a disk that was shut down sends nothing",
	  SHUT_DOWN, irq_handler_disk, NOTHING },
	{ "vblk_stats of a NULL disk leaves the caller's struct untouched",
	  READY, stats_of_null, UNTOUCHED },
	{ "vblk_stats into a NULL struct does nothing",
	  READY, stats_into_null, NOTHING },
	{ "vblk_reset_stats of a NULL disk does nothing",
	  READY, reset_stats_of_null, NOTHING },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* ---- fixtures: put the disk in the row's state --------------------------- */

/* One run of a row, on one transport. */
struct api_run {
	const struct api_case *row;
	uint32_t version;
	char name[160];
};

static void fill_pattern(uint8_t *mem, uint64_t len_bytes)
{
	for (uint64_t i = 0; i < len_bytes; i++)
		mem[i] = (uint8_t)(i * 31u + i / VBLK_SECTOR_SIZE + 1u);
}

static struct fake_virtio *create_device(uint32_t version, enum disk_state state)
{
	struct fake_virtio_opts opts;

	fake_virtio_default_opts(&opts, version);
	opts.capacity_sectors = DISK_SECTORS;
	if (state == NO_DISK)
		opts.device_id = 0;
	if (state == READ_ONLY)
		read_only(&opts);
	if (state == BLOCK_4K)
		block_4k(&opts);
	if (state == NO_RANGE_OPS)
		opts.features &= ~((1ull << 13) | (1ull << 14));
	return fake_virtio_create(&opts);
}

/* The device publishes a used id out of range: the driver stops the disk
 * (resetting the device) and fails the read that saw it. */
static void break_disk(void)
{
	fake_virtio_corrupt_used(fv, FAKE_USED_ID_OUT_OF_RANGE, FAKE_ONCE);
	assert_int_equal(vblk_read(disk, 0, buf, CHECK_SECTORS), -VBLK_EBROKEN);
	fake_virtio_clear_violations(fv);
}

static void enter_state(enum disk_state state)
{
	if (state == NO_DISK)
		return;
	int index = vblk_attach(fake_virtio_base(fv), TEST_INTID);
	assert_true(index >= 0);
	disk = vblk_disk((unsigned)index);
	if (state == BROKEN || state == BROKEN_THEN_SHUT_DOWN)
		break_disk();
	if (state == SHUT_DOWN || state == BROKEN_THEN_SHUT_DOWN)
		vblk_shutdown();
}

static int setup(void **state)
{
	const struct api_run *run = *state;
	uint64_t disk_bytes;

	disk_setup(state);
	done_calls = 0;
	fv = create_device(run->version, run->row->state);
	disk_bytes = fake_virtio_disk_bytes(fv);
	fill_pattern(fake_virtio_disk(fv), disk_bytes);
	enter_state(run->row->state);
	disk_before = malloc(disk_bytes);
	assert_non_null(disk_before);
	memcpy(disk_before, fake_virtio_disk(fv), disk_bytes);
	return 0;
}

static int teardown(void **state)
{
	free(disk_before);
	disk_before = NULL;
	return disk_teardown(state);
}

/* ---- the runner ------------------------------------------------------------ */

/* What the device and the driver have done so far. */
struct activity {
	uint32_t requests;      /* the device executed */
	uint32_t notifies;      /* QueueNotify writes */
	unsigned status_writes; /* resets, inits */
	uint64_t bios;          /* the driver accepted */
	uint64_t dispatched;    /* requests the driver put in the ring */
};

static struct activity activity_now(void)
{
	struct vblk_stats stats = { 0 };
	const uint8_t *writes;

	if (disk)
		vblk_stats(disk, &stats);
	return (struct activity){
		.requests = fake_virtio_stats(fv)->requests,
		.notifies = fake_virtio_stats(fv)->notifies,
		.status_writes = fake_virtio_status_writes(fv, &writes),
		.bios = stats.bios,
		.dispatched = stats.requests,
	};
}

static void expect_nothing_submitted(const struct activity *before)
{
	struct activity after = activity_now();

	assert_int_equal(after.requests, before->requests);
	assert_int_equal(after.notifies, before->notifies);
	assert_int_equal(after.status_writes, before->status_writes);
	assert_int_equal(after.bios, before->bios);
	assert_int_equal(after.dispatched, before->dispatched);
	assert_int_equal(done_calls, 0);
	if (memcmp(fake_virtio_disk(fv), disk_before, fake_virtio_disk_bytes(fv)) != 0)
		fail_msg("the disk's content changed");
}

/* A disk that was usable still reads what it holds; a broken one does
 * once vblk_reset has recovered it. */
static void expect_disk_still_works(enum disk_state state)
{
	if (state == NO_DISK || state == SHUT_DOWN || state == BROKEN_THEN_SHUT_DOWN)
		return;
	if (state == BROKEN)
		assert_int_equal(vblk_reset(disk), 0);
	assert_ptr_equal(vblk_disk(0), disk);
	memset(buf, 0, CHECK_SECTORS * VBLK_SECTOR_SIZE);
	assert_int_equal(vblk_read(disk, 0, buf, CHECK_SECTORS), 0);
	assert_memory_equal(buf, disk_before, CHECK_SECTORS * VBLK_SECTOR_SIZE);
}

/* " (its text)" for a negative vblk error code, "" for anything else. */
static const char *error_name(int64_t value)
{
	static char text[2][64];
	static unsigned next;

	if (value >= 0 || value <= -VBLK_ERROR_COUNT)
		return "";
	char *out = text[next++ % 2];
	snprintf(out, sizeof(text[0]), " (%s)", vblk_strerror((int)value));
	return out;
}

static void run_case(void **state)
{
	const struct api_run *run = *state;
	struct activity before = activity_now();

	int64_t got = run->row->call();
	if (got != run->row->returns)
		fail_msg("returned %lld%s, expected %lld%s", (long long)got, error_name(got),
			 (long long)run->row->returns, error_name(run->row->returns));
	expect_nothing_submitted(&before);
	expect_disk_still_works(run->row->state);
}

/* Every row with a disk on both transports, the others once. */
static size_t plan_runs(struct api_run *runs)
{
	static const uint32_t versions[] = { 2, 1 };
	size_t nruns = 0;

	for (size_t i = 0; i < NCASES; i++) {
		for (size_t v = 0; v < 2; v++) {
			if (v > 0 && cases[i].state == NO_DISK)
				break;
			struct api_run *run = &runs[nruns++];
			run->row = &cases[i];
			run->version = versions[v];
			if (cases[i].state == NO_DISK)
				snprintf(run->name, sizeof(run->name), "%s", cases[i].says);
			else
				snprintf(run->name, sizeof(run->name), "%s (%s)", cases[i].says,
					 versions[v] == 2 ? "modern" : "legacy");
		}
	}
	return nruns;
}

int main(void)
{
	static struct api_run runs[2 * NCASES];
	static struct CMUnitTest tests[2 * NCASES];
	size_t nruns = plan_runs(runs);

	for (size_t i = 0; i < nruns; i++)
		tests[i] = (struct CMUnitTest){ runs[i].name, run_case, setup, teardown, &runs[i] };
	/* What cmocka_run_group_tests_name() expands to, with a count that
	 * is not the array's size. */
	return _cmocka_run_group_tests("api", tests, nruns, NULL, NULL);
}
