/* SPDX-License-Identifier: MIT */
/*
 * Output for the paths where printf cannot be trusted: the fault handler
 * (printf may be what faulted) and the last words of rt_exit(). Straight to
 * the PL011: no buffering, no stdio, no state beyond the UART base.
 */
#ifndef VBLK_BOOT_RAWPRINT_H
#define VBLK_BOOT_RAWPRINT_H

#include <stdint.h>

#include "drivers/pl011.h"

/* "0x" and 16 hex digits: every 64-bit register prints the same width. */
void raw_put_hex(uint64_t value);

/* Signed decimal. */
void raw_put_dec(int64_t value);

#endif
