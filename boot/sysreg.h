/* SPDX-License-Identifier: MIT */
/*
 * AArch64 system register fields the vblk boot code writes, named once for
 * start.S, vectors.S and the C files of boot/. Values are the ARMv8.0-A
 * encodings (Arm ARM DDI 0487, chapter D17 "AArch64 System Register
 * Descriptions"); plain hex so the assembler can use them too.
 */
#ifndef VBLK_BOOT_SYSREG_H
#define VBLK_BOOT_SYSREG_H

/* ---- identification ---------------------------------------------------- */
#define CURRENT_EL_SHIFT        2          /* CurrentEL.EL is bits [3:2] */
#define MPIDR_AFF012_MASK       0xffffff   /* Aff2.Aff1.Aff0 */
#define MPIDR_AFF3_SHIFT        32
#define MPIDR_AFF3_MASK         0xff
#define ID_AA64PFR0_EL2_SHIFT   8          /* EL2 handling: 0 = EL2 not implemented */
#define ID_AA64PFR0_GIC_SHIFT   24         /* 0 = no GICv3+ system register interface */
#define ID_AA64PFR0_FIELD_BITS  4
#define ID_AA64MMFR0_PARANGE_MASK 0xf      /* physical address size, bits [3:0] */
#define PARANGE_48_BITS         5          /* larger encodings need FEAT_LPA */

/* ---- EL3 --------------------------------------------------------------- */
#define SCR_EL3_NS              0x1        /* EL2/EL1 run Non-secure */
#define SCR_EL3_RES1            0x30       /* bits [5:4] are RES1 in ARMv8.0 */
#define SCR_EL3_HCE             0x100      /* HVC is enabled (only with EL2) */
#define SCR_EL3_RW              0x400      /* the next lower EL is AArch64 */

/* ---- EL2 --------------------------------------------------------------- */
#define HCR_EL2_RW              0x80000000 /* EL1 is AArch64; all else off: no
					      stage 2, no traps, no routing */
#define CNTHCTL_EL2_EL1PCTEN    0x1        /* EL1 may read CNTPCT_EL0 */
#define CNTHCTL_EL2_EL1PCEN     0x2        /* EL1 may use the EL1 physical timer */
#define CPTR_EL2_RES1           0x32ff     /* bits 13:12, 9:0 except TZ(8); TFP(10)
					      clear: FP/SIMD not trapped */
#define SCTLR_EL2_RES1          0x30c50830 /* MMU, caches off; little-endian */

/* ---- GICv3 CPU interface (only touched when ID_AA64PFR0_EL1.GIC != 0) -- */
#define ICC_SRE_SRE             0x1        /* use system registers, not MMIO */
#define ICC_SRE_DFB             0x2        /* FIQ bypass disabled */
#define ICC_SRE_DIB             0x4        /* IRQ bypass disabled */
#define ICC_SRE_ENABLE          0x8        /* lower ELs may access ICC_SRE_EL1/EL2 */
#define ICC_SRE_ALL             (ICC_SRE_SRE | ICC_SRE_DFB | ICC_SRE_DIB | ICC_SRE_ENABLE)

/* ---- EL1 --------------------------------------------------------------- */
#define SCTLR_EL1_M             0x1        /* stage 1 MMU on */
#define SCTLR_EL1_C             0x4        /* data cacheable */
#define SCTLR_EL1_I             0x1000     /* instruction cacheable */
#define SCTLR_EL1_RES1          0x30d00800 /* bits 29,28,23,22,20,11; with every
					      other bit 0: MMU and caches off,
					      little-endian, no alignment checks */
#define CPACR_EL1_FPEN_ALL      0x300000   /* FPEN [21:20] = 0b11: FP/SIMD not
					      trapped at EL1 or EL0 */

/* SPSR values for `eret` to a lower level: AArch64, handler stack pointer
 * (ELxh), D, A, I and F masked. */
#define SPSR_DAIF_MASKED        0x3c0
#define SPSR_MODE_EL1H          0x5
#define SPSR_MODE_EL2H          0x9
#define SPSR_EL1H_MASKED        (SPSR_DAIF_MASKED | SPSR_MODE_EL1H)
#define SPSR_EL2H_MASKED        (SPSR_DAIF_MASKED | SPSR_MODE_EL2H)

/* `msr daifclr, #...` immediates: the 4-bit field is D, A, I, F. */
#define DAIF_CLR_SERROR         0x4
#define DAIF_CLR_IRQ            0x2

/* CNTKCTL_EL1: the generic timer's event stream (Arm ARM D11.2.3). */
#define CNTKCTL_EVNTEN          (1u << 2)   /* generate events */
#define CNTKCTL_EVNTI_SHIFT     4           /* on transitions of this counter bit */
#define CNTKCTL_EVNTI_MASK      (0xfu << CNTKCTL_EVNTI_SHIFT)

/* ---- exception syndrome (ESR_ELx) -------------------------------------- */
#define ESR_EC_SHIFT            26
#define ESR_EC_MASK             0x3f
#define ESR_EC_UNKNOWN          0x00       /* also: undefined instruction */
#define ESR_FSC_MASK            0x3f       /* data/instruction abort status code */

#endif
