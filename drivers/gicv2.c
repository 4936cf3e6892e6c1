/* SPDX-License-Identifier: MIT */
/*
 * GICv2 (Arm IHI 0048B): a memory-mapped distributor (GICD) and CPU
 * interface (GICC), both named by the device tree.
 *
 * Which group the interrupts are in depends on who set the GIC up:
 *  - a GIC without the Security Extensions (QEMU virt unless secure=on) has
 *    one Security state; every interrupt stays in Group 0, its reset value,
 *    and with GICC_CTLR.FIQEn 0 Group 0 is signalled as IRQ (§4.4.1);
 *  - with the Security Extensions we run Non-secure, and the Secure side
 *    (our own EL3 code, gicv2_secure_init below, or QEMU for an Image boot)
 *    has put every interrupt in Group 1 (§4.3.4 GICD_IGROUPRn).
 * Either way bit 0 of GICD_CTLR and of GICC_CTLR enables exactly the group
 * our interrupts are in: it is EnableGrp0 in the one-state view and
 * EnableGrp1 in the Non-secure view (§4.3.1, §4.4.1). That is why this file
 * never needs to know which of the two it is talking to.
 */
#include "drivers/gic.h"

#include "vblk/error.h"
#include "plat/platform.h"

/* Distributor registers outside the shared banks (§4.3). */
#define GICD_CTLR                0x000
#define GICD_TYPER               0x004
#define GICD_ITARGETSR           0x800   /* 1 byte per INTID: CPU target mask */

#define GICD_CTLR_ENABLE         0x1u    /* see the comment at the top */
#define GICD_TYPER_ITLINES_MASK  0x1fu   /* INTIDs = 32 * (ITLinesNumber + 1) */

/* CPU interface registers (§4.4). */
#define GICC_CTLR                0x000
#define GICC_PMR                 0x004
#define GICC_IAR                 0x00c
#define GICC_EOIR                0x010

#define GICC_CTLR_ENABLE         0x1u
#define GICC_IAR_INTID_MASK      0x3ffu  /* bits [12:10] are the SGI source CPU */

/* GICD_ITARGETSR of a uniprocessor GIC is RAZ/WI (§4.3.12): any mask will
 * do, CPU interface 0 is the one we are on. */
#define GICD_TARGET_CPU0         0x01u

static uintptr_t gicd, gicc;
static unsigned intid_limit;
static uint8_t this_cpu_target;

static unsigned count_intids(uintptr_t gicd_base)
{
	uint32_t lines = (plat_mmio_read32(gicd_base + GICD_TYPER) & GICD_TYPER_ITLINES_MASK) + 1;
	unsigned count = lines * GIC_BITS_PER_REG;

	return count < GIC_FIRST_SPECIAL_INTID ? count : GIC_FIRST_SPECIAL_INTID;
}

static int gicv2_init(const struct board_info *board)
{
	gicd = (uintptr_t)board->gic_dist.base;
	gicc = (uintptr_t)board->gic_cpu.base;
	intid_limit = count_intids(gicd);

	/* Forward nothing while the banks are rewritten. */
	plat_mmio_write32(gicd + GICD_CTLR, 0);
	gic_write_bank(gicd, GIC_ICENABLER, 0, intid_limit, ~0u);
	gic_write_bank(gicd, GIC_ICPENDR, 0, intid_limit, ~0u);
	gic_set_priorities(gicd, 0, intid_limit);

	/* GICD_ITARGETSR0-7 are banked and read-only: each field reads as
	 * the mask of the CPU interface doing the read (§4.3.12). */
	this_cpu_target = plat_mmio_read8(gicd + GICD_ITARGETSR);
	if (this_cpu_target == 0)
		this_cpu_target = GICD_TARGET_CPU0;

	plat_mmio_write32(gicd + GICD_CTLR, GICD_CTLR_ENABLE);
	/* Any priority but the lowest passes (§4.4.2). */
	plat_mmio_write32(gicc + GICC_PMR, GIC_PRIORITY_MASK_ALL);
	plat_mmio_write32(gicc + GICC_CTLR, GICC_CTLR_ENABLE);
	return 0;
}

static unsigned gicv2_intid_limit(void)
{
	return intid_limit;
}

static bool gicv2_enable(unsigned intid, bool edge)
{
	gic_write_bit(gicd, GIC_ICENABLER, intid);
	/* SGIs are always edge-triggered; for PPIs the field may be
	 * read-only, then the write is ignored (§4.3.13). */
	if (intid >= GIC_FIRST_PPI_INTID)
		gic_set_trigger(gicd, intid, edge);
	if (intid >= GIC_FIRST_SPI_INTID)
		plat_mmio_write8(gicd + GICD_ITARGETSR + intid, this_cpu_target);
	gic_write_bit(gicd, GIC_ISENABLER, intid);
	return gic_read_bit(gicd, GIC_ISENABLER, intid);
}

static void gicv2_disable(unsigned intid)
{
	gic_write_bit(gicd, GIC_ICENABLER, intid);
}

static unsigned gicv2_ack(uint32_t *eoi_value)
{
	/* Reading GICC_IAR acknowledges: the interrupt becomes active
	 * (§4.4.4). EOIR wants the whole value back, source CPU included. */
	uint32_t iar = plat_mmio_read32(gicc + GICC_IAR);

	*eoi_value = iar;
	return iar & GICC_IAR_INTID_MASK;
}

static void gicv2_eoi(uint32_t eoi_value)
{
	/* The handler's device writes (the one that lowers a level line)
	 * must have reached the device before the GIC deactivates the
	 * interrupt, or it is taken again for nothing: wait for them. */
	__asm__ volatile("dsb sy" ::: "memory");
	plat_mmio_write32(gicc + GICC_EOIR, eoi_value);
}

/*
 * At EL3, Secure. Only the Secure side can change an interrupt's group:
 * Non-secure accesses to GICD_IGROUPRn are RAZ/WI (§4.3.4), as are its
 * accesses to the priority, enable and configuration fields of Group 0
 * interrupts. GICD_IGROUPR0 (SGIs and PPIs) is banked per CPU; this writes
 * the boot CPU's copy, the only CPU vblk runs on.
 *
 * GICC_PMR too: a Non-secure write is ignored while the Secure value is
 * below 0x80 (§4.4.2), and it resets to 0, so open it here.
 *
 * GICD_CTLR.EnableGrp1 and GICC_CTLR.EnableGrp1 are left to EL1, which
 * reaches them through bit 0 of its Non-secure view.
 */
static void gicv2_secure_init(const struct board_info *board)
{
	uintptr_t gicd_base = (uintptr_t)board->gic_dist.base;
	uintptr_t gicc_base = (uintptr_t)board->gic_cpu.base;

	gic_write_bank(gicd_base, GIC_IGROUPR, 0, count_intids(gicd_base), ~0u);
	plat_mmio_write32(gicc_base + GICC_PMR, GIC_PRIORITY_MASK_ALL);
}

const struct gic_ops gicv2_ops = {
	.name = "GICv2",
	.init = gicv2_init,
	.intid_limit = gicv2_intid_limit,
	.enable = gicv2_enable,
	.disable = gicv2_disable,
	.ack = gicv2_ack,
	.eoi = gicv2_eoi,
	.secure_init = gicv2_secure_init,
};
