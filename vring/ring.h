/* SPDX-License-Identifier: MIT */
/*
 * One virtqueue in either of virtio's two formats, chosen when the device
 * is set up: the split ring (virtio 1.2 §2.7, vring/split.c) or, when
 * VIRTIO_F_RING_PACKED is negotiated, the packed ring (§2.8,
 * vring/packed.c). The device layer's set-up and control calls go through
 * the calls below, each one branch to the format's own function, which the
 * compiler inlines away to a test and a direct call. The calls each
 * request makes branch the same way in blk/device.c itself (ring_add,
 * ring_chooses_indirect, ring_indirect_max, ring_publish, ring_harvest,
 * blk_dev_in_flight), so one request's walk goes from there straight to
 * the format's file.
 *
 * A third format would be a third file with the same functions, a member
 * of the union and a case in each call here and in those six.
 */
#ifndef VBLK_VRING_RING_H
#define VBLK_VRING_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vblk/config.h"
#include "vring/indirect.h"
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

static inline void vring_use_indirect(struct vring *ring, bool negotiated)
{
	if (VRING_IS_PACKED(ring))
		vqp_use_indirect(&ring->q.packed, negotiated);
	else
		vq_use_indirect(&ring->q.split, negotiated);
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

static inline const char *vring_broken_reason(const struct vring *ring)
{
	return VRING_IS_PACKED(ring) ? ring->q.packed.broken_reason
					    : ring->q.split.broken_reason;
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
