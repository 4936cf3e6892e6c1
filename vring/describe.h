/* SPDX-License-Identifier: MIT */
/*
 * The ring in words, through vblk_printf (vblk/platform.h): one chain as
 * the trace mode prints it when it is added (plat/trace.h), and the whole
 * ring's state for vblk_dump() (blk/dump.c). Read-only: nothing here
 * changes the ring, and what the device wrote is printed, never trusted
 * (an index or ID is printed as read, and only the driver's own links are
 * followed).
 */
#ifndef VBLK_VRING_DESCRIBE_H
#define VBLK_VRING_DESCRIBE_H

#include <stdbool.h>
#include <stdint.h>

#include "plat/trace.h"
#include "vring/indirect.h"
#include "vring/packed.h"
#include "vring/virtqueue.h"

/* The indirect table of the chain a token stands for (NULL: none known):
 * the ring does not keep it, its caller does (blk/dump.c). */
typedef const union vring_indirect_desc *vring_table_of_fn(const void *token);

/* One line after `prefix`: the split chain at `head` (its ring
 * descriptors, then the entries of `table` if the head is INDIRECT), as
 * "#index length direction" links. */
void vq_describe_chain(const char *prefix, const struct virtqueue *vq, uint16_t head,
		       const struct vring_desc *table);

/* The same for the packed chain of `nslots` slots from `slot`. */
void vqp_describe_chain(const char *prefix, const struct vq_packed *vq, uint16_t slot,
			uint16_t nslots, const struct vring_packed_desc *table);

/* The ring's state, several lines, each after `prefix`: indices and
 * their shadows, wrap counters, the chains in flight descriptor by
 * descriptor, the last `last_used` used entries. */
void vq_describe(const char *prefix, const struct virtqueue *vq, unsigned last_used,
		 vring_table_of_fn *table_of);
void vqp_describe(const char *prefix, const struct vq_packed *vq, unsigned last_used,
		  vring_table_of_fn *table_of);

/* One line after `prefix`: whether a publish notified the device, and
 * the suppression state it went by (§2.7.10 avail_event or NO_NOTIFY,
 * §2.8.10 the device event area). */
void vq_describe_notify(const char *prefix, const struct virtqueue *vq, bool sent);
void vqp_describe_notify(const char *prefix, const struct vq_packed *vq, bool sent);

/* The ring's trace lines (plat/trace.h: only with -DVBLK_TRACE=1), one
 * macro a step so each call site in split.c and packed.c is one line
 * (docs/trace.md lists them; blk/trace.h has the notification's). */
#define VRING_TRACE_PREFIX(step) "[vblk] " step
/* A chain just added: split from its head, packed from its first slot. */
#define VQ_TRACE_CHAIN(vq, head, table)                                                      \
	VBLK_TRACE_DO(vq_describe_chain(VRING_TRACE_PREFIX("chain       "), vq, head, table))
#define VQP_TRACE_CHAIN(vq, slot, nslots, table)                                             \
	VBLK_TRACE_DO(vqp_describe_chain(VRING_TRACE_PREFIX("chain       "), vq, slot,        \
					 (uint16_t)(nslots), table))
/* The store that exposes what was added: avail.idx (split), the batch
 * head's flags (packed). */
#define VQ_TRACE_PUBLISHED(old_idx, new_idx)                                                 \
	VBLK_TRACE_LINE("avail idx   %u -> %u published\n", (unsigned)(old_idx),             \
			(unsigned)(new_idx))
#define VQP_TRACE_PUBLISHED(nslots, first_slot)                                              \
	VBLK_TRACE_LINE("avail       %u slot(s) from slot %u published\n", (unsigned)(nslots), \
			(unsigned)(first_slot))
/* A used entry harvested, after its checks. */
#define VQ_TRACE_USED(used_idx, id, len)                                                     \
	VBLK_TRACE_LINE("used        used idx %u: id %u len %u\n", (unsigned)(used_idx),      \
			(unsigned)(id), (unsigned)(len))
#define VQP_TRACE_USED(vq, id, len)                                                          \
	VBLK_TRACE_LINE("used        slot %u (used wrap %u): id %u len %u\n",                \
			(unsigned)(vq)->last_used, (unsigned)(vq)->used_wrap, (unsigned)(id), \
			(unsigned)(len))

#endif
