/* SPDX-License-Identifier: MIT */
/*
 * stdin, stdout and stderr on the PL011, with either C library the image
 * is built with (Makefile, "libc").
 *
 * picolibc (Debian's aarch64-linux-gnu toolchain) leaves the three
 * standard streams undefined (`FILE *const stdout`): the image supplies
 * one FILE whose put/get functions are the UART's.
 *
 * newlib (an aarch64-none-elf toolchain) has streams of its own and ends
 * their I/O in system calls, _write and _read and the few stdio asks
 * about a descriptor, which libgloss supplies on the boards it knows and
 * this image supplies here: descriptors 0, 1 and 2 are the UART, and no
 * other exists (drivers/newlib.c has newlib's other calls).
 *
 * Either way output is unbuffered: each character goes to the UART as
 * printf produces it, so nothing is lost if the program faults or exits.
 */
#include <stdbool.h>
#include <stdio.h>

#include "drivers/console.h"
#include "drivers/pl011.h"
#include "plat/platform.h"

/* stdin reads block until a byte arrives, as getchar() expects. */
static int console_getc(void)
{
	int c;

	while ((c = pl011_getc()) < 0)
		plat_cpu_relax();
	return c;
}

#ifdef __PICOLIBC__

static int console_put(char c, FILE *stream)
{
	(void)stream;
	pl011_putc(c);
	return (unsigned char)c;
}

static int console_get(FILE *stream)
{
	(void)stream;
	return console_getc();
}

static FILE console = FDEV_SETUP_STREAM(console_put, console_get, NULL, _FDEV_SETUP_RW);

FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;

void console_init(void)
{
}

#else /* newlib */

#include <errno.h>
#include <sys/stat.h>

#define CONSOLE_FDS 3   /* stdin, stdout, stderr */

/* newlib declares these only while it is being compiled itself. */
_ssize_t _write(int fd, const void *buf, size_t len_bytes);
_ssize_t _read(int fd, void *buf, size_t len_bytes);
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
_off_t _lseek(int fd, _off_t offset, int whence);

static bool is_console(int fd)
{
	if (fd >= 0 && fd < CONSOLE_FDS)
		return true;
	errno = EBADF;
	return false;
}

_ssize_t _write(int fd, const void *buf, size_t len_bytes)
{
	const char *bytes = buf;

	if (!is_console(fd))
		return -1;
	for (size_t i = 0; i < len_bytes; i++)
		pl011_putc(bytes[i]);
	return (_ssize_t)len_bytes;
}

/* At least one byte, waiting for it; then whatever else has arrived. */
_ssize_t _read(int fd, void *buf, size_t len_bytes)
{
	char *bytes = buf;
	size_t got = 0;
	int c;

	if (!is_console(fd))
		return -1;
	if (len_bytes == 0)
		return 0;
	bytes[got++] = (char)console_getc();
	while (got < len_bytes && (c = pl011_getc()) >= 0)
		bytes[got++] = (char)c;
	return (_ssize_t)got;
}

int _close(int fd)
{
	(void)fd;
	errno = EBADF;   /* the console stays open, and nothing else exists */
	return -1;
}

/* A character device: newlib then line-buffers it unless told otherwise
 * (console_init does). */
int _fstat(int fd, struct stat *st)
{
	if (!is_console(fd))
		return -1;
	*st = (struct stat){ .st_mode = S_IFCHR };
	return 0;
}

int _isatty(int fd)
{
	return is_console(fd);
}

_off_t _lseek(int fd, _off_t offset, int whence)
{
	(void)offset;
	(void)whence;
	if (is_console(fd))
		errno = ESPIPE;
	return -1;
}

void console_init(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	setvbuf(stderr, NULL, _IONBF, 0);
}

#endif
