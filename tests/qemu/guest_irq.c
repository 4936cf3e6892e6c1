/* SPDX-License-Identifier: MIT */
/*
 * QEMU test cases for the runtime's interrupts (drivers/gic*.c, irq.c,
 * timer.c), as a firmware author would use them.
 *
 * interrupts el= gic=
 *   The runtime drives the GIC the device tree names and main() runs with
 *   IRQs unmasked; plat_idle() sleeps on the timer interrupt; registering
 *   refuses bad calls; a pended SPI reaches its handler; an SPI without a
 *   handler is disabled when it arrives. No disk needed.
 *
 * virtio_irq seed= start= count=
 *   The disk's own interrupt, registered by hand for the INTID and trigger
 *   its DT node gives, reaches the handler while synchronous reads sleep.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "drivers/board.h"
#include "drivers/gic.h"
#include "plat/platform.h"
#include "virtio/dt.h"
#include "virtio/mmio.h"
#include "tests/qemu/guest.h"
#include "vblk/runtime.h"
#include "vblk/vblk.h"

#define DAIF_I_BIT            0x80u   /* PSTATE.I as plat_irq_save returns it */
#define SLEEP_SLACK_US        50000u  /* how late a wake-up may be under TCG */
#define SLEEP_MAX_WAKEUPS     8u      /* plat_idle returns per sleep; polling
					 would be thousands */
#define PAST_DEADLINE_MAX_US  2000u   /* "at once", with room for the host */
#define SPI_ARRIVAL_MAX_US    10000u  /* a pended SPI is taken within this */
#define TEST_SPI_FIRST        200u    /* unused SPIs on QEMU virt (its devices */
#define TEST_SPI_COUNT        32u     /* stop at INTID 127; GICv3 has 256) */
#define TEST_SPI_HANDLED      240u
#define TEST_SPI_UNHANDLED    241u
#define BAD_INTID_OUT_OF_GIC  1019u   /* QEMU's GICs implement fewer */
#define BAD_INTID_SPECIAL     1020u
#define GIC_REG_BYTES         4u
#define GIC_BITS_PER_WORD     32u
#define DISK_IO_MAX_US        1000000u /* one request, with room for the host;
					  woken only by deadlines, reads take longer */

static uint8_t sector_buf[SECTOR_BYTES] VBLK_ALIGNED;

/* gic=V: the runtime drives the GIC the DT names, and main() runs with
 * IRQs unmasked (the runtime unmasks them only after the GIC is set up). */
static int check_runtime_took_interrupts(void)
{
	uint64_t want_gic = arg_u64("gic", 0);
	plat_irqflags_t daif = plat_irq_save();

	plat_irq_restore(daif);
	printf("runtime: GICv%d, IRQs %s in main(), timer INTID %lu\n",
	       rt_irq_controller(), (daif & DAIF_I_BIT) ? "masked" : "unmasked",
	       (unsigned long)rt_board()->timer_virt_intid);
	if (want_gic != 0 && (uint64_t)rt_irq_controller() != want_gic)
		return fail("runtime drives GICv%d, expected GICv%lu", rt_irq_controller(),
			    (unsigned long)want_gic);
	if (rt_irq_controller() == 0)
		return fail("runtime runs without interrupts");
	if (daif & DAIF_I_BIT)
		return fail("IRQs are still masked in main()");
	if (rt_board()->timer_virt_intid == 0)
		return fail("no virtual timer interrupt in the device tree");
	return 0;
}

/* What one sleep did: how long it took, how often plat_idle returned,
 * how many timer interrupts were taken. */
struct sleep_result {
	uint64_t took_us;
	unsigned wakeups;
	unsigned long timer_irqs;
};

/* Sleep until `sleep_us` from now in plat_idle() calls, with IRQs masked,
 * as platform.h asks. */
static struct sleep_result sleep_once(uint64_t sleep_us)
{
	unsigned timer_intid = rt_board()->timer_virt_intid;
	unsigned long timer_irqs = rt_irq_count(timer_intid);
	struct sleep_result r = { 0 };
	plat_irqflags_t flags = plat_irq_save();
	uint64_t start = rt_time_us(), deadline = start + sleep_us, now;

	while ((now = rt_time_us()) < deadline) {
		plat_idle(deadline);
		r.wakeups++;
	}
	plat_irq_restore(flags);
	r.took_us = now - start;
	r.timer_irqs = rt_irq_count(timer_intid) - timer_irqs;
	printf("sleep %lu us: woke after %lu us, %u return(s) from plat_idle, "
	       "%lu timer interrupt(s)\n", (unsigned long)sleep_us,
	       (unsigned long)r.took_us, r.wakeups, r.timer_irqs);
	return r;
}

/* Sleeps a few times at most: a loaded host may stall the vCPU past the
 * deadline before plat_idle looks at the clock (it then rightly arms no
 * timer: a CI run saw 0 returns and a sleep of 4.8 ms for 1 ms), or for
 * long after it wakes, which says nothing about plat_idle. */
#define SLEEP_TRIES 3u

/* plat_idle() sleeps until its deadline on the timer interrupt: the sleep
 * is not shorter than asked, not much longer, the timer interrupt was
 * taken, and plat_idle returned only a few times (a polling fallback
 * returns at once, thousands of times), in one of SLEEP_TRIES tries. */
static int check_sleep_wakes_on_timer(uint64_t sleep_us)
{
	struct sleep_result r;

	for (unsigned i = 0; i < SLEEP_TRIES; i++) {
		r = sleep_once(sleep_us);
		if (r.took_us <= sleep_us + SLEEP_SLACK_US && r.timer_irqs > 0 &&
		    r.wakeups <= SLEEP_MAX_WAKEUPS)
			return 0;
	}
	if (r.took_us > sleep_us + SLEEP_SLACK_US)
		return fail("sleep of %lu us took %lu us", (unsigned long)sleep_us,
			    (unsigned long)r.took_us);
	if (r.timer_irqs == 0)
		return fail("sleep of %lu us ended without a timer interrupt",
			    (unsigned long)sleep_us);
	return fail("plat_idle returned %u times in a %lu us sleep: it polls", r.wakeups,
		    (unsigned long)sleep_us);
}

/* A deadline already passed (0, a microsecond ago, now) returns at once
 * without arming the timer. "At once" is the quickest of a few tries: a
 * loaded host may deschedule the vCPU for milliseconds in any one of
 * them, which says nothing about plat_idle. */
#define PAST_DEADLINE_TRIES 3u

static int check_past_deadline_returns_at_once(void)
{
	unsigned timer_intid = rt_board()->timer_virt_intid;
	unsigned long timer_irqs = rt_irq_count(timer_intid);
	uint64_t quickest_us = UINT64_MAX;

	for (unsigned i = 0; i < PAST_DEADLINE_TRIES; i++) {
		plat_irqflags_t flags = plat_irq_save();
		uint64_t start = rt_time_us(), took_us;

		plat_idle(0);
		plat_idle(start - 1);
		plat_idle(start);
		took_us = rt_time_us() - start;
		plat_irq_restore(flags);
		if (took_us < quickest_us)
			quickest_us = took_us;
	}
	printf("three past deadlines: %lu us (quickest of %u tries)\n",
	       (unsigned long)quickest_us, PAST_DEADLINE_TRIES);
	if (quickest_us > PAST_DEADLINE_MAX_US)
		return fail("plat_idle with past deadlines took %lu us", (unsigned long)quickest_us);
	if (rt_irq_count(timer_intid) != timer_irqs)
		return fail("plat_idle armed the timer for a deadline in the past");
	return 0;
}

static void ignore_interrupt(void *ctx)
{
	(void)ctx;
}

/* Bad INTIDs and handlers are refused with -VBLK_EINVAL, a second handler
 * for one INTID with -VBLK_ESTATE, one handler too many with -VBLK_ENOMEM;
 * unregistering frees the slots again. */
static int check_register_refuses_bad_calls(void)
{
	unsigned registered = 0;
	int rc = 0;

	if (expect_rc("rt_irq_register(1019)",
		      rt_irq_register(BAD_INTID_OUT_OF_GIC, false, ignore_interrupt, NULL),
		      -VBLK_EINVAL) ||
	    expect_rc("rt_irq_register(1020)",
		      rt_irq_register(BAD_INTID_SPECIAL, false, ignore_interrupt, NULL),
		      -VBLK_EINVAL) ||
	    expect_rc("rt_irq_register(NULL handler)",
		      rt_irq_register(TEST_SPI_FIRST, true, NULL, NULL), -VBLK_EINVAL) ||
	    expect_rc("rt_irq_register(timer INTID) again",
		      rt_irq_register(rt_board()->timer_virt_intid, false, ignore_interrupt, NULL),
		      -VBLK_ESTATE))
		return -1;
	while (registered < TEST_SPI_COUNT) {
		rc = rt_irq_register(TEST_SPI_FIRST + registered, true, ignore_interrupt, NULL);
		if (rc != 0)
			break;
		registered++;
	}
	for (unsigned i = 0; i < registered; i++)
		rt_irq_unregister(TEST_SPI_FIRST + i);
	printf("handler table full after %u more: %d (%s)\n", registered, rc, vblk_strerror(rc));
	if (registered == 0 || registered == TEST_SPI_COUNT)
		return fail("%u registrations before the table was full", registered);
	if (expect_rc("rt_irq_register on a full table", rc, -VBLK_ENOMEM) ||
	    expect_rc("rt_irq_register after unregistering",
		      rt_irq_register(TEST_SPI_FIRST, true, ignore_interrupt, NULL), 0))
		return -1;
	rt_irq_unregister(TEST_SPI_FIRST);
	return 0;
}

/* Make SPI `intid` pending from software, through the distributor. */
static void gic_pend(unsigned intid)
{
	uintptr_t gicd = (uintptr_t)rt_board()->gic_dist.base;

	plat_mmio_write32(gicd + GIC_ISPENDR + intid / GIC_BITS_PER_WORD * GIC_REG_BYTES,
			  1u << (intid % GIC_BITS_PER_WORD));
}

static bool gic_enabled(unsigned intid)
{
	uintptr_t gicd = (uintptr_t)rt_board()->gic_dist.base;
	uint32_t word = plat_mmio_read32(gicd + GIC_ISENABLER +
					 intid / GIC_BITS_PER_WORD * GIC_REG_BYTES);

	return (word >> (intid % GIC_BITS_PER_WORD)) & 1;
}

/* Wait (IRQs unmasked) until `intid` has been taken `count` times. */
static bool wait_irq_count(unsigned intid, unsigned long count)
{
	uint64_t give_up = rt_time_us() + SPI_ARRIVAL_MAX_US;

	while (rt_irq_count(intid) < count && rt_time_us() < give_up)
		plat_cpu_relax();
	return rt_irq_count(intid) >= count;
}

static unsigned long spi_handler_calls;

static void count_spi(void *ctx)
{
	*(volatile unsigned long *)ctx += 1;
}

/* An SPI made pending reaches its handler, with its context, once: it is
 * routed to this CPU (GICD_ITARGETSR / GICD_IROUTER) and its group is one
 * EL1 takes (at EL3 boots: Non-secure Group 1). */
static int check_spi_reaches_handler(void)
{
	if (expect_rc("rt_irq_register(test SPI)",
		      rt_irq_register(TEST_SPI_HANDLED, true, count_spi, &spi_handler_calls), 0))
		return -1;
	gic_pend(TEST_SPI_HANDLED);
	wait_irq_count(TEST_SPI_HANDLED, 1);
	rt_irq_unregister(TEST_SPI_HANDLED);
	printf("software-pended SPI %u: %lu handler call(s), counted %lu\n", TEST_SPI_HANDLED,
	       spi_handler_calls, rt_irq_count(TEST_SPI_HANDLED));
	if (spi_handler_calls != 1 || rt_irq_count(TEST_SPI_HANDLED) != 1)
		return fail("pended SPI %u: %lu handler calls, %lu counted, expected 1",
			    TEST_SPI_HANDLED, spi_handler_calls, rt_irq_count(TEST_SPI_HANDLED));
	return 0;
}

/* An interrupt enabled at the GIC without a handler (here: enabled behind
 * the runtime's back after unregistering) is counted once, disabled, and
 * does not come back: rt_irq_handler does not spin on it. */
static int check_unhandled_spi_is_disabled(void)
{
	uintptr_t gicd = (uintptr_t)rt_board()->gic_dist.base;
	unsigned intid = TEST_SPI_UNHANDLED;

	if (expect_rc("rt_irq_register(unhandled SPI)",
		      rt_irq_register(intid, true, ignore_interrupt, NULL), 0))
		return -1;
	rt_irq_unregister(intid);
	if (gic_enabled(intid))
		return fail("SPI %u still enabled after rt_irq_unregister", intid);
	plat_mmio_write32(gicd + GIC_ISENABLER + intid / GIC_BITS_PER_WORD * GIC_REG_BYTES,
			  1u << (intid % GIC_BITS_PER_WORD));
	gic_pend(intid);
	wait_irq_count(intid, 1);
	gic_pend(intid);           /* disabled now: must not be taken again */
	wait_irq_count(intid, 2);
	printf("unhandled SPI %u: counted %lu, %s afterwards\n", intid, rt_irq_count(intid),
	       gic_enabled(intid) ? "still enabled" : "disabled");
	plat_mmio_write32(gicd + GIC_ICPENDR + intid / GIC_BITS_PER_WORD * GIC_REG_BYTES,
			  1u << (intid % GIC_BITS_PER_WORD));
	if (rt_irq_count(intid) != 1)
		return fail("unhandled SPI %u taken %lu times, expected 1", intid,
			    rt_irq_count(intid));
	if (gic_enabled(intid))
		return fail("unhandled SPI %u left enabled", intid);
	return 0;
}

/* interrupts gic=V: the runtime's interrupt path end to end, without a
 * disk: GIC set up, timer sleeps, API errors, SPIs. */
int test_interrupts(void)
{
	static const uint64_t sleeps_us[] = { 1000, 5000, 20000 };

	if (check_runtime_took_interrupts() != 0)
		return -1;
	for (unsigned i = 0; i < sizeof(sleeps_us) / sizeof(sleeps_us[0]); i++)
		if (check_sleep_wakes_on_timer(sleeps_us[i]) != 0)
			return -1;
	if (check_past_deadline_returns_at_once() != 0 ||
	    check_register_refuses_bad_calls() != 0 ||
	    check_spi_reaches_handler() != 0 ||
	    check_unhandled_spi_is_disabled() != 0)
		return -1;
	return 0;
}

/* What the disk's interrupt handler saw. */
static struct {
	unsigned long calls;
	uint32_t status_seen;      /* InterruptStatus bits, ORed */
} disk_irq;

/* The handler a driver would have: read InterruptStatus and acknowledge
 * exactly those bits (virtio 1.2 §4.2.2), which lowers the line. It does
 * not harvest the used ring: the waits poll it after every wake-up. */
static void on_disk_interrupt(void *ctx)
{
	uintptr_t mmio = (uintptr_t)ctx;
	uint32_t status = plat_mmio_read32(mmio + VIRTIO_MMIO_INTERRUPT_STATUS);

	plat_mmio_write32(mmio + VIRTIO_MMIO_INTERRUPT_ACK, status);
	disk_irq.calls++;
	disk_irq.status_seen |= status;
}

/* The device tree's node for the window at mmio_base, as the library
 * reads it (NULL if none). */
static const struct virtio_dt_node *dt_node_at(uint64_t mmio_base)
{
	static struct virtio_dt found;

	if (virtio_dt_find(&found, rt_dtb(), rt_dtb_max_bytes()) < 0)
		return NULL;
	for (unsigned i = 0; i < found.count; i++)
		if (found.node[i].base == mmio_base)
			return &found.node[i];
	return NULL;
}

/* virtio_irq seed= start= count=: the disk's interrupt, registered with
 * the trigger its DT node gives, reaches the handler while the waits sleep
 * in plat_idle: reads of the host's pattern complete (each well under the
 * timeout a lost interrupt would cost), the handler saw used-ring
 * interrupts, rt_irq_count agrees; after unregistering, no more calls. */
int test_virtio_irq(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1), start, count, t0, took_us;
	const struct virtio_dt_node *slot;
	const struct vblk_info *info;
	unsigned nrequests = 0;
	unsigned long calls;
	bool edge;

	if (disk == NULL || chosen_range(disk, &start, &count) != 0)
		return -1;
	info = vblk_disk_info(disk);
	slot = dt_node_at(info->mmio_base);
	if (slot == NULL || slot->intid == 0)
		return fail("no interrupt for the disk at 0x%lx in the DT",
			    (unsigned long)info->mmio_base);
	edge = slot->irq_edge;
	printf("disk interrupt: INTID %lu, DT flags: %s-triggered\n",
	       (unsigned long)slot->intid, edge ? "edge" : "level");
	if (expect_rc("rt_irq_register(disk)",
		      rt_irq_register(slot->intid, edge, on_disk_interrupt,
				      (void *)(uintptr_t)info->mmio_base), 0) ||
	    expect_rc("vblk_use_interrupts(on)", vblk_use_interrupts(disk, true), 0))
		return -1;

	t0 = rt_time_us();
	if (read_and_check_range(disk, seed, start, count, &nrequests) != 0)
		return -1;
	took_us = rt_time_us() - t0;
	if (expect_rc("vblk_use_interrupts(off)", vblk_use_interrupts(disk, false), 0))
		return -1;
	rt_irq_unregister(slot->intid);
	calls = disk_irq.calls;
	printf("%u reads in %lu us: %lu interrupt(s), InterruptStatus bits 0x%lx, "
	       "counted %lu\n", nrequests, (unsigned long)took_us, calls,
	       (unsigned long)disk_irq.status_seen, rt_irq_count(slot->intid));
	if (calls == 0)
		return fail("no disk interrupt reached the handler");
	if (!(disk_irq.status_seen & VIRTIO_MMIO_INT_VRING))
		return fail("the handler never saw the used-ring bit (status 0x%lx)",
			    (unsigned long)disk_irq.status_seen);
	if (rt_irq_count(slot->intid) != calls)
		return fail("rt_irq_count %lu, handler calls %lu", rt_irq_count(slot->intid),
			    calls);
	if (took_us > (uint64_t)nrequests * DISK_IO_MAX_US)
		return fail("%u reads took %lu us: woken by timeouts, not interrupts",
			    nrequests, (unsigned long)took_us);

	memset(sector_buf, POISON_BYTE, SECTOR_BYTES);
	if (expect_rc("read after unregistering", vblk_read(disk, start, sector_buf, 1), 0) ||
	    check_pattern(sector_buf, seed, start, 1) != 0)
		return -1;
	if (disk_irq.calls != calls)
		return fail("handler called after rt_irq_unregister");
	return 0;
}

/* ---- a wait inside an interrupt-driven callback -------------------------- */

#define CALLBACK_READS     40u       /* enough for the adaptive wait to choose sleeping */
#define CALLBACK_READ_SECS 8u
#define CALLBACK_WAIT_US   20000000u

static uint8_t callback_first[4096] VBLK_ALIGNED;
static uint8_t callback_buf[CALLBACK_READ_SECS * SECTOR_BYTES] VBLK_ALIGNED;
static struct {
	struct vblk_disk *disk;
	uint64_t seed;
	volatile bool returned;
	volatile int rc;
} in_callback;

/* vblk/bio.h forbids a callback to wait, but does not refuse it: run by
 * vblk_irq_handler, the waits of these reads would sleep where no
 * interrupt can end the sleep (the disk's own is still active at the
 * GIC). They must return, with the right data. */
static void read_in_callback(struct vblk_bio *bio, int status)
{
	(void)bio;
	in_callback.rc = status;
	for (unsigned i = 0; i < CALLBACK_READS && in_callback.rc == 0; i++) {
		uint64_t sector = (uint64_t)i * CALLBACK_READ_SECS;
		in_callback.rc = vblk_read(in_callback.disk, sector, callback_buf,
					   CALLBACK_READ_SECS);
		if (in_callback.rc == 0 &&
		    check_pattern(callback_buf, in_callback.seed, sector, CALLBACK_READ_SECS) != 0)
			in_callback.rc = -1;
	}
	in_callback.returned = true;
}

int test_wait_in_irq_callback(void)
{
	struct vblk_disk *disk = chosen_disk();
	struct vblk_seg seg = { callback_first, sizeof(callback_first) };
	struct vblk_bio bio = { .op = VBLK_OP_READ, .sector = 64, .segs = &seg, .nsegs = 1,
				.done = read_in_callback };

	if (disk == NULL || use_irq_if_asked(disk) != 0)
		return -1;
	in_callback.disk = disk;
	in_callback.seed = arg_u64("seed", 1);
	if (expect_rc("vblk_submit", vblk_submit(disk, &bio), 0))
		return -1;
	/* No vblk wait here: the completion, and its callback, come in
	 * the interrupt handler. */
	uint64_t start_us = rt_time_us();
	while (!in_callback.returned && rt_time_us() - start_us < CALLBACK_WAIT_US)
		;
	if (!in_callback.returned)
		return fail("the callback's reads never returned");
	stop_irq_if_asked(disk);
	printf("%u reads inside the interrupt handler's callback: %d\n", CALLBACK_READS,
	       in_callback.rc);
	return expect_rc("the reads in the callback", in_callback.rc, 0);
}
