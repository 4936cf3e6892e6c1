/* SPDX-License-Identifier: MIT */
/*
 * For the host cost harnesses (bench/read_cost.c and its kind, run by
 * tools/ring-cost.sh): one disk on the fake virtio device of tests/host/,
 * attached. Not part of what they count.
 */
#ifndef VBLK_BENCH_FAKE_DISK_H
#define VBLK_BENCH_FAKE_DISK_H

#include <stdio.h>
#include <stdlib.h>

#include "tests/host/fake_virtio.h"
#include "vblk/vblk.h"

/* A disk of `capacity_sectors` on a fake virtio-mmio device of `version`
 * (1: legacy, QEMU's default; 2: modern); the device in *device if asked.
 * Exits if it does not attach. */
static inline struct vblk_disk *fake_disk_attach(uint32_t version, uint64_t capacity_sectors,
						 struct fake_virtio **device)
{
	struct fake_virtio_opts opts;

	fake_virtio_default_opts(&opts, version);
	opts.capacity_sectors = capacity_sectors;
	struct fake_virtio *fv = fake_virtio_create(&opts);
	int index = vblk_attach(fake_virtio_base(fv), 0);
	struct vblk_disk *disk = index < 0 ? NULL : vblk_disk((unsigned)index);
	if (disk == NULL) {
		fprintf(stderr, "the fake disk did not attach: %d\n", index);
		exit(1);
	}
	if (device != NULL)
		*device = fv;
	return disk;
}

#endif
