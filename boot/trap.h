/* SPDX-License-Identifier: MIT */
/*
 * The trap frame boot/vectors.S builds on the stack for every exception
 * taken to EL1, and the C entry it calls. Shared by vectors.S (offsets) and
 * exceptions.c (struct); _Static_asserts there keep the two in step.
 *
 * The frame holds what a C function may clobber (AAPCS64): x0-x18, x29/x30,
 * and all 32 SIMD registers in full (a callee preserves only the low 64 bits
 * of v8-v15), plus FPSR/FPCR and the return state ELR/SPSR. A handler may
 * change elr and x[] to alter where and with what the interrupted code
 * resumes.
 */
#ifndef VBLK_BOOT_TRAP_H
#define VBLK_BOOT_TRAP_H

#define TF_X0       0      /* x0..x18, 8 bytes each */
#define TF_X29      152
#define TF_ELR      168
#define TF_FPSR     184
#define TF_Q0       208    /* q0..q31, 16 bytes each, 16-aligned */
#define TF_BYTES    720    /* a multiple of 16: SP stays aligned */

/* Which of the 16 vector table entries was taken: group * 4 + kind. */
#define TRAP_GROUP_CUR_SP0   0   /* current EL, SP_EL0 (vblk never uses it) */
#define TRAP_GROUP_CUR_SPX   1   /* current EL, SP_EL1: where vblk runs */
#define TRAP_GROUP_LOWER_A64 2   /* from EL0 AArch64 (vblk has no EL0) */
#define TRAP_GROUP_LOWER_A32 3   /* from EL0 AArch32 */
#define TRAP_KIND_SYNC       0
#define TRAP_KIND_IRQ        1
#define TRAP_KIND_FIQ        2
#define TRAP_KIND_SERROR     3
#define TRAP_KINDS_PER_GROUP 4

#ifndef __ASSEMBLER__   /* gcc and clang define it for .S: any build's flags will do */
#include <stdint.h>

struct trap_frame {
	uint64_t x[19];        /* x0..x18 */
	uint64_t x29, x30;     /* frame pointer, link register */
	uint64_t elr, spsr;    /* ELR_EL1, SPSR_EL1: where and how we return */
	uint64_t fpsr, fpcr;
	uint64_t pad;          /* keeps q[] 16-byte aligned */
	__uint128_t q[32];
};

/* Called by vectors.S with the frame and the vector index
 * (TRAP_GROUP_* * TRAP_KINDS_PER_GROUP + TRAP_KIND_*). Returns to eret. */
void rt_trap(struct trap_frame *frame, unsigned vector);
#endif

#endif
