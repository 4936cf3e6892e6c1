/*
 * One virtio-blk request, from descriptors to status byte (virtio 1.2
 * §5.2.6):
 *
 *   desc 0   header {type, reserved, sector}   16 bytes, device reads
 *   desc 1.. data, split at the device's size_max   device reads (OUT) or
 *                                                   writes (IN, GET_ID)
 *   desc n   status                             1 byte, device writes
 *
 * Header, data and status always sit in descriptors of their own: a legacy
 * device without ANY_LAYOUT requires exactly this framing (§5.2.6.4), and
 * every other device accepts it.
 */
#include "blk/virtio_blk.h"

#include <string.h>

/* Marks a status byte the device has not written. */
#define STATUS_UNWRITTEN 0xffu

struct blk_req *blk_req_alloc(struct vblk_disk *disk)
{
	for (unsigned i = 0; i < BLK_MAX_REQS; i++) {
		struct blk_req *req = &disk->reqs[i];
		if (!req->in_use) {
			req->in_use = true;
			req->done = false;
			req->result = 0;
			return req;
		}
	}
	return NULL;
}

void blk_req_free(struct vblk_disk *disk, struct blk_req *req)
{
	(void)disk;
	req->in_use = false;
}

/* Describe header, data segments and status as ring buffers. Returns the
 * number of buffers, or -VBLK_ETOOBIG if the data needs more segments than
 * the device accepts (seg_max, §5.2.3). */
static int build_chain(const struct vblk_disk *disk, struct blk_req *req, uintptr_t data,
		       uint32_t data_bytes, struct vring_buf *bufs)
{
	bool writes = blk_type_device_writes(req->hdr.type);
	unsigned nbufs = 0;

	bufs[nbufs++] = (struct vring_buf){ plat_virt_to_phys(&req->hdr), sizeof(req->hdr), false };
	for (uint32_t done_bytes = 0; done_bytes < data_bytes;) {
		uint32_t seg_bytes = data_bytes - done_bytes;
		if (seg_bytes > disk->seg_bytes_max)
			seg_bytes = disk->seg_bytes_max;
		if (nbufs - 1 == disk->max_data_segs)
			return -VBLK_ETOOBIG;
		bufs[nbufs++] = (struct vring_buf){
			plat_virt_to_phys((const void *)(data + done_bytes)), seg_bytes, writes
		};
		done_bytes += seg_bytes;
	}
	bufs[nbufs++] = (struct vring_buf){ plat_virt_to_phys(&req->status), 1, true };
	return (int)nbufs;
}

/*
 * Fill in `req` and put its chain in the ring (not yet published: see
 * blk_kick). Returns 0, -VBLK_EAGAIN if the ring is full, or another error
 * with nothing changed.
 */
int blk_req_submit(struct vblk_disk *disk, struct blk_req *req, uint32_t type, uint64_t sector,
		   uintptr_t data, uint32_t data_bytes)
{
	struct vring_buf bufs[BLK_MAX_DATA_SEGS + 2];

	req->hdr = (struct virtio_blk_req_hdr){ .type = type, .reserved = 0, .sector = sector };
	req->status = STATUS_UNWRITTEN;
	req->data_bytes = data_bytes;
	req->done = false;

	int nbufs = build_chain(disk, req, data, data_bytes, bufs);
	if (nbufs < 0)
		return nbufs;
	/* Caches: the header and outgoing data must reach memory; lines over
	 * incoming data must not be written back over what the device puts
	 * there. Both are no-ops on a coherent platform. */
	plat_dma_clean(req, sizeof(*req));
	if (data_bytes)
		plat_dma_clean((const void *)data, data_bytes);
	return vq_add(&disk->vq, bufs, (unsigned)nbufs, req);
}

/* Publish what was added and notify the device if it asked for it. */
void blk_kick(struct vblk_disk *disk)
{
	if (vq_publish(&disk->vq))
		vmmio_notify(&disk->dev, 0);
}

/*
 * Turn a completed request's status byte into a result (§5.2.6: 0 OK,
 * 1 IOERR, 2 UNSUPP). Any other value means the device broke the protocol.
 */
static int status_result(const struct vblk_disk *disk, const struct blk_req *req, uint32_t used_len)
{
	uint8_t status = *(const volatile uint8_t *)&req->status;

	switch (status) {
	case VIRTIO_BLK_S_OK:
		/* A modern device reports how much it wrote; a read that
		 * delivered less than asked for is not a success (§2.7.8.3).
		 * Legacy devices may not set len: ignore it (§5.2.6.3). */
		if (blk_type_device_writes(req->hdr.type) && disk->dev.version != VIRTIO_MMIO_VERSION_LEGACY &&
		    used_len < req->data_bytes + 1)
			return -VBLK_EIO;
		return 0;
	case VIRTIO_BLK_S_IOERR:
		return -VBLK_EIO;
	case VIRTIO_BLK_S_UNSUPP:
		return -VBLK_EUNSUPP;
	default:
		return -VBLK_EBROKEN;
	}
}

/*
 * Harvest every completed request and record its result. Returns how many
 * completed, or -VBLK_EBROKEN if the device misbehaved (the disk is then
 * reset and every request in flight completed with that error).
 */
int blk_poll(struct vblk_disk *disk)
{
	int completed = 0;
	void *token;
	uint32_t used_len;
	int got;

	while ((got = vq_harvest(&disk->vq, &token, &used_len)) == 1) {
		struct blk_req *req = token;
		plat_dma_invalidate(req, sizeof(*req));
		req->result = status_result(disk, req, used_len);
		req->done = true;
		completed++;
		if (req->result == -VBLK_EBROKEN) {
			blk_disk_break(disk, -VBLK_EBROKEN, "unknown status byte");
			return -VBLK_EBROKEN;
		}
	}
	if (got < 0) {
		blk_disk_break(disk, -VBLK_EBROKEN, disk->vq.broken_reason);
		return -VBLK_EBROKEN;
	}
	return completed;
}

/*
 * Poll until `req` completes or the disk's timeout passes. A request that
 * times out may still be in the device's hands, so the disk is reset before
 * we return: the caller's buffer must not be written after we say "failed".
 */
int blk_wait(struct vblk_disk *disk, struct blk_req *req)
{
	uint64_t deadline_us = plat_time_us() + disk->timeout_us;

	while (!req->done) {
		blk_poll(disk);
		if (req->done)
			break;
		if (plat_time_us() > deadline_us) {
			blk_disk_break(disk, -VBLK_ETIMEDOUT, "request timed out");
			break;
		}
		plat_cpu_relax();
	}
	return req->result;
}
