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
 * Loads and stores of the fields the other side reads or writes
 * concurrently. `volatile` makes the compiler emit exactly one access of
 * exactly this width, so a 16-bit index is never torn or cached in a
 * register across a poll loop; the barriers below order them.
 */
static inline uint16_t load16(const uint16_t *field)
{
	return *(const volatile uint16_t *)field;
}

static inline uint32_t load32(const uint32_t *field)
{
	return *(const volatile uint32_t *)field;
}

static inline void store16(uint16_t *field, uint16_t val)
{
	*(volatile uint16_t *)field = val;
}

/*
 * The same for a single field when DMA is not coherent
 * (VBLK_NONCOHERENT_DMA): the device sees memory, not our cache, so a
 * field it reads is written back after we store it, and our copy of a
 * field it writes is dropped before we load it. Without the invalidate a
 * poll loop could read a cached used.idx forever. No-ops on coherent
 * platforms such as QEMU virt.
 */
static inline void store16_for_device(uint16_t *field, uint16_t val)
{
	store16(field, val);
	plat_dma_clean(field, sizeof(*field));
}

static inline uint16_t load16_from_device(const uint16_t *field)
{
	plat_dma_invalidate(field, sizeof(*field));
	return load16(field);
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
	vq->avail_event = (uint16_t *)&vq->used->ring[num];
	for (uint16_t i = 0; i < num; i++)
		vq->next[i] = (uint16_t)(i + 1);
	plat_dma_clean(mem, vring_mem_bytes(num));
	return 0;
}

/* One descriptor for `buf`; `more` links it to `next` (§2.7.5). */
static void fill_desc(struct vring_desc *desc, const struct vring_buf *buf, bool more,
		      uint16_t next)
{
	desc->addr = buf->addr;
	desc->len = buf->len_bytes;
	desc->flags = (uint16_t)((buf->device_writes ? VRING_DESC_F_WRITE : 0) |
				 (more ? VRING_DESC_F_NEXT : 0));
	desc->next = more ? next : 0;
}

/* Remember the chain that starts at `head` and offer it in the next avail
 * slot. Its ring descriptors are already off the free list. */
static void expose_chain(struct virtqueue *vq, uint16_t head, uint16_t ndescs, uint16_t last_desc,
			 uint32_t writable_bytes, void *token)
{
	vq->chain[head] = (struct vq_chain){
		.token = token,
		.ndescs = ndescs,
		.last_desc = last_desc,
		.writable_bytes = writable_bytes,
	};

	/* The slot we overwrite held entry avail_idx - num, which the device
	 * consumed long ago: fewer than num chains can be in flight. The idx
	 * itself wraps at 2^16, never at num (§2.7.13.1). */
	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
	vq->avail_idx++;
	vq->in_flight++;
}

/*
 * Put one chain of `nbufs` buffers in the ring, remembered by `token`. The
 * device cannot see it until vq_publish(). Returns 0; -VQ_EAGAIN when
 * there are not enough free descriptors (nothing is changed: try again after
 * harvesting); -VBLK_ETOOBIG when the chain could never fit.
 */
int vq_add(struct virtqueue *vq, const struct vring_buf *bufs, unsigned nbufs, void *token)
{
	struct chain_check check = { 0 };
	uint32_t writable_bytes;

	int err = check_request(vq->broken, vq->num, bufs, nbufs, token);
	if (err)
		return err;
	if (nbufs > vq->num_free) {
		err = check_chain(bufs, nbufs, &writable_bytes);
		return err ? err : -VQ_EAGAIN;
	}

	/* Check each buffer as its descriptor is filled: one pass over the
	 * chain on the hot path. A bad buffer leaves early with free_head
	 * untouched, so the descriptors written so far are still free and
	 * nothing the device can see has changed. The loop links each
	 * descriptor to the next; the last one, filled after it, ends the
	 * chain. */
	uint16_t head = vq->free_head, tail = head;
	const struct vring_buf *buf = bufs, *last_buf = bufs + nbufs - 1;
	for (;; buf++) {
		err = check_buf(&check, buf);
		if (err)
			return err;
		if (buf == last_buf)
			break;
		fill_desc(&vq->desc[tail], buf, true, vq->next[tail]);
		tail = vq->next[tail];
	}
	fill_desc(&vq->desc[tail], buf, false, 0);
	err = check_total(&check);
	if (err)
		return err;
	vq->free_head = vq->next[tail];
	vq->num_free = (uint16_t)(vq->num_free - nbufs);
	expose_chain(vq, head, (uint16_t)nbufs, tail, (uint32_t)check.writable_bytes, token);
	VQ_TRACE_CHAIN(vq, head, NULL);
	return 0;
}

/* Say whether VIRTIO_F_INDIRECT_DESC was negotiated (after vq_init, which
 * starts without it): §2.7.5.3.1 allows the INDIRECT flag only then. */
void vq_use_indirect(struct virtqueue *vq, bool negotiated)
{
	vq->indirect = negotiated;
}

/* The longest chain vq_add_indirect() takes with a table of
 * `table_entries` descriptors: 0 without the feature, and never more than
 * the queue size (§2.7.5.3.1). */
unsigned vq_indirect_max(const struct virtqueue *vq, unsigned table_entries)
{
	if (!vq->indirect)
		return 0;
	return table_entries < vq->num ? table_entries : vq->num;
}

/*
 * Put one chain of `nbufs` buffers in the ring as an indirect table
 * (§2.7.5.3): the buffers go into `table` (table_entries descriptors of
 * the caller's memory, 16-byte aligned like the ring's own table, §2.7),
 * and one ring descriptor points at it. Returns 0; -VQ_EAGAIN when no
 * ring descriptor is free (nothing is changed); -VBLK_ETOOBIG when the
 * chain is longer than the table or the queue; -VBLK_EUNSUPP when the
 * feature was not negotiated; -VBLK_EINVAL for a NULL or misaligned
 * table; the other errors as vq_add().
 */
int vq_add_indirect(struct virtqueue *vq, const struct vring_buf *bufs, unsigned nbufs,
		    struct vring_desc *table, unsigned table_entries, void *token)
{
	uint32_t writable_bytes;

	int err = check_add(vq->broken, vq->num, bufs, nbufs, token, &writable_bytes);
	if (err)
		return err;
	/* §2.7.5.3.1: no INDIRECT flag unless the feature was negotiated. */
	if (!vq->indirect)
		return -VBLK_EUNSUPP;
	if (table == NULL || (uintptr_t)table % sizeof(struct vring_desc) != 0)
		return -VBLK_EINVAL;
	if (nbufs > table_entries)
		return -VBLK_ETOOBIG;
	if (vq->num_free == 0)
		return -VQ_EAGAIN;

	/* §2.7.5.3: the table's own chain starts at entry 0 and follows
	 * `next`; its entries never carry INDIRECT (§2.7.5.3.1: one table
	 * per descriptor, no nesting). */
	for (unsigned i = 0; i < nbufs; i++)
		fill_desc(&table[i], &bufs[i], i + 1 < nbufs, (uint16_t)(i + 1));
	/* Driver-written memory the device reads, like the ring itself:
	 * clean it before it can be published (a no-op when coherent). */
	plat_dma_clean(table, sizeof(*table) * nbufs);

	uint16_t head = vq->free_head;
	/* §2.7.5.3.1: INDIRECT and NEXT never together; the device ignores
	 * WRITE here, so it stays clear. len is the table's size in bytes. */
	vq->desc[head] = (struct vring_desc){
		.addr = plat_virt_to_phys(table),
		.len = (uint32_t)(sizeof(*table) * nbufs),
		.flags = VRING_DESC_F_INDIRECT,
		.next = 0,
	};
	vq->free_head = vq->next[head];
	vq->num_free--;
	/* The device writes only through the table's WRITE entries, so
	 * used.len is checked against their bytes at harvest (§2.7.8.3). */
	expose_chain(vq, head, 1, head, writable_bytes, token);
	VQ_TRACE_CHAIN(vq, head, table);
	return 0;
}

/* virtio 1.2 §2.7.10: with EVENT_IDX the device asks to be notified once
 * avail.idx passes avail_event, i.e. when avail_event lies in [old, new). */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
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
	store16_for_device(&vq->avail->idx, new_idx);
	vq->published_idx = new_idx;
	VQ_TRACE_PUBLISHED(old_idx, new_idx);
	/* §2.7.13.4.1: the idx store must be visible before we read the
	 * device's suppression state, or we could both decide "no
	 * notification needed" and the device would sleep on our chain. */
	plat_mb();
	if (vq->event_idx)
		return need_event(load16_from_device(vq->avail_event), new_idx, old_idx);
	return !(load16_from_device(&vq->used->flags) & VRING_USED_F_NO_NOTIFY);
}

bool vq_has_used(const struct virtqueue *vq)
{
	return !vq->broken && load16_from_device(&vq->used->idx) != vq->last_used_idx;
}

void vq_set_broken(struct virtqueue *vq, const char *reason)
{
	if (!vq->broken) {
		vq->broken = true;
		vq->broken_reason = reason;
	}
}

/* Return a harvested chain's descriptors to the free list, using only our
 * private links: the device could have rewritten the shared table. */
static void free_chain(struct virtqueue *vq, uint16_t head)
{
	struct vq_chain *chain = &vq->chain[head];

	vq->next[chain->last_desc] = vq->free_head;
	vq->free_head = head;
	vq->num_free = (uint16_t)(vq->num_free + chain->ndescs);
	vq->in_flight--;
	chain->token = NULL;
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

	uint16_t used_idx = load16_from_device(&vq->used->idx);
	uint16_t ready = (uint16_t)(used_idx - vq->last_used_idx);
	if (ready == 0)
		return 0;
	/* The device can only complete chains we gave it. */
	if (ready > vq->in_flight) {
		vq_set_broken(vq, "used idx ran past the chains in flight");
		return -VBLK_EBROKEN;
	}
	/* §2.7.14 (and Linux's virtio_rmb): read used.idx before the entry
	 * it covers, or we could read a stale entry. */
	plat_rmb();

	const struct vring_used_elem *elem = &vq->used->ring[vq->last_used_idx & (vq->num - 1)];
	plat_dma_invalidate(elem, sizeof(*elem));
	uint32_t id = load32(&elem->id), len = load32(&elem->len);
	if (id >= vq->num) {
		vq_set_broken(vq, "used id out of range");
		return -VBLK_EBROKEN;
	}
	if (vq->chain[id].token == NULL) {
		vq_set_broken(vq, "used id is not a chain in flight");
		return -VBLK_EBROKEN;
	}
	/* §2.7.8.3: the device reports how much it wrote; more than the
	 * writable buffers hold is impossible. */
	if (len > vq->chain[id].writable_bytes) {
		vq_set_broken(vq, "used len larger than the chain's writable buffers");
		return -VBLK_EBROKEN;
	}

	*token = vq->chain[id].token;
	*used_len = len;
	VQ_TRACE_USED(vq->last_used_idx, id, len);
	free_chain(vq, (uint16_t)id);
	vq->last_used_idx++;
	return 1;
}

/*
 * Ask the device not to interrupt after used buffers (a hint only,
 * §2.7.7). Without EVENT_IDX that is the avail flag. With EVENT_IDX the
 * flag must stay 0 (§2.7.7.1), so used_event goes as far back as it can:
 * one behind the entries we have harvested. The device interrupts when
 * used.idx moves past used_event (§2.7.10), and it already has, so it
 * would have to go round all 2^16 indices to do it again.
 */
void vq_disable_interrupts(struct virtqueue *vq)
{
	if (vq->event_idx)
		store16_for_device(vq->used_event, (uint16_t)(vq->last_used_idx - 1));
	else
		store16_for_device(&vq->avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
}

/*
 * Ask for an interrupt at the next used buffer. Returns true if used
 * buffers are already waiting: they may have arrived before the device saw
 * the request, so the caller must harvest instead of sleeping.
 */
bool vq_enable_interrupts(struct virtqueue *vq)
{
	if (vq->event_idx)
		store16_for_device(vq->used_event, vq->last_used_idx);
	else
		store16_for_device(&vq->avail->flags, 0);
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
		void *token = vq->chain[head].token;
		if (token != NULL) {
			free_chain(vq, head);
			return token;
		}
	}
	return NULL;
}
