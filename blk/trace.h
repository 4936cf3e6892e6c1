/* SPDX-License-Identifier: MIT */
/*
 * The block layer's trace lines (plat/trace.h: compiled only with
 * -DVBLK_TRACE=1), one macro a step so that each call site is one short
 * line and the lines' wording lives in one place (docs/trace.md lists
 * them). The macros name fields of struct vblk_bio and struct blk_req and
 * expand where those are known.
 */
#ifndef VBLK_BLK_TRACE_H
#define VBLK_BLK_TRACE_H

#include "plat/trace.h"

/* vblk_submit handed the queue a bio (blk/queue.c). */
#define BLK_TRACE_QUEUED(bio)                                                                \
	VBLK_TRACE_LINE("bio queued  %s sector %llu, %llu sector(s)\n",                      \
			VBLK_TRACE_OP_NAME((bio)->op), (unsigned long long)(bio)->sector,   \
			VBLK_TRACE_BIO_SECTORS(bio))

/* A bio joined a pending request (blk/merge.c); `how` says where:
 * "behind the request at", "in front of the request, now at", "into the
 * range at", followed by the request's (new) first sector. */
#define BLK_TRACE_MERGED(bio, req, how)                                                      \
	VBLK_TRACE_LINE("bio merged  %s sector %llu %s sector %llu (%u bios)\n",             \
			VBLK_TRACE_OP_NAME((bio)->op), (unsigned long long)(bio)->sector,   \
			how, (unsigned long long)(req)->sector, (unsigned)(req)->nbios)

/* A request goes into the ring, directly or through its indirect table
 * (blk/device.c); the ring's own line (vring/describe.h) follows. */
#define BLK_TRACE_REQUEST(req, indirect)                                                     \
	VBLK_TRACE_LINE("request     %s sector %llu, %u bytes, %u bio(s), %s\n",             \
			VBLK_TRACE_TYPE_NAME((req)->type), (unsigned long long)(req)->sector, \
			(unsigned)(req)->data_bytes, (unsigned)(req)->nbios,                \
			(indirect) ? "indirect" : "direct")

/* The disk's interrupt handler ran, InterruptStatus as read (blk/interrupt.c). */
#define BLK_TRACE_INTERRUPT(status)                                                          \
	VBLK_TRACE_LINE("interrupt   status 0x%x%s%s\n", (unsigned)(status),                 \
			(status) & VIRTIO_INT_USED_BUFFER ? " used-buffer" : "",            \
			(status) & VIRTIO_INT_CONFIG_CHANGE ? " config-change" : "")

/* A bio handed back to its owner (blk_dev_end_bio, blk/device.c). */
#define BLK_TRACE_COMPLETE(bio, status)                                                      \
	VBLK_TRACE_LINE("complete    %s sector %llu, %llu sector(s): status %d, %s\n",       \
			VBLK_TRACE_OP_NAME((bio)->op), (unsigned long long)(bio)->sector,   \
			VBLK_TRACE_BIO_SECTORS(bio), (int)(status),                          \
			(bio)->done ? "callback" : "no callback")

/* Whether a publish notified the device, and the suppression state that
 * decided it, in the ring's own words (vring/describe.c; blk/device.c's
 * kick). */
#define BLK_TRACE_NOTIFY(ring, sent)                                                         \
	VBLK_TRACE_DO(VRING_IS_PACKED(ring)                                                  \
			      ? vqp_describe_notify(VRING_TRACE_PREFIX("notify      "),           \
						    &(ring)->q.packed, sent)                      \
			      : vq_describe_notify(VRING_TRACE_PREFIX("notify      "),            \
						   &(ring)->q.split, sent))

#endif
