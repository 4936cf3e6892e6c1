/* SPDX-License-Identifier: MIT */
/*
 * The trace mode: with -DVBLK_TRACE=1 (`make TRACE=1 run`) every step of
 * every request prints one line as it happens, through vblk_printf
 * (vblk/platform.h), so a student can follow an I/O through the ring on
 * the console (docs/trace.md lists the lines):
 *
 *   [vblk] bio queued  read sector 0, 8 sectors
 *   [vblk] request     read sector 0, 4096 bytes, 1 bio(s), direct
 *   [vblk] chain       head 0: #0 16B R -> #1 4096B W -> #2 1B W
 *   [vblk] avail idx   0 -> 1 published
 *   [vblk] notify      sent (EVENT_IDX: avail_event 0)
 *   [vblk] interrupt   status 0x1 used-buffer
 *   [vblk] used        used idx 0: id 0 len 4097
 *   [vblk] complete    read sector 0, 8 sectors: status 0, callback
 *
 * Off (the default) every macro here is empty: the arguments are not
 * evaluated and no code is generated, so a build without the switch is
 * the same code as one without these lines. The call sites are one line
 * each, in the file that takes the step; the helpers that need more than
 * a printf (walking a chain) are vring/describe.c's, which the linker
 * drops when nothing calls them.
 */
#ifndef VBLK_PLAT_TRACE_H
#define VBLK_PLAT_TRACE_H

#include "vblk/platform.h"

#ifndef VBLK_TRACE
#define VBLK_TRACE 0
#endif

#if VBLK_TRACE
/* One line: VBLK_TRACE_LINE("step        format\n", args...), the step
 * named in the first 12 columns so the details line up, in one
 * vblk_printf call. (The chain line, vring/describe.c's, is printed piece
 * by piece: docs/trace.md, "Where the lines go".) */
#define VBLK_TRACE_LINE(...) ((void)vblk_printf("[vblk] " __VA_ARGS__))
/* A statement only a trace build runs (a describe.c helper call). */
#define VBLK_TRACE_DO(stmt) stmt
#else
#define VBLK_TRACE_LINE(...) ((void)0)
#define VBLK_TRACE_DO(stmt) ((void)0)
#endif

/* The operation's name in trace lines, from a VIRTIO_BLK_T_* type. */
#define VBLK_TRACE_TYPE_NAME(type)                                                           \
	((type) == 0 ? "read" : (type) == 1 ? "write" : (type) == 4 ? "flush" :             \
	 (type) == 8 ? "get-id" : (type) == 11 ? "discard" : (type) == 13 ? "write-zeroes" : \
	 "type?")
/* The same from a bio's enum vblk_op (vblk/bio.h, in its order). */
#define VBLK_TRACE_OP_NAME(op)                                                               \
	((unsigned)(op) < 6u ? (const char *const[]){ "read", "write", "flush", "get-id",     \
						      "discard", "write-zeroes" }[(op)] \
			     : "op?")
/* A bio's length in sectors, whatever its op. */
#define VBLK_TRACE_BIO_SECTORS(bio)                                                          \
	((unsigned long long)((bio)->op >= 4 ? (bio)->nsectors : (bio)->bytes / 512u))

#endif
