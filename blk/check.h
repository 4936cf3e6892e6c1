/* SPDX-License-Identifier: MIT */
/*
 * The API's checks that blk/commands.c shares with blk/api.c, which holds
 * them beside the rest of the one validator, where a read runs them (so
 * one read's walk stays in the files it runs through).
 */
#ifndef VBLK_BLK_CHECK_H
#define VBLK_BLK_CHECK_H

#include "blk/disk.h"

/* The limits of a DISCARD or WRITE_ZEROES on this disk. */
static inline const struct blk_range_limits *blk_range_limits(const struct vblk_disk *disk,
							      enum vblk_op op)
{
	return op == VBLK_OP_DISCARD ? &disk->dev.discard : &disk->dev.write_zeroes;
}

/* May `op` run on this disk now? 0, or why not: the disk is down
 * (blk_check_disk), -VBLK_EROFS, -VBLK_EUNSUPP or -VBLK_EINVAL. */
int blk_check_op(const struct vblk_disk *disk, enum vblk_op op);

/* A DISCARD's or WRITE_ZEROES's flags and range, on a disk that takes it. */
int blk_check_range_op(const struct vblk_disk *disk, enum vblk_op op, uint64_t sector,
		       uint64_t nsectors, unsigned flags);

#endif
