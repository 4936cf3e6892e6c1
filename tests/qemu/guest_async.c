/* SPDX-License-Identifier: MIT */
/*
 * QEMU test cases for the asynchronous API (vblk/bio.h): bios with
 * callbacks, many in flight at once, merged by the request queue, and
 * completed by polling or by the disk's own interrupt.
 *
 * async_io seed= start= count= depth= irq=0|1 [segs=] [align=]
 *   Writes the pattern over the range as bios of mixed sizes, each split
 *   into one to `segs` segments (default 3; some contiguous in memory,
 *   some not),
 *   `depth` bios at a time: every other batch plugged, so it merges; the
 *   others unplugged, so they crowd the ring and wait for room. Flushes
 *   with a FLUSH bio, then reads the range back the same way with other
 *   sizes and checks every byte. Each bio must complete exactly once with
 *   status 0, and the counters must add up and show merging. The host
 *   checks the image afterwards. depth above what the ring holds makes
 *   bios wait in the queue for room (back-pressure); ring_full=1 checks
 *   that they did.
 *
 * merge_equal seed= start= count= irq=0|1
 *   Reads a host-filled range twice: one request per 4 KiB with
 *   vblk_read(), and as plugged adjacent 4 KiB bios that merge. The two
 *   buffers must be equal and hold the pattern, and the counters must show
 *   that the second pass took far fewer requests.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tests/qemu/guest.h"
#include "vblk/runtime.h"
#include "vblk/vblk.h"

#define MAX_DEPTH        128u   /* bios in flight per batch */
#define MAX_SEGS_PER_BIO 16u
#define MAX_BIO_SECTORS  64u
/* Room for a batch of the biggest bios, plus the gaps between segments. */
#define ASYNC_BUF_BYTES  (MAX_DEPTH * (MAX_BIO_SECTORS * SECTOR_BYTES + \
				       MAX_SEGS_PER_BIO * VBLK_DMA_ALIGN))
#define MERGE_BIO_SECTORS 8u    /* 4 KiB */
#define MERGE_BUF_SECTORS 4096u /* 2 MiB per pass */

static uint8_t async_buf[ASYNC_BUF_BYTES] VBLK_ALIGNED;
static uint8_t merge_buf_a[MERGE_BUF_SECTORS * SECTOR_BYTES] VBLK_ALIGNED;
static uint8_t merge_buf_b[MERGE_BUF_SECTORS * SECTOR_BYTES] VBLK_ALIGNED;
static uint8_t batch_warmup[4096] VBLK_ALIGNED;

/* Bio sizes in sectors, cycled through; reads start at another offset so
 * they do not line up with the writes. */
static const uint32_t bio_nsectors[] = { 1, 8, 3, 64, 16, 2, 33, 8, 24, 5 };
#define BIO_SIZES (sizeof(bio_nsectors) / sizeof(bio_nsectors[0]))

/* One bio of a batch and what the test knows about it. */
struct tracked_bio {
	struct vblk_bio bio;
	struct vblk_seg segs[MAX_SEGS_PER_BIO];
	unsigned calls;     /* how often `done` ran: must end at 1 */
	int status;         /* what `done` was told */
};

static struct tracked_bio batch[MAX_DEPTH];
static struct vblk_bio *batch_ptrs[MAX_DEPTH];

static void count_completion(struct vblk_bio *bio, int status)
{
	struct tracked_bio *tracked = bio->private;

	tracked->calls++;
	tracked->status = status;
}

/* ---- interrupts ------------------------------------------------------ */

/* irq=2: the mistake of asking for interrupts without registering the
 * handler, which must cost time, never a bio (and shows in the stats). */
static bool handler_unregistered(void)
{
	return arg_u64("irq", 0) == 2;
}

/* Take the disk's completions by interrupt (irq=1 or 2) or by polling. */
int use_irq_if_asked(struct vblk_disk *disk)
{
	const struct vblk_info *info = vblk_disk_info(disk);

	if (arg_u64("irq", 0) == 0)
		return 0;
	/* A few polled requests first, as firmware would do before it turns
	 * interrupts on: the device may raise an interrupt nobody takes, and
	 * the switch must not leave the line stuck high for an edge-triggered
	 * GIC input (a bug this caught). */
	for (unsigned i = 0; i < 4; i++) {
		int err = vblk_read(disk, 0, batch_warmup, sizeof(batch_warmup) / SECTOR_BYTES);
		if (err)
			return expect_rc("polled vblk_read before interrupts", err, 0);
	}
	if (rt_irq_controller() == 0)
		return fail("irq=1 but the runtime has no interrupt controller");
	printf("interrupt mode: GICv%d, INTID %u (%s-triggered)%s\n", rt_irq_controller(),
	       (unsigned)info->intid, info->irq_edge ? "edge" : "level",
	       handler_unregistered() ? ", no handler registered" : "");
	if (handler_unregistered())
		return expect_rc("vblk_use_interrupts(on)", vblk_use_interrupts(disk, true), 0);
	if (expect_rc("rt_irq_register(disk)",
		      rt_irq_register(info->intid, info->irq_edge, vblk_irq_handler, disk), 0) ||
	    expect_rc("vblk_use_interrupts(on)", vblk_use_interrupts(disk, true), 0))
		return -1;
	return 0;
}

void stop_irq_if_asked(struct vblk_disk *disk)
{
	if (arg_u64("irq", 0) != 0) {
		vblk_use_interrupts(disk, false);
		rt_irq_unregister(vblk_disk_info(disk)->intid);
	}
}

/* ---- building a batch ------------------------------------------------ */

/* segs= (default 3), within what one bio may carry on this disk: a
 * library built with a small VBLK_QUEUE_SIZE allows fewer. */
static unsigned max_segs_per_bio(const struct vblk_disk *disk)
{
	uint64_t segs = arg_u64("segs", 3);

	if (segs == 0 || segs > MAX_SEGS_PER_BIO)
		segs = MAX_SEGS_PER_BIO;
	if (segs > vblk_max_bio_segs(disk))
		segs = vblk_max_bio_segs(disk);
	return (unsigned)segs;
}

/* The next bio's size, rounded to whole logical blocks (align=), and no
 * larger than one request carries (VBLK_MAX_REQUEST_BYTES may be small). */
static uint32_t next_nsectors(const struct vblk_disk *disk, unsigned *turn, uint64_t left)
{
	uint32_t align = (uint32_t)arg_u64("align", 1);
	uint32_t nsectors = bio_nsectors[*turn % BIO_SIZES];
	uint32_t max_nsectors = vblk_max_bio_bytes(disk) / SECTOR_BYTES / align * align;

	(*turn)++;
	nsectors = (nsectors + align - 1) / align * align;
	if (nsectors > max_nsectors)
		nsectors = max_nsectors;
	return left < nsectors ? (uint32_t)left : nsectors;
}

/*
 * Describe `nsectors` at async_buf + *offset as one to three segments of
 * whole blocks. Every second bio leaves a cache line between its segments,
 * so some neighbours are contiguous in memory (the queue may coalesce
 * them into one descriptor) and some are not.
 */
static void lay_out_segments(const struct vblk_disk *disk, struct tracked_bio *tracked,
			     unsigned index, uint32_t nsectors, size_t *offset)
{
	uint32_t align = (uint32_t)arg_u64("align", 1);
	uint32_t nblocks = nsectors / align;
	unsigned nsegs = 1 + index % max_segs_per_bio(disk);
	size_t gap = index % 2 ? VBLK_DMA_ALIGN : 0;

	if (nsegs > nblocks)
		nsegs = nblocks;
	for (unsigned i = 0; i < nsegs; i++) {
		uint32_t seg_blocks = nblocks / nsegs + (i < nblocks % nsegs ? 1 : 0);
		uint32_t len_bytes = seg_blocks * align * SECTOR_BYTES;

		tracked->segs[i] = (struct vblk_seg){ async_buf + *offset, len_bytes };
		*offset += len_bytes + gap;
	}
	tracked->bio.nsegs = (uint16_t)nsegs;
}

/* Fill the batch with up to `depth` bios covering sectors from `sector`,
 * at most `left` of them; returns how many bios. */
static unsigned build_batch(const struct vblk_disk *disk, enum vblk_op op, uint64_t sector,
			    uint64_t left, unsigned depth, unsigned *turn, uint64_t *covered)
{
	size_t offset = 0;
	unsigned n = 0;

	*covered = 0;
	while (n < depth && *covered < left) {
		struct tracked_bio *tracked = &batch[n];
		uint32_t nsectors = next_nsectors(disk, turn, left - *covered);

		memset(tracked, 0, sizeof(*tracked));
		tracked->bio = (struct vblk_bio){
			.op = op,
			.sector = sector + *covered,
			.segs = tracked->segs,
			.done = count_completion,
			.private = tracked,
		};
		lay_out_segments(disk, tracked, *turn, nsectors, &offset);
		batch_ptrs[n++] = &tracked->bio;
		*covered += nsectors;
	}
	return n;
}

/* The pattern into (write) or poison over (read) each bio's segments. */
static void prepare_data(unsigned n, uint64_t seed)
{
	for (unsigned i = 0; i < n; i++) {
		struct vblk_bio *bio = &batch[i].bio;
		uint64_t sector = bio->sector;

		for (unsigned s = 0; s < bio->nsegs; s++) {
			uint32_t nsectors = bio->segs[s].len_bytes / SECTOR_BYTES;

			if (bio->op == VBLK_OP_WRITE)
				fill_pattern(bio->segs[s].addr, seed, sector, nsectors);
			else
				memset(bio->segs[s].addr, POISON_BYTE, bio->segs[s].len_bytes);
			sector += nsectors;
		}
	}
}

static int check_read_data(unsigned n, uint64_t seed)
{
	for (unsigned i = 0; i < n; i++) {
		struct vblk_bio *bio = &batch[i].bio;
		uint64_t sector = bio->sector;

		for (unsigned s = 0; s < bio->nsegs; s++) {
			uint32_t nsectors = bio->segs[s].len_bytes / SECTOR_BYTES;

			if (check_pattern(bio->segs[s].addr, seed, sector, nsectors) != 0)
				return -1;
			sector += nsectors;
		}
	}
	return 0;
}

/* ---- running a batch ------------------------------------------------- */

static int submit_batch(struct vblk_disk *disk, unsigned n, bool plugged)
{
	int err = 0;

	if (plugged)
		vblk_plug(disk);
	for (unsigned i = 0; i < n && !err; i++) {
		err = vblk_submit(disk, batch_ptrs[i]);
		if (err)
			fail("vblk_submit(bio %u, sector %lu) returned %d (%s)", i,
			     (unsigned long)batch_ptrs[i]->sector, err, vblk_strerror(err));
	}
	if (plugged)
		vblk_unplug(disk);
	return err ? -1 : 0;
}

/* Every bio completed exactly once, with status 0. */
static int check_completions(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct tracked_bio *tracked = &batch[i];

		if (tracked->calls != 1 || !tracked->bio.completed)
			return fail("bio %u (sector %lu): done ran %u times, completed=%d", i,
				    (unsigned long)tracked->bio.sector, tracked->calls,
				    tracked->bio.completed);
		if (tracked->status != 0 || tracked->bio.status != 0)
			return fail("bio %u (sector %lu) failed: %s", i,
				    (unsigned long)tracked->bio.sector,
				    vblk_strerror(tracked->status));
	}
	return 0;
}

static int run_batch(struct vblk_disk *disk, unsigned n, bool plugged)
{
	int err;

	if (submit_batch(disk, n, plugged) != 0)
		return -1;
	err = vblk_wait_bios(disk, batch_ptrs, n);
	if (err)
		return fail("vblk_wait_bios(%u bios) returned %d (%s)", n, err,
			    vblk_strerror(err));
	return check_completions(n);
}

/* One pass over the range: write the pattern or read and check it. */
int async_pass(struct vblk_disk *disk, enum vblk_op op, uint64_t seed, uint64_t start,
	       uint64_t count, unsigned depth, unsigned *nbios)
{
	unsigned turn = op == VBLK_OP_READ ? BIO_SIZES / 2 : 0, batches = 0;

	*nbios = 0;
	for (uint64_t done = 0; done < count; batches++) {
		uint64_t covered;
		unsigned n = build_batch(disk, op, start + done, count - done, depth, &turn, &covered);

		prepare_data(n, seed);
		if (run_batch(disk, n, batches % 2 == 0) != 0)
			return -1;
		if (op == VBLK_OP_READ && check_read_data(n, seed) != 0)
			return -1;
		*nbios += n;
		done += covered;
	}
	return 0;
}

static int flush_bio(struct vblk_disk *disk)
{
	struct tracked_bio *tracked = &batch[0];

	memset(tracked, 0, sizeof(*tracked));
	tracked->bio = (struct vblk_bio){ .op = VBLK_OP_FLUSH, .done = count_completion,
					  .private = tracked };
	batch_ptrs[0] = &tracked->bio;
	return run_batch(disk, 1, false);
}

/* ---- counters ---------------------------------------------------------- */

static void print_stats(const char *what, const struct vblk_stats *stats)
{
	printf("%s: %lu bios -> %lu requests (%lu back + %lu front merges, %lu segments "
	       "coalesced), %lu descriptors, %lu notifications, %lu interrupts, "
	       "%lu missed, %lu ring-full waits, %lu errors\n",
	       what, (unsigned long)stats->bios, (unsigned long)stats->requests,
	       (unsigned long)stats->back_merges, (unsigned long)stats->front_merges,
	       (unsigned long)stats->coalesced_segs, (unsigned long)stats->descriptors,
	       (unsigned long)stats->notifications, (unsigned long)stats->interrupts,
	       (unsigned long)stats->missed_interrupts, (unsigned long)stats->queue_full,
	       (unsigned long)stats->errors);
}

/*
 * No handler registered: none may run, and every bio completes all the
 * same (the waits' rechecks find them). Whether a wait also counts a
 * missed interrupt (it must sleep through two rechecks while the device's
 * used-buffer bit is up) is the host's timing: most waits spin first, and
 * a guest CPU the host stalls finds its batch complete before it sleeps
 * (a loaded run saw none in a pass of 120 batches even with waits that
 * always sleep). The count is shown; tests/host/test_queue.c checks it
 * where the timing is the test's own.
 */
static int expect_unheard_interrupts(const struct vblk_stats *stats)
{
	if (stats->interrupts != 0)
		return fail("no handler registered, yet %lu interrupts handled",
			    (unsigned long)stats->interrupts);
	return 0;
}

/*
 * The counters of one pass must add up: every bio accepted, none failed,
 * every request completed; a bio is either the first of a request or
 * merged into one; and with plugged batches, merging must have happened.
 */
static int check_stats(const struct vblk_stats *stats, unsigned nbios, bool irq)
{
	if (stats->bios != nbios)
		return fail("stats.bios %lu, submitted %u", (unsigned long)stats->bios, nbios);
	if (stats->errors != 0)
		return fail("stats.errors %lu", (unsigned long)stats->errors);
	if (stats->completions != stats->requests)
		return fail("%lu requests dispatched, %lu completed",
			    (unsigned long)stats->requests, (unsigned long)stats->completions);
	if (stats->requests + stats->back_merges + stats->front_merges != stats->bios)
		return fail("requests + merges (%lu) != bios (%lu)",
			    (unsigned long)(stats->requests + stats->back_merges +
					    stats->front_merges),
			    (unsigned long)stats->bios);
	/* Half the batches are plugged runs of adjacent bios. */
	if (stats->back_merges == 0 || (stats->back_merges + stats->front_merges) * 4 < stats->bios)
		return fail("plugged adjacent bios did not merge enough");
	if (stats->notifications == 0 || stats->notifications > stats->requests)
		return fail("%lu notifications for %lu requests",
			    (unsigned long)stats->notifications, (unsigned long)stats->requests);
	if (handler_unregistered())
		return expect_unheard_interrupts(stats);
	if (irq && stats->interrupts == 0)
		return fail("interrupt mode, but no interrupt was handled");
	return expect_no_missed_interrupts(stats);
}

int expect_no_missed_interrupts(const struct vblk_stats *stats)
{
	if (stats->missed_interrupts != 0)
		return fail("%lu interrupts never reached the handler",
			    (unsigned long)stats->missed_interrupts);
	return 0;
}

/* ---- the test cases -------------------------------------------------- */

int test_async_io(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1), start, count;
	unsigned depth = (unsigned)arg_u64("depth", 32), nbios;
	bool irq = arg_u64("irq", 0) != 0;
	struct vblk_stats stats;

	if (disk == NULL || chosen_range(disk, &start, &count) != 0)
		return -1;
	if (depth == 0 || depth > MAX_DEPTH)
		return fail("depth=%u: 1..%u", depth, MAX_DEPTH);
	if (use_irq_if_asked(disk) != 0)
		return -1;

	vblk_reset_stats(disk);
	if (async_pass(disk, VBLK_OP_WRITE, seed, start, count, depth, &nbios) != 0)
		return -1;
	vblk_stats(disk, &stats);
	print_stats("writes", &stats);
	if (check_stats(&stats, nbios, irq) != 0)
		return -1;
	if (arg_u64("ring_full", 0) && stats.queue_full == 0)
		return fail("ring_full=1, but no write ever waited for ring space");
	if (flush_bio(disk) != 0)
		return -1;

	vblk_reset_stats(disk);
	if (async_pass(disk, VBLK_OP_READ, seed, start, count, depth, &nbios) != 0)
		return -1;
	vblk_stats(disk, &stats);
	print_stats("reads", &stats);
	if (check_stats(&stats, nbios, irq) != 0)
		return -1;
	stop_irq_if_asked(disk);
	return 0;
}

/* The unmerged pass: one vblk_read() (one request) per 4 KiB. */
static int read_unmerged(struct vblk_disk *disk, uint64_t sector, uint32_t nsectors)
{
	for (uint32_t done = 0; done < nsectors; done += MERGE_BIO_SECTORS) {
		int err = vblk_read(disk, sector + done, merge_buf_a + done * SECTOR_BYTES,
				    MERGE_BIO_SECTORS);
		if (err)
			return expect_rc("vblk_read", err, 0);
	}
	return 0;
}

/* The merged pass: the same 4 KiB pieces as plugged adjacent bios. */
static int read_merged(struct vblk_disk *disk, uint64_t sector, uint32_t nsectors)
{
	unsigned n = 0;

	for (uint32_t done = 0; done < nsectors; done += MERGE_BIO_SECTORS) {
		struct tracked_bio *tracked = &batch[n];

		memset(tracked, 0, sizeof(*tracked));
		tracked->segs[0] = (struct vblk_seg){ merge_buf_b + done * SECTOR_BYTES,
						      MERGE_BIO_SECTORS * SECTOR_BYTES };
		tracked->bio = (struct vblk_bio){ .op = VBLK_OP_READ, .sector = sector + done,
						  .segs = tracked->segs, .nsegs = 1,
						  .done = count_completion, .private = tracked };
		batch_ptrs[n++] = &tracked->bio;
		if (n == MAX_DEPTH || done + MERGE_BIO_SECTORS >= nsectors) {
			if (run_batch(disk, n, true) != 0)
				return -1;
			n = 0;
		}
	}
	return 0;
}

int test_merge_equal(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1), start, count;
	struct vblk_stats unmerged, merged;

	if (disk == NULL || chosen_range(disk, &start, &count) != 0)
		return -1;
	if (count > MERGE_BUF_SECTORS || count % MERGE_BIO_SECTORS != 0)
		return fail("count=%lu: a multiple of %u up to %u", (unsigned long)count,
			    MERGE_BIO_SECTORS, MERGE_BUF_SECTORS);
	if (use_irq_if_asked(disk) != 0)
		return -1;

	memset(merge_buf_a, POISON_BYTE, sizeof(merge_buf_a));
	memset(merge_buf_b, POISON_BYTE ^ 0xff, sizeof(merge_buf_b));
	vblk_reset_stats(disk);
	if (read_unmerged(disk, start, (uint32_t)count) != 0)
		return -1;
	vblk_stats(disk, &unmerged);
	vblk_reset_stats(disk);
	if (read_merged(disk, start, (uint32_t)count) != 0)
		return -1;
	vblk_stats(disk, &merged);
	stop_irq_if_asked(disk);
	print_stats("unmerged", &unmerged);
	print_stats("merged", &merged);

	if (memcmp(merge_buf_a, merge_buf_b, count * SECTOR_BYTES) != 0)
		return fail("merged and unmerged reads differ");
	if (check_pattern(merge_buf_b, seed, start, (uint32_t)count) != 0)
		return -1;
	if (unmerged.requests != count / MERGE_BIO_SECTORS || unmerged.back_merges != 0)
		return fail("unmerged pass: %lu requests for %lu reads",
			    (unsigned long)unmerged.requests,
			    (unsigned long)(count / MERGE_BIO_SECTORS));
	if (merged.bios != count / MERGE_BIO_SECTORS || merged.requests * 8 > merged.bios)
		return fail("merged pass: %lu bios took %lu requests",
			    (unsigned long)merged.bios, (unsigned long)merged.requests);
	return 0;
}
