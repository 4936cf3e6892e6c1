/* SPDX-License-Identifier: MIT */
/*
 * The device layer: one request = one descriptor chain. struct blk_dev
 * holds everything the ring and the device touch; blk/disk.c sets it up
 * and resets it, blk/device.c turns requests into chains and back
 * (blk/range.c the chains of DISCARD and WRITE_ZEROES), blk/device_ctl.c
 * holds the control side (slots, reset, interrupts). Only
 * the queue (blk/queue.h) and the disk (blk/disk.h) above call it.
 */
#ifndef VBLK_BLK_DEVICE_H
#define VBLK_BLK_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blk/list.h"
#include "blk/sg.h"
#include "blk/virtio_blk.h"
#include "plat/platform.h"
#include "vblk/bio.h"
#include "vblk/vblk.h"
#include "virtio/virtio.h"
#include "vring/describe.h"
#include "vring/ring.h"

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
 * (blk/queue.c counts them into `sg` and blk/merge.c keeps it in step, so
 * a request never grows past what the device takes; blk_dev_start maps
 * them).
 *
 * A DISCARD or WRITE_ZEROES request has no data memory: its bios cover
 * the one run of sectors [sector, sector + range_sectors), and its one
 * data descriptor is `ranges`, that run cut into segments of at most the
 * device's max_*_sectors (blk/device.c fills it at dispatch).
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
	uint32_t data_bytes;
	uint32_t writable_bytes;  /* what the device writes, data and status:
				     used.len must cover it (blk_dev_start) */
	struct blk_sg_state sg;   /* its data descriptors, while pending */
	struct blk_bio_list bios; /* merged bios, sector order */
	struct blk_req *next;     /* pending list or free list */
	uint16_t nbios;
	uint64_t range_sectors;   /* DISCARD/WRITE_ZEROES: sectors covered */
	uint32_t range_flags;     /* WRITE_ZEROES: VIRTIO_BLK_WZ_F_UNMAP or 0 */
	/* The indirect table its chain went into (one of struct blk_dev's
	 * `tables`, taken at dispatch), or NULL: a direct chain. */
	union vring_indirect_desc *table;
	/* Device reads, while a DISCARD or WRITE_ZEROES is in flight. */
	struct virtio_blk_range_seg ranges[BLK_RANGE_SEGS_MAX] VBLK_ALIGNED;
} VBLK_ALIGNED;

/* An indirect table: the device reads it while its chain is in flight. */
struct blk_indirect_table {
	union vring_indirect_desc desc[VBLK_INDIRECT_MAX];
} VBLK_ALIGNED;

/* A FIFO of requests, linked through their `next`. */
BLK_FIFO(blk_req_list, struct blk_req, next)

_Static_assert(offsetof(struct blk_req, status) < VBLK_DMA_ALIGN &&
		       offsetof(struct blk_req, type) == VBLK_DMA_ALIGN,
	       "header and status share the first cache line, nothing else does");

/* Request slots per disk: VBLK_MAX_REQS, and never more than half the
 * ring, since a direct chain needs at least two ring descriptors (a FLUSH:
 * header and status). Each costs 256 bytes (docs/design.md, "Memory"). */
#define BLK_MAX_REQS (VBLK_MAX_REQS < VBLK_QUEUE_SIZE / 2 ? VBLK_MAX_REQS : VBLK_QUEUE_SIZE / 2)

/* Indirect tables per disk, shared by its request slots: a request takes
 * one when its chain goes indirect and gives it back with the slot. */
#define BLK_INDIRECT_TABLES \
	(VBLK_INDIRECT_TABLES < BLK_MAX_REQS ? VBLK_INDIRECT_TABLES : BLK_MAX_REQS)

/*
 * The device layer's state: everything the ring and the device touch, and
 * what the device told us. blk/disk.c sets it up and resets it,
 * blk/device.c turns requests into chains and back; the queue above
 * asks for those through functions and reads only `ready` and the
 * limits.
 */
/* How a DISCARD or WRITE_ZEROES request must be cut (blk/disk.c): max_segs
 * 0 when the feature was not negotiated. */
struct blk_range_limits {
	uint32_t seg_sectors;     /* per segment: max_*_sectors in whole
				     alignment units */
	uint32_t max_segs;        /* max_*_seg, at most BLK_RANGE_SEGS_MAX */
	uint32_t align_sectors;   /* start and length are multiples of it */
};

struct blk_dev {
	struct vring ring;         /* split, or packed (VIRTIO_F_RING_PACKED);
				      its memory is struct vblk_disk's */
	struct blk_req reqs[BLK_MAX_REQS];
	struct blk_req *free_reqs;       /* unused requests */
	struct blk_indirect_table tables[BLK_INDIRECT_TABLES];
	union vring_indirect_desc *free_tables[BLK_INDIRECT_TABLES]; /* unused */
	unsigned nfree_tables;

	uint8_t id_buf[VIRTIO_BLK_ID_BYTES] VBLK_ALIGNED; /* GET_ID answer */

	struct virtio_dev vdev;    /* the transport */
	struct vblk_info info;
	uint32_t max_req_bytes;   /* bytes of data one request may carry */
	uint32_t max_data_segs;   /* data descriptors one request may use */
	uint32_t seg_bytes_max;   /* bytes per data descriptor */
	struct blk_range_limits discard, write_zeroes;
	bool ready;               /* DRIVER_OK reached and not broken */
	const char *broken_reason;
	int broken_err;           /* what the bios in flight were told then */
	bool held;                /* a reset did not complete: the device may
				     still use the ring, the requests and the
				     buffers of what was in flight, so none of
				     it is touched or reused until a reset
				     completes (VBLK_EHELD) */
	uint64_t status_checked_us;      /* last look for DEVICE_NEEDS_RESET */
	uint64_t renotified_us;          /* last notification sent again */
	uint64_t progress_us;            /* last completion, or first start
					    into an idle ring (timeouts) */
	struct blk_dev_counts {          /* its part of vblk_stats */
		uint64_t requests, descriptors, notifications, completions;
		uint64_t coalesced_segs, bad_interrupts, renotifications;
	} counts;
	struct vring_buf chain_bufs[VBLK_QUEUE_SIZE]; /* dispatch scratch */
};

/* blk/device.c: the data path, one request from its slot to its chain in
 * the ring and back to its bios. */
struct blk_req *blk_dev_new_req(struct blk_dev *dev, struct vblk_bio *bio);
int blk_dev_start(struct blk_dev *dev, struct blk_req *req, unsigned queued_behind);
void blk_dev_kick(struct blk_dev *dev);
int blk_dev_harvest(struct blk_dev *dev, struct vblk_bio **bios, int *result);
void blk_dev_free_req(struct blk_dev *dev, struct blk_req *req);
void blk_dev_end_bio(struct vblk_bio *bio, int status);
unsigned blk_dev_in_flight(const struct blk_dev *dev);

/* blk/range.c: the chain of a DISCARD or WRITE_ZEROES request. */
unsigned blk_range_map_chain(const struct blk_dev *dev, struct blk_req *req,
			     struct vring_buf *bufs);

/* blk/device_ctl.c: the control side, set-up, reset, interrupts. */
void blk_dev_init_reqs(struct blk_dev *dev);
void blk_dev_renotify(struct blk_dev *dev);
struct vblk_bio *blk_dev_detach(struct blk_dev *dev);
void blk_dev_irq_off(struct blk_dev *dev);
bool blk_dev_irq_on(struct blk_dev *dev);
bool blk_dev_needs_reset(struct blk_dev *dev);
bool blk_dev_used_bit_up(struct blk_dev *dev);
void blk_dev_ack_used_bit(struct blk_dev *dev);
int blk_dev_take_interrupt(struct blk_dev *dev, uint32_t *bits);

/* The limits of a DISCARD or WRITE_ZEROES request of `type`. */
static inline const struct blk_range_limits *blk_dev_range_limits(const struct blk_dev *dev,
								  uint32_t type)
{
	return type == VIRTIO_BLK_T_DISCARD ? &dev->discard : &dev->write_zeroes;
}

/* The most sectors one such request covers. */
static inline uint64_t blk_range_max_sectors(const struct blk_range_limits *limits)
{
	return (uint64_t)limits->seg_sectors * limits->max_segs;
}

/* The request type of each operation (§5.2.6), indexed by enum vblk_op
 * (blk/device.c). Every bio that reaches a request has passed the API's
 * check of its op (blk/check.h). */
extern const uint32_t blk_op_types[];

#endif
