/* SPDX-License-Identifier: MIT */
/*
 * Bio callbacks that call back into vblk at awkward moments: while the
 * other bios of their request are still being told (a nested harvest by
 * vblk_poll or vblk_use_interrupts, then a resubmit of a bio vblk still
 * holds), from the interrupt handler during a synchronous call, a bio
 * resubmitting itself, a line mate reset and shut down, frames of a small
 * ring under mixed chains, DEVICE_NEEDS_RESET with a reset that stalls.
 * Each sequence checks that every bio completes exactly once with a status
 * docs/api.md allows and that the disk works afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bio_log.h"
#include "blk/disk.h"
#include "disk_fixture.h"
#include "fake_virtio.h"
#include "vblk/vblk.h"

#define SECTOR_BYTES 512u
#define BIO_BYTES    4096u
#define BIO_SECTORS  (BIO_BYTES / SECTOR_BYTES)
#define HANG_RELAXES (20u * VBLK_RESET_TIMEOUT_US)

static uint8_t pool[64 * BIO_BYTES] VBLK_ALIGNED;
static uint8_t sync_buf[16 * BIO_BYTES] VBLK_ALIGNED;

static uint8_t *buffer(unsigned idx)
{
	return pool + (size_t)idx * BIO_BYTES;
}

static void fill(uint8_t *mem, size_t len_bytes, uint8_t seed)
{
	for (size_t i = 0; i < len_bytes; i++)
		mem[i] = (uint8_t)(i * 13u + seed + i / SECTOR_BYTES);
}

enum action {
	ACT_NONE,
	ACT_INTERRUPTS_ON,  /* vblk_use_interrupts(disk, true) */
	ACT_INTERRUPTS_OFF, /* vblk_use_interrupts(disk, false) */
	ACT_POLL,           /* vblk_poll(disk) */
	ACT_WAIT,           /* vblk_wait_bios(disk, &bios[act_arg], 1) */
	ACT_RESUBMIT,       /* vblk_submit(disk, &bios[act_arg]) */
	ACT_SUBMIT_NEW,     /* vblk_submit of a new write bio act_arg */
	ACT_GET_ID,
	ACT_DISCARD,
	ACT_WRITE_ZEROES,
	ACT_UNPLUG,
	ACT_PLUG_SUBMIT,
};

#define MAX_ACTS 8
static struct {
	unsigned bio;
	enum action act;
	unsigned arg;
	int rc;
	bool done;
} acts[MAX_ACTS];
static unsigned nacts;

static int setup(void **state)
{
	disk_setup(state);
	bio_log_reset();
	host_set_relax_limit(HANG_RELAXES);
	memset(acts, 0, sizeof(acts));
	nacts = 0;
	return 0;
}

static void done(struct vblk_bio *bio, int status);

static struct vblk_bio *write_bio(unsigned idx, uint64_t sector)
{
	fill(buffer(idx), BIO_BYTES, (uint8_t)(0x40 + idx));
	return make_bio(idx, VBLK_OP_WRITE, sector, buffer(idx), BIO_BYTES, done);
}

static void on(unsigned bio, enum action act, unsigned arg)
{
	acts[nacts].bio = bio;
	acts[nacts].act = act;
	acts[nacts].arg = arg;
	acts[nacts].rc = 1;
	nacts++;
}

static void done(struct vblk_bio *bio, int status)
{
	unsigned idx = log_done(bio, status);

	for (unsigned i = 0; i < nacts; i++) {
		if (acts[i].bio != idx || acts[i].done)
			continue;
		acts[i].done = true;
		switch (acts[i].act) {
		case ACT_INTERRUPTS_ON:
			acts[i].rc = vblk_use_interrupts(disk, true);
			break;
		case ACT_INTERRUPTS_OFF:
			acts[i].rc = vblk_use_interrupts(disk, false);
			break;
		case ACT_POLL:
			acts[i].rc = vblk_poll(disk);
			break;
		case ACT_WAIT: {
			struct vblk_bio *wanted = &bios[acts[i].arg];
			acts[i].rc = vblk_wait_bios(disk, &wanted, 1);
			break;
		}
		case ACT_RESUBMIT:
			acts[i].rc = vblk_submit(disk, &bios[acts[i].arg]);
			break;
		case ACT_SUBMIT_NEW:
			acts[i].rc = vblk_submit(disk, write_bio(acts[i].arg, 128u + 8u * acts[i].arg));
			break;
		case ACT_GET_ID: {
			char id[21];
			acts[i].rc = vblk_get_id(disk, id);
			break;
		}
		case ACT_DISCARD:
			acts[i].rc = vblk_discard(disk, 512, 8);
			break;
		case ACT_WRITE_ZEROES:
			acts[i].rc = vblk_write_zeroes(disk, 512, 8, 0);
			break;
		case ACT_UNPLUG:
			vblk_unplug(disk);
			acts[i].rc = 0;
			break;
		case ACT_PLUG_SUBMIT:
			vblk_plug(disk);
			acts[i].rc = vblk_submit(disk, write_bio(acts[i].arg, 128u + 8u * acts[i].arg));
			break;
		case ACT_NONE:
			break;
		}
		break;
	}
}

static void take_interrupt(struct fake_virtio *device, void *ctx)
{
	(void)device;
	vblk_irq_handler(ctx);
}

/*
 * Request R1 = bios 0 and 1 (merged under a plug), request R2 = bio 2;
 * both completed by the device before the driver looks. While R1's bios
 * are being told, bio 0's callback does `first` (which harvests R2 in a
 * nested completion); bio 2's callback then submits bio 1 again, which
 * vblk still holds (R1 has not told it yet): vblk/bio.h says -VBLK_EBUSY,
 * "nothing changed". Every bio must complete exactly once.
 */
static void expect_resubmit_of_an_untold_bio_refused(void **state, enum action first,
						     bool interrupts)
{
	attach_ok(state, NULL);
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	if (interrupts)
		assert_int_equal(vblk_use_interrupts(disk, true), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	vblk_plug(disk);
	assert_int_equal(vblk_submit(disk, write_bio(0, 0)), 0);
	assert_int_equal(vblk_submit(disk, write_bio(1, BIO_SECTORS)), 0);
	assert_int_equal(vblk_submit(disk, write_bio(2, 64)), 0);
	vblk_unplug(disk);
	on(0, first, 0);
	on(2, ACT_RESUBMIT, 1);

	/* Both requests complete at once; the driver sees them together. */
	plat_irqflags_t flags = plat_irq_save();
	assert_int_equal(fake_virtio_complete_all(fv), 2);
	plat_irq_restore(flags);   /* interrupt mode: the handler runs here */
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	if (!interrupts)
		vblk_poll(disk);
	(void)vblk_drain(disk);

	assert_true(acts[0].done);
	assert_true(acts[1].done);
	assert_int_equal(acts[1].rc, -VBLK_EBUSY);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(done_calls[i], 1);
}

static void test_resubmit_untold_bio_after_interrupts_on_in_callback(void **state)
{
	expect_resubmit_of_an_untold_bio_refused(state, ACT_INTERRUPTS_ON, false);
}

static void test_resubmit_untold_bio_after_interrupts_on_in_irq_callback(void **state)
{
	expect_resubmit_of_an_untold_bio_refused(state, ACT_INTERRUPTS_ON, true);
}

static void test_resubmit_untold_bio_after_poll_in_callback(void **state)
{
	expect_resubmit_of_an_untold_bio_refused(state, ACT_POLL, false);
}

static void test_resubmit_untold_bio_after_poll_in_irq_callback(void **state)
{
	expect_resubmit_of_an_untold_bio_refused(state, ACT_POLL, true);
}

/*
 * Interrupt mode; the thread is in a synchronous read of 8 requests that
 * waits behind bios 0..3 of another submitter (deferred completions); bio
 * 1's callback, run by the interrupt handler, does `what`. Every bio
 * completes once, the read gets the disk's data, the disk works after.
 */
static void expect_irq_callback_during_sync_read(void **state, enum action what, int want_rc)
{
	attach_ok(state, NULL);
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 4);
	fill(fake_virtio_disk(fv) + 256 * SECTOR_BYTES, 8 * BIO_BYTES, 0x21);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(vblk_submit(disk, write_bio(i, 16u * i)), 0);
	on(1, what, 5);
	memset(sync_buf, 0, sizeof(sync_buf));
	assert_int_equal(vblk_read(disk, 256, sync_buf, 64), 0);
	assert_memory_equal(sync_buf, fake_virtio_disk(fv) + 256 * SECTOR_BYTES, 8 * BIO_BYTES);
	vblk_unplug(disk);
	assert_int_equal(vblk_drain(disk), 0);
	assert_true(acts[0].done);
	if (want_rc != 1)
		assert_int_equal(acts[0].rc, want_rc);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(done_calls[i], 1);
	if (what == ACT_SUBMIT_NEW || what == ACT_PLUG_SUBMIT)
		assert_int_equal(done_calls[5], 1);
	if (what == ACT_RESUBMIT)
		assert_int_equal(done_calls[5], 0);
	for (unsigned i = 0; i < 4; i++)
		assert_memory_equal(fake_virtio_disk(fv) + 16u * i * SECTOR_BYTES, buffer(i), BIO_BYTES);
	memset(sync_buf, 0x77, 8 * BIO_BYTES);
	assert_int_equal(vblk_write(disk, 512, sync_buf, 64), 0);
	assert_memory_equal(fake_virtio_disk(fv) + 512 * SECTOR_BYTES, sync_buf, 8 * BIO_BYTES);
	fake_virtio_assert_clean(fv);
}

static void test_irq_callback_get_id_during_sync_read(void **state)
{
	expect_irq_callback_during_sync_read(state, ACT_GET_ID, 0);
}

static void test_irq_callback_discard_during_sync_read(void **state)
{
	expect_irq_callback_during_sync_read(state, ACT_DISCARD, 0);
}

static void test_irq_callback_write_zeroes_during_sync_read(void **state)
{
	expect_irq_callback_during_sync_read(state, ACT_WRITE_ZEROES, 0);
}

static void test_irq_callback_submits_during_sync_read(void **state)
{
	expect_irq_callback_during_sync_read(state, ACT_SUBMIT_NEW, 0);
}

static void test_irq_callback_plugs_and_submits_during_sync_read(void **state)
{
	expect_irq_callback_during_sync_read(state, ACT_PLUG_SUBMIT, 0);
}

static void test_irq_callback_polled_mode_during_sync_read(void **state)
{
	expect_irq_callback_during_sync_read(state, ACT_INTERRUPTS_OFF, 0);
}

static void test_irq_callback_poll_during_sync_read(void **state)
{
	expect_irq_callback_during_sync_read(state, ACT_POLL, 1);
}

/* A bio resubmits itself from its own callback, 20 times, polled or with
 * interrupts: 21 completions, each once, the data on the disk. */
static unsigned resubmits_left;
static int resubmit_rc;

static void resubmit_self(struct vblk_bio *bio, int status)
{
	log_done(bio, status);
	if (resubmits_left > 0) {
		resubmits_left--;
		fill(bio->segs[0].addr, BIO_BYTES, (uint8_t)resubmits_left);
		int rc = vblk_submit(disk, bio);
		if (rc)
			resubmit_rc = rc;
		rc = vblk_submit(disk, bio);   /* twice: refused */
		if (rc != -VBLK_EBUSY)
			resubmit_rc = rc ? rc : 99;
	}
}

static void expect_self_resubmission(void **state, bool interrupts)
{
	attach_ok(state, NULL);
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	if (interrupts)
		assert_int_equal(vblk_use_interrupts(disk, true), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 2);
	fake_virtio_set_order(fv, FAKE_ORDER_SHUFFLED, 7);
	resubmits_left = 20;
	resubmit_rc = 0;
	for (unsigned i = 0; i < 3; i++) {
		fill(buffer(i), BIO_BYTES, (uint8_t)(0x90 + i));
		make_bio(i, VBLK_OP_WRITE, 8u * i, buffer(i), BIO_BYTES, resubmit_self);
		assert_int_equal(vblk_submit(disk, &bios[i]), 0);
	}
	assert_int_equal(vblk_drain(disk), 0);
	assert_int_equal(resubmit_rc, 0);
	assert_int_equal(done_calls[0] + done_calls[1] + done_calls[2], 23);
	for (unsigned i = 0; i < 3; i++)
		assert_memory_equal(fake_virtio_disk(fv) + 8u * i * SECTOR_BYTES, buffer(i), BIO_BYTES);
	fake_virtio_assert_clean(fv);
}

static void test_self_resubmission_polled(void **state)
{
	expect_self_resubmission(state, false);
}

static void test_self_resubmission_irq(void **state)
{
	expect_self_resubmission(state, true);
}

/* Disks A and B on one line, A's handler registered, both interrupt-
 * driven, both busy; B is reset, then everything is shut down. Every bio
 * completes once: A's with 0, B's with 0 or -VBLK_ECANCELED. */
static void test_line_mate_reset_and_shutdown(void **state)
{
	attach_ok(state, NULL);
	struct fake_virtio *fv_b = make_device(test_version(state), NULL);
	int index = attach_device(fv_b);
	assert_true(index >= 0);
	struct vblk_disk *disk_b = vblk_disk((unsigned)index);
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	fake_virtio_set_irq_hook(fv_b, take_interrupt, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	assert_int_equal(vblk_use_interrupts(disk_b, true), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 3);
	fake_virtio_set_completion(fv_b, FAKE_COMPLETE_DEFERRED, 7);
	fake_virtio_set_reset_delay(fv_b, 20);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(vblk_submit(disk, write_bio(i, 16u * i)), 0);
	for (unsigned i = 4; i < 8; i++)
		assert_int_equal(vblk_submit(disk_b, write_bio(i, 16u * i)), 0);
	assert_int_equal(vblk_reset(disk_b), 0);
	for (unsigned i = 4; i < 8; i++) {
		assert_int_equal(done_calls[i], 1);
		assert_true(done_status[i] == 0 || done_status[i] == -VBLK_ECANCELED);
	}
	for (unsigned i = 8; i < 12; i++)
		assert_int_equal(vblk_submit(disk_b, write_bio(i, 16u * i)), 0);
	for (unsigned i = 12; i < 16; i++)
		assert_int_equal(vblk_submit(disk, write_bio(i, 16u * i)), 0);
	assert_int_equal(vblk_shutdown(), 0);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(done_calls[i], 1);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(done_status[i], 0);
	for (unsigned i = 8; i < 16; i++)
		assert_int_equal(done_status[i], 0);
	/* The shared line's handler reads B's InterruptStatus while B resets:
	 * RST-1, a deliberate choice (blk/interrupt.c, take_disk). */
	for (unsigned i = 0; i < fake_virtio_violation_count(fv_b); i++)
		assert_true(strncmp(fake_virtio_violation(fv_b, i), "RST-1", 5) == 0);
	fake_virtio_clear_violations(fv_b);
}

/*
 * Frames under mixed chain lengths: a ring of 8 (with and without
 * indirect tables), bios of 1 to 4 scattered 512-byte segments, FLUSHes,
 * DISCARDs, completions held and released in shuffled order, and resets
 * (vblk_reset) in between, some with a device whose reset is delayed.
 * A model of the disk checks every sector written; every bio completes
 * once, with 0 or (when a reset canceled it) -VBLK_ECANCELED.
 */
#define STRESS_SECTORS 256u
#define STRESS_BIOS    48u
static uint8_t model[STRESS_SECTORS * SECTOR_BYTES];
static bool model_known[STRESS_SECTORS];
static uint32_t rng_state;

static uint32_t rnd(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static void stress_done(struct vblk_bio *bio, int status)
{
	log_done(bio, status);
}

static void ring_of_8(struct fake_virtio_opts *opts)
{
	opts->queue_num_max = 8;
}

static void ring_of_8_no_indirect(struct fake_virtio_opts *opts)
{
	opts->queue_num_max = 8;
	opts->features &= ~FAKE_BIT(FAKE_F_INDIRECT_DESC);
}

static void frame_stress(void **state, opts_tweak_fn *tweak, uint32_t seed)
{
	attach_ok(state, tweak);
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	rng_state = seed;
	memset(model_known, 0, sizeof(model_known));
	memset(fake_virtio_disk(fv), 0, STRESS_SECTORS * SECTOR_BYTES);
	memset(model, 0, sizeof(model));
	for (unsigned i = 0; i < STRESS_SECTORS; i++)
		model_known[i] = true;
	bool has_discard = vblk_disk_info(disk)->has_discard;

	for (unsigned round = 0; round < 30; round++) {
		bio_log_reset();
		bool irq = rnd() % 2;
		assert_int_equal(vblk_use_interrupts(disk, irq), 0);
		fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
		fake_virtio_set_order(fv, FAKE_ORDER_SHUFFLED, rnd());
		unsigned nbios = 4 + rnd() % (STRESS_BIOS - 4);
		unsigned slot_in_pool = 0;
		bool plug = rnd() % 2;
		if (plug)
			vblk_plug(disk);
		for (unsigned b = 0; b < nbios; b++) {
			unsigned kind = rnd() % 10;
			struct vblk_bio *bio = &bios[b];
			if (kind == 0) {
				make_bio(b, VBLK_OP_FLUSH, 0, NULL, 0, stress_done);
			} else if (kind == 1 && has_discard) {
				uint32_t align = vblk_disk_info(disk)->discard_sector_alignment;
				if (align == 0)
					align = 1;
				uint64_t sector = rnd() % (STRESS_SECTORS / 2) / align * align;
				make_bio(b, VBLK_OP_DISCARD, sector, NULL, 0, stress_done);
				bio->nsectors = align * (1 + rnd() % 2);
				if (bio->nsectors > vblk_max_range_sectors(disk, VBLK_OP_DISCARD))
					bio->nsectors = align;
			} else {
				unsigned nsegs = 1 + rnd() % 4;
				uint64_t sector = rnd() % (STRESS_SECTORS - nsegs);
				bool write = rnd() % 2;
				make_bio(b, write ? VBLK_OP_WRITE : VBLK_OP_READ, sector, NULL, 0, stress_done);
				for (unsigned k = 0; k < nsegs; k++) {
					/* every other 512-byte piece of the pool: never contiguous */
					uint8_t *addr = pool + (size_t)(2 * slot_in_pool++) * 512u;
					if (write)
						fill(addr, 512, (uint8_t)rnd());
					else
						memset(addr, 0xee, 512);
					segs[b][k] = (struct vblk_seg){ addr, 512 };
				}
				bio->nsegs = (uint16_t)nsegs;
			}
			int rc = vblk_submit(disk, bio);
			assert_int_equal(rc, 0);
			/* sometimes let the device finish part of what it holds */
			if (rnd() % 4 == 0) {
				plat_irqflags_t flags = plat_irq_save();
				fake_virtio_complete_some(fv, 1 + rnd() % 3);
				plat_irq_restore(flags);
				if (!irq)
					vblk_poll(disk);
			}
		}
		if (plug)
			vblk_unplug(disk);
		bool reset = rnd() % 5 == 0;
		if (reset) {
			fake_virtio_set_reset_delay(fv, rnd() % 8);
			plat_irqflags_t flags = plat_irq_save();
			fake_virtio_complete_some(fv, rnd() % 3);
			plat_irq_restore(flags);
			assert_int_equal(vblk_reset(disk), 0);
		}
		fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, rnd() % 4);
		assert_int_equal(vblk_drain(disk), 0);
		/* Check each bio once; writes that completed 0 update the model
		 * in submission order only where no other bio of the round
		 * overlaps (order among in-flight bios is not promised). */
		for (unsigned b = 0; b < nbios; b++) {
			assert_int_equal(done_calls[b], 1);
			if (reset)
				assert_true(done_status[b] == 0 || done_status[b] == -VBLK_ECANCELED);
			else
				assert_int_equal(done_status[b], 0);
		}
		/* The disk itself: re-read the model from the device after each
		 * round (unknown ordering), then check reads that did not overlap
		 * a write or discard of the round against it. */
		for (unsigned b = 0; b < nbios; b++) {
			const struct vblk_bio *bio = &bios[b];
			if (bio->op != VBLK_OP_WRITE || done_status[b] != 0)
				continue;
			uint64_t sector = bio->sector;
			bool alone = true;
			for (unsigned o = 0; o < nbios && alone; o++) {
				const struct vblk_bio *other = &bios[o];
				uint64_t n = other->op >= VBLK_OP_DISCARD ? other->nsectors : other->nsegs;
				if (o != b && (other->op == VBLK_OP_WRITE || other->op == VBLK_OP_DISCARD) &&
				    other->sector < sector + bio->nsegs && sector < other->sector + n)
					alone = false;
			}
			for (unsigned k = 0; alone && k < bio->nsegs; k++)
				assert_memory_equal(fake_virtio_disk(fv) + (sector + k) * SECTOR_BYTES,
						    bio->segs[k].addr, 512);
		}
		memcpy(model, fake_virtio_disk(fv), sizeof(model));
		for (unsigned b = 0; b < nbios; b++) {
			const struct vblk_bio *bio = &bios[b];
			if (bio->op != VBLK_OP_READ || done_status[b] != 0)
				continue;
			bool alone = true;
			for (unsigned o = 0; o < nbios && alone; o++) {
				const struct vblk_bio *other = &bios[o];
				uint64_t n = other->op >= VBLK_OP_DISCARD ? other->nsectors : other->nsegs;
				if ((other->op == VBLK_OP_WRITE || other->op == VBLK_OP_DISCARD) &&
				    other->sector < bio->sector + bio->nsegs && bio->sector < other->sector + n)
					alone = false;
			}
			for (unsigned k = 0; alone && k < bio->nsegs; k++)
				assert_memory_equal(model + (bio->sector + k) * SECTOR_BYTES,
						    bio->segs[k].addr, 512);
		}
		fake_virtio_assert_clean(fv);
	}
	/* and it still works synchronously */
	fill(sync_buf, 8 * BIO_BYTES, 0x5a);
	assert_int_equal(vblk_write(disk, 0, sync_buf, 64), 0);
	assert_memory_equal(fake_virtio_disk(fv), sync_buf, 8 * BIO_BYTES);
	fake_virtio_assert_clean(fv);
	assert_int_equal(vblk_shutdown(), 0);
}

static void test_frame_stress_ring_of_8(void **state)
{
	for (uint32_t seed = 1; seed <= 6; seed++)
		frame_stress(state, ring_of_8, seed * 7919u);
}

static void test_frame_stress_ring_of_8_no_indirect(void **state)
{
	for (uint32_t seed = 1; seed <= 6; seed++)
		frame_stress(state, ring_of_8_no_indirect, seed * 104729u);
}

/*
 * Interrupt mode, 4 bios held by the device, 2 more waiting behind a plug;
 * the device sets DEVICE_NEEDS_RESET and then does not complete the reset
 * for a long time: the held bios come back -VBLK_EHELD, the plugged ones
 * -VBLK_ECANCELED/-VBLK_EBROKEN, each once; submits are refused; a later
 * vblk_reset, once the device resets, brings the disk back.
 */
static void test_needs_reset_with_a_stalled_reset(void **state)
{
	attach_ok(state, NULL);
	if (!test_is_modern(state))
		skip();
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(vblk_submit(disk, write_bio(i, 16u * i)), 0);
	vblk_plug(disk);
	for (unsigned i = 4; i < 6; i++)
		assert_int_equal(vblk_submit(disk, write_bio(i, 16u * i)), 0);
	fake_virtio_set_reset_delay(fv, 0xffffffffu);
	fake_virtio_needs_reset(fv);
	host_cpu_relax();
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(done_calls[i], 1);
		if (i < 4)
			assert_int_equal(done_status[i], -VBLK_EHELD);
		else
			assert_true(done_status[i] == -VBLK_EBROKEN || done_status[i] == -VBLK_ECANCELED);
	}
	assert_int_equal(vblk_submit(disk, write_bio(6, 0)), -VBLK_EBROKEN);
	assert_int_equal(done_calls[6], 0);
	fake_virtio_finish_reset(fv);
	fake_virtio_set_reset_delay(fv, 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
	fill(sync_buf, BIO_BYTES, 0x12);
	assert_int_equal(vblk_write(disk, 0, sync_buf, 8), 0);
	assert_memory_equal(fake_virtio_disk(fv), sync_buf, BIO_BYTES);
	assert_int_equal(vblk_submit(disk, write_bio(7, 32)), 0);
	assert_int_equal(vblk_drain(disk), 0);
	assert_int_equal(done_status[7], 0);
}

/* The same with three bios in R1 (0, 1, 3) and bio 2 alone in R2: bio 2's
 * callback resubmits bio 1 after bio 0's callback polled. Bio 3, told
 * after bio 1 in R1's loop, must still complete once. */
static void test_resubmit_untold_bio_loses_the_rest_of_its_request(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	vblk_plug(disk);
	assert_int_equal(vblk_submit(disk, write_bio(0, 0)), 0);
	assert_int_equal(vblk_submit(disk, write_bio(1, BIO_SECTORS)), 0);
	assert_int_equal(vblk_submit(disk, write_bio(3, 2 * BIO_SECTORS)), 0);
	assert_int_equal(vblk_submit(disk, write_bio(2, 64)), 0);
	vblk_unplug(disk);
	on(0, ACT_POLL, 0);
	on(2, ACT_RESUBMIT, 1);
	assert_int_equal(fake_virtio_complete_all(fv), 2);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	struct vblk_bio *all[] = { &bios[0], &bios[1], &bios[2], &bios[3] };
	assert_int_equal(vblk_wait_bios(disk, all, 4), 0);
	assert_int_equal(vblk_drain(disk), 0);
	assert_int_equal(acts[1].rc, -VBLK_EBUSY);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(done_calls[i], 1);
}

/* R1 = bios 0 and 1 (merged) and R2 = bio 2 in flight, the device holding
 * both; bio 0's callback will wait for bio 1 of its own request. */
static void wait_in_own_request_behind_another(void)
{
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	vblk_plug(disk);
	assert_int_equal(vblk_submit(disk, write_bio(0, 0)), 0);
	assert_int_equal(vblk_submit(disk, write_bio(1, BIO_SECTORS)), 0);   /* merges */
	vblk_unplug(disk);
	assert_int_equal(vblk_submit(disk, write_bio(2, 64)), 0);
	on(0, ACT_WAIT, 1);
}

/* A callback waits for a bio of its own request, which the loop running
 * it tells only after it returns, while another request is still with
 * the device: vblk/bio.h's -VBLK_ESTATE at once, not after that request
 * (or the disk's timeout), and the other request is left alone. */
static void test_wait_for_a_bio_of_its_own_request_is_refused_at_once(void **state)
{
	attach_ok(state, NULL);
	wait_in_own_request_behind_another();
	assert_int_equal(fake_virtio_complete_some(fv, 1), 1);   /* bios 0 and 1 */
	assert_int_equal(vblk_poll(disk), 1);
	assert_true(acts[0].done);
	assert_int_equal(acts[0].rc, -VBLK_ESTATE);
	assert_false(bios[2].completed);   /* still the device's */
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(fake_virtio_complete_all(fv), 1);
	assert_int_equal(vblk_drain(disk), 0);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(done_calls[i], 1);
		assert_int_equal(done_status[i], 0);
	}
}

/* The disk is stopped (its timeout) with R1 = bios 0 and 1 and R2 = bio 2
 * in flight; bio 0's callback, run by the stop, waits for bio 1 of its
 * own request. bio.h puts a disk being stopped first: its error at once,
 * not -VBLK_ESTATE. */
static void test_wait_in_a_callback_of_a_stop_answers_the_disks_error(void **state)
{
	attach_ok(state, NULL);
	vblk_set_timeout_us(disk, 2000);
	wait_in_own_request_behind_another();
	(void)vblk_drain(disk);   /* the timeout stops the disk under it */
	assert_true(acts[0].done);
	assert_int_equal(acts[0].rc, -VBLK_EBROKEN);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(done_calls[i], 1);
		assert_int_equal(done_status[i], -VBLK_ETIMEDOUT);
	}
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
}

/* The same with R1 alone in flight: once the stop has taken R1 from the
 * device nothing is left in the queue while bio 0's callback runs, and the
 * wait, finding it empty, must still answer the disk's error. */
static void test_wait_in_a_callback_of_a_stop_with_nothing_else_answers_the_disks_error(void **state)
{
	attach_ok(state, NULL);
	vblk_set_timeout_us(disk, 2000);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	vblk_plug(disk);
	assert_int_equal(vblk_submit(disk, write_bio(0, 0)), 0);
	assert_int_equal(vblk_submit(disk, write_bio(1, BIO_SECTORS)), 0);   /* merges */
	vblk_unplug(disk);
	on(0, ACT_WAIT, 1);
	(void)vblk_drain(disk);   /* the timeout stops the disk under it */
	assert_true(acts[0].done);
	assert_int_equal(acts[0].rc, -VBLK_EBROKEN);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(done_calls[i], 1);
		assert_int_equal(done_status[i], -VBLK_ETIMEDOUT);
	}
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
}

/* Plugged: bio 0 (a write at sector 0) and bio 1 (at sector 128); then
 * the disk shrinks to 64 sectors, and the unplug's run sends bio 0 and
 * refuses bio 1 (-VBLK_ERANGE), whose callback waits for bio 0 (bio.h
 * forbids it; a wait still returns). Bio 0 went ahead of it, so it is
 * published first: the wait sees it complete, and the healthy disk is not
 * stopped by its timeout waiting for a chain the device never saw. */
static void test_a_refused_request_waits_for_one_sent_before_it(void **state)
{
	attach_ok(state, NULL);
	vblk_set_timeout_us(disk, 5000);
	vblk_plug(disk);
	assert_int_equal(vblk_submit(disk, write_bio(0, 0)), 0);
	assert_int_equal(vblk_submit(disk, write_bio(1, 128)), 0);
	on(1, ACT_WAIT, 0);
	fake_virtio_resize(fv, 64);
	assert_int_equal(vblk_poll(disk), 0);   /* polled: the new capacity */
	assert_int_equal(vblk_capacity(disk), 64);
	vblk_unplug(disk);
	assert_true(acts[0].done);
	assert_int_equal(acts[0].rc, 0);
	assert_int_equal(done_calls[0], 1);
	assert_int_equal(done_status[0], 0);
	assert_int_equal(done_calls[1], 1);
	assert_int_equal(done_status[1], -VBLK_ERANGE);
	assert_int_equal(vblk_poll(disk), 0);    /* still up */
	fake_virtio_assert_clean(fv);
}

/* The same, with a device that holds bio 0: the refused bio's wait times
 * out, which stops the disk inside the callback (bio 0 fails with
 * -VBLK_ETIMEDOUT). The run that was refusing requests must end there,
 * with every bio told once, and the disk comes back with vblk_reset. */
static void test_a_refused_requests_wait_that_times_out_stops_the_run(void **state)
{
	attach_ok(state, NULL);
	vblk_set_timeout_us(disk, 5000);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	vblk_plug(disk);
	assert_int_equal(vblk_submit(disk, write_bio(0, 0)), 0);
	assert_int_equal(vblk_submit(disk, write_bio(1, 128)), 0);
	assert_int_equal(vblk_submit(disk, write_bio(2, 128 + BIO_SECTORS)), 0);   /* merges */
	on(1, ACT_WAIT, 0);
	fake_virtio_resize(fv, 64);
	assert_int_equal(vblk_poll(disk), 0);
	vblk_unplug(disk);
	assert_true(acts[0].done);
	assert_int_equal(acts[0].rc, -VBLK_ETIMEDOUT);
	assert_int_equal(done_calls[0], 1);
	assert_int_equal(done_status[0], -VBLK_ETIMEDOUT);
	for (unsigned i = 1; i < 3; i++) {
		assert_int_equal(done_calls[i], 1);
		assert_int_equal(done_status[i], -VBLK_ERANGE);
	}
	assert_int_equal(vblk_poll(disk), -VBLK_EBROKEN);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	assert_int_equal(vblk_reset(disk), 0);
	assert_int_equal(vblk_write(disk, 0, buffer(0), BIO_SECTORS), 0);
}

/* One interrupt that says both "configuration changed" and "used buffers"
 * (InterruptStatus 0x3, as QEMU raises a resize; PCI-35, MMIO-12): the
 * handler takes both, the new capacity and the completions, before any
 * wait or poll looks. */
static void test_one_interrupt_for_a_resize_and_completions_takes_both(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	assert_int_equal(vblk_use_interrupts(disk, true), 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	assert_int_equal(vblk_submit(disk, write_bio(0, 0)), 0);
	assert_int_equal(vblk_submit(disk, write_bio(1, 64)), 0);
	uint64_t grown = vblk_capacity(disk) + 64;

	plat_irqflags_t flags = plat_irq_save();
	assert_int_equal(fake_virtio_complete_all(fv), 2);
	fake_virtio_resize(fv, grown);
	plat_irq_restore(flags);   /* the handler runs here, once */

	assert_int_equal(vblk_capacity(disk), grown);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(done_calls[i], 1);
		assert_int_equal(done_status[i], 0);
	}
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
}

#define ALL(name) ALL_TRANSPORTS(name, setup, disk_teardown), \
		  PACKED_TRANSPORTS(name, setup, disk_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALL(test_resubmit_untold_bio_after_interrupts_on_in_callback),
		ALL(test_resubmit_untold_bio_after_interrupts_on_in_irq_callback),
		ALL(test_resubmit_untold_bio_after_poll_in_callback),
		ALL(test_resubmit_untold_bio_after_poll_in_irq_callback),
		ALL(test_irq_callback_get_id_during_sync_read),
		ALL(test_irq_callback_discard_during_sync_read),
		ALL(test_irq_callback_write_zeroes_during_sync_read),
		ALL(test_irq_callback_submits_during_sync_read),
		ALL(test_irq_callback_plugs_and_submits_during_sync_read),
		ALL(test_irq_callback_polled_mode_during_sync_read),
		ALL(test_irq_callback_poll_during_sync_read),
		ALL(test_self_resubmission_polled),
		ALL(test_self_resubmission_irq),
		ALL(test_line_mate_reset_and_shutdown),
		ALL(test_frame_stress_ring_of_8),
		ALL(test_resubmit_untold_bio_loses_the_rest_of_its_request),
		ALL(test_wait_for_a_bio_of_its_own_request_is_refused_at_once),
		ALL(test_wait_in_a_callback_of_a_stop_answers_the_disks_error),
		ALL(test_wait_in_a_callback_of_a_stop_with_nothing_else_answers_the_disks_error),
		ALL(test_a_refused_request_waits_for_one_sent_before_it),
		ALL(test_a_refused_requests_wait_that_times_out_stops_the_run),
		ALL(test_one_interrupt_for_a_resize_and_completions_takes_both),
		ALL(test_needs_reset_with_a_stalled_reset),
		ALL(test_frame_stress_ring_of_8_no_indirect),
	};
	return cmocka_run_group_tests_name("callbacks", tests, NULL, NULL);
}
