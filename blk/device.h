/* SPDX-License-Identifier: MIT */
/*
 * The device layer: one request = one descriptor chain. struct blk_dev
 * holds everything the ring and the device touch; blk/disk.c sets it up
 * and resets it, blk/device.c turns requests (blk/request.h) into chains
 * and back (blk/range.c the chains of DISCARD and WRITE_ZEROES), blk/device_ctl.c
 * holds the control side (slots, reset, interrupts). Called from the
 * layers above it only: the queue (blk/queue.c, blk/merge.c), the disk's set-up
 * (blk/disk.c), the synchronous path (blk/api.c: a bio straight to the
 * device) and the waits and interrupt handler (blk/wait.c,
 * blk/interrupt.c).
 */
#ifndef VBLK_BLK_DEVICE_H
#define VBLK_BLK_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blk/request.h"
#include "plat/platform.h"
#include "vblk/bio.h"
#include "vblk/vblk.h"
#include "virtio/virtio.h"
#include "vring/ring.h"

/* An indirect table: the device reads it while its chain is in flight. */
struct blk_indirect_table {
	union vring_indirect_desc desc[VBLK_INDIRECT_MAX];
} VBLK_ALIGNED;

/* Request slots per disk: VBLK_MAX_REQS, and never more than half the
 * ring, since a direct chain needs at least two ring descriptors (a FLUSH
 * on a packed ring: header and status; a split ring's frame holds three).
 * Each costs 256 bytes (docs/design.md, "Memory"). */
#define BLK_MAX_REQS (VBLK_MAX_REQS < VBLK_QUEUE_SIZE / 2 ? VBLK_MAX_REQS : VBLK_QUEUE_SIZE / 2)
/* Each slot has a frame of the split ring (vring/split_frame.c). */
_Static_assert(BLK_MAX_REQS <= VQ_FRAMES, "a frame for every request slot");

/* Indirect tables per disk, shared by its request slots: a request takes
 * one when its chain goes indirect and gives it back with the slot. */
#define BLK_INDIRECT_TABLES \
	(VBLK_INDIRECT_TABLES < BLK_MAX_REQS ? VBLK_INDIRECT_TABLES : BLK_MAX_REQS)

/* How a DISCARD or WRITE_ZEROES request must be cut (blk/disk.c): max_segs
 * 0 when the feature was not negotiated. */
struct blk_range_limits {
	uint32_t seg_sectors;     /* per segment: max_*_sectors in whole
				     alignment units */
	uint32_t max_segs;        /* max_*_seg, at most BLK_RANGE_SEGS_MAX */
	uint32_t align_sectors;   /* start and length are multiples of it */
};

/*
 * The device layer's state: everything the ring and the device touch, and
 * what the device told us. blk/disk.c sets it up and resets it,
 * blk/device.c turns requests into chains and back. The layers above
 * call its functions; they also read `ready`, the limits, `progress_us`,
 * `counts` and the slots' bios (blk_queue_holds), and the waits keep `renotified_us` and
 * `status_checked_us` (blk/wait.c).
 */
struct blk_dev {
	struct vring ring;         /* split, or packed (VIRTIO_F_RING_PACKED);
				      its memory is struct vblk_disk's */
	struct blk_req reqs[BLK_MAX_REQS];
	struct blk_req *free_reqs;       /* unused requests */
	struct blk_indirect_table tables[BLK_INDIRECT_TABLES];
	union vring_indirect_desc *free_tables[BLK_INDIRECT_TABLES]; /* unused */
	unsigned nfree_tables;

	/* The GET_ID answer, alone on its cache lines: the device writes it
	 * while the CPU writes the fields after it (the transport's), and
	 * where DMA is not coherent a write-back of a shared line would put
	 * stale bytes over the answer. */
	uint8_t id_buf[(VIRTIO_BLK_ID_BYTES + VBLK_DMA_ALIGN - 1) / VBLK_DMA_ALIGN *
		       VBLK_DMA_ALIGN] VBLK_ALIGNED;

	struct virtio_dev vdev;    /* the transport */
	struct vblk_info info;
	uint32_t max_req_bytes;   /* bytes of data one request may carry */
	uint32_t max_data_segs;   /* data descriptors one request may use */
	uint32_t seg_bytes_max;   /* bytes per data descriptor */
	struct blk_range_limits discard, write_zeroes;
	bool ready;               /* DRIVER_OK reached and not broken */
	const char *broken_reason;
	int broken_err;           /* why it stopped, while broken_reason is
				     set: what the bios in flight were told,
				     or -VBLK_EBROKEN for a device that did
				     not reset (its bios: -VBLK_EHELD) or
				     an initialisation that failed */
	bool held;                /* a reset did not complete: the device may
				     still use the ring, the requests and the
				     buffers of what was in flight, so none of
				     it is touched or reused until a reset
				     completes (VBLK_EHELD) */
	uint64_t status_checked_us;      /* last look for DEVICE_NEEDS_RESET */
	uint64_t renotified_us;          /* last notification sent again */
	uint64_t progress_us;            /* last completion, or first start
					    into an idle ring (timeouts) */
	uint32_t completions_ever;       /* requests harvested, never reset */
	struct blk_dev_counts {          /* its part of vblk_stats */
		uint64_t requests, descriptors, notifications, completions;
		uint64_t coalesced_segs, bad_interrupts, renotifications;
	} counts;
	struct vring_buf chain_bufs[VBLK_QUEUE_SIZE]; /* dispatch scratch */
};
_Static_assert(offsetof(struct blk_dev, vdev) % VBLK_DMA_ALIGN == 0 &&
		       offsetof(struct blk_dev, vdev) - offsetof(struct blk_dev, id_buf) >=
			       VIRTIO_BLK_ID_BYTES,
	       "the GET_ID answer shares no cache line with the fields after it");

/* blk/device.c: the data path, one request from its slot to its chain in
 * the ring and back to its bios. */
struct blk_req *blk_dev_new_req(struct blk_dev *dev, struct vblk_bio *bio);
int blk_dev_start(struct blk_dev *dev, struct blk_req *req, unsigned queued_behind);
void blk_dev_kick(struct blk_dev *dev);
int blk_dev_harvest(struct blk_dev *dev, struct vblk_bio **bios, int *result);
void blk_dev_free_req(struct blk_dev *dev, struct blk_req *req);
void blk_dev_end_bio(struct vblk_bio *bio, int status);
unsigned blk_dev_in_flight(const struct blk_dev *dev);

/* blk/device_ctl.c: the control side, set-up, reset, interrupts. */
VBLK_COLD void blk_dev_init_reqs(struct blk_dev *dev);
VBLK_COLD void blk_dev_renotify(struct blk_dev *dev);
VBLK_COLD struct vblk_bio *blk_dev_detach(struct blk_dev *dev);
void blk_dev_irq_off(struct blk_dev *dev);
bool blk_dev_irq_on(struct blk_dev *dev);
bool blk_dev_needs_reset(struct blk_dev *dev);
bool blk_dev_has_used(const struct blk_dev *dev);
bool blk_dev_passed_over(struct blk_dev *dev, uint64_t now_us, uint32_t timeout_us);
uint32_t blk_dev_read_and_ack_interrupt(struct blk_dev *dev);
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
