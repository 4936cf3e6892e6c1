/*
 * The synchronous (polled) API: check the arguments, cut the transfer into
 * requests the device accepts, submit each one and poll the used ring until
 * it completes. No interrupt is needed, so it works in early boot and in
 * firmware without an interrupt controller.
 */
#include "blk/virtio_blk.h"

#include <string.h>

static int check_disk(const struct vblk_disk *disk)
{
	if (disk == NULL)
		return -VBLK_EINVAL;
	if (!disk->ready)
		return disk->broken_reason ? -VBLK_EBROKEN : -VBLK_ESTATE;
	return 0;
}

static int check_buffer(const void *buf)
{
	if (buf == NULL)
		return -VBLK_EINVAL;
	if ((uintptr_t)buf % VBLK_DMA_ALIGN != 0)
		return -VBLK_EALIGN;
	return 0;
}

/* Never send a request that reaches past the capacity (virtio 1.2
 * §5.2.6.1), and keep to whole logical blocks: a device with 4 KiB blocks
 * fails a request for part of one. */
static int check_range(const struct vblk_disk *disk, uint64_t sector, uint32_t nsectors)
{
	uint64_t capacity = disk->info.capacity_sectors;
	uint32_t sectors_per_block = disk->info.block_size_bytes / VBLK_SECTOR_SIZE;

	if (nsectors == 0)
		return -VBLK_EINVAL;
	if (sector > capacity || nsectors > capacity - sector)
		return -VBLK_ERANGE;
	if (sector % sectors_per_block != 0 || nsectors % sectors_per_block != 0)
		return -VBLK_EALIGN;
	return 0;
}

/* Get a free request slot; when all are taken (by asynchronous users),
 * complete some first. */
static struct blk_req *get_req(struct vblk_disk *disk)
{
	uint64_t deadline_us = plat_time_us() + disk->timeout_us;
	struct blk_req *req;

	while ((req = blk_req_alloc(disk)) == NULL) {
		if (blk_poll(disk) < 0 || plat_time_us() > deadline_us)
			return NULL;
		plat_cpu_relax();
	}
	return req;
}

/* Submit one request and wait for it. */
static int do_request(struct vblk_disk *disk, uint32_t type, uint64_t sector, uintptr_t data,
		      uint32_t data_bytes)
{
	struct blk_req *req = get_req(disk);
	if (req == NULL)
		return disk->ready ? -VBLK_EAGAIN : -VBLK_EBROKEN;

	int err = blk_req_submit(disk, req, type, sector, data, data_bytes);
	while (err == -VBLK_EAGAIN) {
		/* Ring full of asynchronous work: make room, then retry. */
		if (blk_poll(disk) < 0)
			break;
		err = blk_req_submit(disk, req, type, sector, data, data_bytes);
	}
	if (!err) {
		blk_kick(disk);
		err = blk_wait(disk, req);
		if (!err && data_bytes && blk_type_device_writes(type))
			plat_dma_invalidate((const void *)data, data_bytes);
	}
	blk_req_free(disk, req);
	return err;
}

static int transfer(struct vblk_disk *disk, uint32_t type, uint64_t sector, uintptr_t buf,
		    uint32_t nsectors)
{
	uint64_t left_bytes = (uint64_t)nsectors * VBLK_SECTOR_SIZE;

	while (left_bytes > 0) {
		uint32_t chunk_bytes = left_bytes < disk->max_req_bytes ? (uint32_t)left_bytes
								       : disk->max_req_bytes;
		int err = do_request(disk, type, sector, buf, chunk_bytes);
		if (err)
			return err;
		sector += chunk_bytes / VBLK_SECTOR_SIZE;
		buf += chunk_bytes;
		left_bytes -= chunk_bytes;
	}
	return 0;
}

int vblk_read(struct vblk_disk *disk, uint64_t sector, void *buf, uint32_t nsectors)
{
	int err = check_disk(disk);
	if (!err)
		err = check_buffer(buf);
	if (!err)
		err = check_range(disk, sector, nsectors);
	if (err)
		return err;
	return transfer(disk, VIRTIO_BLK_T_IN, sector, (uintptr_t)buf, nsectors);
}

/* A read-only disk is refused here, before anything reaches the device
 * (virtio 1.2 §5.2.6.1: the driver should not write to an RO device). */
int vblk_write(struct vblk_disk *disk, uint64_t sector, const void *buf, uint32_t nsectors)
{
	int err = check_disk(disk);
	if (!err)
		err = check_buffer(buf);
	if (!err)
		err = check_range(disk, sector, nsectors);
	if (!err && disk->info.read_only)
		err = -VBLK_EROFS;
	if (err)
		return err;
	return transfer(disk, VIRTIO_BLK_T_OUT, sector, (uintptr_t)buf, nsectors);
}

/*
 * Make completed writes durable. Without VIRTIO_BLK_F_FLUSH the device
 * has no volatile cache to flush (virtio 1.2 §5.2.5.1: write-through may
 * be assumed), so there is nothing to do. T_FLUSH carries sector 0 and no
 * data (§5.2.6.1).
 */
int vblk_flush(struct vblk_disk *disk)
{
	int err = check_disk(disk);
	if (err)
		return err;
	if (disk->info.read_only)
		return -VBLK_EROFS;
	if (!disk->info.has_flush)
		return 0;
	return do_request(disk, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
}

/* The device's ID string: exactly 20 bytes of data, not NUL-terminated when
 * all 20 are used (§5.2.6.1). */
int vblk_get_id(struct vblk_disk *disk, char id[21])
{
	int err = check_disk(disk);
	if (!err && id == NULL)
		err = -VBLK_EINVAL;
	if (!err)
		err = do_request(disk, VIRTIO_BLK_T_GET_ID, 0, (uintptr_t)disk->id_buf,
				 VIRTIO_BLK_ID_BYTES);
	if (err)
		return err;
	memcpy(id, disk->id_buf, VIRTIO_BLK_ID_BYTES);
	id[VIRTIO_BLK_ID_BYTES] = '\0';
	return 0;
}
