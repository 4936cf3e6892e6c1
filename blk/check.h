/* SPDX-License-Identifier: MIT */
/*
 * The checks both APIs make, in one place: the synchronous calls
 * (blk/sync.c) and vblk_submit's check of a bio (blk/submit.c) run the
 * same functions in the same order (the disk, then the op, then the
 * arguments), so they refuse the same calls with the same errors. Inline:
 * every call of either API runs them.
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

/* DISCARD and WRITE_ZEROES: never sent to a device that did not offer
 * them (virtio 1.2 §2.2); they change the disk, so not to a read-only
 * one. GET_ID is vblk_get_id's own (a 20-byte buffer); the rest is no op.
 * Apart, so the common ops' check stays small. */
static inline int blk_check_other_op(const struct vblk_disk *disk, enum vblk_op op)
{
	if (op != VBLK_OP_DISCARD && op != VBLK_OP_WRITE_ZEROES)
		return -VBLK_EINVAL;
	if (disk->dev.info.read_only)
		return -VBLK_EROFS;
	return blk_range_limits(disk, op)->max_segs ? 0 : -VBLK_EUNSUPP;
}

/*
 * May `op` run on this disk now? The check both APIs start with: the disk
 * is up (blk_check_disk says why not), then the op. A read-only disk
 * takes no write or flush (virtio 1.2 §5.2.6.2: the driver must not write
 * to an RO device); read-only is a property of the disk, so it is refused
 * before any argument is looked at.
 */
static inline int blk_check_op(const struct vblk_disk *disk, enum vblk_op op)
{
	if (disk == NULL || !disk->dev.ready)
		return blk_check_disk(disk);
	switch ((int)op) {
	case VBLK_OP_READ:
		return 0;
	case VBLK_OP_WRITE:
	case VBLK_OP_FLUSH:
		return disk->dev.info.read_only ? -VBLK_EROFS : 0;
	default:
		return blk_check_other_op(disk, op);
	}
}

/* Never send a request that reaches past the capacity (virtio 1.2
 * §5.2.6.1), and keep to whole logical blocks: a device with 4 KiB blocks
 * fails a request for part of one. */
static inline int blk_check_range(const struct vblk_disk *disk, uint64_t sector, uint64_t nsectors)
{
	uint64_t capacity = disk->dev.info.capacity_sectors;
	uint32_t sectors_per_block = disk->dev.info.block_size_bytes / VBLK_SECTOR_SIZE;

	if (nsectors == 0)
		return -VBLK_EINVAL;
	if (sector > capacity || nsectors > capacity - sector)
		return -VBLK_ERANGE;
	/* A power of 2 (blk/disk.c refuses any other block size): a mask,
	 * not two divisions, on every call. */
	if ((sector | nsectors) & (sectors_per_block - 1))
		return -VBLK_EALIGN;
	return 0;
}

/*
 * The arguments of a DISCARD or WRITE_ZEROES on a disk that takes it
 * (blk_check_op): known flags (only WRITE_ZEROES has one, unmap: virtio
 * 1.2 §5.2.6.2), a range inside the capacity (§5.2.6.1) of whole logical
 * blocks and, for a discard, of whole discard_sector_alignment units
 * (§5.2.4).
 */
static inline int blk_check_range_op(const struct vblk_disk *disk, enum vblk_op op,
				     uint64_t sector, uint64_t nsectors, unsigned flags)
{
	unsigned allowed = op == VBLK_OP_WRITE_ZEROES ? VBLK_WZ_UNMAP : 0;
	uint32_t align = blk_range_limits(disk, op)->align_sectors;

	if (flags & ~allowed)
		return -VBLK_EINVAL;
	int err = blk_check_range(disk, sector, nsectors);
	if (err)
		return err;
	if (sector % align != 0 || nsectors % align != 0)
		return -VBLK_EALIGN;
	return 0;
}

#endif
