/* SPDX-License-Identifier: MIT */
/*
 * Packed virtqueue, driver side (virtio 1.2 §2.8). See packed.h for the
 * picture; the comments here say which rule each step keeps (the PK- IDs
 * are rows of docs/conformance.md, which says where each is kept and
 * tested).
 */
#include "vring/packed.h"
#include "vring/chain.h"

#include <string.h>

#include "plat/platform.h"
#include "vring/describe.h"
#include "vblk/error.h"

/* The head's flags and the used flags are what the other side polls:
 * each is read and written with plat_dma_load16 and plat_dma_store16
 * (plat/platform.h): one 16-bit access, cleaned or invalidated where DMA
 * is not coherent. */
/* Both of a slot's lap bits (§2.8.1): a used slot of lap 1 has them
 * both, one of lap 0 neither; an available slot has one of them. */
#define LAP_BITS ((uint16_t)(VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED))

/* The flags that make a slot available in the driver's lap `wrap`
 * (§2.8.1, PK-5): AVAIL = the wrap counter, USED = its inverse. */
static uint16_t avail_flags(bool wrap)
{
	return wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED;
}

/* The flags of a slot the device used in lap `wrap` (§2.8.1, PK-6:
 * AVAIL = USED = the wrap counter). */
static uint16_t used_flags(bool wrap)
{
	return wrap ? LAP_BITS : 0;
}

/* The slot `n` (at most num) after `slot`, flipping `wrap` if that
 * passes the last one (PK-4). */
static uint16_t slots_after(const struct vq_packed *vq, uint16_t slot, uint16_t n, bool *wrap)
{
	uint32_t next = (uint32_t)slot + n;

	if (next >= vq->num) {
		next -= vq->num;
		*wrap = !*wrap;
	}
	return (uint16_t)next;
}

/* The slot after `slot`. */
static uint16_t next_slot(const struct vq_packed *vq, uint16_t slot, bool *wrap)
{
	return slots_after(vq, slot, 1, wrap);
}

/*
 * Lay the ring and the two event areas out in `mem` (16-byte aligned,
 * PK-1) and zero them all (PK-3: a stale flags word with AVAIL != USED
 * would look available to the device). Both wrap counters start at 1
 * (§2.8.1). Unlike the split ring, `num` need not be a power of 2 (PK-2).
 */
int vqp_init(struct vq_packed *vq, void *mem, size_t mem_bytes, uint16_t num, bool event_idx)
{
	if (num < 2 || num > VBLK_QUEUE_SIZE)
		return -VBLK_EINVAL;
	if (mem == NULL || (uintptr_t)mem % sizeof(struct vring_packed_desc) != 0 ||
	    mem_bytes < VRING_PACKED_MEM_BYTES((size_t)num))
		return -VBLK_EINVAL;

	memset(mem, 0, VRING_PACKED_MEM_BYTES((size_t)num));
	uint8_t *base = mem;
	*vq = (struct vq_packed){
		.desc = (struct vring_packed_desc *)base,
		.driver = (struct vring_packed_event *)(base + sizeof(struct vring_packed_desc) * num),
		.num = num,
		.add_end = num,
		.num_free = num,
		.avail_wrap = true,
		.used_wrap = true,
		.avail_flags = avail_flags(true),
		.used_flags = used_flags(true),
		.event_idx = event_idx,
		.batch_ids = VQP_NO_ID,
	};
	vq->device = vq->driver + 1;
	plat_dma_clean(mem, VRING_PACKED_MEM_BYTES((size_t)num));
	return 0;
}

void vqp_use_indirect(struct vq_packed *vq, bool negotiated)
{
	vq->indirect = negotiated;
}

void vqp_set_broken(struct vq_packed *vq, const char *reason)
{
	if (!vq->broken) {
		vq->broken = true;
		vq->broken_reason = reason;
		/* What the hot paths test instead of `broken`: vqp_add's
		 * straight path takes no chain (add_end), and the batch
		 * held back is closed unexposed, as vqp_publish would have
		 * left it (no add opens another: every add checks broken). */
		vq->add_end = 0;
		vq->batch_head_flags = 0;
	}
}

/*
 * The buffer ID of a chain starting at slot `head` (PK-18: below num,
 * unique among those in flight): the head slot itself, unless a chain in
 * flight holds that ID. That happens after an out-of-order completion:
 * the used position moves on by the slots of whichever chain the device
 * finished, so the driver may come round to the head slot of a chain the
 * device still holds. Then the first ID not in flight after it: there is
 * one, since every chain in flight takes a slot at least and the caller
 * has checked that one is free. An ID is in flight exactly while its
 * chain's token is set (remember_chain, take_used, vqp_detach), so no
 * pool is kept.
 */
__attribute__((noinline, cold)) static uint16_t free_id_after(const struct vq_packed *vq,
							      uint16_t head)
{
	uint16_t id = head;

	do {
		if (++id == vq->num)
			id = 0;
	} while (vq->chain[id].token != NULL);
	return id;
}

static uint16_t take_id(const struct vq_packed *vq, uint16_t head)
{
	return vq->chain[head].token == NULL ? head : free_id_after(vq, head);
}

/*
 * Make the chain starting at `head` available, or hold it for
 * vqp_publish if it opens a batch: the device reads slots in order and
 * stops at the first that is not available, so holding the batch's first
 * head keeps the whole batch from it, and the chains after it can be
 * exposed at once.
 */
static void expose_head(struct vq_packed *vq, uint16_t head, uint16_t head_flags)
{
	if (vq->batch_head_flags == 0) {   /* no batch open */
		vq->batch_head = head;
		vq->batch_head_flags = head_flags;
	} else {
		/* §2.8.21.1 (PK-15, PK-31): the other descriptors of the chain
		 * must be visible before its head's flags. */
		plat_wmb();
		plat_dma_store16(&vq->desc[head].flags, head_flags);
	}
}

static void remember_chain(struct vq_packed *vq, uint16_t id, uint16_t nslots,
			   uint32_t writable_bytes, void *token)
{
	vq->chain[id] = (struct vqp_chain){
		.token = token, .nslots = nslots, .writable_bytes = writable_bytes,
	};
	vq->counts += VQP_COUNTS(-(uint32_t)nslots, 1u);   /* num_free -= nslots, in_flight++ */
	vq->batch_next[id] = vq->batch_ids;   /* held back until vqp_publish */
	vq->batch_ids = id;
}

/*
 * A chain refused after its fill began (vqp_add): the slots after its
 * head got their flags, which read as available in this lap (the head's
 * never did). They go back to what a slot the device used a lap ago
 * holds, AVAIL = USED = the inverse of the slot's wrap counter, which
 * neither side takes as new (PK-5, PK-6): otherwise a shorter chain added
 * at the same head later would leave one of them looking available right
 * after it. Then vring_check_chain (vring/chain.h) says which error it
 * is, in its order, as it did before any slot was written.
 */
static int refuse_chain(struct vq_packed *vq, unsigned filled, const struct vring_buf *bufs,
			unsigned nbufs, const void *token)
{
	bool wrap = vq->avail_wrap;
	uint16_t slot = vq->next_avail;

	for (unsigned i = 1; i < filled; i++) {
		slot = next_slot(vq, slot, &wrap);
		plat_dma_store16(&vq->desc[slot].flags, used_flags(!wrap));
	}
	return vring_check_chain(vq->broken, vq->num, bufs, nbufs, token, NULL);
}

/* The CPU's copy of slots [first, first + n) to memory (they may run past
 * the ring's end), for a device that does not snoop caches; nothing where
 * DMA is coherent. */
static void clean_slots(const struct vq_packed *vq, uint16_t first, uint16_t n)
{
	uint16_t to_end = (uint16_t)(vq->num - first);

	if (n <= to_end) {
		plat_dma_clean(&vq->desc[first], sizeof(*vq->desc) * n);
	} else {
		plat_dma_clean(&vq->desc[first], sizeof(*vq->desc) * to_end);
		plat_dma_clean(&vq->desc[0], sizeof(*vq->desc) * (uint16_t)(n - to_end));
	}
}

/*
 * Put one chain of `nbufs` buffers in consecutive slots (wrapping at the
 * ring's end, PK-16), each carrying the buffer ID (PK-17: QEMU 7.2 reads
 * it from the head, the spec from the tail, so every slot has it). The
 * device cannot see it until vqp_publish(). Returns 0; -VQ_EAGAIN when
 * there are not enough free slots (PK-14: nothing is exposed, try again
 * after harvesting); the errors of vring_check_chain (vring/chain.h).
 */
int vqp_add_chain(struct vq_packed *vq, const struct vring_buf *bufs, unsigned nbufs, void *token)
{
	uint64_t readable_bytes = 0, writable_bytes = 0;

	/* A request the ring will not take now (broken, malformed, too long,
	 * or no room): vring_check_chain says which error is first. No
	 * buffers, or more than the free slots, is one unsigned test:
	 * nbufs - 1 wraps to UINT_MAX for 0. With a slot free an ID is free
	 * too: there are as many IDs as slots, and every chain in flight
	 * holds one of each at least. */
	if (vq->broken || bufs == NULL || token == NULL || nbufs - 1u >= vq->num_free)
		return vring_check_chain(vq->broken, vq->num, bufs, nbufs, token, NULL);

	/* Check each buffer as its slot is filled (the rules of
	 * vring/chain.h: none empty, no readable one after a writable one,
	 * fewer than 2^32 bytes in all): one pass over the chain. The
	 * lap's AVAIL/USED bits are worked out once and flipped if the chain
	 * passes the ring's end (PK-4, PK-5). The head's flags are held back
	 * (expose_head); a refused chain undoes the others (refuse_chain). */
	struct vring_packed_desc *desc = &vq->desc[vq->next_avail];
	const struct vring_packed_desc *ring_end = vq->desc + vq->num;
	uint16_t id = take_id(vq, vq->next_avail), lap_flags = vq->avail_flags;
	const struct vring_buf *buf = bufs;

	uint32_t len = buf->len_bytes;
	if (len == 0)
		return refuse_chain(vq, 0, bufs, nbufs, token);
	uint16_t head_flags = (uint16_t)(lap_flags | (nbufs > 1 ? VRING_DESC_F_NEXT : 0));
	if (buf->device_writes) {
		writable_bytes = len;
		head_flags |= VRING_DESC_F_WRITE;
	} else {
		readable_bytes = len;
	}
	desc->addr = buf->addr;   /* its flags are stored last: expose_head */
	desc->len = len;
	desc->id = id;
	for (unsigned left = nbufs - 1; left != 0; left--) {   /* buffers after the head */
		buf++;
		if (++desc == ring_end) {
			desc = vq->desc;
			lap_flags ^= LAP_BITS;
		}
		len = buf->len_bytes;
		if (len == 0)
			return refuse_chain(vq, nbufs - left, bufs, nbufs, token);
		uint16_t flags = (uint16_t)(lap_flags | VRING_DESC_F_NEXT);   /* the tail's: below */
		if (buf->device_writes) {
			writable_bytes += len;
			flags |= VRING_DESC_F_WRITE;
		} else if (writable_bytes != 0) {
			return refuse_chain(vq, nbufs - left, bufs, nbufs, token);
		} else {
			readable_bytes += len;
		}
		*desc = (struct vring_packed_desc){ buf->addr, len, id, flags };
	}
	if (readable_bytes + writable_bytes > UINT32_MAX)
		return refuse_chain(vq, nbufs, bufs, nbufs, token);
	if (nbufs > 1)
		desc->flags &= (uint16_t)~VRING_DESC_F_NEXT;   /* the tail ends the chain */
	if (++desc == ring_end) {
		desc = vq->desc;
		lap_flags ^= LAP_BITS;
	}

	uint16_t head = vq->next_avail;
	clean_slots(vq, head, (uint16_t)nbufs);
	vq->next_avail = (uint16_t)(desc - vq->desc);
	vq->avail_flags = lap_flags;
	vq->avail_wrap = lap_flags & VRING_PACKED_DESC_F_AVAIL;
	remember_chain(vq, id, (uint16_t)nbufs, (uint32_t)writable_bytes, token);
	expose_head(vq, head, head_flags);
	VQP_TRACE_CHAIN(vq, head, nbufs, NULL);
	return 0;
}

/* 16 bytes moved as one value (in one vector register where the target
 * has them), whatever the type of the memory they are in (may_alias). */
typedef uint64_t vqp_bytes16 __attribute__((vector_size(16), aligned(8), may_alias));

_Static_assert(sizeof(struct vring_buf) == sizeof(struct vring_packed_desc) &&
		       offsetof(struct vring_buf, addr) == offsetof(struct vring_packed_desc, addr) &&
		       offsetof(struct vring_buf, len_bytes) == offsetof(struct vring_packed_desc, len),
	       "vring_buf_is_a_desc: a buffer's address and length lie as a descriptor's");

/*
 * vqp_add's straight path once the chain's checks have passed (three
 * buffers, slots head..head + 2 before the ring's end, the head slot's ID
 * free): fill the slots and remember the chain. A function of its own,
 * entered by a tail call, so that neither half keeps more values live
 * than x86-64 has registers a call may clobber (six callee-saved ones
 * saved and restored cost 12 instructions): the lengths vqp_add checked
 * are read again here rather than kept live across the fill, and the
 * chain is remembered before the fill so that its values die early.
 */
__attribute__((noinline)) static int add_three(struct vq_packed *vq, const struct vring_buf *bufs,
					       uint16_t head, void *token)
{
	const struct vring_buf *hdr = &bufs[0], *mid = &bufs[1], *status = &bufs[2];
	uint16_t id = head;   /* take_id's usual answer */
	/* The chain remembered first, so that its values are done with
	 * before the fill. */
	bool mid_writes = mid->device_writes;
	uint32_t writable_bytes = status->len_bytes + (mid_writes ? mid->len_bytes : 0);
	remember_chain(vq, id, 3, writable_bytes, token);
	uint16_t lap_flags = vq->avail_flags;
	uint16_t mid_flags = (uint16_t)(lap_flags | VRING_DESC_F_NEXT |
					(mid_writes ? VRING_DESC_F_WRITE : 0));
	struct vring_packed_desc *desc = &vq->desc[head];
	desc[0].addr = hdr->addr;   /* its flags are stored last: expose_head */
	desc[0].len = hdr->len_bytes;
	desc[0].id = id;
	/* The slots after the head copied whole from their buffers, whose
	 * first 12 bytes are laid out as a descriptor's (address, length;
	 * vring_buf_is_a_desc above), then given their ID and flags: the
	 * bytes the copy puts in those two fields for a moment are never
	 * read, as the device reads these slots only after the head, which
	 * is not yet available. */
	*(vqp_bytes16 *)&desc[1] = *(const vqp_bytes16 *)mid;
	desc[1].id = id;
	desc[1].flags = mid_flags;
	*(vqp_bytes16 *)&desc[2] = *(const vqp_bytes16 *)status;
	desc[2].id = id;
	desc[2].flags = (uint16_t)(lap_flags | VRING_DESC_F_WRITE);
	clean_slots(vq, head, 3);
	vq->next_avail = (uint16_t)(head + 3u);
	if (vq->next_avail == vq->num) {   /* the next chain starts a lap */
		vq->next_avail = 0;
		vq->avail_flags = (uint16_t)(lap_flags ^ LAP_BITS);
		vq->avail_wrap = !vq->avail_wrap;
	}
	expose_head(vq, head, (uint16_t)(lap_flags | VRING_DESC_F_NEXT));
	VQP_TRACE_CHAIN(vq, head, 3, NULL);
	return 0;
}

/*
 * Put one chain in the ring (vqp_add_chain's contract). A block
 * request's chain takes the straight path (add_three): three buffers, a
 * readable head and a writable tail (header, data, status), in three
 * slots before the ring's end. With the head readable and the tail
 * writable the middle keeps the order of §2.8.17 whichever way it goes,
 * so the chain's rules are: no buffer empty, fewer than 2^32 bytes. Any
 * other chain, and every refusal, goes to vqp_add_chain's loop, which
 * checks it again and gives the error in its order; nothing is written
 * before the straight path has decided to take the chain. So does a
 * chain whose head slot's ID is still in flight (take_id).
 */
int vqp_add(struct vq_packed *vq, const struct vring_buf *bufs, unsigned nbufs, void *token)
{
	/* A broken queue's add_end is 0: its chains go to vqp_add_chain.
	 * The NULL token is a test of its own: GCC would merge it with the
	 * NULL bufs into two setcc and an or, one instruction more. */
	if (nbufs != 3 || vq->num_free < 3 || bufs == NULL)
		return vqp_add_chain(vq, bufs, nbufs, token);
	if (token == NULL)
		return vqp_add_chain(vq, bufs, nbufs, token);
	uint16_t head = vq->next_avail;
	/* No buffer empty and fewer than 2^32 bytes in all, as one test:
	 * each length less one, as 32 bits (an empty buffer's is
	 * 2^32 - 1), summed in 64 bits, is at most 2^32 - 4 exactly when
	 * none is empty and the three sum to less than 2^32; plus 3, it
	 * then fits in 32 bits. The head readable and the tail writable:
	 * hdr < status as bools. */
	if (head + 3u > vq->add_end || vq->chain[head].token != NULL ||
	    bufs[0].device_writes >= bufs[2].device_writes ||
	    ((uint64_t)(uint32_t)(bufs[0].len_bytes - 1u) + (uint32_t)(bufs[1].len_bytes - 1u) +
	     (uint32_t)(bufs[2].len_bytes - 1u) + 3u) >> 32 != 0)
		return vqp_add_chain(vq, bufs, nbufs, token);
	return add_three(vq, bufs, head, token);
}

/*
 * One chain as an indirect table (§2.8.19): the buffers go into `table`
 * as packed descriptors with WRITE as their only flag (PK-23), and one
 * ring slot points at it with INDIRECT, no NEXT (PK-25) and no WRITE
 * (PK-26). Only after VIRTIO_F_INDIRECT_DESC was negotiated (PK-22).
 * Returns as vqp_add; -VBLK_EUNSUPP without the feature, -VBLK_ETOOBIG
 * for a chain longer than the table, -VBLK_EINVAL for a NULL or
 * misaligned table.
 */
/* vring_check_indirect checks a table's alignment by the split ring's
 * descriptor: both are 16 bytes (§2.7.5, §2.8.13). */
_Static_assert(sizeof(struct vring_packed_desc) == sizeof(struct vring_desc),
	       "a packed descriptor is as long as a split one");

int vqp_add_indirect(struct vq_packed *vq, const struct vring_buf *bufs, unsigned nbufs,
		     struct vring_packed_desc *table, unsigned table_entries, void *token)
{
	uint32_t writable_bytes;

	int err = vring_check_indirect(vq->broken, vq->num, vq->num_free, vq->indirect, bufs, nbufs,
				       table, table_entries, token, &writable_bytes);
	if (err)
		return err;

	for (unsigned i = 0; i < nbufs; i++)
		table[i] = (struct vring_packed_desc){
			.addr = bufs[i].addr, .len = bufs[i].len_bytes, .id = 0,
			.flags = bufs[i].device_writes ? VRING_DESC_F_WRITE : 0,
		};
	plat_dma_clean(table, sizeof(*table) * nbufs);

	uint16_t head = vq->next_avail, id = take_id(vq, head);
	struct vring_packed_desc *desc = &vq->desc[head];
	desc->addr = plat_virt_to_phys(table);
	desc->len = (uint32_t)(sizeof(*table) * nbufs);   /* PK-24 */
	desc->id = id;
	plat_dma_clean(desc, sizeof(*desc));
	uint16_t head_flags = (uint16_t)(vq->avail_flags | VRING_DESC_F_INDIRECT);
	vq->next_avail = next_slot(vq, head, &vq->avail_wrap);
	vq->avail_flags = avail_flags(vq->avail_wrap);
	remember_chain(vq, id, 1, writable_bytes, token);
	expose_head(vq, head, head_flags);
	VQP_TRACE_CHAIN(vq, head, 1, table);
	return 0;
}

/*
 * §2.8.10, PK-33: with DESC, the device wants a notification once the
 * driver makes slot `off` of lap `wrap` available. The publish exposed
 * the `exposed` slots before next_avail. As Linux does, the positions are
 * counted modulo 2^16 from the current lap: the batch's start and an
 * event in the previous lap fall below 0, and the split ring's wrap-safe
 * window test (§2.7.10) applies unchanged.
 */
static bool packed_need_event(const struct vq_packed *vq, uint16_t off_wrap, uint16_t exposed)
{
	uint16_t new_slot = vq->next_avail;
	uint16_t old_slot = (uint16_t)(new_slot - exposed);
	uint16_t event = off_wrap & (uint16_t)~VRING_PACKED_EVENT_WRAP;
	bool event_wrap = off_wrap & VRING_PACKED_EVENT_WRAP;

	if (event_wrap != vq->avail_wrap)
		event = (uint16_t)(event - vq->num);
	return (uint16_t)(new_slot - event - 1) < (uint16_t)(new_slot - old_slot);
}

/*
 * Expose the batch added since the last call by storing its first head's
 * flags, then say whether the device wants a notification (its event
 * area: ENABLE yes, DISABLE no, DESC if the slot it named was just
 * exposed). The caller writes the transport's notify register.
 */
bool vqp_publish(struct vq_packed *vq)
{
	/* No batch open, or the queue broken: vqp_set_broken closed the
	 * batch, and no add opens one on a broken queue. */
	uint16_t flags = vq->batch_head_flags;
	if (__builtin_expect(flags == 0, 0))
		return false;
	/* The batch's own fields are the driver's: read, and the batch
	 * closed, before the barrier, which orders the ring's memory. */
	uint16_t *head_flags = &vq->desc[vq->batch_head].flags;
	vq->batch_head_flags = 0;
	vq->batch_ids = VQP_NO_ID;
	/* §2.8.21.1.1 (PK-31): every descriptor of the batch before the
	 * flags that make its first head available. */
	plat_wmb();
	plat_dma_store16(head_flags, flags);

	VQP_TRACE_PUBLISHED(vqp_slots_since(vq, vq->batch_head), vq->batch_head);

	/* §2.8.21.3.1 (PK-32): the flags store before the read of the
	 * device's suppression state, or both sides could decide that no
	 * notification is needed. */
	plat_mb();
	uint16_t event_flags = plat_dma_load16(&vq->device->flags);
	if (event_flags == VRING_PACKED_EVENT_DESC && vq->event_idx)
		return packed_need_event(vq, plat_dma_load16(&vq->device->off_wrap),
					 vqp_slots_since(vq, vq->batch_head));
	return event_flags != VRING_PACKED_EVENT_DISABLE;
}

/* Is `desc`, the slot at last_used, a used descriptor of this lap
 * (§2.8.1, PK-6: AVAIL == USED == the used wrap counter)? Only that slot
 * is looked at (PK-7). Both bits are compared at once with the pair the
 * lap wants. */
static bool desc_used(const struct vq_packed *vq, const struct vring_packed_desc *desc)
{
	return (plat_dma_load16(&desc->flags) & LAP_BITS) == vq->used_flags;
}

bool vqp_has_used(const struct vq_packed *vq)
{
	return !vq->broken && vq->in_flight > 0 && desc_used(vq, &vq->desc[vq->last_used]);
}

/* The used descriptor at `slot` checked: hand over its chain (the token,
 * the device's len), move past its slots and give its ID back. */
static int take_used(struct vq_packed *vq, uint16_t slot, uint16_t id, uint32_t len,
		     void **token, uint32_t *used_len)
{
	struct vqp_chain *chain = &vq->chain[id];

	VQP_TRACE_USED(vq, id, len);
	*token = chain->token;
	*used_len = len;
	chain->token = NULL;
	/* PK-19: the next used descriptor is as many slots on as this
	 * chain took, in the device's lap (PK-4: past the end, the next
	 * lap). */
	uint16_t nslots = chain->nslots;
	uint32_t next = (uint32_t)slot + nslots;
	if (next >= vq->num) {
		next -= vq->num;
		vq->used_wrap = !vq->used_wrap;
		vq->used_flags ^= LAP_BITS;
	}
	vq->last_used = (uint16_t)next;
	vq->counts += VQP_COUNTS(nslots, -1u);   /* num_free += nslots, in_flight-- */
	return 1;
}

/*
 * vqp_harvest's last check while a batch is open: a chain of it was never
 * given to the device, so a used descriptor naming it is the device's
 * invention. (One found where a batch chain waits is caught too: the used
 * position reaches the batch only once every published chain has been
 * harvested, so its ID is the batch's or none in flight.) A harvest runs
 * between an add and its publish only when a callback polls, so this is
 * out of line, off the harvest's usual path.
 */
__attribute__((noinline, cold)) static int take_used_beside_batch(struct vq_packed *vq,
								  uint16_t slot, uint16_t id,
								  uint32_t len, void **token,
								  uint32_t *used_len)
{
	for (uint16_t held = vq->batch_ids; held < vq->num; held = vq->batch_next[held]) {
		if (held == id) {
			vqp_set_broken(vq, "used buffer ID of a chain not yet published");
			return -VBLK_EBROKEN;
		}
	}
	return take_used(vq, slot, id, len, token, used_len);
}

/*
 * Take one completed chain. Returns 1 with its token and the device's
 * len, 0 if none is ready, or -VBLK_EBROKEN if the device wrote something
 * impossible (the queue is then broken): an ID out of range or not in
 * flight (PK-20), a length beyond the chain's writable bytes.
 */
int vqp_harvest(struct vq_packed *vq, void **token, uint32_t *used_len)
{
	if (vq->broken)
		return -VBLK_EBROKEN;
	uint16_t slot = vq->last_used;
	const struct vring_packed_desc *desc = &vq->desc[slot];
	if (vq->in_flight == 0 || !desc_used(vq, desc))
		return 0;
	/* §2.8.22 (PK-34): the flags that say "used" before the id and len
	 * they cover. */
	plat_rmb();
	plat_dma_invalidate(desc, sizeof(*desc));
	uint16_t id = *(const volatile uint16_t *)&desc->id;
	uint32_t len = *(const volatile uint32_t *)&desc->len;
	if (id >= vq->num || vq->chain[id].token == NULL) {
		vqp_set_broken(vq, "used buffer ID out of range or not in flight");
		return -VBLK_EBROKEN;
	}
	/* PK-21: QEMU fills len without setting WRITE; what it may not do is
	 * report more than the chain lets it write. */
	if (len > vq->chain[id].writable_bytes) {
		vqp_set_broken(vq, "used len larger than the chain's writable buffers");
		return -VBLK_EBROKEN;
	}
	if (vq->batch_head_flags != 0)   /* a batch open */
		return take_used_beside_batch(vq, slot, id, len, token, used_len);
	return take_used(vq, slot, id, len, token, used_len);
}

/*
 * After a device reset (§3.3.1: it holds no buffer): hand back the token
 * of one chain still in flight, NULL when none is left. Its slots and its
 * ID go back to the driver as a harvest would give them, so once every
 * chain is detached the ring counts all its slots free again, as the
 * split ring does (the ring is re-initialised before it is used again).
 */
void *vqp_detach(struct vq_packed *vq)
{
	/* The reset ended the open batch too: its chains are detached
	 * below, with every other one in flight. */
	vq->batch_head_flags = 0;
	vq->batch_ids = VQP_NO_ID;
	for (uint16_t id = 0; id < vq->num; id++) {
		struct vqp_chain *chain = &vq->chain[id];
		void *token = chain->token;
		if (token != NULL) {
			chain->token = NULL;
			vq->num_free = (uint16_t)(vq->num_free + chain->nslots);
			vq->in_flight--;
			return token;
		}
	}
	return NULL;
}

/* Ask the device not to interrupt after used buffers (a hint, §2.8.10;
 * PK-28: only DISABLE or ENABLE/DESC, reserved bits zero). */
void vqp_disable_interrupts(struct vq_packed *vq)
{
	plat_dma_store16(&vq->driver->flags, VRING_PACKED_EVENT_DISABLE);
}

/*
 * Ask for an interrupt at the next used descriptor: with EVENT_IDX the
 * slot and lap it will appear at (PK-29: off_wrap, a store barrier, then
 * flags), else ENABLE. Returns true if a used descriptor waits already
 * (PK-35: it may have come before the device saw the request, so harvest
 * instead of sleeping).
 */
bool vqp_enable_interrupts(struct vq_packed *vq)
{
	if (vq->event_idx) {
		uint16_t off_wrap = (uint16_t)(vq->last_used |
					       (vq->used_wrap ? VRING_PACKED_EVENT_WRAP : 0));
		plat_dma_store16(&vq->driver->off_wrap, off_wrap);
		plat_wmb();
		plat_dma_store16(&vq->driver->flags, VRING_PACKED_EVENT_DESC);
	} else {
		plat_dma_store16(&vq->driver->flags, VRING_PACKED_EVENT_ENABLE);
	}
	/* The request before the look at the ring (§2.8.22). */
	plat_mb();
	return vqp_has_used(vq);
}
