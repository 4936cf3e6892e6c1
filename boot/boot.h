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

/* boot_locate_dtb() without saying why a blob was refused: for
 * rt_check_ram(), whose refusals rt_start() reports when it looks again. */
const void *boot_locate_dtb_quietly(uint64_t entry_x0, size_t *dtb_bytes);

struct board_info;

/* The board rt_check_ram() parsed from `blob` (boot/ram_check.c), or NULL
 * if it parsed none or another blob: rt_start() then parses it itself. */
const struct board_info *boot_early_board(const void *blob, size_t blob_bytes);

/* The end of the RAM that holds `addr` by `info` (rt_ram_end). */
uint64_t boot_ram_end(const struct board_info *info, uint64_t addr);

/* How PSCI is called, from the device tree's /psci node (boot/exit.c):
 * rt_start() sets it once for rt_halt(). */
void boot_find_psci(const void *blob, size_t blob_bytes);

/* rt_exit() before .bss is zeroed (rt_check_ram): no disks to shut down,
 * the PSCI conduit read from `blob` on the spot, not kept. */
_Noreturn void boot_exit_early(int status, const void *blob, size_t blob_bytes);

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
