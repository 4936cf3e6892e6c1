/* SPDX-License-Identifier: MIT */
/*
 * Merging bios into requests, and a request's scatter-gather list.
 *
 * A bio joins a queued request when it continues it (back merge: the bio
 * starts at the sector where the request ends) or leads into it (front
 * merge: the bio ends where the request starts), for the same operation,
 * and the result still fits one request of this device: at most
 * max_req_bytes of data in at most max_data_segs descriptors (seg_max) of
 * at most seg_bytes_max bytes each (size_max), virtio 1.2 §5.2.3/§5.2.4.
 *
 * The data descriptors of a request are its bios' segments in sector
 * order, where a segment that starts at the physical address where the
 * previous one ended is coalesced with it, and anything longer than
 * size_max is cut (as Linux's blk_rq_map_sg does). One greedy rule,
 * sg_append() in blk/device.c (its state is blk/sg.h's), decides both
 * how many descriptors a request needs (here, while merging) and what
 * they are (blk/device.c, at dispatch), so the two always agree.
 */
#include "blk/queue.h"
#include "blk/sg.h"

/* Can `req` carry `bio` as well, given what its descriptors would be? */
static bool fits(const struct blk_queue *q, const struct blk_req *req,
		 const struct vblk_bio *bio, const struct blk_sg_state *merged)
{
	return req->data_bytes + (uint64_t)bio->bytes <= q->dev->max_req_bytes &&
	       merged->ndescs <= q->dev->max_data_segs && req->nbios < UINT16_MAX;
}

/* The bio's segments continue the request's list: counted from where it
 * ends, or from its first bio if nothing was counted yet (a request
 * counts its descriptors only once something tries to merge into it:
 * most requests of random I/O never see a merge). */
static bool try_back_merge(struct blk_queue *q, struct blk_req *req, struct vblk_bio *bio)
{
	struct blk_sg_state merged = req->sg;

	if (bio->sector != req->sector + req->nsectors)
		return false;
	if (merged.ndescs == 0)
		blk_sg_add_bio(&merged, req->bios.head, q->dev->seg_bytes_max);
	blk_sg_add_bio(&merged, bio, q->dev->seg_bytes_max);
	if (!fits(q, req, bio, &merged))
		return false;
	req->sg = merged;
	req->data_bytes += bio->bytes;
	req->nsectors += bio->bytes / VBLK_SECTOR_SIZE;
	blk_bio_list_push(&req->bios, bio);
	req->nbios++;
	q->stats.back_merges++;
	BLK_TRACE_MERGED(bio, req, "behind the request at");
	return true;
}

/* The bio's segments come first now, so the list is recounted from it. */
static bool try_front_merge(struct blk_queue *q, struct blk_req *req, struct vblk_bio *bio)
{
	struct blk_sg_state merged = { 0 };

	if (bio->sector + bio->bytes / VBLK_SECTOR_SIZE != req->sector)
		return false;
	blk_sg_add_bio(&merged, bio, q->dev->seg_bytes_max);
	for (const struct vblk_bio *old = req->bios.head; old != NULL; old = old->next)
		blk_sg_add_bio(&merged, old, q->dev->seg_bytes_max);
	if (!fits(q, req, bio, &merged))
		return false;
	req->sg = merged;
	req->data_bytes += bio->bytes;
	req->nsectors += bio->bytes / VBLK_SECTOR_SIZE;
	req->sector = bio->sector;
	blk_bio_list_push_front(&req->bios, bio);
	req->nbios++;
	q->stats.front_merges++;
	BLK_TRACE_MERGED(bio, req, "in front of the request, now at");
	return true;
}

/*
 * DISCARD and WRITE_ZEROES: a bio that continues or leads into the
 * request's run of sectors widens it, with the same flags (a request's
 * segments share them), as long as the run still fits one request:
 * max_*_seg segments of max_*_sectors (virtio 1.2 §5.2.4, §5.2.6.1).
 * Each bio's range is whole alignment units, so the run is too.
 */
static bool try_range_merge(struct blk_queue *q, struct blk_req *req, struct vblk_bio *bio)
{
	uint32_t flags = bio->flags & VBLK_WZ_UNMAP ? VIRTIO_BLK_WZ_F_UNMAP : 0;
	uint64_t limit = blk_range_max_sectors(blk_dev_range_limits(q->dev, req->type));
	bool back = bio->sector == req->sector + req->nsectors;
	bool front = bio->sector + bio->nsectors == req->sector;

	if (flags != req->range_flags || (!back && !front) || req->nbios == UINT16_MAX ||
	    bio->nsectors > limit - req->nsectors)
		return false;
	req->nsectors += bio->nsectors;
	req->nbios++;
	if (back) {
		blk_bio_list_push(&req->bios, bio);
		q->stats.back_merges++;
	} else {
		req->sector = bio->sector;
		blk_bio_list_push_front(&req->bios, bio);
		q->stats.front_merges++;
	}
	BLK_TRACE_MERGED(bio, req, "into the range at");
	return true;
}

/* Merge `bio` into `req` if the rules above allow; true if it did. Only
 * the same operation merges: never a read with a write, a discard with a
 * write-zeroes, or anything with a FLUSH or GET_ID. */
bool blk_try_merge(struct blk_queue *q, struct blk_req *req, struct vblk_bio *bio)
{
	uint32_t type = blk_op_types[bio->op];

	if (type != req->type)
		return false;
	if (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT)
		return try_back_merge(q, req, bio) || try_front_merge(q, req, bio);
	return blk_type_is_range(type) && try_range_merge(q, req, bio);
}
