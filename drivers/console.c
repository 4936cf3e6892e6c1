/* SPDX-License-Identifier: MIT */
/*
 * picolibc's stdin/stdout/stderr on the PL011.
 *
 * picolibc leaves the three standard streams undefined (`FILE *const
 * stdout`); the image supplies one FILE whose put/get functions are the
 * UART's. Output is unbuffered: each character goes to the UART as printf
 * produces it, so nothing is lost if the program faults or exits.
 */
#include <stdio.h>

#include "drivers/pl011.h"
#include "plat/platform.h"

#ifndef VBLK_PICOLIBC
#error "drivers/console.c binds stdio with picolibc's FDEV_SETUP_STREAM"
#endif

static int console_put(char c, FILE *stream)
{
	(void)stream;
	pl011_putc(c);
	return (unsigned char)c;
}

/* stdin reads block until a byte arrives, as getchar() expects. */
static int console_get(FILE *stream)
{
	int c;

	(void)stream;
	while ((c = pl011_getc()) < 0)
		plat_cpu_relax();
	return c;
}

static FILE console = FDEV_SETUP_STREAM(console_put, console_get, NULL, _FDEV_SETUP_RW);

FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;
