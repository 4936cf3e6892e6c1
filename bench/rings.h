/* SPDX-License-Identifier: MIT */
/*
 * The split ring against the packed ring in one QEMU process (mode=rings,
 * tools/bench-rings.sh). A device cannot change its ring format without a
 * new QEMU process, but two devices in one process can differ in it: two
 * virtio-blk-pci disks on the same kind of backing file, one packed=off,
 * one packed=on. Each row runs in rounds of A B B A between them (split,
 * packed, packed, split), so drift in the host's load falls on both.
 */
#ifndef BENCH_RINGS_H
#define BENCH_RINGS_H

#include "vblk/vblk.h"

/*
 * On two scratch disks, one on each ring format (bench/bench.c has
 * checked both and registered their interrupts, and rows_set_up set the
 * turn's length), run the rows and print, per row and round,
 *   ring TEST RW SIZE DEPTH API ROUND SPLIT_OPS SPLIT_US PACKED_OPS PACKED_US
 * Returns 0, or the first error.
 */
int rings_run(struct vblk_disk *a, struct vblk_disk *b, unsigned rounds);

#endif
