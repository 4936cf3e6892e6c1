/* SPDX-License-Identifier: MIT */
/*
 * The device side of a split virtqueue (virtio 1.2 §2.7).
 *
 * The story of a request, as the device lives it:
 *  1. the driver bumps avail.idx and notifies; the device reads each new
 *     avail entry, walks the descriptor chain it names and keeps a copy of
 *     the chain (fake_ring_take_avail) - checking the chain rules as it goes;
 *  2. later (at once, after some relax steps, or when the test says) it
 *     executes the request (fake_virtio_blk.c), writes a used entry
 *     {head, bytes written} and then used.idx (fake_ring_complete);
 *  3. it interrupts unless the driver asked it not to (avail flags, or
 *     used_event with EVENT_IDX).
 *
 * A packed ring (the driver accepted VIRTIO_F_RING_PACKED) takes the same
 * three steps in fake_virtio_packed.c: going live, taking chains and
 * completing them branch there; the completion order is chosen here.
 *
 * Memory order: the test is single-threaded, so the fences below order
 * nothing; they mark where a real device needs them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fake_virtio_internal.h"
#include "host_platform.h"

#define POLL_AVAIL_EVENT_DISTANCE 0x8000u /* avail_event the driver never reaches */
#define USED_LEN_EXCESS_BYTES     4096u   /* FAKE_USED_LEN_TOO_LARGE */
#define USED_ID_OUT_OF_RANGE_BY   5u      /* FAKE_USED_ID_OUT_OF_RANGE */

/* ---- ring addresses ------------------------------------------------- */

static uint64_t avail_entry(const struct fake_queue *q, uint32_t slot)
{
	return q->avail + RING_OFF_ENTRIES + (uint64_t)AVAIL_ENTRY_BYTES * slot;
}

/* used_event sits after the avail entries (virtio 1.2 §2.7.6). */
static uint64_t used_event_addr(const struct fake_queue *q)
{
	return avail_entry(q, q->size);
}

static uint64_t used_entry(const struct fake_queue *q, uint32_t slot)
{
	return q->used + RING_OFF_ENTRIES + (uint64_t)USED_ENTRY_BYTES * slot;
}

/* avail_event sits after the used entries (virtio 1.2 §2.7.8). */
static uint64_t avail_event_addr(const struct fake_queue *q)
{
	return used_entry(q, q->size);
}

static struct fake_desc load_desc(uint64_t table, uint32_t idx)
{
	const uint8_t *raw = fake_mem(table + (uint64_t)DESC_BYTES * idx);
	struct fake_desc d;

	memcpy(&d.addr, raw + DESC_OFF_ADDR, sizeof(d.addr));
	memcpy(&d.len, raw + DESC_OFF_LEN, sizeof(d.len));
	memcpy(&d.flags, raw + DESC_OFF_FLAGS, sizeof(d.flags));
	memcpy(&d.next, raw + DESC_OFF_NEXT, sizeof(d.next));
	return d;
}

/* ---- going live and stopping ---------------------------------------- */

static bool used_ring_is_zero(uint64_t used, uint32_t size)
{
	const uint8_t *bytes = fake_mem(used);
	size_t len = RING_OFF_ENTRIES + (size_t)USED_ENTRY_BYTES * size + sizeof(uint16_t);

	for (size_t i = 0; i < len; i++) {
		if (bytes[i] != 0)
			return false;
	}
	return true;
}

int fake_queue_go_live(struct fake_virtio *fv, uint64_t desc, uint64_t avail,
		       uint64_t used, uint32_t size)
{
	struct fake_queue *q = &fv->queue;

	if (fake_negotiated(fv, FAKE_F_RING_PACKED))   /* PK-36 */
		return fake_packed_go_live(fv, desc, avail, used, size);
	if (desc == 0 || avail == 0 || used == 0) {
		fake_violation(fv, "MMIO-18", "queue enabled with a zero ring address");
		return -1;
	}
	/* virtio 1.2 §2.7.1 (SPL-1) */
	if (desc % DESC_TABLE_ALIGN || avail % AVAIL_ALIGN || used % USED_ALIGN)
		fake_violation(fv, "SPL-1", "misaligned rings: desc %#llx avail %#llx used %#llx",
			       (unsigned long long)desc, (unsigned long long)avail,
			       (unsigned long long)used);
	/* virtio 1.2 §2.7.10.1 (SPL-20) */
	if (!used_ring_is_zero(used, size))
		fake_violation(fv, "SPL-20", "used ring not zeroed when the queue went live");
	q->pending = calloc(size, sizeof(*q->pending));
	if (q->pending == NULL)
		host_fail("fake virtio: out of memory");
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->size = size;
	q->last_avail_idx = q->used_idx = q->signalled_used = 0;
	q->signalled_valid = false;
	q->npending = 0;
	q->ready = true;
	return 0;
}

/* The device forgets every chain it holds (queue disabled or reset). */
void fake_queue_stop(struct fake_virtio *fv)
{
	struct fake_queue *q = &fv->queue;

	for (unsigned i = 0; i < q->npending; i++)
		free(q->pending[i].segs);
	free(q->pending);
	q->pending = NULL;
	fake_packed_stop(q);
	q->npending = 0;
	q->ready = false;
	q->legacy_pfn = 0;
}

/* ---- walking a chain (virtio 1.2 §2.7.5) ---------------------------- */

struct chain_walk {
	struct fake_virtio *fv;
	bool quiet;          /* re-walk for CLN-1: report nothing, break nothing */
	struct fake_chain chain;
	bool indirect;
};

/* A chain the device cannot use: QEMU's virtio_error(). */
static int walk_fail(struct chain_walk *w, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int walk_fail(struct chain_walk *w, const char *rule, const char *fmt, ...)
{
	char msg[128];
	va_list args;

	if (w->quiet)
		return -1;
	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	fake_device_error(w->fv, rule, "head %u: %s", w->chain.req->head, msg);
	return -1;
}

static void walk_note(struct chain_walk *w, const char *rule, const char *msg)
{
	if (!w->quiet)
		fake_violation(w->fv, rule, "head %u: %s", w->chain.req->head, msg);
}

/* The split ring's names for the shared rules (SPL-5 is §2.7.4.2, SPL-7
 * §2.7.5.2). */
static const char *split_rule(enum fake_chain_fault fault)
{
	switch (fault) {
	case FAKE_CHAIN_READABLE_AFTER_WRITABLE:
		return "SPL-5";
	case FAKE_CHAIN_TOO_MANY_BYTES:
		return "SPL-7";
	case FAKE_CHAIN_ZERO_LEN:
		return "FAKE-ZERO-LEN";
	default:
		return "FAKE-NULL-ADDR";
	}
}

static int add_segment(struct chain_walk *w, const struct fake_desc *d)
{
	enum fake_chain_fault fault;

	if (w->chain.req->nsegs == w->fv->queue.size)  /* SPL-11 */
		walk_note(w, "SPL-11", "chain longer than the queue size");
	fault = fake_chain_add(&w->chain, d->addr, d->len,
			       d->flags & (FAKE_DESC_F_NEXT | FAKE_DESC_F_WRITE));
	if (fault != FAKE_CHAIN_OK)
		return walk_fail(w, split_rule(fault), "%s", fake_chain_fault_text(fault));
	return 0;
}

/* virtio 1.2 §2.7.5.3.1: one level of indirection, no NEXT beside it. */
static int check_indirect(struct chain_walk *w, const struct fake_desc *d, bool in_indirect)
{
	if (!fake_negotiated(w->fv, FAKE_F_INDIRECT_DESC))
		walk_note(w, "SPL-9", "INDIRECT descriptor without INDIRECT_DESC");
	if (in_indirect)
		return walk_fail(w, "SPL-10", "INDIRECT descriptor inside an indirect table");
	if (d->flags & FAKE_DESC_F_NEXT)
		return walk_fail(w, "SPL-12", "INDIRECT and NEXT on one descriptor");
	if (d->len == 0 || d->len % DESC_BYTES != 0 || d->addr == 0)
		return walk_fail(w, "FAKE-INDIRECT", "indirect table of %u bytes at %#llx",
				 d->len, (unsigned long long)d->addr);
	return 0;
}

/* Follow the chain from `head`, through at most one indirect table.
 * Visiting more descriptors than a table holds means it loops (SPL-7). */
static int walk_chain(struct chain_walk *w, uint16_t head)
{
	const struct fake_queue *q = &w->fv->queue;
	uint64_t table = q->desc;
	uint32_t table_size = q->size, idx = head, visited = 0;
	bool in_indirect = false;

	w->chain.req->second_idx = head;
	for (;;) {
		struct fake_desc d;

		if (visited++ == table_size)
			return walk_fail(w, "SPL-7", "chain loops (more than %u descriptors)", table_size);
		d = load_desc(table, idx);
		if (d.flags & FAKE_DESC_F_INDIRECT) {
			if (check_indirect(w, &d, in_indirect) != 0)
				return -1;
			table = d.addr;
			table_size = d.len / DESC_BYTES;
			idx = visited = 0;
			in_indirect = w->indirect = true;
			continue;
		}
		if (add_segment(w, &d) != 0)
			return -1;
		if (!(d.flags & FAKE_DESC_F_NEXT))
			return 0;
		if (d.next >= table_size)
			return walk_fail(w, "FAKE-NEXT", "next %u beyond a table of %u", d.next, table_size);
		if (idx == head && !in_indirect)
			w->chain.req->second_idx = d.next;
		idx = d.next;
	}
}

static int read_chain(struct fake_virtio *fv, uint16_t head, struct fake_request *req,
		      bool quiet, bool *indirect)
{
	struct chain_walk w = { .fv = fv, .quiet = quiet, .chain = { .req = req } };

	*req = (struct fake_request){ .head = head };
	if (walk_chain(&w, head) != 0) {
		free(req->segs);
		req->segs = NULL;
		return -1;
	}
	*indirect = w.indirect;
	return 0;
}

/* ---- taking chains from the avail ring ------------------------------ */

static bool head_in_flight(const struct fake_queue *q, uint16_t head)
{
	for (unsigned i = 0; i < q->npending; i++) {
		if (q->pending[i].head == head)
			return true;
	}
	return false;
}

static void take_chain(struct fake_virtio *fv, uint16_t head)
{
	struct fake_queue *q = &fv->queue;
	struct fake_request req;
	bool indirect;

	if (head >= q->size) {
		fake_device_error(fv, "FAKE-HEAD", "avail ring names descriptor %u of %u", head, q->size);
		return;
	}
	if (head_in_flight(q, head)) {
		fake_device_error(fv, "CLN-1", "head %u made available again while in flight", head);
		return;
	}
	if (read_chain(fv, head, &req, false, &indirect) != 0)
		return;
	fake_chain_accept(fv, &req, indirect);
}

/* virtio 1.2 §2.7.7.1 (SPL-15/16): what the driver may put in avail.flags. */
static void check_avail_flags(struct fake_virtio *fv)
{
	uint16_t flags = fake_load16(fv->queue.avail + RING_OFF_FLAGS);

	if (fake_negotiated(fv, FAKE_F_EVENT_IDX) && flags != 0)
		fake_violation(fv, "SPL-16", "avail.flags %#x with EVENT_IDX", flags);
	else if (flags & ~AVAIL_F_NO_INTERRUPT)
		fake_violation(fv, "SPL-15", "avail.flags %#x has undefined bits", flags);
}

/* Tell the driver when to notify next (virtio 1.2 §2.7.10): at the next
 * new entry, or - when polling - never. */
static void publish_notify_suppression(struct fake_virtio *fv)
{
	struct fake_queue *q = &fv->queue;

	if (fake_negotiated(fv, FAKE_F_EVENT_IDX)) {
		uint16_t event = q->last_avail_idx;
		if (fv->poll_avail)
			event += POLL_AVAIL_EVENT_DISTANCE;
		fake_store16(avail_event_addr(q), event);
	} else {
		fake_store16(q->used + RING_OFF_FLAGS, fv->poll_avail ? USED_F_NO_NOTIFY : 0);
	}
}

void fake_ring_take_avail(struct fake_virtio *fv)
{
	struct fake_queue *q = &fv->queue;
	uint16_t avail_idx, new_entries;

	if (q->packed) {
		fake_packed_take_avail(fv);
		return;
	}
	if (!q->ready || fv->broken || !(fv->status & STATUS_DRIVER_OK))
		return;
	check_avail_flags(fv);
	avail_idx = fake_load16(q->avail + RING_OFF_IDX);
	/* Read avail.idx before the entries it covers (§2.7.13). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	new_entries = (uint16_t)(avail_idx - q->last_avail_idx);
	/* virtio 1.2 §2.7.6.1 (SPL-14); QEMU: "Guest moved used index". */
	if (new_entries > q->size) {
		fake_device_error(fv, "SPL-14", "avail.idx moved from %u to %u, queue size %u",
				  q->last_avail_idx, avail_idx, q->size);
		return;
	}
	while (q->last_avail_idx != avail_idx && !fv->broken) {
		uint16_t head = fake_load16(avail_entry(q, q->last_avail_idx % q->size));
		q->last_avail_idx++;
		take_chain(fv, head);
	}
	if (!fv->broken)
		publish_notify_suppression(fv);
}

/* ---- completing ----------------------------------------------------- */

static uint32_t next_random(struct fake_virtio *fv)
{
	uint32_t x = fv->rng_state;   /* xorshift32 */

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	fv->rng_state = x;
	return x;
}

/* Put the chosen pending slots in the order they will complete. */
static void order_slots(struct fake_virtio *fv, unsigned *slots, unsigned count)
{
	for (unsigned i = 0; fv->order == FAKE_ORDER_REVERSED && i < count / 2; i++) {
		unsigned tmp = slots[i];
		slots[i] = slots[count - 1 - i];
		slots[count - 1 - i] = tmp;
	}
	for (unsigned i = count; fv->order == FAKE_ORDER_SHUFFLED && i > 1; i--) {
		unsigned j = next_random(fv) % i;
		unsigned tmp = slots[i - 1];
		slots[i - 1] = slots[j];
		slots[j] = tmp;
	}
}

/* CLN-1 (virtio 1.2 §3.3.1): the driver must not touch a chain the device
 * holds. Walk it again and compare with the copy taken at notify time. */
static void check_chain_unchanged(struct fake_virtio *fv, const struct fake_request *req)
{
	struct fake_request now;
	bool indirect, same;

	same = read_chain(fv, req->head, &now, true, &indirect) == 0 &&
	       now.nsegs == req->nsegs;
	for (unsigned i = 0; same && i < req->nsegs; i++) {
		same = now.segs[i].addr == req->segs[i].addr &&
		       now.segs[i].len_bytes == req->segs[i].len_bytes &&
		       now.segs[i].flags == req->segs[i].flags;
	}
	free(now.segs);
	if (!same) {
		fake_violation(fv, "CLN-1", "chain at head %u changed while the device held it",
			       req->head);
		return;
	}
	/* The buffers too: the header the device read must still be there. */
	uint8_t header[sizeof(req->header)];
	fake_blk_read_header_bytes(req, header);
	if (memcmp(header, req->header, sizeof(header)) != 0)
		fake_violation(fv, "CLN-1", "request header at head %u changed while the device held it",
			       req->head);
}

/*
 * A descriptor index that heads no chain when the driver reads the used
 * entry: the chain's own second descriptor, or that of a chain the device
 * still holds (its used entry comes later, so the driver has not freed
 * it). A free descriptor would not do: the driver may make it the head of
 * a new chain before it reads this entry, which then reads as that
 * chain's completion. A chain of one descriptor (indirect) with none
 * such in flight gets the queue size, just past the table.
 */
static uint32_t not_a_head(const struct fake_virtio *fv, const struct fake_request *req)
{
	const struct fake_queue *q = &fv->queue;

	if (req->second_idx != req->head)
		return req->second_idx;
	for (unsigned i = 0; i < q->npending; i++) {
		if (q->pending[i].second_idx != q->pending[i].head)
			return q->pending[i].second_idx;
	}
	return q->size;
}

static void write_used_entry(struct fake_queue *q, uint32_t id, uint32_t len_bytes)
{
	uint64_t entry = used_entry(q, q->used_idx % q->size);

	fake_store32(entry, id);
	fake_store32(entry + sizeof(uint32_t), len_bytes);
	q->used_idx++;
}

/* Write one used entry, damaged if the used-fault knob says so. Returns
 * the fault applied (IDX_BACKWARDS is applied when used.idx is written). */
static enum fake_virtio_used_fault push_used(struct fake_virtio *fv,
					     const struct fake_request *req, uint32_t len_bytes)
{
	struct fake_queue *q = &fv->queue;
	enum fake_virtio_used_fault fault =
		fake_knob_fire(&fv->used_fault_knob) ? fv->used_fault : FAKE_USED_OK;
	uint32_t id = req->head;

	if (fault == FAKE_USED_ID_OUT_OF_RANGE)
		id = q->size + USED_ID_OUT_OF_RANGE_BY;
	if (fault == FAKE_USED_ID_NOT_HEAD)
		id = not_a_head(fv, req);
	if (fault == FAKE_USED_LEN_TOO_LARGE)
		len_bytes = req->writable_bytes + USED_LEN_EXCESS_BYTES;
	if (fault == FAKE_USED_LEN_SHORT && len_bytes > 0)
		len_bytes--;
	write_used_entry(q, id, len_bytes);
	if (fault == FAKE_USED_DUPLICATE)
		write_used_entry(q, id, len_bytes);
	if (fault == FAKE_USED_IDX_JUMP)
		q->used_idx = (uint16_t)(q->used_idx + q->size + 1);
	return fault;
}

/* virtio 1.2 §2.7.10: need an interrupt for used.idx moving old -> new? */
static bool need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

/* Used-buffer notification suppression (virtio 1.2 §2.7.7.2, §2.7.10). */
static bool should_interrupt(struct fake_virtio *fv)
{
	struct fake_queue *q = &fv->queue;

	if (fake_negotiated(fv, FAKE_F_EVENT_IDX)) {
		uint16_t used_event = fake_load16(used_event_addr(q));
		uint16_t old = q->signalled_used;
		bool first = !q->signalled_valid;

		q->signalled_used = q->used_idx;
		q->signalled_valid = true;
		return first || need_event(used_event, q->used_idx, old);
	}
	return !(fake_load16(q->avail + RING_OFF_FLAGS) & AVAIL_F_NO_INTERRUPT);
}

static void publish_used_idx(struct fake_virtio *fv, uint16_t old_used_idx, bool backwards)
{
	struct fake_queue *q = &fv->queue;

	if (backwards)
		q->used_idx = (uint16_t)(old_used_idx - 1);
	/* Used entries before used.idx (§2.7.8); used.idx before reading
	 * used_event or avail.flags (§2.7.10). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	fake_store16(q->used + RING_OFF_IDX, q->used_idx);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (should_interrupt(fv))
		fake_raise_interrupt(fv, INT_USED_BUFFER);
	else
		fv->stats.used_irqs_suppressed++;
}

/* Pending slots that may complete now, oldest first. */
static unsigned eligible_slots(const struct fake_virtio *fv, unsigned *slots, bool only_due)
{
	const struct fake_queue *q = &fv->queue;
	unsigned count = 0;

	for (unsigned i = 0; i < q->npending; i++) {
		if (!only_due || q->pending[i].due_step <= fv->relax_steps)
			slots[count++] = i;
	}
	return count;
}

/* Move the chosen requests out of the pending list, keeping its order. */
static void remove_slots(struct fake_queue *q, const unsigned *slots, unsigned count,
			 struct fake_request *out)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < count; i++) {
		out[i] = q->pending[slots[i]];
		q->pending[slots[i]].segs = NULL;  /* mark as taken */
	}
	for (unsigned i = 0; i < q->npending; i++) {
		if (q->pending[i].segs != NULL)
			q->pending[kept++] = q->pending[i];
	}
	q->npending = kept;
}

unsigned fake_ring_complete(struct fake_virtio *fv, unsigned max, bool only_due)
{
	struct fake_queue *q = &fv->queue;
	unsigned *slots, count;
	struct fake_request *batch;
	uint16_t old_used_idx = q->used_idx;
	bool backwards = false;

	if (!q->ready || fv->broken || q->npending == 0)
		return 0;
	slots = calloc(q->npending, sizeof(*slots));
	batch = calloc(q->npending, sizeof(*batch));
	if (slots == NULL || batch == NULL)
		host_fail("fake virtio: out of memory");
	count = eligible_slots(fv, slots, only_due);
	order_slots(fv, slots, count);
	count = count < max ? count : max;
	remove_slots(q, slots, count, batch);
	for (unsigned i = 0; i < count; i++) {
		if (q->packed) {
			fake_packed_complete(fv, &batch[i]);
		} else {
			check_chain_unchanged(fv, &batch[i]);
			uint32_t len_bytes = fake_blk_execute(fv, &batch[i]);
			backwards |= push_used(fv, &batch[i], len_bytes) == FAKE_USED_IDX_BACKWARDS;
		}
		free(batch[i].segs);
	}
	if (count > 0 && q->packed)
		fake_packed_signal(fv);
	else if (count > 0)
		publish_used_idx(fv, old_used_idx, backwards);
	free(slots);
	free(batch);
	return count;
}

/* ---- time passing --------------------------------------------------- */

void fake_ring_deliver_interrupt(struct fake_virtio *fv)
{
	/* A masked CPU takes no interrupt; the line stays asserted until it
	 * unmasks (host_irq_restore / plat_idle), as on a real GIC. A PCI
	 * function whose INTx is held down raises nothing at all. */
	if (fv->pci != NULL && !fake_pci_face_intx_open(fv->pci))
		return;
	if (fv->interrupt_status != 0 && fv->irq_hook != NULL && !host_irq_masked())
		fv->irq_hook(fv, fv->irq_hook_ctx);
}

void fake_ring_relax(struct fake_virtio *fv)
{
	fv->relax_steps++;
	if (fv->poll_avail)
		fake_ring_take_avail(fv);
	if (fv->completion == FAKE_COMPLETE_IMMEDIATE)
		fake_ring_complete(fv, ~0u, false);
	else if (fv->completion == FAKE_COMPLETE_DEFERRED)
		fake_ring_complete(fv, ~0u, true);
	fake_at_access(fv, FAKE_AT_RELAX);
	fv->at_take_irq = false;   /* delivered just below */
	fake_ring_deliver_interrupt(fv);
}
