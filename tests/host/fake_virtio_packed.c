/* SPDX-License-Identifier: MIT */
/*
 * The device side of a packed virtqueue (virtio 1.2 §2.8), used instead
 * of fake_virtio_ring.c's split ring when the driver accepted
 * VIRTIO_F_RING_PACKED. The queue's three addresses then name the
 * descriptor ring, the driver event area and the device event area
 * (PK-36); the size need not be a power of 2.
 *
 * The story of a request, as the device lives it:
 *  1. it looks at the slot after the last chain it took: the slot is new
 *     when its AVAIL bit equals the device's avail wrap counter and its
 *     USED bit does not (§2.8.1). A chain is that slot and the ones after
 *     it while NEXT is set, or one INDIRECT slot naming a table (§2.8.19);
 *     the last slot carries the buffer ID. The device copies the chain
 *     and what each slot held (to catch a driver rewriting it, PK-8);
 *  2. when the timing knobs say, it executes the request
 *     (fake_virtio_blk.c) and writes one used descriptor at its own used
 *     position: ID, len, then (release) flags AVAIL = USED = its used
 *     wrap counter (§2.8.21). The position moves on by the slots the
 *     chain took, whatever order the chains complete in;
 *  3. it interrupts unless the driver event area says DISABLE, or DESC
 *     (with EVENT_IDX) for a slot this batch did not reach (§2.8.10).
 *
 * Rule IDs are the PK- rows of the checklist. As on the split ring, a
 * chain the device cannot use breaks it like QEMU's virtio_error().
 * Reading one chain is fake_virtio_packed_chain.c.
 */
#include <stdlib.h>

#include "fake_virtio_internal.h"
#include "host_platform.h"

#define USED_LEN_EXCESS_BYTES 4096u   /* FAKE_USED_LEN_TOO_LARGE */
#define USED_ID_OUT_OF_RANGE_BY 5u    /* FAKE_USED_ID_OUT_OF_RANGE */
#define DESC_ALIGN  16u               /* §2.8.11 (PK-1) */
#define EVENT_ALIGN 4u

/* ---- going live and stopping ---------------------------------------- */

static bool zeroed(uint64_t addr, size_t len)
{
	const uint8_t *bytes = fake_mem(addr);

	for (size_t i = 0; i < len; i++) {
		if (bytes[i] != 0)
			return false;
	}
	return true;
}

int fake_packed_go_live(struct fake_virtio *fv, uint64_t desc, uint64_t driver,
			uint64_t device, uint32_t size)
{
	struct fake_queue *q = &fv->queue;

	if (desc == 0 || driver == 0 || device == 0) {
		fake_violation(fv, "PK-36", "packed queue enabled with a zero address");
		return -1;
	}
	if (desc % DESC_ALIGN || driver % EVENT_ALIGN || device % EVENT_ALIGN)
		fake_violation(fv, "PK-1", "misaligned: ring %#llx driver %#llx device %#llx",
			       (unsigned long long)desc, (unsigned long long)driver,
			       (unsigned long long)device);
	/* PK-3: a stale flags word would look available, a stale device
	 * area would be the device's word the driver never wrote. The
	 * driver area is the driver's: it may already ask for no
	 * interrupts (as the split ring's avail.flags may, SPL-20). */
	if (!zeroed(desc, (size_t)DESC_BYTES * size) || !zeroed(device, PEVENT_BYTES))
		fake_violation(fv, "PK-3", "ring or device area not zeroed at queue enable");
	q->pending = calloc(size, sizeof(*q->pending));
	q->pk = (struct fake_packed){
		.avail_wrap = true, .used_wrap = true,    /* both start at 1 */
		.slots = calloc(size, sizeof(*q->pk.slots)),
	};
	if (q->pending == NULL || q->pk.slots == NULL)
		host_fail("fake virtio: out of memory");
	q->desc = desc;
	q->avail = driver;
	q->used = device;
	q->size = size;
	q->npending = 0;
	q->packed = true;
	q->ready = true;
	return 0;
}

void fake_packed_stop(struct fake_queue *q)
{
	free(q->pk.slots);
	q->pk.slots = NULL;
	q->packed = false;
}

static bool id_in_flight(const struct fake_queue *q, uint16_t id)
{
	for (unsigned i = 0; i < q->npending; i++) {
		if (q->pending[i].id == id)
			return true;
	}
	return false;
}

static void take_chain(struct fake_virtio *fv)
{
	struct fake_queue *q = &fv->queue;
	struct fake_request req = { .head = q->pk.avail_slot };

	if (fake_packed_read_chain(fv, &req) != 0) {
		free(req.segs);
		return;
	}
	/* PK-18: IDs below N and unique among the buffers in flight. */
	if (req.id >= q->size)
		fake_violation(fv, "PK-18", "slot %u: buffer ID %u, ring of %u", req.head, req.id,
			       q->size);
	if (id_in_flight(q, req.id)) {
		fake_device_error(fv, "PK-18", "slot %u: buffer ID %u is already in flight",
				  req.head, req.id);
		free(req.segs);
		return;
	}
	fake_chain_accept(fv, &req, req.table != 0);
}

/* ---- event suppression (§2.8.10) ------------------------------------ */

/* PK-28: ENABLE, DISABLE, or DESC with EVENT_IDX; nothing else. */
static uint16_t driver_event_flags(struct fake_virtio *fv)
{
	uint16_t flags = fake_load16(fv->queue.avail + PEVENT_OFF_FLAGS);

	if (flags > PEVENT_DESC || (flags == PEVENT_DESC && !fake_negotiated(fv, FAKE_F_EVENT_IDX)))
		fake_violation(fv, "PK-28", "driver event flags %#x", flags);
	return flags;
}

/* Tell the driver when to notify (QEMU's way): with EVENT_IDX, when it
 * makes the device's next slot available; when polling, never. */
static void publish_notify_suppression(struct fake_virtio *fv)
{
	struct fake_queue *q = &fv->queue;
	uint16_t flags = PEVENT_ENABLE;

	if (fv->poll_avail) {
		flags = PEVENT_DISABLE;
	} else if (fake_negotiated(fv, FAKE_F_EVENT_IDX)) {
		uint16_t off_wrap = (uint16_t)(q->pk.avail_slot | (q->pk.avail_wrap ? PEVENT_WRAP : 0));
		fake_store16(q->used + PEVENT_OFF_OFF_WRAP, off_wrap);
		flags = PEVENT_DESC;
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);   /* off_wrap before flags */
	fake_store16(q->used + PEVENT_OFF_FLAGS, flags);
}

void fake_packed_take_avail(struct fake_virtio *fv)
{
	struct fake_queue *q = &fv->queue;

	if (!q->ready || fv->broken || !(fv->status & STATUS_DRIVER_OK))
		return;
	driver_event_flags(fv);
	while (!fv->broken && fake_packed_available(fake_packed_slot_flags(q, q->pk.avail_slot), q->pk.avail_wrap)) {
		/* The head's flags before the rest of the list (§2.8.21.1). */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		take_chain(fv);
	}
	if (!fv->broken)
		publish_notify_suppression(fv);
}

/* ---- completing ----------------------------------------------------- */

/* PK-8/PK-9: the slots the device still holds, the indirect table and
 * the header are as they were when the device took the chain. */
static void check_unchanged(struct fake_virtio *fv, const struct fake_request *req)
{
	const struct fake_queue *q = &fv->queue;
	bool wrap = false;
	uint16_t slot = req->head;

	for (uint16_t i = 0; i < req->nslots; i++, slot = fake_packed_advance(q, slot, 1, &wrap)) {
		const struct fake_packed_slot *held = &q->pk.slots[slot];
		if (held->held && memcmp(held->raw, fake_mem(fake_packed_slot_addr(q, slot)), DESC_BYTES) != 0)
			fake_violation(fv, "PK-8", "slot %u rewritten while the device held it", slot);
	}
	for (unsigned i = 0; req->table != 0 && i < req->nsegs; i++) {
		uint64_t entry = req->table + (uint64_t)DESC_BYTES * i;
		if (fake_load64(entry + DESC_OFF_ADDR) != req->segs[i].addr ||
		    fake_load32(entry + DESC_OFF_LEN) != req->segs[i].len_bytes)
			fake_violation(fv, "PK-9", "slot %u: indirect table changed while held",
				       req->head);
	}
	uint8_t header[sizeof(req->header)];
	fake_blk_read_header_bytes(req, header);
	if (memcmp(header, req->header, sizeof(header)) != 0)
		fake_violation(fv, "PK-9", "slot %u: request header changed while held", req->head);
}

/* An ID below N that no chain in flight carries (the one completing is
 * still in flight for the driver). */
static uint16_t id_not_in_flight(const struct fake_queue *q, uint16_t id)
{
	for (uint16_t other = 0; other < q->size; other++) {
		if (other != id && !id_in_flight(q, other))
			return other;
	}
	return (uint16_t)q->size;
}

/* §2.8.21: ID and len, then (release) the flags that make it used. */
static void write_used_desc(struct fake_queue *q, uint16_t slot, bool wrap, uint16_t id,
			    uint32_t len_bytes)
{
	uint64_t at = fake_packed_slot_addr(q, slot);

	fake_store32(at + DESC_OFF_LEN, len_bytes);
	fake_store16(at + PDESC_OFF_ID, id);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	fake_store16(at + PDESC_OFF_FLAGS, wrap ? (uint16_t)(PDESC_F_AVAIL | PDESC_F_USED) : 0);
}

/* A used descriptor the used-fault knob puts off the used position
 * (IDX_JUMP, DUPLICATE). That slot may belong to a chain the device still
 * holds: this device wrote it, not the driver, so it is what the slot now
 * holds (PK-8 checks the driver's writes only). */
static void write_stray_used_desc(struct fake_queue *q, uint16_t slot, bool wrap, uint16_t id,
				  uint32_t len_bytes)
{
	struct fake_packed_slot *held = &q->pk.slots[slot];

	write_used_desc(q, slot, wrap, id, len_bytes);
	if (held->held)
		memcpy(held->raw, fake_mem(fake_packed_slot_addr(q, slot)), DESC_BYTES);
}

/* The device gives back the slots its used descriptor covers (PK-19). */
static void release_slots(struct fake_queue *q, uint16_t nslots)
{
	bool wrap = q->pk.used_wrap;
	uint16_t slot = q->pk.used_slot;

	for (uint16_t i = 0; i < nslots; i++, slot = fake_packed_advance(q, slot, 1, &wrap))
		q->pk.slots[slot].held = false;
	q->pk.used_slot = fake_packed_advance(q, q->pk.used_slot, nslots, &q->pk.used_wrap);
	q->pk.used_since_signal = (uint16_t)(q->pk.used_since_signal + nslots);
}

/* Write the request's used descriptor, damaged if the knob says so. */
static void push_used(struct fake_virtio *fv, const struct fake_request *req, uint32_t len_bytes)
{
	struct fake_queue *q = &fv->queue;
	enum fake_virtio_used_fault fault =
		fake_knob_fire(&fv->used_fault_knob) ? fv->used_fault : FAKE_USED_OK;
	uint16_t id = req->id, slot = q->pk.used_slot;
	bool wrap = q->pk.used_wrap;

	if (fault == FAKE_USED_ID_OUT_OF_RANGE)
		id = (uint16_t)(q->size + USED_ID_OUT_OF_RANGE_BY);
	if (fault == FAKE_USED_ID_NOT_HEAD)
		id = id_not_in_flight(q, req->id);
	if (fault == FAKE_USED_LEN_TOO_LARGE)
		len_bytes = req->writable_bytes + USED_LEN_EXCESS_BYTES;
	if (fault == FAKE_USED_LEN_SHORT && len_bytes > 0)
		len_bytes--;
	if (fault == FAKE_USED_WRONG_WRAP || fault == FAKE_USED_IDX_BACKWARDS)
		wrap = !wrap;
	/* One slot past the used position, which keeps the driver's own
	 * descriptor (PK-7: the driver does not look past it). */
	if (fault == FAKE_USED_IDX_JUMP) {
		slot = fake_packed_advance(q, slot, 1, &wrap);
		write_stray_used_desc(q, slot, wrap, id, len_bytes);
	} else {
		write_used_desc(q, slot, wrap, id, len_bytes);
	}
	release_slots(q, req->nslots);
	/* The same ID once more, where the next used descriptor goes. */
	if (fault == FAKE_USED_DUPLICATE)
		write_stray_used_desc(q, q->pk.used_slot, q->pk.used_wrap, id, len_bytes);
}

void fake_packed_complete(struct fake_virtio *fv, const struct fake_request *req)
{
	check_unchanged(fv, req);
	push_used(fv, req, fake_blk_execute(fv, req));
}

/* §2.8.10: did the used descriptors of this batch, the `count` slots
 * before used_slot, reach the slot the driver named (off, wrap)? As in
 * the driver, positions count from the current lap; the last lap's fall
 * below 0 (mod 2^16). */
static bool event_reached(const struct fake_queue *q, uint16_t off_wrap, uint16_t count)
{
	uint16_t new_slot = q->pk.used_slot, old_slot = (uint16_t)(new_slot - count);
	uint16_t event = off_wrap & (uint16_t)~PEVENT_WRAP;

	if (((off_wrap & PEVENT_WRAP) != 0) != q->pk.used_wrap)
		event = (uint16_t)(event - q->size);
	return (uint16_t)(new_slot - event - 1) < (uint16_t)(new_slot - old_slot);
}

static bool should_interrupt(struct fake_virtio *fv)
{
	struct fake_queue *q = &fv->queue;
	uint16_t flags = driver_event_flags(fv);
	uint16_t count = q->pk.used_since_signal;
	bool first = !q->pk.signalled_valid;

	q->pk.used_since_signal = 0;
	q->pk.signalled_valid = true;
	if (flags == PEVENT_DISABLE)
		return false;
	if (flags != PEVENT_DESC || !fake_negotiated(fv, FAKE_F_EVENT_IDX))
		return true;
	return first || event_reached(q, fake_load16(q->avail + PEVENT_OFF_OFF_WRAP), count);
}

void fake_packed_signal(struct fake_virtio *fv)
{
	/* The used flags before the read of the driver's event area. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (should_interrupt(fv))
		fake_raise_interrupt(fv, INT_USED_BUFFER);
	else
		fv->stats.used_irqs_suppressed++;
}
