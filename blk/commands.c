/* SPDX-License-Identifier: MIT */
/*
 * The synchronous calls other than read and write: DISCARD and
 * WRITE_ZEROES over a range of sectors, FLUSH, GET_ID. Each checks its
 * arguments (blk/check.h), builds a batch of bios and runs it as reads
 * and writes are run (blk_sync_run, blk/api.c).
 */
#include "blk/check.h"
#include "blk/sync.h"

#include <string.h>

/* DISCARD or WRITE_ZEROES: the range checked, then bios of at most one
 * request each (vblk_max_range_sectors), SYNC_BATCH at a time. One body
 * for both commands (VBLK_NOINLINE). */
VBLK_NOINLINE static int range_op(struct vblk_disk *disk, enum vblk_op op, uint64_t sector,
				  uint64_t nsectors, unsigned flags)
{
	int err = blk_check_op(disk, op);
	if (!err)
		err = blk_check_range_op(disk, op, sector, nsectors, flags);
	if (err)
		return err;
	uint64_t per_bio = blk_range_max_sectors(blk_range_limits(disk, op));
	while (!err && nsectors > 0) {
		struct sync_batch batch;
		batch.count = 0;
		while (batch.count < SYNC_BATCH && nsectors > 0) {
			uint64_t chunk = nsectors < per_bio ? nsectors : per_bio;
			batch.bios[batch.count++] = (struct vblk_bio){
				.op = op, .sector = sector, .nsectors = chunk, .flags = flags,
			};
			sector += chunk;
			nsectors -= chunk;
		}
		err = blk_sync_run(disk, &batch);
	}
	return err;
}

int vblk_discard(struct vblk_disk *disk, uint64_t sector, uint64_t nsectors)
{
	return range_op(disk, VBLK_OP_DISCARD, sector, nsectors, 0);
}

int vblk_write_zeroes(struct vblk_disk *disk, uint64_t sector, uint64_t nsectors, unsigned flags)
{
	return range_op(disk, VBLK_OP_WRITE_ZEROES, sector, nsectors, flags);
}

/* One request without data, or with the disk's own GET_ID buffer. */
static int single(struct vblk_disk *disk, enum vblk_op op, void *buf, uint32_t bytes)
{
	struct sync_batch batch;

	batch.count = 1;
	batch.segs[0] = (struct vblk_seg){ buf, bytes };
	batch.bios[0] = (struct vblk_bio){
		.op = op, .bytes = bytes, .segs = buf ? batch.segs : NULL, .nsegs = buf ? 1 : 0,
	};
	return blk_sync_run(disk, &batch);
}

/*
 * Make completed writes durable. Without VIRTIO_BLK_F_FLUSH the device
 * has no volatile cache to flush (virtio 1.2 §5.2.5.1: write-through may
 * be assumed), so there is nothing to do.
 */
int vblk_flush(struct vblk_disk *disk)
{
	int err = blk_check_op(disk, VBLK_OP_FLUSH);
	if (err)
		return err;
	if (!disk->dev.info.has_flush)
		return 0;
	return single(disk, VBLK_OP_FLUSH, NULL, 0);
}

/* The device's ID string: exactly 20 bytes of data, not NUL-terminated when
 * all 20 are used (§5.2.6.1). */
int vblk_get_id(struct vblk_disk *disk, char id[21])
{
	int err = blk_check_disk(disk);
	if (!err && id == NULL)
		err = -VBLK_EINVAL;
	if (!err)
		err = single(disk, VBLK_OP_GET_ID, disk->dev.id_buf, VIRTIO_BLK_ID_BYTES);
	if (err)
		return err;
	memcpy(id, disk->dev.id_buf, VIRTIO_BLK_ID_BYTES);
	id[VIRTIO_BLK_ID_BYTES] = '\0';
	return 0;
}
