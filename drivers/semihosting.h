/* SPDX-License-Identifier: MIT */
/*
 * Arm semihosting (Arm "Semihosting for AArch32 and AArch64",
 * github.com/ARM-software/abi-aa, semihosting/semihosting.rst):
 * how a vblk image talks to QEMU itself, to end the run with an exit status
 * and to read the arguments of -semihosting-config enable=on,arg=...
 *
 * A call is `hlt #0xf000` with the operation in w0 and a pointer to its
 * parameter block in x1. Without -semihosting-config QEMU treats that
 * instruction as undefined: boot/exceptions.c recognises the trap, calls
 * semihosting_trapped() and resumes after the instruction, so every call
 * below then fails with -1 instead of crashing the program.
 */
#ifndef VBLK_SEMIHOSTING_H
#define VBLK_SEMIHOSTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Operation numbers (semihosting.rst, "Semihosting operations"). */
#define SEMIHOSTING_SYS_ERRNO       0x13
#define SEMIHOSTING_SYS_GET_CMDLINE 0x15
#define SEMIHOSTING_SYS_EXIT        0x18

/* The AArch64 semihosting trap, `hlt #0xf000`, as an instruction word. */
#define SEMIHOSTING_HLT_INSN        0xd45e0000u

/* Make one call. Returns what QEMU put in x0, or -1 when semihosting is
 * not available (then the instruction is no longer even tried). */
int64_t semihosting_call(uint32_t op, uintptr_t param_block);

/* Is semihosting on? The first call probes with SYS_ERRNO, which has no
 * side effect; the answer is remembered. */
bool semihosting_available(void);

/* For the exception handler: a semihosting instruction trapped as
 * undefined, so semihosting is off for the rest of the run. */
void semihosting_trapped(void);

/* SYS_GET_CMDLINE into buf (NUL-terminated). Returns the length without
 * the NUL, or -1 (no semihosting, or buf too small). */
int semihosting_get_cmdline(char *buf, size_t len_bytes);

/* SYS_EXIT with ADP_Stopped_ApplicationExit: QEMU exits with `status`
 * (its low 8 bits, as any process exit status). Returns only when
 * semihosting is not available. */
void semihosting_exit(int status);

#endif
