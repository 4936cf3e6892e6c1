/* SPDX-License-Identifier: MIT */
/*
 * A request's scatter-gather list: the rule that turns memory segments
 * into data descriptors, shared by merging (blk/merge.c: how many would a
 * request need?) and dispatch (blk/device.c: what are they?), so the two
 * always agree. Inline: both run it per segment on the hot path.
 */
#ifndef VBLK_BLK_SG_H
#define VBLK_BLK_SG_H

#include <stdbool.h>
#include <stdint.h>

#include "vblk/bio.h"
#include "vblk/platform.h"
#include "vring/virtqueue.h"

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* How far a request's data descriptors have got: blk_req keeps one while
 * bios merge into it (blk/merge.c), dispatch builds another (blk/device.c). */
struct blk_sg_state {
	uint32_t ndescs;          /* data descriptors so far */
	uint64_t end_phys;        /* where the last one ends */
	uint32_t last_bytes;      /* length of the last one */
};

/*
 * Add `len_bytes` at `phys` to the list: first fill up the last descriptor
 * if the memory continues it, then cut the rest at seg_bytes_max. With
 * `out`, also write the descriptors (out[i] is data descriptor i).
 * Returns true if the memory was coalesced into the previous descriptor.
 */
static inline bool sg_append(struct blk_sg_state *sg, struct vring_buf *out, uint64_t phys,
		      uint32_t len_bytes, uint32_t seg_bytes_max, bool device_writes)
{
	bool coalesced = false;

	if (sg->ndescs > 0 && phys == sg->end_phys && sg->last_bytes < seg_bytes_max) {
		uint32_t room = seg_bytes_max - sg->last_bytes;
		uint32_t take = len_bytes < room ? len_bytes : room;
		sg->last_bytes += take;
		sg->end_phys += take;
		if (out)
			out[sg->ndescs - 1].len_bytes = sg->last_bytes;
		phys += take;
		len_bytes -= take;
		coalesced = true;
	}
	while (len_bytes > 0) {
		uint32_t take = len_bytes < seg_bytes_max ? len_bytes : seg_bytes_max;
		if (out)
			out[sg->ndescs] = (struct vring_buf){ phys, take, device_writes };
		sg->ndescs++;
		sg->last_bytes = take;
		sg->end_phys = phys + take;
		phys += take;
		len_bytes -= take;
	}
	return coalesced;
}

/* Count the descriptors `bio`'s segments add to `sg` (nothing written):
 * a request's as it forms (blk/device.c, blk/merge.c), a bio's alone
 * (blk/submit.c). */
static inline void blk_sg_add_bio(struct blk_sg_state *sg, const struct vblk_bio *bio,
				  uint32_t seg_bytes_max)
{
	for (unsigned i = 0; i < bio->nsegs; i++)
		sg_append(sg, NULL, plat_virt_to_phys(bio->segs[i].addr), bio->segs[i].len_bytes,
			  seg_bytes_max, false);
}

#endif
