/* SPDX-License-Identifier: MIT */
/*
 * What every chain must satisfy, in either ring format (virtio 1.2
 * §2.7.4.2 and §2.8.17: readable buffers first, then writable ones; no
 * empty buffer, which QEMU takes as a broken device; fewer than 2^32
 * bytes in all, §2.7.5.2).
 */
#ifndef VBLK_VRING_CHAIN_H
#define VBLK_VRING_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "vblk/error.h"
#include "vring/virtqueue.h"

/*
 * One buffer of a chain, in order: not empty, and not readable after a
 * writable one (-VBLK_EINVAL). Adds it to the chain's byte counts; a
 * writable_bytes not 0 says a writable buffer was seen.
 */
static inline int check_buf(const struct vring_buf *buf, uint64_t *total_bytes,
			    uint64_t *writable_bytes)
{
	if (buf->len_bytes == 0)
		return -VBLK_EINVAL;
	if (buf->device_writes)
		*writable_bytes += buf->len_bytes;
	else if (*writable_bytes != 0)
		return -VBLK_EINVAL;
	*total_bytes += buf->len_bytes;
	return 0;
}

/*
 * Check a request of `nbufs` buffers before any of it is written, on a
 * ring of `num` slots, in the order the rings' contracts list the errors:
 * a broken ring refuses everything (-VBLK_EBROKEN); no buffers, no token
 * (-VBLK_EINVAL); a chain longer than the ring (-VBLK_ETOOBIG:
 * §2.7.5.3.1, PK-12 of the checklist, indirect tables' entries counted
 * too); then each buffer (check_buf); and 2^32 bytes or more in all
 * (-VBLK_ETOOBIG, §2.7.5.2). On success *writable_bytes is what the
 * device may write (its used.len limit, §2.7.8.3). The split ring's
 * vq_add checks as it fills, with check_buf, and comes here for the
 * error of a request it will not take.
 */
static inline int check_add(bool broken, uint16_t num, const struct vring_buf *bufs,
			    unsigned nbufs, const void *token, uint32_t *writable_bytes)
{
	uint64_t total_bytes = 0, writable = 0;

	if (broken)
		return -VBLK_EBROKEN;
	if (nbufs == 0 || bufs == NULL || token == NULL)
		return -VBLK_EINVAL;
	if (nbufs > num)
		return -VBLK_ETOOBIG;
	for (unsigned i = 0; i < nbufs; i++) {
		int err = check_buf(&bufs[i], &total_bytes, &writable);
		if (err)
			return err;
	}
	if (total_bytes > UINT32_MAX)
		return -VBLK_ETOOBIG;
	*writable_bytes = (uint32_t)writable;
	return 0;
}

#endif
