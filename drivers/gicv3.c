/* SPDX-License-Identifier: MIT */
/*
 * GICv3 (Arm IHI 0069): a memory-mapped distributor (GICD, SPIs), one
 * redistributor per CPU (GICR: an RD_base frame for control and an SGI_base
 * frame for this CPU's SGIs and PPIs), and the CPU interface in ICC_*
 * system registers. Affinity routing is on (GICD_CTLR.ARE): SPIs are routed
 * by GICD_IROUTER<n> to an MPIDR affinity, not by a CPU mask.
 *
 * Every interrupt is Group 1, acknowledged with ICC_IAR1_EL1. Group 0 would
 * be signalled as FIQ, which vblk does not take. A GIC with one Security
 * state (GICD_CTLR.DS = 1, QEMU virt unless secure=on) lets EL1 set the
 * groups itself; with two, the groups are Secure-only registers and
 * gicv3_secure_init() sets them at EL3, as Non-secure Group 1.
 *
 * GICD_CTLR bit 1 and bit 4 mean the same thing in every view EL1 can
 * have of the register: bit 1 is EnableGrp1 (one Security state) or
 * EnableGrp1A, the Non-secure alias of EnableGrp1NS; bit 4 is ARE or
 * ARE_NS (IHI0069, GICD_CTLR).
 */
#include "drivers/gic.h"

#include "vblk/error.h"
#include "plat/platform.h"

/* ---- distributor --------------------------------------------------------- */
#define GICD_CTLR                 0x0000
#define GICD_TYPER                0x0004
#define GICD_IROUTER              0x6000  /* 8 bytes per INTID, SPIs only */

#define GICD_CTLR_ENABLE_GRP1     (1u << 1)   /* EnableGrp1 / EnableGrp1NS / EnableGrp1A */
#define GICD_CTLR_ARE             (1u << 4)   /* ARE / ARE_S (Secure view) / ARE_NS */
#define GICD_CTLR_ARE_NS_SECURE   (1u << 5)   /* Secure view: ARE_NS */
#define GICD_CTLR_RWP             (1u << 31)  /* register write pending */
#define GICD_TYPER_ITLINES_MASK   0x1fu

#define GICD_IROUTER_BYTES        8u
#define GICD_IROUTER_HIGH_WORD    4u          /* Aff3 in bits [39:32] */

/* ---- redistributor ------------------------------------------------------- */
#define GICR_CTLR                 0x0000
#define GICR_TYPER_LOW            0x0008
#define GICR_TYPER_HIGH           0x000c      /* bits [63:32]: Affinity_Value */
#define GICR_WAKER                0x0014
#define GICR_SGI_FRAME            0x10000     /* SGI_base = RD_base + 64 KiB */

#define GICR_CTLR_RWP             (1u << 3)
#define GICR_TYPER_VLPIS          (1u << 1)   /* GICv4: two more 64 KiB frames */
#define GICR_TYPER_LAST           (1u << 4)   /* last redistributor of its region */
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)

#define GICR_STRIDE_V3            0x20000u    /* RD_base + SGI_base */
#define GICR_STRIDE_V4            0x40000u    /* + VLPI_base + reserved */

/* ---- CPU interface ------------------------------------------------------- */
#define ICC_SRE_SRE               0x1u        /* system register interface on */
#define ICC_IGRPEN1_ENABLE        0x1u
#define ICC_IAR_INTID_MASK        0xffffffu   /* INTID, bits [23:0] */
#define ID_AA64PFR0_GIC_SHIFT     24
#define ID_AA64PFR0_GIC_MASK      0xfu

/* MPIDR_EL1 affinity fields and where GICR_TYPER / GICD_IROUTER keep them. */
#define MPIDR_AFF012_MASK         0xffffffu
#define MPIDR_AFF3_SHIFT          32
#define MPIDR_AFF3_MASK           0xffu
#define AFFINITY32_AFF3_SHIFT     24

/* Spins before a register write pending bit or a redistributor wake-up is
 * given up on; far longer than hardware takes, QEMU never makes us wait. */
#define GICV3_MAX_SPINS           1000000u

static uintptr_t gicd, gicr_sgi, gicr_rd;
static unsigned intid_limit;
static uint64_t this_cpu_irouter;

static uint64_t read_mpidr(void)
{
	uint64_t mpidr;
	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
	return mpidr;
}

/* This CPU as GICR_TYPER.Affinity_Value writes it: Aff3.Aff2.Aff1.Aff0. */
static uint32_t this_cpu_affinity32(void)
{
	uint64_t mpidr = read_mpidr();
	uint32_t aff3 = (uint32_t)(mpidr >> MPIDR_AFF3_SHIFT) & MPIDR_AFF3_MASK;

	return (aff3 << AFFINITY32_AFF3_SHIFT) | ((uint32_t)mpidr & MPIDR_AFF012_MASK);
}

static unsigned count_intids(uintptr_t gicd_base)
{
	uint32_t lines = (plat_mmio_read32(gicd_base + GICD_TYPER) & GICD_TYPER_ITLINES_MASK) + 1;
	unsigned count = lines * GIC_BITS_PER_REG;

	return count < GIC_FIRST_SPECIAL_INTID ? count : GIC_FIRST_SPECIAL_INTID;
}

static bool wait_clear(uintptr_t reg, uint32_t bits)
{
	for (unsigned spins = 0; spins < GICV3_MAX_SPINS; spins++)
		if ((plat_mmio_read32(reg) & bits) == 0)
			return true;
	return false;
}

/* GICD_CTLR.RWP: writes to GICD_CTLR and GICD_ICENABLER<n> have taken
 * effect once it reads 0 (IHI0069, GICD_CTLR). */
static bool wait_gicd(uintptr_t gicd_base)
{
	return wait_clear(gicd_base + GICD_CTLR, GICD_CTLR_RWP);
}

/*
 * The redistributor of this CPU: walk the frames of the region until
 * GICR_TYPER's affinity is ours, stopping at the one marked Last (the
 * frames after it need not exist). 0 if there is none.
 */
static uintptr_t find_redistributor(const struct board_region *region)
{
	uint32_t want = this_cpu_affinity32();
	uint64_t offset = 0;

	while (offset + GICR_STRIDE_V3 <= region->size_bytes) {
		uintptr_t rd = (uintptr_t)(region->base + offset);
		uint32_t typer_low = plat_mmio_read32(rd + GICR_TYPER_LOW);

		if (plat_mmio_read32(rd + GICR_TYPER_HIGH) == want)
			return rd;
		if (typer_low & GICR_TYPER_LAST)
			break;
		offset += (typer_low & GICR_TYPER_VLPIS) ? GICR_STRIDE_V4 : GICR_STRIDE_V3;
	}
	return 0;
}

/*
 * A redistributor starts asleep: its CPU interface takes no interrupts
 * until software clears ProcessorSleep and ChildrenAsleep follows (IHI0069
 * "Power management", GICR_WAKER). With two Security states this is a
 * Secure register (our EL3 code does it); a Non-secure access reads 0 and
 * the wait ends at once.
 */
static int wake_redistributor(uintptr_t rd)
{
	uint32_t waker = plat_mmio_read32(rd + GICR_WAKER);

	plat_mmio_write32(rd + GICR_WAKER, waker & ~GICR_WAKER_PROCESSOR_SLEEP);
	return wait_clear(rd + GICR_WAKER, GICR_WAKER_CHILDREN_ASLEEP) ? 0 : -VBLK_ETIMEDOUT;
}

static bool cpu_has_gic_sysregs(void)
{
	uint64_t pfr0;
	__asm__ volatile("mrs %0, id_aa64pfr0_el1" : "=r"(pfr0));
	return ((pfr0 >> ID_AA64PFR0_GIC_SHIFT) & ID_AA64PFR0_GIC_MASK) != 0;
}

/* ICC_SRE_EL1.SRE: EL1 uses the system registers (EL2/EL3 allowed it in
 * boot/start.S). Fails if it does not stick: only the memory-mapped GICv2
 * compatible interface would be left, which this driver does not drive. */
static int enable_cpu_interface(void)
{
	uint64_t sre;

	if (!cpu_has_gic_sysregs())
		return -VBLK_ENODEV;
	__asm__ volatile("mrs %0, icc_sre_el1" : "=r"(sre));
	__asm__ volatile("msr icc_sre_el1, %0\n\tisb" : : "r"(sre | ICC_SRE_SRE) : "memory");
	__asm__ volatile("mrs %0, icc_sre_el1" : "=r"(sre));
	if (!(sre & ICC_SRE_SRE))
		return -VBLK_ENODEV;

	/* Any priority but the lowest passes; no preemption grouping;
	 * ICC_CTLR_EL1.EOImode 0: a write to ICC_EOIR1_EL1 both drops the
	 * priority and deactivates. Then Group 1 on. */
	__asm__ volatile("msr icc_pmr_el1, %0" : : "r"((uint64_t)GIC_PRIORITY_MASK_ALL));
	__asm__ volatile("msr icc_bpr1_el1, xzr");
	__asm__ volatile("msr icc_ctlr_el1, xzr");
	__asm__ volatile("msr icc_igrpen1_el1, %0\n\tisb"
			 : : "r"((uint64_t)ICC_IGRPEN1_ENABLE) : "memory");
	return 0;
}

static int gicv3_init(const struct board_info *board)
{
	int err;

	gicd = (uintptr_t)board->gic_dist.base;
	gicr_rd = find_redistributor(&board->gic_cpu);
	if (gicr_rd == 0)
		return -VBLK_ENODEV;
	gicr_sgi = gicr_rd + GICR_SGI_FRAME;
	intid_limit = count_intids(gicd);
	this_cpu_irouter = read_mpidr() & (((uint64_t)MPIDR_AFF3_MASK << MPIDR_AFF3_SHIFT) |
					   MPIDR_AFF012_MASK);

	/* Distributor: off, affinity routing on (changing ARE with a group
	 * enabled is UNPREDICTABLE), then the SPIs. The group writes are
	 * ignored in a Non-secure view, where EL3 has set them already. */
	plat_mmio_write32(gicd + GICD_CTLR, 0);
	if (!wait_gicd(gicd))
		return -VBLK_ETIMEDOUT;
	plat_mmio_write32(gicd + GICD_CTLR, GICD_CTLR_ARE);
	gic_write_bank(gicd, GIC_IGROUPR, GIC_FIRST_SPI_INTID, intid_limit, ~0u);
	gic_write_bank(gicd, GIC_ICENABLER, GIC_FIRST_SPI_INTID, intid_limit, ~0u);
	gic_write_bank(gicd, GIC_ICPENDR, GIC_FIRST_SPI_INTID, intid_limit, ~0u);
	gic_set_priorities(gicd, GIC_FIRST_SPI_INTID, intid_limit);
	if (!wait_gicd(gicd))
		return -VBLK_ETIMEDOUT;
	plat_mmio_write32(gicd + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_GRP1);
	if (!wait_gicd(gicd))
		return -VBLK_ETIMEDOUT;

	/* This CPU's redistributor: awake, SGIs and PPIs the same way. */
	err = wake_redistributor(gicr_rd);
	if (err < 0)
		return err;
	plat_mmio_write32(gicr_sgi + GIC_IGROUPR, ~0u);
	plat_mmio_write32(gicr_sgi + GIC_ICENABLER, ~0u);
	if (!wait_clear(gicr_rd + GICR_CTLR, GICR_CTLR_RWP))
		return -VBLK_ETIMEDOUT;
	plat_mmio_write32(gicr_sgi + GIC_ICPENDR, ~0u);
	gic_set_priorities(gicr_sgi, 0, GIC_FIRST_SPI_INTID);

	return enable_cpu_interface();
}

static unsigned gicv3_intid_limit(void)
{
	return intid_limit;
}

/* SGIs and PPIs live in the redistributor, SPIs in the distributor; each
 * has its own write-pending bit for ICENABLER. */
static void disable_and_wait(unsigned intid)
{
	if (intid < GIC_FIRST_SPI_INTID) {
		gic_write_bit(gicr_sgi, GIC_ICENABLER, intid);
		wait_clear(gicr_rd + GICR_CTLR, GICR_CTLR_RWP);
	} else {
		gic_write_bit(gicd, GIC_ICENABLER, intid);
		wait_gicd(gicd);
	}
}

static bool gicv3_enable(unsigned intid, bool edge)
{
	uintptr_t frame = intid < GIC_FIRST_SPI_INTID ? gicr_sgi : gicd;

	disable_and_wait(intid);
	if (intid >= GIC_FIRST_PPI_INTID)
		gic_set_trigger(frame, intid, edge);
	if (intid >= GIC_FIRST_SPI_INTID) {
		/* Interrupt_Routing_Mode 0: to the PE named by the affinity. */
		uintptr_t router = gicd + GICD_IROUTER + (uintptr_t)intid * GICD_IROUTER_BYTES;

		plat_mmio_write32(router, (uint32_t)this_cpu_irouter);
		plat_mmio_write32(router + GICD_IROUTER_HIGH_WORD,
				  (uint32_t)(this_cpu_irouter >> 32));
	}
	gic_write_bit(frame, GIC_ISENABLER, intid);
	return gic_read_bit(frame, GIC_ISENABLER, intid);
}

static void gicv3_disable(unsigned intid)
{
	disable_and_wait(intid);
}

static unsigned gicv3_ack(uint32_t *eoi_value)
{
	uint64_t iar;

	/* The read activates the interrupt; the dsb keeps the handler's
	 * device accesses after it (a system register read is not ordered
	 * with memory accesses by program order alone). */
	__asm__ volatile("mrs %0, icc_iar1_el1\n\tdsb sy" : "=r"(iar) : : "memory");
	*eoi_value = (uint32_t)iar;
	return (unsigned)(iar & ICC_IAR_INTID_MASK);
}

static void gicv3_eoi(uint32_t eoi_value)
{
	/* As for GICv2: the device writes that lower a level line complete
	 * first. The isb makes the deactivation take effect before IRQs can
	 * be unmasked again. */
	__asm__ volatile("dsb sy\n\tmsr icc_eoir1_el1, %0\n\tisb"
			 : : "r"((uint64_t)eoi_value) : "memory");
}

/*
 * At EL3, Secure, MMU off. IHI0069 "Interrupt grouping": IGROUPR 1 with
 * IGRPMODR 0 makes an interrupt Non-secure Group 1. The order is the
 * architecture's: every group disabled while ARE_S/ARE_NS change, the
 * groups set, the redistributor woken (GICR_WAKER is Secure when DS = 0),
 * then Non-secure Group 1 enabled. DS stays 0: two Security states.
 * ICC_SRE_EL3 was set by boot/start.S before this runs.
 */
static void gicv3_secure_init(const struct board_info *board)
{
	uintptr_t gicd_base = (uintptr_t)board->gic_dist.base;
	uintptr_t rd = find_redistributor(&board->gic_cpu);
	unsigned limit = count_intids(gicd_base);
	const uint32_t are_both = GICD_CTLR_ARE | GICD_CTLR_ARE_NS_SECURE;

	plat_mmio_write32(gicd_base + GICD_CTLR, 0);
	wait_gicd(gicd_base);
	plat_mmio_write32(gicd_base + GICD_CTLR, are_both);
	wait_gicd(gicd_base);
	gic_write_bank(gicd_base, GIC_IGROUPR, GIC_FIRST_SPI_INTID, limit, ~0u);
	gic_write_bank(gicd_base, GIC_IGRPMODR, GIC_FIRST_SPI_INTID, limit, 0);
	if (rd != 0) {
		wake_redistributor(rd);
		plat_mmio_write32(rd + GICR_SGI_FRAME + GIC_IGROUPR, ~0u);
		plat_mmio_write32(rd + GICR_SGI_FRAME + GIC_IGRPMODR, 0);
	}
	plat_mmio_write32(gicd_base + GICD_CTLR, are_both | GICD_CTLR_ENABLE_GRP1);
	wait_gicd(gicd_base);
}

const struct gic_ops gicv3_ops = {
	.name = "GICv3",
	.init = gicv3_init,
	.intid_limit = gicv3_intid_limit,
	.enable = gicv3_enable,
	.disable = gicv3_disable,
	.ack = gicv3_ack,
	.eoi = gicv3_eoi,
	.secure_init = gicv3_secure_init,
};
