/* SPDX-License-Identifier: MIT */
/*
 * The fallback vblk_printf() (vblk/platform.h): prints nothing, for
 * firmware that links libvblk.a without a console. Weak, so that a
 * definition of the firmware's own (or the vblk runtime's,
 * drivers/print.c) takes its place; an image that never calls
 * vblk_dump() and is built without VBLK_TRACE links neither.
 */
#include "vblk/platform.h"

__attribute__((weak)) int vblk_printf(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}
