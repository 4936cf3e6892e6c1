/* SPDX-License-Identifier: MIT */
/*
 * Frames of the split ring (virtio 1.2 §2.7; vring/virtqueue.h has the
 * picture): a chain whose first and last buffers are the same as the
 * last chain of its frame reuses their descriptors, already linked and
 * written, and fills only its middle. A block request's header and
 * status byte live in its request slot, so the device layer gives each
 * slot a frame, and a 4 KiB read writes one descriptor instead of three.
 *
 * The path of every request, a parked frame and one middle buffer, is
 * vq_add_framed in vring/split.c, beside vq_add. This file keeps the
 * frames: linking one the first time, any other chain of a frame, the
 * free descriptors a long chain took given back, and parked frames taken
 * apart when an add needs their descriptors.
 *
 * What a frame changes is which descriptors a chain uses, never what the
 * device sees in them: the chain is written before it is published, the
 * head goes in the avail ring as vq_add's does, and the harvest checks it
 * the same way (vring/split.c).
 */
#include "vring/virtqueue.h"
#include "vring/chain.h"
#include "vring/describe.h"

static uint16_t desc_flags(const struct vring_buf *buf, bool more)
{
	return (uint16_t)((buf->device_writes ? VRING_DESC_F_WRITE : 0) |
			  (more ? VRING_DESC_F_NEXT : 0));
}

/* Descriptor `from` continues at `to`: in the table and in our links. */
static void link_desc(struct virtqueue *vq, uint16_t from, uint16_t to)
{
	vq->desc[from].next = to;
	vq->next[from] = to;
}

/* Frame `fr`, parked, back to the free list: its descriptors are free
 * ones again, linked through our private links as the list is. */
static void unlink_frame(struct virtqueue *vq, struct vq_frame *fr)
{
	vq->next[fr->head] = fr->mid;
	vq->next[fr->mid] = fr->tail;
	vq->next[fr->tail] = vq->free_head;
	vq->free_head = fr->head;
	vq->frame_at[fr->head] = 0;
	vq->num_parked = (uint16_t)(vq->num_parked - 3);
	fr->head = VQ_NO_DESC;
}

/*
 * Make the free list hold `count` descriptors by taking parked frames
 * apart, any but frame `keep` (VQ_FRAMES: none kept). The caller has
 * checked that num_free, which counts the parked ones, has them. A frame
 * taken apart is linked again by its next chain: frames are a saving,
 * and a chain that fits the ring never waits for them.
 */
void vq_unpark(struct virtqueue *vq, unsigned count, unsigned keep)
{
	for (unsigned f = 0; f < VQ_FRAMES && vq_free_listed(vq) < count; f++) {
		struct vq_frame *fr = &vq->frame[f];
		if (f != keep && fr->head != VQ_NO_DESC && vq->chain[fr->head].token == NULL)
			unlink_frame(vq, fr);
	}
}

/*
 * A frame chain that was not the fast path's three descriptors has been
 * harvested (vring/split.c parks the frame; after a reset vq_drop_frame
 * is used instead): the free descriptors its middle took after the
 * frame's own go back, from the one after the frame's middle to the
 * chain's last_desc, and the frame's links are head -> mid -> tail again,
 * as vq_add_framed expects them.
 */
void vq_reframe(struct virtqueue *vq, uint16_t head, const struct vq_chain *chain)
{
	const struct vq_frame *fr = &vq->frame[vq->frame_at[head] - 1];

	if (chain->ndescs > 3) {
		vq->next[chain->last_desc] = vq->free_head;
		vq->free_head = vq->next[fr->mid];
		vq->num_free = (uint16_t)(vq->num_free + chain->ndescs - 3);
	}
	link_desc(vq, fr->head, fr->mid);
	link_desc(vq, fr->mid, fr->tail);
}

/*
 * After a device reset (vq_detach): frame chain `head`, still in flight,
 * goes back to the free list whole, the frame's three descriptors with
 * it, through the private links alone. Its links run head -> ... -> tail
 * as the add made them (a chain of two buffers leaves the middle out:
 * it goes after the tail). Nothing in the shared table is written: a
 * reset that never completed leaves the device free to read it still.
 */
void vq_drop_frame(struct virtqueue *vq, uint16_t head, const struct vq_chain *chain)
{
	struct vq_frame *fr = &vq->frame[vq->frame_at[head] - 1];

	if (chain->ndescs < 3) {
		vq->next[fr->tail] = fr->mid;
		vq->next[fr->mid] = vq->free_head;
	} else {
		vq->next[fr->tail] = vq->free_head;
	}
	vq->free_head = fr->head;
	vq->num_free = (uint16_t)(vq->num_free + (chain->ndescs < 3 ? 3 : chain->ndescs));
	vq->frame_at[fr->head] = 0;
	fr->head = VQ_NO_DESC;
}

/* Three descriptors off the free list for frame `frame`, linked in the
 * order the free list had them (our private links already say so). */
static void link_frame(struct virtqueue *vq, struct vq_frame *fr, unsigned frame)
{
	fr->head = vq->free_head;
	fr->mid = vq->next[fr->head];
	fr->tail = vq->next[fr->mid];
	vq->free_head = vq->next[fr->tail];
	vq->frame_at[fr->head] = (uint16_t)(frame + 1);
	vq->num_parked = (uint16_t)(vq->num_parked + 3);   /* taken below, as a parked frame's */
}

/*
 * Any chain of a frame: link the frame if it is not, then fill the
 * middle from the frame's own descriptor and free ones. vq_add_framed's
 * way (vring/split.c) for what its fast path does not take: the chain's
 * checks in vring_check_chain's order, then the frame's, then room.
 */
int vq_add_framed_any(struct virtqueue *vq, unsigned frame, const struct vring_buf *bufs,
		      unsigned nbufs, void *token)
{
	/* A frame is linked only for a readable head and a writable tail (a
	 * request's header and status byte): a chain of another shape, or
	 * one that cannot have a frame, goes through vq_add as it is. (Given
	 * for a frame that is linked, such a chain would break the caller's
	 * promise, and the fast path would take it with the frame's ends.) */
	if (frame >= VQ_FRAMES || nbufs < 2 || vq->num < 3 || bufs == NULL ||
	    bufs[0].device_writes || !bufs[nbufs - 1].device_writes)
		return vq_add(vq, bufs, nbufs, token);

	uint32_t writable_bytes;
	int err = vring_check_chain(vq->broken, vq->num, bufs, nbufs, token, &writable_bytes);
	if (err)
		return err;
	struct vq_frame *fr = &vq->frame[frame];
	if (fr->head != VQ_NO_DESC && vq->chain[fr->head].token != NULL)
		return -VBLK_EINVAL;   /* the caller's bug: two chains in one frame */
	/* A frame holds three descriptors whatever the chain uses of them. */
	unsigned ndescs = nbufs < 3 ? 3 : nbufs;
	if (ndescs > vq->num_free)
		return -VQ_EAGAIN;

	const struct vring_buf *first = &bufs[0], *last = &bufs[nbufs - 1];
	if (fr->head == VQ_NO_DESC) {
		/* Not linked (never, or taken apart since): take three
		 * descriptors and write the head and tail for good. */
		if (ndescs > vq_free_listed(vq))
			vq_unpark(vq, ndescs, frame);
		link_frame(vq, fr, frame);
		vq->desc[fr->head] = (struct vring_desc){ first->addr, first->len_bytes,
							  desc_flags(first, true), 0 };
		vq->desc[fr->tail] = (struct vring_desc){ last->addr, last->len_bytes,
							  desc_flags(last, false), 0 };
	} else if (ndescs - 3 > vq_free_listed(vq)) {
		vq_unpark(vq, ndescs - 3, frame);
	}

	/* The middle: the frame's own descriptor, then free ones, each linked
	 * to the one after it (§2.7.5); the last one to the tail. */
	uint16_t prev = fr->head, desc = fr->mid;
	for (const struct vring_buf *buf = first + 1; buf != last; buf++) {
		if (buf != first + 1) {
			desc = vq->free_head;
			vq->free_head = vq->next[desc];
		}
		link_desc(vq, prev, desc);
		vq->desc[desc] = (struct vring_desc){ buf->addr, buf->len_bytes,
						      desc_flags(buf, true), 0 };
		prev = desc;
	}
	link_desc(vq, prev, fr->tail);
	vq->num_parked = (uint16_t)(vq->num_parked - 3);
	vq->num_free = (uint16_t)(vq->num_free - ndescs);

	/* As vq_add: remember the chain (`prev`, the last descriptor before
	 * the tail, ends the free descriptors the harvest gives back), offer
	 * its head in the next avail slot. */
	vq->chain[fr->head] =
		(struct vq_chain){ token, (uint16_t)nbufs, prev, writable_bytes };
	vq->avail->ring[vq->avail_idx++ & (vq->num - 1)] = fr->head;
	vq->in_flight++;
	VQ_TRACE_CHAIN(vq, fr->head, NULL);
	return 0;
}
