/* SPDX-License-Identifier: MIT */
/*
 * The per-INTID register banks every GIC frame shares (drivers/gic.h):
 * one bit, two bits or one byte per INTID, at the same offsets in GICv2's
 * distributor (IHI0048B §4.3), GICv3's distributor and the SGI_base frame
 * of a GICv3 redistributor (IHI0069, GICD_* and GICR_* register
 * descriptions).
 *
 * These run at EL1 and, for the secure setup, at EL3 before .bss is
 * cleared: they keep no state.
 */
#include "drivers/gic.h"

#include "plat/platform.h"

#define GIC_REG_BYTES      4u
#define GIC_CFG_BITS       2u
#define GIC_PRIORITY_BYTES_PER_REG 4u
#define GIC_PRIORITY_REPEAT 0x01010101u   /* one byte, four times */

static uintptr_t bank_reg(uintptr_t frame, unsigned bank, unsigned intid)
{
	return frame + bank + (intid / GIC_BITS_PER_REG) * GIC_REG_BYTES;
}

void gic_write_bit(uintptr_t frame, unsigned bank, unsigned intid)
{
	plat_mmio_write32(bank_reg(frame, bank, intid), 1u << (intid % GIC_BITS_PER_REG));
}

bool gic_read_bit(uintptr_t frame, unsigned bank, unsigned intid)
{
	return (plat_mmio_read32(bank_reg(frame, bank, intid)) >> (intid % GIC_BITS_PER_REG)) & 1u;
}

void gic_write_bank(uintptr_t frame, unsigned bank, unsigned first_intid,
		    unsigned limit_intid, uint32_t value)
{
	for (unsigned intid = first_intid; intid < limit_intid; intid += GIC_BITS_PER_REG)
		plat_mmio_write32(bank_reg(frame, bank, intid), value);
}

void gic_set_priorities(uintptr_t frame, unsigned first_intid, unsigned limit_intid)
{
	for (unsigned intid = first_intid; intid < limit_intid;
	     intid += GIC_PRIORITY_BYTES_PER_REG)
		plat_mmio_write32(frame + GIC_IPRIORITYR + intid,
				  GIC_DEFAULT_PRIORITY * GIC_PRIORITY_REPEAT);
}

/* Read-modify-write of one Int_config field: the other 15 INTIDs of the
 * register keep theirs. */
void gic_set_trigger(uintptr_t frame, unsigned intid, bool edge)
{
	uintptr_t reg = frame + GIC_ICFGR + (intid / GIC_CFG_PER_REG) * GIC_REG_BYTES;
	unsigned shift = (intid % GIC_CFG_PER_REG) * GIC_CFG_BITS;
	uint32_t cfg = plat_mmio_read32(reg);

	cfg &= ~((uint32_t)GIC_CFG_EDGE << shift);
	if (edge)
		cfg |= (uint32_t)GIC_CFG_EDGE << shift;
	plat_mmio_write32(reg, cfg);
}
