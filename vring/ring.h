/* SPDX-License-Identifier: MIT */
/*
 * One virtqueue in either of virtio's two formats, chosen when the device
 * is set up: the split ring (virtio 1.2 §2.7, vring/split.c) or, when
 * VIRTIO_F_RING_PACKED is negotiated, the packed ring (§2.8,
 * vring/packed.c). The device layer drives a struct vring and never asks
 * which it is; each call below is one branch to the format's own function,
 * which the compiler inlines away to a test and a direct call.
 *
 * A third format would be a third file with the same functions, a member
 * of the union and a case in each call here.
 */
#ifndef VBLK_VRING_RING_H
#define VBLK_VRING_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vblk/config.h"
#include "vring/packed.h"
#include "vring/virtqueue.h"

enum vring_format {
	VRING_SPLIT,
	VRING_PACKED,
};

struct vring {
	enum vring_format format;
	union {
		struct virtqueue split;
		struct vq_packed packed;
	} q;
};

/* An indirect table's entry in either layout (16 bytes both: §2.7.5.3,
 * §2.8.19); a table is used in the format of the ring it is given to. */
union vring_indirect_desc {
	struct vring_desc split;
	struct vring_packed_desc packed;
};

/* With VBLK_RING_PACKED 0 the packed branch of every call below is dead
 * code, and a build without packed rings pays nothing for them. */
#define VRING_IS_PACKED(ring) (VBLK_RING_PACKED && (ring)->format == VRING_PACKED)

#define VRING_MAX_U(a, b) ((a) > (b) ? (a) : (b))
/* Memory either format of `num` slots needs (VRING_ALIGN_BYTES-aligned). */
#define VRING_ANY_MEM_BYTES(num) VRING_MAX_U(VRING_MEM_BYTES(num), VRING_PACKED_MEM_BYTES(num))

/* Lay the ring out in `mem` in `format`; the errors of vq_init/vqp_init. */
static inline int vring_init(struct vring *ring, enum vring_format format, void *mem,
			     size_t mem_bytes, uint16_t num, bool event_idx)
{
	ring->format = VBLK_RING_PACKED ? format : VRING_SPLIT;
	if (VRING_IS_PACKED(ring))
		return vqp_init(&ring->q.packed, mem, mem_bytes, num, event_idx);
	return vq_init(&ring->q.split, mem, mem_bytes, num, event_idx);
}

/* Where the device finds the ring (§2.6): the descriptor area, the driver
 * area (avail ring or driver event area) and the device area (used ring
 * or device event area). */
static inline void vring_areas(const struct vring *ring, const void **desc, const void **driver,
			       const void **device)
{
	if (VRING_IS_PACKED(ring)) {
		*desc = ring->q.packed.desc;
		*driver = ring->q.packed.driver;
		*device = ring->q.packed.device;
	} else {
		*desc = ring->q.split.desc;
		*driver = ring->q.split.avail;
		*device = ring->q.split.used;
	}
}

static inline bool vring_is_packed(const struct vring *ring)
{
	return VRING_IS_PACKED(ring);
}

/* The longest chain an indirect table of `table_entries` takes: 0 without
 * the feature, never more than the ring (§2.7.5.3.1, §2.8.19). */
static inline unsigned vring_indirect_max(const struct vring *ring, unsigned table_entries)
{
	if (VRING_IS_PACKED(ring)) {
		const struct vq_packed *vq = &ring->q.packed;
		if (!vq->indirect)
			return 0;
		return table_entries < vq->num ? table_entries : vq->num;
	}
	return vq_indirect_max(&ring->q.split, table_entries);
}

/*
 * Does a chain of `nbufs` buffers go through `table` (`table_entries`
 * long; NULL when the caller has none), one ring descriptor, rather than
 * straight into the ring? Only when the direct chain would not leave a
 * descriptor for each of `queued_behind` requests waiting behind it, and
 * VIRTIO_F_INDIRECT_DESC was negotiated and the table takes the chain. A
 * direct chain is cheaper for the device to map; an indirect one lets a
 * short ring take more requests (docs/design.md, "Indirect or direct").
 */
static inline bool vring_chooses_indirect(const struct vring *ring, unsigned nbufs,
					  const union vring_indirect_desc *table,
					  unsigned table_entries, unsigned queued_behind)
{
	unsigned num_free = VRING_IS_PACKED(ring) ? ring->q.packed.num_free : ring->q.split.num_free;

	return nbufs + queued_behind > num_free && table != NULL &&
	       nbufs <= vring_indirect_max(ring, table_entries);
}

/* Put one chain in the ring, not yet published, directly or through
 * `table` as vring_chooses_indirect says. Returns the ring descriptors
 * used, or the format's error (-VQ_EAGAIN: no room now). */
static inline int vring_add(struct vring *ring, const struct vring_buf *bufs, unsigned nbufs,
			    union vring_indirect_desc *table, unsigned table_entries,
			    unsigned queued_behind, void *token)
{
	bool packed = VRING_IS_PACKED(ring);
	int err;

	if (!vring_chooses_indirect(ring, nbufs, table, table_entries, queued_behind)) {
		err = packed ? vqp_add(&ring->q.packed, bufs, nbufs, token)
			     : vq_add(&ring->q.split, bufs, nbufs, token);
		return err ? err : (int)nbufs;
	}
	err = packed ? vqp_add_indirect(&ring->q.packed, bufs, nbufs, &table->packed, table_entries,
					token)
		     : vq_add_indirect(&ring->q.split, bufs, nbufs, &table->split, table_entries,
				       token);
	return err ? err : 1;
}

static inline void vring_use_indirect(struct vring *ring, bool negotiated)
{
	if (VRING_IS_PACKED(ring))
		vqp_use_indirect(&ring->q.packed, negotiated);
	else
		vq_use_indirect(&ring->q.split, negotiated);
}

static inline bool vring_publish(struct vring *ring)
{
	if (VRING_IS_PACKED(ring))
		return vqp_publish(&ring->q.packed);
	return vq_publish(&ring->q.split);
}

static inline int vring_harvest(struct vring *ring, void **token, uint32_t *used_len)
{
	if (VRING_IS_PACKED(ring))
		return vqp_harvest(&ring->q.packed, token, used_len);
	return vq_harvest(&ring->q.split, token, used_len);
}

static inline bool vring_has_used(const struct vring *ring)
{
	if (VRING_IS_PACKED(ring))
		return vqp_has_used(&ring->q.packed);
	return vq_has_used(&ring->q.split);
}

static inline void *vring_detach(struct vring *ring)
{
	if (VRING_IS_PACKED(ring))
		return vqp_detach(&ring->q.packed);
	return vq_detach(&ring->q.split);
}

static inline void vring_set_broken(struct vring *ring, const char *reason)
{
	if (VRING_IS_PACKED(ring))
		vqp_set_broken(&ring->q.packed, reason);
	else
		vq_set_broken(&ring->q.split, reason);
}

static inline bool vring_is_broken(const struct vring *ring)
{
	return VRING_IS_PACKED(ring) ? ring->q.packed.broken : ring->q.split.broken;
}

static inline const char *vring_broken_reason(const struct vring *ring)
{
	return VRING_IS_PACKED(ring) ? ring->q.packed.broken_reason
					    : ring->q.split.broken_reason;
}

/* Chains added and not yet harvested or detached. */
static inline unsigned vring_in_flight(const struct vring *ring)
{
	return VRING_IS_PACKED(ring) ? ring->q.packed.in_flight : ring->q.split.in_flight;
}

/* Ring slots (descriptors) not in the device's hands. */
static inline unsigned vring_num_free(const struct vring *ring)
{
	return VRING_IS_PACKED(ring) ? ring->q.packed.num_free : ring->q.split.num_free;
}

static inline void vring_disable_interrupts(struct vring *ring)
{
	if (VRING_IS_PACKED(ring))
		vqp_disable_interrupts(&ring->q.packed);
	else
		vq_disable_interrupts(&ring->q.split);
}

static inline bool vring_enable_interrupts(struct vring *ring)
{
	if (VRING_IS_PACKED(ring))
		return vqp_enable_interrupts(&ring->q.packed);
	return vq_enable_interrupts(&ring->q.split);
}

#endif
