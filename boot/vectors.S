/* SPDX-License-Identifier: MIT */
/*
 * EL1 exception vector table (VBAR_EL1, set by start.S).
 *
 * 16 entries of 0x80 bytes, in four groups (where the exception came from)
 * of four kinds (synchronous, IRQ, FIQ, SError); the table is 2 KiB
 * aligned. Every entry does the same thing: push a trap frame (boot/trap.h)
 * on the current stack, call rt_trap(frame, vector index) in
 * boot/exceptions.c, pop the frame (which the handler may have changed) and
 * `eret`. rt_trap decides what each vector means: IRQ goes to
 * rt_irq_handler(), a semihosting trap is skipped, anything else is a fault
 * that ends the program.
 */
#include "boot/trap.h"

#define VECTOR_ENTRY_BYTES 0x80
#define VECTOR_TABLE_ALIGN 11           /* 2^11 = 2 KiB, VBAR_EL1 bits [10:0] are RES0 */

	/* One table entry: save x0/x1 to free them, pass the index in x1. */
	.macro	vector_entry, index
	.balign	VECTOR_ENTRY_BYTES
	sub	sp, sp, #TF_BYTES
	stp	x0, x1, [sp, #TF_X0]
	mov	x1, #\index
	b	trap_entry
	.endm

	.section .text.vectors, "ax"
	.balign	(1 << VECTOR_TABLE_ALIGN)
	.globl	rt_vectors
rt_vectors:
	/* Current EL with SP_EL0 (unused by vblk), then with SP_EL1, then
	 * lower EL AArch64, then lower EL AArch32: sync, IRQ, FIQ, SError. */
	vector_entry 0
	vector_entry 1
	vector_entry 2
	vector_entry 3
	vector_entry 4
	vector_entry 5
	vector_entry 6
	vector_entry 7
	vector_entry 8
	vector_entry 9
	vector_entry 10
	vector_entry 11
	vector_entry 12
	vector_entry 13
	vector_entry 14
	vector_entry 15

/* x0/x1 are saved, x1 = vector index, sp points at the frame. */
trap_entry:
	stp	x2, x3, [sp, #TF_X0 + 2 * 8]
	stp	x4, x5, [sp, #TF_X0 + 4 * 8]
	stp	x6, x7, [sp, #TF_X0 + 6 * 8]
	stp	x8, x9, [sp, #TF_X0 + 8 * 8]
	stp	x10, x11, [sp, #TF_X0 + 10 * 8]
	stp	x12, x13, [sp, #TF_X0 + 12 * 8]
	stp	x14, x15, [sp, #TF_X0 + 14 * 8]
	stp	x16, x17, [sp, #TF_X0 + 16 * 8]
	str	x18, [sp, #TF_X0 + 18 * 8]
	stp	x29, x30, [sp, #TF_X29]
	/* ELR/SPSR go in the frame: a nested exception (a semihosting probe
	 * inside a handler) overwrites the registers themselves. */
	mrs	x2, elr_el1
	mrs	x3, spsr_el1
	stp	x2, x3, [sp, #TF_ELR]
	mrs	x2, fpsr
	mrs	x3, fpcr
	stp	x2, x3, [sp, #TF_FPSR]
	add	x2, sp, #TF_Q0
	stp	q0, q1, [x2, #0 * 16]
	stp	q2, q3, [x2, #2 * 16]
	stp	q4, q5, [x2, #4 * 16]
	stp	q6, q7, [x2, #6 * 16]
	stp	q8, q9, [x2, #8 * 16]
	stp	q10, q11, [x2, #10 * 16]
	stp	q12, q13, [x2, #12 * 16]
	stp	q14, q15, [x2, #14 * 16]
	stp	q16, q17, [x2, #16 * 16]
	stp	q18, q19, [x2, #18 * 16]
	stp	q20, q21, [x2, #20 * 16]
	stp	q22, q23, [x2, #22 * 16]
	stp	q24, q25, [x2, #24 * 16]
	stp	q26, q27, [x2, #26 * 16]
	stp	q28, q29, [x2, #28 * 16]
	stp	q30, q31, [x2, #30 * 16]

	mov	x0, sp
	bl	rt_trap

	add	x2, sp, #TF_Q0
	ldp	q0, q1, [x2, #0 * 16]
	ldp	q2, q3, [x2, #2 * 16]
	ldp	q4, q5, [x2, #4 * 16]
	ldp	q6, q7, [x2, #6 * 16]
	ldp	q8, q9, [x2, #8 * 16]
	ldp	q10, q11, [x2, #10 * 16]
	ldp	q12, q13, [x2, #12 * 16]
	ldp	q14, q15, [x2, #14 * 16]
	ldp	q16, q17, [x2, #16 * 16]
	ldp	q18, q19, [x2, #18 * 16]
	ldp	q20, q21, [x2, #20 * 16]
	ldp	q22, q23, [x2, #22 * 16]
	ldp	q24, q25, [x2, #24 * 16]
	ldp	q26, q27, [x2, #26 * 16]
	ldp	q28, q29, [x2, #28 * 16]
	ldp	q30, q31, [x2, #30 * 16]
	ldp	x2, x3, [sp, #TF_FPSR]
	msr	fpsr, x2
	msr	fpcr, x3
	ldp	x2, x3, [sp, #TF_ELR]
	msr	elr_el1, x2
	msr	spsr_el1, x3
	ldp	x29, x30, [sp, #TF_X29]
	ldr	x18, [sp, #TF_X0 + 18 * 8]
	ldp	x16, x17, [sp, #TF_X0 + 16 * 8]
	ldp	x14, x15, [sp, #TF_X0 + 14 * 8]
	ldp	x12, x13, [sp, #TF_X0 + 12 * 8]
	ldp	x10, x11, [sp, #TF_X0 + 10 * 8]
	ldp	x8, x9, [sp, #TF_X0 + 8 * 8]
	ldp	x6, x7, [sp, #TF_X0 + 6 * 8]
	ldp	x4, x5, [sp, #TF_X0 + 4 * 8]
	ldp	x2, x3, [sp, #TF_X0 + 2 * 8]
	ldp	x0, x1, [sp, #TF_X0]
	add	sp, sp, #TF_BYTES
	eret
