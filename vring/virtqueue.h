/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue (virtio 1.2 §2.7): the descriptor table, the available
 * ring and the used ring, in memory the caller provides (static in vblk).
 *
 *   driver                               device
 *   ------                               ------
 *   vq_add()      fill descriptors,
 *                 put the chain head in avail.ring
 *   (or vq_add_indirect(): the chain in a table of the caller's, one
 *    ring descriptor pointing at it)
 *   vq_publish()  store avail.idx  --->  reads the chains, does the I/O,
 *                 (caller notifies)      writes used.ring[], then used.idx
 *   vq_harvest()  read used.idx    <---
 *                 free the chain, return its token
 *
 * The ring code knows nothing of the transport or of block requests: the
 * caller notifies the device when vq_publish() says so, and identifies its
 * requests by the opaque token given to vq_add().
 *
 * Nothing the device writes is trusted: used.idx, used.ring[].id and .len are
 * checked before use, and chains are freed from a private copy of their
 * links, never by walking the shared descriptor table. A check that fails
 * marks the ring broken; from then on it refuses work (-VBLK_EBROKEN) until
 * vq_init() is called again after a device reset.
 *
 * Indirect descriptors (VIRTIO_F_INDIRECT_DESC, virtio 1.2 §2.7.5.3): once
 * vq_use_indirect() says the feature was negotiated, vq_add_indirect()
 * writes the chain into a table the caller owns and puts one descriptor in
 * the ring that points at it:
 *
 *   ring desc[h]  { addr = &table, len = 16 * n, flags = INDIRECT }
 *                        |
 *                        v
 *   table[0] -NEXT-> table[1] -NEXT-> ... table[n-1]      (never INDIRECT)
 *
 * The chain then costs one ring descriptor however long it is, and
 * harvesting it frees exactly that one. The table belongs to the device
 * from vq_add_indirect() until the chain is harvested or detached: the
 * caller must not touch or reuse it before then (§3.3.1).
 *
 * Frames (vring/split_frame.c): a caller whose chains always begin and
 * end with the same two buffers, a block request's header and status
 * byte, adds them with vq_add_framed() and a frame number of its own (its
 * request slot). The first time, the ring links three descriptors for the
 * frame, head -> middle -> tail, and writes the head and the tail; when
 * the chain is harvested they stay linked and written ("parked"), so the
 * next chain of that frame writes only its middle buffers:
 *
 *   linked once:   desc[h] header -NEXT-> desc[m] data -NEXT-> desc[t] status
 *   each chain:            .next          addr, len, flags
 *   more middle buffers:   desc[m] -NEXT-> free descriptors ... -NEXT-> desc[t]
 *
 * Parked descriptors count as free (num_free): an add that needs them
 * takes parked frames apart first (vq_unpark), so a parked frame never
 * makes a chain wait. A frame's chain in flight holds its three
 * descriptors even when it uses two (a FLUSH: header, status), one more
 * than a plain chain would.
 */
#ifndef VBLK_VIRTQUEUE_H
#define VBLK_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plat/compiler.h"
#include "vblk/config.h"
#include "vblk/error.h"

/* What vq_add and vq_add_indirect (and the packed ring's) return, negated,
 * when the ring has no room for a chain now: the caller keeps it and tries
 * after a harvest. Not one of vblk's public errors (it never reaches an
 * application), and beyond them so the two never mix. */
#define VQ_EAGAIN (VBLK_ERROR_COUNT + 1)

/* Descriptor flags (virtio 1.2 §2.7.5). */
#define VRING_DESC_F_NEXT     1u
#define VRING_DESC_F_WRITE    2u   /* device writes (otherwise device reads) */
#define VRING_DESC_F_INDIRECT 4u

#define VRING_AVAIL_F_NO_INTERRUPT 1u  /* §2.7.6 */
#define VRING_USED_F_NO_NOTIFY     1u  /* §2.7.8 */

/* The ring layout every version accepts: descriptors, then the available
 * ring, then the used ring on the next 4 KiB boundary (virtio 1.2 §2.7.2,
 * the legacy interface's fixed layout, which also meets the modern
 * alignment rules of §2.7: 16, 2 and 4 bytes). */
#define VRING_ALIGN_BYTES 4096u

#define VRING_ALIGN_UP(val) (((val) + VRING_ALIGN_BYTES - 1) / VRING_ALIGN_BYTES * VRING_ALIGN_BYTES)
/* Bytes of ring memory for `num` entries: 16-byte descriptors; avail flags,
 * idx, ring[num], used_event; then on the next boundary used flags, idx,
 * 8-byte ring[num], avail_event. */
#define VRING_MEM_BYTES(num) \
	VRING_ALIGN_UP(VRING_ALIGN_UP(16u * (num) + 2u * (3u + (num))) + 2u * 3u + 8u * (num))

/* All fields little-endian (and guest-endian for legacy: the same thing on
 * the CPUs we support). Written by the driver unless noted. */
struct vring_desc {
	uint64_t addr;      /* physical address of the buffer */
	uint32_t len;       /* bytes */
	uint16_t flags;     /* VRING_DESC_F_* */
	uint16_t next;      /* next descriptor if flags & NEXT */
};

struct vring_avail {
	uint16_t flags;     /* VRING_AVAIL_F_NO_INTERRUPT */
	uint16_t idx;       /* where the driver puts the next entry (mod 2^16) */
	uint16_t ring[];    /* chain heads; then uint16_t used_event */
};

struct vring_used_elem {
	uint32_t id;        /* device-written: head of the completed chain */
	uint32_t len;       /* device-written: bytes it wrote into the chain */
};

struct vring_used {
	uint16_t flags;     /* device-written: VRING_USED_F_NO_NOTIFY */
	uint16_t idx;       /* device-written: where it puts the next entry */
	struct vring_used_elem ring[]; /* then uint16_t avail_event */
};

/* One buffer of a chain, as the caller describes it. */
struct vring_buf {
	uint64_t addr;          /* physical address */
	uint32_t len_bytes;
	bool device_writes;     /* true: device-writable (an "in" buffer) */
};

/* Frames the ring keeps (vq_add_framed): one per request slot of the
 * block layer (blk/device.h: VBLK_MAX_REQS, at most half the queue). */
#define VQ_FRAMES (VBLK_MAX_REQS < VBLK_QUEUE_SIZE / 2 ? VBLK_MAX_REQS : VBLK_QUEUE_SIZE / 2)
/* No descriptor: a frame not linked. Never an index (num <= 32768). */
#define VQ_NO_DESC 0xffffu

/* A frame's three descriptors, linked head -> mid -> tail while the frame
 * is linked (head != VQ_NO_DESC). */
struct vq_frame {
	uint16_t head, mid, tail;
};

/* What the driver remembers about each outstanding chain, by head index. */
struct vq_chain {
	void *token;            /* caller's request; NULL: not a head in flight */
	uint16_t ndescs;        /* ring descriptors in the chain (1 if indirect;
				   a frame chain's buffers: it holds its
				   frame's 3 even when this is 2, and
				   ndescs - 3 free ones beyond them when
				   this is more) */
	uint16_t last_desc;     /* a plain chain's tail, to splice it onto the
				   free list; a frame chain's last descriptor
				   before its tail (where the free ones it
				   took end, when ndescs > 3: vq_reframe) */
	uint32_t writable_bytes;/* the most the device may report in used.len */
};

struct virtqueue {
	/* Shared with the device. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t *used_event;   /* in the avail ring, after ring[num] */
	uint16_t *avail_event;  /* in the used ring, after ring[num] */

	/* Driver-private. */
	uint16_t num;           /* ring entries, a power of 2 */
	uint16_t free_head;     /* first free descriptor */
	uint16_t num_free;      /* descriptors on the free list */
	uint16_t avail_idx;     /* next avail.idx to publish (shadow) */
	uint16_t published_idx; /* avail.idx as last stored */
	uint16_t last_used_idx; /* next used entry to harvest */
	uint16_t in_flight;     /* chains added and not yet harvested */
	bool event_idx;         /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;          /* VIRTIO_F_INDIRECT_DESC negotiated */
	bool broken;
	const char *broken_reason;
	uint16_t next[VBLK_QUEUE_SIZE];      /* private copy of descriptor links */
	struct vq_chain chain[VBLK_QUEUE_SIZE];
	/* Frames: num_free counts the num_parked descriptors of linked frames
	 * not in flight, which are not on the free list. frame_at[d] is a
	 * linked frame's number + 1 at its head d, 0 at any other. */
	uint16_t num_parked;
	struct vq_frame frame[VQ_FRAMES];
	uint16_t frame_at[VBLK_QUEUE_SIZE];
};

/* Bytes of ring memory for `num` entries, in the layout above. */
size_t vring_mem_bytes(uint16_t num);

VBLK_COLD int vq_init(struct virtqueue *vq, void *mem, size_t mem_bytes, uint16_t num,
		      bool event_idx);
int vq_add(struct virtqueue *vq, const struct vring_buf *bufs, unsigned nbufs, void *token);
void vq_use_indirect(struct virtqueue *vq, bool negotiated);
unsigned vq_indirect_max(const struct virtqueue *vq, unsigned table_entries);
int vq_add_indirect(struct virtqueue *vq, const struct vring_buf *bufs, unsigned nbufs,
		    struct vring_desc *table, unsigned table_entries, void *token);
int vq_add_framed(struct virtqueue *vq, unsigned frame, const struct vring_buf *bufs,
		  unsigned nbufs, void *token);
bool vq_publish(struct virtqueue *vq);
int vq_harvest(struct virtqueue *vq, void **token, uint32_t *used_len);
bool vq_has_used(const struct virtqueue *vq);
VBLK_COLD void *vq_detach(struct virtqueue *vq);
void vq_set_broken(struct virtqueue *vq, const char *reason);
void vq_disable_interrupts(struct virtqueue *vq);
bool vq_enable_interrupts(struct virtqueue *vq);

/* Between the split ring's files: the free list's own length (num_free
 * less the parked frames), and vq_unpark, which takes parked frames
 * apart, any but frame `keep`, until the free list holds `count`. */
static inline unsigned vq_free_listed(const struct virtqueue *vq)
{
	return (unsigned)(vq->num_free - vq->num_parked);
}
void vq_unpark(struct virtqueue *vq, unsigned count, unsigned keep);
int vq_add_framed_any(struct virtqueue *vq, unsigned frame, const struct vring_buf *bufs,
		      unsigned nbufs, void *token);
/* A frame's chain at `head`, not of three buffers, is done: its free
 * descriptors go back, its frame is linked as before (vring/split_frame.c). */
void vq_reframe(struct virtqueue *vq, uint16_t head, const struct vq_chain *chain);
/* After a reset, a frame's chain in flight back to the free list whole. */
VBLK_COLD void vq_drop_frame(struct virtqueue *vq, uint16_t head, const struct vq_chain *chain);

static inline bool vq_is_broken(const struct virtqueue *vq) { return vq->broken; }
static inline unsigned vq_num_free(const struct virtqueue *vq) { return vq->num_free; }

#endif
