/* SPDX-License-Identifier: MIT */
/*
 * What every chain must satisfy, in either ring format (virtio 1.2
 * §2.7.4.2 and §2.8.17: readable buffers first, then writable ones; no
 * empty buffer, which QEMU takes as a broken device; fewer than 2^32
 * bytes in all, §2.7.5.2). The check runs one buffer at a time, so a ring
 * can do it while it fills descriptors: one pass on the hot path.
 */
#ifndef VBLK_VRING_CHAIN_H
#define VBLK_VRING_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "vblk/error.h"
#include "vring/virtqueue.h"

struct chain_check {
	uint64_t total_bytes;
	uint64_t writable_bytes;   /* not 0 once a writable buffer was seen:
				    * no buffer is empty */
};

static inline int check_buf(struct chain_check *check, const struct vring_buf *buf)
{
	if (buf->len_bytes == 0)
		return -VBLK_EINVAL;
	if (buf->device_writes)
		check->writable_bytes += buf->len_bytes;
	else if (check->writable_bytes != 0)
		return -VBLK_EINVAL;
	check->total_bytes += buf->len_bytes;
	return 0;
}

static inline int check_total(const struct chain_check *check)
{
	return check->total_bytes > UINT32_MAX ? -VBLK_ETOOBIG : 0;
}

/* The whole chain at once; its writable bytes through `writable_bytes`. */
static inline int check_chain(const struct vring_buf *bufs, unsigned nbufs,
			      uint32_t *writable_bytes)
{
	struct chain_check check = { 0 };

	for (unsigned i = 0; i < nbufs; i++) {
		int err = check_buf(&check, &bufs[i]);
		if (err)
			return err;
	}
	*writable_bytes = (uint32_t)check.writable_bytes;
	return check_total(&check);
}

/* What a request must satisfy before its buffers are looked at, on a
 * ring of `num` slots (§2.7.5.3.1, PK-12 of the checklist: no chain
 * longer than the ring, indirect tables' entries counted too). */
static inline int check_request(bool broken, uint16_t num, const struct vring_buf *bufs,
				unsigned nbufs, const void *token)
{
	if (broken)
		return -VBLK_EBROKEN;
	if (nbufs == 0 || bufs == NULL || token == NULL)
		return -VBLK_EINVAL;
	if (nbufs > num)
		return -VBLK_ETOOBIG;
	return 0;
}

/* check_request, then the buffers, in the order the rings' contracts
 * list the errors. */
static inline int check_add(bool broken, uint16_t num, const struct vring_buf *bufs,
			    unsigned nbufs, const void *token, uint32_t *writable_bytes)
{
	int err = check_request(broken, num, bufs, nbufs, token);
	return err ? err : check_chain(bufs, nbufs, writable_bytes);
}

#endif
