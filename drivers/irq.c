/* SPDX-License-Identifier: MIT */
/*
 * The runtime's interrupt dispatch: a small table of handlers and the C
 * side of the IRQ exception.
 *
 *   IRQ vector (boot/vectors.S, trap frame saved)
 *     -> rt_trap() -> rt_irq_handler()          here, IRQs masked
 *          loop: INTID = acknowledge            GICC_IAR / ICC_IAR1_EL1
 *                1020-1023: nothing pending     return (no EOI for these)
 *                count it
 *                registered? call handler(ctx)
 *                else disable it at the GIC     so it cannot come back
 *                end of interrupt               GICC_EOIR / ICC_EOIR1_EL1
 *
 * Handlers run one at a time with IRQs masked (no nesting) on the boot
 * stack. The GIC itself is behind struct gic_ops (drivers/gic.h).
 */
#include "drivers/irq.h"

#include <stddef.h>

#include "drivers/gic.h"
#include "vblk/error.h"
#include "plat/platform.h"
#include "vblk/runtime.h"

/* Handlers registered at once: the timer, a few disks, a UART. */
#define RT_IRQ_MAX_HANDLERS 16u

struct irq_slot {
	unsigned intid;
	void (*handler)(void *ctx);    /* NULL: the slot is free */
	void *ctx;
};

/* NULL until irq_init() succeeds: then the runtime runs polled only. */
static const struct gic_ops *gic;
static struct irq_slot slots[RT_IRQ_MAX_HANDLERS];
/* Interrupts acknowledged, per INTID, registered or not. Written only by
 * rt_irq_handler (IRQs masked); a 64-bit load reads it whole. */
static unsigned long taken[GIC_FIRST_SPECIAL_INTID];
/* rt_irq_handler calls on the stack: 0 or 1 (handlers run with IRQs
 * masked), more only if a handler opens the mask itself. */
static unsigned handler_depth;

int irq_init(const struct board_info *board)
{
	const struct gic_ops *ops = gic_ops_for(board);
	int err;

	if (ops == NULL)
		return -VBLK_ENODEV;
	err = ops->init(board);
	if (err < 0)
		return err;
	gic = ops;
	return 0;
}

int rt_irq_controller(void)
{
	if (gic == &gicv2_ops)
		return 2;
	if (gic == &gicv3_ops)
		return 3;
	return 0;
}

static struct irq_slot *find_slot(unsigned intid)
{
	for (unsigned i = 0; i < RT_IRQ_MAX_HANDLERS; i++)
		if (slots[i].handler != NULL && slots[i].intid == intid)
			return &slots[i];
	return NULL;
}

static struct irq_slot *free_slot(void)
{
	for (unsigned i = 0; i < RT_IRQ_MAX_HANDLERS; i++)
		if (slots[i].handler == NULL)
			return &slots[i];
	return NULL;
}

int rt_irq_register(unsigned intid, bool edge, void (*handler)(void *ctx), void *ctx)
{
	struct irq_slot *slot;
	plat_irqflags_t flags;
	int err = 0;

	if (gic == NULL)
		return -VBLK_ENODEV;
	if (handler == NULL || intid >= gic->intid_limit())
		return -VBLK_EINVAL;

	/* The table is complete before the GIC may forward the interrupt. */
	flags = plat_irq_save();
	if (find_slot(intid) != NULL) {
		err = -VBLK_ESTATE;
	} else if ((slot = free_slot()) == NULL) {
		err = -VBLK_ENOMEM;
	} else {
		slot->intid = intid;
		slot->ctx = ctx;
		slot->handler = handler;
		if (!gic->enable(intid, edge)) {
			/* Not ours to enable (see gic_ops.enable): it would
			 * never come, and a caller that waited for it would
			 * only find out by its timeouts. */
			slot->handler = NULL;
			err = -VBLK_EUNSUPP;
		}
	}
	plat_irq_restore(flags);
	return err;
}

void rt_irq_unregister(unsigned intid)
{
	struct irq_slot *slot;
	plat_irqflags_t flags;

	if (gic == NULL)
		return;
	flags = plat_irq_save();
	slot = find_slot(intid);
	if (slot != NULL) {
		/* Off at the GIC first: one already on its way finds no
		 * handler and is dropped by rt_irq_handler. */
		gic->disable(intid);
		slot->handler = NULL;
		slot->ctx = NULL;
	}
	plat_irq_restore(flags);
}

unsigned long rt_irq_count(unsigned intid)
{
	return intid < GIC_FIRST_SPECIAL_INTID ? taken[intid] : 0;
}

bool irq_handler_running(void)
{
	return handler_depth > 0;
}

void rt_irq_handler(void)
{
	if (gic == NULL)
		return;         /* IRQs are never unmasked without a GIC */
	handler_depth++;
	for (;;) {
		uint32_t eoi_value;
		unsigned intid = gic->ack(&eoi_value);
		const struct irq_slot *slot;

		/* 1023: nothing (more) is pending, a spurious wake-up or an
		 * interrupt another CPU took; 1020-1022 are likewise not
		 * interrupts. None of them was activated, so none gets an
		 * EOI (IHI0048B §4.4.5, IHI0069 "Special INTIDs"). LPIs
		 * (8192 and up) are never enabled here. */
		if (intid >= GIC_FIRST_SPECIAL_INTID)
			break;
		taken[intid]++;
		slot = find_slot(intid);
		if (slot != NULL)
			slot->handler(slot->ctx);
		else
			gic->disable(intid);   /* nobody wants it: a level line
						  would be taken again forever */
		gic->eoi(eoi_value);
	}
	handler_depth--;
}
