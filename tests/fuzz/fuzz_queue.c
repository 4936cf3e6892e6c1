/* SPDX-License-Identifier: MIT */
/*
 * Stateful libFuzzer target for the whole driver (issue 13): the input is
 * a program of steps against one disk on the fake virtio device of the
 * host tests (tests/host/fake_virtio.h, built without cmocka, so a hang
 * or a broken harness rule aborts), on virtio-mmio or virtio-pci, on a
 * split or a packed ring, and invariants are checked after every step.
 *
 *   make build/fuzz/fuzz_queue
 *   build/fuzz/fuzz_queue -max_total_time=60 tests/fuzz/corpus/queue
 *   FUZZ_QUEUE_TRACE=1 build/fuzz/fuzz_queue crash-file   # print each step
 * Built with -DVBLK_TRACE=1 added to FUZZ_CFLAGS (in a build directory
 * of its own), FUZZ_QUEUE_TRACE prints the driver's trace lines too.
 *
 * The seeds in tests/fuzz/corpus/queue are named by what they do; `xxd`
 * shows their bytes and FUZZ_QUEUE_TRACE their steps. defect1/3/4-* were
 * written for, and found-defect* found by fuzzing, three bugs of issue 13
 * on the driver before its fix: a plug a callback took during a wait
 * stalled the wait (1); an undefined InterruptStatus bit was never
 * acknowledged, so the handler was entered without end (3); a bio
 * submitted again while queued cut its request's bio list (4).
 * pci-packed-found-used-descriptor-at-an-unpublished-chain was found on
 * the driver of 2026-12-07: a used descriptor the device had left at a
 * slot ahead of its used position was taken as the completion of a chain
 * added there but not yet published, which was then published anyway.
 * packed-* run such programs on the packed ring, pci-* on virtio-pci;
 * *line-mate-* share the disk's interrupt line with a polled disk (ring
 * byte bit 4). *plug-overflow-polled* plug, submit more bios than there
 * are request slots (on a ring that takes 8, 1 or 2 chains, one with a
 * FLUSH among the writes) and only poll: the stalls fixed on 2026-12-07
 * (7c63cb6, 586613b), which the liveness invariant finds on the driver
 * before them; plug-not-full-held-while-polled is a plug that may hold
 * its requests for ever. at-isr-second-read-completes-* place a
 * completion at the handler's second InterruptStatus read (the AT step):
 * the defect fixed in fa3e9ae, which the prompt-harvest invariant finds
 * on the driver before it (virtio-pci). ring-point-completes-in-a-wait-*
 * complete a request at the third ring point of a wait with interrupts
 * (a barrier or a store of a ring field: FAKE_AT_RING_POINT).
 *
 * Input: one byte describing the device, one describing its ring, then
 * steps until the input ends (past the end every byte reads 0,
 * fuzz_input.h). The device byte:
 *   bit 0 legacy (version 1), bit 1 no INDIRECT_DESC, bit 2 no EVENT_IDX,
 *   bit 3 no FLUSH, bit 4 read-only, bits 5-6 QueueNumMax 1024/4/8/16,
 *   bit 7 seg_max 2, size_max 1 KiB and 2 sectors per discard or
 *   write-zeroes segment (else QEMU's 254, no size_max and the fake's
 *   defaults): a request then carries at most 4 sectors, so a
 *   synchronous call is a batch of up to 8 requests, as many as the
 *   driver has (the device may break or stall it half way). Discards may start at
 *   any sector, as on QEMU 7.2 with 512-byte blocks.
 * The ring byte:
 *   bit 0 offer VIRTIO_F_RING_PACKED (QEMU's packed=on), which the driver
 *   accepts: the packed ring (virtio 1.2 §2.8, vring/packed.c) instead
 *   of the split one. Only a modern device offers it: legacy
 *   virtio-mmio shows no feature bit above 31 (QEMU reads the second
 *   word as 0), so with device bit 0 the ring stays split;
 *   bits 1-2 QueueNumMax as the device byte says, or 5, 7, 13: not
 *   powers of 2, which a packed ring takes as they are (its laps end
 *   where no power of 2 puts them, part way through a chain of 3
 *   slots), and a split ring rounds down to 4, 4, 8;
 *   bit 3 the device polls the ring at every relax step and asks not to
 *   be notified (split: NO_NOTIFY, or with EVENT_IDX an avail_event out
 *   of reach; packed: DISABLE), so the driver's side of notification
 *   suppression runs;
 *   bit 4 a second disk on the same interrupt line (a PCI INTx line is
 *   shared), polled, whose device interrupts at its first completion
 *   whatever it was asked (as QEMU's does): the disk's handler, the only
 *   one registered, must lower that line too, or a controller would take
 *   it for ever; each POLL step then reads a sector of it, polled;
 *   bit 5 the disks are virtio-pci functions (modern: device bit 0 is
 *   ignored) instead of virtio-mmio devices: the ISR clears when read,
 *   which the transport answers as InterruptStatus and InterruptACK;
 *   bit 6 the extended step language (below): SUBMIT takes two more
 *   argument bytes, a program of callback actions; without it every
 *   input runs as it did before the extension;
 *   bit 7 the lifecycle language (below): opcodes 19-25 added (taken
 *   modulo their count); without it every input runs as before.
 *   The ring has its own byte because the device byte has no bit left.
 *   Taking it second shifted every program one byte: the seeds written
 *   before it got a 0 there (split, the device byte's QueueNumMax), so
 *   they still run the steps they ran.
 * The disk has 128 sectors; the library is built with a 16-entry queue
 * (8 requests), so a few dozen bios fill it and wait for a request.
 * Each step is an opcode byte (modulo OP_COUNT, numbered as in enum op)
 * and its argument bytes:
 *   0 SUBMIT a, b, c   a bio from a pool of POOL_BIOS, each with its own
 *                      stretch of a buffer pool.
 *                      a: bits 0-1 READ/WRITE/FLUSH/WRITE, bits 2-3
 *                      segments 1/2/3/1, bit 4 segments contiguous in
 *                      memory, bits 5-6 where: at sector b, just after
 *                      the last bio (back merge), just before it (front
 *                      merge), over it; bit 7 no `done` callback.
 *                      c: bit 0 sectors per segment - 1 (up to
 *                      SEG_SECTORS_MAX), bit 1 a range op instead of
 *                      FLUSH (DISCARD) or of the second WRITE
 *                      (WRITE_ZEROES, with VBLK_WZ_UNMAP when b is odd),
 *                      of segments x sectors sectors and no segments,
 *                      bits 2-3 what the callback does
 *                      (nothing, submit a follow-up bio, plug and submit
 *                      one, call back into vblk: ask for a reset of the
 *                      disk and a vblk_shutdown, both refused with
 *                      -VBLK_ESTATE; switch the
 *                      interrupt mode, on for an odd sector; read 1 to 8
 *                      sectors of the disk synchronously, checked against
 *                      the model), bits 4-7 a flaw (enum flaw; 9-15
 *                      none): out of range, misaligned, bad segment
 *                      length, too many segments, no segments, bad op,
 *                      the same bio again while the driver holds it, a
 *                      segment outside the DMA ranges (each program
 *                      gives the harness's buffers as the ranges, so a
 *                      good bio refused with -VBLK_EFAULT fails it)
 *   1 PLUG   2 UNPLUG   3 POLL (and a read of the line's other disk)
 *   5 DRAIN   6 RESET (vblk_reset)
 *   4 WAIT m           vblk_wait_bios on the held bios whose rank
 *                      (mod 8) has its bit set in m
 *   7 INTERRUPTS on    vblk_use_interrupts(bit 0)
 *   8 SYNC k, s, n     vblk_read (k%3 0), vblk_write (1) or vblk_flush
 *                      (2) of n%32+1 sectors at s % capacity
 *   9 COMPLETION m, d  the device completes immediately, d relax steps
 *                      later, or only when told (m%3)
 *  10 COMPLETE_SOME n  complete n%4+1 held requests now
 *  11 ORDER o, seed    FIFO, reversed or shuffled (o%3)
 *  12 CORRUPT_USED f   the next used entry (bit 7: every one) gets fault
 *                      f%7+1 (enum fake_virtio_used_fault). On a packed
 *                      ring they damage the used descriptor (fake_virtio.h
 *                      says how), and IDX_BACKWARDS, with no used index
 *                      to move, is WRONG_WRAP: a used descriptor carrying
 *                      the other lap's flags, which reads as stale;
 *                      ID_NOT_HEAD is ID_OUT_OF_RANGE (used_fault() says
 *                      why)
 *  13 STATUS_FAULT k, n  bit 0: fail requests over sector n, else the
 *                      n%4+1th request from now; bit 1 sticky; bits 2-3
 *                      status IOERR/UNSUPP/0xEE (unknown)/IOERR
 *  14 IRQ_DELIVERY d   the interrupt line reaches vblk_irq_handler:
 *                      never (lost), at once, or at every other chance
 *                      (late), d%3
 *  15 RAISE_BITS i     raise InterruptStatus bits 0x20, 0x1, 0x2, 0x24,
 *                      0x80000000 or 0x3 ((i & 0x7f) % 6; bit 7: bits
 *                      outside 0-1 stay up through every ACK, as on a
 *                      broken device), while the device runs
 *  16 RESET_DELAY r    Status reads back its old value r more times after
 *                      a reset; 255: never within the driver's bound
 *  17 NEEDS_RESET      the device sets DEVICE_NEEDS_RESET and stops
 *                      (while it runs)
 *  18 RESIZE c         the capacity becomes c sectors (config interrupt)
 * Callbacks submit (and plug) from wherever the driver runs them: inside
 * vblk_poll, a wait, vblk_submit itself, or the interrupt handler.
 *
 * Extended language (ring byte bit 6): SUBMIT a, b, c, d, e. d is a
 * program of two callback actions run after c's (bits 0-3 first, 4-7
 * second), e their argument; a bio resubmitted by its own callback keeps
 * its program without that action, a follow-up gets none:
 *   0 nothing                 8 vblk_plug
 *   1 vblk_poll               9 vblk_unplug
 *   2 vblk_use_interrupts on  10 vblk_reset and vblk_shutdown (refused)
 *   3 vblk_use_interrupts off 11 read 1-8 sectors synchronously
 *   4 submit a held bio again 12 vblk_flush
 *     (the e-th held after the bio's own slot): refused, unchanged
 *   5 resubmit the bio itself (not zeroed, as bio.h allows)
 *   6 vblk_wait_bios on held bios (mask e)
 *   7 vblk_drain              13 a follow-up bio
 *   14 read the line's other disk (else vblk_poll)
 *   15 vblk_poll, then submit a held bio again (as 4)
 * Lifecycle language (ring byte bit 7), steps added to the opcodes:
 *  19 SHUTDOWN r       vblk_shutdown with whatever is held (r bit 0: a
 *                      stalled reset left stalled), then the devices
 *                      attached again as disks 0 and 1; every bio has
 *                      completed, the old disk refuses every call with
 *                      -VBLK_ESTATE, quarantined buffers are free once the
 *                      attach's reset completed
 *  20 GET_ID           vblk_get_id: 0 with the device's serial, or an error
 *  21 SYNC_RANGE k,s,n vblk_discard (k bit 0 clear) or vblk_write_zeroes
 *                      (k bit 1: VBLK_WZ_UNMAP) of n%16+1 sectors at s
 *  22 STATS b          vblk_stats: the counts bound each other and only
 *                      grow; b bit 0 vblk_reset_stats, bit 1 vblk_dump
 *  23 TIMEOUT t        vblk_set_timeout_us 200, 1000, 3000 or 60 us
 *  24 ATTACH_AGAIN     vblk_attach(_pci) of the disk's device: -VBLK_ESTATE,
 *                      nothing touched
 *  25 CALLBACK_EXTRA x every callback from now on also: nothing, reads
 *                      vblk_stats, resets the line's other disk (a read of
 *                      it under way may then end -VBLK_ECANCELED), vblk_dump,
 *                      attaches the disk's device again, switches the other
 *                      disk to polled, gives the DMA ranges again (x%7)
 * The AT step, in every language: a raw opcode byte 0xf8-0xfe (before
 * the modulo; no committed input had one in an opcode's place, so each
 * replays as before: 0xff and every other byte keep their meaning), then
 *   a: with opcode 0xf8-0xfb, bits 0-2 where (enum
 *      fake_virtio_access_kind): the driver's read of InterruptStatus (the
 *      ISR), of Status, of configuration space, of ConfigGeneration, its
 *      write of InterruptACK (virtio-mmio only), of a notification, its
 *      read of the clock (where a wait looks at the used ring between
 *      two), a relax step; bits 4-7 which such access from now, 1st to
 *      16th; with opcode 0xfc-0xfe, at a ring point (a ring barrier or a
 *      store of a ring field the device reads: FAKE_AT_RING_POINT), bits
 *      0-2 and 4-7 which from now, 1st to 128th (bits 0-2 the high
 *      ones); bit 3 the CPU takes the interrupt right after that access
 *      if IRQs are open;
 *   b: bits 0-3 what the device does just before that access takes its
 *      value (at a ring point: just before the barrier or the store)
 *      (modulo 9): completes the oldest held request, the newest
 *      (out of order), all in order, all newest first, resizes (bits 4-7
 *      pick the capacity, 0 to 256 sectors; the model follows at that
 *      instant), raises InterruptStatus bits (bits 4-7 as RAISE_BITS,
 *      not sticky), sets DEVICE_NEEDS_RESET, finishes a reset under way,
 *      stalls it (bits 4-7: 1 to 16 more reads of the old Status; with
 *      none under way, every later reset, as RESET_DELAY).
 * Up to FAKE_AT_MAX events are armed at once (one more replaces the
 * oldest); a device that is not running drops the ones only a running
 * device causes (a resize it does at any time, as QMP's block_resize).
 * The program's end cancels what has not fired.
 * FUZZ_QUEUE_PAIR=split-mmio|packed-mmio|split-pci|packed-pci holds every
 * input to that ring and transport, for a campaign on one pair.
 * Extra invariants, checked in both languages: a refused vblk_submit
 * changes neither the bio nor the accepted-bios count; a held bio has
 * `owner` set and `completed` clear between steps, a completed one
 * `owner` cleared; a wait called from a callback returns 0 only when its
 * bios all succeeded, never -VBLK_EINVAL for bios that were held, and
 * -VBLK_ESTATE only with one not yet completed; a buffer of a bio that
 * completed is never handed to the device again: each write buffer is
 * filled with STALE bytes once it completes, and no sector of the disk
 * may ever hold them.
 *
 * The disk's timeout is TIMEOUT_US; the device knobs are the fake's, and
 * its misbehaviour is what a driver must survive. The program ends with
 * the device set to behave: the liveness check (below), vblk_drain, and
 * vblk_reset if the disk is dead.
 *
 * Invariants (abort, naming the one broken):
 *  - each accepted bio completes exactly once: its callback never runs
 *    twice, and by the end of the program every one has run;
 *  - a refused bio's callback never runs, and a flawed bio or one the
 *    driver already holds is refused with a documented error; every
 *    status is from the documented set;
 *  - nothing is still held when the disk is dead (a probe submission is
 *    refused with -VBLK_EBROKEN or -VBLK_ESTATE), when vblk_drain or
 *    vblk_reset returns 0, or when vblk_wait_bios returns (for its bios);
 *  - no write into memory the driver does not own: canaries around every
 *    buffer and in the unused parts of the pool; a write buffer does not
 *    change while the driver holds it; a buffer does not change after its
 *    bio completed or was refused; the device never sees a chain it holds
 *    change (the fake's CLN-1; on a packed ring PK-8 and PK-9: a slot,
 *    indirect table or header changed, PK-18: a buffer ID exposed again);
 *  - a successful read returns what the shadow model of the disk says;
 *    sectors a failed write, overlapping writes in flight or a shrink
 *    touched are unknown until written again; the disk itself matches the
 *    model at the end;
 *  - the ring is touched only with IRQs masked (every ring point,
 *    FAKE_AT_RING_POINT, of a step), but by a set-up (attach, reset,
 *    shutdown), whose disk is not ready and left alone by the handler:
 *    anywhere else the handler could run in the middle of a ring
 *    operation, on the same ring;
 *  - no step takes unbounded time: each has a budget of host relax steps
 *    (host_fail aborts past it, as it does for a loop of sleeps that end
 *    at once), and the interrupt handler is not taken again and again
 *    with the line never cleared.
 *  - liveness: at the end of the program, the device set to behave,
 *    vblk_poll alone (no unplug, wait or drain) completes every bio but
 *    those a plug that is not full may hold for ever. The device
 *    completes all it holds, then vblk_poll, up to LIVENESS_POLLS rounds
 *    (LIVENESS_IDLE in a row with nothing completed end them; the clock
 *    moves on after each, so a completion the device lost earlier ends
 *    in the request's timeout, as polling makes it); a bio
 *    still held after them must be in a pending request (not waiting for
 *    a request slot, not in flight) of a disk that is plugged, has no bio
 *    waiting for a slot and fewer than BLK_PLUG_MAX_REQS requests pending
 *    (blk/disk.h, blk/queue.h), and must not be one the harness marked
 *    `must_go`: submitted while the disk was unplugged from outside a
 *    callback (the run vblk_submit makes reached it), or held at a moment
 *    the plug was full (a bio waiting for a slot, or BLK_PLUG_MAX_REQS
 *    pending), looked at after every vblk_submit, in every callback and
 *    after every step. The marks are the harness's own, not the driver's
 *    `run_left_pending`, so a driver that loses track of what a run reached is
 *    caught. Skipped if the device stopped (NEEDS_RESET) or the disk is
 *    dead; the drain after it checks those.
 *  - prompt harvest: when the interrupt handler returns with the
 *    device's line down, and after every step, a disk in interrupt mode
 *    (not inside a wait that polls with interrupts off, not stopped) has
 *    no completion waiting in its used ring: one is announced by its
 *    interrupt, which the handler harvests after acknowledging it, and
 *    one left there with the line down waits for a wait's recheck
 *    (VBLK_IRQ_RECHECK_US) or, with no wait, for ever
 *    (check_nothing_stranded). On the driver before fa3e9ae (the second
 *    InterruptStatus read's completion dropped) the seeds
 *    at-isr-second-read-completes-*-pci break it.
 *  - a resize is seen "at once in interrupt mode, at the next vblk_poll
 *    when polled" (vblk.h): between steps a disk in interrupt mode whose
 *    running device's line is down, and after a POLL step a polled one,
 *    has the device's capacity (check_capacity_seen).
 * A bio completed with -VBLK_EHELD is quarantined (the device may still
 * use its buffers): its slot is not reused and its buffers not checked
 * until a vblk_reset completes; a write with it makes its sectors unknown.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/host/fake_virtio.h"
#include "tests/host/fake_virtio_pci.h"
#include "vblk/vblk.h"
#include "tests/fuzz/fuzz_input.h"
/* The liveness check reads the queue's state (plugged, pending, waiting). */
#include "blk/disk.h"

/* Calls that set a disk up (or tear it down), counted: they may touch
 * its ring with IRQs open (check_ring_points_masked). Each use below
 * goes through these, but for calls expected to be refused, written
 * (vblk_reset)(disk): a name in parentheses is not a macro call, so a
 * refused call does not turn the check off for its step. */
static unsigned setup_calls;
#define vblk_reset(disk) (setup_calls++, vblk_reset(disk))
#define vblk_attach(base, intid) (setup_calls++, vblk_attach(base, intid))
#define vblk_attach_pci(ecam, bus, dev, fn, intid) \
	(setup_calls++, vblk_attach_pci(ecam, bus, dev, fn, intid))
#define vblk_shutdown() (setup_calls++, vblk_shutdown())

#define DISK_SECTORS     128u
#define MODEL_SECTORS    FAKE_DISK_BACKED_MAX_SECTORS  /* the most a resize makes */
#define TIMEOUT_US       1000u
/* A stalled reset waits out the driver's bound (VBLK_RESET_TIMEOUT_US);
 * the clock runs faster meanwhile so that costs few relax steps. */
#define STALL_STEP_US    500u
#define STALL_READS      0xffffffffu
#define STEP_RELAX_LIMIT 2000000ull
/* Handler runs in a row with the line still up: far more than a callback
 * chain of POOL_BIOS bios can cause. */
#define IRQ_STORM_RUNS   1000u
/* The liveness check (finish_program): at most this many rounds of
 * "the device completes all it holds, then vblk_poll", ended early after
 * LIVENESS_IDLE rounds in a row in which nothing completed. The clock
 * moves LIVENESS_STEP_US after each such round, so a request whose
 * completion the device lost (a used-ring fault) times out, as polling
 * makes it (vblk_poll): 12 ms, past the longest timeout (TIMEOUT step:
 * 3 ms) and the status check that times a passed-over request (1 ms). */
#define LIVENESS_POLLS   256u
#define LIVENESS_IDLE    24u
#define LIVENESS_STEP_US 500u

#define POOL_BIOS        24u
#define SEGS_MAX         3u
#define SEG_SECTORS_MAX  2u
#define BIO_SECTORS_MAX  (SEGS_MAX * SEG_SECTORS_MAX)
#define GAP_BYTES        64u    /* canary before and after each buffer */
#define SLOT_BYTES       (GAP_BYTES + SEGS_MAX * (SEG_SECTORS_MAX * VBLK_SECTOR_SIZE + GAP_BYTES))
#define TOO_MANY_SEGS    16u    /* > the most segments any device here takes */
#define SYNC_SECTORS_MAX 32u
#define SECTOR_WORDS     (VBLK_SECTOR_SIZE / sizeof(uint64_t))

#define CANARY           0xcbu
#define READ_POISON      0x5au  /* a read that moves no data shows */
#define STALE            0xdeu  /* a completed write's buffer: never on the disk */
#define TAG_ZERO         0u     /* never written: the disk starts zeroed */
#define TAG_UNKNOWN      0xffffffffu
#define STATUS_DRIVER_OK 0x04u

/* ---- checks -------------------------------------------------------- */

static bool tracing;

static void check_at(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_queue: invariant broken: %s\n", what);
		abort();
	}
}

#define check(cond, what) check_at((cond), (what))

static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
	va_list args;

	if (!tracing)
		return;
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
}

#if VBLK_TRACE
/* Built with -DVBLK_TRACE=1, the driver's own trace lines (plat/trace.h:
 * each chain, publication and used descriptor) print among the steps. */
int vblk_printf(const char *fmt, ...)
{
	va_list args;
	int len;

	if (!tracing)
		return 0;
	va_start(args, fmt);
	len = vfprintf(stderr, fmt, args);
	va_end(args);
	return len;
}
#endif

static bool is_completion_status(int status)
{
	switch (-status) {
	case VBLK_OK: case VBLK_EIO: case VBLK_EUNSUPP: case VBLK_ETIMEDOUT:
	case VBLK_EBROKEN: case VBLK_ECANCELED: case VBLK_ERANGE: case VBLK_EHELD:
		return true;
	}
	return false;
}

static bool is_error(int rc)
{
	return rc < 0 && -rc < VBLK_ERROR_COUNT;
}

/* ---- the shadow model of the disk ----------------------------------- */

/* What a sector holds: the pattern of the write tagged `tag`, zeroes, or
 * unknown. A read may be checked only against a sector that was known and
 * had no write in flight when it started, and that no write touched
 * since (last_write_seq). */
struct sector_model {
	uint32_t tag;
	uint32_t last_write_seq;
	uint16_t writes_in_flight;
	bool contended;    /* two writes in flight at once: either may land last */
	bool haunted;      /* a write completed with -VBLK_EHELD may still land */
};

static struct sector_model model[MODEL_SECTORS];
static uint32_t write_seq;
static uint32_t next_tag;

static uint64_t pattern_word(uint32_t tag, uint64_t sector, unsigned word)
{
	if (tag == TAG_ZERO)
		return 0;
	return (((uint64_t)tag << 32 | (uint32_t)sector) ^ (uint64_t)word << 48) *
	       0x9e3779b97f4a7c15ull;
}

static void fill_sector(uint8_t *buf, uint32_t tag, uint64_t sector)
{
	for (unsigned i = 0; i < SECTOR_WORDS; i++) {
		uint64_t word = pattern_word(tag, sector, i);
		memcpy(buf + i * sizeof(word), &word, sizeof(word));
	}
}

static bool sector_holds(const uint8_t *buf, uint32_t tag, uint64_t sector)
{
	for (unsigned i = 0; i < SECTOR_WORDS; i++) {
		uint64_t word;
		memcpy(&word, buf + i * sizeof(word), sizeof(word));
		if (word != pattern_word(tag, sector, i))
			return false;
	}
	return true;
}

/* Sectors past the model (only a refused bio reaches them) are left out. */
static uint64_t model_end(uint64_t first, uint64_t count)
{
	return first >= MODEL_SECTORS ? first
	       : count > MODEL_SECTORS - first ? MODEL_SECTORS : first + count;
}

static void model_write_start(uint64_t first, uint64_t count)
{
	write_seq++;
	for (uint64_t s = first; s < model_end(first, count); s++) {
		model[s].contended |= model[s].writes_in_flight > 0;
		model[s].writes_in_flight++;
		model[s].tag = TAG_UNKNOWN;
		model[s].last_write_seq = write_seq;
	}
}

static void model_write_end(uint64_t first, uint64_t count, uint32_t tag, int status)
{
	for (uint64_t s = first; s < model_end(first, count); s++) {
		struct sector_model *m = &model[s];
		bool known = status == 0 && !m->contended && !m->haunted;
		m->tag = known ? tag : TAG_UNKNOWN;
		m->haunted |= status == -VBLK_EHELD;
		if (--m->writes_in_flight == 0)
			m->contended = false;
	}
}

/* Sectors a read starting now may be checked on, a bit each. */
static uint64_t model_stable(uint64_t first, uint64_t count)
{
	uint64_t stable = 0;

	for (uint64_t s = first; s < model_end(first, count); s++) {
		if (model[s].tag != TAG_UNKNOWN && model[s].writes_in_flight == 0 && !model[s].haunted)
			stable |= 1ull << (s - first);
	}
	return stable;
}

/* `stable`: model_stable() said so when the read started, `since_seq`
 * was write_seq then. */
static void check_read_sector(const uint8_t *buf, uint64_t sector, bool stable, uint32_t since_seq)
{
	if (stable && model[sector].last_write_seq <= since_seq)
		check(sector_holds(buf, model[sector].tag, sector),
		      "a successful read returns what was written (shadow model)");
}

/* A resize drops what lies past the new end (the fake zeroes it when the
 * disk grows again): like a write of zeroes there. */
static void model_resize(uint64_t capacity)
{
	write_seq++;
	for (uint64_t s = capacity; s < MODEL_SECTORS; s++) {
		model[s].contended |= model[s].writes_in_flight > 0;
		model[s].tag = model[s].writes_in_flight ? TAG_UNKNOWN : TAG_ZERO;
		model[s].last_write_seq = write_seq;
	}
}

/* ---- the bio pool ---------------------------------------------------- */

enum slot_state { SLOT_FREE, SLOT_HELD, SLOT_QUARANTINED };

enum callback_action { AFTER_NOTHING, AFTER_SUBMIT, AFTER_PLUG_SUBMIT, AFTER_CALL_BACK };

enum flaw {
	FLAW_NONE,
	FLAW_OUT_OF_RANGE,
	FLAW_MISALIGNED,
	FLAW_BAD_SEG_LEN,
	FLAW_TOO_MANY_SEGS,
	FLAW_NO_SEGS,
	FLAW_BAD_OP,
	FLAW_AGAIN,
	FLAW_OUTSIDE_RAM,
	FLAW_COUNT,
};

struct slot {
	struct vblk_bio bio;
	struct vblk_seg segs[TOO_MANY_SEGS];
	enum slot_state state;
	bool used;            /* its region holds a layout, not all canary */
	unsigned waited;      /* in running vblk_wait_bios calls: not reused */
	bool submitting;      /* inside its vblk_submit call */
	bool must_go;         /* no plug may hold it (the liveness check):
				 submitted unplugged, or held when the
				 plug was full */
	unsigned generation;  /* submissions of this slot */
	enum callback_action action;
	uint8_t ext_actions;  /* extended language: the callback program */
	uint8_t ext_arg;
	struct bio_plan_saved {
		enum vblk_op op;
		uint32_t range_flags;
		unsigned nsegs;
		uint32_t seg_sectors;
		bool contiguous;
		uint64_t sector;
	} plan;
	unsigned callbacks;
	uint64_t sum;         /* HELD write: its segments; FREE: the region */
	uint32_t tag;         /* write: the pattern it carries */
	uint32_t seq;         /* write: its write_seq; read: write_seq when submitted */
	uint64_t stable;      /* read: model_stable() then */
	/* A write refused after model_write_start: what to put back. */
	uint32_t prior_tag[BIO_SECTORS_MAX], prior_seq[BIO_SECTORS_MAX];
	unsigned prior_count;
};

static struct slot pool[POOL_BIOS];
static uint8_t buffers[POOL_BIOS][SLOT_BYTES] VBLK_ALIGNED;
static uint8_t too_many_segs_area[TOO_MANY_SEGS * 2 * VBLK_SECTOR_SIZE] VBLK_ALIGNED;
/* Never among the DMA ranges: where FLAW_OUTSIDE_RAM points a segment. */
static uint8_t outside_area[SEG_SECTORS_MAX * VBLK_SECTOR_SIZE] VBLK_ALIGNED;
static uint8_t canary_block[SLOT_BYTES];   /* what untouched pool memory holds */
static unsigned next_slot;   /* round robin: a freed slot rests longest */

static uint8_t sync_area[GAP_BYTES + SYNC_SECTORS_MAX * VBLK_SECTOR_SIZE + GAP_BYTES] VBLK_ALIGNED;
static uint8_t *const sync_buf = sync_area + GAP_BYTES;
static uint64_t sync_sum;

/* The synchronous reads callbacks make (AFTER_CALL_BACK), one buffer per
 * depth: a callback's read waits, and the callbacks that wait runs may
 * read too. Deeper than CALLBACK_DEPTH, a callback does not read. */
#define CALLBACK_DEPTH   4u
#define CALLBACK_SECTORS 8u
#define CALLBACK_BYTES   (GAP_BYTES + CALLBACK_SECTORS * VBLK_SECTOR_SIZE + GAP_BYTES)
static uint8_t callback_area[CALLBACK_DEPTH][CALLBACK_BYTES] VBLK_ALIGNED;
static uint64_t callback_sum[CALLBACK_DEPTH];
static unsigned callback_depth;

static uint64_t checksum(const uint8_t *bytes, size_t len)
{
	uint64_t sum = 0;

	for (size_t i = 0; i + sizeof(uint64_t) <= len; i += sizeof(uint64_t)) {
		uint64_t word;
		memcpy(&word, bytes + i, sizeof(word));
		sum = (sum ^ word) * 0x100000001b3ull + i;
	}
	return sum;
}

static uint64_t segments_sum(const struct slot *t)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < t->bio.nsegs; i++)
		sum = sum * 31 + checksum(t->segs[i].addr, t->segs[i].len_bytes);
	return sum;
}

static uint8_t *region(const struct slot *t)
{
	return buffers[t - pool];
}

static bool all_canary(const uint8_t *bytes, size_t len)
{
	return memcmp(bytes, canary_block, len) == 0;
}

/* Everything in the slot's region outside its segments is canary. */
static bool canaries_intact(const struct slot *t)
{
	const uint8_t *at = region(t);

	for (unsigned i = 0; i < t->bio.nsegs; i++) {
		const uint8_t *seg = t->segs[i].addr;
		if (!all_canary(at, (size_t)(seg - at)))
			return false;
		at = seg + t->segs[i].len_bytes;
	}
	return all_canary(at, (size_t)(region(t) + SLOT_BYTES - at));
}

static bool is_range_op(enum vblk_op op)
{
	return op == VBLK_OP_DISCARD || op == VBLK_OP_WRITE_ZEROES;
}

/* Does the bio change the disk (and the model)? */
static bool changes_disk(enum vblk_op op)
{
	return op == VBLK_OP_WRITE || is_range_op(op);
}

/* What a completed bio leaves in its sectors: a write its pattern,
 * WRITE_ZEROES zeroes, DISCARD anything (virtio 1.2 §5.2.6.2: reads of a
 * discarded range need not return zeroes, even though the fake does). */
static uint32_t tag_left(const struct vblk_bio *bio, uint32_t write_tag)
{
	if (bio->op == VBLK_OP_WRITE_ZEROES)
		return TAG_ZERO;
	return bio->op == VBLK_OP_DISCARD ? TAG_UNKNOWN : write_tag;
}

static uint64_t bio_sectors(const struct vblk_bio *bio)
{
	uint64_t bytes = 0;

	if (is_range_op(bio->op))
		return bio->nsectors;

	for (unsigned i = 0; i < bio->nsegs; i++)
		bytes += bio->segs[i].len_bytes;
	return bytes / VBLK_SECTOR_SIZE;
}

/* A slot that is neither held nor in a wait's set, the longest free. */
static struct slot *free_slot(void)
{
	for (unsigned i = 0; i < POOL_BIOS; i++) {
		struct slot *t = &pool[(next_slot + i) % POOL_BIOS];
		if (t->state == SLOT_FREE && t->waited == 0) {
			next_slot = (unsigned)(t - pool) + 1;
			return t;
		}
	}
	return NULL;
}

/* ---- the machine ----------------------------------------------------- */

static struct fake_virtio *fv;
static struct vblk_disk *disk;
static bool read_only;
static bool ring_packed;
/* Ring byte bit 4: the other disk on the disk's interrupt line. */
#define LINE_INTID        48u
#define LINE_MATE_SECTORS 16u
static struct fake_virtio *mate_fv;
static struct vblk_disk *mate;
/* Ring byte bit 5: the disks' functions, on one fake ECAM. */
#define PCI_BAR_STRIDE 0x100000u
static bool on_pci;
static struct fake_pci *ecam;
static unsigned mate_reads;
static uint8_t mate_buf[VBLK_SECTOR_SIZE] VBLK_ALIGNED;
static uint64_t last_start, last_end;  /* the last accepted bio's sectors */

static void on_done(struct vblk_bio *bio, int status);
static bool ext_mode;          /* ring byte bit 6: the extended language */
static bool lifecycle_mode;    /* ring byte bit 7: the lifecycle language */
static uint32_t disk_intid;    /* what the disk was attached with */
/* CALLBACK_EXTRA: what every callback does besides its own actions. */
enum cb_extra { CB_NONE, CB_STATS, CB_RESET_MATE, CB_DUMP, CB_ATTACH_AGAIN, CB_MATE_IRQ,
		CB_DMA_RANGES, CB_COUNT };
static enum cb_extra cb_extra;
static unsigned mate_resets;   /* resets of the line mate that completed */
static void run_cb_extra(void);
static unsigned callbacks_run; /* every callback, for "a refusal changes nothing" */

/* ---- completing ------------------------------------------------------ */

static void submit_follow_up(const struct slot *parent, bool plug);

/* The driver handed the bio back (its callback, or `completed` seen for a
 * bio without one): check it and bring the model up to date. */
static void take_back(struct slot *t, int status)
{
	struct vblk_bio *bio = &t->bio;
	uint64_t nsectors = bio_sectors(bio);

	trace("  done slot %u: %d", (unsigned)(t - pool), status);
	check(t->state == SLOT_HELD, "a callback runs only for a bio the driver holds, and once");
	check(is_completion_status(status), "a bio completes with a documented status");
	check(bio->completed && bio->status == status, "`completed` and `status` are set before `done`");
	check(bio->owner == NULL, "a completed bio's `owner` is cleared before `done` (vblk/bio.h)");
	check(canaries_intact(t), "nothing is written around a buffer the driver holds (canary)");
	if (bio->op == VBLK_OP_WRITE)
		check(segments_sum(t) == t->sum, "a write buffer is not written while the driver holds it");
	if (changes_disk(bio->op))
		model_write_end(bio->sector, nsectors, tag_left(bio, t->tag), status);
	if (bio->op == VBLK_OP_READ && status == 0) {
		uint64_t sector = bio->sector;
		for (unsigned i = 0; i < bio->nsegs; i++) {
			const uint8_t *buf = bio->segs[i].addr;
			for (uint32_t k = 0; k < bio->segs[i].len_bytes / VBLK_SECTOR_SIZE; k++, sector++)
				check_read_sector(buf + k * VBLK_SECTOR_SIZE, sector,
						  t->stable >> (sector - bio->sector) & 1, t->seq);
		}
	}
	if (status == -VBLK_EHELD) {
		t->state = SLOT_QUARANTINED;
		return;
	}
	/* The memory is the caller's again: a write buffer is filled with
	 * STALE, which no sector of the disk may ever hold (check_no_stale):
	 * handed to the device again, it would be written there. */
	if (bio->op == VBLK_OP_WRITE) {
		for (unsigned i = 0; i < bio->nsegs; i++)
			memset(bio->segs[i].addr, STALE, bio->segs[i].len_bytes);
	}
	t->state = SLOT_FREE;
	t->sum = checksum(region(t), SLOT_BYTES);
}

/* A callback that calls back into vblk: what vblk/bio.h forbids is refused
 * (a reset of its own disk), what it allows or tolerates works. */
static void callback_reset_shutdown(unsigned parent)
{
	/* (vblk_reset), (vblk_shutdown): not counted as set-ups, since they
	 * are refused (the macros above). */
	int rc = (vblk_reset)(disk);

	trace("  callback of slot %u: reset %d", parent, rc);
	check(rc == -VBLK_ESTATE, "a callback's reset of its own disk is refused (-VBLK_ESTATE)");
	rc = (vblk_shutdown)();
	trace("  callback: shutdown %d", rc);
	check(rc == -VBLK_ESTATE, "a callback's vblk_shutdown is refused (-VBLK_ESTATE)");
}

static void callback_read(uint64_t sector);

static void call_back(const struct slot *parent)
{
	uint64_t sector = parent->bio.sector;

	callback_reset_shutdown((unsigned)(parent - pool));
	int rc = vblk_use_interrupts(disk, sector & 1u);
	trace("  callback: interrupts %u: %d", (unsigned)(sector & 1u), rc);
	check(rc == 0 || is_error(rc), "vblk_use_interrupts returns 0 or a documented error");
	callback_read(sector);
}

/* A callback's synchronous read of 1 to 8 sectors (from `sector`),
 * checked against the model. */
static void callback_read(uint64_t sector)
{
	int rc;

	if (callback_depth >= CALLBACK_DEPTH)
		return;

	uint8_t *area = callback_area[callback_depth];
	uint8_t *buf = area + GAP_BYTES;
	uint64_t capacity = vblk_capacity(disk);
	uint32_t nsectors = (uint32_t)(sector % CALLBACK_SECTORS) + 1u;
	sector = capacity > nsectors ? sector % (capacity - nsectors + 1) : 0;
	uint32_t since = write_seq;
	uint64_t stable = model_stable(sector, nsectors);

	memset(buf, READ_POISON, CALLBACK_SECTORS * VBLK_SECTOR_SIZE);
	callback_depth++;
	rc = vblk_read(disk, sector, buf, nsectors);
	callback_depth--;
	trace("  callback: read sector %llu x%u: %d", (unsigned long long)sector, nsectors, rc);
	check(rc == 0 || is_error(rc), "a synchronous call returns 0 or a documented error");
	for (uint32_t k = 0; rc == 0 && k < nsectors; k++)
		check_read_sector(buf + k * VBLK_SECTOR_SIZE, sector + k, stable >> k & 1, since);
	callback_sum[callback_depth] = checksum(area, CALLBACK_BYTES);
}

static void run_ext_actions(struct slot *t, const struct slot *parent, unsigned generation);

static void note_full_plug(void);
/* Callbacks running (nested): a submission from one may be held by a
 * plug a later callback of the same harvest takes (submit_slot: must_go). */
static unsigned callback_nesting;

static void on_done(struct vblk_bio *bio, int status)
{
	struct slot *t = bio->private;

	check(t != NULL && t >= pool && t < pool + POOL_BIOS, "a callback runs only for a submitted bio");
	callbacks_run++;
	callback_nesting++;
	note_full_plug();
	t->callbacks++;
	check(t->callbacks == 1, "a bio's callback runs exactly once");
	take_back(t, status);
	/* The slot may be reused by what the actions submit: they work on
	 * a copy of it as it completed. */
	static struct slot parents[64];
	static unsigned parent_depth;
	unsigned generation = t->generation;
	bool copied = parent_depth < 64;
	if (copied)
		parents[parent_depth] = *t;
	const struct slot *parent = copied ? &parents[parent_depth++] : t;
	if (t->action == AFTER_SUBMIT || t->action == AFTER_PLUG_SUBMIT)
		submit_follow_up(parent, t->action == AFTER_PLUG_SUBMIT);
	if (t->action == AFTER_CALL_BACK)
		call_back(t);
	if (parent->ext_actions)
		run_ext_actions(t, parent, generation);
	if (cb_extra != CB_NONE)
		run_cb_extra();
	if (copied)
		parent_depth--;
	callback_nesting--;
}

/* Bios without a callback are noticed by `completed`, after each step. */
static void take_back_silent_bios(void)
{
	for (unsigned i = 0; i < POOL_BIOS; i++) {
		struct slot *t = &pool[i];
		if (t->state == SLOT_HELD && t->bio.done == NULL && t->bio.completed)
			take_back(t, t->bio.status);
	}
}

static bool any_held(void)
{
	for (unsigned i = 0; i < POOL_BIOS; i++) {
		if (pool[i].state == SLOT_HELD)
			return true;
	}
	return false;
}

/* The plug is full (vblk/bio.h: bios wait for a request slot, or
 * BLK_PLUG_MAX_REQS requests are pending): what is held now must go out
 * as the device completes, plugged or not (blk/queue.c: plug_full and
 * `run_left_pending`). Looked at after every vblk_submit, in every callback and
 * after every step; a bio still inside its vblk_submit is left out. */
static void note_full_plug(void)
{
	const struct blk_queue *q = &disk->queue;

	if (q->waiting.head == NULL && q->npending < BLK_PLUG_MAX_REQS)
		return;
	for (unsigned i = 0; i < POOL_BIOS; i++) {
		if (pool[i].state == SLOT_HELD && !pool[i].submitting)
			pool[i].must_go = true;
	}
}

/* ---- submitting ------------------------------------------------------ */

struct bio_plan {
	enum vblk_op op;
	uint32_t range_flags; /* WRITE_ZEROES: VBLK_WZ_UNMAP or 0 */
	unsigned nsegs;
	uint32_t seg_sectors;
	bool contiguous;
	uint64_t sector;
	bool silent;          /* no `done` */
	enum callback_action action;
	enum flaw flaw;
	uint8_t ext_actions, ext_arg;   /* extended language */
};

/* Lay the segments out in the slot's region, canary around them, and
 * fill them: a write with a fresh pattern, a read with poison. */
static void lay_out(struct slot *t, const struct bio_plan *plan)
{
	uint8_t *base = region(t);
	uint32_t offset = GAP_BYTES;

	memset(base, CANARY, SLOT_BYTES);
	bool no_data = plan->op == VBLK_OP_FLUSH || is_range_op(plan->op);
	t->bio = (struct vblk_bio){
		.op = plan->op, .sector = plan->sector, .segs = t->segs,
		.nsegs = (uint16_t)(no_data ? 0 : plan->nsegs),
		.done = plan->silent ? NULL : on_done, .private = t,
	};
	if (is_range_op(plan->op)) {
		t->bio.nsectors = (uint64_t)plan->nsegs * plan->seg_sectors;
		t->bio.flags = plan->range_flags;
	}
	t->tag = plan->op == VBLK_OP_WRITE ? ++next_tag : TAG_ZERO;
	for (unsigned i = 0; i < t->bio.nsegs; i++) {
		uint32_t len = plan->seg_sectors * VBLK_SECTOR_SIZE;
		t->segs[i] = (struct vblk_seg){ base + offset, len };
		for (uint32_t k = 0; k < plan->seg_sectors; k++) {
			uint8_t *sector_buf = base + offset + k * VBLK_SECTOR_SIZE;
			if (plan->op == VBLK_OP_WRITE)
				fill_sector(sector_buf, t->tag, plan->sector + i * plan->seg_sectors + k);
			else
				memset(sector_buf, READ_POISON, VBLK_SECTOR_SIZE);
		}
		offset += len + (plan->contiguous ? 0 : GAP_BYTES);
	}
	t->action = plan->action;
	t->ext_actions = plan->silent ? 0 : plan->ext_actions;
	t->ext_arg = plan->ext_arg;
	t->plan = (struct bio_plan_saved){
		.op = plan->op, .range_flags = plan->range_flags, .nsegs = plan->nsegs,
		.seg_sectors = plan->seg_sectors, .contiguous = plan->contiguous, .sector = plan->sector,
	};
	t->used = true;
}

/* Spoil a laid-out bio; returns the error it must be refused with (any
 * refusal is accepted where more than one check fails). */
static int spoil(struct slot *t, enum flaw flaw, uint64_t capacity)
{
	struct vblk_bio *bio = &t->bio;
	uint64_t nsectors = bio_sectors(bio);

	switch (flaw) {
	case FLAW_OUT_OF_RANGE:
		if (bio->op == VBLK_OP_FLUSH)
			return 0;
		bio->sector = capacity >= nsectors ? capacity - nsectors + 1 : UINT64_MAX - 1;
		return -VBLK_ERANGE;
	case FLAW_MISALIGNED:
		if (bio->nsegs == 0)
			return 0;
		t->segs[bio->nsegs - 1].addr = (uint8_t *)t->segs[bio->nsegs - 1].addr + 8;
		return -VBLK_EALIGN;
	case FLAW_BAD_SEG_LEN:
		if (bio->nsegs == 0)
			return 0;
		t->segs[0].len_bytes -= VBLK_SECTOR_SIZE / 2;
		return -VBLK_EALIGN;
	case FLAW_TOO_MANY_SEGS: {
		uint32_t nsegs = vblk_max_bio_segs(disk) + 1;
		if (bio->op == VBLK_OP_FLUSH || nsegs > TOO_MANY_SEGS)
			return 0;
		/* Apart, so they cannot be coalesced into fewer descriptors;
		 * never touched if refused. */
		for (uint32_t i = 0; i < nsegs; i++)
			t->segs[i] = (struct vblk_seg){ too_many_segs_area + 2 * i * VBLK_SECTOR_SIZE,
							VBLK_SECTOR_SIZE };
		bio->nsegs = (uint16_t)nsegs;
		bio->sector = 0;
		return -VBLK_ETOOBIG;
	}
	case FLAW_NO_SEGS:
		/* A FLUSH, DISCARD or WRITE_ZEROES with data, or a READ/WRITE
		 * without. */
		bio->nsegs = bio->op == VBLK_OP_FLUSH || is_range_op(bio->op) ? 1 : 0;
		t->segs[0] = (struct vblk_seg){ region(t) + GAP_BYTES, VBLK_SECTOR_SIZE };
		return -VBLK_EINVAL;
	case FLAW_BAD_OP:
		bio->op = (enum vblk_op)7;
		return -VBLK_EINVAL;
	case FLAW_OUTSIDE_RAM:
		if (bio->nsegs == 0)
			return 0;
		t->segs[bio->nsegs - 1].addr = outside_area;
		return -VBLK_EFAULT;
	default:
		return 0;
	}
}

/* A dead disk refuses everything, a read-only one writes, a device with a
 * small seg_max or queue more segments than it takes (unless they are
 * contiguous); a flawed bio may trip another argument check before the
 * one its flaw is for. */
static bool refusal_allowed(int rc, int expected, const struct vblk_bio *bio, uint64_t capacity)
{
	bool writes = changes_disk(bio->op) || bio->op == VBLK_OP_FLUSH;
	bool past_end = bio->op != VBLK_OP_FLUSH &&
			(bio->sector > capacity || bio_sectors(bio) > capacity - bio->sector);
	bool too_big = bio->nsegs > vblk_max_bio_segs(disk) ||
		       bio_sectors(bio) * VBLK_SECTOR_SIZE > vblk_max_bio_bytes(disk) ||
		       (is_range_op(bio->op) &&
			bio_sectors(bio) > vblk_max_range_sectors(disk, bio->op));
	bool argument_error = rc == -VBLK_EINVAL || rc == -VBLK_EALIGN || rc == -VBLK_ERANGE ||
			      rc == -VBLK_ETOOBIG || rc == -VBLK_EFAULT;
	/* A range op must also keep to the device's alignment (the fake asks
	 * for 8 sectors) and to a device that has the feature. */
	bool range_refusal = is_range_op(bio->op) && (rc == -VBLK_EALIGN || rc == -VBLK_EUNSUPP);

	return rc == expected || rc == -VBLK_EBROKEN || rc == -VBLK_ESTATE ||
	       (rc == -VBLK_EROFS && read_only && writes) || (rc == -VBLK_ERANGE && past_end) ||
	       (rc == -VBLK_ETOOBIG && too_big) || range_refusal ||
	       (expected != 0 && argument_error);
}

static void remember_prior(struct slot *t)
{
	uint64_t first = t->bio.sector;

	t->prior_count = 0;
	for (uint64_t s = first; s < model_end(first, bio_sectors(&t->bio)); s++) {
		t->prior_tag[t->prior_count] = model[s].tag;
		t->prior_seq[t->prior_count++] = model[s].last_write_seq;
	}
}

/* A write that was refused changed nothing: undo model_write_start where
 * no other write came since. */
static void forget_refused_write(const struct slot *t)
{
	for (unsigned k = 0; k < t->prior_count; k++) {
		struct sector_model *m = &model[t->bio.sector + k];
		if (m->last_write_seq == t->seq) {
			m->tag = t->prior_tag[k];
			m->last_write_seq = t->prior_seq[k];
		}
		if (--m->writes_in_flight == 0)
			m->contended = false;
	}
}

static void set_irq_delivery_hooks(void);

/* vblk_stats unmasks IRQs as it returns, which would let a pending
 * interrupt in where the program has none: read them with the line
 * disconnected (it stays up, and is taken at the next unmask). */
static void stats_quietly(struct vblk_stats *stats)
{
	fake_virtio_set_irq_hook(fv, NULL, NULL);
	if (mate_fv != NULL)
		fake_virtio_set_irq_hook(mate_fv, NULL, NULL);
	vblk_stats(disk, stats);
	set_irq_delivery_hooks();
}

/* Submit a laid-out (and perhaps spoiled) bio and check the answer. */
static int submit_slot(struct slot *t, int expected)
{
	struct vblk_bio *bio = &t->bio;
	uint64_t capacity = vblk_capacity(disk);
	bool good = expected == 0;

	t->state = SLOT_HELD;
	t->callbacks = 0;
	if (good && changes_disk(bio->op)) {
		remember_prior(t);
		model_write_start(bio->sector, bio_sectors(bio));
		t->seq = write_seq;
		t->sum = segments_sum(t);
	}
	if (good && bio->op == VBLK_OP_READ) {
		t->seq = write_seq;
		t->stable = model_stable(bio->sector, bio_sectors(bio));
	}
	struct vblk_bio before = *bio;
	struct vblk_stats stats_before;
	unsigned callbacks_before = callbacks_run;
	stats_quietly(&stats_before);
	t->generation++;
	/* Submitted unplugged, outside a callback (so no harvest defers the
	 * run): the run vblk_submit makes reaches it, and a plug taken later
	 * does not hold it back (blk/queue.c: `run_left_pending`). */
	t->must_go = !disk->queue.plugged && callback_nesting == 0;
	t->submitting = true;
	int rc = vblk_submit(disk, bio);
	t->submitting = false;
	note_full_plug();
	if (rc != 0 && callbacks_run == callbacks_before) {
		struct vblk_stats stats_after;
		stats_quietly(&stats_after);
		check(memcmp(&before, bio, sizeof(before)) == 0,
		      "a refused vblk_submit changes nothing in the bio");
		check(stats_after.bios == stats_before.bios,
		      "a refused vblk_submit changes nothing (stats.bios)");
	}
	trace("  submit slot %u op %d sector %llu x%llu segs %u flaw-expects %d: %d",
	      (unsigned)(t - pool), (int)bio->op, (unsigned long long)bio->sector,
	      (unsigned long long)bio_sectors(bio), bio->nsegs, expected, rc);
	if (rc == 0) {
		check(good, "a flawed bio is refused");
		last_start = bio->sector;
		last_end = bio->sector + bio_sectors(bio);
		return 0;
	}
	/* A bio resubmitted by its own callback was `completed` already. */
	check(t->callbacks == 0 && bio->completed == before.completed, "a refused bio's callback never runs");
	check(refusal_allowed(rc, expected, bio, capacity), "a bio is refused only with a documented reason");
	if (good && changes_disk(bio->op))
		forget_refused_write(t);
	t->state = SLOT_FREE;
	t->sum = checksum(region(t), SLOT_BYTES);
	return rc;
}

/* From a callback: the next sectors, one segment, the same op. */
static void submit_follow_up(const struct slot *parent, bool plug)
{
	struct slot *t = free_slot();
	uint64_t capacity = vblk_capacity(disk);
	uint32_t seg_sectors = parent->bio.nsegs ? parent->segs[0].len_bytes / VBLK_SECTOR_SIZE : 1;
	uint64_t end = parent->bio.sector + bio_sectors(&parent->bio);
	struct bio_plan plan = {
		.op = parent->bio.op, .range_flags = parent->bio.flags, .nsegs = 1,
		.seg_sectors = seg_sectors, .sector = end + seg_sectors <= capacity ? end : 0,
	};

	if (t == NULL)
		return;
	if (plug)
		vblk_plug(disk);
	lay_out(t, &plan);
	submit_slot(t, 0);
}

static uint64_t place(unsigned where, uint8_t sector_arg, uint64_t nsectors, uint64_t capacity)
{
	switch (where) {
	case 1:
		return last_end;                      /* back merge */
	case 2:
		return last_start >= nsectors ? last_start - nsectors : 0;   /* front merge */
	case 3:
		return last_start;                    /* overlaps */
	default:
		return capacity > nsectors ? sector_arg % (capacity - nsectors + 1) : 0;
	}
}

static void step_submit(struct input *in)
{
	uint8_t shape = take8(in), sector_arg = take8(in), extra = take8(in);
	static const enum vblk_op ops[] = { VBLK_OP_READ, VBLK_OP_WRITE, VBLK_OP_FLUSH, VBLK_OP_WRITE };
	static const unsigned nsegs[] = { 1, 2, 3, 1 };
	static const enum callback_action actions[] = {
		AFTER_NOTHING, AFTER_SUBMIT, AFTER_PLUG_SUBMIT, AFTER_CALL_BACK,
	};
	uint64_t capacity = vblk_capacity(disk);
	struct bio_plan plan = {
		.op = ops[shape & 3u],
		.nsegs = nsegs[shape >> 2 & 3u],
		.contiguous = shape >> 4 & 1u,
		.silent = shape >> 7 & 1u,
		.seg_sectors = 1u + (extra & 1u),
		.action = actions[extra >> 2 & 3u],
		.flaw = (enum flaw)(extra >> 4 < FLAW_COUNT ? extra >> 4 : FLAW_NONE),
	};
	if (ext_mode) {
		plan.ext_actions = take8(in);
		plan.ext_arg = take8(in);
	}
	if (extra & 2u) {
		if (plan.op == VBLK_OP_FLUSH)
			plan.op = VBLK_OP_DISCARD;
		else if ((shape & 3u) == 3u)
			plan.op = VBLK_OP_WRITE_ZEROES;
		plan.range_flags = plan.op == VBLK_OP_WRITE_ZEROES && (sector_arg & 1u) ? VBLK_WZ_UNMAP : 0;
	}
	uint64_t nsectors = plan.op == VBLK_OP_FLUSH ? 0 : plan.nsegs * plan.seg_sectors;

	plan.sector = place(shape >> 5 & 3u, sector_arg, nsectors, capacity);
	if (plan.flaw == FLAW_AGAIN) {
		/* The same bio again while the driver holds it: refused, and
		 * nothing changes (it still completes once). */
		for (unsigned i = 0; i < POOL_BIOS; i++) {
			struct slot *t = &pool[(sector_arg + i) % POOL_BIOS];
			if (t->state != SLOT_HELD)
				continue;
			int rc = vblk_submit(disk, &t->bio);
			trace("  resubmit slot %u: %d", (unsigned)(t - pool), rc);
			/* It may complete meanwhile (an interrupt let in as the
			 * call unmasks), but still just once. */
			check(rc != 0 && is_error(rc),
			      "a bio the driver holds is refused if submitted again (-VBLK_EBUSY)");
			return;
		}
		plan.flaw = FLAW_NONE;
	}
	struct slot *t = free_slot();
	if (t == NULL)
		return;
	lay_out(t, &plan);
	submit_slot(t, spoil(t, plan.flaw, capacity));
}

/* ---- the extended callback actions ------------------------------------ */

enum ext_action {
	EXT_NOTHING, EXT_POLL, EXT_IRQ_ON, EXT_IRQ_OFF, EXT_RESUBMIT_HELD, EXT_RESUBMIT_SELF,
	EXT_WAIT, EXT_DRAIN, EXT_PLUG, EXT_UNPLUG, EXT_RESET_SHUTDOWN, EXT_READ, EXT_FLUSH,
	EXT_FOLLOW_UP, EXT_LINE_MATE, EXT_POLL_RESUBMIT_HELD,
};

static const char *const ext_names[16] = {
	"nothing", "poll", "interrupts on", "interrupts off", "resubmit held", "resubmit self",
	"wait", "drain", "plug", "unplug", "reset+shutdown", "read", "flush", "follow-up",
	"line mate", "poll+resubmit held",
};

static void read_line_mate(void);
static bool mate_reading;   /* its buffer is in use: no nested read */

/* A bio the driver holds and that no vblk_submit of ours is inside: the
 * `skip`-th such after slot `from`. */
static struct slot *held_slot(unsigned from, unsigned skip)
{
	struct slot *found = NULL;

	for (unsigned i = 1; i <= POOL_BIOS; i++) {
		struct slot *t = &pool[(from + i) % POOL_BIOS];
		if (t->state != SLOT_HELD || t->submitting || t->bio.completed)
			continue;
		found = t;
		if (skip-- == 0)
			break;
	}
	return found;
}

/* Submitting a bio the driver still holds (queued, in flight, or still to
 * be told its request's result by a loop outside this callback) is
 * refused and changes nothing (vblk/bio.h: -VBLK_EBUSY). */
static void resubmit_held(unsigned from, unsigned skip)
{
	struct slot *t = held_slot(from, skip);

	if (t == NULL)
		return;
	struct vblk_bio before = t->bio;
	unsigned callbacks_before = callbacks_run;
	int rc = vblk_submit(disk, &t->bio);
	trace("  callback: resubmit held slot %u: %d", (unsigned)(t - pool), rc);
	check(rc == -VBLK_EBUSY || rc == -VBLK_EBROKEN || rc == -VBLK_ESTATE,
	      "a bio the driver holds is refused if submitted again (-VBLK_EBUSY)");
	if (callbacks_run == callbacks_before)
		check(memcmp(&before, &t->bio, sizeof(before)) == 0,
		      "a refused resubmission changes nothing in the bio");
}

/* The bio again from its own callback, as bio.h allows: the fields vblk
 * set are left as its completion left them. It keeps its program less
 * this action (else it would never end). */
static void resubmit_self(struct slot *t, const struct slot *parent, unsigned generation,
			  unsigned action_shift)
{
	if (t->generation != generation || t->state != SLOT_FREE || t->waited != 0)
		return;
	struct bio_plan plan = {
		.op = parent->plan.op, .range_flags = parent->plan.range_flags,
		.nsegs = parent->plan.nsegs, .seg_sectors = parent->plan.seg_sectors,
		.contiguous = parent->plan.contiguous, .sector = parent->plan.sector,
		.silent = false, .action = AFTER_NOTHING, .flaw = FLAW_NONE,
		.ext_actions = (uint8_t)(parent->ext_actions & ~(0xfu << action_shift)),
		.ext_arg = parent->ext_arg,
	};
	struct vblk_bio set_by_vblk = t->bio;
	lay_out(t, &plan);
	t->bio.status = set_by_vblk.status;
	t->bio.completed = set_by_vblk.completed;
	t->bio.bytes = set_by_vblk.bytes;
	t->bio.next = set_by_vblk.next;
	t->bio.owner = set_by_vblk.owner;
	trace("  callback: resubmit slot %u itself", (unsigned)(t - pool));
	submit_slot(t, 0);
}

/* vblk_wait_bios from a callback (vblk/bio.h: it must not wait, but the
 * call returns): 0 only if every bio succeeded; never -VBLK_EINVAL, as
 * every one was held; -VBLK_ESTATE only while one is still held; when
 * all completed, the first one's error. */
static void callback_wait(uint8_t mask)
{
	struct vblk_bio *bios[POOL_BIOS];
	struct slot *slots[POOL_BIOS];
	unsigned count = 0, rank = 0;

	for (unsigned i = 0; i < POOL_BIOS; i++) {
		struct slot *t = &pool[i];
		if (t->state == SLOT_HELD && !t->submitting && !t->bio.completed &&
		    (mask >> (rank++ % 8) & 1u)) {
			slots[count] = t;
			bios[count++] = &t->bio;
			t->waited++;
		}
	}
	int rc = vblk_wait_bios(disk, bios, count);
	trace("  callback: wait for %u: %d", count, rc);
	bool all_done = true, all_ok = true;
	int first_err = 0;
	for (unsigned i = 0; i < count; i++) {
		all_done &= bios[i]->completed;
		all_ok &= bios[i]->completed && bios[i]->status == 0;
		if (first_err == 0 && bios[i]->completed)
			first_err = bios[i]->status;
		slots[i]->waited--;
	}
	check(rc == 0 || is_error(rc), "vblk_wait_bios returns 0 or a documented error");
	check(rc != 0 || all_ok, "vblk_wait_bios from a callback returns 0 only when its bios all succeeded");
	check(rc != -VBLK_EINVAL, "vblk_wait_bios from a callback: -VBLK_EINVAL only for a bio never submitted");
	check(rc != -VBLK_ESTATE || !all_done,
	      "vblk_wait_bios from a callback: -VBLK_ESTATE only for a bio still held");
	check(!all_done || rc == first_err,
	      "vblk_wait_bios returns the first bio's error once all completed");
}

static void run_ext_action(struct slot *t, const struct slot *parent, unsigned generation,
			   unsigned shift)
{
	unsigned action = parent->ext_actions >> shift & 0xfu;
	unsigned index = (unsigned)(t - pool);
	uint8_t arg = parent->ext_arg;
	int rc;

	if (action == EXT_NOTHING)
		return;
	trace("  callback of slot %u: %s", index, ext_names[action]);
	switch ((enum ext_action)action) {
	case EXT_NOTHING:
		break;
	case EXT_POLL:
		rc = vblk_poll(disk);
		trace("  callback: poll %d", rc);
		check(rc >= 0 || is_error(rc), "vblk_poll returns a count or a documented error");
		break;
	case EXT_IRQ_ON:
	case EXT_IRQ_OFF:
		rc = vblk_use_interrupts(disk, action == EXT_IRQ_ON);
		trace("  callback: interrupts: %d", rc);
		check(rc == 0 || is_error(rc), "vblk_use_interrupts returns 0 or a documented error");
		break;
	case EXT_RESUBMIT_HELD:
		resubmit_held(index, arg % 4u);
		break;
	case EXT_RESUBMIT_SELF:
		resubmit_self(t, parent, generation, shift);
		break;
	case EXT_WAIT:
		callback_wait(arg);
		break;
	case EXT_DRAIN:
		rc = vblk_drain(disk);
		trace("  callback: drain %d", rc);
		check(rc == 0 || is_error(rc), "vblk_drain returns 0 or a documented error");
		break;
	case EXT_PLUG:
		vblk_plug(disk);
		break;
	case EXT_UNPLUG:
		vblk_unplug(disk);
		break;
	case EXT_RESET_SHUTDOWN:
		callback_reset_shutdown(index);
		break;
	case EXT_READ:
		callback_read(parent->bio.sector + arg);
		break;
	case EXT_FLUSH:
		rc = vblk_flush(disk);
		trace("  callback: flush %d", rc);
		check(rc == 0 || is_error(rc), "vblk_flush returns 0 or a documented error");
		break;
	case EXT_FOLLOW_UP:
		submit_follow_up(parent, false);
		break;
	case EXT_LINE_MATE:
		if (mate != NULL && !mate_reading) {
			read_line_mate();
		} else {
			rc = vblk_poll(disk);
			check(rc >= 0 || is_error(rc), "vblk_poll returns a count or a documented error");
		}
		break;
	case EXT_POLL_RESUBMIT_HELD:
		rc = vblk_poll(disk);
		trace("  callback: poll %d", rc);
		check(rc >= 0 || is_error(rc), "vblk_poll returns a count or a documented error");
		resubmit_held(index, arg % 4u);
		break;
	}
}

static void run_ext_actions(struct slot *t, const struct slot *parent, unsigned generation)
{
	run_ext_action(t, parent, generation, 0);
	run_ext_action(t, parent, generation, 4);
}

/* ---- interrupts -------------------------------------------------------- */

enum irq_delivery { IRQ_LOST, IRQ_AT_ONCE, IRQ_LATE };
static enum irq_delivery irq_delivery;
static unsigned irq_offers;
static bool in_interrupt;

/* What a GIC and CPU do with the device's level-triggered line: take the
 * interrupt, and take it again at once if the line is still up after the
 * handler returns. IRQs are masked while it is taken, so a delivery
 * offered meanwhile (the handler unmasking inside) waits for the loop. */
static void check_nothing_stranded(void);
static void check_capacity_seen(bool polled_just_now);

static void take_interrupt(struct fake_virtio *device, void *ctx)
{
	if (in_interrupt || (irq_delivery == IRQ_LATE && irq_offers++ % 2 == 0))
		return;
	in_interrupt = true;
	for (unsigned runs = 1; ; runs++) {
		vblk_irq_handler(ctx);
		if (!fake_virtio_irq_pending(device))
			break;
		check(runs < IRQ_STORM_RUNS,
		      "the interrupt handler clears the line (no step takes unbounded time)");
	}
	in_interrupt = false;
	check_nothing_stranded();
}

/* The prompt-harvest invariant: a disk in interrupt mode whose device's
 * line is down has no completion waiting in its used ring. The device
 * raises its interrupt with every completion (the driver asks for the
 * next one whenever its harvest ends, blk/queue.c), and the handler
 * harvests after it acknowledges (vblk.h, bio.h: "The handler reads and
 * acknowledges InterruptStatus, completes requests"). A completion left
 * there with the line down is one no interrupt will announce: it waits
 * for a wait's recheck (VBLK_IRQ_RECHECK_US) or, with no wait, for ever.
 * Not while a wait polls with the device's interrupts off (irq_quiet: it
 * finds them itself), nor on a stopped disk or a broken ring. Checked
 * when the handler returns and after every step. */
static void check_nothing_stranded(void)
{
	const struct blk_queue *q = &disk->queue;

	if (!q->use_irq || q->irq_quiet || !disk->dev.ready || fake_virtio_irq_pending(fv))
		return;
	check(!blk_dev_has_used(&disk->dev),
	      "with the line down, no completion waits in the used ring of a disk in interrupt mode "
	      "(an interrupt taken is harvested)");
}

/* The line's one handler is the disk's: it takes the other disk's
 * interrupt too (take_interrupt checks that line goes down). */
static void set_irq_delivery(enum irq_delivery delivery)
{
	irq_delivery = delivery;
	fake_virtio_set_irq_hook(fv, delivery == IRQ_LOST ? NULL : take_interrupt, disk);
	if (mate_fv != NULL)
		fake_virtio_set_irq_hook(mate_fv, delivery == IRQ_LOST ? NULL : take_interrupt, disk);
}

static void set_irq_delivery_hooks(void)
{
	set_irq_delivery(irq_delivery);
}

/* A sector of the line's other disk, read polled: its first completion
 * raises its interrupt (and the disk's handler must lower the line). */
static void read_line_mate(void)
{
	uint64_t sector = mate_reads++ % LINE_MATE_SECTORS;
	unsigned resets_before = mate_resets;
	mate_reading = true;
	int rc = vblk_read(mate, sector, mate_buf, 1);
	mate_reading = false;

	if (rc == -VBLK_ECANCELED && mate_resets != resets_before) {
		trace("  line's other disk: read sector %llu canceled by a reset", (unsigned long long)sector);
		return;
	}

	trace("  line's other disk: read sector %llu: %d", (unsigned long long)sector, rc);
	check(rc == 0, "the line's other disk reads (polled, beside the disk's interrupts)");
	check(memcmp(mate_buf, fake_virtio_disk(mate_fv) + sector * VBLK_SECTOR_SIZE,
		     VBLK_SECTOR_SIZE) == 0,
	      "the line's other disk reads what it holds");
}

/* ---- steps ------------------------------------------------------------- */

enum op {
	OP_SUBMIT, OP_PLUG, OP_UNPLUG, OP_POLL, OP_WAIT, OP_DRAIN, OP_RESET,
	OP_INTERRUPTS, OP_SYNC, OP_COMPLETION, OP_COMPLETE_SOME, OP_ORDER,
	OP_CORRUPT_USED, OP_STATUS_FAULT, OP_IRQ_DELIVERY, OP_RAISE_BITS,
	OP_RESET_DELAY, OP_NEEDS_RESET, OP_RESIZE,
	OP_COUNT,
	/* The lifecycle language (ring byte bit 7) adds these. */
	OP_SHUTDOWN = OP_COUNT, OP_GET_ID, OP_SYNC_RANGE, OP_STATS, OP_TIMEOUT,
	OP_ATTACH_AGAIN, OP_CALLBACK_EXTRA,
	OP_COUNT_LIFECYCLE
};

static const char *const op_names[OP_COUNT_LIFECYCLE] = {
	"submit", "plug", "unplug", "poll", "wait", "drain", "reset",
	"interrupts", "sync", "completion", "complete_some", "order",
	"corrupt_used", "status_fault", "irq_delivery", "raise_bits",
	"reset_delay", "needs_reset", "resize",
	"shutdown", "get_id", "sync_range", "stats", "timeout", "attach_again",
	"callback_extra",
};

static unsigned status_faults_armed;

static bool device_live(void)
{
	return (fake_virtio_status(fv) & STATUS_DRIVER_OK) && !fake_virtio_broken(fv);
}

static void step_wait(struct input *in)
{
	uint8_t mask = take8(in);
	struct vblk_bio *bios[POOL_BIOS];
	struct slot *slots[POOL_BIOS];
	unsigned count = 0, rank = 0;

	for (unsigned i = 0; i < POOL_BIOS; i++) {
		if (pool[i].state == SLOT_HELD && (mask >> (rank++ % 8) & 1u)) {
			slots[count] = &pool[i];
			bios[count++] = &pool[i].bio;
			pool[i].waited++;
		}
	}
	int rc = vblk_wait_bios(disk, bios, count);
	trace("  wait for %u: %d", count, rc);
	bool all_ok = true;
	for (unsigned i = 0; i < count; i++) {
		check(bios[i]->completed, "vblk_wait_bios returns only once its bios have completed");
		all_ok &= bios[i]->status == 0;
		slots[i]->waited--;
	}
	check(rc == 0 ? all_ok : is_error(rc) && !all_ok,
	      "vblk_wait_bios returns 0 exactly when its bios all succeeded");
}

static void sync_io(unsigned kind, uint64_t sector, uint32_t nsectors)
{
	uint64_t capacity = vblk_capacity(disk);
	bool in_range = sector <= capacity && nsectors <= capacity - sector;
	int rc;

	if (kind == 2) {
		rc = vblk_flush(disk);
	} else if (kind == 1 && (!in_range || read_only)) {
		rc = vblk_write(disk, sector, sync_buf, nsectors);
		check(rc != 0, "a write past the end or to a read-only disk is refused");
	} else if (kind == 1) {
		uint32_t tag = ++next_tag;
		for (uint32_t k = 0; k < nsectors; k++)
			fill_sector(sync_buf + k * VBLK_SECTOR_SIZE, tag, sector + k);
		uint64_t sum = checksum(sync_buf, nsectors * VBLK_SECTOR_SIZE);
		model_write_start(sector, nsectors);
		rc = vblk_write(disk, sector, sync_buf, nsectors);
		model_write_end(sector, nsectors, tag, rc);
		check(checksum(sync_buf, nsectors * VBLK_SECTOR_SIZE) == sum,
		      "vblk_write does not write its buffer");
	} else {
		uint32_t since = write_seq;
		uint64_t stable = model_stable(sector, nsectors);
		memset(sync_buf, READ_POISON, nsectors * VBLK_SECTOR_SIZE);
		rc = vblk_read(disk, sector, sync_buf, nsectors);
		for (uint32_t k = 0; rc == 0 && k < nsectors; k++)
			check_read_sector(sync_buf + k * VBLK_SECTOR_SIZE, sector + k,
					  stable >> k & 1, since);
	}
	trace("  sync %u sector %llu x%u: %d", kind, (unsigned long long)sector, nsectors, rc);
	check(rc == 0 || is_error(rc), "a synchronous call returns 0 or a documented error");
	sync_sum = checksum(sync_buf, SYNC_SECTORS_MAX * VBLK_SECTOR_SIZE);
}

static void step_status_fault(struct input *in)
{
	static const uint8_t statuses[] = { FAKE_BLK_S_IOERR, FAKE_BLK_S_UNSUPP, 0xee, FAKE_BLK_S_IOERR };
	uint8_t how = take8(in), where = take8(in);
	enum fake_virtio_shot shot = how & 2u ? FAKE_STICKY : FAKE_ONCE;

	/* The fake has room for FAKE_MAX_STATUS_FAULTS and no way to clear them. */
	if (status_faults_armed++ >= FAKE_MAX_STATUS_FAULTS)
		return;
	if (how & 1u)
		fake_virtio_fail_sector(fv, where % DISK_SECTORS, statuses[how >> 2 & 3u], shot);
	else
		fake_virtio_fail_request(fv, where % 4u + 1u, statuses[how >> 2 & 3u], shot);
}

/* The fault CORRUPT_USED asks for, on this ring. A packed ring has no
 * used index to move backwards; the fake damages its used descriptor's
 * wrap instead, asked for here by that name. Nor has it an ID that is
 * wrong for good: ID_NOT_HEAD names an ID free when the device writes
 * it, which the driver may give a new chain before it reads the used
 * descriptor, and then it reads as that chain's completion (the device
 * still uses its buffers, and no driver can tell). An ID past the ring
 * is asked for instead; a used ID that is not in flight stays covered by
 * DUPLICATE, whose second copy names the chain just completed. */
static enum fake_virtio_used_fault used_fault(uint8_t arg)
{
	enum fake_virtio_used_fault fault = (enum fake_virtio_used_fault)(arg % 7u + 1u);

	if (ring_packed && fault == FAKE_USED_IDX_BACKWARDS)
		return FAKE_USED_WRONG_WRAP;
	if (ring_packed && fault == FAKE_USED_ID_NOT_HEAD)
		return FAKE_USED_ID_OUT_OF_RANGE;
	return fault;
}

static void set_reset_delay(unsigned reads)
{
	fake_virtio_set_reset_delay(fv, reads);
	host_set_time_step_us(reads == STALL_READS ? STALL_STEP_US : 1);
}

static void step_raise_bits(struct input *in)
{
	static const uint32_t bits[] = { 0x20, 0x1, 0x2, 0x24, 0x80000000u, 0x3 };
	uint8_t arg = take8(in);
	uint32_t raise = bits[(arg & 0x7fu) % 6u];

	/* A device that is not running raises nothing. */
	if (!device_live())
		return;
	if ((arg & 0x80u) && (raise & ~0x3u))
		fake_virtio_stick_interrupt_bits(fv, raise);
	else
		fake_virtio_raise_interrupt_bits(fv, raise);
}

static void step_resize(struct input *in)
{
	uint64_t capacity = take8(in);

	model_resize(capacity);
	fake_virtio_resize(fv, capacity);
}

/* ---- device events at the driver's own register accesses (AT) ---------- */

/* Raw opcode bytes 0xf8-0xfe: the AT step. No committed input has one of
 * them in an opcode's place (0xff it has: that keeps its meaning). */
#define AT_OPCODE_FIRST 0xf8u
#define AT_RING_POINT_OPCODE_FIRST 0xfcu   /* 0xfc-0xfe: at a ring point */
#define AT_OPCODE_LAST  0xfeu

static const char *const at_kind_names[FAKE_AT_KIND_COUNT] = {
	"InterruptStatus read", "Status read", "config read", "ConfigGeneration read",
	"InterruptACK write", "notify write", "clock read", "relax", "ring point",
};

enum at_event {
	AT_COMPLETE_OLDEST, AT_COMPLETE_NEWEST, AT_COMPLETE_ALL, AT_COMPLETE_ALL_REVERSED,
	AT_RESIZE, AT_RAISE_BITS, AT_NEEDS_RESET, AT_FINISH_RESET, AT_STALL_RESET, AT_EVENT_COUNT,
};

static const char *const at_event_names[AT_EVENT_COUNT] = {
	"complete oldest", "complete newest", "complete all", "complete all reversed",
	"resize", "raise bits", "needs reset", "finish reset", "stall reset",
};

static const uint64_t at_capacities[16] = {
	0, 1, 7, 8, 16, 63, 64, 100, 120, 127, 128, 129, 160, 200, 255, 256,
};

/* A resize is the harness's: the model drops what lies past the new end,
 * as the RESIZE step's does, at the instant the device resizes. */
static void at_resize(struct fake_virtio *device, void *ctx)
{
	uint64_t capacity = (uint64_t)(uintptr_t)ctx;

	trace("  at: resize to %llu", (unsigned long long)capacity);
	model_resize(capacity);
	fake_virtio_resize(device, capacity);
}

/* AT a, b: arm a device event at the driver's nth access of a kind.
 *   a: at a register access (opcode 0xf8-0xfb), bits 0-2 the kind (enum
 *      fake_virtio_access_kind) and bits 4-7 n - 1 (the 1st to 16th such
 *      access from now); at a ring point (0xfc-0xfe), bits 0-2 and 4-7
 *      n - 1 (the 1st to 128th); bit 3 the CPU takes the interrupt right
 *      after the access if IRQs are open;
 *   b: bits 0-3 the event (enum at_event, modulo its count), bits 4-7 its
 *      argument: a capacity (at_capacities), InterruptStatus bits (as
 *      RAISE_BITS, not sticky), or the reads a stall adds (1-16). */
static void step_at(struct input *in, uint8_t opcode)
{
	static const uint32_t bits[] = { 0x20, 0x1, 0x2, 0x24, 0x80000000u, 0x3 };
	uint8_t a = take8(in), b = take8(in);
	enum at_event event = (enum at_event)((b & 0xfu) % AT_EVENT_COUNT);
	unsigned high = b >> 4;
	bool ring_point = opcode >= AT_RING_POINT_OPCODE_FIRST;
	struct fake_virtio_at at = {
		.kind = ring_point ? FAKE_AT_RING_POINT : (enum fake_virtio_access_kind)(a & 7u),
		.take_irq = a >> 3 & 1u,
		.nth = (ring_point ? (a & 7u) << 4 | a >> 4 : a >> 4) + 1u,
	};

	switch (event) {
	case AT_COMPLETE_OLDEST: at.event = FAKE_EVENT_COMPLETE_OLDEST; break;
	case AT_COMPLETE_NEWEST: at.event = FAKE_EVENT_COMPLETE_NEWEST; break;
	case AT_COMPLETE_ALL: at.event = FAKE_EVENT_COMPLETE_ALL; break;
	case AT_COMPLETE_ALL_REVERSED: at.event = FAKE_EVENT_COMPLETE_ALL_REVERSED; break;
	case AT_RESIZE:
		at.event = FAKE_EVENT_CALL;
		at.call = at_resize;
		at.ctx = (void *)(uintptr_t)at_capacities[high];
		break;
	case AT_RAISE_BITS:
		at.event = FAKE_EVENT_RAISE_BITS;
		at.arg = bits[high % 6u];
		break;
	case AT_NEEDS_RESET: at.event = FAKE_EVENT_NEEDS_RESET; break;
	case AT_FINISH_RESET: at.event = FAKE_EVENT_FINISH_RESET; break;
	case AT_STALL_RESET:
		at.event = FAKE_EVENT_STALL_RESET;
		at.arg = high + 1u;
		break;
	case AT_EVENT_COUNT:
		break;
	}
	trace("  at %s #%u%s: %s %#x", at_kind_names[at.kind], at.nth, at.take_irq ? " (irq)" : "",
	      at_event_names[event], high);
	fake_virtio_at_access(fv, &at);
}

/* ---- the lifecycle language (ring byte bit 7) ------------------------- */

static struct vblk_stats last_stats;
static struct vblk_disk *last_stats_disk;
/* vblk_reset_stats ran on this disk: requests sent before it may
 * complete after it, so the counts no longer bound each other. */
static bool stats_were_reset;
static void after_reset(int rc);
static void give_dma_ranges(void);
static int reattach(struct fake_virtio *device, uint8_t pci_slot, uint32_t intid);

/* Every call on a disk vblk_shutdown forgot is refused with -VBLK_ESTATE
 * and changes nothing (vblk.h). */
static void check_forgotten(struct vblk_disk *old)
{
	static struct vblk_bio probe;
	static struct vblk_seg seg;

	seg = (struct vblk_seg){ sync_buf, VBLK_SECTOR_SIZE };
	probe = (struct vblk_bio){ .op = VBLK_OP_READ, .segs = &seg, .nsegs = 1, .done = NULL };
	check(vblk_submit(old, &probe) == -VBLK_ESTATE, "a forgotten disk refuses a bio (-VBLK_ESTATE)");
	check(!probe.completed && probe.owner == NULL, "a refused bio is left as it was");
	check((vblk_reset)(old) == -VBLK_ESTATE, "a forgotten disk is not reset (-VBLK_ESTATE)");
	check(vblk_poll(old) == -VBLK_ESTATE, "a forgotten disk is not polled (-VBLK_ESTATE)");
	check(vblk_use_interrupts(old, true) == -VBLK_ESTATE,
	      "a forgotten disk takes no interrupt mode (-VBLK_ESTATE)");
	check(vblk_read(old, 0, sync_buf, 1) == -VBLK_ESTATE, "a forgotten disk is not read (-VBLK_ESTATE)");
}

/* vblk_shutdown with whatever is in flight, then the same devices
 * attached again, as a program that probes again would (vblk.h: "before
 * probing again"). arg bit 0: the stalled reset (RESET_DELAY) is left
 * as it is for the shutdown, else it is cleared first. */
static void step_shutdown(struct input *in)
{
	uint8_t arg = take8(in);
	struct vblk_disk *old = disk;

	if (!(arg & 1u))
		set_reset_delay(0);
	int rc = vblk_shutdown();
	trace("  shutdown: %d", rc);
	take_back_silent_bios();
	check(rc == 0 || is_error(rc), "vblk_shutdown returns 0 or a documented error");
	check(!any_held(), "vblk_shutdown completes every bio it held");
	check(vblk_disk_count() == 0, "vblk_shutdown forgets every disk");
	check_forgotten(old);
	if (mate != NULL)
		check_forgotten(mate);
	/* A disk attached again starts its counts afresh (nothing of the old
	 * one is in flight). */
	last_stats_disk = NULL;
	stats_were_reset = false;
	/* The device behaves again, so that it can be attached. */
	set_reset_delay(0);
	fake_virtio_finish_reset(fv);
	int index = reattach(fv, 1, disk_intid);
	trace("  attach again: %d", index);
	check(index == 0, "a device shut down attaches again as disk 0");
	disk = vblk_disk(0);
	check(vblk_disk_info(disk)->ring_packed == ring_packed, "attached again on the same ring");
	vblk_set_timeout_us(disk, TIMEOUT_US);
	/* The reset at attach completed: quarantined buffers are free (error.h). */
	after_reset(0);
	if (mate != NULL) {
		index = reattach(mate_fv, 2, LINE_INTID);
		check(index == 1, "the line's other disk attaches again as disk 1");
		mate = vblk_disk(1);
		vblk_set_timeout_us(mate, TIMEOUT_US);
	}
	set_irq_delivery_hooks();
	give_dma_ranges();
}

static void step_get_id(void)
{
	char id[21];

	memset(id, 0x77, sizeof(id));
	int rc = vblk_get_id(disk, id);
	trace("  get_id: %d", rc);
	check(rc == 0 || is_error(rc), "vblk_get_id returns 0 or a documented error");
	if (rc == 0)
		check(strcmp(id, "fake-virtio-blk") == 0, "vblk_get_id returns the device's serial");
}

/* vblk_discard or vblk_write_zeroes (UNMAP or not) of 1-16 sectors. */
static void step_sync_range(struct input *in)
{
	uint8_t kind = take8(in);
	uint64_t capacity = vblk_capacity(disk);
	uint64_t sector = take8(in) % (capacity ? capacity : 1);
	uint64_t nsectors = take8(in) % 16u + 1u;
	bool in_range = sector <= capacity && nsectors <= capacity - sector;
	bool zeroes = kind & 1u;
	int rc;

	if (in_range && !read_only)
		model_write_start(sector, nsectors);
	if (zeroes)
		rc = vblk_write_zeroes(disk, sector, nsectors, kind & 2u ? VBLK_WZ_UNMAP : 0);
	else
		rc = vblk_discard(disk, sector, nsectors);
	trace("  %s sector %llu x%llu: %d", zeroes ? "write_zeroes" : "discard",
	      (unsigned long long)sector, (unsigned long long)nsectors, rc);
	check(rc == 0 || is_error(rc), "a synchronous call returns 0 or a documented error");
	if (!in_range)
		check(rc != 0, "a range past the end is refused");
	if (read_only)
		check(rc != 0, "a read-only disk refuses a discard or write-zeroes");
	if (in_range && !read_only)
		model_write_end(sector, nsectors, zeroes ? TAG_ZERO : TAG_UNKNOWN, rc == 0 ? 0 : -VBLK_EIO);
}


/* The counts only grow (vblk_reset keeps them), and say what is so. */
static void step_stats(struct input *in)
{
	uint8_t arg = take8(in);
	struct vblk_stats now;

	vblk_stats(disk, &now);
	if (!stats_were_reset) {
		check(now.completions <= now.requests, "stats: no more completions than requests");
		check(now.back_merges + now.front_merges <= now.bios, "stats: no more merges than bios");
		check(now.errors <= now.bios, "stats: no more errors than bios");
	}
	if (last_stats_disk == disk) {
		check(now.bios >= last_stats.bios && now.requests >= last_stats.requests &&
		      now.completions >= last_stats.completions && now.errors >= last_stats.errors &&
		      now.interrupts >= last_stats.interrupts && now.notifications >= last_stats.notifications,
		      "stats only grow (vblk_reset keeps them)");
	}
	last_stats = now;
	last_stats_disk = disk;
	if (arg & 1u) {
		vblk_reset_stats(disk);
		stats_were_reset = true;
		vblk_stats(disk, &last_stats);
		check(last_stats.bios == 0 && last_stats.requests == 0 && last_stats.completions == 0,
		      "vblk_reset_stats zeroes the counts");
	}
	if (arg & 2u)
		check(vblk_dump(disk) == 0, "vblk_dump of an attached disk returns 0");
}

/* vblk_attach of a device that is a disk already: -VBLK_ESTATE, nothing
 * touched (the checks after the step see the chains the device holds). */
static void attach_again(const char *who)
{
	int rc = on_pci ? vblk_attach_pci(FAKE_ECAM_BASE, 0, 1, 0, disk_intid)
			: vblk_attach(fake_virtio_base(fv), disk_intid);
	trace("  %s: %d", who, rc);
	check(rc == -VBLK_ESTATE, "attaching a disk's device again is refused (-VBLK_ESTATE)");
	check(vblk_disk_count() == (mate ? 2u : 1u), "a refused attach adds no disk");
}

static void run_cb_extra(void)
{
	struct vblk_stats stats;
	int rc;

	switch (cb_extra) {
	case CB_NONE:
	case CB_COUNT:
		break;
	case CB_STATS:
		vblk_stats(disk, &stats);
		check(stats_were_reset || stats.completions <= stats.requests,
		      "stats: no more completions than requests");
		break;
	case CB_RESET_MATE:
		/* Another disk's reset is not refused from a callback, unless a
		 * set-up is running (vblk.h). */
		rc = vblk_reset(mate);
		trace("  callback: reset of the line's other disk: %d", rc);
		check(rc == 0 || rc == -VBLK_ESTATE, "a callback's reset of another disk works");
		if (rc == 0)
			mate_resets++;
		break;
	case CB_DUMP:
		check(vblk_dump(disk) == 0, "vblk_dump from a callback returns 0");
		break;
	case CB_ATTACH_AGAIN:
		attach_again("callback: attach again");
		break;
	case CB_MATE_IRQ:
		rc = vblk_use_interrupts(mate, false);
		check(rc == 0 || is_error(rc), "vblk_use_interrupts returns 0 or a documented error");
		break;
	case CB_DMA_RANGES:
		give_dma_ranges();
		break;
	}
}

/* vblk_reset handed everything back, the quarantined buffers too. */
static void after_reset(int rc)
{
	if (rc != 0)
		return;
	check(!any_held(), "vblk_reset completes every bio it held");
	for (unsigned i = 0; i < POOL_BIOS; i++) {
		if (pool[i].state == SLOT_QUARANTINED) {
			pool[i].state = SLOT_FREE;
			pool[i].sum = checksum(region(&pool[i]), SLOT_BYTES);
		}
	}
	for (unsigned s = 0; s < MODEL_SECTORS; s++)
		model[s].haunted = false;
}

static void run_step(struct input *in)
{
	uint8_t raw = take8(in);
	int rc = 0;

	/* Opcode bytes 0xf8-0xfe, which no input before the AT step had in
	 * an opcode's place (the committed corpus replays as before), arm a
	 * device event in the driver's own accesses. */
	if (raw >= AT_OPCODE_FIRST && raw <= AT_OPCODE_LAST) {
		trace("at");
		step_at(in, raw);
		return;
	}
	uint8_t opcode = raw % (lifecycle_mode ? OP_COUNT_LIFECYCLE : OP_COUNT);

	trace("%s", op_names[opcode]);
	switch ((enum op)opcode) {
	case OP_SUBMIT:
		step_submit(in);
		break;
	case OP_PLUG:
		vblk_plug(disk);
		break;
	case OP_UNPLUG:
		vblk_unplug(disk);
		break;
	case OP_POLL:
		rc = vblk_poll(disk);
		check(rc >= 0 || is_error(rc), "vblk_poll returns a count or a documented error");
		if (rc >= 0)
			check_capacity_seen(true);
		if (mate != NULL)
			read_line_mate();
		break;
	case OP_WAIT:
		step_wait(in);
		break;
	case OP_DRAIN:
		rc = vblk_drain(disk);
		take_back_silent_bios();
		check(rc != 0 || !any_held(), "vblk_drain returns 0 only when every bio has completed");
		break;
	case OP_RESET:
		rc = vblk_reset(disk);
		take_back_silent_bios();
		after_reset(rc);
		break;
	case OP_INTERRUPTS:
		rc = vblk_use_interrupts(disk, take8(in) & 1u);
		break;
	case OP_SYNC: {
		unsigned kind = take8(in) % 3u;
		uint64_t capacity = vblk_capacity(disk);
		uint64_t sector = take8(in) % (capacity ? capacity : 1);
		sync_io(kind, sector, take8(in) % SYNC_SECTORS_MAX + 1u);
		break;
	}
	case OP_COMPLETION: {
		static const enum fake_virtio_completion modes[] = {
			FAKE_COMPLETE_IMMEDIATE, FAKE_COMPLETE_DEFERRED, FAKE_COMPLETE_HELD,
		};
		uint8_t mode = take8(in);
		fake_virtio_set_completion(fv, modes[mode % 3u], take8(in));
		break;
	}
	case OP_COMPLETE_SOME:
		fake_virtio_complete_some(fv, take8(in) % 4u + 1u);
		break;
	case OP_ORDER: {
		uint8_t order = take8(in);
		fake_virtio_set_order(fv, (enum fake_virtio_order)(order % 3u), take8(in));
		break;
	}
	case OP_CORRUPT_USED: {
		uint8_t fault = take8(in);
		fake_virtio_corrupt_used(fv, used_fault(fault), fault & 0x80u ? FAKE_STICKY : FAKE_ONCE);
		break;
	}
	case OP_STATUS_FAULT:
		step_status_fault(in);
		break;
	case OP_IRQ_DELIVERY:
		set_irq_delivery((enum irq_delivery)(take8(in) % 3u));
		break;
	case OP_RAISE_BITS:
		step_raise_bits(in);
		break;
	case OP_RESET_DELAY: {
		uint8_t reads = take8(in);
		set_reset_delay(reads == 0xff ? STALL_READS : reads);
		break;
	}
	case OP_NEEDS_RESET:
		if (device_live())
			fake_virtio_needs_reset(fv);
		break;
	case OP_RESIZE:
		step_resize(in);
		break;
	case OP_SHUTDOWN:
		step_shutdown(in);
		break;
	case OP_GET_ID:
		step_get_id();
		break;
	case OP_SYNC_RANGE:
		step_sync_range(in);
		break;
	case OP_STATS:
		step_stats(in);
		break;
	case OP_TIMEOUT: {
		static const uint32_t timeouts[] = { 200, 1000, 3000, 60 };
		vblk_set_timeout_us(disk, timeouts[take8(in) % 4u]);
		break;
	}
	case OP_ATTACH_AGAIN:
		attach_again("attach_again");
		break;
	case OP_CALLBACK_EXTRA:
		cb_extra = (enum cb_extra)(take8(in) % CB_COUNT);
		if (cb_extra == CB_RESET_MATE || cb_extra == CB_MATE_IRQ)
			cb_extra = mate ? cb_extra : CB_NONE;
		break;
	case OP_COUNT_LIFECYCLE:
		break;
	}
	if (rc != 0)
		trace("  -> %d", rc);
}

/* ---- after every step -------------------------------------------------- */

/* Refused without touching anything: -VBLK_EBROKEN/-VBLK_ESTATE say the
 * disk is dead (a live one says -VBLK_EINVAL: no segments). */
static bool disk_dead(void)
{
	static struct vblk_bio probe;

	probe = (struct vblk_bio){ .op = VBLK_OP_READ };
	int rc = vblk_submit(disk, &probe);
	check(rc != 0, "a bio without segments is refused");
	return rc == -VBLK_EBROKEN || rc == -VBLK_ESTATE;
}

static void check_memory(void)
{
	for (unsigned i = 0; i < POOL_BIOS; i++) {
		struct slot *t = &pool[i];
		if (!t->used)
			continue;
		if (t->state == SLOT_FREE) {
			check(checksum(region(t), SLOT_BYTES) == t->sum,
			      "a buffer is not written after its bio completed or was refused");
			continue;
		}
		check(canaries_intact(t), "nothing is written around a buffer the driver holds (canary)");
		if (t->state == SLOT_HELD && t->bio.op == VBLK_OP_WRITE)
			check(segments_sum(t) == t->sum,
			      "a write buffer is not written while the driver holds it");
	}
	check(all_canary(sync_area, GAP_BYTES) &&
	      all_canary(sync_buf + SYNC_SECTORS_MAX * VBLK_SECTOR_SIZE, GAP_BYTES),
	      "nothing is written around a synchronous call's buffer (canary)");
	check(checksum(sync_buf, SYNC_SECTORS_MAX * VBLK_SECTOR_SIZE) == sync_sum,
	      "a synchronous call's buffer is not written after it returned");
	for (unsigned d = 0; d < CALLBACK_DEPTH; d++)
		check(checksum(callback_area[d], CALLBACK_BYTES) == callback_sum[d],
		      "a callback's synchronous read buffer is not written after it returned");
}

/* The chain the device holds changed under it, or was exposed again:
 * the driver wrote memory the device owned. Other rules are left to the
 * other tests (the misbehaviour knobs make some of them unavoidable). */
static bool driver_changed_held_chain(void)
{
	static const char *const split_rules[] = { "CLN-1", NULL };
	static const char *const packed_rules[] = { "PK-8", "PK-9", "PK-18", NULL };

	for (const char *const *rule = ring_packed ? packed_rules : split_rules; *rule; rule++) {
		if (fake_virtio_has_violation(fv, *rule))
			return true;
	}
	return false;
}

/* What the fake recorded this step, for FUZZ_QUEUE_TRACE. */
static void trace_violations(void)
{
	unsigned count = fake_virtio_violation_count(fv);

	for (unsigned i = 0; i < count && i < FAKE_MAX_VIOLATIONS; i++)
		trace("  fake: %s", fake_virtio_violation(fv, i));
}

/* No sector holds STALE bytes: the driver never hands the device a
 * completed write's buffer (take_back fills them with it). */
static void check_no_stale(void)
{
	static uint8_t stale[16];
	const uint8_t *bytes = fake_virtio_disk(fv);
	uint64_t backed = fake_virtio_disk_bytes(fv) / VBLK_SECTOR_SIZE;

	if (stale[0] != STALE)
		memset(stale, STALE, sizeof(stale));
	for (uint64_t s = 0; s < backed; s++) {
		for (unsigned off = 0; off < VBLK_SECTOR_SIZE; off += 256)
			check(memcmp(bytes + s * VBLK_SECTOR_SIZE + off, stale, sizeof(stale)) != 0,
			      "a completed bio's buffer is never handed to the device (STALE on the disk)");
	}
}

/* Between steps a held bio is the driver's: `owner` set, not completed
 * (a silent one that completed was taken back just before). */
static void check_held_bios(void)
{
	for (unsigned i = 0; i < POOL_BIOS; i++) {
		const struct slot *t = &pool[i];
		if (t->state != SLOT_HELD)
			continue;
		check(!t->bio.completed, "a held bio is not `completed` before its callback runs");
		check(t->bio.owner == disk, "a held bio's `owner` is its disk (vblk/bio.h)");
	}
}

/* A resize is seen "at once in interrupt mode, at the next vblk_poll when
 * polled" (vblk.h, vblk_capacity): between steps a disk in interrupt mode
 * whose device's line is down, and right after a vblk_poll step a polled
 * one, knows the running device's capacity. */
static void check_capacity_seen(bool polled_just_now)
{
	const struct blk_queue *q = &disk->queue;

	if (!disk->dev.ready || !device_live() || fake_virtio_irq_pending(fv) ||
	    (fake_virtio_status(fv) & 0x40u) || (!q->use_irq && !polled_just_now))
		return;
	check(vblk_capacity(disk) == fake_virtio_opts(fv)->capacity_sectors,
	      "a resize is seen at once in interrupt mode, at the next vblk_poll when polled (vblk.h)");
}

/* What check_ring_points_masked saw last (reset_harness starts them
 * again, as host_platform_reset the count). */
static uint64_t unmasked_seen;
static unsigned setup_calls_seen;

/* The ring points a step reached with IRQs open: none, unless it set a
 * disk up (setup_calls moved). */
static void check_ring_points_masked(void)
{
	uint64_t unmasked = host_ring_points_unmasked();

	if (setup_calls == setup_calls_seen && unmasked != unmasked_seen)
		trace("  %llu ring points with IRQs open", (unsigned long long)(unmasked - unmasked_seen));
	check(setup_calls != setup_calls_seen || unmasked == unmasked_seen,
	      "the ring is touched only with IRQs masked, outside a set-up");
	unmasked_seen = unmasked;
	setup_calls_seen = setup_calls;
}

static void check_step(void)
{
	/* The probe may let an interrupt in, and bios complete. */
	bool dead = disk_dead();

	take_back_silent_bios();
	note_full_plug();
	check_held_bios();
	check_no_stale();
	check_memory();
	if (dead)
		check(!any_held(), "nothing is still held when the disk is dead");
	check_nothing_stranded();
	check_capacity_seen(false);
	trace_violations();
	check(!driver_changed_held_chain(), "the driver never changes a chain the device holds");
	check_ring_points_masked();
	fake_virtio_clear_violations(fv);
}

/* ---- one program ------------------------------------------------------- */

/* A device of `opts` on the program's transport, attached as a disk with
 * `intid`: the disk's index (or the error). On PCI each is a function of
 * its own on the root bus (00:01.0, 00:02.0), its BARs placed as firmware
 * would, decoding left to vblk. */
static int attach_new(const struct fake_virtio_opts *opts, uint32_t intid,
		      struct fake_virtio **device)
{
	if (!on_pci) {
		*device = fake_virtio_create(opts);
		return vblk_attach(fake_virtio_base(*device), intid);
	}
	uint8_t slot = (uint8_t)(vblk_disk_count() + 1);
	uint64_t bar_offset = (uint64_t)slot * PCI_BAR_STRIDE;
	if (ecam == NULL)
		ecam = fake_pci_create(FAKE_ECAM_BASE, FAKE_ECAM_BYTES, 0);
	*device = fake_virtio_create_pci(ecam, -1, slot, 0, opts, NULL);
	fake_virtio_pci_assign_bars(*device, FAKE_PCI_MEM32_BASE + bar_offset,
				    FAKE_PCI_MEM64_BASE + bar_offset, false);
	return vblk_attach_pci(FAKE_ECAM_BASE, 0, slot, 0, intid);
}

/* vblk_attach (or vblk_attach_pci) of a device created before. */
static int reattach(struct fake_virtio *device, uint8_t pci_slot, uint32_t intid)
{
	if (!on_pci)
		return vblk_attach(fake_virtio_base(device), intid);
	return vblk_attach_pci(FAKE_ECAM_BASE, 0, pci_slot, 0, intid);
}

/* The other disk on the line: modern, split, its sectors numbered. */
static void attach_line_mate(void)
{
	struct fake_virtio_opts opts;

	fake_virtio_default_opts(&opts, 2);
	opts.capacity_sectors = LINE_MATE_SECTORS;
	int index = attach_new(&opts, LINE_INTID, &mate_fv);
	for (unsigned s = 0; s < LINE_MATE_SECTORS; s++)
		memset(fake_virtio_disk(mate_fv) + s * VBLK_SECTOR_SIZE, 0xa0 + s, VBLK_SECTOR_SIZE);
	check(index == 1, "the line's other disk attaches");
	mate = vblk_disk((unsigned)index);
	vblk_set_timeout_us(mate, TIMEOUT_US);
}

static void create_disk(uint8_t shape, uint8_t ring)
{
	static const uint32_t queue_num_max[] = { 1024, 4, 8, 16 };
	static const uint32_t odd_queue_num_max[] = { 0, 5, 7, 13 };
	struct fake_virtio_opts opts;

	/* FUZZ_QUEUE_PAIR=split-mmio|packed-mmio|split-pci|packed-pci holds a
	 * campaign to one ring and transport (a modern device for a packed
	 * ring); unset, the ring byte says. */
	const char *pair = getenv("FUZZ_QUEUE_PAIR");
	if (pair != NULL) {
		bool packed = strncmp(pair, "packed", 6) == 0;
		ring = (uint8_t)((ring & ~0x21u) | (packed ? 1u : 0u) | (strstr(pair, "pci") ? 32u : 0u));
		if (packed)
			shape &= (uint8_t)~1u;
	}
	on_pci = ring & 32u;
	ext_mode = ring & 64u;
	lifecycle_mode = ring & 128u;
	disk_intid = ring & 16u ? LINE_INTID : 0;
	fake_virtio_default_opts(&opts, shape & 1u && !on_pci ? 1 : 2);
	if (shape & 2u)
		opts.features &= ~FAKE_BIT(FAKE_F_INDIRECT_DESC);
	if (shape & 4u)
		opts.features &= ~FAKE_BIT(FAKE_F_EVENT_IDX);
	if (shape & 8u)
		opts.features &= ~FAKE_BIT(FAKE_F_BLK_FLUSH);
	if (shape & 16u)
		opts.features |= FAKE_BIT(FAKE_F_BLK_RO);
	opts.queue_num_max = queue_num_max[shape >> 5 & 3u];
	if (ring >> 1 & 3u)
		opts.queue_num_max = odd_queue_num_max[ring >> 1 & 3u];
	if ((ring & 1u) && opts.version == 2)
		opts.features |= FAKE_BIT(FAKE_F_RING_PACKED);
	/* A library built without the packed ring declines the offer. */
	ring_packed = VBLK_RING_PACKED && (opts.features & FAKE_BIT(FAKE_F_RING_PACKED));
	if (shape & 128u) {
		opts.seg_max = 2;
		opts.features |= FAKE_BIT(FAKE_F_BLK_SIZE_MAX);
		opts.size_max_bytes = 2 * VBLK_SECTOR_SIZE;
	}
	opts.capacity_sectors = DISK_SECTORS;
	/* As QEMU 7.2 at 512-byte blocks: any sector starts a discard, so the
	 * small ranges here are accepted, and with seg_max 2 a discard of a
	 * few sectors per segment gets split and merged. */
	opts.discard_sector_alignment = 1;
	if (shape & 128u)
		opts.max_discard_sectors = opts.max_write_zeroes_sectors = 2;
	read_only = shape & 16u;

	int index = attach_new(&opts, ring & 16u ? LINE_INTID : 0, &fv);
	check(index == 0, "the disk attaches");
	fake_virtio_set_poll_avail(fv, ring & 8u);
	disk = vblk_disk((unsigned)index);
	if (ring & 16u)
		attach_line_mate();
	vblk_set_timeout_us(disk, TIMEOUT_US);
	/* Else the program would test the other ring than it says. */
	check(vblk_disk_info(disk)->ring_packed == ring_packed,
	      "the driver takes the packed ring when the device offers it (and it has one)");
	trace("device %#x ring %#x: %s, %s ring of %u", shape, ring, on_pci ? "virtio-pci" : "virtio-mmio",
	      ring_packed ? "packed" : "split", (unsigned)vblk_disk_info(disk)->queue_size);
}

/* Every buffer the harness hands the driver, and no other memory, is
 * what the device may use. */
static void give_dma_ranges(void)
{
#define RANGE_OF(area) { plat_virt_to_phys(area), sizeof(area) }
	const struct vblk_dma_range ranges[] = {
		RANGE_OF(buffers), RANGE_OF(too_many_segs_area), RANGE_OF(sync_area),
		RANGE_OF(callback_area), RANGE_OF(mate_buf),
	};
#undef RANGE_OF
	check(vblk_set_dma_ranges(ranges, sizeof(ranges) / sizeof(ranges[0])) == 0,
	      "the harness's DMA ranges are taken");
}

static void reset_harness(void)
{
	unmasked_seen = host_ring_points_unmasked();
	setup_calls_seen = setup_calls;
	memset(pool, 0, sizeof(pool));
	memset(canary_block, CANARY, sizeof(canary_block));
	memset(buffers, CANARY, sizeof(buffers));
	memset(model, 0, sizeof(model));
	memset(sync_area, CANARY, sizeof(sync_area));
	memset(callback_area, CANARY, sizeof(callback_area));
	for (unsigned d = 0; d < CALLBACK_DEPTH; d++)
		callback_sum[d] = checksum(callback_area[d], CALLBACK_BYTES);
	callback_depth = 0;
	callback_nesting = 0;
	memset(sync_buf, 0, SYNC_SECTORS_MAX * VBLK_SECTOR_SIZE);
	sync_sum = checksum(sync_buf, SYNC_SECTORS_MAX * VBLK_SECTOR_SIZE);
	write_seq = next_tag = 0;
	next_slot = 0;
	last_start = last_end = 0;
	status_faults_armed = 0;
	irq_delivery = IRQ_LOST;
	irq_offers = 0;
	in_interrupt = false;
	mate_fv = NULL;
	mate = NULL;
	mate_reads = 0;
	mate_resets = 0;
	cb_extra = CB_NONE;
	last_stats_disk = NULL;
	stats_were_reset = false;
	ecam = NULL;   /* host_platform_reset freed it */
	give_dma_ranges();
}

/* The disk holds what the model says, where it knows. */
static void check_disk_contents(void)
{
	const uint8_t *bytes = fake_virtio_disk(fv);
	uint64_t backed = fake_virtio_disk_bytes(fv) / VBLK_SECTOR_SIZE;

	for (uint64_t s = 0; s < backed && s < MODEL_SECTORS; s++) {
		const struct sector_model *m = &model[s];
		check(m->writes_in_flight == 0, "no write is still in flight at the end");
		if (m->tag != TAG_UNKNOWN && !m->haunted)
			check(sector_holds(bytes + s * VBLK_SECTOR_SIZE, m->tag, s),
			      "the disk holds what completed writes wrote (shadow model)");
	}
}

static void check_pool_canaries(void)
{
	for (unsigned i = 0; i < POOL_BIOS; i++) {
		if (!pool[i].used)
			check(all_canary(buffers[i], SLOT_BYTES), "the unused part of the buffer pool is untouched");
	}
}

static bool bio_in_pending_request(const struct blk_queue *q, const struct vblk_bio *bio)
{
	for (const struct blk_req *req = q->pending.head; req != NULL; req = req->next) {
		for (const struct vblk_bio *it = req->bios.head; it != NULL; it = it->next) {
			if (it == bio)
				return true;
		}
	}
	return false;
}

/* The liveness invariant (the header states the rule): with the device
 * behaving, vblk_poll alone completes every bio but those a plug that is
 * not full may hold for ever. */
static void check_polling_completes(void)
{
	if (!device_live() || disk_dead())
		return;
	take_back_silent_bios();
	unsigned rounds = 0, idle = 0;
	for (; rounds < LIVENESS_POLLS && idle < LIVENESS_IDLE && any_held(); rounds++) {
		unsigned callbacks_before = callbacks_run;
		unsigned completed = fake_virtio_complete_all(fv);
		int rc = vblk_poll(disk);
		take_back_silent_bios();
		note_full_plug();
		check(rc >= 0 || is_error(rc), "vblk_poll returns a count or a documented error");
		if (rc < 0)
			break;   /* the disk stopped: it completed everything */
		idle = completed == 0 && rc == 0 && callbacks_run == callbacks_before ? idle + 1 : 0;
		if (idle > 0)
			host_advance_time_us(LIVENESS_STEP_US);
	}
	const struct blk_queue *q = &disk->queue;
	bool plug_not_full = q->plugged && q->waiting.head == NULL && q->npending < BLK_PLUG_MAX_REQS;
	trace("  liveness: %u polls, %s, %u pending, %s", rounds, q->plugged ? "plugged" : "unplugged",
	      q->npending, q->waiting.head ? "bios waiting" : "none waiting");
	for (unsigned i = 0; i < POOL_BIOS; i++) {
		const struct slot *t = &pool[i];
		if (t->state != SLOT_HELD)
			continue;
		trace("  liveness: slot %u still held%s%s", i, t->must_go ? ", must go" : "",
		      bio_in_pending_request(q, &t->bio) ? ", in a pending request" : "");
		check(!t->must_go,
		      "polling alone completes a bio submitted unplugged or held by a full plug (liveness)");
		check(plug_not_full && bio_in_pending_request(q, &t->bio),
		      "only a plug that is not full holds a bio back from a device that completes (liveness)");
	}
}

/* The device behaves again; polling alone must complete what no plug
 * holds (check_polling_completes); everything must drain, or a reset must
 * take back what a dead disk held. */
static void finish_program(void)
{
	trace("finish");
	fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
	fake_virtio_corrupt_used(fv, FAKE_USED_OK, FAKE_ONCE);
	fake_virtio_stick_interrupt_bits(fv, 0);
	fake_virtio_at_cancel(fv);
	set_reset_delay(0);
	host_set_relax_limit(host_relax_count() + STEP_RELAX_LIMIT);
	check_polling_completes();
	check_step();
	host_set_relax_limit(host_relax_count() + STEP_RELAX_LIMIT);
	int rc = vblk_drain(disk);
	trace("  drain: %d", rc);
	check_step();
	check(rc != 0 || !any_held(), "vblk_drain returns 0 only when every bio has completed");
	if (rc != 0 || disk_dead()) {
		host_set_relax_limit(host_relax_count() + STEP_RELAX_LIMIT);
		rc = vblk_reset(disk);
		trace("  reset: %d", rc);
		take_back_silent_bios();
		check(rc == 0, "vblk_reset of a device that behaves succeeds");
		after_reset(rc);
		check_step();
	}
	check(!any_held(), "every accepted bio has completed by the end");
	check_pool_canaries();
	check_disk_contents();
	const struct fake_virtio_stats *st = fake_virtio_stats(fv);
	trace("end: %llu relaxes, %llu us, %u requests, %u notifies, %u used irqs, %u resets",
	      (unsigned long long)host_relax_count(), (unsigned long long)plat_time_us(), st->requests,
	      st->notifies, st->used_irqs, st->resets);
}

/* Each input creates a device with a fresh 64 KiB disk; behind ASan's
 * default 256 MB quarantine every one lands on new pages, and the page
 * faults took two thirds of a short input's time. A use after free
 * within an input is still caught. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };

	tracing = getenv("FUZZ_QUEUE_TRACE") != NULL;
	reset_harness();
	uint8_t shape = take8(&in);
	create_disk(shape, take8(&in));
	while (input_left(&in)) {
		host_set_relax_limit(host_relax_count() + STEP_RELAX_LIMIT);
		run_step(&in);
		check_step();
	}
	finish_program();
	vblk_shutdown();
	host_platform_reset();
	return 0;
}
