/* SPDX-License-Identifier: MIT */
/*
 * Packed virtqueue (virtio 1.2 §2.8): one descriptor ring that driver and
 * device both write, and two small event-suppression areas, in memory the
 * caller provides.
 *
 *   slot:     0      1      2      3      4      5      6      7
 *   desc[]: [h0  ] [  ] [t0 ] [h1 ] [t1 ] [    ] [    ] [    ]
 *            A=1 U=0 ...        <- the driver makes slots available with
 *                                  AVAIL = its wrap counter, USED = !AVAIL
 *            A=1 U=1            <- the device writes one used descriptor
 *                                  per chain, at its own position, with
 *                                  AVAIL = USED = its wrap counter
 *
 * Both sides walk the ring in slot order and flip their wrap counter each
 * time they pass the last slot, so a slot's AVAIL/USED bits say, without
 * any index, whether it is new to the device or done: after the wrap the
 * bits a lap ago meant "used" read as "available" to nobody. There is no
 * avail or used index to publish; the head descriptor's flags are the
 * publication, so they are stored last (§2.8.21.1).
 *
 * A chain is consecutive slots linked by NEXT; each carries the chain's
 * buffer ID, which the device hands back in its used descriptor. The ID
 * is the chain's head slot, or the next one free if a chain in flight
 * holds that (out-of-order completion), and indexes what the driver remembers
 * of the chain (its token, its slot count, its writable bytes), so nothing
 * the device writes is trusted: an ID out of range or not in flight, a
 * length beyond the chain's writable bytes, break the queue.
 *
 * The functions mirror the split ring's (vring/virtqueue.h) one for one,
 * so the device layer can drive either.
 */
#ifndef VBLK_VRING_PACKED_H
#define VBLK_VRING_PACKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plat/compiler.h"
#include "vblk/config.h"
#include "vring/virtqueue.h"

/* Descriptor flags (virtio 1.2 §2.8.1, §2.8.6); NEXT, WRITE and INDIRECT
 * are the split ring's. */
#define VRING_PACKED_DESC_F_AVAIL (1u << 7)
#define VRING_PACKED_DESC_F_USED  (1u << 15)

/* Event suppression flags (§2.8.10). */
#define VRING_PACKED_EVENT_ENABLE  0u
#define VRING_PACKED_EVENT_DISABLE 1u
#define VRING_PACKED_EVENT_DESC    2u   /* only with VIRTIO_F_EVENT_IDX */
#define VRING_PACKED_EVENT_WRAP    (1u << 15)  /* in off_wrap */

/* Little-endian, as the device sees them. */
struct vring_packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;        /* buffer ID */
	uint16_t flags;     /* NEXT, WRITE, INDIRECT, AVAIL, USED */
};

struct vring_packed_event {
	uint16_t off_wrap;  /* descriptor offset (bits 0-14) and wrap (bit 15) */
	uint16_t flags;     /* ENABLE, DISABLE or DESC */
};

/* Bytes of ring memory for `num` slots: the descriptor ring (16-byte
 * aligned, §2.8.11), then the driver's and the device's event areas
 * (4 bytes each, 4-byte aligned). */
#define VRING_PACKED_MEM_BYTES(num) (16u * (num) + 2u * 4u)

/* What the driver remembers about a chain, by buffer ID. */
struct vqp_chain {
	void *token;             /* caller's request; NULL: ID not in flight */
	uint32_t nslots;         /* ring slots it took (1 if indirect), at most num */
	uint32_t writable_bytes; /* the most the device may report in len */
};

/* What adding `slots` to num_free and `chains` to in_flight adds to
 * their word, each an unsigned 32-bit value that may stand for a negative
 * one (modulo 2^32). */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define VQP_COUNTS(slots, chains) (((uint32_t)(slots) << 16) + (uint32_t)(chains))
#else
#define VQP_COUNTS(slots, chains) ((uint32_t)(slots) + ((uint32_t)(chains) << 16))
#endif

/* No buffer ID: the end of the batch's list (IDs are below num <= 32768). */
#define VQP_NO_ID 0xffffu

struct vq_packed {
	/* Shared with the device. */
	struct vring_packed_desc *desc;
	struct vring_packed_event *driver;  /* the driver writes it */
	struct vring_packed_event *device;  /* the device writes it */

	/* Driver-private. */
	uint16_t num;            /* slots; need not be a power of 2 */
	/* The slot a chain on vqp_add's straight path must end at or
	 * before: num, or 0 once the queue is broken, so that the path's
	 * test of the ring's end also sends a broken queue's chains to
	 * vqp_add_chain, which refuses them (-VBLK_EBROKEN). */
	uint16_t add_end;
	/* The two counts the block layer reads, as one 32-bit word too, so
	 * that an add or a harvest moves both with one addition
	 * (VQP_COUNTS). The sum is exact modulo 2^32, and both results lie
	 * within 0..num (num_free, in_flight), below 2^16: so each half
	 * ends up right, though the addition may carry between them
	 * (little-endian: an add's in_flight + 1 is the carry out of
	 * num_free - nslots). */
	union {
		struct {
			uint16_t num_free;   /* slots not in the device's hands */
			uint16_t in_flight;  /* chains added and not yet harvested */
		};
		uint32_t counts;
	};
	uint16_t next_avail;     /* slot the next chain starts at */
	bool avail_wrap;         /* driver ring wrap counter (starts 1) */
	uint16_t last_used;      /* slot the next used descriptor appears at */
	bool used_wrap;          /* its wrap counter (starts 1) */
	/* The AVAIL and USED bits (§2.8.1) that the two wrap counters stand
	 * for, kept beside them so the hot paths do not work them out again:
	 * avail_flags those of a slot made available in the driver's lap
	 * (AVAIL = avail_wrap, USED = its inverse), used_flags those of a
	 * used slot in the lap at last_used (AVAIL = USED = used_wrap). */
	uint16_t avail_flags;
	uint16_t used_flags;
	/* The batch since the last vqp_publish: its first head's flags are
	 * held back and stored by vqp_publish, which exposes the batch.
	 * batch_head_flags is 0 when no batch is open: a head's flags always
	 * have AVAIL or USED (avail_flags). The batch's slots run from
	 * batch_head to next_avail (vqp_batch_slots). */
	uint16_t batch_head;
	uint16_t batch_head_flags;
	/* The batch's buffer IDs, newest first, linked through batch_next;
	 * VQP_NO_ID ends the list. The device was not given these chains. */
	uint16_t batch_ids;
	bool event_idx;
	bool indirect;
	bool broken;
	const char *broken_reason;
	uint16_t batch_next[VBLK_QUEUE_SIZE];  /* the batch list's links, by ID */
	struct vqp_chain chain[VBLK_QUEUE_SIZE];
};

/* Slots from `slot` to next_avail, the whole ring when they meet: those
 * of a batch that starts at `slot`, which is never empty. */
static inline uint16_t vqp_slots_since(const struct vq_packed *vq, uint16_t slot)
{
	return (uint16_t)(vq->next_avail > slot ? vq->next_avail - slot
						: vq->next_avail + vq->num - slot);
}

/* Slots the batch not yet published took, 0 when none is open. */
static inline uint16_t vqp_batch_slots(const struct vq_packed *vq)
{
	return vq->batch_head_flags != 0 ? vqp_slots_since(vq, vq->batch_head) : 0;
}

VBLK_COLD int vqp_init(struct vq_packed *vq, void *mem, size_t mem_bytes, uint16_t num,
		       bool event_idx);
int vqp_add(struct vq_packed *vq, const struct vring_buf *bufs, unsigned nbufs, void *token);
int vqp_add_chain(struct vq_packed *vq, const struct vring_buf *bufs, unsigned nbufs, void *token);
void vqp_use_indirect(struct vq_packed *vq, bool negotiated);
/* An indirect table of the packed ring holds packed descriptors too
 * (§2.8.19), 16 bytes each like the split ring's but laid out as above. */
int vqp_add_indirect(struct vq_packed *vq, const struct vring_buf *bufs, unsigned nbufs,
		     struct vring_packed_desc *table, unsigned table_entries, void *token);
bool vqp_publish(struct vq_packed *vq);
int vqp_harvest(struct vq_packed *vq, void **token, uint32_t *used_len);
bool vqp_has_used(const struct vq_packed *vq);
VBLK_COLD void *vqp_detach(struct vq_packed *vq);
void vqp_set_broken(struct vq_packed *vq, const char *reason);
void vqp_disable_interrupts(struct vq_packed *vq);
bool vqp_enable_interrupts(struct vq_packed *vq);

#endif
