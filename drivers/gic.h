/* SPDX-License-Identifier: MIT */
/*
 * The Arm Generic Interrupt Controller, as the vblk runtime uses it: one
 * CPU (the boot CPU), every interrupt in Group 1 Non-secure (or the one
 * group of a GIC with a single Security state), delivered as IRQ to EL1.
 *
 * Two drivers implement the same operations: drivers/gicv2.c (GICv2, Arm
 * IHI 0048B: memory-mapped distributor and CPU interface) and
 * drivers/gicv3.c (GICv3, Arm IHI 0069: distributor, one redistributor per
 * CPU, CPU interface in ICC_* system registers). drivers/irq.c picks one
 * from the device tree (struct board_info) and never touches a register
 * itself.
 *
 * INTIDs (IHI0048B §2.2.1, IHI0069 "INTIDs"): 0-15 SGIs, 16-31 PPIs (private
 * to a CPU), 32-1019 SPIs (shared), 1020-1023 special: a read of the
 * acknowledge register returns 1023 when nothing is pending.
 */
#ifndef VBLK_DRIVERS_GIC_H
#define VBLK_DRIVERS_GIC_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/board.h"

#define GIC_FIRST_PPI_INTID      16u
#define GIC_FIRST_SPI_INTID      32u
#define GIC_FIRST_SPECIAL_INTID  1020u   /* 1020-1023 are never interrupts */
#define GIC_SPURIOUS_INTID       1023u   /* "nothing pending" */

/* Priority given to every interrupt. With two Security states a
 * Non-secure write stores (value >> 1) | 0x80, the lower-priority half
 * (IHI0048B §4.3.11 GICD_IPRIORITYRn, IHI0069 "Software accesses of
 * interrupt priority"), so a value with bit 7 set means the same thing in
 * every view. Interrupts never preempt one another here: handlers run
 * with PSTATE.I set. */
#define GIC_DEFAULT_PRIORITY     0xa0u
/* Priority mask: let every priority but the lowest (0xff) through. */
#define GIC_PRIORITY_MASK_ALL    0xffu

/* ---- per-INTID register banks (gic_common.c) ---------------------------
 * The same layout appears three times: GICv2's distributor, GICv3's
 * distributor (SPIs) and the SGI_base frame of a GICv3 redistributor (SGIs
 * and PPIs). Offsets are from the base of the frame. */
#define GIC_IGROUPR      0x080   /* 1 bit per INTID: 1 = Group 1 */
#define GIC_ISENABLER    0x100   /* write 1: enable forwarding */
#define GIC_ICENABLER    0x180   /* write 1: disable forwarding */
#define GIC_ISPENDR      0x200   /* write 1: make pending (tests use it) */
#define GIC_ICPENDR      0x280   /* write 1: clear pending */
#define GIC_IPRIORITYR   0x400   /* 1 byte per INTID */
#define GIC_ICFGR        0xc00   /* 2 bits per INTID: bit 1 = edge */
#define GIC_IGRPMODR     0xd00   /* GICv3, Secure only: group modifier */

#define GIC_BITS_PER_REG 32u
#define GIC_CFG_PER_REG  16u
#define GIC_CFG_EDGE     0x2u    /* Int_config[1]: 1 edge, 0 level */

/* Set one INTID's bit in a write-1 bank (ISENABLER, ICENABLER, ...). */
void gic_write_bit(uintptr_t frame, unsigned bank, unsigned intid);
/* The interrupt's bit in a set/clear bank as it reads back. */
bool gic_read_bit(uintptr_t frame, unsigned bank, unsigned intid);
/* Write `value` to every register of a bit bank covering [first, limit). */
void gic_write_bank(uintptr_t frame, unsigned bank, unsigned first_intid,
		    unsigned limit_intid, uint32_t value);
/* Every priority byte of [first, limit) = GIC_DEFAULT_PRIORITY. */
void gic_set_priorities(uintptr_t frame, unsigned first_intid, unsigned limit_intid);
/* Level or edge for one INTID. The caller has disabled it: changing the
 * trigger of an enabled interrupt is UNPREDICTABLE (IHI0048B §4.3.13). */
void gic_set_trigger(uintptr_t frame, unsigned intid, bool edge);

/* ---- the drivers ------------------------------------------------------- */
struct gic_ops {
	const char *name;
	/* EL1: everything disabled, not pending, Group 1 (where EL1 can
	 * say so), default priority, routed to this CPU; CPU interface and
	 * distributor on. Returns 0 or -VBLK_ENODEV. */
	int (*init)(const struct board_info *board);
	/* How many INTIDs the distributor implements (a bound, <= 1020). */
	unsigned (*intid_limit)(void);
	/* Set the trigger, route to this CPU, enable forwarding. Returns
	 * whether forwarding is on: an interrupt the Secure side kept in
	 * Group 0 ignores a Non-secure enable and reads as disabled
	 * (IHI0048B §4.3.4, IHI0069 §12.9.14), as firmware that ran at EL3
	 * and did not hand the interrupts over leaves them. */
	bool (*enable)(unsigned intid, bool edge);
	/* Stop forwarding; on return no new signal for it reaches the CPU. */
	void (*disable)(unsigned intid);
	/* Acknowledge the highest-priority pending interrupt: returns its
	 * INTID (>= GIC_FIRST_SPECIAL_INTID: none) and in *eoi_value what
	 * eoi() must be given for it. */
	unsigned (*ack)(uint32_t *eoi_value);
	/* End of interrupt: priority drop and deactivation together. */
	void (*eoi)(uint32_t eoi_value);
	/* EL3 only, MMU off, before .bss is cleared (uses its stack alone):
	 * make every interrupt Group 1 Non-secure so that Non-secure EL1
	 * can configure and take it. */
	void (*secure_init)(const struct board_info *board);
};

extern const struct gic_ops gicv2_ops;
extern const struct gic_ops gicv3_ops;

/* The driver for the board's GIC, or NULL if it has none we know. */
static inline const struct gic_ops *gic_ops_for(const struct board_info *board)
{
	if (board->gic_dist.base == 0 || board->gic_cpu.base == 0)
		return NULL;
	if (board->gic_version == 2)
		return &gicv2_ops;
	if (board->gic_version == 3)
		return &gicv3_ops;
	return NULL;
}

#endif
