/* SPDX-License-Identifier: MIT */
/*
 * Arm semihosting calls over `hlt #0xf000` (see semihosting.h).
 */
#include "drivers/semihosting.h"

/* Reason code of SYS_EXIT for a normal end of program (semihosting.rst,
 * SYS_EXIT: "ADP_Stopped_ApplicationExit"). */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

enum semihosting_state {
	SEMIHOSTING_UNKNOWN,    /* not tried yet */
	SEMIHOSTING_ON,         /* a call returned */
	SEMIHOSTING_OFF,        /* a call trapped as undefined instruction */
};

/* In .data, not .bss: boot/ram_check.c's rt_check_ram() may exit
 * through semihosting before start.S has zeroed .bss, part of which may
 * then lie beyond RAM. */
static enum semihosting_state state
	__attribute__((section(".data.semihosting_state"))) = SEMIHOSTING_UNKNOWN;

int64_t semihosting_call(uint32_t op, uintptr_t param_block)
{
	if (state == SEMIHOSTING_OFF)
		return -1;

	/* If the hlt traps, the exception handler sets x0 = -1, calls
	 * semihosting_trapped() and resumes at the next instruction. The
	 * "memory" clobber makes the compiler re-read `state` afterwards and
	 * publish the parameter block before the call. */
	register uint64_t x0 __asm__("x0") = op;
	register uint64_t x1 __asm__("x1") = param_block;
	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	return (int64_t)x0;
}

void semihosting_trapped(void)
{
	state = SEMIHOSTING_OFF;
}

bool semihosting_available(void)
{
	if (state == SEMIHOSTING_UNKNOWN) {
		semihosting_call(SEMIHOSTING_SYS_ERRNO, 0);
		if (state == SEMIHOSTING_UNKNOWN)
			state = SEMIHOSTING_ON;
	}
	return state == SEMIHOSTING_ON;
}

int semihosting_get_cmdline(char *buf, size_t len_bytes)
{
	/* Parameter block: buffer address and its size; QEMU replaces the
	 * size with the length of the string it wrote (semihosting.rst, SYS_GET_CMDLINE). */
	uint64_t block[2] = { (uintptr_t)buf, len_bytes };

	if (buf == NULL || len_bytes == 0 || !semihosting_available())
		return -1;
	if (semihosting_call(SEMIHOSTING_SYS_GET_CMDLINE, (uintptr_t)block) != 0)
		return -1;
	if (block[1] >= len_bytes)
		return -1;      /* not what the spec promises; do not trust it */
	buf[block[1]] = '\0';
	return (int)block[1];
}

void semihosting_exit(int status)
{
	/* AArch64 takes a pointer to {reason, subcode} (semihosting.rst, SYS_EXIT). */
	uint64_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint64_t)(int64_t)status };

	if (semihosting_available())
		semihosting_call(SEMIHOSTING_SYS_EXIT, (uintptr_t)block);
}
