/* SPDX-License-Identifier: MIT */
/*
 * What happens on an exception at EL1 (entered from boot/vectors.S).
 *
 *  - IRQ: rt_irq_handler(), the GIC dispatch in drivers/irq.c; the weak
 *    no-op here only serves a runtime built without it.
 *  - A semihosting `hlt #0xf000` that trapped as an undefined instruction
 *    (QEMU run without -semihosting-config): semihosting is marked off, the
 *    call returns -1 and the program goes on after the instruction.
 *  - Anything else is a bug: print the syndrome registers on the UART
 *    (directly, not through printf, which may be what faulted) and end the
 *    run with exit status RT_FAULT_EXIT_STATUS.
 */
#include <stdbool.h>
#include <stddef.h>

#include "boot/boot.h"
#include "boot/rawprint.h"
#include "boot/sysreg.h"
#include "boot/trap.h"
#include "drivers/irq.h"
#include "drivers/semihosting.h"
#include "vblk/runtime.h"

/* QEMU's exit status after a fault (distinct from main's usual 0/1). */
#define RT_FAULT_EXIT_STATUS 3
#define INSN_BYTES 4

_Static_assert(offsetof(struct trap_frame, x) == TF_X0, "trap frame x0");
_Static_assert(offsetof(struct trap_frame, x29) == TF_X29, "trap frame x29");
_Static_assert(offsetof(struct trap_frame, elr) == TF_ELR, "trap frame elr");
_Static_assert(offsetof(struct trap_frame, fpsr) == TF_FPSR, "trap frame fpsr");
_Static_assert(offsetof(struct trap_frame, q) == TF_Q0, "trap frame q0");
_Static_assert(sizeof(struct trap_frame) == TF_BYTES, "trap frame size");

#define VECTOR(group, kind) ((group) * TRAP_KINDS_PER_GROUP + (kind))

/* Data/instruction abort status codes (ESR ISS DFSC/IFSC, Arm ARM D17). */
#define FSC_TRANSLATION_L0  0x04   /* ..0x07: translation fault, level 0-3 */
#define FSC_ACCESS_FLAG_L0  0x08   /* ..0x0b */
#define FSC_PERMISSION_L0   0x0c   /* ..0x0f */
#define FSC_LEVEL_MASK      0x3
#define FSC_SYNC_EXTERNAL   0x10
#define FSC_ALIGNMENT       0x21
#define EC_INSN_ABORT_LOWER 0x20
#define EC_INSN_ABORT       0x21
#define EC_DATA_ABORT_LOWER 0x24
#define EC_DATA_ABORT       0x25

/* Faults seen so far; more than one means reporting itself faulted. */
static unsigned fault_depth;

/* The default when no interrupt driver is linked: nothing to do. */
__attribute__((weak)) void rt_irq_handler(void)
{
}

static uint64_t read_esr(void)
{
	uint64_t esr;
	__asm__ volatile("mrs %0, esr_el1" : "=r"(esr));
	return esr;
}

static uint64_t read_far(void)
{
	uint64_t far;
	__asm__ volatile("mrs %0, far_el1" : "=r"(far));
	return far;
}

static unsigned esr_class(uint64_t esr)
{
	return (esr >> ESR_EC_SHIFT) & ESR_EC_MASK;
}

/* ESR_EL1.EC values (Arm ARM D17.2.37) beside their names; the classes
 * the code tests for have named constants. */
static const char *class_name(unsigned ec)
{
	switch (ec) {
	case ESR_EC_UNKNOWN: return "unknown reason (undefined instruction?)";
	case 0x01: return "WFI/WFE trapped";
	case 0x07: return "FP/SIMD access trapped";
	case 0x0e: return "illegal execution state";
	case 0x15: return "SVC";
	case 0x16: return "HVC";
	case 0x17: return "SMC";
	case 0x18: return "MSR/MRS trapped";
	case EC_INSN_ABORT_LOWER: return "instruction abort from EL0";
	case EC_INSN_ABORT: return "instruction abort";
	case 0x22: return "PC alignment fault";
	case EC_DATA_ABORT_LOWER: return "data abort from EL0";
	case EC_DATA_ABORT: return "data abort";
	case 0x26: return "SP alignment fault";
	case 0x2c: return "FP exception";
	case 0x2f: return "SError";
	case 0x3c: return "BRK";
	default:   return "see the Arm ARM, ESR_EL1.EC";
	}
}

static const char *fault_status_name(unsigned fsc)
{
	if (fsc >= FSC_TRANSLATION_L0 && fsc <= (FSC_TRANSLATION_L0 | FSC_LEVEL_MASK))
		return "translation fault (address not mapped)";
	if (fsc >= FSC_ACCESS_FLAG_L0 && fsc <= (FSC_ACCESS_FLAG_L0 | FSC_LEVEL_MASK))
		return "access flag fault";
	if (fsc >= FSC_PERMISSION_L0 && fsc <= (FSC_PERMISSION_L0 | FSC_LEVEL_MASK))
		return "permission fault";
	if (fsc == FSC_SYNC_EXTERNAL)
		return "synchronous external abort (no device answered)";
	if (fsc == FSC_ALIGNMENT)
		return "alignment fault";
	return "other fault status";
}

static void print_reg(const char *name, uint64_t value)
{
	pl011_puts(name);
	raw_put_hex(value);
	pl011_putc('\n');
}

static void print_fault(const struct trap_frame *frame, unsigned vector)
{
	static const char *const group_names[] = {
		"current EL, SP_EL0", "current EL, SP_EL1",
		"lower EL, AArch64", "lower EL, AArch32",
	};
	static const char *const kind_names[] = { "synchronous", "IRQ", "FIQ", "SError" };
	uint64_t esr = read_esr();
	unsigned ec = esr_class(esr);

	pl011_puts("\nvblk: unexpected ");
	pl011_puts(kind_names[vector % TRAP_KINDS_PER_GROUP]);
	pl011_puts(" exception (");
	pl011_puts(group_names[vector / TRAP_KINDS_PER_GROUP]);
	pl011_puts(")\n  class     ");
	pl011_puts(class_name(ec));
	if (ec == EC_INSN_ABORT_LOWER || ec == EC_INSN_ABORT ||
	    ec == EC_DATA_ABORT_LOWER || ec == EC_DATA_ABORT) {
		pl011_puts(": ");
		pl011_puts(fault_status_name(esr & ESR_FSC_MASK));
	}
	pl011_putc('\n');
	print_reg("  ESR_EL1   ", esr);
	print_reg("  ELR_EL1   ", frame->elr);
	print_reg("  FAR_EL1   ", read_far());
	print_reg("  SPSR_EL1  ", frame->spsr);
	print_reg("  LR (x30)  ", frame->x30);
}

static _Noreturn void report_fault(const struct trap_frame *frame, unsigned vector)
{
	fault_depth++;
	if (fault_depth == 1) {
		print_fault(frame, vector);
		rt_exit_now(RT_FAULT_EXIT_STATUS);
	}
	/* Reporting or exiting faulted. Each step below is skipped once it
	 * has faulted itself (the UART may be what is broken). */
	if (fault_depth == 2)
		pl011_puts("vblk: fault while handling a fault\n");
	if (fault_depth <= 3)
		rt_halt(RT_FAULT_EXIT_STATUS);
	rt_park();
}

/* A semihosting call made while QEMU has semihosting off: the `hlt` is
 * reported as an unknown-reason exception at the instruction itself. The
 * instruction can be read: it was just fetched. */
static bool is_semihosting_trap(const struct trap_frame *frame)
{
	if (esr_class(read_esr()) != ESR_EC_UNKNOWN)
		return false;
	return *(const volatile uint32_t *)(uintptr_t)frame->elr == SEMIHOSTING_HLT_INSN;
}

void rt_trap(struct trap_frame *frame, unsigned vector)
{
	if (vector == VECTOR(TRAP_GROUP_CUR_SPX, TRAP_KIND_IRQ)) {
		rt_irq_handler();
		return;
	}
	if (vector == VECTOR(TRAP_GROUP_CUR_SPX, TRAP_KIND_SYNC) &&
	    is_semihosting_trap(frame)) {
		semihosting_trapped();
		frame->x[0] = (uint64_t)-1;     /* the call's result: failed */
		frame->elr += INSN_BYTES;
		return;
	}
	report_fault(frame, vector);
}
