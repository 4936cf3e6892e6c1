/* SPDX-License-Identifier: MIT */
/*
 * Running one row of the guest's table (bench/bench.c lists the rows and
 * says what each kind does): synchronous calls back to back, random bios
 * kept in flight by their callbacks, or streams of adjacent bios in
 * batches; what the row measured goes to a struct row_result.
 */
#include <string.h>

#include "bench.h"
#include "prng.h"
#include "vblk/runtime.h"

#define MAX_DEPTH 32u               /* random bios in flight at once */
#define MAX_SCATTER_SEGS 16u        /* segments of a scattered bio */

/* Latencies in 1 us buckets; anything slower lands in the last one, and
 * then the maximum stands in for p99. */
#define LATENCY_BUCKETS 16384u

/* Data buffers. Static, so QEMU backs them with host memory only when
 * first touched (PEERS.md: about 3 ms per MiB): touch_buffers() does that
 * before anything is timed. */
static uint8_t seq_buf[SEQ_BUF_BYTES] VBLK_ALIGNED;
static uint8_t slot_bufs[MAX_DEPTH][SMALL_IO_BYTES] VBLK_ALIGNED;
static uint8_t batch_buf[BATCHES_IN_FLIGHT][BATCH_BIOS * SMALL_IO_BYTES] VBLK_ALIGNED;
/* Scattered segments: segment i of slot s is page i * MAX_DEPTH + s, so no
 * segment is contiguous with the next one of its bio. */
static uint8_t scatter_buf[MAX_SCATTER_SEGS * MAX_DEPTH][SMALL_IO_BYTES] VBLK_ALIGNED;
/* mode=peers: the RAM after the image bench/bench.c found for its large
 * reads; NULL otherwise. */
static uint8_t *big_buf;

/* One random-I/O bio and when it was (re)submitted. */
struct slot {
	struct vblk_bio bio;
	struct vblk_seg segs[MAX_SCATTER_SEGS];
	uint16_t nsegs;
	uint64_t submit_us;
};

/*
 * What the current row has measured. The bio callbacks write it from
 * interrupt context (or from inside a vblk wait); the row functions read
 * it only after vblk_drain/vblk_wait_bios returned, when no callback can
 * run for the row any more.
 */
static struct {
	struct vblk_disk *disk;
	enum vblk_op op;
	uint64_t deadline_us;      /* ROW_BIO_RAND: no resubmission after this */
	uint64_t ops;              /* ops completed */
	uint64_t samples;          /* latencies recorded */
	uint64_t latency_sum_us;
	uint32_t latency_max_us;
	uint32_t latency_hist[LATENCY_BUCKETS];
	int first_error;           /* 0, or the first failure of the row */
	uint64_t busy_us;          /* in the disk's interrupt handler or submitting */
	bool submitting;           /* busy_us is being counted by the thread */
} run;

/* One batch of a batch row, and its bios. */
struct batch {
	uint64_t submit_us;       /* when its first bio was submitted */
	unsigned left;            /* bios not completed yet */
	struct vblk_bio bios[BATCH_BIOS];
	struct vblk_seg segs[BATCH_BIOS];
	struct vblk_bio *waits[BATCH_BIOS];   /* &bios[i], for vblk_wait_bios */
};

static struct slot slots[MAX_DEPTH];
static struct batch batches[BATCHES_IN_FLIGHT];
static uint64_t prng_state = PRNG_SEED;
static uint64_t random_blocks; /* 4 KiB-aligned offsets on the disk */
static uint64_t row_us;         /* guest time per row */

static void record_latency(uint64_t latency_us)
{
	uint32_t clamped = latency_us > UINT32_MAX ? UINT32_MAX : (uint32_t)latency_us;

	run.samples++;
	run.latency_sum_us += latency_us;
	if (clamped > run.latency_max_us)
		run.latency_max_us = clamped;
	run.latency_hist[clamped < LATENCY_BUCKETS ? clamped : LATENCY_BUCKETS - 1]++;
}

static void record_error(int err)
{
	if (err && run.first_error == 0)
		run.first_error = err;
}

static void start_row(struct vblk_disk *disk, enum vblk_op op)
{
	memset(&run, 0, sizeof(run));
	run.disk = disk;
	run.op = op;
	vblk_reset_stats(disk);
}

/* The smallest latency that 99 % of the ops did not exceed. */
static uint32_t latency_p99_us(void)
{
	uint64_t wanted = run.samples - run.samples / 100, seen = 0;

	for (uint32_t bucket = 0; bucket < LATENCY_BUCKETS - 1; bucket++) {
		seen += run.latency_hist[bucket];
		if (seen >= wanted)
			return bucket;
	}
	return run.latency_max_us;
}

/* A random offset aligned to `size_bytes` (a multiple of 4 KiB), so a
 * bio of that size ends before the end of the disk. */
static uint64_t random_sector(uint32_t size_bytes)
{
	uint64_t blocks = random_blocks / (size_bytes / SMALL_IO_BYTES);
	uint64_t block = prng_next(&prng_state) % blocks;
	return block * (size_bytes / VBLK_SECTOR_SIZE);
}

static int sync_io(struct vblk_disk *disk, enum vblk_op op, uint64_t sector, void *buf,
		   uint32_t size_bytes)
{
	uint32_t nsectors = size_bytes / VBLK_SECTOR_SIZE;

	if (op == VBLK_OP_WRITE)
		return vblk_write(disk, sector, buf, nsectors);
	return vblk_read(disk, sector, buf, nsectors);
}

/* Synchronous calls back to back, polled, until the row's time is up:
 * consecutive offsets (wrapping at the end of the disk) or random ones. */
static void run_sync(const struct row_spec *spec, struct vblk_disk *disk)
{
	uint64_t nsectors = spec->size_bytes / VBLK_SECTOR_SIZE;
	uint64_t capacity = vblk_capacity(disk), sector = 0;
	uint8_t *buf = spec->size_bytes > sizeof(seq_buf) ? big_buf : seq_buf;

	if (buf == NULL) {
		record_error(-VBLK_EINVAL);
		return;
	}
	uint64_t deadline_us = rt_time_us() + row_us;
	for (uint64_t now = rt_time_us(); now < deadline_us && !run.first_error;) {
		if (spec->kind == ROW_SYNC_RAND)
			sector = random_sector(spec->size_bytes);
		else if (sector + nsectors > capacity)
			sector = 0;
		record_error(sync_io(disk, spec->op, sector, buf, spec->size_bytes));
		if (spec->kind == ROW_SYNC_SEQ_FLUSH)
			record_error(vblk_flush(disk));
		uint64_t end = rt_time_us();
		run.ops++;
		record_latency(end - now);
		sector += nsectors;
		now = end;
	}
}

static void submit_slot(struct slot *slot, uint64_t now_us);

/* A random bio completed: count it and, while the row lasts, send it out
 * again at a new offset, so `depth` stay in flight without the main loop
 * having to wake up. Runs in interrupt context or inside vblk_drain. */
static void on_random_done(struct vblk_bio *bio, int status)
{
	struct slot *slot = bio->private;
	uint64_t now_us = rt_time_us();

	run.ops++;
	record_latency(now_us - slot->submit_us);
	record_error(status);
	if (run.first_error == 0 && now_us < run.deadline_us)
		submit_slot(slot, now_us);
}

static void submit_slot(struct slot *slot, uint64_t now_us)
{
	uint32_t size_bytes = 0;

	for (unsigned i = 0; i < slot->nsegs; i++)
		size_bytes += slot->segs[i].len_bytes;
	slot->bio = (struct vblk_bio){
		.op = run.op, .sector = random_sector(size_bytes), .segs = slot->segs,
		.nsegs = slot->nsegs, .done = on_random_done, .private = slot,
	};
	slot->submit_us = now_us;
	record_error(vblk_submit(run.disk, &slot->bio));
}

static void begin_submitting(uint64_t *start_us)
{
	run.submitting = true;
	*start_us = rt_time_us();
}

static void end_submitting(uint64_t start_us)
{
	run.busy_us += rt_time_us() - start_us;
	run.submitting = false;
}

/* Slot `index`'s segments: one buffer of its own, or scatter_segs pages
 * of scatter_buf no two of which touch. */
static void lay_out_slot(const struct row_spec *spec, unsigned index)
{
	struct slot *slot = &slots[index];

	if (spec->scatter_segs == 0) {
		slot->segs[0] = (struct vblk_seg){ slot_bufs[index], spec->size_bytes };
		slot->nsegs = 1;
		return;
	}
	for (unsigned i = 0; i < spec->scatter_segs; i++)
		slot->segs[i] = (struct vblk_seg){ scatter_buf[i * MAX_DEPTH + index],
						   spec->size_bytes / spec->scatter_segs };
	slot->nsegs = (uint16_t)spec->scatter_segs;
}

/* `depth` random bios in flight, kept there by their callbacks; the
 * thread sleeps in vblk_drain until the last one is back. */
static void run_bio_random(const struct row_spec *spec, struct vblk_disk *disk)
{
	uint64_t start_us;

	begin_submitting(&start_us);
	run.deadline_us = start_us + row_us;
	for (unsigned i = 0; i < spec->depth && !run.first_error; i++) {
		lay_out_slot(spec, i);
		submit_slot(&slots[i], rt_time_us());
	}
	end_submitting(start_us);
	record_error(vblk_drain(disk));
}

static void on_batch_done(struct vblk_bio *bio, int status)
{
	struct batch *batch = bio->private;

	run.ops++;
	record_error(status);
	if (--batch->left == 0)
		record_latency(rt_time_us() - batch->submit_us);
}

/* One batch: `depth` bios for adjacent sectors and adjacent memory, so a
 * plug can merge them into one request with one data segment. */
static int submit_batch(const struct row_spec *spec, struct vblk_disk *disk, unsigned index,
			uint64_t sector)
{
	uint32_t nsectors = spec->size_bytes / VBLK_SECTOR_SIZE;
	struct batch *batch = &batches[index];
	uint8_t *buf = batch_buf[index];
	int err = 0;

	batch->left = spec->depth;
	batch->submit_us = rt_time_us();
	if (spec->plugged)
		vblk_plug(disk);
	for (unsigned i = 0; i < spec->depth && !err; i++) {
		batch->segs[i] = (struct vblk_seg){ buf + i * spec->size_bytes, spec->size_bytes };
		batch->bios[i] = (struct vblk_bio){
			.op = spec->op, .sector = sector + (uint64_t)i * nsectors,
			.segs = &batch->segs[i], .nsegs = 1, .done = on_batch_done, .private = batch,
		};
		err = vblk_submit(disk, &batch->bios[i]);
		batch->waits[i] = &batch->bios[i];
	}
	if (spec->plugged)
		vblk_unplug(disk);
	return err;
}

/*
 * Batches at consecutive offsets until time is up, BATCHES_IN_FLIGHT of
 * them at a time: before a batch's memory is used again, the thread waits
 * for that batch only, so the device always has the others to work on
 * while the guest prepares the next.
 */
static void run_bio_batch(const struct row_spec *spec, struct vblk_disk *disk)
{
	uint64_t batch_sectors = (uint64_t)spec->depth * spec->size_bytes / VBLK_SECTOR_SIZE;
	uint64_t capacity = vblk_capacity(disk), sector = 0;
	uint64_t deadline_us = rt_time_us() + row_us;
	bool in_flight[BATCHES_IN_FLIGHT] = { false };

	for (unsigned index = 0; rt_time_us() < deadline_us && !run.first_error;
	     index = (index + 1) % BATCHES_IN_FLIGHT) {
		if (in_flight[index])
			record_error(vblk_wait_bios(disk, batches[index].waits, spec->depth));
		if (sector + batch_sectors > capacity)
			sector = 0;
		uint64_t submit_start_us;
		begin_submitting(&submit_start_us);
		int err = submit_batch(spec, disk, index, sector);
		end_submitting(submit_start_us);
		record_error(err);
		in_flight[index] = true;
		sector += batch_sectors;
	}
	/* Whatever is still queued lives in `batches`: wait for all of it. */
	record_error(vblk_drain(disk));
}

/* vblk_irq_handler, timed: the handler harvests, runs the callbacks
 * (which resubmit and kick), so its share of the row's wall time is how
 * busy the guest was rather than waiting for QEMU. */
void timed_irq_handler(void *disk)
{
	uint64_t start_us = rt_time_us();

	vblk_irq_handler(disk);
	if (!run.submitting)   /* else the thread's span already covers it */
		run.busy_us += rt_time_us() - start_us;
}

bool row_uses_interrupts(const struct row_spec *spec)
{
	return spec->kind == ROW_BIO_RAND || spec->kind == ROW_BIO_BATCH;
}

int run_row(const struct row_spec *spec, struct vblk_disk *disk, struct row_result *result)
{
	int err = vblk_use_interrupts(disk, row_uses_interrupts(spec));
	/* A write-through row starts with nothing dirty in the host's cache,
	 * as U-Boot's disk has: the rows before it wrote into the cache, and
	 * its first flush would pay for them. Untimed. */
	if (!err && spec->kind == ROW_SYNC_SEQ_FLUSH)
		err = vblk_flush(disk);
	if (err)
		return err;
	start_row(disk, spec->op);
	uint64_t start_us = rt_time_us();
	switch (spec->kind) {
	case ROW_SYNC_SEQ:
	case ROW_SYNC_RAND:
	case ROW_SYNC_SEQ_FLUSH:
		run_sync(spec, disk);
		break;
	case ROW_BIO_RAND:
		run_bio_random(spec, disk);
		break;
	case ROW_BIO_BATCH:
		run_bio_batch(spec, disk);
		break;
	}
	result->elapsed_us = rt_time_us() - start_us;
	vblk_stats(disk, &result->stats);
	result->ops = run.ops;
	result->bytes = run.ops * spec->size_bytes;
	result->samples = run.samples;
	result->latency_sum_us = run.latency_sum_us;
	result->p99_us = latency_p99_us();
	result->busy_us = run.busy_us;
	return run.first_error;
}

/* QEMU maps guest RAM on first touch; fill every buffer (with data that
 * is not all zeros, which the write rows then send) before timing. */
static void touch_buffers(void)
{
	uint64_t state = PRNG_SEED;
	uint8_t *buffers[] = { seq_buf, &slot_bufs[0][0], &batch_buf[0][0], &scatter_buf[0][0] };
	size_t sizes[] = { sizeof(seq_buf), sizeof(slot_bufs), sizeof(batch_buf),
			   sizeof(scatter_buf) };

	for (unsigned b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++) {
		for (size_t i = 0; i < sizes[b]; i += sizeof(uint64_t))
			put_le64(buffers[b] + i, prng_next(&state));
	}
}

void rows_set_up(uint64_t each_row_us, uint64_t disk_blocks, uint8_t *peers_buf)
{
	row_us = each_row_us;
	random_blocks = disk_blocks;
	big_buf = peers_buf;
	touch_buffers();
}
