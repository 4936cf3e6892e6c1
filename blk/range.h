/* SPDX-License-Identifier: MIT */
/*
 * The chain of a DISCARD or WRITE_ZEROES request (blk/range.c), for
 * blk_dev_start (blk/device.c).
 */
#ifndef VBLK_BLK_RANGE_H
#define VBLK_BLK_RANGE_H

#include "blk/request.h"

/* Fill `req`'s segment array, its run of sectors cut into segments of at
 * most `seg_sectors`, and write its chain (header, segment array, status)
 * to `bufs`. Returns 3, the buffers written. */
unsigned blk_range_map_chain(struct blk_req *req, uint32_t seg_sectors, struct vring_buf *bufs);

#endif
