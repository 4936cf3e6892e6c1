/* SPDX-License-Identifier: MIT */
/*
 * Entry point of a vblk image.
 *
 * QEMU starts us one of two ways (see linker.ld):
 *  - as an arm64 Image (`-kernel vblk.bin`): at EL1, or EL2 with
 *    virtualization=on; x0 holds the DTB address;
 *  - as an ELF (`-kernel vblk.elf`): at EL1, EL2 with virtualization=on, or
 *    EL3 with secure=on; x0 is 0 and the DTB (if any) is at the start of RAM.
 *
 * This file brings the CPU to a known state at EL1 and calls rt_start()
 * (boot/rt.c): it drops EL3 -> EL2 -> EL1 configuring each level so that EL1
 * runs AArch64 untrapped, sets the vectors and FP/SIMD access, has
 * rt_check_ram() (boot/ram_check.c) make sure the image fits in RAM,
 * zeroes .bss, sets the boot stack and points TPIDR_EL0 at the TLS block.
 * The MMU stays off here; rt.c turns it on once it knows where RAM is.
 *
 * Two stacks: C that runs before .bss is zeroed (rt_el3_setup,
 * rt_check_ram) runs on the early stack, inside .data (linker.ld), which
 * the loader wrote and so is in RAM; the boot stack, at the end of .bss, is
 * taken only once rt_check_ram() has found RAM reaching it.
 *
 * Registers kept across the whole path (eret does not touch them):
 *   x19  DTB address from x0 at entry (0 for an ELF boot)
 *   x20  exception level we were started at
 *   x21  DTB address dropped because it lay where .bss goes (else 0)
 *   x22  the generic counter (CNTVCT_EL0) at the first instruction
 *   x23  the counter when .bss zeroing starts
 */
#include "boot/sysreg.h"

/* arm64 Image header fields (Linux Documentation/arch/arm64/booting.rst). */
#define IMAGE_FLAGS_LE          0x0     /* bit 0: kernel is little-endian */
#define IMAGE_FLAGS_PAGE_4K     0x2     /* bits 2:1 = 1: 4 KiB pages */
#define IMAGE_FLAGS             (IMAGE_FLAGS_LE | IMAGE_FLAGS_PAGE_4K)
#define IMAGE_MAGIC             0x644d5241  /* "ARM\x64" read little-endian */

/* Largest DTB we expect; protects a DTB just below .bss (booting.rst: the
 * DTB must not exceed 2 MiB). Keep in step with RT_DTB_MAX_BYTES in
 * boot/locate_dtb.c. */
#define DTB_MAX_BYTES           0x200000

	/* adr_l: load the address of `sym` (+-4 GiB, PC-relative) into `reg`. */
	.macro	adr_l, reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
	.endm

	/* mov_imm: load a 32-bit constant into `reg` (two halves). */
	.macro	mov_imm, reg, val
	movz	\reg, #((\val) & 0xffff)
	movk	\reg, #(((\val) >> 16) & 0xffff), lsl #16
	.endm

	.section .text.head, "ax"
	.globl	_start
_start:
	/* ---- arm64 Image header: 64 bytes, code0 is the first instruction */
	b	primary_entry		/* code0: jump over the header */
	.long	0			/* code1 */
	.quad	__image_text_offset	/* load offset from a 2 MiB-aligned RAM base */
	.quad	__image_size		/* bytes used once running, .bss included */
	.quad	IMAGE_FLAGS
	.quad	0			/* res2 */
	.quad	0			/* res3 */
	.quad	0			/* res4 */
	.long	IMAGE_MAGIC
	.long	0			/* res5: no PE/COFF header (no EFI stub) */

	.section .text.boot, "ax"
primary_entry:
	/* The generic counter first: QEMU starts it at 0 with the machine,
	 * so this says how long reset to the first instruction took. */
	mrs	x22, cntvct_el0
	mov	x19, x0
	mov	x21, xzr

	/* The image runs only where it was linked (linker.ld: RAM base +
	 * text_offset): its code and data hold absolute addresses. The arm64
	 * boot protocol lets a loader put an Image at text_offset from any
	 * 2 MiB-aligned base, and vblk's own bootloader does, running at
	 * the usual one itself; there the image would fault with garbled
	 * messages. Compare where we run with where we were linked (a
	 * PC-relative address against an absolute one) and stop cleanly. */
	adr	x1, _start
	ldr	x2, =_start
	cmp	x1, x2
	b.ne	loaded_elsewhere

	/* Only the boot CPU (MPIDR affinity 0.0.0.0) runs vblk. QEMU holds
	 * secondaries powered off until a PSCI CPU_ON, but an ELF boot with
	 * secure=on starts them all here. */
	mrs	x1, mpidr_el1
	and	x2, x1, #MPIDR_AFF012_MASK
	lsr	x1, x1, #MPIDR_AFF3_SHIFT
	and	x1, x1, #MPIDR_AFF3_MASK
	orr	x1, x1, x2
	cbnz	x1, park

	mrs	x20, CurrentEL
	lsr	x20, x20, #CURRENT_EL_SHIFT
	cmp	x20, #3
	b.eq	el3_setup
	cmp	x20, #2
	b.eq	el2_setup
	b	el1_setup

/*
 * EL3 (ELF boot with secure=on). Go to Non-secure EL2 if it exists, else
 * straight to Non-secure EL1. Nothing is routed to EL3 afterwards (SCR_EL3
 * IRQ/FIQ/EA are 0) and no EL3 vectors are installed: QEMU gives this boot
 * no /psci node, so boot/exit.c never issues an SMC.
 *
 * The GIC comes out of reset with every interrupt Secure (Group 0), which
 * Non-secure EL1 can neither configure nor take: rt_el3_setup() (boot/
 * el3.c, C on the boot stack, MMU off) makes them all Non-secure Group 1
 * first. It reads the DTB, so it gets x0 as QEMU passed it.
 */
el3_setup:
	/* CPTR_EL3 = 0: FP/SIMD (TFP), trace and CPACR accesses not trapped
	 * (the C code below may use SIMD registers). */
	msr	cptr_el3, xzr

	/* A GICv3 CPU interface: system registers at EL3 (SRE), no FIQ/IRQ
	 * bypass, and lower ELs may enable them too (Enable); IHI0069,
	 * ICC_SRE_EL3. */
	mrs	x1, id_aa64pfr0_el1
	ubfx	x1, x1, #ID_AA64PFR0_GIC_SHIFT, #ID_AA64PFR0_FIELD_BITS
	cbz	x1, 1f
	mov	x1, #ICC_SRE_ALL
	msr	icc_sre_el3, x1
	isb
1:
	/* x19-x21 are callee-saved: the C call keeps them. */
	adr_l	x1, __early_stack_top
	mov	sp, x1
	mov	x0, x19
	bl	rt_el3_setup

	mrs	x1, id_aa64pfr0_el1
	ubfx	x1, x1, #ID_AA64PFR0_EL2_SHIFT, #ID_AA64PFR0_FIELD_BITS
	cbz	x1, el3_to_el1

	/* SCR_EL3: Non-secure, lower EL AArch64, HVC enabled. */
	mov	x1, #(SCR_EL3_NS | SCR_EL3_RES1 | SCR_EL3_RW | SCR_EL3_HCE)
	msr	scr_el3, x1
	/* SCTLR_EL2: MMU and caches off, little-endian, until EL2 is set up. */
	mov_imm	x1, SCTLR_EL2_RES1
	msr	sctlr_el2, x1
	mov	x1, #SPSR_EL2H_MASKED
	msr	spsr_el3, x1
	adr_l	x1, el2_setup
	msr	elr_el3, x1
	eret

el3_to_el1:
	/* SCR_EL3: Non-secure, lower EL AArch64 (no EL2, so HCE stays 0). */
	mov	x1, #(SCR_EL3_NS | SCR_EL3_RES1 | SCR_EL3_RW)
	msr	scr_el3, x1
	mov	x1, #SPSR_EL1H_MASKED
	msr	spsr_el3, x1
	adr_l	x1, el1_setup
	msr	elr_el3, x1
	eret

/*
 * EL2 (virtualization=on, or from EL3 above). Configure EL2 so it stays out
 * of EL1's way, then drop to EL1.
 */
el2_setup:
	/* HCR_EL2: EL1 is AArch64; stage 2 translation, traps and interrupt
	 * routing to EL2 all off. */
	mov	x1, #HCR_EL2_RW
	msr	hcr_el2, x1
	/* CNTHCTL_EL2: EL1 may read the physical counter and use the physical
	 * timer. The virtual timer and counter, which plat_idle() and
	 * plat_time_us() use, are never trapped without FEAT_ECV, and with it
	 * the trap bits (EL1TVT, EL1TVCT) are among the zeros written here.
	 * CNTVOFF_EL2 = 0 so the virtual counter equals the physical one. */
	mov	x1, #(CNTHCTL_EL2_EL1PCTEN | CNTHCTL_EL2_EL1PCEN)
	msr	cnthctl_el2, x1
	msr	cntvoff_el2, xzr
	/* CPTR_EL2: RES1 bits only, so FP/SIMD (TFP) is not trapped to EL2. */
	mov	x1, #CPTR_EL2_RES1
	msr	cptr_el2, x1
	/* HSTR_EL2 = 0: no AArch32 CP15 traps. */
	msr	hstr_el2, xzr
	/* EL1 reads MIDR/MPIDR through these: show it the real values. */
	mrs	x1, midr_el1
	msr	vpidr_el2, x1
	mrs	x1, mpidr_el1
	msr	vmpidr_el2, x1

	/* A GICv3 CPU interface: ICC_SRE_EL2.Enable lets EL1 set
	 * ICC_SRE_EL1.SRE and use the ICC_* system registers (drivers/
	 * gicv3.c); the virtual CPU interface (ICH_HCR_EL2.En) stays off, and
	 * HCR_EL2.IMO/FMO = 0 keep physical IRQs going to EL1. */
	mrs	x1, id_aa64pfr0_el1
	ubfx	x1, x1, #ID_AA64PFR0_GIC_SHIFT, #ID_AA64PFR0_FIELD_BITS
	cbz	x1, 1f
	mov	x1, #ICC_SRE_ALL
	msr	icc_sre_el2, x1
	isb
	msr	ich_hcr_el2, xzr
1:
	/* Leave the EL2 stub (boot/el2_stub.S) behind us, through which a
	 * program can hand the machine to an OS at EL2 (rt_enter_el2). */
	adr_l	x1, rt_el2_vectors
	msr	vbar_el2, x1

	mov	x1, #SPSR_EL1H_MASKED
	msr	spsr_el2, x1
	adr_l	x1, el1_setup
	msr	elr_el2, x1
	eret

/*
 * EL1: where vblk runs.
 */
el1_setup:
	/* SCTLR_EL1: RES1 bits only: MMU, caches and alignment checks off,
	 * little-endian. Its reset value is UNKNOWN after a drop from EL2. */
	mov_imm	x1, SCTLR_EL1_RES1
	msr	sctlr_el1, x1
	/* CPACR_EL1.FPEN = 0b11: FP/SIMD usable (printf saves q registers). */
	mov	x1, #CPACR_EL1_FPEN_ALL
	msr	cpacr_el1, x1
	isb

	adr_l	x1, __early_stack_top
	mov	sp, x1
	adr_l	x1, rt_vectors
	msr	vbar_el1, x1
	isb
	/* Report asynchronous aborts (SError) instead of leaving them pending;
	 * IRQ and FIQ stay masked until an interrupt driver unmasks them. */
	msr	daifclr, #DAIF_CLR_SERROR

	/* A loader that ignored the header's image_size could have put the
	 * DTB where .bss is about to be zeroed (QEMU 7.2 honours image_size):
	 * then forget the DTB rather than parse zeroes. */
	cbz	x19, 2f
	adr_l	x1, __bss_start
	sub	x1, x1, #DTB_MAX_BYTES
	adr_l	x2, _end
	cmp	x19, x1
	b.lo	2f
	cmp	x19, x2
	b.hs	2f
	mov	x21, x19
	mov	x19, xzr
2:
	/* Zeroing a .bss that runs past the end of RAM ends in a data abort:
	 * rt_check_ram() returns only if RAM reaches _end (or no device tree
	 * says where RAM ends), else it says so and ends the run. */
	mov	x0, x19
	bl	rt_check_ram
	mrs	x23, cntvct_el0		/* .bss zeroing starts (rt_boot_times) */

	/* Zero .bss (.tbss, page tables, heap and boot stack included); the
	 * linker script aligns both ends to 16 bytes. */
	adr_l	x1, __bss_start
	adr_l	x2, __bss_end
3:	cmp	x1, x2
	b.hs	4f
	stp	xzr, xzr, [x1], #16
	b	3b
4:
	adr_l	x1, __stack_top
	mov	sp, x1
	/* TPIDR_EL0: thread pointer for picolibc's TLS (errno). The AArch64
	 * TLS ABI puts the TLS block __arm64_tls_tcb_offset bytes above it. */
	adr_l	x1, __tls_base
	ldr	x2, =__arm64_tls_tcb_offset
	sub	x1, x1, x2
	msr	tpidr_el0, x1

	/* rt_start(entry_x0, boot_el, dtb_lost, entry_ticks, zeroing_ticks)
	 * does not return. */
	mov	x0, x19
	mov	x1, x20
	mov	x2, x21
	mov	x3, x22
	mov	x4, x23
	bl	rt_start
	/* fall through if it ever did */

park:
	wfe
	b	park

/*
 * Loaded away from the link address: say so over semihosting and exit
 * with status 1, as a main() that failed; without semihosting `hlt`
 * traps, and the vectors installed first (boot/el2_stub.S's table, whose
 * every entry for the current EL parks; reached PC-relative, as is
 * everything here) park the CPU. Nothing here touches memory but the
 * image's own two constants below.
 */
loaded_elsewhere:
	adr_l	x1, rt_el2_vectors
	mrs	x2, CurrentEL
	lsr	x2, x2, #CURRENT_EL_SHIFT
	cmp	x2, #3
	b.ne	1f
	msr	vbar_el3, x1
	b	3f
1:	cmp	x2, #2
	b.ne	2f
	msr	vbar_el2, x1
	b	3f
2:	msr	vbar_el1, x1
3:	isb
	adr	x1, loaded_elsewhere_msg
	mov	x0, #0x04			/* SYS_WRITE0 */
	hlt	#0xf000
	adr	x1, loaded_elsewhere_exit
	mov	x0, #0x18			/* SYS_EXIT */
	hlt	#0xf000
	b	park

	.balign	8
loaded_elsewhere_exit:
	.quad	0x20026, 1			/* ADP_Stopped_ApplicationExit, status 1 */
loaded_elsewhere_msg:
	.asciz	"vblk: this image runs only where it is linked (the RAM base + text_offset 0x200000); it was loaded elsewhere\n"
	.balign	4
	.ltorg
