/* SPDX-License-Identifier: MIT */
/*
 * A request's scatter-gather list: the rule that turns memory segments
 * into data descriptors, shared by merging (blk/merge.c: how many would a
 * request need?) and dispatch (blk/device.c: what are they?), so the two
 * always agree. The functions are in blk/device.c, where dispatch runs
 * them on every request.
 */
#ifndef VBLK_BLK_SG_H
#define VBLK_BLK_SG_H

#include <stdbool.h>
#include <stdint.h>

#include "vblk/bio.h"
#include "vring/virtqueue.h"

/* How far a request's data descriptors have got: blk_req keeps one while
 * bios merge into it (blk/merge.c), dispatch builds another (blk/device.c). */
struct blk_sg_state {
	uint32_t ndescs;          /* data descriptors so far */
	uint64_t end_phys;        /* where the last one ends */
	uint32_t last_bytes;      /* length of the last one */
};

/* Count the descriptors `bio`'s segments add to `sg` (blk/device.c, by
 * the rule its dispatch maps them with: sg_append). */
void blk_sg_add_bio(struct blk_sg_state *sg, const struct vblk_bio *bio, uint32_t seg_bytes_max);

#endif
