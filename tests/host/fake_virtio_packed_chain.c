/* SPDX-License-Identifier: MIT */
/*
 * How the fake device reads one chain of a packed virtqueue (virtio 1.2
 * §2.8.6, §2.8.17, §2.8.19): consecutive slots linked by NEXT, or one
 * INDIRECT slot naming a table of packed descriptors, checking the
 * driver's rules as it goes (the PK- rows of the checklist). The rest of
 * the device side is fake_virtio_packed.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fake_virtio_internal.h"
#include "host_platform.h"

struct packed_walk {
	struct fake_virtio *fv;
	struct fake_chain chain;
};

static int walk_fail(struct packed_walk *w, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int walk_fail(struct packed_walk *w, const char *rule, const char *fmt, ...)
{
	char msg[128];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	fake_device_error(w->fv, rule, "slot %u: %s", w->chain.req->head, msg);
	return -1;
}

/* The packed ring's names for the shared rules (PK-13 is §2.8.19). */
static const char *packed_rule(enum fake_chain_fault fault)
{
	switch (fault) {
	case FAKE_CHAIN_READABLE_AFTER_WRITABLE:
		return "PK-13";
	case FAKE_CHAIN_TOO_MANY_BYTES:
		return "FAKE-CHAIN-BYTES";
	case FAKE_CHAIN_ZERO_LEN:
		return "FAKE-ZERO-LEN";
	default:
		return "FAKE-NULL-ADDR";
	}
}

static int add_segment(struct packed_walk *w, uint64_t addr, uint32_t len, bool writable)
{
	enum fake_chain_fault fault =
		fake_chain_add(&w->chain, addr, len, writable ? FAKE_DESC_F_WRITE : 0);

	if (fault != FAKE_CHAIN_OK)
		return walk_fail(w, packed_rule(fault), "%s", fake_chain_fault_text(fault));
	return 0;
}

/* One INDIRECT slot: PK-22 (negotiated), PK-25 (alone in its list),
 * PK-24 (a whole number of entries), PK-23 (WRITE the only flag in the
 * table); WRITE on the slot itself is reserved and ignored (PK-26). */
static int walk_indirect(struct packed_walk *w, uint64_t table, uint32_t len, uint16_t flags,
			 bool first)
{
	const struct fake_queue *q = &w->fv->queue;

	if (!fake_negotiated(w->fv, FAKE_F_INDIRECT_DESC))
		fake_violation(w->fv, "PK-22", "slot %u: INDIRECT without INDIRECT_DESC",
			       w->chain.req->head);
	if (!first || (flags & FAKE_DESC_F_NEXT))
		return walk_fail(w, "PK-25", "INDIRECT inside a NEXT-linked list");
	if (len == 0 || len % DESC_BYTES != 0 || table == 0)
		return walk_fail(w, "PK-24", "indirect table of %u bytes at %#llx", len,
				 (unsigned long long)table);
	if (len / DESC_BYTES > q->size)
		fake_violation(w->fv, "PK-12", "slot %u: indirect table of %u entries, ring of %u",
			       w->chain.req->head, len / DESC_BYTES, q->size);
	w->chain.req->table = table;
	for (uint32_t i = 0; i < len / DESC_BYTES; i++) {
		uint64_t entry = table + (uint64_t)DESC_BYTES * i;
		uint16_t entry_flags = fake_load16(entry + PDESC_OFF_FLAGS);
		if (entry_flags & ~FAKE_DESC_F_WRITE)
			return walk_fail(w, "PK-23", "table entry %u has flags %#x", i, entry_flags);
		if (add_segment(w, fake_load64(entry + DESC_OFF_ADDR),
				fake_load32(entry + DESC_OFF_LEN),
				entry_flags & FAKE_DESC_F_WRITE) != 0)
			return -1;
	}
	return 0;
}

int fake_packed_read_chain(struct fake_virtio *fv, struct fake_request *req)
{
	struct fake_queue *q = &fv->queue;
	struct packed_walk w = { .fv = fv, .chain = { .req = req } };
	uint16_t slot = q->pk.avail_slot;
	bool wrap = q->pk.avail_wrap;

	for (uint32_t n = 0;; n++) {
		if (n == q->size)
			return walk_fail(&w, "PK-12", "chain longer than the ring (%u slots)", q->size);
		if (q->pk.slots[slot].held)
			return walk_fail(&w, "PK-8", "slot %u made available while the device holds it", slot);
		uint64_t at = fake_packed_slot_addr(q, slot);
		uint16_t flags = fake_packed_slot_flags(q, slot);
		/* PK-5: every slot of the list is marked for this lap. */
		if (n > 0 && !fake_packed_available(flags, wrap))
			return walk_fail(&w, "PK-5", "slot %u of the list has flags %#x", slot, flags);
		uint16_t id = fake_load16(at + PDESC_OFF_ID);
		if (n > 0 && id != req->id)   /* QEMU reads the head's, the spec the tail's */
			fake_violation(fv, "PK-17", "slot %u: buffer ID %u, the head has %u", slot,
				       id, req->id);
		req->id = id;
		memcpy(q->pk.slots[slot].raw, fake_mem(at), DESC_BYTES);
		q->pk.slots[slot].held = true;
		uint64_t addr = fake_load64(at + DESC_OFF_ADDR);
		uint32_t len = fake_load32(at + DESC_OFF_LEN);
		int err = (flags & FAKE_DESC_F_INDIRECT)
				  ? walk_indirect(&w, addr, len, flags, n == 0)
				  : add_segment(&w, addr, len, flags & FAKE_DESC_F_WRITE);
		if (err)
			return -1;
		slot = fake_packed_advance(q, slot, 1, &wrap);
		if (!(flags & FAKE_DESC_F_NEXT)) {
			req->nslots = (uint16_t)(n + 1);
			break;
		}
	}
	q->pk.avail_slot = slot;
	q->pk.avail_wrap = wrap;
	return 0;
}
