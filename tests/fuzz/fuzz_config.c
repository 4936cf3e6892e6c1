/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for device discovery: probe, feature negotiation and
 * the virtio-blk config space (drivers/virtio_mmio.c, blk/disk.c), then one
 * write and one read through the whole driver.
 *
 *   make build/fuzz/fuzz_config
 *   build/fuzz/fuzz_config -max_total_time=60 tests/fuzz/corpus/config
 *
 * The input describes the device: the fake virtio-mmio device of the host
 * tests (tests/host/fake_virtio.h, built without cmocka: a broken harness
 * rule aborts) gets its magic, version, DeviceID, offered features,
 * QueueNumMax, capacity, blk_size, seg_max, size_max and config size from
 * the input, each as "QEMU's default XOR input" or from a few shapes worth
 * trying, so an all-zero input is QEMU 7.2's modern virtio-blk-device.
 * Quirks: refuse FEATURES_OK, a capacity that changes between the two
 * halves of its read, a slow reset, a resize (config interrupt) after
 * init, deferred completions. vblk_attach() runs on it; then, if it
 * attached, one write and one read of a few blocks inside the capacity.
 *
 * Invariants (abort on violation):
 *  - vblk_attach returns exactly the documented error the device earns,
 *    checked in the order of the init sequence: -VBLK_ENODEV for a bad
 *    slot (no Status write at all), -VBLK_EFEATURES for a modern device
 *    without VERSION_1 or one refusing FEATURES_OK, -VBLK_EBROKEN for a
 *    blk_size that is not a power of 2 >= 512, -VBLK_ENODEV for a queue
 *    under 4 entries, -VBLK_EUNSUPP when seg_max/size_max leave no room for
 *    one block; after DRIVER was set, a failure leaves FAILED set and
 *    DRIVER_OK clear;
 *  - on success vblk_disk_info agrees with the device: capacity as it is
 *    now (never a mix of two values), block size, seg_max, size_max,
 *    read-only, flush, features a subset of those offered and equal to
 *    those the device saw accepted, queue size;
 *  - the write and the read each go out as one request whose chain (direct,
 *    or indirect if INDIRECT_DESC was negotiated) has a 16-byte header, at
 *    most seg_max data descriptors of at most size_max bytes, and a 1-byte
 *    status; the data reach the disk and come back (checked where the
 *    fake keeps the disk in memory: the Makefile builds it with 64 KiB);
 *  - the fake device records no broken rule (virtio checklist IDs).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/host/fake_virtio.h"
#include "vblk/vblk.h"
#include "tests/fuzz/fuzz_input.h"

#define STATUS_DRIVER_OK 0x04u
#define STATUS_FAILED    0x80u

#define MIN_QUEUE_SIZE   4u     /* the driver's: a power of 2 that holds
				   header, data and status */
#define MAX_IO_BLOCKS    16u
#define NEAR_START_BLOCKS 8u    /* I/O the fake's backed disk holds, mostly */
#define HDR_BYTES        16u
#define TIMEOUT_US       100000u
#define RELAX_LIMIT      20000000ull

/* ---- checks -------------------------------------------------------- */

static void check_at(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_config: invariant broken: %s\n", what);
		abort();
	}
}

#define check(cond) check_at((cond), #cond)

/* ---- the device, from the input -------------------------------------- */

enum quirk {
	QUIRK_BAD_MAGIC      = 1u << 0,
	QUIRK_DEVICE_ID      = 1u << 1,
	QUIRK_REFUSE_FEAT_OK = 1u << 2,
	QUIRK_TORN_CAPACITY  = 1u << 3,
	QUIRK_SLOW_RESET     = 1u << 4,
	QUIRK_RESIZE         = 1u << 5,
	QUIRK_DEFERRED       = 1u << 6,
};

struct device_plan {
	struct fake_virtio_opts opts;
	uint8_t quirks;
	uint64_t torn_capacity;     /* QUIRK_TORN_CAPACITY: the value after */
	uint64_t resized_capacity;  /* QUIRK_RESIZE */
	uint8_t reset_delay_reads;
	uint8_t defer_steps;
};

static uint32_t pick_version(struct input *in)
{
	uint8_t pick = take8(in);

	if (pick < 0x80)
		return 2;
	if (pick < 0xf0)
		return 1;
	return pick & 3u;   /* 0 and 3 are not virtio-mmio versions */
}

/* Small disks mostly (the fake keeps up to 64 MiB in memory), but also any
 * 64-bit value and powers of 2 give or take a little. */
static uint64_t pick_capacity(struct input *in, uint64_t usual)
{
	switch (take8(in) & 3u) {
	case 0:
		return usual ^ take16(in);
	case 1:
		return take32(in);
	case 2:
		return take64(in);
	default: {
		uint64_t pow = 1ull << (take8(in) % 64);
		return pow + (uint64_t)(int64_t)(int8_t)take8(in);
	}
	}
}

static uint32_t pick_blk_size(struct input *in)
{
	uint8_t pick = take8(in);

	if (pick < 0x80)
		return 512u << (pick % 8);   /* 512 B .. 64 KiB */
	if (pick < 0xc0)
		return 1u << (pick % 32);    /* also too small, and huge */
	return take32(in);
}

static uint32_t pick_seg_max(struct input *in)
{
	uint8_t pick = take8(in);

	if (pick < 0x40)
		return 254;                  /* QEMU's */
	if (pick < 0x80)
		return pick & 0x3fu;         /* few, and 0 */
	if (pick < 0xc0)
		return take16(in);
	return take32(in);
}

static uint32_t pick_size_max(struct input *in)
{
	uint8_t pick = take8(in);

	if (pick < 0x40)
		return 0;
	if (pick < 0x80)
		return 512u << (pick % 8);
	if (pick < 0xc0)
		return take16(in);           /* also not whole sectors */
	return take32(in);
}

static uint32_t pick_queue_num_max(struct input *in)
{
	uint8_t pick = take8(in);

	if (pick < 0x80)
		return 1024;
	if (pick < 0xc0)
		return pick & 0x3fu;         /* tiny, 0, not powers of 2 */
	return take32(in);
}

static void pick_quirk_values(struct input *in, struct device_plan *plan)
{
	if (plan->quirks & QUIRK_BAD_MAGIC)
		plan->opts.magic = take32(in);
	if (plan->quirks & QUIRK_DEVICE_ID)
		plan->opts.device_id = take8(in);
	if (plan->quirks & QUIRK_TORN_CAPACITY)
		plan->torn_capacity = pick_capacity(in, plan->opts.capacity_sectors);
	if (plan->quirks & QUIRK_RESIZE)
		plan->resized_capacity = pick_capacity(in, plan->opts.capacity_sectors);
	if (plan->quirks & QUIRK_SLOW_RESET)
		plan->reset_delay_reads = take8(in) % 16u;
	if (plan->quirks & QUIRK_DEFERRED)
		plan->defer_steps = take8(in) % 8u;
}

static void plan_device(struct input *in, struct device_plan *plan)
{
	struct fake_virtio_opts *opts = &plan->opts;

	fake_virtio_default_opts(opts, pick_version(in));
	plan->quirks = take8(in);
	opts->features ^= take64(in);
	opts->capacity_sectors = pick_capacity(in, opts->capacity_sectors);
	opts->blk_size_bytes = pick_blk_size(in);
	opts->seg_max = pick_seg_max(in);
	opts->size_max_bytes = pick_size_max(in);
	opts->queue_num_max = pick_queue_num_max(in);
	/* Short: the fields past the end read all-ones. The capacity always
	 * exists (§5.2.4): a device without it would read 2^64 - 1 and then
	 * fail every request, which no driver can tell from the config. */
	if (take8(in) >= 0xc0)
		opts->config_bytes = 8u + take8(in) % 0x58u;
	pick_quirk_values(in, plan);
}

static struct fake_virtio *create_device(const struct device_plan *plan)
{
	struct fake_virtio *fv = fake_virtio_create(&plan->opts);

	if (plan->quirks & QUIRK_REFUSE_FEAT_OK)
		fake_virtio_refuse_features_ok(fv, FAKE_STICKY);
	if (plan->quirks & QUIRK_TORN_CAPACITY)
		fake_virtio_tear_capacity_read(fv, plan->torn_capacity);
	if (plan->quirks & QUIRK_SLOW_RESET)
		fake_virtio_set_reset_delay(fv, plan->reset_delay_reads);
	if (plan->quirks & QUIRK_DEFERRED)
		fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, plan->defer_steps);
	return fv;
}

/* ---- what the device shows the driver -------------------------------- */

/* Feature bits a legacy device can show: DeviceFeatures word 0 only. */
static uint64_t visible_features(const struct fake_virtio_opts *opts)
{
	return opts->version == 1 ? opts->features & 0xffffffffull : opts->features;
}

static bool offers(const struct fake_virtio_opts *opts, unsigned bit)
{
	return (visible_features(opts) >> bit) & 1u;
}

/* A 32-bit config field as the driver reads it: each byte past the end of
 * a short config space reads as 0xff (as on QEMU). */
static uint32_t config_field(const struct fake_virtio_opts *opts, uint32_t offset,
			     uint32_t value)
{
	for (uint32_t i = 0; i < 4; i++) {
		if (offset + i >= opts->config_bytes)
			value |= 0xffu << (8 * i);
	}
	return value;
}

static uint32_t shown_blk_size(const struct fake_virtio_opts *opts)
{
	if (!offers(opts, FAKE_F_BLK_BLK_SIZE))
		return FAKE_SECTOR_BYTES;
	return config_field(opts, 0x14, opts->blk_size_bytes);
}

static uint32_t shown_seg_max(const struct fake_virtio_opts *opts)
{
	return offers(opts, FAKE_F_BLK_SEG_MAX) ? config_field(opts, 0x0c, opts->seg_max) : 0;
}

static uint32_t shown_size_max(const struct fake_virtio_opts *opts)
{
	return offers(opts, FAKE_F_BLK_SIZE_MAX) ? config_field(opts, 0x08, opts->size_max_bytes) : 0;
}

static uint64_t shown_capacity(const struct fake_virtio_opts *opts)
{
	uint64_t low = config_field(opts, 0x00, (uint32_t)opts->capacity_sectors);
	uint64_t high = config_field(opts, 0x04, (uint32_t)(opts->capacity_sectors >> 32));
	return low | high << 32;
}

static uint32_t round_down_pow2(uint32_t val)
{
	uint32_t pow = 1;

	while (pow <= val / 2)
		pow *= 2;
	return val ? pow : 0;
}

/* VBLK_QUEUE_SIZE, or the device's QueueNumMax rounded down to a power
 * of 2 when that is smaller (include/vblk/config.h). */
/* A split ring's size is rounded down to a power of 2; a packed ring's
 * need not be (virtio 1.2 §2.8), and it is packed when the driver could
 * accept RING_PACKED: offered on a modern device, VBLK_RING_PACKED on. */
static uint32_t expected_queue_size(const struct fake_virtio_opts *opts)
{
	bool packed = VBLK_RING_PACKED && opts->version == 2 &&
		      (opts->features & FAKE_BIT(FAKE_F_RING_PACKED));
	uint32_t offered = packed ? opts->queue_num_max : round_down_pow2(opts->queue_num_max);
	return offered < VBLK_QUEUE_SIZE ? offered : VBLK_QUEUE_SIZE;
}

static bool is_power_of_2(uint64_t val)
{
	return val != 0 && (val & (val - 1)) == 0;
}

/* Can one request carry one logical block? At most VBLK_MAX_REQUEST_BYTES,
 * in at most seg_max data descriptors (0 read as 1; the queue holds at most
 * its size minus header and status) of at most size_max bytes each. */
static bool one_block_fits(const struct fake_virtio_opts *opts)
{
	uint64_t block = shown_blk_size(opts);
	uint64_t descs = expected_queue_size(opts) - 2u;
	uint64_t seg_bytes = VBLK_MAX_REQUEST_BYTES;

	if (offers(opts, FAKE_F_BLK_SEG_MAX) && shown_seg_max(opts) < descs)
		descs = shown_seg_max(opts) ? shown_seg_max(opts) : 1;
	if (shown_size_max(opts) != 0 && shown_size_max(opts) < seg_bytes)
		seg_bytes = shown_size_max(opts);
	return block <= VBLK_MAX_REQUEST_BYTES && block <= descs * seg_bytes;
}

static bool slot_usable(const struct fake_virtio_opts *opts)
{
	return opts->magic == FAKE_MAGIC && (opts->version == 1 || opts->version == 2) &&
	       opts->device_id == FAKE_DEVICE_ID_BLOCK;
}

/* The init sequence (virtio 1.2 §3.1.1) stops at the first step the device
 * makes impossible; this is the error that step documents. */
static int expected_attach(const struct device_plan *plan)
{
	const struct fake_virtio_opts *opts = &plan->opts;
	uint32_t block = shown_blk_size(opts);

	if (!slot_usable(opts))
		return -VBLK_ENODEV;
	if (opts->version == 2 &&
	    (!offers(opts, FAKE_F_VERSION_1) || (plan->quirks & QUIRK_REFUSE_FEAT_OK)))
		return -VBLK_EFEATURES;
	if (!is_power_of_2(block) || block < VBLK_SECTOR_SIZE)
		return -VBLK_EBROKEN;
	if (expected_queue_size(opts) < MIN_QUEUE_SIZE)
		return -VBLK_ENODEV;
	if (!one_block_fits(opts))
		return -VBLK_EUNSUPP;
	return 0;
}

/* ---- checks after vblk_attach ---------------------------------------- */

static void check_failed_attach(struct fake_virtio *fv, const struct device_plan *plan)
{
	const uint8_t *writes;
	unsigned nwrites = fake_virtio_status_writes(fv, &writes);

	if (!slot_usable(&plan->opts)) {
		check(nwrites == 0);   /* a bad slot is left alone */
		return;
	}
	check(nwrites > 0 && (writes[nwrites - 1] & STATUS_FAILED));
	check(!(fake_virtio_status(fv) & STATUS_DRIVER_OK));
	check(fake_virtio_status(fv) & STATUS_FAILED);
}

static void check_info(struct fake_virtio *fv, const struct vblk_info *info,
		       const struct fake_virtio_opts *offered)
{
	/* The capacity is the device's value now, after any tearing. */
	check(info->capacity_sectors == shown_capacity(fake_virtio_opts(fv)));
	check(info->block_size_bytes == shown_blk_size(offered));
	check(is_power_of_2(info->block_size_bytes) && info->block_size_bytes >= 512);
	check(info->seg_max == shown_seg_max(offered));
	check(info->size_max_bytes == shown_size_max(offered));
	check(info->read_only == offers(offered, FAKE_F_BLK_RO));
	check(info->has_flush == offers(offered, FAKE_F_BLK_FLUSH));
	check((info->features & ~visible_features(offered)) == 0);
	check(info->features == fake_virtio_accepted_features(fv));
	check(info->mmio_version == offered->version);
	check(info->queue_size == expected_queue_size(offered));
}

static void check_attached(struct fake_virtio *fv, struct vblk_disk *disk,
			   const struct fake_virtio_opts *offered)
{
	const struct vblk_info *info = vblk_disk_info(disk);
	uint32_t max_bytes = vblk_max_bio_bytes(disk);

	check(fake_virtio_status(fv) & STATUS_DRIVER_OK);
	check(!(fake_virtio_status(fv) & STATUS_FAILED));
	check_info(fv, info, offered);
	check(max_bytes > 0 && max_bytes <= VBLK_MAX_REQUEST_BYTES);
	check(max_bytes % info->block_size_bytes == 0);
}

/* A configuration change (virtio 1.2 §2.5.2): the interrupt handler reads
 * the new capacity. */
static void resize(struct fake_virtio *fv, struct vblk_disk *disk, uint64_t capacity)
{
	struct vblk_stats before, after;

	vblk_stats(disk, &before);
	fake_virtio_resize(fv, capacity);
	vblk_irq_handler(disk);
	vblk_stats(disk, &after);
	check(after.config_changes == before.config_changes + 1);
	check(vblk_disk_info(disk)->capacity_sectors == shown_capacity(fake_virtio_opts(fv)));
}

/* ---- one write and one read ------------------------------------------ */

static uint8_t write_buf[VBLK_MAX_REQUEST_BYTES] VBLK_ALIGNED;
static uint8_t read_buf[VBLK_MAX_REQUEST_BYTES] VBLK_ALIGNED;

struct io_plan {
	uint64_t sector;
	uint32_t nsectors;
	uint32_t len_bytes;
};

/* The last request the device took: header, data within the limits the
 * device gave, status; `len_bytes` of data in the right direction. */
static void check_chain(struct fake_virtio *fv, const struct vblk_info *info,
			uint32_t len_bytes, bool device_writes)
{
	const struct fake_virtio_chain *chain = fake_virtio_last_chain(fv);
	/* The fake records the first FAKE_CHAIN_RECORD_MAX segments only. */
	bool whole = chain->nsegs <= FAKE_CHAIN_RECORD_MAX;
	unsigned nrecorded = whole ? chain->nsegs : FAKE_CHAIN_RECORD_MAX;
	uint64_t data_bytes = 0;

	/* §2.7.5.3.1: an indirect table only with INDIRECT_DESC negotiated. */
	check(!chain->indirect || (info->features & FAKE_BIT(FAKE_F_INDIRECT_DESC)));
	check(chain->nsegs >= 3);
	unsigned ndata = chain->nsegs - 2;
	check(chain->seg[0].len_bytes == HDR_BYTES && !(chain->seg[0].flags & FAKE_DESC_F_WRITE));
	check(ndata <= info->queue_size - 2u);
	if (info->features & FAKE_BIT(FAKE_F_BLK_SEG_MAX))
		check(ndata <= (info->seg_max ? info->seg_max : 1));
	for (unsigned i = 1; i < nrecorded && i <= ndata; i++) {
		const struct fake_virtio_seg *seg = &chain->seg[i];
		check(!!(seg->flags & FAKE_DESC_F_WRITE) == device_writes);
		if (info->size_max_bytes != 0)
			check(seg->len_bytes <= info->size_max_bytes);
		data_bytes += seg->len_bytes;
	}
	if (!whole)
		return;
	check(data_bytes == len_bytes);
	check(chain->seg[ndata + 1].len_bytes == 1 &&
	      (chain->seg[ndata + 1].flags & FAKE_DESC_F_WRITE));
}

/* The disk bytes behind the range, or NULL past what the fake keeps. */
static const uint8_t *disk_bytes(struct fake_virtio *fv, const struct io_plan *io)
{
	uint64_t backed_sectors = fake_virtio_disk_bytes(fv) / FAKE_SECTOR_BYTES;

	/* In sectors: a byte offset of a sector near 2^64 would wrap. */
	if (io->sector >= backed_sectors || io->nsectors > backed_sectors - io->sector)
		return NULL;
	return fake_virtio_disk(fv) + io->sector * FAKE_SECTOR_BYTES;
}

static void fill_pattern(uint8_t *buf, uint32_t len_bytes, uint8_t seed)
{
	for (uint32_t i = 0; i < len_bytes; i++)
		buf[i] = (uint8_t)(seed + i * 7u + i / 512u);
}

/* Run one synchronous call and check it went out as exactly one request. */
static int one_request(struct vblk_disk *disk, const struct io_plan *io, bool write)
{
	struct vblk_stats before, after;

	vblk_stats(disk, &before);
	int err = write ? vblk_write(disk, io->sector, write_buf, io->nsectors)
			: vblk_read(disk, io->sector, read_buf, io->nsectors);
	vblk_stats(disk, &after);
	check(after.requests == before.requests + (err == 0 ? 1u : 0u));
	return err;
}

static void write_then_read(struct fake_virtio *fv, struct vblk_disk *disk,
			    const struct io_plan *io, uint8_t seed)
{
	const struct vblk_info *info = vblk_disk_info(disk);

	fill_pattern(write_buf, io->len_bytes, seed);
	int err = one_request(disk, io, true);
	if (info->read_only) {
		check(err == -VBLK_EROFS);
	} else {
		check(err == 0);
		check_chain(fv, info, io->len_bytes, false);
		const uint8_t *disk_data = disk_bytes(fv, io);
		if (disk_data != NULL)
			check(memcmp(disk_data, write_buf, io->len_bytes) == 0);
	}

	memset(read_buf, 0xee, io->len_bytes);
	check(one_request(disk, io, false) == 0);
	check_chain(fv, info, io->len_bytes, true);
	const uint8_t *disk_data = disk_bytes(fv, io);
	if (disk_data != NULL)
		check(memcmp(disk_data, read_buf, io->len_bytes) == 0);
}

/* A few whole blocks, no more than one request carries, inside the disk. */
static void exercise_io(struct input *in, struct fake_virtio *fv, struct vblk_disk *disk)
{
	const struct vblk_info *info = vblk_disk_info(disk);
	uint32_t block = info->block_size_bytes;
	uint64_t capacity_blocks = info->capacity_sectors / (block / VBLK_SECTOR_SIZE);
	uint32_t max_blocks = vblk_max_bio_bytes(disk) / block;
	uint32_t nblocks = 1u + take8(in) % (max_blocks < MAX_IO_BLOCKS ? max_blocks : MAX_IO_BLOCKS);
	bool near_start = take8(in) < 0x80;   /* where the fake keeps the data */
	uint64_t pick = take64(in);
	uint8_t seed = take8(in);
	struct io_plan io = {
		.nsectors = nblocks * (block / VBLK_SECTOR_SIZE),
		.len_bytes = nblocks * block,
	};

	if (capacity_blocks < nblocks) {
		check(vblk_read(disk, 0, read_buf, io.nsectors) == -VBLK_ERANGE);
		return;
	}
	uint64_t first_blocks = capacity_blocks - nblocks + 1;
	if (near_start && first_blocks > NEAR_START_BLOCKS)
		first_blocks = NEAR_START_BLOCKS;
	io.sector = pick % first_blocks * (block / VBLK_SECTOR_SIZE);
	write_then_read(fv, disk, &io, seed);
}

/* ---- one input ------------------------------------------------------- */

static void check_device_clean(const struct fake_virtio *fv)
{
	unsigned count = fake_virtio_violation_count(fv);

	for (unsigned i = 0; i < count && i < FAKE_MAX_VIOLATIONS; i++)
		fprintf(stderr, "fuzz_config: %s\n", fake_virtio_violation(fv, i));
	check(count == 0);
}

static void run_device(struct input *in, const struct device_plan *plan)
{
	struct fake_virtio *fv = create_device(plan);
	int expected = expected_attach(plan);
	int index = vblk_attach(fake_virtio_base(fv), 0);

	check(index == (expected == 0 ? 0 : expected));
	if (index < 0) {
		check_failed_attach(fv, plan);
	} else {
		struct vblk_disk *disk = vblk_disk((unsigned)index);
		check_attached(fv, disk, &plan->opts);
		vblk_set_timeout_us(disk, TIMEOUT_US);
		if (plan->quirks & QUIRK_RESIZE)
			resize(fv, disk, plan->resized_capacity);
		exercise_io(in, fv, disk);
	}
	check_device_clean(fv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };
	struct device_plan plan = { 0 };

	plan_device(&in, &plan);
	host_set_relax_limit(RELAX_LIMIT);   /* a hang aborts */
	run_device(&in, &plan);
	vblk_shutdown();
	host_platform_reset();
	return 0;
}
