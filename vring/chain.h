/* SPDX-License-Identifier: MIT */
/*
 * What every chain must satisfy, in either ring format (virtio 1.2
 * §2.7.4.2 and §2.8.17: readable buffers first, then writable ones; no
 * empty buffer, which QEMU takes as a broken device; fewer than 2^32
 * bytes in all, §2.7.5.2). The rules are written once, in vring/split.c:
 * its vq_add applies them buffer by buffer as it fills the ring (the
 * path of every request on a split ring), the packed ring and the
 * indirect tables call vring_check_chain.
 */
#ifndef VBLK_VRING_CHAIN_H
#define VBLK_VRING_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "vblk/error.h"
#include "vring/virtqueue.h"

/*
 * Check a request of `nbufs` buffers before any of it is written, on a
 * ring of `num` slots, in this order: -VBLK_EBROKEN (a broken ring);
 * -VBLK_EINVAL (no buffers or token); -VBLK_ETOOBIG (longer than the
 * ring); -VBLK_EINVAL (an empty buffer, a readable one after a writable
 * one); -VBLK_ETOOBIG (2^32 bytes or more). Or 0 with *writable_bytes
 * what the device may write
 * (with writable_bytes NULL: -VQ_EAGAIN, the caller found no room).
 */
int vring_check_chain(bool broken, uint16_t num, const struct vring_buf *bufs, unsigned nbufs,
		      const void *token, uint32_t *writable_bytes);

/* A chain for an indirect table of `table_entries` (either format's
 * descriptors, 16 bytes each): the chain's checks, then -VBLK_EUNSUPP
 * without the feature, -VBLK_EINVAL for a NULL or misaligned table,
 * -VBLK_ETOOBIG for a table too short, -VQ_EAGAIN with no ring slot free. */
int vring_check_indirect(bool broken, uint16_t num, uint16_t num_free, bool negotiated,
			 const struct vring_buf *bufs, unsigned nbufs, const void *table,
			 unsigned table_entries, const void *token, uint32_t *writable_bytes);

/* The longest chain an indirect table of `table_entries` takes: 0 without
 * the feature, never more than the ring's `num`. */
unsigned vring_indirect_max(bool negotiated, uint16_t num, unsigned table_entries);

#endif
