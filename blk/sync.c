/*
 * The synchronous API: check the arguments, cut the transfer into bios the
 * device accepts in one request each, queue them and wait. It runs on the
 * same queue as the asynchronous API, polled or with interrupts, so it
 * works in early boot and in firmware without an interrupt controller.
 */
#include "blk/disk.h"

#include <string.h>

/* Bios in flight at once for one synchronous call: enough to keep the
 * device busy on a large transfer, few enough to live on the stack. */
#define SYNC_BATCH 8u

static int check_buffer(const void *buf)
{
	if (buf == NULL)
		return -VBLK_EINVAL;
	if ((uintptr_t)buf % VBLK_DMA_ALIGN != 0)
		return -VBLK_EALIGN;
	return 0;
}

/* Submit up to SYNC_BATCH bios for the front of the transfer and wait for
 * them. Returns the bytes done or a negative error. */
static int64_t transfer_batch(struct vblk_disk *disk, enum vblk_op op, uint64_t sector,
			      uint8_t *buf, uint64_t left_bytes)
{
	struct vblk_seg segs[SYNC_BATCH];
	struct vblk_bio bios[SYNC_BATCH];
	struct vblk_bio *waits[SYNC_BATCH];
	uint64_t done_bytes = 0;
	unsigned n = 0;
	int err = 0;

	/* A transfer of more than one request is plugged so its bios go out
	 * together, with one notification; one request goes straight out. */
	if (left_bytes > disk->dev.max_req_bytes)
		vblk_plug(disk);
	while (n < SYNC_BATCH && done_bytes < left_bytes) {
		uint64_t chunk_bytes = left_bytes - done_bytes;
		if (chunk_bytes > disk->dev.max_req_bytes)
			chunk_bytes = disk->dev.max_req_bytes;
		segs[n] = (struct vblk_seg){ buf + done_bytes, (uint32_t)chunk_bytes };
		/* Field by field: the rest (nsectors, flags, private, what
		 * vblk sets itself) is not read for a read or write, and
		 * zeroing the whole bio costs more than the rest of this loop. */
		bios[n].op = op;
		bios[n].sector = sector + done_bytes / VBLK_SECTOR_SIZE;
		bios[n].segs = &segs[n];
		bios[n].nsegs = 1;
		bios[n].done = NULL;
		err = blk_submit_checked(disk, &bios[n]);
		if (err)
			break;
		waits[n] = &bios[n];
		done_bytes += chunk_bytes;
		n++;
	}
	/* Always wait for what was queued: the bios live in this frame. */
	int wait_err = n > 0 ? vblk_wait_bios(disk, waits, n) : 0;
	if (err == 0)
		err = wait_err;
	return err ? err : (int64_t)done_bytes;
}

static int transfer(struct vblk_disk *disk, enum vblk_op op, uint64_t sector, void *buf,
		    uint32_t nsectors)
{
	uint64_t left_bytes = (uint64_t)nsectors * VBLK_SECTOR_SIZE;
	uint8_t *next = buf;

	while (left_bytes > 0) {
		int64_t done_bytes = transfer_batch(disk, op, sector, next, left_bytes);
		if (done_bytes < 0)
			return (int)done_bytes;
		sector += (uint64_t)done_bytes / VBLK_SECTOR_SIZE;
		next += done_bytes;
		left_bytes -= (uint64_t)done_bytes;
	}
	return 0;
}

/* The same checks as vblk_submit's, in the same order: the disk and the
 * operation (blk_check_op), then the buffer, then the sector range. */
int vblk_read(struct vblk_disk *disk, uint64_t sector, void *buf, uint32_t nsectors)
{
	int err = blk_check_op(disk, VBLK_OP_READ);
	if (!err)
		err = check_buffer(buf);
	if (!err)
		err = blk_check_range(disk, sector, nsectors);
	if (err)
		return err;
	return transfer(disk, VBLK_OP_READ, sector, buf, nsectors);
}

int vblk_write(struct vblk_disk *disk, uint64_t sector, const void *buf, uint32_t nsectors)
{
	int err = blk_check_op(disk, VBLK_OP_WRITE);
	if (!err)
		err = check_buffer(buf);
	if (!err)
		err = blk_check_range(disk, sector, nsectors);
	if (err)
		return err;
	/* The device only reads it; the bio's segment type is not const. */
	return transfer(disk, VBLK_OP_WRITE, sector, (void *)(uintptr_t)buf, nsectors);
}

/*
 * DISCARD or WRITE_ZEROES of a checked range: bios of at most one request
 * each (vblk_max_range_sectors), SYNC_BATCH at a time, plugged when there
 * is more than one, so each goes out whole with one notification.
 */
static int range_batch(struct vblk_disk *disk, enum vblk_op op, uint64_t sector,
		       uint64_t nsectors, unsigned flags, uint64_t *done_sectors)
{
	uint64_t per_bio = blk_range_max_sectors(blk_range_limits(disk, op));
	struct vblk_bio bios[SYNC_BATCH];
	struct vblk_bio *waits[SYNC_BATCH];
	unsigned n = 0;
	int err = 0;

	*done_sectors = 0;
	if (nsectors > per_bio)
		vblk_plug(disk);
	while (n < SYNC_BATCH && *done_sectors < nsectors) {
		uint64_t chunk = nsectors - *done_sectors;
		if (chunk > per_bio)
			chunk = per_bio;
		bios[n] = (struct vblk_bio){
			.op = op, .sector = sector + *done_sectors, .nsectors = chunk, .flags = flags,
		};
		err = blk_submit_checked(disk, &bios[n]);
		if (err)
			break;
		waits[n] = &bios[n];
		*done_sectors += chunk;
		n++;
	}
	/* Always wait for what was queued: the bios live in this frame. */
	int wait_err = n > 0 ? vblk_wait_bios(disk, waits, n) : 0;
	return err ? err : wait_err;
}

static int range_op(struct vblk_disk *disk, enum vblk_op op, uint64_t sector,
		    uint64_t nsectors, unsigned flags)
{
	int err = blk_check_op(disk, op);
	if (!err)
		err = blk_check_range_op(disk, op, sector, nsectors, flags);
	while (!err && nsectors > 0) {
		uint64_t done_sectors;
		err = range_batch(disk, op, sector, nsectors, flags, &done_sectors);
		sector += done_sectors;
		nsectors -= done_sectors;
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

/* One bio without data, or with the disk's own GET_ID buffer, and wait. */
static int single(struct vblk_disk *disk, enum vblk_op op, struct vblk_seg *seg)
{
	struct vblk_bio bio = { .op = op, .segs = seg, .nsegs = seg ? 1 : 0 };
	struct vblk_bio *wait = &bio;

	int err = blk_submit_checked(disk, &bio);
	return err ? err : vblk_wait_bios(disk, &wait, 1);
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
	return single(disk, VBLK_OP_FLUSH, NULL);
}

/* The device's ID string: exactly 20 bytes of data, not NUL-terminated when
 * all 20 are used (§5.2.6.1). */
int vblk_get_id(struct vblk_disk *disk, char id[21])
{
	struct vblk_seg seg = { NULL, VIRTIO_BLK_ID_BYTES };

	int err = blk_check_disk(disk);
	if (!err && id == NULL)
		err = -VBLK_EINVAL;
	if (!err) {
		seg.addr = disk->dev.id_buf;
		err = single(disk, VBLK_OP_GET_ID, &seg);
	}
	if (err)
		return err;
	memcpy(id, disk->dev.id_buf, VIRTIO_BLK_ID_BYTES);
	id[VIRTIO_BLK_ID_BYTES] = '\0';
	return 0;
}
