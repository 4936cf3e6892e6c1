/* SPDX-License-Identifier: MIT */
/*
 * An indirect table's entry in either ring format, for the code that
 * keeps tables for both (blk/device.h) and the code that prints them
 * (vring/describe.c).
 */
#ifndef VBLK_VRING_INDIRECT_H
#define VBLK_VRING_INDIRECT_H

#include "vring/packed.h"
#include "vring/virtqueue.h"

/* An indirect table's entry in either layout (16 bytes both: §2.7.5.3,
 * §2.8.19); a table is used in the format of the ring it is given to. */
union vring_indirect_desc {
	struct vring_desc split;
	struct vring_packed_desc packed;
};

#endif
