/* SPDX-License-Identifier: MIT */
/*
 * Every public call made from a bio callback, in every context a callback
 * runs in, as a table: what the headers (vblk/bio.h's "Context rules" and
 * each function's comment in vblk/vblk.h and vblk/bio.h) say such a call
 * returns there.
 *
 * The contexts tell three write bios, each its own request:
 *  - polled: the device completed them, vblk_poll finds them;
 *  - interrupt: the device completed them, vblk_irq_handler finds them;
 *  - timeout stop: the device never answers, a drain times out and the
 *    stop completes them with -VBLK_ETIMEDOUT;
 *  - reset: the device holds them, vblk_reset cancels them
 *    (-VBLK_ECANCELED);
 *  - shutdown: the device is slow, vblk_shutdown's wait finds them.
 * The callback of the first bio the context tells, or of the last (when
 * nothing is left in the queue), makes one call. Each cell then checks
 * the call's result against the table, that nothing hung (the relax
 * limit), that every bio was told once with the context's status, and
 * that the disk works again: reset where the context stopped it, attached
 * again after a shutdown, then a write found in the device's memory.
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

#define SECTOR_BYTES     512u
#define BIO_BYTES        4096u
#define BIO_SECTORS      (BIO_BYTES / SECTOR_BYTES)
#define SHORT_TIMEOUT_US 5000u
/* A cell that would hang ends here instead (the default is 100 s). */
#define HANG_RELAXES     (20u * VBLK_RESET_TIMEOUT_US)
/* The bios a context tells (0-2), and the one a callback submits. */
#define TOLD_BIOS        3u
#define NEW_BIO          3u
/* Where the synchronous calls and the new bio go: clear of the three. */
#define CALL_SECTOR      512u
#define NEW_BIO_SECTOR   128u
#define CAPACITY_SECTORS 2048u   /* the fake's default disk */

static uint8_t pool[8 * BIO_BYTES] VBLK_ALIGNED;
static uint8_t sync_buf[BIO_BYTES] VBLK_ALIGNED;

static uint8_t *buffer(unsigned idx)
{
	return pool + (size_t)idx * BIO_BYTES;
}

static uint8_t *disk_at(struct fake_virtio *device, uint64_t sector)
{
	return fake_virtio_disk(device) + sector * SECTOR_BYTES;
}

static void fill(uint8_t *mem, size_t len_bytes, uint8_t seed)
{
	for (size_t i = 0; i < len_bytes; i++)
		mem[i] = (uint8_t)(i * 13u + seed + i / SECTOR_BYTES);
}

/* ---- the table --------------------------------------------------------- */

enum context {
	CTX_POLLED,        /* (A) vblk_poll found the completions */
	CTX_INTERRUPT,     /* (B) vblk_irq_handler found them */
	CTX_TIMEOUT_STOP,  /* (C) a timed-out request stopped the disk */
	CTX_RESET,         /* (D) vblk_reset cancelled what the disk held */
	CTX_SHUTDOWN,      /* (E) vblk_shutdown finished the disk */
	CTX_COUNT,
};

enum end { FIRST, LAST, END_COUNT };

enum call {
	CALL_SUBMIT,           /* vblk_submit of a new write bio */
	CALL_PLUGGED_SUBMIT,   /* vblk_plug, vblk_submit of it, vblk_unplug */
	CALL_POLL,
	CALL_DRAIN,
	CALL_WAIT_OTHER,       /* vblk_wait_bios for another of the three: the
				  first callback's for one not told yet, the
				  last callback's for the first one told */
	CALL_WAIT_OWN,         /* vblk_wait_bios for the callback's own bio */
	CALL_READ,
	CALL_WRITE,
	CALL_FLUSH,
	CALL_GET_ID,
	CALL_DISCARD,
	CALL_WRITE_ZEROES,
	CALL_INTERRUPTS_ON,    /* vblk_use_interrupts(disk, true) */
	CALL_INTERRUPTS_OFF,   /* vblk_use_interrupts(disk, false) */
	CALL_RESET,            /* vblk_reset of its own disk */
	CALL_SHUTDOWN,
	CALL_INIT_FROM_DT,     /* of QEMU virt's tree */
	CALL_SET_TIMEOUT,      /* void: 0 once it returned */
	CALL_CAPACITY,         /* 0 if the capacity is the device's */
	CALL_STATS,            /* 0 if the statistics count the three bios */
	CALL_COUNT,
};

static const char *const context_names[CTX_COUNT] = {
	"a polled completion", "an interrupt", "a timeout stop", "a reset", "a shutdown",
};
static const char *const call_names[CALL_COUNT] = {
	"vblk_submit", "vblk_plug+vblk_submit+vblk_unplug", "vblk_poll", "vblk_drain",
	"vblk_wait_bios (another bio)", "vblk_wait_bios (its own bio)", "vblk_read",
	"vblk_write", "vblk_flush", "vblk_get_id", "vblk_discard", "vblk_write_zeroes",
	"vblk_use_interrupts(true)", "vblk_use_interrupts(false)", "vblk_reset",
	"vblk_shutdown", "vblk_init_from_dt", "vblk_set_timeout_us", "vblk_capacity",
	"vblk_stats",
};

/* A cell says what the call may return there: one code, or a small set
 * (the kinds below say which and why). */
enum allowed {
	OK,            /* 0 */
	COUNTED,       /* a count >= 0 (vblk_poll) */
	STOPPED,       /* -VBLK_EBROKEN */
	STOPS_ERROR,   /* -VBLK_EBROKEN or -VBLK_ETIMEDOUT */
	RESETTING,     /* -VBLK_ESTATE */
	RESETS_ERROR,  /* -VBLK_ESTATE or -VBLK_ECANCELED */
	REFUSED,       /* -VBLK_ESTATE */
	SHUTTING_DOWN, /* 0 or -VBLK_ESTATE */
	OWN,           /* 0 or -VBLK_ESTATE */
};

/*
 * What the headers' words give, the reading written down where they are
 * silent or leave room:
 *
 * OK: bio.h lets a callback submit, plug and unplug, and read the stats;
 * it forbids the waits (vblk_wait_*, vblk_read/write/flush/get_id) but
 * names a refusal only for a disk being stopped and for a bio told after
 * the callback returns. A forbidden wait on a disk that is up is read as
 * doing its work (0), as test_interleave's callbacks that read or flush
 * the same disk expect. vblk_discard/vblk_write_zeroes wait as the
 * synchronous calls do, vblk_use_interrupts is not forbidden.
 *
 * STOPPED: a disk a timeout stopped answers -VBLK_EBROKEN until
 * vblk_reset (vblk_submit: "-VBLK_EBROKEN (the disk is stopped:
 * vblk_reset)"; vblk_poll: "for a disk stopped before this call (for
 * whatever reason, a timeout included, until vblk_reset)"; vblk_drain:
 * "the disk then answers -VBLK_EBROKEN"). The synchronous calls and
 * vblk_use_interrupts say nothing of their own; read as the same.
 *
 * STOPS_ERROR: the waits' "the disk's error at once if the disk is being
 * stopped" (vblk_wait_bios, vblk_drain) may mean what the disk answers
 * (-VBLK_EBROKEN) or the error that stopped it (-VBLK_ETIMEDOUT): either.
 *
 * RESETTING: vblk_submit's "-VBLK_ESTATE (... being reset or shut down
 * right now ...)"; read as the answer of every call that checks the disk
 * while vblk_reset cancels its bios, vblk_poll included.
 *
 * RESETS_ERROR: a reset stops the disk as well, so the waits answer "the
 * disk's error" at once: -VBLK_ESTATE (what the disk answers then, as
 * above) or -VBLK_ECANCELED (what stopped it).
 *
 * REFUSED: -VBLK_ESTATE from any callback: vblk_reset of its own disk and
 * vblk_shutdown (bio.h, vblk.h), vblk_init_from_dt (vblk.h).
 *
 * The shutdown's callbacks run inside its wait "for what is queued", the
 * disk still up. vblk_submit's "-VBLK_ESTATE (... being reset or shut
 * down right now ...; every disk refuses new bios from the moment
 * vblk_shutdown begins)" refuses a bio submitted there (REFUSED). The
 * synchronous calls and vblk_use_interrupts say nothing, so either their
 * work (0) or that refusal (SHUTTING_DOWN).
 *
 * A wait for the callback's own bio: bio.h sets `completed` "just before
 * `done` runs", so the bio is told already and the wait returns its
 * status; "-VBLK_ESTATE for a bio of the callback's own request, told
 * only after it returns" is read as being about the others in its
 * request, but the words also fit the bio itself: either (OWN).
 *
 * A wait for another bio: in the first callback, one not told yet. A
 * harvest tells one request before it takes the next from the ring, so
 * the other requests are not "told only after it returns": a nested wait
 * (forbidden, no refusal named) finds them, 0. In the last callback, the
 * first bio told: its status, or for a stop the disk's error.
 */
/* A cell the same from the first and from the last callback. */
#define BOTH(cell)    { cell, cell }
/* One row: polled, interrupt, timeout stop, reset, shutdown. */
#define ROW(a, b, c, d, e) { BOTH(a), BOTH(b), BOTH(c), BOTH(d), BOTH(e) }

static const enum allowed expected[CALL_COUNT][CTX_COUNT][END_COUNT] = {
	/*                          polled   interrupt timeout  reset         shutdown */
	[CALL_SUBMIT]         = ROW(OK,      OK,       STOPPED, RESETTING,    REFUSED),
	[CALL_PLUGGED_SUBMIT] = ROW(OK,      OK,       STOPPED, RESETTING,    REFUSED),
	[CALL_POLL]           = ROW(COUNTED, COUNTED,  STOPPED, RESETTING,    COUNTED),
	[CALL_DRAIN]          = ROW(OK,      OK,       STOPS_ERROR, RESETS_ERROR, OK),
	[CALL_WAIT_OTHER]     = ROW(OK,      OK,       STOPS_ERROR, RESETS_ERROR, OK),
	[CALL_WAIT_OWN]       = ROW(OWN,     OWN,      STOPS_ERROR, RESETS_ERROR, OWN),
	[CALL_READ]           = ROW(OK,      OK,       STOPPED, RESETTING,    SHUTTING_DOWN),
	[CALL_WRITE]          = ROW(OK,      OK,       STOPPED, RESETTING,    SHUTTING_DOWN),
	[CALL_FLUSH]          = ROW(OK,      OK,       STOPPED, RESETTING,    SHUTTING_DOWN),
	[CALL_GET_ID]         = ROW(OK,      OK,       STOPPED, RESETTING,    SHUTTING_DOWN),
	[CALL_DISCARD]        = ROW(OK,      OK,       STOPPED, RESETTING,    SHUTTING_DOWN),
	[CALL_WRITE_ZEROES]   = ROW(OK,      OK,       STOPPED, RESETTING,    SHUTTING_DOWN),
	[CALL_INTERRUPTS_ON]  = ROW(OK,      OK,       STOPPED, RESETTING,    SHUTTING_DOWN),
	[CALL_INTERRUPTS_OFF] = ROW(OK,      OK,       STOPPED, RESETTING,    SHUTTING_DOWN),
	[CALL_RESET]          = ROW(REFUSED, REFUSED,  REFUSED, REFUSED,      REFUSED),
	[CALL_SHUTDOWN]       = ROW(REFUSED, REFUSED,  REFUSED, REFUSED,      REFUSED),
	[CALL_INIT_FROM_DT]   = ROW(REFUSED, REFUSED,  REFUSED, REFUSED,      REFUSED),
	[CALL_SET_TIMEOUT]    = ROW(OK,      OK,       OK,      OK,           OK),
	[CALL_CAPACITY]       = ROW(OK,      OK,       OK,      OK,           OK),
	[CALL_STATS]          = ROW(OK,      OK,       OK,      OK,           OK),
};

/* ---- one cell ---------------------------------------------------------- */

static enum context ctx;
static enum end which;
static enum call call;
static unsigned told;                /* of the three, so far */
static unsigned told_order[TOLD_BIOS];
static int call_rc;
static bool call_made;
static bool in_irq;
static bool call_in_irq;

/* Fail naming the cell: a loop runs a test's every call. */
#define expect(cond)                                                                        \
	do {                                                                                \
		if (!(cond))                                                                \
			fail_msg("%s from the %s callback of %s: %s", call_names[call],     \
				 which == FIRST ? "first" : "last", context_names[ctx], #cond); \
	} while (0)

static uint32_t context_timeout_us(void)
{
	return ctx == CTX_TIMEOUT_STOP ? SHORT_TIMEOUT_US : VBLK_TIMEOUT_US;
}

static void new_bio_done(struct vblk_bio *bio, int status)
{
	log_done(bio, status);
}

static struct vblk_bio *new_bio(void)
{
	fill(buffer(NEW_BIO), BIO_BYTES, 0x77);
	return make_bio(NEW_BIO, VBLK_OP_WRITE, NEW_BIO_SECTOR, buffer(NEW_BIO), BIO_BYTES,
			new_bio_done);
}

/* The first callback waits for one of the three not told yet; the last
 * for the first one told. */
static struct vblk_bio *other_bio(void)
{
	if (which == LAST)
		return &bios[told_order[0]];
	for (unsigned i = 0; i < TOLD_BIOS; i++) {
		if (!bios[i].completed)
			return &bios[i];
	}
	fail_msg("the first callback found every bio told");
	return NULL;
}

static int init_from_dt(void)
{
	size_t len_bytes;
	uint8_t *blob = load_test_dtb("qemu-virt.dtb", 0, &len_bytes);
	int rc = vblk_init_from_dt(blob, len_bytes);
	free(blob);
	return rc;
}

static int make_call(struct vblk_bio *own)
{
	struct vblk_stats stats;
	char id[21];

	switch (call) {
	case CALL_SUBMIT:
		return vblk_submit(disk, new_bio());
	case CALL_PLUGGED_SUBMIT: {
		vblk_plug(disk);
		int rc = vblk_submit(disk, new_bio());
		vblk_unplug(disk);
		return rc;
	}
	case CALL_POLL:
		return vblk_poll(disk);
	case CALL_DRAIN:
		return vblk_drain(disk);
	case CALL_WAIT_OTHER: {
		struct vblk_bio *other = other_bio();
		return vblk_wait_bios(disk, &other, 1);
	}
	case CALL_WAIT_OWN:
		return vblk_wait_bios(disk, &own, 1);
	case CALL_READ:
		return vblk_read(disk, CALL_SECTOR, sync_buf, BIO_SECTORS);
	case CALL_WRITE:
		return vblk_write(disk, CALL_SECTOR, sync_buf, BIO_SECTORS);
	case CALL_FLUSH:
		return vblk_flush(disk);
	case CALL_GET_ID:
		return vblk_get_id(disk, id);
	case CALL_DISCARD:
		return vblk_discard(disk, CALL_SECTOR, BIO_SECTORS);
	case CALL_WRITE_ZEROES:
		return vblk_write_zeroes(disk, CALL_SECTOR, BIO_SECTORS, 0);
	case CALL_INTERRUPTS_ON:
		return vblk_use_interrupts(disk, true);
	case CALL_INTERRUPTS_OFF:
		return vblk_use_interrupts(disk, false);
	case CALL_RESET:
		return vblk_reset(disk);
	case CALL_SHUTDOWN:
		return vblk_shutdown();
	case CALL_INIT_FROM_DT:
		return init_from_dt();
	case CALL_SET_TIMEOUT:
		vblk_set_timeout_us(disk, context_timeout_us());
		return 0;
	case CALL_CAPACITY:
		return vblk_capacity(disk) == CAPACITY_SECTORS ? 0 : -1;
	case CALL_STATS:
		memset(&stats, 0, sizeof(stats));
		vblk_stats(disk, &stats);
		return stats.bios >= TOLD_BIOS ? 0 : -1;
	case CALL_COUNT:
		break;
	}
	return -1;
}

static void done(struct vblk_bio *bio, int status)
{
	unsigned idx = log_done(bio, status);

	told_order[told++] = idx;
	if (call_made || told != (which == FIRST ? 1u : TOLD_BIOS))
		return;
	call_made = true;
	call_in_irq = in_irq;
	call_rc = make_call(bio);
}

static void take_interrupt(struct fake_virtio *device, void *ctx_disk)
{
	(void)device;
	in_irq = true;
	vblk_irq_handler(ctx_disk);
	in_irq = false;
}

static bool allows(enum allowed cell, int rc)
{
	switch (cell) {
	case OK:
		return rc == 0;
	case COUNTED:
		return rc >= 0;
	case STOPPED:
		return rc == -VBLK_EBROKEN;
	case STOPS_ERROR:
		return rc == -VBLK_EBROKEN || rc == -VBLK_ETIMEDOUT;
	case RESETTING:
	case REFUSED:
		return rc == -VBLK_ESTATE;
	case RESETS_ERROR:
		return rc == -VBLK_ESTATE || rc == -VBLK_ECANCELED;
	case SHUTTING_DOWN:
	case OWN:
		return rc == 0 || rc == -VBLK_ESTATE;
	}
	return false;
}

/* What the context tells each of the three. */
static int told_status(void)
{
	switch (ctx) {
	case CTX_TIMEOUT_STOP:
		return -VBLK_ETIMEDOUT;
	case CTX_RESET:
		return -VBLK_ECANCELED;
	default:
		return 0;
	}
}

static bool submits(void)
{
	return call == CALL_SUBMIT || call == CALL_PLUGGED_SUBMIT;
}

/* Attach, queue the three, and let the context tell them. */
static void run_context(void **state)
{
	attach_ok(state, NULL);
	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	vblk_set_timeout_us(disk, context_timeout_us());
	if (ctx == CTX_INTERRUPT)
		assert_int_equal(vblk_use_interrupts(disk, true), 0);
	if (ctx == CTX_SHUTDOWN)
		fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 3);
	else
		fake_virtio_set_completion(fv, FAKE_COMPLETE_NEVER, 0);
	/* 16 sectors apart: three requests, none merged. */
	for (unsigned i = 0; i < TOLD_BIOS; i++) {
		fill(buffer(i), BIO_BYTES, (uint8_t)(0x40 + i));
		make_bio(i, VBLK_OP_WRITE, 16u * i, buffer(i), BIO_BYTES, done);
		assert_int_equal(vblk_submit(disk, &bios[i]), 0);
	}
	fill(sync_buf, BIO_BYTES, 0x5a);

	plat_irqflags_t flags;
	switch (ctx) {
	case CTX_POLLED:
		assert_int_equal(fake_virtio_complete_all(fv), TOLD_BIOS);
		/* What the callback sends completes at once. */
		fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
		expect(vblk_poll(disk) >= 0);
		assert_int_equal(vblk_drain(disk), 0);
		break;
	case CTX_INTERRUPT:
		flags = plat_irq_save();
		assert_int_equal(fake_virtio_complete_all(fv), TOLD_BIOS);
		fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
		plat_irq_restore(flags);   /* the handler runs here */
		assert_int_equal(vblk_drain(disk), 0);
		break;
	case CTX_TIMEOUT_STOP:
		/* vblk_drain: 0 once the queue is empty, a timeout included. */
		assert_int_equal(vblk_drain(disk), 0);
		fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
		assert_int_equal(vblk_reset(disk), 0);
		break;
	case CTX_RESET:
		fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
		assert_int_equal(vblk_reset(disk), 0);
		break;
	case CTX_SHUTDOWN: {
		assert_int_equal(vblk_shutdown(), 0);
		assert_int_equal(vblk_disk_count(), 0);
		fake_virtio_set_completion(fv, FAKE_COMPLETE_IMMEDIATE, 0);
		int index = attach_device(fv);
		assert_true(index >= 0);
		disk = vblk_disk((unsigned)index);
		break;
	}
	case CTX_COUNT:
		break;
	}
}

/* After the context: every bio told once, the call's effects, and a disk
 * that works (a write found in the device's memory, read back). */
static void expect_aftermath(void)
{
	static uint8_t back[BIO_BYTES] VBLK_ALIGNED;

	expect(call_made);
	expect(call_in_irq == (ctx == CTX_INTERRUPT));
	for (unsigned i = 0; i < TOLD_BIOS; i++) {
		expect(done_calls[i] == 1);
		expect(done_status[i] == told_status());
		if (told_status() == 0)
			expect(memcmp(disk_at(fv, 16u * i), buffer(i), BIO_BYTES) == 0);
	}
	/* A new bio accepted completes once, on the disk; refused, never. */
	if (submits() && call_rc == 0) {
		expect(done_calls[NEW_BIO] == 1 && done_status[NEW_BIO] == 0);
		expect(memcmp(disk_at(fv, NEW_BIO_SECTOR), buffer(NEW_BIO), BIO_BYTES) == 0);
	} else {
		expect(done_calls[NEW_BIO] == 0);
	}
	if (call == CALL_WRITE && call_rc == 0)
		expect(memcmp(disk_at(fv, CALL_SECTOR), sync_buf, BIO_BYTES) == 0);
	/* Whatever the call, the disk is still the one attached: a refused
	 * vblk_shutdown or vblk_init_from_dt forgot nothing (the shutdown's
	 * own context attached it again). */
	expect(vblk_disk_count() == 1);
	expect(vblk_disk(0) == disk);

	fill(sync_buf, BIO_BYTES, 0x99);
	expect(vblk_write(disk, 256, sync_buf, BIO_SECTORS) == 0);
	expect(memcmp(disk_at(fv, 256), sync_buf, BIO_BYTES) == 0);
	memset(back, 0, sizeof(back));
	expect(vblk_read(disk, 256, back, BIO_SECTORS) == 0);
	expect(memcmp(back, sync_buf, BIO_BYTES) == 0);
	expect(vblk_drain(disk) == 0);
	fake_virtio_assert_clean(fv);
}

static void run_cell(void **state)
{
	disk_setup(state);
	bio_log_reset();
	host_set_relax_limit(HANG_RELAXES);
	told = 0;
	call_made = in_irq = call_in_irq = false;
	call_rc = 1;

	run_context(state);
	enum allowed cell = expected[call][ctx][which];
	if (!allows(cell, call_rc))
		fail_msg("%s from the %s callback of %s returned %d (%s)", call_names[call],
			 which == FIRST ? "first" : "last", context_names[ctx], call_rc,
			 vblk_strerror(call_rc));
	expect_aftermath();
	disk_teardown(state);
	fv = NULL;   /* freed: the test's own teardown must not look */
	disk = NULL;
}

/* Every call, each on a machine of its own. */
static void expect_row_of_the_table(void **state, enum context context, enum end told_by)
{
	ctx = context;
	which = told_by;
	for (call = 0; call < CALL_COUNT; call++)
		run_cell(state);
}

static void test_calls_from_the_first_callback_of_a_polled_completion(void **state)
{
	expect_row_of_the_table(state, CTX_POLLED, FIRST);
}

static void test_calls_from_the_last_callback_of_a_polled_completion(void **state)
{
	expect_row_of_the_table(state, CTX_POLLED, LAST);
}

static void test_calls_from_the_first_callback_of_an_interrupt(void **state)
{
	expect_row_of_the_table(state, CTX_INTERRUPT, FIRST);
}

static void test_calls_from_the_last_callback_of_an_interrupt(void **state)
{
	expect_row_of_the_table(state, CTX_INTERRUPT, LAST);
}

static void test_calls_from_the_first_callback_of_a_timeout_stop(void **state)
{
	expect_row_of_the_table(state, CTX_TIMEOUT_STOP, FIRST);
}

static void test_calls_from_the_last_callback_of_a_timeout_stop(void **state)
{
	expect_row_of_the_table(state, CTX_TIMEOUT_STOP, LAST);
}

static void test_calls_from_the_first_callback_of_a_reset(void **state)
{
	expect_row_of_the_table(state, CTX_RESET, FIRST);
}

static void test_calls_from_the_last_callback_of_a_reset(void **state)
{
	expect_row_of_the_table(state, CTX_RESET, LAST);
}

static void test_calls_from_the_first_callback_of_a_shutdown(void **state)
{
	expect_row_of_the_table(state, CTX_SHUTDOWN, FIRST);
}

static void test_calls_from_the_last_callback_of_a_shutdown(void **state)
{
	expect_row_of_the_table(state, CTX_SHUTDOWN, LAST);
}

#define ALL(name) ALL_TRANSPORTS(name, disk_setup, disk_teardown), \
		  PACKED_TRANSPORTS(name, disk_setup, disk_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALL(test_calls_from_the_first_callback_of_a_polled_completion),
		ALL(test_calls_from_the_last_callback_of_a_polled_completion),
		ALL(test_calls_from_the_first_callback_of_an_interrupt),
		ALL(test_calls_from_the_last_callback_of_an_interrupt),
		ALL(test_calls_from_the_first_callback_of_a_timeout_stop),
		ALL(test_calls_from_the_last_callback_of_a_timeout_stop),
		ALL(test_calls_from_the_first_callback_of_a_reset),
		ALL(test_calls_from_the_last_callback_of_a_reset),
		ALL(test_calls_from_the_first_callback_of_a_shutdown),
		ALL(test_calls_from_the_last_callback_of_a_shutdown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
