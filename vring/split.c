/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue, driver side (virtio 1.2 §2.7). See virtqueue.h for the
 * picture; the comments here say which rule each step keeps.
 */
#include "vring/virtqueue.h"
#include "vring/chain.h"

#include <string.h>

#include "vblk/error.h"
#include "plat/platform.h"
#include "vring/describe.h"

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
 * §2.7.5.3.1, PK-12 of docs/conformance.md, indirect tables' entries counted
 * too); then each buffer (check_buf); and 2^32 bytes or more in all
 * (-VBLK_ETOOBIG, §2.7.5.2). On success *writable_bytes is what the
 * device may write (its used.len limit, §2.7.8.3). The packed ring and
 * the indirect tables check here; vq_add checks as it fills, with
 * check_buf, and comes here, writable_bytes NULL, only for a chain it
 * will not take now: the error, or -VQ_EAGAIN if the chain is good and
 * the ring has no room (a tail call, so vq_add's fast path sets up no
 * frame for it).
 */
int vring_check_chain(bool broken, uint16_t num, const struct vring_buf *bufs, unsigned nbufs,
		      const void *token, uint32_t *writable_bytes)
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
	if (writable_bytes == NULL)   /* vq_add: a good chain, no room */
		return -VQ_EAGAIN;
	*writable_bytes = (uint32_t)writable;
	return 0;
}

/* The longest chain an indirect table of `table_entries` takes, in either
 * format: 0 unless VIRTIO_F_INDIRECT_DESC was negotiated, and never more
 * than the ring's `num` (§2.7.5.3.1, §2.8.19). */
unsigned vring_indirect_max(bool negotiated, uint16_t num, unsigned table_entries)
{
	if (!negotiated)
		return 0;
	return table_entries < num ? table_entries : num;
}

/*
 * The checks of a chain that goes into an indirect table, in either format
 * (§2.7.5.3.1, §2.8.19), in order: the chain's own (vring_check_chain),
 * the feature negotiated (-VBLK_EUNSUPP), a table given and 16-byte
 * aligned like the descriptors in it (-VBLK_EINVAL), long enough for the
 * chain (-VBLK_ETOOBIG), then a ring slot free for it (-VQ_EAGAIN).
 */
int vring_check_indirect(bool broken, uint16_t num, uint16_t num_free, bool negotiated,
			 const struct vring_buf *bufs, unsigned nbufs, const void *table,
			 unsigned table_entries, const void *token, uint32_t *writable_bytes)
{
	int err = vring_check_chain(broken, num, bufs, nbufs, token, writable_bytes);
	if (err)
		return err;
	if (!negotiated)
		return -VBLK_EUNSUPP;
	if (table == NULL || (uintptr_t)table % sizeof(struct vring_desc) != 0)
		return -VBLK_EINVAL;
	if (nbufs > table_entries)
		return -VBLK_ETOOBIG;
	return num_free == 0 ? -VQ_EAGAIN : 0;
}

static size_t used_offset(uint16_t num)
{
	return VRING_ALIGN_UP(sizeof(struct vring_desc) * num +
			      sizeof(struct vring_avail) + sizeof(uint16_t) * ((size_t)num + 1));
}

size_t vring_mem_bytes(uint16_t num)
{
	return VRING_MEM_BYTES((size_t)num);
}

/*
 * Lay the three parts out in `mem` (VRING_ALIGN_BYTES-aligned) and put every
 * descriptor on the free list. The memory is zeroed: the used ring must
 * start with flags 0 and idx 0 (virtio 1.2 §2.7.10.1), whatever the
 * previous user left there.
 */
int vq_init(struct virtqueue *vq, void *mem, size_t mem_bytes, uint16_t num, bool event_idx)
{
	if (num < 2 || num > VBLK_QUEUE_SIZE || (num & (num - 1)) != 0)
		return -VBLK_EINVAL;
	if ((uintptr_t)mem % VRING_ALIGN_BYTES != 0 || mem_bytes < vring_mem_bytes(num))
		return -VBLK_EINVAL;

	memset(mem, 0, vring_mem_bytes(num));
	uint8_t *base = mem;
	*vq = (struct virtqueue){
		.desc = (struct vring_desc *)base,
		.avail = (struct vring_avail *)(base + sizeof(struct vring_desc) * num),
		.used = (struct vring_used *)(base + used_offset(num)),
		.num = num,
		.num_free = num,
		.event_idx = event_idx,
	};
	vq->used_event = &vq->avail->ring[num];
	/* After the used ring's last entry, as an offset in `base` like the
	 * parts above: a cast of &used->ring[num] would pun the entry's type
	 * (-Wstrict-aliasing=1 and =2 say so). */
	vq->avail_event = (uint16_t *)(base + used_offset(num) + sizeof(struct vring_used) +
					sizeof(struct vring_used_elem) * num);
	for (uint16_t i = 0; i < num; i++)
		vq->next[i] = (uint16_t)(i + 1);
	for (unsigned f = 0; f < VQ_FRAMES; f++)
		vq->frame[f].head = VQ_NO_DESC;
	plat_dma_clean(mem, vring_mem_bytes(num));
	return 0;
}

/*
 * Put one chain of `nbufs` buffers in the ring, remembered by `token`. The
 * device cannot see it until vq_publish(). Returns 0; -VQ_EAGAIN when
 * there are not enough free descriptors (nothing is changed: try again after
 * harvesting); the errors of vring_check_chain, among them
 * -VBLK_ETOOBIG when the chain could never fit.
 */
int vq_add(struct virtqueue *vq, const struct vring_buf *bufs, unsigned nbufs, void *token)
{
	uint64_t total_bytes = 0, writable_bytes = 0;

	/* A request the ring will not take now (broken, malformed, too long,
	 * or no room): vring_check_chain says which error is first, or, with
	 * no writable_bytes to fill (NULL), -VQ_EAGAIN for a good chain. */
	if (vq->broken || nbufs == 0 || bufs == NULL || token == NULL || nbufs > vq->num_free)
		return vring_check_chain(vq->broken, vq->num, bufs, nbufs, token, NULL);
	/* Parked frames taken apart for room change only private state:
	 * a refusal below still leaves nothing the device can see. */
	if (nbufs > vq_free_listed(vq))
		vq_unpark(vq, nbufs, VQ_FRAMES);

	/* Check each buffer as its descriptor is filled: one pass over the
	 * chain. A bad buffer leaves early with free_head untouched, so the
	 * descriptors written so far are still free and nothing the device
	 * can see has changed. Descriptors come off the free list through
	 * our private links (`next`), each linked to the one after it
	 * (§2.7.5); the last one ends the chain. */
	struct vring_desc *desc = vq->desc;
	const uint16_t *links = vq->next;
	uint16_t head = vq->free_head, tail = head;
	const struct vring_buf *buf = bufs, *last = bufs + nbufs - 1;
	for (; buf != last; buf++) {
		int err = check_buf(buf, &total_bytes, &writable_bytes);
		if (err)
			return err;
		uint16_t next = links[tail];
		desc[tail] = (struct vring_desc){
			buf->addr, buf->len_bytes,
			(uint16_t)(VRING_DESC_F_NEXT | (buf->device_writes ? VRING_DESC_F_WRITE : 0)),
			next,
		};
		tail = next;
	}
	int err = check_buf(buf, &total_bytes, &writable_bytes);
	if (err)
		return err;
	desc[tail] = (struct vring_desc){
		buf->addr, buf->len_bytes, buf->device_writes ? VRING_DESC_F_WRITE : 0, 0,
	};
	if (total_bytes > UINT32_MAX)
		return -VBLK_ETOOBIG;
	vq->free_head = links[tail];
	vq->num_free = (uint16_t)(vq->num_free - nbufs);

	/* Remember the chain and offer its head in the next avail slot. The
	 * slot we overwrite held entry avail_idx - num, which the device
	 * consumed long ago: fewer than num chains can be in flight. The idx
	 * itself wraps at 2^16, never at num (§2.7.13.3). */
	vq->chain[head] = (struct vq_chain){ token, (uint16_t)nbufs, tail, (uint32_t)writable_bytes };
	vq->avail->ring[vq->avail_idx++ & (vq->num - 1)] = head;
	vq->in_flight++;
	VQ_TRACE_CHAIN(vq, head, NULL);
	return 0;
}

/*
 * vq_add() for a chain of frame `frame` (the caller's number, below
 * VQ_FRAMES): bufs[0] and bufs[nbufs - 1] must be the same buffers, in
 * the same direction, as in the frame's last chain since vq_init(), for
 * they are written only when the frame is linked. The returns are
 * vq_add()'s, and -VBLK_EINVAL if the frame's last chain is still in
 * flight. A chain that cannot have a frame (one buffer, a frame number
 * beyond VQ_FRAMES, a ring of fewer than three descriptors) goes through
 * vq_add() as it is.
 *
 * The path of a block read or write: three buffers and the frame parked,
 * so one descriptor to write. Anything else, the frame's first chain
 * included, and any error, is vq_add_framed_any's (vring/split_frame.c).
 */
int vq_add_framed(struct virtqueue *vq, unsigned frame, const struct vring_buf *bufs,
		  unsigned nbufs, void *token)
{
	if (nbufs != 3 || frame >= VQ_FRAMES || bufs == NULL || token == NULL || vq->broken)
		return vq_add_framed_any(vq, frame, bufs, nbufs, token);
	struct vq_frame *fr = &vq->frame[frame];
	uint16_t head = fr->head, mid = fr->mid, tail = fr->tail;
	if (head == VQ_NO_DESC || vq->chain[head].token != NULL)
		return vq_add_framed_any(vq, frame, bufs, nbufs, token);

	/* A linked frame's head is readable and its tail writable
	 * (vq_add_framed_any), so a middle buffer of either direction keeps
	 * the order of §2.7.4.2; it must not be empty, and the chain must
	 * stay below 2^32 bytes (§2.7.5.2). */
	const struct vring_buf *buf = &bufs[1];
	uint64_t total_bytes = (uint64_t)bufs[0].len_bytes + buf->len_bytes + bufs[2].len_bytes;
	if (buf->len_bytes == 0 || total_bytes > UINT32_MAX)
		return vq_add_framed_any(vq, frame, bufs, nbufs, token);
	uint32_t writable_bytes = bufs[2].len_bytes + (buf->device_writes ? buf->len_bytes : 0);

	/* A parked frame is linked head -> mid -> tail (vq_reframe), and its
	 * three descriptors are counted in num_free. */
	uint16_t flags = buf->device_writes ? VRING_DESC_F_NEXT | VRING_DESC_F_WRITE
					    : VRING_DESC_F_NEXT;
	vq->desc[mid] = (struct vring_desc){ buf->addr, buf->len_bytes, flags, tail };
	vq->num_parked = (uint16_t)(vq->num_parked - 3);
	vq->num_free = (uint16_t)(vq->num_free - 3);
	vq->chain[head] = (struct vq_chain){ token, 3, mid, writable_bytes };
	vq->avail->ring[vq->avail_idx++ & (vq->num - 1)] = head;
	vq->in_flight++;
	VQ_TRACE_CHAIN(vq, head, NULL);
	return 0;
}

/*
 * Make every chain added since the last call visible to the device with one
 * avail.idx store. Returns whether the device wants a notification; the
 * caller then writes QueueNotify.
 */
bool vq_publish(struct virtqueue *vq)
{
	uint16_t old_idx = vq->published_idx, new_idx = vq->avail_idx;

	if (vq->broken || old_idx == new_idx)
		return false;
	/* The descriptor table and the available ring, up to used_event:
	 * what the driver writes and the device reads. */
	plat_dma_clean(vq->desc, (size_t)((uint8_t *)(vq->used_event + 1) - (uint8_t *)vq->desc));
	/* §2.7.13.3.1: descriptors and ring entries must be visible before
	 * the index that exposes them. */
	plat_wmb();
	/* plat_dma_store16 written out: no helper on every request's walk
	 * (docs/design.md, "One read, counted"). */
	*(volatile uint16_t *)&vq->avail->idx = new_idx;
	plat_dma_clean(&vq->avail->idx, sizeof(vq->avail->idx));
	vq->published_idx = new_idx;
	VQ_TRACE_PUBLISHED(old_idx, new_idx);
	/* §2.7.13.4.1: the idx store must be visible before we read the
	 * device's suppression state, or we could both decide "no
	 * notification needed" and the device would sleep on our chain. */
	plat_mb();
	if (!vq->event_idx)
		return !(plat_dma_load16(&vq->used->flags) & VRING_USED_F_NO_NOTIFY);
	/* §2.7.10: with EVENT_IDX the device asks to be notified once
	 * avail.idx passes avail_event, i.e. when avail_event lies in
	 * [old_idx, new_idx), counted modulo 2^16. */
	plat_dma_invalidate(vq->avail_event, sizeof(*vq->avail_event));
	uint16_t event = *(const volatile uint16_t *)vq->avail_event;   /* plat_dma_load16, written out */
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

bool vq_has_used(const struct virtqueue *vq)
{
	return !vq->broken && plat_dma_load16(&vq->used->idx) != vq->last_used_idx;
}

void vq_set_broken(struct virtqueue *vq, const char *reason)
{
	if (!vq->broken) {
		vq->broken = true;
		vq->broken_reason = reason;
	}
}

/*
 * The device is done with chain `head`: its descriptors go back on the
 * free list through our private links (the device could have rewritten
 * the shared table). A frame's own three stay linked, parked for the
 * frame's next chain (vring/split_frame.c); only the free descriptors its
 * middle took go back. Returns 1, one chain, so that a harvest ends in
 * this call.
 */
static int release_chain(struct virtqueue *vq, uint16_t head, struct vq_chain *chain)
{
	vq->in_flight--;
	chain->token = NULL;
	if (vq->frame_at[head] == 0) {
		vq->next[chain->last_desc] = vq->free_head;
		vq->free_head = head;
		vq->num_free = (uint16_t)(vq->num_free + chain->ndescs);
		return 1;
	}
	/* A frame parks: its three descriptors stay linked. */
	vq->num_parked = (uint16_t)(vq->num_parked + 3);
	vq->num_free = (uint16_t)(vq->num_free + 3);
	if (chain->ndescs != 3)
		vq_reframe(vq, head, chain);
	return 1;
}

/* The used entry checked: hand over the chain (its token, the device's
 * len) and give its descriptors back. */
static int take_used(struct virtqueue *vq, uint32_t id, uint32_t len, void **token,
		     uint32_t *used_len)
{
	struct vq_chain *chain = &vq->chain[id];

	*used_len = len;
	*token = chain->token;
	VQ_TRACE_USED(vq->last_used_idx, id, len);
	vq->last_used_idx++;
	return release_chain(vq, (uint16_t)id, chain);   /* 1: one chain */
}

/*
 * vq_harvest's last check while chains added since the last vq_publish
 * wait in the avail ring past published_idx, not shown to the device: the
 * used ring may not count them (`ready` entries, at most the chains
 * published) nor name one. A harvest runs between an add and its publish
 * only when a callback polls, so this is out of line, off the harvest's
 * usual path.
 */
__attribute__((noinline, cold)) static int take_used_beside_unpublished(struct virtqueue *vq,
								  uint16_t ready, uint32_t id,
								  uint32_t len, void **token,
								  uint32_t *used_len)
{
	uint16_t unpublished = (uint16_t)(vq->avail_idx - vq->published_idx);
	bool invented = ready > vq->in_flight - unpublished;

	for (uint16_t pos = vq->published_idx; pos != vq->avail_idx && !invented; pos++)
		invented = vq->avail->ring[pos & (vq->num - 1)] == id;
	if (invented) {
		vq_set_broken(vq, "used entry counts or names a chain not yet published");
		return -VBLK_EBROKEN;
	}
	return take_used(vq, id, len, token, used_len);
}

/*
 * Take one completed chain from the used ring. Returns 1 with its token and
 * the device's used.len, 0 if none is ready, or -VBLK_EBROKEN if the device
 * wrote something impossible (the queue is then broken).
 */
int vq_harvest(struct virtqueue *vq, void **token, uint32_t *used_len)
{
	if (vq->broken)
		return -VBLK_EBROKEN;

	/* used.idx, read once as plat_dma_load16 does, written out: no
	 * helper on every request's walk (docs/design.md, "One read,
	 * counted"). */
	plat_dma_invalidate(&vq->used->idx, sizeof(vq->used->idx));
	uint16_t ready = (uint16_t)(*(const volatile uint16_t *)&vq->used->idx - vq->last_used_idx);
	if (ready == 0)
		return 0;
	/* The device can only complete chains we gave it (and, below, not
	 * those added since the last vq_publish). */
	if (ready > vq->in_flight) {
		vq_set_broken(vq, "used idx ran past the chains in flight");
		return -VBLK_EBROKEN;
	}
	/* §2.7.14 (and Linux's virtio_rmb): read used.idx before the entry
	 * it covers, or we could read a stale entry. */
	plat_rmb();

	/* Each field is read once (volatile), then checked and used as read:
	 * the device cannot change a value between its check and its use. */
	const volatile struct vring_used_elem *elem =
		&vq->used->ring[vq->last_used_idx & (vq->num - 1)];
	plat_dma_invalidate((const void *)elem, sizeof(*elem));
	uint32_t id = elem->id, len = elem->len;
	if (id >= vq->num) {
		vq_set_broken(vq, "used id out of range");
		return -VBLK_EBROKEN;
	}
	struct vq_chain *chain = &vq->chain[id];
	if (chain->token == NULL) {
		vq_set_broken(vq, "used id is not a chain in flight");
		return -VBLK_EBROKEN;
	}
	/* §2.7.8.3: the device reports how much it wrote; more than the
	 * writable buffers hold is impossible. */
	if (len > chain->writable_bytes) {
		vq_set_broken(vq, "used len larger than the chain's writable buffers");
		return -VBLK_EBROKEN;
	}
	if (vq->avail_idx != vq->published_idx)
		return take_used_beside_unpublished(vq, ready, id, len, token, used_len);
	return take_used(vq, id, len, token, used_len);
}

/*
 * Ask the device not to interrupt after used buffers (a hint only,
 * §2.7.7). Without EVENT_IDX that is the avail flag. With EVENT_IDX the
 * flag must stay 0 (§2.7.7.1), so used_event goes as far back as it can:
 * one behind the entries we have harvested. The device interrupts when
 * used.idx moves past used_event (§2.7.7.2), and it already has, so it
 * would have to go round all 2^16 indices to do it again.
 */
void vq_disable_interrupts(struct virtqueue *vq)
{
	if (vq->event_idx)
		plat_dma_store16(vq->used_event, (uint16_t)(vq->last_used_idx - 1));
	else
		plat_dma_store16(&vq->avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
}

/*
 * Ask for an interrupt at the next used buffer. Returns true if used
 * buffers are already waiting: they may have arrived before the device saw
 * the request, so the caller must harvest instead of sleeping.
 */
bool vq_enable_interrupts(struct virtqueue *vq)
{
	if (vq->event_idx)
		plat_dma_store16(vq->used_event, vq->last_used_idx);
	else
		plat_dma_store16(&vq->avail->flags, 0);
	/* The request store must be visible before we re-read used.idx. */
	plat_mb();
	return vq_has_used(vq);
}

/*
 * After a device reset: hand back the token of one chain still in flight
 * (NULL when none is left) and free its descriptors. Only valid once the
 * device has stopped using the ring (virtio 1.2 §3.3.1).
 */
void *vq_detach(struct virtqueue *vq)
{
	for (uint16_t head = 0; head < vq->num; head++) {
		struct vq_chain *chain = &vq->chain[head];
		void *token = chain->token;
		if (token == NULL)
			continue;
		/* The reset may not have completed (a held disk, whose device
		 * may still read the table): a frame's chain is not parked,
		 * which would rewrite links in the table, but goes back whole
		 * through the private links (vq_init links it again). */
		if (vq->frame_at[head] != 0) {
			vq_drop_frame(vq, head, chain);
			vq->in_flight--;
			chain->token = NULL;
		} else {
			release_chain(vq, head, chain);
		}
		return token;
	}
	return NULL;
}
