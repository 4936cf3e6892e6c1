/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk driver + virtio-mmio transport + split ring, driven together
 * against the fake device, for both transport versions. Each test states one
 * behaviour; every test also checks that the fake saw no rule broken.
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
#include "fake_virtio_pci.h"
#include "pci/regs.h"
#include "vblk/bio.h"
#include "vblk/vblk.h"

#define STATUS_FAILED 0x80u
#define STATUS_DRIVER_OK 4u
#define STATUS_FEATURES_OK 8u

static uint8_t buf[256 * 1024] VBLK_ALIGNED;
static uint8_t buf2[256 * 1024] VBLK_ALIGNED;

static void fill(uint8_t *mem, size_t len_bytes, uint8_t seed)
{
	for (size_t i = 0; i < len_bytes; i++)
		mem[i] = (uint8_t)(i * 13u + seed + i / 512u);
}

/* ---- initialisation -------------------------------------------------- */

static void test_init_walks_status_sequence(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	const uint8_t *writes;
	unsigned count = fake_virtio_status_writes(fv, &writes);
	if (test_version(state) == 2) {
		const uint8_t expected[] = { 0x0, 0x1, 0x3, 0xb, 0xf };
		assert_int_equal(count, sizeof(expected));
		assert_memory_equal(writes, expected, sizeof(expected));
	} else {
		/* Legacy: no FEATURES_OK step (virtio 1.2 §3.1.2). */
		const uint8_t expected[] = { 0x0, 0x1, 0x3, 0x7 };
		assert_int_equal(count, sizeof(expected));
		assert_memory_equal(writes, expected, sizeof(expected));
	}
}

static void test_init_accepts_only_offered_and_known_features(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	uint64_t accepted = fake_virtio_accepted_features(fv);
	assert_int_equal(accepted & ~fake_virtio_opts(fv)->features, 0);
	assert_false(accepted & FAKE_BIT(FAKE_F_RING_RESET));
	assert_false(accepted & FAKE_BIT(FAKE_F_BLK_MQ));
	if (test_version(state) == 2)
		assert_true(accepted & FAKE_BIT(FAKE_F_VERSION_1));
	assert_int_equal(vblk_disk_info(disk)->features, accepted);
}

static void offer_everything(struct fake_virtio_opts *opts)
{
	opts->features = ~0ull;
}

static void offer_everything_legacy(struct fake_virtio_opts *opts)
{
	opts->features = 0xffffffffull;
}

/* virtio 1.3 §2.2.1: unknown offered bits are ignored, never accepted. */
static void test_all_ones_offer_still_reaches_driver_ok(void **state)
{
	int err = attach_with(state, test_version(state) == 2 ? offer_everything : offer_everything_legacy);
	assert_int_equal(err, 0);
	assert_true(fake_virtio_status(fv) & STATUS_DRIVER_OK);
	uint64_t accepted = fake_virtio_accepted_features(fv);
	uint64_t allowed = FAKE_BIT(1) | FAKE_BIT(2) | FAKE_BIT(5) | FAKE_BIT(6) | FAKE_BIT(9) |
			   FAKE_BIT(13) | FAKE_BIT(14) | FAKE_BIT(27) | FAKE_BIT(28) | FAKE_BIT(29) | FAKE_BIT(32) | FAKE_BIT(33) |
			   FAKE_BIT(34);
	assert_int_equal(accepted & ~allowed, 0);
}

static void test_refused_features_ok_sets_failed(void **state)
{
	if (test_version(state) == 1)
		skip();   /* legacy has no FEATURES_OK */
	fv = make_device(2, NULL);
	fake_virtio_refuse_features_ok(fv, FAKE_STICKY);
	assert_int_equal(vblk_attach(fake_virtio_base(fv), 0), -VBLK_EFEATURES);
	assert_true(fake_virtio_status(fv) & STATUS_FAILED);
	assert_false(fake_virtio_status(fv) & STATUS_DRIVER_OK);
	assert_false(fake_virtio_queue_ready(fv));
	assert_int_equal(vblk_disk_count(), 0);
}

static void drop_version_1(struct fake_virtio_opts *opts)
{
	opts->features &= ~FAKE_BIT(FAKE_F_VERSION_1);
}

static void test_modern_device_without_version_1_is_refused(void **state)
{
	if (test_version(state) == 1)
		skip();
	assert_int_equal(attach_with(state, drop_version_1), -VBLK_EFEATURES);
	assert_true(fake_virtio_status(fv) & STATUS_FAILED);
}

static void empty_slot(struct fake_virtio_opts *opts)
{
	opts->device_id = 0;
}

static void test_empty_slot_is_skipped_without_touching_it(void **state)
{
	assert_int_equal(attach_with(state, empty_slot), -VBLK_ENODEV);
	assert_int_equal(fake_virtio_stats(fv)->resets, 0);
}

static void bad_magic(struct fake_virtio_opts *opts)
{
	opts->magic = 0x12345678;
}

static void test_bad_magic_is_not_a_device(void **state)
{
	assert_int_equal(attach_with(state, bad_magic), -VBLK_ENODEV);
}

static void not_block(struct fake_virtio_opts *opts)
{
	opts->device_id = 1;   /* network */
}

static void test_other_device_type_is_not_a_disk(void **state)
{
	assert_int_equal(attach_with(state, not_block), -VBLK_ENODEV);
}

/* A disk more than the pool and the table hold is left alone (not even
 * reset), and the probe report still lists its slot and says why it is
 * unused. */
static void test_disk_beyond_the_table_is_reported_and_left_alone(void **state)
{
	const struct vblk_probe_entry *entries;

	for (unsigned i = 0; i < vblk_max_disks(); i++)
		attach_ok(state, NULL);
	fv = make_device(test_version(state), NULL);
	assert_int_equal(vblk_attach(fake_virtio_base(fv), TEST_INTID), -VBLK_ENOMEM);
	assert_int_equal(fake_virtio_stats(fv)->resets, 0);
	assert_int_equal(fake_virtio_status(fv), 0);

	assert_int_equal(vblk_probe_report(&entries), vblk_max_disks() + 1);
	const struct vblk_probe_entry *extra = &entries[vblk_max_disks()];
	assert_int_equal(extra->mmio_base, fake_virtio_base(fv));
	assert_int_equal(extra->device_id, 2);
	assert_int_equal(extra->version, test_version(state));
	assert_int_equal(extra->result, -VBLK_ENOMEM);
}

/* The disk pool (VBLK_POOL_BYTES): as many disks as it holds, at most
 * VBLK_MAX_DISKS, each in a piece of its own. */
static void test_pool_holds_whole_disks_up_to_the_table(void **state)
{
	(void)state;
	size_t fit = VBLK_POOL_BYTES / vblk_disk_bytes();
	assert_true(fit >= 1);
	assert_int_equal(vblk_max_disks(), fit < VBLK_MAX_DISKS ? fit : VBLK_MAX_DISKS);
}

/* Attach until the pool is used up: -VBLK_ENOMEM, the device untouched.
 * A shutdown gives every piece back: as many disks attach again. */
static void test_pool_used_up_then_given_back_by_shutdown(void **state)
{
	for (int round = 0; round < 2; round++) {
		for (unsigned i = 0; i < vblk_max_disks(); i++) {
			struct fake_virtio *dev = make_device(test_version(state), NULL);
			assert_int_equal(attach_device(dev), (int)i);
		}
		struct fake_virtio *extra = make_device(test_version(state), NULL);
		assert_int_equal(attach_device(extra), -VBLK_ENOMEM);
		assert_int_equal(fake_virtio_stats(extra)->resets, 0);
		assert_int_equal(vblk_shutdown(), 0);
		assert_int_equal(vblk_disk_count(), 0);
	}
}

/* Every disk's memory is its own: the pieces do not overlap, and with all
 * of them attached (each initialisation zeroes and lays out its piece),
 * each disk keeps what it was given. Under ASan, any access beyond a
 * piece that is not another disk's would trip too. */
static void test_disks_memory_does_not_overlap(void **state)
{
	unsigned count = vblk_max_disks();
	struct fake_virtio *devs[VBLK_MAX_DISKS];

	for (unsigned i = 0; i < count; i++) {
		devs[i] = make_device(test_version(state), NULL);
		assert_int_equal(attach_device(devs[i]), (int)i);
	}
	for (unsigned i = 0; i < count; i++) {
		uintptr_t a = (uintptr_t)vblk_disk(i);
		for (unsigned j = i + 1; j < count; j++) {
			uintptr_t b = (uintptr_t)vblk_disk(j);
			assert_true(a + vblk_disk_bytes() <= b || b + vblk_disk_bytes() <= a);
		}
	}
	for (unsigned i = 0; i < count; i++) {
		fill(buf, 64 * 1024, (uint8_t)(i + 1));
		assert_int_equal(vblk_write(vblk_disk(i), 8, buf, 128), 0);
	}
	for (unsigned i = 0; i < count; i++) {
		fill(buf, 64 * 1024, (uint8_t)(i + 1));
		assert_int_equal(vblk_read(vblk_disk(i), 8, buf2, 128), 0);
		assert_memory_equal(buf, buf2, 64 * 1024);
		fake_virtio_assert_clean(devs[i]);
	}
}

/* A device tree may name addresses no register window can have: they are
 * listed in the probe report as invalid and never read (the fake at the
 * good address is the only device, and the report shows it attached). */
static void test_device_tree_addresses_that_cannot_be_windows_are_not_read(void **state)
{
	const struct vblk_probe_entry *entries;
	size_t len_bytes;

	fv = make_device(test_version(state), NULL);
	assert_int_equal(fake_virtio_base(fv), 0x0a000000u);
	uint8_t *blob = load_test_dtb("virtio-bad-addresses.dtb", 0, &len_bytes);
	assert_int_equal(vblk_init_from_dt(blob, len_bytes), 1);
	free(blob);

	assert_int_equal(vblk_probe_report(&entries), 3);
	assert_int_equal(entries[0].mmio_base, 0);
	assert_int_equal(entries[0].result, -VBLK_EINVAL);
	assert_int_equal(entries[1].mmio_base, 0x0a000002u);
	assert_int_equal(entries[1].result, -VBLK_EINVAL);
	assert_int_equal(entries[2].mmio_base, 0x0a000000u);
	assert_int_equal(entries[2].result, 0);
}

static void test_missing_queue_fails_init(void **state)
{
	assert_int_equal(attach_with(state, no_queue), -VBLK_ENODEV);
	assert_true(fake_virtio_status(fv) & STATUS_FAILED);
	assert_false(fake_virtio_status(fv) & STATUS_DRIVER_OK);
}

/* An attach that failed in initialisation leaves no disk and no slot
 * taken: the device is FAILED, never DRIVER_OK, and as many good disks as
 * the pool holds attach after it, and work. */
static void expect_failed_init_leaves_every_slot_free(void **state)
{
	assert_true(fake_virtio_status(fv) & STATUS_FAILED);
	assert_false(fake_virtio_status(fv) & STATUS_DRIVER_OK);
	assert_int_equal(vblk_disk_count(), 0);
	struct fake_virtio *good = NULL;
	for (unsigned i = 0; i < vblk_max_disks(); i++) {
		good = make_device(test_version(state), NULL);
		assert_int_equal(attach_device(good), (int)i);
	}
	fill(buf, 4096, 7);
	assert_int_equal(vblk_write(vblk_disk(vblk_max_disks() - 1), 0, buf, 8), 0);
	assert_memory_equal(fake_virtio_disk(good), buf, 4096);
	fake_virtio_assert_clean(good);
}

/* §4.2.3.2, §4.2.4, §4.1.5.1.3: a queue that reads as in use is not set
 * up. One that still does after the reset leaves the device without a
 * queue to use: -VBLK_ENODEV, as for a device with none, and the queue's
 * registers never written. */
static void test_queue_still_in_use_after_reset_fails_init(void **state)
{
	fv = make_device(test_version(state), NULL);
	fake_virtio_keep_queue_in_use(fv, true);
	assert_int_equal(attach_device(fv), -VBLK_ENODEV);
	assert_false(fake_virtio_queue_ready(fv));
	expect_failed_init_leaves_every_slot_free(state);
}

static void queue_max_1000(struct fake_virtio_opts *opts)
{
	opts->queue_num_max = 1000;
}

static void test_queue_size_is_power_of_2_within_max(void **state)
{
	assert_int_equal(attach_with(state, queue_max_1000), 0);
	assert_int_equal(vblk_disk_info(disk)->queue_size, VBLK_QUEUE_SIZE < 512 ? VBLK_QUEUE_SIZE : 512);
}

static void queue_max_8(struct fake_virtio_opts *opts)
{
	opts->queue_num_max = 8;
}

static void test_small_queue_max_is_used(void **state)
{
	assert_int_equal(attach_with(state, queue_max_8), 0);
	assert_int_equal(vblk_disk_info(disk)->queue_size, 8);
	/* 8 descriptors: 6 data segments per request; a large write still works. */
	fill(buf, sizeof(buf), 1);
	assert_int_equal(vblk_write(disk, 0, buf, sizeof(buf) / 512), 0);
	assert_memory_equal(fake_virtio_disk(fv), buf, sizeof(buf));
}

/* §2.4.2: a reset is complete only when Status reads back 0. */
static void test_slow_reset_is_waited_for(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	fake_virtio_set_reset_delay(fv, 5);
	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(vblk_read(disk, 0, buf, 1), 0);
}

/* RST-1: a reset whose Status never reads back 0 leaves the disk dead
 * (its memory set aside: VBLK_EHELD) until a reset completes. */
static void test_reset_that_never_finishes_times_out(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	fake_virtio_set_reset_delay(fv, 100000000u);
	assert_int_equal(vblk_reset(disk), -VBLK_EHELD);
	assert_int_equal(vblk_read(disk, 0, buf, 1), -VBLK_EBROKEN);
	fake_virtio_set_reset_delay(fv, 0);
	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(vblk_read(disk, 0, buf, 1), 0);
}

static void test_config_reports_capacity_and_block_size(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	const struct vblk_info *info = vblk_disk_info(disk);
	assert_int_equal(info->capacity_sectors, fake_virtio_opts(fv)->capacity_sectors);
	assert_int_equal(info->block_size_bytes, 512);
	assert_false(info->read_only);
	assert_true(info->has_flush);
	assert_int_equal(info->mmio_version, test_version(state));
}

static void test_torn_capacity_read_is_retried(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	uint64_t grown = fake_virtio_opts(fv)->capacity_sectors + 8;
	fake_virtio_tear_capacity_read(fv, grown);
	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(vblk_capacity(disk), grown);
}

/* A resize between the configuration read and DRIVER_OK raises no
 * interrupt (QEMU drops a config change before DRIVER_OK): the disk must
 * still end up with the new capacity. */
static void test_resize_before_driver_ok_is_seen(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	uint64_t grown = fake_virtio_opts(fv)->capacity_sectors + 64;
	fake_virtio_resize_before_driver_ok(fv, grown);
	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(vblk_capacity(disk), grown);
	assert_int_equal(vblk_read(disk, grown - 1, buf, 1), 0);
}

static void irq_take(struct fake_virtio *device, void *ctx)
{
	(void)device;
	vblk_irq_handler(ctx);
}

/* A disk in interrupt mode is reset (vblk_reset keeps the mode).
 * After DRIVER_OK, reread_capacity reads the configuration: generation,
 * fields, generation. The device is resized right after that second
 * generation read, and its config interrupt is taken at once (IRQs are
 * open during the reset). The handler finds the disk not ready yet
 * (ready is set two stores later): unless the interrupt waits until it
 * is, the change is dropped and the capacity stays the old one for good. */
static void test_resize_right_after_reread_is_not_lost(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	fake_virtio_set_irq_hook(fv, irq_take, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	uint64_t grown = fake_virtio_opts(fv)->capacity_sectors + 64;
	fake_virtio_resize_after_gen_reads(fv, 2, grown);
	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(vblk_poll(disk), 0);   /* anything still pending */
	assert_int_equal(vblk_capacity(disk), grown);
}

/* The same device resizing at every generation read after DRIVER_OK
 * for a while, each time interrupting: the re-read gives up after its
 * tries and keeps configure()'s capacity, so the interrupts must not be
 * dropped. (Modern virtio-mmio only: the knob counts reads of its
 * ConfigGeneration register.) */
static void test_resizes_during_reread_are_not_lost(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	fake_virtio_set_irq_hook(fv, irq_take, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	uint64_t grown = fake_virtio_opts(fv)->capacity_sectors + 64;
	fake_virtio_resize_after_gen_reads_repeat(fv, 1, 15, grown);   /* 16: every read of 8 tries */
	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(vblk_poll(disk), 0);
	assert_int_equal(vblk_capacity(disk), grown);
}

/* ---- data path --------------------------------------------------------- */

static void test_write_then_read_round_trip(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	fill(buf, 64 * 512, 7);
	assert_int_equal(vblk_write(disk, 100, buf, 64), 0);
	assert_memory_equal(fake_virtio_disk(fv) + 100 * 512, buf, 64 * 512);
	memset(buf2, 0, 64 * 512);
	assert_int_equal(vblk_read(disk, 100, buf2, 64), 0);
	assert_memory_equal(buf2, buf, 64 * 512);
}

static void test_request_framing_is_header_data_status(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	assert_int_equal(vblk_read(disk, 0, buf, 8), 0);
	const struct fake_virtio_chain *chain = fake_virtio_last_chain(fv);
	assert_int_equal(chain->nsegs, 3);
	assert_int_equal(chain->seg[0].len_bytes, 16);
	assert_int_equal(chain->seg[0].flags & FAKE_DESC_F_WRITE, 0);
	assert_int_equal(chain->seg[1].len_bytes, 8 * 512);
	assert_true(chain->seg[1].flags & FAKE_DESC_F_WRITE);
	assert_int_equal(chain->seg[1].addr, (uint64_t)(uintptr_t)buf);
	assert_int_equal(chain->seg[2].len_bytes, 1);
	assert_true(chain->seg[2].flags & FAKE_DESC_F_WRITE);
}

static void test_last_sector_is_reachable(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	uint64_t last = vblk_capacity(disk) - 1;
	fill(buf, 512, 3);
	assert_int_equal(vblk_write(disk, last, buf, 1), 0);
	assert_memory_equal(fake_virtio_disk(fv) + last * 512, buf, 512);
}

static void small_segments(struct fake_virtio_opts *opts)
{
	opts->features |= FAKE_BIT(FAKE_F_BLK_SIZE_MAX);
	opts->size_max_bytes = 4096;
	opts->seg_max = 3;
}

/* §5.2.3: at most seg_max data descriptors of at most size_max bytes. */
static void test_large_transfer_is_split_by_seg_max_and_size_max(void **state)
{
	assert_int_equal(attach_with(state, small_segments), 0);
	fill(buf, 64 * 1024, 9);
	uint32_t before = fake_virtio_stats(fv)->requests;
	assert_int_equal(vblk_write(disk, 8, buf, 128), 0);
	/* 64 KiB in requests of 3 x 4 KiB = 12 KiB: 6 requests. */
	assert_int_equal(fake_virtio_stats(fv)->requests - before, 6);
	const struct fake_virtio_chain *chain = fake_virtio_last_chain(fv);
	for (unsigned i = 1; i + 1 < chain->nsegs; i++)
		assert_true(chain->seg[i].len_bytes <= 4096);
	assert_memory_equal(fake_virtio_disk(fv) + 8 * 512, buf, 64 * 1024);
	memset(buf2, 0, 64 * 1024);
	assert_int_equal(vblk_read(disk, 8, buf2, 128), 0);
	assert_memory_equal(buf2, buf, 64 * 1024);
}

static void test_flush_sends_header_and_status_only(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	assert_int_equal(vblk_flush(disk), 0);
	assert_int_equal(fake_virtio_stats(fv)->flushes, 1);
	const struct fake_virtio_chain *chain = fake_virtio_last_chain(fv);
	assert_int_equal(chain->nsegs, 2);   /* BLK-8: no data descriptor */
	const uint8_t *hdr = (const uint8_t *)(uintptr_t)chain->seg[0].addr;
	uint64_t sector;
	memcpy(&sector, hdr + 8, sizeof(sector));
	assert_int_equal(sector, 0);         /* BLK-7 */
}

static void test_flush_without_flush_feature_sends_nothing(void **state)
{
	assert_int_equal(attach_with(state, no_flush), 0);
	assert_int_equal(vblk_flush(disk), 0);
	assert_int_equal(fake_virtio_stats(fv)->requests, 0);
}

static void serial_20(struct fake_virtio_opts *opts)
{
	memcpy(opts->serial, "ABCDEFGHIJKLMNOPQRST", 21);
}

static void test_get_id_handles_20_chars_without_nul(void **state)
{
	char id[21];
	assert_int_equal(attach_with(state, serial_20), 0);
	assert_int_equal(vblk_get_id(disk, id), 0);
	assert_string_equal(id, "ABCDEFGHIJKLMNOPQRST");
}

/* ---- bad input: an error, and nothing reaches the device -------------- */

static void expect_refused(int err, int expected)
{
	assert_int_equal(err, expected);
	assert_int_equal(fake_virtio_stats(fv)->requests, 0);
	assert_int_equal(fake_virtio_stats(fv)->notifies, 0);
}

static void test_read_past_capacity_is_refused(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	uint64_t capacity = vblk_capacity(disk);
	expect_refused(vblk_read(disk, capacity, buf, 1), -VBLK_ERANGE);
	expect_refused(vblk_read(disk, capacity - 1, buf, 2), -VBLK_ERANGE);
	expect_refused(vblk_read(disk, UINT64_MAX, buf, 2), -VBLK_ERANGE);
}

static void test_zero_count_is_refused(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	expect_refused(vblk_read(disk, 0, buf, 0), -VBLK_EINVAL);
	expect_refused(vblk_write(disk, 0, buf, 0), -VBLK_EINVAL);
}

static void test_null_and_misaligned_buffers_are_refused(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	expect_refused(vblk_read(disk, 0, NULL, 1), -VBLK_EINVAL);
	expect_refused(vblk_read(disk, 0, buf + 1, 1), -VBLK_EALIGN);
	expect_refused(vblk_write(disk, 0, buf + 8, 1), -VBLK_EALIGN);
	expect_refused(vblk_read(NULL, 0, buf, 1), -VBLK_EINVAL);
}

static void test_read_only_disk_refuses_writes_and_keeps_data(void **state)
{
	assert_int_equal(attach_with(state, read_only), 0);
	assert_true(vblk_disk_info(disk)->read_only);
	fill(fake_virtio_disk(fv), 4096, 5);
	fill(buf, 4096, 6);
	expect_refused(vblk_write(disk, 0, buf, 8), -VBLK_EROFS);
	expect_refused(vblk_flush(disk), -VBLK_EROFS);
	fill(buf2, 4096, 5);
	assert_memory_equal(fake_virtio_disk(fv), buf2, 4096);
	assert_int_equal(vblk_read(disk, 0, buf, 8), 0);
	assert_memory_equal(buf, buf2, 4096);
}

static void test_4k_block_disk_refuses_partial_blocks(void **state)
{
	assert_int_equal(attach_with(state, block_4k), 0);
	assert_int_equal(vblk_disk_info(disk)->block_size_bytes, 4096);
	expect_refused(vblk_read(disk, 1, buf, 8), -VBLK_EALIGN);
	expect_refused(vblk_read(disk, 0, buf, 4), -VBLK_EALIGN);
	assert_int_equal(vblk_read(disk, 8, buf, 8), 0);
}

static void bad_block_size(struct fake_virtio_opts *opts)
{
	opts->features |= FAKE_BIT(FAKE_F_BLK_BLK_SIZE);
	opts->blk_size_bytes = 1000;
}

static void test_nonsense_block_size_fails_init(void **state)
{
	assert_int_equal(attach_with(state, bad_block_size), -VBLK_EBROKEN);
	assert_true(fake_virtio_status(fv) & STATUS_FAILED);
}

/* §5.2.4: one data buffer (seg_max 1) of at most 512 bytes (size_max),
 * and 4 KiB logical blocks: no request can carry a block. */
static void no_block_fits_a_request(struct fake_virtio_opts *opts)
{
	block_4k(opts);
	opts->features |= FAKE_BIT(FAKE_F_BLK_SIZE_MAX) | FAKE_BIT(FAKE_F_BLK_SEG_MAX);
	opts->seg_max = 1;
	opts->size_max_bytes = 512;
}

static void test_limits_that_fit_no_block_in_a_request_fail_init(void **state)
{
	assert_int_equal(attach_with(state, no_block_fits_a_request), -VBLK_EUNSUPP);
	expect_failed_init_leaves_every_slot_free(state);
}

/* ---- device errors and misbehaviour ----------------------------------- */

static void test_ioerr_is_reported_and_disk_keeps_working(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	fake_virtio_fail_request(fv, 1, FAKE_BLK_S_IOERR, FAKE_ONCE);
	assert_int_equal(vblk_read(disk, 0, buf, 1), -VBLK_EIO);
	assert_int_equal(vblk_read(disk, 0, buf, 1), 0);
}

static void test_failed_write_is_not_reported_as_success(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	fake_virtio_fail_sector(fv, 33, FAKE_BLK_S_IOERR, FAKE_STICKY);
	assert_int_equal(vblk_write(disk, 32, buf, 4), -VBLK_EIO);
	assert_int_equal(vblk_write(disk, 40, buf, 4), 0);
}

static void test_unsupp_is_reported(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	fake_virtio_fail_request(fv, 1, FAKE_BLK_S_UNSUPP, FAKE_ONCE);
	assert_int_equal(vblk_flush(disk), -VBLK_EUNSUPP);
}

static void expect_broken_then_recoverable(int err)
{
	assert_int_equal(err, -VBLK_EBROKEN);
	/* The device was reset, so it holds none of our buffers. */
	assert_false(fake_virtio_queue_ready(fv));
	assert_int_equal(vblk_read(disk, 0, buf, 1), -VBLK_EBROKEN);
	fake_virtio_clear_violations(fv);
	assert_int_equal(vblk_reset(disk), 0);
	fill(buf, 512, 4);
	assert_int_equal(vblk_write(disk, 3, buf, 1), 0);
	assert_memory_equal(fake_virtio_disk(fv) + 3 * 512, buf, 512);
}

static void test_unknown_status_byte_breaks_disk(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	fake_virtio_fail_request(fv, 1, 0xee, FAKE_ONCE);
	expect_broken_then_recoverable(vblk_read(disk, 0, buf, 1));
}

static void test_used_id_out_of_range_breaks_disk(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	fake_virtio_corrupt_used(fv, FAKE_USED_ID_OUT_OF_RANGE, FAKE_ONCE);
	expect_broken_then_recoverable(vblk_read(disk, 0, buf, 1));
}

static void test_used_len_too_large_breaks_disk(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	fake_virtio_corrupt_used(fv, FAKE_USED_LEN_TOO_LARGE, FAKE_ONCE);
	expect_broken_then_recoverable(vblk_read(disk, 0, buf, 1));
}

static void test_used_idx_jump_breaks_disk(void **state)
{
	if (test_is_packed(state))
		skip();   /* no used index: a packed ring has nothing to jump */
	assert_int_equal(attach_with(state, NULL), 0);
	fake_virtio_corrupt_used(fv, FAKE_USED_IDX_JUMP, FAKE_ONCE);
	expect_broken_then_recoverable(vblk_write(disk, 0, buf, 1));
}

static void test_silent_device_times_out_and_is_reset(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	vblk_set_timeout_us(disk, 5000);
	uint32_t resets = fake_virtio_stats(fv)->resets;
	assert_int_equal(vblk_read(disk, 0, buf, 1), -VBLK_ETIMEDOUT);
	assert_int_equal(fake_virtio_stats(fv)->resets, resets + 1);
	assert_false(fake_virtio_queue_ready(fv));
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(vblk_read(disk, 0, buf, 1), 0);
}

/* QEMU virt's 32 virtio-mmio slots, all empty, 64 virtio functions that
 * are no disks (8 devices of 8 virtio-rng functions, 1af4:1044) and a
 * virtio-blk-pci at 00:14.0, past the 64 functions the scan's table
 * holds: vblk.h promises the disk listed with -VBLK_ENOMEM, in a report
 * whose 96 entries the slots and the functions fill already. */
static void test_disk_past_the_pci_table_is_in_a_full_probe_report(void **state)
{
	(void)state;
	for (unsigned i = 0; i < FAKE_VIRTIO_SLOTS; i++) {
		struct fake_virtio_opts opts;
		fake_virtio_default_opts(&opts, 2);
		opts.device_id = 0;
		fake_virtio_create(&opts);
	}
	struct fake_pci *pci = fake_pci_create(FAKE_ECAM_BASE, FAKE_ECAM_BYTES, 0);
	for (uint8_t dev = 1; dev <= 8; dev++)
		for (uint8_t f = 0; f < 8; f++)
			fake_pci_add(pci, &(struct fake_pci_fn_spec){
				.parent = -1, .dev = dev, .fn = f, .vendor_id = 0x1af4,
				.device_id = 0x1044, .class_code = 0xff0000,
				.multi_function = f == 0 });
	fake_virtio_create_pci(pci, -1, 20, 0, NULL, NULL);

	size_t len_bytes;
	uint8_t *blob = load_test_dtb("qemu-virt.dtb", 0, &len_bytes);
	assert_int_equal(vblk_init_from_dt(blob, len_bytes), 0);
	free(blob);

	const struct vblk_probe_entry *entries, *listed = NULL;
	unsigned count = vblk_probe_report(&entries);
	for (unsigned i = 0; i < count; i++)
		if (entries[i].transport == VBLK_TRANSPORT_PCI && entries[i].pci.dev == 20)
			listed = &entries[i];
	assert_non_null(listed);
	assert_int_equal(listed->device_id, 2);
	assert_int_equal(listed->result, -VBLK_ENOMEM);
}

/* Firmware that placed the BARs and left memory decoding on: the
 * function is used where its BARs are (vblk_attach_pci's PCI path). */
static void test_pci_function_firmware_left_decoding_on(void **state)
{
	pci_decoding_on = true;
	assert_int_equal(attach_with(state, NULL), 0);
	fill(buf, 4096, 3);
	assert_int_equal(vblk_write(disk, 0, buf, 8), 0);
	assert_memory_equal(fake_virtio_disk(fv), buf, 4096);
}

/* Firmware that used the function before (a boot loader with MSI-X, or
 * one that quietened INTx on its way out) leaves Interrupt Disable and
 * MSI-X Enable set: the device would never raise its pin. vblk, which
 * sleeps on INTx, turns both off, so the read completes by interrupt
 * and not by the wait's periodic look. */
static void test_pci_function_firmware_left_intx_silenced(void **state)
{
	fv = make_device(test_version(state), NULL);
	struct fake_pci *pci = fake_virtio_pci_host(fv);
	int index = fake_virtio_pci_fn_index(fv);
	fake_pci_cfg_write(pci, index, PCI_COMMAND, 2,
			   fake_pci_command(pci, index) | PCI_COMMAND_INTX_DISABLE);
	fake_virtio_pci_set_msix(fv, true);

	int attached = attach_device(fv);
	assert_true(attached >= 0);
	disk = vblk_disk((unsigned)attached);
	assert_false(fake_pci_command(pci, index) & PCI_COMMAND_INTX_DISABLE);
	assert_false(fake_virtio_pci_msix_on(fv));

	fake_virtio_set_irq_hook(fv, irq_take, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 50);
	assert_int_equal(vblk_read(disk, 0, buf, 8), 0);
	struct vblk_stats stats;
	vblk_stats(disk, &stats);
	assert_true(stats.interrupts >= 1);
	assert_int_equal(stats.missed_interrupts, 0);
}

static void test_deferred_completion_is_polled_for(void **state)
{
	assert_int_equal(attach_with(state, NULL), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 50);
	fill(buf, 4096, 8);
	assert_int_equal(vblk_write(disk, 0, buf, 8), 0);
	assert_memory_equal(fake_virtio_disk(fv), buf, 4096);
}

static void test_strerror_names_every_code(void **state)
{
	(void)state;
	for (int err = 0; err < VBLK_ERROR_COUNT; err++)
		assert_non_null(vblk_strerror(-err));
	assert_string_equal(vblk_strerror(-VBLK_EROFS), "disk is read-only");
	assert_string_equal(vblk_strerror(-999), "unknown error");
}

static void test_feature_names_list_known_and_unknown_bits(void **state)
{
	(void)state;
	char names[128];
	vblk_feature_names((1ull << 9) | (1ull << 32) | (1ull << 50), names, sizeof(names));
	assert_string_equal(names, "FLUSH VERSION_1 bit50");
}

#define BOTH(name) BOTH_TRANSPORTS(name, disk_setup, disk_teardown)
/* And on a virtio-pci function: the tests that do not look at the transport. */
#define ALL(name) ALL_TRANSPORTS(name, disk_setup, disk_teardown), \
		  PACKED_TRANSPORTS(name, disk_setup, disk_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_init_walks_status_sequence),
		ALL(test_init_accepts_only_offered_and_known_features),
		{ "test_pci_function_firmware_left_decoding_on (pci)",
		  test_pci_function_firmware_left_decoding_on, disk_setup, disk_teardown,
		  (void *)(uintptr_t)TRANSPORT_PCI },
		cmocka_unit_test_setup_teardown(test_disk_past_the_pci_table_is_in_a_full_probe_report,
						disk_setup, disk_teardown),
		{ "test_pci_function_firmware_left_intx_silenced (pci)",
		  test_pci_function_firmware_left_intx_silenced, disk_setup, disk_teardown,
		  (void *)(uintptr_t)TRANSPORT_PCI },
		BOTH(test_all_ones_offer_still_reaches_driver_ok),
		ALL(test_refused_features_ok_sets_failed),
		ALL(test_modern_device_without_version_1_is_refused),
		BOTH(test_empty_slot_is_skipped_without_touching_it),
		BOTH(test_bad_magic_is_not_a_device),
		BOTH(test_other_device_type_is_not_a_disk),
		BOTH(test_disk_beyond_the_table_is_reported_and_left_alone),
		cmocka_unit_test(test_pool_holds_whole_disks_up_to_the_table),
		ALL(test_pool_used_up_then_given_back_by_shutdown),
		ALL(test_disks_memory_does_not_overlap),
		BOTH(test_device_tree_addresses_that_cannot_be_windows_are_not_read),
		ALL(test_missing_queue_fails_init),
		ALL(test_queue_still_in_use_after_reset_fails_init),
		ALL(test_queue_size_is_power_of_2_within_max),
		ALL(test_small_queue_max_is_used),
		ALL(test_slow_reset_is_waited_for),
		ALL(test_reset_that_never_finishes_times_out),
		BOTH(test_config_reports_capacity_and_block_size),
		ALL(test_torn_capacity_read_is_retried),
		ALL(test_resize_before_driver_ok_is_seen),
		{ "test_resize_right_after_reread_is_not_lost (modern)",
		  test_resize_right_after_reread_is_not_lost, disk_setup, disk_teardown, (void *)2 },
		{ "test_resizes_during_reread_are_not_lost (modern)",
		  test_resizes_during_reread_are_not_lost, disk_setup, disk_teardown, (void *)2 },
		ALL(test_write_then_read_round_trip),
		ALL(test_request_framing_is_header_data_status),
		ALL(test_last_sector_is_reachable),
		ALL(test_large_transfer_is_split_by_seg_max_and_size_max),
		ALL(test_flush_sends_header_and_status_only),
		ALL(test_flush_without_flush_feature_sends_nothing),
		ALL(test_get_id_handles_20_chars_without_nul),
		ALL(test_read_past_capacity_is_refused),
		ALL(test_zero_count_is_refused),
		ALL(test_null_and_misaligned_buffers_are_refused),
		ALL(test_read_only_disk_refuses_writes_and_keeps_data),
		ALL(test_4k_block_disk_refuses_partial_blocks),
		ALL(test_nonsense_block_size_fails_init),
		ALL(test_limits_that_fit_no_block_in_a_request_fail_init),
		ALL(test_ioerr_is_reported_and_disk_keeps_working),
		ALL(test_failed_write_is_not_reported_as_success),
		ALL(test_unsupp_is_reported),
		ALL(test_unknown_status_byte_breaks_disk),
		ALL(test_used_id_out_of_range_breaks_disk),
		ALL(test_used_len_too_large_breaks_disk),
		ALL(test_used_idx_jump_breaks_disk),
		ALL(test_silent_device_times_out_and_is_reset),
		ALL(test_deferred_completion_is_polled_for),
		cmocka_unit_test(test_strerror_names_every_code),
		cmocka_unit_test(test_feature_names_list_known_and_unknown_bits),
	};
	return cmocka_run_group_tests_name("blk", tests, NULL, NULL);
}
