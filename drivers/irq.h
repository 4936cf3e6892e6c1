/* SPDX-License-Identifier: MIT */
/*
 * Interrupts inside the vblk runtime: what boot/ calls in drivers/irq.c
 * and drivers/timer.c. Applications use rt_irq_register() and friends from
 * vblk/runtime.h.
 */
#ifndef VBLK_DRIVERS_IRQ_H
#define VBLK_DRIVERS_IRQ_H

#include <stdbool.h>

#include "drivers/board.h"

/* Set up the board's GIC (every interrupt disabled) at EL1. IRQs stay
 * masked: the caller unmasks them. Returns 0, or a negative code when the
 * board has no GIC we can drive; the runtime then runs without interrupts
 * and rt_irq_register() fails with -VBLK_ENODEV. */
int irq_init(const struct board_info *board);

/* The C side of the IRQ exception (boot/exceptions.c calls it, IRQs
 * masked): acknowledge, dispatch, end of interrupt, until nothing is
 * pending. Replaces the weak no-op in boot/exceptions.c. */
void rt_irq_handler(void);

/* Whether an interrupt handler is running (rt_irq_handler is on the
 * stack): plat_idle() must not sleep then, see drivers/timer.c. */
bool irq_handler_running(void);

/* Take over the EL1 virtual timer for plat_idle() (after irq_init, IRQs
 * still masked). Returns 0, or a negative code when its interrupt cannot
 * be used (then plat_idle only relaxes the CPU). */
int timer_init(const struct board_info *board);

#endif
