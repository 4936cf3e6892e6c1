/* SPDX-License-Identifier: MIT */
/*
 * The yardstick (bench/yardstick.h): vblk and the minimal guest take turns
 * on one disk. Each side's turn begins with a reset and its own
 * initialisation (minimal_attach, or minimal_detach then vblk_reset) and a
 * few untimed requests, so neither inherits the other's ring or a cold
 * start, and a turn's figures are requests over the guest time it ran.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minimal.h"
#include "prng.h"
#include "vblk/runtime.h"
#include "yardstick.h"

#define KIB 1024u
#define MIB (1024u * 1024u)
#define DEFAULT_ROUNDS 8u
#define MAX_ROUNDS 100u
#define DEFAULT_PHASE_MS 100u
#define MAX_PHASE_MS 10000u
#define WARMUP_OPS 4u       /* untimed, after each change of owner */
#define OPS_PER_CLOCK 8u    /* requests between looks at the clock: under
			       TCG a CNTVCT read takes QEMU's global lock */

/* How vblk waits in a row, and against which of the minimal guest's
 * waits it is measured. */
enum yard_wait {
	YARD_POLL,   /* vblk polled (vblk_use_interrupts off) vs the spinning
			minimal guest: the polled targets */
	YARD_BEST,   /* vblk with interrupts, its adaptive wait
			(blk/spin_or_sleep.c), vs both minimal waits,
			spinning and sleeping, in the same round: the
			waiting target takes the better one;
			and vs the minimal guest sleeping with a deadline as
			vblk does (what vblk's bound on a sleep costs) */
};

struct yard_row {
	const char *pattern;   /* "rand" or "seq" */
	enum vblk_op op;
	uint32_t size_bytes;
	enum yard_wait wait;
	unsigned depth;        /* requests in flight; above 1 only YARD_BEST */
};

static const struct yard_row rows[] = {
	{ "rand", VBLK_OP_READ, 4 * KIB, YARD_POLL, 1 },
	{ "rand", VBLK_OP_READ, 4 * KIB, YARD_BEST, 1 },
	{ "rand", VBLK_OP_WRITE, 4 * KIB, YARD_POLL, 1 },
	{ "rand", VBLK_OP_WRITE, 4 * KIB, YARD_BEST, 1 },
	{ "seq", VBLK_OP_READ, MIB, YARD_POLL, 1 },
	{ "seq", VBLK_OP_READ, MIB, YARD_BEST, 1 },
	{ "seq", VBLK_OP_WRITE, MIB, YARD_POLL, 1 },
	{ "seq", VBLK_OP_WRITE, MIB, YARD_BEST, 1 },
	/* Issue 18's depth target: vblk's interrupt-driven bios, each
	 * completion resubmitting its own (as the table's bio-irq rows),
	 * against the minimal guest keeping 32 chains in flight. */
	{ "rand", VBLK_OP_READ, 4 * KIB, YARD_BEST, MINIMAL_MAX_DEPTH },
};
#define ROW_COUNT (sizeof(rows) / sizeof(rows[0]))

static unsigned rounds = DEFAULT_ROUNDS;
static uint64_t phase_us = (uint64_t)DEFAULT_PHASE_MS * 1000u;
static bool small_rows_only;   /* rows=d1: the depth-1 4 KiB rows only */
static bool deep_rows_only;    /* rows=d32: the depth-32 row only (it only
				  reads: tests/qemu checks the disk after) */

static uint8_t buf[MIB] VBLK_ALIGNED;
static struct minimal_regs regs;
static struct vblk_disk *disk;
static uint64_t prng_state = PRNG_SEED;
static uint64_t next_seq_sector;   /* both sides walk on from here */

/* Requests and guest time one side ran, over a round's turns; for vblk
 * also the interrupts it took (how often its waits slept). */
struct side {
	uint64_t ops, elapsed_us, interrupts;
};

static unsigned long option(const char *cmdline, const char *name, unsigned long max,
			    unsigned long fallback)
{
	const char *found = strstr(cmdline, name);
	if (found == NULL)
		return fallback;
	unsigned long value = strtoul(found + strlen(name), NULL, 10);
	return value > 0 && value <= max ? value : fallback;
}

void yardstick_configure(const char *cmdline)
{
	rounds = (unsigned)option(cmdline, "rounds=", MAX_ROUNDS, DEFAULT_ROUNDS);
	phase_us = option(cmdline, "phase_ms=", MAX_PHASE_MS, DEFAULT_PHASE_MS) * 1000u;
	small_rows_only = strstr(cmdline, "rows=d1") != NULL;
	deep_rows_only = strstr(cmdline, "rows=d32") != NULL;
}

/* The next request's sector: random and aligned to its size, or the next
 * one on, wrapping at the end of the disk. */
static uint64_t next_sector(const struct yard_row *row)
{
	uint64_t nsectors = row->size_bytes / VBLK_SECTOR_SIZE;
	uint64_t slots = vblk_capacity(disk) / nsectors;

	if (row->pattern[0] == 'r')
		return prng_next(&prng_state) % slots * nsectors;
	if (next_seq_sector + nsectors > vblk_capacity(disk))
		next_seq_sector = 0;
	uint64_t sector = next_seq_sector;
	next_seq_sector += nsectors;
	return sector;
}

static int vblk_op(const struct yard_row *row)
{
	uint32_t nsectors = row->size_bytes / VBLK_SECTOR_SIZE;
	uint64_t sector = next_sector(row);

	if (row->op == VBLK_OP_WRITE)
		return vblk_write(disk, sector, buf, nsectors);
	return vblk_read(disk, sector, buf, nsectors);
}

static int minimal_op(const struct yard_row *row)
{
	minimal_io(next_sector(row));
	return 0;
}

/*
 * Depth N. vblk's side: one bio per slot, each on its own 4 KiB of buf;
 * a completion counts itself and, until the deadline, resubmits its bio
 * at the next sector, from the interrupt handler (or from inside the
 * thread's vblk_drain, which spins a while before it sleeps). The clock is
 * read every OPS_PER_CLOCK completions, as the minimal guest's stream
 * does, and nothing else is timed per request: the table's bio-irq rows
 * (bench/rows.c) also time every bio's latency, which costs a clock read
 * per request neither side should pay here.
 */
static struct {
	struct vblk_bio bio;
	struct vblk_seg seg;
} slots[MINIMAL_MAX_DEPTH];

struct stream_state {
	const struct yard_row *row;
	uint64_t deadline_us, completed;
	bool stopping;
	int err;             /* the first failure: no more resubmissions */
};
static struct stream_state stream;

static uint64_t next_stream_sector(void)
{
	return next_sector(stream.row);
}

static void on_stream_done(struct vblk_bio *bio, int status)
{
	stream.completed++;
	if (status && !stream.err)
		stream.err = status;
	if (!stream.stopping && stream.completed % OPS_PER_CLOCK == 0)
		stream.stopping = rt_time_us() >= stream.deadline_us;
	if (stream.stopping || stream.err)
		return;
	bio->sector = next_stream_sector();
	int err = vblk_submit(disk, bio);   /* a completed bio may go again */
	if (err)
		stream.err = err;
}

static void start_stream(const struct yard_row *row, uint64_t deadline_us)
{
	stream = (struct stream_state){ .row = row, .deadline_us = deadline_us };
}

static uint64_t vblk_stream(const struct yard_row *row, uint64_t deadline_us, int *err)
{
	start_stream(row, deadline_us);
	for (unsigned i = 0; i < row->depth && !stream.err; i++) {
		slots[i].seg = (struct vblk_seg){ buf + (size_t)i * row->size_bytes,
						  row->size_bytes };
		slots[i].bio = (struct vblk_bio){
			.op = row->op, .sector = next_stream_sector(), .segs = &slots[i].seg,
			.nsegs = 1, .done = on_stream_done,
		};
		int submit_err = vblk_submit(disk, &slots[i].bio);
		if (submit_err && !stream.err)
			stream.err = submit_err;
	}
	int drain_err = vblk_drain(disk);
	*err = stream.err ? stream.err : drain_err;
	return stream.completed;
}

/* The minimal guest's side: its chains, prepared on the same 4 KiB
 * pieces of buf, kept in flight the same way (bench/minimal.c). */
static uint64_t minimal_stream_op(const struct yard_row *row, uint64_t deadline_us, int *err)
{
	start_stream(row, deadline_us);
	*err = 0;
	return minimal_stream(next_stream_sector, deadline_us);
}

/* One side's turn: requests back to back for `turn_us` of guest time. */
static int run_turn(const struct yard_row *row, int (*one_op)(const struct yard_row *),
		    uint64_t turn_us, struct side *side)
{
	int err = 0;

	struct vblk_stats before = { 0 }, after = { 0 };

	for (unsigned i = 0; i < WARMUP_OPS && !err; i++)
		err = one_op(row);
	vblk_stats(disk, &before);
	uint64_t start_us = rt_time_us(), now_us = start_us, ops = 0;
	while (!err && now_us - start_us < turn_us) {
		for (unsigned i = 0; i < OPS_PER_CLOCK && !err; i++, ops++)
			err = one_op(row);
		now_us = rt_time_us();
	}
	vblk_stats(disk, &after);
	side->ops += ops;
	side->elapsed_us += now_us - start_us;
	side->interrupts += after.interrupts - before.interrupts;
	return err;
}

/* A turn at depth N: the side keeps row->depth requests in flight until
 * `turn_us` has passed, then waits for the last of them; the turn's time
 * runs to there. First an untimed pass with a deadline already past:
 * every slot's request goes out, the completions before the first look
 * at the clock go out again, and all are waited for. */
static int run_stream_turn(const struct yard_row *row,
			   uint64_t (*stream_op)(const struct yard_row *, uint64_t, int *),
			   uint64_t turn_us, struct side *side)
{
	struct vblk_stats before = { 0 }, after = { 0 };
	int err;

	(void)stream_op(row, 0, &err);
	if (err)
		return err;
	vblk_stats(disk, &before);
	uint64_t start_us = rt_time_us();
	uint64_t ops = stream_op(row, start_us + turn_us, &err);
	uint64_t end_us = rt_time_us();
	vblk_stats(disk, &after);
	side->ops += ops;
	side->elapsed_us += end_us - start_us;
	side->interrupts += after.interrupts - before.interrupts;
	return err;
}

/* The disk's interrupt goes to whoever owns the device now. */
static int route_interrupt(void (*handler)(void *), void *ctx)
{
	const struct vblk_info *info = vblk_disk_info(disk);

	rt_irq_unregister(info->intid);
	return rt_irq_register(info->intid, info->irq_edge, handler, ctx);
}

static int give_to_minimal(const struct yard_row *row, enum minimal_wait wait)
{
	int err = minimal_attach(&regs, row->depth);
	if (!err)
		err = route_interrupt(minimal_irq_handler, &regs);
	minimal_prepare_depth(row->op, buf, row->size_bytes, row->depth, wait);
	return err;
}

/* vblk owns the disk: its handler takes the interrupt, in the row's mode. */
static int vblk_takes_row(const struct yard_row *row)
{
	int err = route_interrupt(vblk_irq_handler, disk);
	if (!err)
		err = vblk_use_interrupts(disk, row->wait == YARD_BEST);
	return err;
}

static int give_to_vblk(const struct yard_row *row)
{
	int err = minimal_detach();
	if (!err && minimal_last_status() != 0)
		err = -VBLK_EIO;   /* the minimal guest's last request failed */
	if (!err)
		err = vblk_reset(disk);
	if (!err)
		err = vblk_takes_row(row);
	return err;
}

/* One round of a polled row, A B B A: vblk for a turn, the spinning
 * minimal guest for two, vblk for one; vblk owns the disk before and
 * after. */
static int run_poll_round(const struct yard_row *row, struct side *vblk_side,
			  struct side *spin_side)
{
	int err = run_turn(row, vblk_op, phase_us, vblk_side);
	if (!err)
		err = give_to_minimal(row, MINIMAL_SPIN);
	if (!err)
		err = run_turn(row, minimal_op, 2 * phase_us, spin_side);
	if (!err)
		err = give_to_vblk(row);
	if (!err)
		err = run_turn(row, vblk_op, phase_us, vblk_side);
	return err;
}

/* One turn of vblk or of the minimal guest, at the row's depth. */
static int vblk_turn(const struct yard_row *row, struct side *side)
{
	if (row->depth > 1)
		return run_stream_turn(row, vblk_stream, phase_us, side);
	return run_turn(row, vblk_op, phase_us, side);
}

static int minimal_turn(const struct yard_row *row, struct side *side)
{
	if (row->depth > 1)
		return run_stream_turn(row, minimal_stream_op, phase_us, side);
	return run_turn(row, minimal_op, phase_us, side);
}

/* One round of a waiting row, A B C D D C B A: vblk, the minimal guest
 * spinning, sleeping, sleeping with a deadline (as vblk sleeps), then
 * back the same way. Each side runs two turns, placed symmetrically. The
 * minimal guest changes its wait between requests (nothing in flight).
 * At depth N without the deadline wait, A B C C B A: it tells nothing
 * new there and would add a fifth of a second per round to `make bench`. */
static int run_best_round(const struct yard_row *row, struct side *vblk_side,
			  struct side *waits[3])
{
	static const enum minimal_wait kinds[3] = { MINIMAL_SPIN, MINIMAL_SLEEP,
						    MINIMAL_SLEEP_DEADLINE };
	static const unsigned order[6] = { 0, 1, 2, 2, 1, 0 };
	static const unsigned order_deep[4] = { 0, 1, 1, 0 };
	const unsigned *turns = row->depth > 1 ? order_deep : order;
	unsigned nturns = row->depth > 1 ? 4 : 6;
	int err = vblk_turn(row, vblk_side);

	if (!err)
		err = give_to_minimal(row, MINIMAL_SPIN);
	for (unsigned i = 0; i < nturns && !err; i++) {
		minimal_prepare_depth(row->op, buf, row->size_bytes, row->depth, kinds[turns[i]]);
		err = minimal_turn(row, waits[turns[i]]);
	}
	if (!err)
		err = give_to_vblk(row);
	if (!err)
		err = vblk_turn(row, vblk_side);
	return err;
}

static int run_row(const struct yard_row *row)
{
	int err = vblk_takes_row(row);

	for (unsigned round = 1; round <= rounds && !err; round++) {
		struct side vblk_side = { 0 }, spin_side = { 0 }, sleep_side = { 0 };
		struct side deadline_side = { 0 };
		struct side *waits[3] = { &spin_side, &sleep_side, &deadline_side };
		if (row->wait == YARD_BEST)
			err = run_best_round(row, &vblk_side, waits);
		else
			err = run_poll_round(row, &vblk_side, &spin_side);
		if (err)
			break;
		printf("yard %s %s %uK %u %s %u %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
		       row->pattern,
		       row->op == VBLK_OP_WRITE ? "write" : "read",
		       (unsigned)(row->size_bytes / KIB), row->depth,
		       row->wait == YARD_BEST ? "best" : "poll",
		       round, (unsigned long long)vblk_side.ops,
		       (unsigned long long)vblk_side.elapsed_us, (unsigned long long)spin_side.ops,
		       (unsigned long long)spin_side.elapsed_us, (unsigned long long)sleep_side.ops,
		       (unsigned long long)sleep_side.elapsed_us,
		       (unsigned long long)vblk_side.interrupts,
		       (unsigned long long)deadline_side.ops,
		       (unsigned long long)deadline_side.elapsed_us);
	}
	return err;
}

static void touch_buffer(void)
{
	uint64_t state = PRNG_SEED;

	for (size_t i = 0; i < sizeof(buf); i += sizeof(uint64_t))
		put_le64(buf + i, prng_next(&state));
}

int yardstick_run(struct vblk_disk *scratch)
{
	disk = scratch;
	int err = minimal_find_regs(disk, &regs);
	if (err) {
		printf("yardstick: where are the disk's registers? %s\n", vblk_strerror(err));
		return err;
	}
	touch_buffer();
	printf("yardstick: %u rounds of vblk %llu ms, minimal guest 2 x %llu ms, vblk %llu ms\n",
	       rounds, (unsigned long long)(phase_us / 1000u),
	       (unsigned long long)(phase_us / 1000u), (unsigned long long)(phase_us / 1000u));
	for (unsigned i = 0; i < ROW_COUNT && !err; i++) {
		if (small_rows_only && (rows[i].size_bytes != 4 * KIB || rows[i].depth != 1))
			continue;
		if (deep_rows_only && rows[i].depth == 1)
			continue;
		err = run_row(&rows[i]);
		if (err)
			printf("yardstick: row %u failed: %s\n", i, vblk_strerror(err));
	}
	const struct vblk_info *info = vblk_disk_info(disk);
	rt_irq_unregister(info->intid);
	int poll_err = vblk_use_interrupts(disk, false);
	return err ? err : poll_err;
}
