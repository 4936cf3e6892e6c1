/* SPDX-License-Identifier: MIT */
/*
 * What the fake device does with a chain whichever ring it came from:
 * collect its buffers under the rules both rings share, record it for the
 * tests, and take it as a request. How a chain is found and walked is the
 * ring's own (fake_virtio_ring.c for the split ring,
 * fake_virtio_packed_chain.c for the packed one).
 */
#include <stdlib.h>

#include "fake_virtio_internal.h"
#include "host_platform.h"

const char *fake_chain_fault_text(enum fake_chain_fault fault)
{
	switch (fault) {
	case FAKE_CHAIN_OK:
		return "no fault";
	case FAKE_CHAIN_ZERO_LEN:
		return "zero-sized buffer";
	case FAKE_CHAIN_NULL_ADDR:
		return "buffer at address 0";
	case FAKE_CHAIN_READABLE_AFTER_WRITABLE:
		return "device-readable buffer after a writable one";
	case FAKE_CHAIN_TOO_MANY_BYTES:
		return "chain holds 2^32 bytes or more";
	}
	return "unknown fault";
}

static void append_segment(struct fake_chain *chain, uint64_t addr, uint32_t len,
			   uint16_t seg_flags)
{
	struct fake_request *req = chain->req;

	if (req->nsegs == chain->segs_cap) {
		chain->segs_cap = chain->segs_cap ? 2 * chain->segs_cap : 4;
		req->segs = realloc(req->segs, chain->segs_cap * sizeof(*req->segs));
		if (req->segs == NULL)
			host_fail("fake virtio: out of memory");
	}
	req->segs[req->nsegs++] = (struct fake_virtio_seg){
		.addr = addr, .len_bytes = len, .flags = seg_flags,
	};
}

enum fake_chain_fault fake_chain_add(struct fake_chain *chain, uint64_t addr, uint32_t len,
				     uint16_t seg_flags)
{
	bool writable = seg_flags & FAKE_DESC_F_WRITE;

	if (len == 0)
		return FAKE_CHAIN_ZERO_LEN;
	if (addr == 0)
		return FAKE_CHAIN_NULL_ADDR;
	/* virtio 1.2 §2.7.4.2 (split), §2.8.19 (packed). */
	if (!writable && chain->seen_writable)
		return FAKE_CHAIN_READABLE_AFTER_WRITABLE;
	/* §2.7.5.2, which the packed ring keeps too. */
	chain->total_bytes += len;
	if (chain->total_bytes > UINT32_MAX)
		return FAKE_CHAIN_TOO_MANY_BYTES;
	chain->seen_writable |= writable;
	append_segment(chain, addr, len, seg_flags);
	if (writable)
		chain->req->writable_bytes += len;
	else
		chain->req->readable_bytes += len;
	return FAKE_CHAIN_OK;
}

/* fv->last_chain, as the tests read it: NEXT on every segment but the
 * last, whichever ring (a packed indirect table carries no NEXT). */
static void record_last_chain(struct fake_virtio *fv, const struct fake_request *req,
			      bool indirect)
{
	struct fake_virtio_chain *rec = &fv->last_chain;
	unsigned kept = req->nsegs < FAKE_CHAIN_RECORD_MAX ? req->nsegs : FAKE_CHAIN_RECORD_MAX;

	rec->head = req->head;
	rec->indirect = indirect;
	rec->nsegs = req->nsegs;
	memcpy(rec->seg, req->segs, kept * sizeof(rec->seg[0]));
	for (unsigned i = 0; i + 1 < kept; i++)
		rec->seg[i].flags |= FAKE_DESC_F_NEXT;
}

void fake_chain_accept(struct fake_virtio *fv, struct fake_request *req, bool indirect)
{
	struct fake_queue *q = &fv->queue;

	record_last_chain(fv, req, indirect);
	if (fake_blk_validate(fv, req) != 0) {
		free(req->segs);
		req->segs = NULL;
		return;
	}
	fake_blk_read_header_bytes(req, req->header);
	req->due_step = fv->relax_steps + fv->defer_steps;
	q->pending[q->npending++] = *req;
	if (q->npending > fv->stats.max_pending)
		fv->stats.max_pending = q->npending;
}
