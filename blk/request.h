/* SPDX-License-Identifier: MIT */
/*
 * One request of the device layer (blk/device.h): what a descriptor chain
 * is made of, apart so that the code building one kind of chain
 * (blk/range.c) needs this and not the device layer's state.
 */
#ifndef VBLK_BLK_REQUEST_H
#define VBLK_BLK_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "blk/list.h"
#include "blk/sg.h"
#include "blk/virtio_blk.h"
#include "vblk/bio.h"
#include "vblk/vblk.h"
#include "vring/indirect.h"

/*
 * A request: one or more bios for adjacent sectors, sent as one descriptor
 * chain. The parts the device reads or writes (header, status, and the
 * indirect table when the chain goes through one) live here, in static
 * memory, so they outlive the submitter's stack frame. Header and status
 * share the first cache line, which the CPU leaves alone while the device
 * owns the request; the driver-private fields start on the next line,
 * because the CPU writes some of them (list links) meanwhile, and where
 * DMA is not coherent a dirty line holding the status would be written
 * back over the byte the device wrote.
 *
 * The data descriptors are the bios' segments in order, with physically
 * contiguous neighbours coalesced and anything longer than size_max cut
 * (blk/merge.c counts them into `sg` when a bio first tries to join the
 * request and keeps it in step, so a request never grows past what the
 * device takes; blk_dev_start maps them).
 *
 * Every request covers the sectors [sector, sector + nsectors): its data
 * (data_bytes / 512 of them), or a DISCARD's or WRITE_ZEROES's run; a
 * FLUSH or GET_ID covers none. Merging compares these and nothing else.
 *
 * A DISCARD or WRITE_ZEROES request has no data memory: its bios cover
 * the one run of sectors [sector, sector + nsectors), and its one
 * data descriptor is `ranges`, that run cut into segments of at most the
 * device's max_*_sectors (blk/range.c fills it at dispatch).
 */

/* Segments one DISCARD or WRITE_ZEROES request carries at most, whatever
 * the device allows (max_*_seg): 16 bytes each in every request slot, so
 * four fill one cache line (a request of 4 x UINT32_MAX sectors is 8 TiB;
 * QEMU 7.2 allows one segment anyway). */
#define BLK_RANGE_SEGS_MAX 4u

/* A FIFO of bios, linked through their `next` (blk/list.h). */
BLK_FIFO(blk_bio_list, struct vblk_bio, next)

struct blk_req {
	struct virtio_blk_req_hdr hdr;                /* device reads */
	uint8_t status;                               /* device writes */
	/* Driver-private, from the next cache line on. */
	uint32_t type VBLK_ALIGNED; /* VIRTIO_BLK_T_* */
	uint64_t sector;
	uint64_t nsectors;        /* covered from `sector` on (above) */
	uint32_t data_bytes;
	uint32_t writable_bytes;  /* what the device writes, data and status:
				     used.len must cover it (blk_dev_start) */
	struct blk_sg_state sg;   /* its data descriptors, while pending;
				     0 of them: not counted yet, the first
				     bio's alone (blk/merge.c) */
	struct blk_bio_list bios; /* merged bios, sector order */
	struct blk_req *next;     /* pending list or free list */
	struct blk_req *prev;     /* pending list: the request queued just
				     before (merging looks backwards) */
	uint16_t nbios;
	uint32_t range_flags;     /* WRITE_ZEROES: VIRTIO_BLK_WZ_F_UNMAP or 0 */
	/* While its chain is in the ring (the timeouts, blk/wait.c): the
	 * device's completions so far and the requests it held when this
	 * one was sent; once a look finds the device passed it over, when. */
	bool in_ring;
	bool passed_over;
	uint16_t ahead;
	uint32_t sent_at;
	uint64_t passed_over_us;
	/* The indirect table its chain went into (one of struct blk_dev's
	 * `tables`, taken at dispatch), or NULL: a direct chain. */
	union vring_indirect_desc *table;
	/* Device reads, while a DISCARD or WRITE_ZEROES is in flight. */
	struct virtio_blk_range_seg ranges[BLK_RANGE_SEGS_MAX] VBLK_ALIGNED;
} VBLK_ALIGNED;

/* A FIFO of requests, linked through their `next`. */
BLK_FIFO(blk_req_list, struct blk_req, next)

_Static_assert(offsetof(struct blk_req, status) < VBLK_DMA_ALIGN &&
		       offsetof(struct blk_req, type) == VBLK_DMA_ALIGN,
	       "header and status share the first cache line, nothing else does");

#endif
