/* SPDX-License-Identifier: MIT */
/*
 * The vblk runtime: what boot/ and the platform drivers give an application
 * image built with `make APP=yourfile.c`.
 *
 * You write `int main(void)`. Before it runs, the boot code has dropped to
 * EL1, turned the MMU and caches on (RAM write-back cacheable, devices
 * Device-nGnRnE), found the device tree and started the PL011 console, so
 * printf works. main's return value becomes QEMU's exit status (through
 * semihosting), as does rt_exit()'s argument.
 *
 * Firmware that has its own boot code does not need this header: link
 * libvblk.a and call vblk_init_from_dt()/vblk_attach() from vblk.h.
 */
#ifndef VBLK_RUNTIME_H
#define VBLK_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int main(void);

/* Functions that never return (C11 _Noreturn, C++11 [[noreturn]]). */
#ifdef __cplusplus
#define VBLK_NORETURN [[noreturn]]
#else
#define VBLK_NORETURN _Noreturn
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The device tree found at boot (x0 for an Image boot, start of RAM for an
 * ELF boot), or NULL; and how many bytes of it may be read. */
const void *rt_dtb(void);
size_t rt_dtb_max_bytes(void);

/* The end of the RAM that holds `addr`: the device tree's memory range
 * it lies in, joined with any that follow on without a gap; 0 if no range
 * holds it (or there was no device tree). Given the linker's `_end`
 * (`extern char _end[];`), it says how much RAM after the image is free
 * for a program's own use (the device tree may lie there too: rt_dtb()). */
uint64_t rt_ram_end(uint64_t addr);

/* Exception level the CPU was in when QEMU started us (1, 2 or 3). */
unsigned rt_boot_el(void);

/* Handing the machine on (a bootloader): the runtime drops to EL1, but
 * when it passed through EL2 (started at EL2, or at EL3 on a CPU with
 * EL2) it leaves a stub there (boot/el2_stub.S), and rt_el2_available()
 * says so. rt_enter_el2() then masks every exception at EL1 and, through
 * that stub, jumps to `entry` at EL2 with EL2's MMU and caches off, x0 =
 * arg0 and x1-x3 = 0: what arm64 Linux wants (booting.rst), with arg0 its
 * device tree. Everything `entry` will read must have been cleaned to the
 * point of coherency first, and the disks shut down (vblk_shutdown). */
bool rt_el2_available(void);
VBLK_NORETURN void rt_enter_el2(uint64_t entry, uint64_t arg0);

/* Microseconds since the counter started, from the generic timer. */
uint64_t rt_time_us(void);

/* Where the time before main() went, in rt_time_us() microseconds (QEMU
 * starts the counter at 0 with the machine): the first instruction, the
 * RAM check done and .bss zeroing started, C with .bss zeroed, the device
 * tree parsed, the MMU and caches on, and main() called (console and
 * interrupts set up). */
struct rt_boot_times {
	uint64_t entry_us, zeroing_us, c_us, dt_us, mmu_us, main_us;
};
const struct rt_boot_times *rt_boot_times(void);

/* End the program (returning from main() does the same): first
 * vblk_shutdown(), so queued writes complete and disks with a write cache
 * are flushed (if that fails, it says so and a status of 0 becomes 1);
 * then semihosting SYS_EXIT with `status` (QEMU exits with it). Without
 * semihosting it prints the status and powers off through PSCI
 * SYSTEM_OFF (QEMU then exits with 0), or parks the CPU if there is no
 * PSCI either. */
VBLK_NORETURN void rt_exit(int status);

/* Semihosting SYS_GET_CMDLINE: the `arg=` values of QEMU's
 * -semihosting-config, space-separated. Without any `arg=`, QEMU gives
 * the -kernel path as it was typed, then the words of -append if any
 * (e.g. "build/vblk.elf"). Returns the length, or -1 if semihosting
 * is not available or buf cannot hold the line. */
int rt_cmdline(char *buf, size_t len);

/* Is semihosting usable (QEMU run with -semihosting-config enable=on)? */
int rt_semihosting_enabled(void);

/*
 * Interrupts. Before main() the runtime sets up the GIC the device tree
 * names (GICv2 or GICv3) with every interrupt disabled, and unmasks IRQs;
 * main() runs with IRQs unmasked. Without a usable GIC it runs with IRQs
 * masked, polled only, and rt_irq_register() fails.
 *
 * A handler runs in the IRQ exception with IRQs masked, on the boot stack,
 * after the GIC acknowledged the interrupt and before its end of
 * interrupt: it must make the device lower a level-triggered line (e.g.
 * virtio's InterruptACK) and must not wait for anything.
 */

/* Which GIC the runtime drives: 2 or 3, or 0 when running without
 * interrupts. */
int rt_irq_controller(void);

/* Call handler(ctx) for each interrupt `intid` (GIC INTID: 16-31 PPI,
 * 32-1019 SPI; 0-15, the SGIs, are taken too, always edge-triggered
 * whatever `edge` says) and enable it at the GIC, edge-triggered if `edge`, else
 * level-triggered, as the device tree's flags say (for a disk:
 * vblk_disk_info()->irq_edge).
 * Returns 0; -VBLK_EINVAL for a NULL handler or an INTID the GIC does not
 * have; -VBLK_ESTATE if it already has a handler; -VBLK_ENOMEM if the
 * handler table is full; -VBLK_ENODEV without a GIC; -VBLK_EUNSUPP if the
 * GIC does not let it be enabled (firmware that ran at EL3 kept it
 * Secure): poll instead. */
int rt_irq_register(unsigned intid, bool edge, void (*handler)(void *ctx), void *ctx);

/* Disable `intid` at the GIC and forget its handler (no-op if none). */
void rt_irq_unregister(unsigned intid);

/* How many times `intid` was acknowledged since boot, with or without a
 * handler (one without is disabled when it arrives). For statistics. */
unsigned long rt_irq_count(unsigned intid);

#ifdef __cplusplus
}
#endif

#endif
