/* SPDX-License-Identifier: MIT */
/*
 * Between the files of boot/ (not for applications: see vblk/runtime.h).
 */
#ifndef VBLK_BOOT_BOOT_H
#define VBLK_BOOT_BOOT_H

#include <stddef.h>
#include <stdint.h>

/* The C entry, called by start.S at EL1 with the MMU off, .bss zeroed and
 * a stack: x0 as QEMU passed it, the EL we started at, a DTB address
 * start.S had to drop because .bss covered it (else 0), and the counter
 * at the first instruction and when .bss zeroing started (rt_boot_times). */
_Noreturn void rt_start(uint64_t entry_x0, unsigned boot_el, uint64_t dtb_lost,
			uint64_t entry_ticks, uint64_t zeroing_ticks);

/* Called by start.S at EL1 before it zeroes .bss, on the early stack (MMU
 * off), with rt_start()'s entry_x0: returns if the image fits in the RAM
 * the device tree describes (or there is no DT to say); else prints what
 * it needs and what there is, and ends the run with exit status 1. */
void rt_check_ram(uint64_t entry_x0);

/* The device tree a boot with `entry_x0` in x0 brought: x0 itself (Image
 * boot), else the start of RAM (ELF boot). Sets *dtb_bytes; NULL if there
 * is no believable DTB at either place. Uses no static data (EL3 calls it
 * before .bss is cleared). */
const void *boot_locate_dtb(uint64_t entry_x0, size_t *dtb_bytes);

/* Called by start.S at EL3 (secure=on, ELF boot) just before the drop to
 * Non-secure: hand the GIC's interrupts to the Non-secure side. MMU off,
 * on the early stack, .bss not yet cleared. */
void rt_el3_setup(uint64_t entry_x0);

/* rt_exit() without shutting the disks down first: the fault handler's
 * exit, where the driver's state cannot be trusted any more. */
_Noreturn void rt_exit_now(int status);

/* End the run without printing anything: semihosting SYS_EXIT with
 * `status`, else PSCI SYSTEM_OFF (QEMU exits with 0), else rt_park(). */
_Noreturn void rt_halt(int status);

/* Stop this CPU for good: interrupts masked, wfi forever. */
_Noreturn void rt_park(void);

#endif
