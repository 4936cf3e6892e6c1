/* SPDX-License-Identifier: MIT */
/*
 * The EL2 stub: what the runtime leaves at EL2 when it drops to EL1, so
 * that a program it runs can hand the machine to an OS at EL2 (a
 * bootloader starting Linux, which wants EL2 when there is one for KVM:
 * Linux Documentation/arch/arm64/booting.rst, "CPU mode").
 *
 * boot/start.S points VBAR_EL2 here before its eret to EL1. The only
 * service is rt_enter_el2(entry, arg0): HVC #RT_HVC_ENTER_EL2 from EL1
 * lands in the lower-EL synchronous vector, which, with EL2's MMU and
 * caches off (as el2_setup left SCTLR_EL2), enters `entry` at EL2h with
 * every exception masked, x0 = arg0 and x1-x3 = 0. Anything else taken
 * to EL2 is a bug: it parks the CPU.
 */
#include "boot/sysreg.h"

#define RT_HVC_ENTER_EL2        0xb007   /* the HVC immediate we answer */
#define ESR_EC_HVC64            0x16     /* HVC from AArch64 */
#define ESR_ISS_IMM16_MASK      0xffff

	.macro	mov_imm, reg, val
	movz	\reg, #((\val) & 0xffff)
	movk	\reg, #(((\val) >> 16) & 0xffff), lsl #16
	.endm

	/* Each vector is 128 bytes; the table 2 KiB aligned (VBAR_EL2). */
	.macro	vector, target
	.balign	128
	b	\target
	.endm

	.section .text.el2_stub, "ax"
	.balign	2048
	.globl	rt_el2_vectors
rt_el2_vectors:
	vector	el2_park		/* current EL, SP_EL0: sync, irq, fiq, serror */
	vector	el2_park
	vector	el2_park
	vector	el2_park
	vector	el2_park		/* current EL, SP_ELx */
	vector	el2_park
	vector	el2_park
	vector	el2_park
	vector	el2_lower_sync		/* lower EL, AArch64 */
	vector	el2_park
	vector	el2_park
	vector	el2_park
	vector	el2_park		/* lower EL, AArch32 */
	vector	el2_park
	vector	el2_park
	vector	el2_park

el2_lower_sync:
	mrs	x9, esr_el2
	lsr	x10, x9, #ESR_EC_SHIFT
	and	x10, x10, #ESR_EC_MASK
	cmp	x10, #ESR_EC_HVC64
	b.ne	el2_park
	and	x10, x9, #ESR_ISS_IMM16_MASK
	mov	x11, #RT_HVC_ENTER_EL2
	cmp	x10, x11
	b.ne	el2_park
	/* EL2's own regime: MMU and caches off, little-endian. */
	mov_imm	x9, SCTLR_EL2_RES1
	msr	sctlr_el2, x9
	isb
	/* Nothing stale in the instruction cache for the new code. */
	ic	iallu
	dsb	nsh
	isb
	msr	elr_el2, x0
	mov	x9, #SPSR_EL2H_MASKED
	msr	spsr_el2, x9
	mov	x0, x1
	mov	x1, xzr
	mov	x2, xzr
	mov	x3, xzr
	eret

el2_park:
	wfe
	b	el2_park

/* _Noreturn void rt_enter_el2(uint64_t entry, uint64_t arg0), at EL1. */
	.section .text.rt_enter_el2, "ax"
	.globl	rt_enter_el2
rt_enter_el2:
	msr	daifset, #0xf
	hvc	#RT_HVC_ENTER_EL2
	b	el2_park
