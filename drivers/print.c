/* SPDX-License-Identifier: MIT */
/*
 * The runtime's vblk_printf() (vblk/platform.h): the library's dump and
 * trace lines go to the console, as the application's printf does. The
 * linker drops it from images that never print through it.
 */
#include <stdarg.h>
#include <stdio.h>

#include "vblk/platform.h"

int vblk_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
