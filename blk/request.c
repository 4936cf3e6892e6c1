/*
 * One request on the ring: from a formed request (blk/merge.c) to a
 * descriptor chain, and from the device's status byte back to a result
 * (virtio 1.2 §5.2.6):
 *
 *   desc 0   header {type, reserved, sector}   16 bytes, device reads
 *   desc 1.. data, one per coalesced segment   device reads (OUT) or
 *                                              writes (IN, GET_ID)
 *   desc n   status                            1 byte, device writes
 *
 * The same chain goes either into the ring, or into the request's own
 * indirect table with one ring descriptor pointing at it (virtio 1.2
 * §2.7.5.3); use_indirect() decides which.
 */
#include "blk/virtio_blk.h"

#include <stddef.h>

/* Marks a status byte the device has not written. */
#define STATUS_UNWRITTEN 0xffu

/* Clean the caches over what the device will read, and over memory it will
 * write (so no dirty line is written back over the device's data later).
 * Both are no-ops on a coherent platform such as QEMU virt. The indirect
 * table is left to the ring code, which cleans it once it has filled it. */
static void clean_for_device(const struct blk_req *req)
{
	plat_dma_clean(req, offsetof(struct blk_req, table));
	for (const struct vblk_bio *bio = req->bio_head; bio != NULL; bio = bio->next) {
		for (unsigned i = 0; i < bio->nsegs; i++)
			plat_dma_clean(bio->segs[i].addr, bio->segs[i].len_bytes);
	}
}

/*
 * Does this chain of `ndescs` descriptors go through the request's indirect
 * table (one ring descriptor) rather than straight into the ring? Only if
 * the feature was negotiated and the chain fits the table, and then only
 * when ring space is short: when the ring cannot take the direct chain and
 * still keep one descriptor for each request queued behind it. Otherwise
 * the direct chain is cheaper: mapping a table costs QEMU 400-480 more
 * instructions per request, while a request that finds no room waits for a
 * whole completion round trip (docs/design.md, "Indirect or direct").
 */
static bool use_indirect(const struct vblk_disk *disk, unsigned ndescs)
{
	const struct virtqueue *vq = &disk->vq;
	/* blk_queue_run starts the head of the pending list; the rest of
	 * the list waits behind it. */
	unsigned queued_behind = disk->npending > 0 ? disk->npending - 1 : 0;

	if (ndescs > vq_indirect_max(vq, VBLK_INDIRECT_MAX))
		return false;
	return ndescs + queued_behind > vq_num_free(vq);
}

/*
 * Put `req`'s chain in the ring (not yet published: see blk_kick), directly
 * or through its indirect table. Returns the number of ring descriptors
 * used, -VBLK_EAGAIN if the ring has no room for them now, or -VBLK_EBROKEN
 * if the queue is broken.
 */
int blk_req_start(struct vblk_disk *disk, struct blk_req *req)
{
	unsigned ndescs = req->sg.ndescs + 2u;
	bool indirect = use_indirect(disk, ndescs);
	unsigned ring_descs = indirect ? 1u : ndescs;

	if (vq_num_free(&disk->vq) < ring_descs)
		return vq_is_broken(&disk->vq) ? -VBLK_EBROKEN : -VBLK_EAGAIN;

	/* T_FLUSH and T_GET_ID carry sector 0 (§5.2.6.1). */
	bool has_sector = req->type == VIRTIO_BLK_T_IN || req->type == VIRTIO_BLK_T_OUT;
	req->hdr = (struct virtio_blk_req_hdr){
		.type = req->type, .reserved = 0, .sector = has_sector ? req->sector : 0,
	};
	req->status = STATUS_UNWRITTEN;
	clean_for_device(req);

	unsigned nbufs = blk_req_map(disk, req, disk->chain_bufs);
	int err = indirect ? vq_add_indirect(&disk->vq, disk->chain_bufs, nbufs, req->table,
					     VBLK_INDIRECT_MAX, req)
			   : vq_add(&disk->vq, disk->chain_bufs, nbufs, req);
	return err ? err : (int)ring_descs;
}

/* Publish what was added and notify the device if it asked for it
 * (VRING_USED_F_NO_NOTIFY or avail_event, §2.7.10, in vq_publish). */
void blk_kick(struct vblk_disk *disk)
{
	if (vq_publish(&disk->vq)) {
		virtio_notify(&disk->vdev, 0);
		disk->stats.notifications++;
	}
}

/*
 * Turn a completed request's status byte into a result (§5.2.6: 0 OK,
 * 1 IOERR, 2 UNSUPP). Any other value means the device broke the protocol.
 */
int blk_req_result(const struct vblk_disk *disk, const struct blk_req *req, uint32_t used_len)
{
	/* §2.7.8.3: nothing past the first used_len device-writable bytes
	 * may be trusted, and the status byte is the last of them: unless
	 * len covers the data the device writes and the status, the request
	 * has no result we can believe (a short read, or a status never
	 * written). Legacy devices may not set len: ignore it (§5.2.6.3). */
	uint32_t writable_bytes = (blk_type_device_writes(req->type) ? req->data_bytes : 0) + 1;
	if (!disk->vdev.legacy && used_len < writable_bytes)
		return -VBLK_EIO;

	plat_dma_invalidate(&req->status, 1);
	uint8_t status = *(const volatile uint8_t *)&req->status;

	switch (status) {
	case VIRTIO_BLK_S_OK:
		return 0;
	case VIRTIO_BLK_S_IOERR:
		return -VBLK_EIO;
	case VIRTIO_BLK_S_UNSUPP:
		return -VBLK_EUNSUPP;
	default:
		return -VBLK_EBROKEN;
	}
}
