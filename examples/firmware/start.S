/* SPDX-License-Identifier: MIT */
/*
 * Entry of examples/firmware: the least a firmware's own boot code does
 * before it can call libvblk. QEMU starts this ELF at EL1 with the MMU
 * and caches off (-machine virt without secure=on or virtualization=on).
 */
	.section .text.entry, "ax"
	.globl	_start
_start:
	/* An exception level this sketch does not set up: give up. */
	mrs	x0, CurrentEL
	cmp	x0, #(1 << 2)
	b.ne	wrong_el

	/* Let C use the FP/SIMD registers (compilers copy structs with them):
	 * CPACR_EL1.FPEN = 0b11, no trapping at EL1 or EL0. */
	mov	x0, #(3 << 20)
	msr	cpacr_el1, x0
	isb

	adrp	x0, __stack_top
	add	x0, x0, :lo12:__stack_top
	mov	sp, x0

	/* C expects .bss to read as zero. */
	adrp	x0, __bss_start
	add	x0, x0, :lo12:__bss_start
	adrp	x1, __bss_end
	add	x1, x1, :lo12:__bss_end
1:	cmp	x0, x1
	b.hs	2f
	str	xzr, [x0], #8
	b	1b

2:	bl	main
	b	fw_exit			/* main's return value is the exit status */

	/* Exit status 3 through semihosting, from registers alone: at EL2
	 * or EL3 no stack is set up, and fw_exit, being C, would use one.
	 * SYS_EXIT (0x18) with { ADP_Stopped_ApplicationExit, 3 }; without
	 * a debugger to take the call, stop here. */
wrong_el:
	mov	x0, #0x18
	adr	x1, wrong_el_exit
	hlt	#0xf000
	b	wrong_el

	.balign	8
wrong_el_exit:
	.quad	0x20026, 3
