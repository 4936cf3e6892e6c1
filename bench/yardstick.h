/* SPDX-License-Identifier: MIT */
/*
 * The yardstick (issue 18): vblk against the minimal guest (bench/minimal.h)
 * on the same disk in the same QEMU process, row by row, in rounds of
 * A B B A (vblk, minimal, minimal, vblk: plain A B order biased the ratio
 * by about 0.2, shared/PEERS.md), or A B C D D C B A with three minimal waits.
 */
#ifndef BENCH_YARDSTICK_H
#define BENCH_YARDSTICK_H

#include "vblk/vblk.h"

/* Read rounds=, phase_ms=, rows=d1 (only the depth-1 4 KiB rows, for
 * the loaded variant) and rows=d32 (only the depth-32 row) from the
 * semihosting command line. */
void yardstick_configure(const char *cmdline);

/*
 * Run every row on `disk` (attached by vblk, the scratch disk, its
 * interrupt not registered) and print, per row and round,
 *   yard PATTERN RW SIZE DEPTH WAIT ROUND VBLK_OPS VBLK_US SPIN_OPS SPIN_US SLEEP_OPS
 *        SLEEP_US VBLK_INTERRUPTS DEADLINE_OPS DEADLINE_US
 * WAIT poll: vblk polled against the spinning minimal guest (SLEEP_* 0);
 * best: vblk with interrupts (its adaptive wait) against the minimal guest
 * spinning, sleeping, and sleeping with a deadline as vblk does (DEADLINE_*,
 * not part of "best"), A B C D D C B A (tools/bench-yardstick.sh turns
 * them into ratios). DEPTH 32: vblk's interrupt-driven bios against the
 * minimal guest's 32 chains, spinning and sleeping, A B C C B A
 * (DEADLINE_* 0). The disk is vblk's again afterwards, polled. Returns 0, or
 * the first error.
 */
int yardstick_run(struct vblk_disk *disk);

#endif
