/* SPDX-License-Identifier: MIT */
/*
 * Handing the CPU to the kernel (Linux Documentation/arch/arm64/
 * booting.rst, "Call the kernel image"): what was loaded is cleaned to the
 * point of coherency, since the kernel starts with its MMU and D-cache off
 * and reads memory, not our cache; then MMU and caches off, every
 * exception masked, x0 = the device tree, x1-x3 = 0.
 */

#define CTR_DMINLINE_SHIFT  16      /* CTR_EL0.DminLine: log2(words) */
#define CTR_DMINLINE_MASK   0xf
#define SCTLR_M             (1 << 0)   /* stage 1 MMU */
#define SCTLR_C             (1 << 2)   /* data cacheable */
#define SCTLR_I             (1 << 12)  /* instruction cacheable */

/* void boot_clean_dcache_poc(uint64_t start, uint64_t end):
 * clean and invalidate [start, end) to the PoC, by line (DC CIVAC). */
	.text
	.globl	boot_clean_dcache_poc
boot_clean_dcache_poc:
	mrs	x3, ctr_el0
	ubfx	x3, x3, #CTR_DMINLINE_SHIFT, #4
	mov	x2, #4
	lsl	x2, x2, x3			/* smallest D-cache line, bytes */
	sub	x3, x2, #1
	bic	x0, x0, x3
1:	cmp	x0, x1
	b.hs	2f
	dc	civac, x0
	add	x0, x0, x2
	b	1b
2:	dsb	sy
	ret

/* _Noreturn void boot_enter_el1(uint64_t entry, uint64_t dtb): at EL1,
 * where the runtime runs; the code is identity-mapped, so turning the
 * MMU off does not move the next instruction. */
	.globl	boot_enter_el1
boot_enter_el1:
	msr	daifset, #0xf
	mov	x4, x0
	mrs	x2, sctlr_el1
	mov	x3, #(SCTLR_M | SCTLR_C | SCTLR_I)
	bic	x2, x2, x3
	msr	sctlr_el1, x2
	isb
	ic	iallu
	dsb	nsh
	isb
	mov	x0, x1
	mov	x1, xzr
	mov	x2, xzr
	mov	x3, xzr
	br	x4
