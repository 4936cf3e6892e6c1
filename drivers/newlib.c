/* SPDX-License-Identifier: MIT */
/*
 * The system calls newlib leaves to the platform, other than the
 * console's (drivers/console.c), for an image built with an
 * aarch64-none-elf toolchain. libgloss supplies them on the boards it
 * knows; the image links none of it (-nostdlib), so here they are: the
 * heap malloc grows into is the linker script's (__heap_start to
 * __heap_end, HEAP_BYTES), exit() ends the run as returning from main
 * does (rt_exit: the disks shut down first), and there are no other
 * processes to signal. With picolibc (Debian's aarch64-linux-gnu
 * toolchain) this file is empty: picolibc brings its own.
 */
#include <stdio.h>

#ifndef __PICOLIBC__

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "vblk/runtime.h"

extern char __heap_start[], __heap_end[];   /* linker.ld */

/* newlib declares these only while it is being compiled itself. */
void *_sbrk(ptrdiff_t incr);
int _kill(int pid, int sig);
int _getpid(void);

void *_sbrk(ptrdiff_t incr)
{
	static char *brk = __heap_start;
	char *old = brk;

	if (incr < __heap_start - brk || incr > __heap_end - brk) {
		errno = ENOMEM;
		return (void *)-1;
	}
	brk += incr;
	return old;
}

void _exit(int status)
{
	rt_exit(status);
}

int _kill(int pid, int sig)
{
	(void)pid;
	(void)sig;
	errno = EINVAL;
	return -1;
}

int _getpid(void)
{
	return 1;
}

#else

typedef int vblk_newlib_unused;   /* ISO C: no empty translation unit */

#endif
