/*
 * The vblk benchmark (`make bench` builds build/bench.elf and boots it
 * through tools/bench.sh). It times disk 0 with the generic timer, inside
 * the guest, and prints one table:
 *
 *   - sequential reads and writes of 4 KiB, 64 KiB and 1 MiB through the
 *     synchronous, polled API (vblk_read/vblk_write);
 *   - random 4 KiB reads and writes: depth 1 through the synchronous API,
 *     and depth 1, 8 and 32 through interrupt-driven bios, each completion
 *     resubmitting its bio at a new random offset;
 *   - a stream of adjacent 4 KiB bios, 256 (1 MiB) at a time, submitted
 *     plugged (each batch merges into one request) and unplugged (each bio
 *     goes out on its own), with three batches in flight so the guest
 *     prepares one while the device works on the others;
 *   - random bios made of scattered 4 KiB segments (4 or 16 of them, none
 *     contiguous with the next), so a request needs 6 or 18 descriptors:
 *     at depth 32 the 18-descriptor chains would need 576 of the ring's
 *     256 descriptors, which is where indirect descriptors should pay.
 *
 * Each row runs for a fixed stretch of guest time (row_ms= on the
 * semihosting command line, default 500 ms). Throughput is bytes over the
 * row's wall time; latency is one op's, from its submission (or the sync
 * call) to its completion, except in the batch rows, where it is a whole
 * batch's (its first submission to its last completion): timing each of
 * their bios would cost more guest time than the driver spends on one.
 * An "op" is one sync call or one bio; the op/req ... desc/r columns are vblk_stats deltas per op or per request the
 * driver sent, and busy% is how much of a bio row the guest spent working
 * (interrupt handler, submitting) rather than asleep waiting for QEMU.
 *
 * With the semihosting argument mode=yardstick it runs only the yardstick
 * instead (bench/yardstick.c: vblk against a minimal guest on this disk).
 *
 * With the semihosting argument mode=peers (`make bench-peers`) it runs
 * only the operations tools/bench-peers.sh times Debian's U-Boot doing:
 * 4 KiB reads and writes one at a time, and 64 MiB reads in one call each
 * (U-Boot sends such a `virtio read` as one request), into a buffer in the
 * RAM after the image.
 *
 * It writes all over the disk, so it refuses to run unless disk 0's serial
 * is BENCH_SERIAL: tools/bench.sh gives it a scratch image with that
 * serial, and a user's disk never has it. Exit status 0, or 1 on any
 * failure (an I/O error included).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prng.h"
#include "vblk/runtime.h"
#include "vblk/vblk.h"
#include "yardstick.h"

#define BENCH_SERIAL "vblk-bench-scratch"

#define KIB 1024u
#define MIB (1024u * 1024u)
#define US_PER_S 1000000u

#define DEFAULT_ROW_MS 500u
#define MAX_ROW_MS 10000u
#define SMALL_IO_BYTES (4u * KIB)
#define SEQ_BUF_BYTES MIB           /* the largest sequential request */
#define MAX_DEPTH 32u               /* random bios in flight at once */
#define BATCH_BIOS 256u             /* adjacent 4 KiB bios per batch: 1 MiB */
#define BATCHES_IN_FLIGHT 3u         /* plugged reads: 2 gave 0.57-0.83 of the 1 MiB rate, 3 gave 0.70-1.00 */
#define MAX_SCATTER_SEGS 16u        /* segments of a scattered bio */
#define CMDLINE_BYTES 256
#define PEER_BIG_BYTES (64u * MIB)  /* mode=peers: one large read per call */
#define BIG_BUF_ALIGN (2u * MIB)

/* Latencies in 1 us buckets; anything slower lands in the last one, and
 * then the maximum stands in for p99. */
#define LATENCY_BUCKETS 16384u

enum row_kind {
	ROW_SYNC_SEQ,    /* vblk_read/vblk_write at consecutive offsets, polled */
	ROW_SYNC_RAND,   /* vblk_read/vblk_write at random offsets, polled */
	ROW_BIO_RAND,    /* `depth` bios kept in flight at random offsets, IRQs */
	ROW_BIO_BATCH,   /* a stream of batches of `depth` adjacent bios, IRQs */
};

struct row_spec {
	const char *pattern;   /* "seq" or "rand": what tools/bench.sh maps */
	enum vblk_op op;
	uint32_t size_bytes;   /* per op */
	unsigned depth;        /* ops in flight */
	enum row_kind kind;
	bool plugged;          /* ROW_BIO_BATCH: inside vblk_plug/vblk_unplug */
	const char *api;       /* for the table; no spaces (the script splits on them) */
	unsigned scatter_segs; /* ROW_BIO_RAND: 0, or this many scattered segments */
};

static const struct row_spec rows[] = {
	{ "seq", VBLK_OP_READ, 4 * KIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_READ, 64 * KIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_READ, MIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_WRITE, 4 * KIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_WRITE, 64 * KIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_WRITE, MIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "rand", VBLK_OP_READ, 4 * KIB, 1, ROW_SYNC_RAND, false, "sync-poll", 0 },
	{ "rand", VBLK_OP_READ, 4 * KIB, 1, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "rand", VBLK_OP_READ, 4 * KIB, 8, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "rand", VBLK_OP_READ, 4 * KIB, 32, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "rand", VBLK_OP_WRITE, 4 * KIB, 1, ROW_SYNC_RAND, false, "sync-poll", 0 },
	{ "rand", VBLK_OP_WRITE, 4 * KIB, 1, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "rand", VBLK_OP_WRITE, 4 * KIB, 8, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "rand", VBLK_OP_WRITE, 4 * KIB, 32, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "seq", VBLK_OP_READ, 4 * KIB, BATCH_BIOS, ROW_BIO_BATCH, true, "bio-irq-plug", 0 },
	{ "seq", VBLK_OP_READ, 4 * KIB, BATCH_BIOS, ROW_BIO_BATCH, false, "bio-irq", 0 },
	{ "seq", VBLK_OP_WRITE, 4 * KIB, BATCH_BIOS, ROW_BIO_BATCH, true, "bio-irq-plug", 0 },
	{ "seq", VBLK_OP_WRITE, 4 * KIB, BATCH_BIOS, ROW_BIO_BATCH, false, "bio-irq", 0 },
	{ "rand", VBLK_OP_READ, 16 * KIB, 1, ROW_BIO_RAND, false, "bio-irq-sg4", 4 },
	{ "rand", VBLK_OP_READ, 16 * KIB, 32, ROW_BIO_RAND, false, "bio-irq-sg4", 4 },
	{ "rand", VBLK_OP_READ, 64 * KIB, 1, ROW_BIO_RAND, false, "bio-irq-sg16", 16 },
	{ "rand", VBLK_OP_READ, 64 * KIB, 32, ROW_BIO_RAND, false, "bio-irq-sg16", 16 },
	{ "rand", VBLK_OP_WRITE, 64 * KIB, 1, ROW_BIO_RAND, false, "bio-irq-sg16", 16 },
	{ "rand", VBLK_OP_WRITE, 64 * KIB, 32, ROW_BIO_RAND, false, "bio-irq-sg16", 16 },
};
#define ROW_COUNT (sizeof(rows) / sizeof(rows[0]))

/* mode=peers: what tools/bench-peers.sh has U-Boot do (`virtio read` and
 * `virtio write` of 8 sectors at consecutive offsets, and of 64 MiB). */
static const struct row_spec peer_rows[] = {
	{ "seq", VBLK_OP_READ, 4 * KIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_WRITE, 4 * KIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_READ, PEER_BIG_BYTES, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
};
#define PEER_ROW_COUNT (sizeof(peer_rows) / sizeof(peer_rows[0]))
static bool peers_mode;
/* mode=yardstick: only vblk against the minimal guest (bench/yardstick.c). */
static bool yardstick_mode;

/* Data buffers. Static, so QEMU backs them with host memory only when
 * first touched (PEERS.md: about 3 ms per MiB): touch_buffers() does that
 * before anything is timed. */
static uint8_t seq_buf[SEQ_BUF_BYTES] VBLK_ALIGNED;
static uint8_t slot_bufs[MAX_DEPTH][SMALL_IO_BYTES] VBLK_ALIGNED;
static uint8_t batch_buf[BATCHES_IN_FLIGHT][BATCH_BIOS * SMALL_IO_BYTES] VBLK_ALIGNED;
/* Scattered segments: segment i of slot s is page i * MAX_DEPTH + s, so no
 * segment is contiguous with the next one of its bio. */
static uint8_t scatter_buf[MAX_SCATTER_SEGS * MAX_DEPTH][SMALL_IO_BYTES] VBLK_ALIGNED;
/* mode=peers: PEER_BIG_BYTES of RAM after the image (not .bss, which boot
 * code would zero on every run); NULL otherwise. */
static uint8_t *big_buf;
extern char _end[];

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
static uint64_t row_us = (uint64_t)DEFAULT_ROW_MS * 1000u;

/* What one row produced, for its line in the table. */
struct row_result {
	uint64_t ops, bytes, elapsed_us;
	uint64_t samples, latency_sum_us;
	uint32_t p99_us;
	uint64_t busy_us;
	struct vblk_stats stats;   /* delta over the row */
};

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
	uint64_t deadline_us = rt_time_us() + row_us;
	uint8_t *buf = spec->size_bytes > sizeof(seq_buf) ? big_buf : seq_buf;

	if (buf == NULL) {
		record_error(-VBLK_EINVAL);
		return;
	}
	for (uint64_t now = rt_time_us(); now < deadline_us && !run.first_error;) {
		if (spec->kind == ROW_SYNC_RAND)
			sector = random_sector(spec->size_bytes);
		else if (sector + nsectors > capacity)
			sector = 0;
		record_error(sync_io(disk, spec->op, sector, buf, spec->size_bytes));
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
static void timed_irq_handler(void *disk)
{
	uint64_t start_us = rt_time_us();

	vblk_irq_handler(disk);
	if (!run.submitting)   /* else the thread's span already covers it */
		run.busy_us += rt_time_us() - start_us;
}

static bool row_uses_interrupts(const struct row_spec *spec)
{
	return spec->kind == ROW_BIO_RAND || spec->kind == ROW_BIO_BATCH;
}

static int run_row(const struct row_spec *spec, struct vblk_disk *disk, struct row_result *result)
{
	int err = vblk_use_interrupts(disk, row_uses_interrupts(spec));
	if (err)
		return err;
	start_row(disk, spec->op);
	uint64_t start_us = rt_time_us();
	switch (spec->kind) {
	case ROW_SYNC_SEQ:
	case ROW_SYNC_RAND:
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

/* ---- the table ------------------------------------------------------ */
/* The runtime's printf has no floating point: fixed-point by hand. */

/* value / divisor with `decimals` (1 or 2) digits after the point. */
static void print_fixed(int width, uint64_t value, uint64_t divisor, unsigned decimals)
{
	uint64_t scale = decimals == 1 ? 10 : 100;
	uint64_t scaled = divisor ? (value * scale + divisor / 2) / divisor : 0;
	char text[32];

	snprintf(text, sizeof(text), "%llu.%0*llu", (unsigned long long)(scaled / scale),
		 (int)decimals, (unsigned long long)(scaled % scale));
	printf(" %*s", width, text);
}

static void print_size(uint32_t size_bytes)
{
	char text[16];

	if (size_bytes >= MIB)
		snprintf(text, sizeof(text), "%uM", (unsigned)(size_bytes / MIB));
	else
		snprintf(text, sizeof(text), "%uK", (unsigned)(size_bytes / KIB));
	printf(" %5s", text);
}

static void print_table_header(void)
{
	printf("%-5s %-5s %5s %5s %-12s %7s %8s %7s %7s %7s %6s %6s %6s %6s %6s %6s %5s\n",
	       "test", "rw", "size", "depth", "api", "ops", "MiB/s", "IOPS", "mean_us", "p99_us",
	       "op/req", "req/op", "kick/r", "irq/r", "desc/r", "full/r", "busy%");
}

static void print_row(const struct row_spec *spec, const struct row_result *result)
{
	const struct vblk_stats *stats = &result->stats;

	printf("%-5s %-5s", spec->pattern, spec->op == VBLK_OP_WRITE ? "write" : "read");
	print_size(spec->size_bytes);
	printf(" %5u %-12s %7llu", spec->depth, spec->api, (unsigned long long)result->ops);
	print_fixed(8, result->bytes * US_PER_S, result->elapsed_us * MIB, 1);
	printf(" %7llu", (unsigned long long)(result->elapsed_us
					       ? result->ops * US_PER_S / result->elapsed_us : 0));
	print_fixed(7, result->latency_sum_us, result->samples, 1);
	printf(" %7u", (unsigned)result->p99_us);
	print_fixed(6, result->ops, stats->requests, 2);
	print_fixed(6, stats->requests, result->ops, 2);
	print_fixed(6, stats->notifications, stats->requests, 2);
	print_fixed(6, stats->interrupts, stats->requests, 2);
	print_fixed(6, stats->descriptors, stats->requests, 2);
	print_fixed(6, stats->queue_full, stats->requests, 2);
	if (row_uses_interrupts(spec))
		printf(" %5llu\n", (unsigned long long)(result->elapsed_us
						       ? result->busy_us * 100 / result->elapsed_us : 0));
	else
		printf(" %5s\n", "-");   /* polling: busy all the time by construction */
	/* A figure taken while interrupts went nowhere would measure the
	 * recheck timer, not the driver: say so under the row. */
	if (stats->missed_interrupts != 0)
		printf("bench: WARNING: %llu interrupts of the row above never reached the "
		       "handler\n", (unsigned long long)stats->missed_interrupts);
}

static void print_legend(void)
{
	printf("op: one sync call (sync-*) or one bio (bio-*); MiB/s and IOPS over the row's "
	       "wall time;\n"
	       "latency: submission (or call) to completion of one op (the batch rows: of one\n"
	       "batch, first submission to last completion), 1 us timer resolution;\n"
	       "op/req, req/op: ops per virtio request sent (merging) and requests per op "
	       "(splitting);\n"
	       "kick/r, irq/r, desc/r: notifications, interrupts, ring descriptors per request\n"
	       "(a chain through an indirect table takes one);\n"
	       "full/r: dispatches held back for ring space, per request;\n"
	       "busy%%: share of the row the guest spent in the disk's interrupt handler or\n"
	       "submitting (bio rows; the rest it slept in wfi, or polled inside a wait,\n"
	       "which finds completions at low depth and is not counted)\n");
}

/* ---- set-up --------------------------------------------------------- */

static void parse_cmdline(void)
{
	char cmdline[CMDLINE_BYTES];
	const char *found;

	if (rt_cmdline(cmdline, sizeof(cmdline)) < 0)
		return;
	cmdline[sizeof(cmdline) - 1] = '\0';
	peers_mode = strstr(cmdline, "mode=peers") != NULL;
	yardstick_mode = strstr(cmdline, "mode=yardstick") != NULL;
	yardstick_configure(cmdline);
	found = strstr(cmdline, "row_ms=");
	if (found != NULL) {
		unsigned long ms = strtoul(found + strlen("row_ms="), NULL, 10);
		if (ms > 0 && ms <= MAX_ROW_MS)
			row_us = (uint64_t)ms * 1000u;
	}
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

/* mode=peers: PEER_BIG_BYTES of the RAM after the image (and after the
 * device tree, should QEMU have put it there), touched before timing. */
static int setup_big_buffer(void)
{
	uintptr_t start = (uintptr_t)_end, dtb = (uintptr_t)rt_dtb();

	if (dtb >= start)
		start = dtb + rt_dtb_max_bytes();
	start = (start + BIG_BUF_ALIGN - 1) & ~(uintptr_t)(BIG_BUF_ALIGN - 1);
	uint64_t ram_end = rt_ram_end(start);
	if (ram_end != 0 && PEER_BIG_BYTES <= ram_end - start) {
		big_buf = (uint8_t *)start;
		uint64_t state = PRNG_SEED;
		for (size_t j = 0; j < PEER_BIG_BYTES; j += sizeof(uint64_t))
			put_le64(big_buf + j, prng_next(&state));
		return 0;
	}
	printf("bench: no %u MiB of RAM after the image for mode=peers (use -m 512M)\n",
	       (unsigned)(PEER_BIG_BYTES / MIB));
	return -1;
}

/* Refuse any disk but the scratch image tools/bench.sh made: every row
 * of writes overwrites data all over it. */
static int check_scratch_disk(struct vblk_disk *disk)
{
	char id[21];
	int err = vblk_get_id(disk, id);

	if (err || strcmp(id, BENCH_SERIAL) != 0) {
		printf("bench: disk 0's serial is not \"%s\": not a scratch disk, not writing "
		       "to it (run `make bench`)\n", BENCH_SERIAL);
		return -1;
	}
	if (vblk_disk_info(disk)->read_only) {
		printf("bench: disk 0 is read-only\n");
		return -1;
	}
	if (vblk_capacity(disk) * VBLK_SECTOR_SIZE < sizeof(batch_buf) + MIB) {
		printf("bench: disk 0 is too small\n");
		return -1;
	}
	return 0;
}

/* The disk's completions reach vblk_irq_handler through the GIC, with the
 * trigger the device tree gives (vblk_info.irq_edge), wrapped so the
 * bench can tell how much of a row the guest spent handling them. */
static int register_disk_irq(struct vblk_disk *disk)
{
	const struct vblk_info *info = vblk_disk_info(disk);

	if (info->intid == 0) {
		printf("bench: no interrupt for disk 0 in the device tree\n");
		return -1;
	}
	int err = rt_irq_register(info->intid, info->irq_edge, timed_irq_handler, disk);
	if (err)
		printf("bench: rt_irq_register(%u): %s\n", (unsigned)info->intid,
		       vblk_strerror(err));
	return err;
}

static void print_disk(struct vblk_disk *disk)
{
	const struct vblk_info *info = vblk_disk_info(disk);
	char features[256];

	char transport[32];

	vblk_feature_names(info->features, features, sizeof(features));
	if (info->transport == VBLK_TRANSPORT_PCI)
		snprintf(transport, sizeof(transport), "virtio-pci %02x:%02x.%u",
			 (unsigned)info->pci.bus, (unsigned)info->pci.dev, (unsigned)info->pci.fn);
	else
		snprintf(transport, sizeof(transport), "virtio-mmio v%u",
			 (unsigned)info->mmio_version);
	printf("disk 0: %llu MiB, %s, queue size %u, features %s\n",
	       (unsigned long long)(info->capacity_sectors * VBLK_SECTOR_SIZE / MIB), transport,
	       (unsigned)info->queue_size, features);
	if (!yardstick_mode)
		printf("each row runs %llu ms of guest time; timer: generic timer (rt_time_us)\n",
		       (unsigned long long)(row_us / 1000u));
}

static struct vblk_disk *setup(void)
{
	parse_cmdline();
	int ndisks = vblk_init_from_dt(rt_dtb(), rt_dtb_max_bytes());
	if (ndisks <= 0) {
		printf("bench: no disk: %s\n", ndisks < 0 ? vblk_strerror(ndisks) : "none attached");
		return NULL;
	}
	struct vblk_disk *disk = vblk_disk(0);
	if (check_scratch_disk(disk) != 0 || register_disk_irq(disk) != 0)
		return NULL;
	if (peers_mode && vblk_capacity(disk) * VBLK_SECTOR_SIZE < PEER_BIG_BYTES) {
		printf("bench: disk 0 is too small for mode=peers\n");
		return NULL;
	}
	if (peers_mode && setup_big_buffer() != 0)
		return NULL;
	random_blocks = vblk_capacity(disk) / (SMALL_IO_BYTES / VBLK_SECTOR_SIZE);
	touch_buffers();
	print_disk(disk);
	return disk;
}

int main(void)
{
	struct vblk_disk *disk = setup();
	struct row_result result;

	if (disk == NULL)
		return 1;
	if (yardstick_mode)
		return yardstick_run(disk) == 0 && vblk_flush(disk) == 0 ? 0 : 1;
	const struct row_spec *table = peers_mode ? peer_rows : rows;
	unsigned count = peers_mode ? PEER_ROW_COUNT : ROW_COUNT;
	print_table_header();
	for (unsigned i = 0; i < count; i++) {
		int err = run_row(&table[i], disk, &result);
		if (err) {
			printf("bench: row %u (%s %s) failed: %s\n", i, table[i].pattern,
			       table[i].api, vblk_strerror(err));
			return 1;
		}
		print_row(&table[i], &result);
	}
	print_legend();
	int err = vblk_use_interrupts(disk, false);
	if (!err)
		err = vblk_flush(disk);
	if (err) {
		printf("bench: %s\n", vblk_strerror(err));
		return 1;
	}
	return 0;
}
