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

#include <stddef.h>
#include <stdint.h>

struct board_info;

int main(void);

/* The device tree found at boot (x0 for an Image boot, start of RAM for an
 * ELF boot), or NULL; and how many bytes of it may be read. */
const void *rt_dtb(void);
size_t rt_dtb_max_bytes(void);

/* The machine description parsed from that device tree (never NULL; all
 * zero if there was no device tree). */
const struct board_info *rt_board(void);

/* Exception level the CPU was in when QEMU started us (1, 2 or 3). */
unsigned rt_boot_el(void);

/* Microseconds since the counter started, from the generic timer. */
uint64_t rt_time_us(void);

/* End the program: semihosting SYS_EXIT with `status` (QEMU exits with it).
 * Without semihosting it parks the CPU. */
_Noreturn void rt_exit(int status);

/* Semihosting SYS_GET_CMDLINE: the `arg=` values of QEMU's
 * -semihosting-config, space-separated. Returns the length, or -1 if
 * semihosting is not available. */
int rt_cmdline(char *buf, size_t len);

/* Is semihosting usable (QEMU run with -semihosting-config enable=on)? */
int rt_semihosting_enabled(void);

#endif
