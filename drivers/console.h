/* SPDX-License-Identifier: MIT */
/*
 * The standard streams on the PL011 (drivers/console.c), for picolibc or
 * newlib.
 */
#ifndef VBLK_DRIVERS_CONSOLE_H
#define VBLK_DRIVERS_CONSOLE_H

/* After pl011_init, before anything prints through stdio: with newlib,
 * makes stdout and stderr unbuffered (picolibc's already are). */
void console_init(void);

#endif
