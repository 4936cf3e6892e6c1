/* SPDX-License-Identifier: MIT */
/*
 * plat_idle() for the vblk runtime: sleep in `wfi` until an interrupt, with
 * the EL1 virtual timer (CNTV_*, Arm ARM DDI 0487 "The Generic Timer in
 * AArch64 state") armed for the deadline so the sleep always ends.
 *
 * The timer compares CNTV_CVAL_EL0 with the virtual counter (CNTVCT_EL0,
 * what plat_time_us() reads); once CVAL <= count and ENABLE is set with
 * IMASK clear, its level-triggered PPI (INTID 27 on QEMU virt) is asserted
 * until software changes CVAL or CTL.
 *
 * This replaces the weak plat_idle() in plat/idle.c: the runtime
 * archive is linked with --whole-archive ahead of libvblk.a, so the strong
 * definition is already there when the linker scans libvblk.a, and
 * plat/idle.o is never pulled in.
 */
#include "drivers/irq.h"

#include "fdt/fdt.h"
#include "vblk/error.h"
#include "plat/platform.h"
#include "vblk/runtime.h"

#define CNTV_CTL_ENABLE       0x1u   /* the timer runs */
#define CNTV_CTL_IMASK        0x2u   /* its interrupt output is masked */

#define US_PER_S              1000000u
/* How long timer_init() waits for the interrupt of a timer that has
 * already expired: it arrives within microseconds on any working setup. */
#define TIMER_SELFTEST_US     10000u

static unsigned timer_intid;
static bool timer_ready;     /* the interrupt was seen to arrive */

static void timer_disarm(void)
{
	__asm__ volatile("msr cntv_ctl_el0, xzr\n\tisb" ::: "memory");
}

static void timer_arm(uint64_t deadline_ticks)
{
	__asm__ volatile("msr cntv_cval_el0, %0\n\t"
			 "msr cntv_ctl_el0, %1\n\t"
			 "isb"
			 : : "r"(deadline_ticks), "r"((uint64_t)CNTV_CTL_ENABLE) : "memory");
}

/* The interrupt's only job is to end a wfi: switch the timer off so its
 * level output drops before the EOI (else it is taken again at once). */
static void timer_irq(void *ctx)
{
	(void)ctx;
	timer_disarm();
}

/* Take the interrupts pending at this point, then mask IRQs again. The
 * isb is a context synchronization event: an interrupt pending when
 * PSTATE.I is cleared is taken no later than that, so before the
 * re-masking (Arm ARM DDI 0487, asynchronous exception masking). */
static void take_pending_irqs(void)
{
	__asm__ volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
}

/* The counter value at which plat_time_us() first reads `us` or more:
 * plat_time_us() rounds down, so round up here. Saturates instead of
 * wrapping for deadlines like UINT64_MAX ("no deadline"). */
static uint64_t us_to_ticks(uint64_t us)
{
	uint64_t hz = plat_counter_hz();
	uint64_t whole_s = us / US_PER_S, rest_us = us % US_PER_S;
	uint64_t rest_ticks = (rest_us * hz + US_PER_S - 1) / US_PER_S;

	if (hz == 0)
		return UINT64_MAX;
	if (whole_s > (UINT64_MAX - rest_ticks) / hz)
		return UINT64_MAX;
	return whole_s * hz + rest_ticks;
}

/*
 * An expired timer must interrupt within TIMER_SELFTEST_US. If it does
 * not, the GIC accepted our set-up but does not deliver (firmware left the
 * interrupt Secure, say), and a plat_idle() that trusted it would sleep
 * forever.
 *
 * IRQs are let in before each look at the clock, the first time too: a
 * host that stalls this vCPU for longer than the window right after the
 * timer is armed (a loaded machine does) must not make an interrupt that
 * is already pending look lost, which left the whole program polling.
 */
static bool timer_interrupt_arrives(void)
{
	unsigned long before = rt_irq_count(timer_intid);
	uint64_t give_up = plat_counter() + us_to_ticks(TIMER_SELFTEST_US);

	timer_arm(plat_counter());
	do {
		take_pending_irqs();
	} while (rt_irq_count(timer_intid) == before && plat_counter() < give_up);
	timer_disarm();
	return rt_irq_count(timer_intid) != before;
}

int timer_init(const struct board_info *board)
{
	int err;

	timer_disarm();
	if (board->timer_virt_intid == 0)
		return -VBLK_ENODEV;
	timer_intid = board->timer_virt_intid;
	err = rt_irq_register(timer_intid, fdt_gic_irq_is_edge(board->timer_virt_flags),
			      timer_irq, NULL);
	if (err < 0)
		return err;
	if (!timer_interrupt_arrives()) {
		rt_irq_unregister(timer_intid);
		return -VBLK_ETIMEDOUT;
	}
	timer_ready = true;
	return 0;
}

/*
 * The caller has masked IRQs and checked its condition (include/vblk/
 * platform.h). No wake-up is lost between that check and the sleep: an
 * interrupt that arrives meanwhile stays pending, and `wfi` does not sleep
 * while an interrupt is pending, masked by PSTATE.I or not (Arm ARM, "Wait
 * for Interrupt": WFI wake-up events). It is taken right after, in
 * take_pending_irqs(), before plat_idle returns and the caller looks again.
 */
void plat_idle(uint64_t deadline_us)
{
	plat_irqflags_t flags;
	uint64_t deadline_ticks;

	/* Inside an interrupt handler (a bio callback that waits, which
	 * vblk/bio.h forbids but does not refuse, or firmware's own handler
	 * calling vblk_read) the interrupt being handled is still active
	 * at the GIC, and every interrupt has the same priority: neither
	 * the disk's next one nor the timer's could end a `wfi`. Relax and
	 * return; the caller's loop looks at the ring itself. */
	if (!timer_ready || irq_handler_running()) {
		plat_cpu_relax();
		return;
	}
	flags = plat_irq_save();     /* in case a caller forgot */
	deadline_ticks = us_to_ticks(deadline_us);
	if (plat_counter() < deadline_ticks) {
		timer_arm(deadline_ticks);
		/* dsb: stores that will bring the wake-up (a QueueNotify)
		 * leave the CPU before it sleeps. */
		__asm__ volatile("dsb sy\n\twfi" ::: "memory");
		take_pending_irqs();
		timer_disarm();
	}
	plat_irq_restore(flags);
}
