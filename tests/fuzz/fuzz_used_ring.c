/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the driver side of the split virtqueue
 * (vring/split.c), with the fuzzer playing a hostile device.
 *
 *   make build/fuzz/fuzz_used_ring
 *   build/fuzz/fuzz_used_ring -max_total_time=60 tests/fuzz/corpus/used_ring
 *
 * No transport and no device model: the harness owns one queue over a heap
 * block of exactly vring_mem_bytes(num) bytes (so ASan catches any access
 * past the rings) and reads and writes the shared rings itself, as the
 * device would. The input is a little program. Its first byte picks the
 * queue size (2..256), EVENT_IDX and INDIRECT_DESC; then each op byte picks
 * one step:
 *
 *   ADD        vq_add one chain (lengths, directions, even invalid ones, from
 *              the input) with a token the harness tracks
 *   ADD_INDIRECT
 *              vq_add_indirect the same way, into a heap table of a size
 *              from the input (or none, or a misaligned one)
 *   ADD_FRAMED vq_add_framed the same way, in a frame from the input (or
 *              one beyond VQ_FRAMES): each frame keeps its header and
 *              status buffers, as a request slot does
 *   PUBLISH    vq_publish
 *   COMPLETE   write one used element (id, len) and usually used.idx; the id
 *              is a chain in flight, a small number or any 32-bit value, the
 *              len exact, short, too long or any value
 *   USED_IDX   store used.idx: forwards, backwards, far ahead
 *   HARVEST    vq_harvest up to 8 times
 *   HAS_USED / ENABLE_IRQ / DISABLE_IRQ
 *              vq_has_used, vq_enable_interrupts, vq_disable_interrupts
 *   DEV_FLAGS  store used.flags and avail_event (the device's hints)
 *   SCRIBBLE   overwrite a descriptor, as a device that writes where it must
 *              not (the driver must never follow the shared links)
 *   BREAK      vq_set_broken, as blk/ does on a timeout
 *   RESET      the device is reset: vq_detach until empty, then vq_init
 *              again with a new first byte
 *
 * The first byte may also start the queue as if 2^16 - k chains had
 * already gone round it, so that a short input crosses the point where
 * the 16-bit indexes wrap (§2.7.13.3: they wrap at 2^16, never at num).
 *
 * A reference model (which tokens are in flight, their head, descriptors
 * and writable bytes, how many used entries were harvested) predicts each
 * result; any difference aborts, which libFuzzer reports. Invariants:
 *  - the three parts of the ring sit where virtio 1.2 §2.7.2 puts them;
 *  - vq_add / vq_add_indirect return 0 or the documented error, and on
 *    error change nothing; on success the new chain's descriptors, walked
 *    from the head put in avail.ring (through the table for an indirect
 *    one: one ring descriptor with only INDIRECT set, §2.7.5.3.1), are
 *    exactly the buffers given, and no ring descriptor of it belongs to a
 *    chain still in flight; vq_add_indirect works only once
 *    vq_use_indirect said the feature was negotiated, never after a new
 *    vq_init;
 *  - vq_publish stores avail.idx = chains added, and asks for a
 *    notification exactly as used.flags / avail_event say (§2.7.10);
 *  - vq_harvest returns a token only if it is in flight, each at most once,
 *    with the id and len the device wrote, and that len never exceeds the
 *    chain's writable bytes; it breaks the queue exactly when the device
 *    wrote an impossible idx, id or len (counting or naming a chain added
 *    since the last publish included), and once broken returns nothing;
 *  - vq_has_used / vq_enable_interrupts say whether used.idx moved past
 *    what was harvested; with EVENT_IDX avail.flags stays 0 and used_event
 *    is set to the next entry to harvest (§2.7.7);
 *  - a framed chain is walked like any other; a frame holds three
 *    descriptors however short its chain, takes a second chain only once
 *    its first is harvested (-VBLK_EINVAL before), and parked frames
 *    never make a chain wait that the free descriptors could take. A
 *    frame's header or status descriptor scribbled on while it was parked
 *    is not rewritten (the driver trusts its own writes to the table, and
 *    follows only its private links); such a chain is walked by those
 *    links and only its middle checked;
 *  - free descriptors + descriptors in flight == queue size, after every
 *    step; vq_detach hands back every token in flight exactly once and
 *    leaves all descriptors free.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vblk/error.h"
#include "vring/virtqueue.h"
#include "tests/fuzz/fuzz_input.h"

/* ---- checks -------------------------------------------------------- */

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* ---- the ring as the device sees it ---------------------------------- */

/* The layout of virtio 1.2 §2.7.2, computed here independently of split.c. */
struct ring_view {
	struct vring_desc *desc;
	struct vring_avail *avail;
	uint16_t *used_event;    /* after avail.ring[num] */
	struct vring_used *used;
	uint16_t *avail_event;   /* after used.ring[num] */
};

static size_t align_4k(size_t bytes)
{
	return (bytes + 4095) / 4096 * 4096;
}

static struct ring_view view_of(uint8_t *mem, uint16_t num)
{
	size_t avail_off = 16u * num;
	size_t used_off = align_4k(avail_off + 2u * (3u + num));
	struct ring_view view = {
		.desc = (struct vring_desc *)mem,
		.avail = (struct vring_avail *)(mem + avail_off),
		.used = (struct vring_used *)(mem + used_off),
	};
	view.used_event = &view.avail->ring[num];
	view.avail_event = (uint16_t *)&view.used->ring[num];
	return view;
}

/* ---- the reference model --------------------------------------------- */

/* One token per slot; a token is the address of its slot. The extra slot
 * lets an ADD be tried even when every descriptor is taken. */
#define NSLOTS (VBLK_QUEUE_SIZE + 1)
#define NO_OWNER (-1)

struct model_chain {
	bool in_flight;
	uint16_t head;
	uint16_t avail_pos;       /* its avail entry: published once below model.published */
	uint16_t ndescs;          /* ring descriptors (1 for an indirect chain) */
	uint32_t writable_bytes;
	uint16_t descs[VBLK_QUEUE_SIZE];
	struct vring_desc *table; /* indirect: the heap table, freed on return */
	int frame;                /* vq_add_framed's frame, or NO_FRAME */
};

#define NO_FRAME (-1)

static struct model {
	uint16_t num;
	bool event_idx;
	bool indirect;            /* vq_use_indirect(true) since vq_init */
	bool broken;
	uint16_t added;          /* chains added: the next avail.idx */
	uint16_t published;      /* avail.idx as last stored by the driver */
	uint16_t harvested;      /* used entries the driver consumed */
	uint16_t dev_used;       /* where the device writes its next used entry */
	unsigned chains_in_flight;
	unsigned descs_in_flight;
	int16_t owner[VBLK_QUEUE_SIZE];      /* descriptor -> slot, or NO_OWNER */
	bool scribbled[VBLK_QUEUE_SIZE];     /* SCRIBBLE wrote it since the driver did */
	bool frame_busy[VQ_FRAMES];          /* a chain of the frame is in flight */
	/* A linked frame's first and last buffers: its next chains must
	 * begin and end with them (vq_add_framed's contract). */
	struct vring_buf frame_ends[VQ_FRAMES][2];
	struct model_chain slot[NSLOTS];
} model;

static struct virtqueue vq;
static uint8_t *ring_mem;
static struct ring_view ring;

static struct model_chain *slot_of_token(void *token)
{
	uintptr_t addr = (uintptr_t)token, first = (uintptr_t)&model.slot[0];

	/* A token the harness never handed out is a bug on its own. */
	check(addr >= first && addr < first + sizeof(model.slot));
	check((addr - first) % sizeof(model.slot[0]) == 0);
	return (struct model_chain *)token;
}

static struct model_chain *free_slot(void)
{
	for (unsigned i = 0; i < NSLOTS; i++)
		if (!model.slot[i].in_flight)
			return &model.slot[i];
	abort();   /* more chains than descriptors: the model is wrong */
}

static struct model_chain *chain_with_head(uint32_t head)
{
	for (unsigned i = 0; i < NSLOTS; i++)
		if (model.slot[i].in_flight && model.slot[i].head == head)
			return &model.slot[i];
	return NULL;
}

static struct model_chain *nth_in_flight(unsigned nth)
{
	for (unsigned i = 0; i < NSLOTS; i++)
		if (model.slot[i].in_flight && nth-- == 0)
			return &model.slot[i];
	return NULL;
}

/* The chain came back (harvested or detached): its token must have been
 * in flight, and comes back only once. */
static void retire(struct model_chain *chain)
{
	check(chain->in_flight);
	for (unsigned i = 0; i < chain->ndescs; i++)
		model.owner[chain->descs[i]] = NO_OWNER;
	if (chain->frame != NO_FRAME)
		model.frame_busy[chain->frame] = false;
	free(chain->table);
	chain->table = NULL;
	chain->in_flight = false;
	model.chains_in_flight--;
	model.descs_in_flight -= chain->ndescs;
}

static void check_invariants(void)
{
	check(vq_num_free(&vq) + model.descs_in_flight == model.num);
	check(vq_is_broken(&vq) == model.broken);
	check(ring.avail->idx == model.published);
	if (model.event_idx)
		check(ring.avail->flags == 0);   /* §2.7.7: MUST be 0 with EVENT_IDX */
}

/* ---- setting the queue up -------------------------------------------- */

/* A queue that has already added, published and harvested `count` chains
 * (driver fields set directly: nothing else about such a queue differs
 * from a fresh one, its free list order aside). */
static void fast_forward(uint16_t count)
{
	vq.avail_idx = vq.published_idx = vq.last_used_idx = count;
	ring.avail->idx = ring.used->idx = count;
	model.added = model.published = model.harvested = model.dev_used = count;
}

static void start_queue(struct input *in)
{
	uint8_t shape = take8(in);
	uint16_t num = (uint16_t)(2u << (shape % 8));   /* 2 .. 256 */

	/* No larger than the build's ring (VBLK_QUEUE_SIZE, 128 by default):
	 * vq_init refuses more. */
	if (num > VBLK_QUEUE_SIZE)
		num = VBLK_QUEUE_SIZE;
	size_t mem_bytes = vring_mem_bytes(num);

	free(ring_mem);
	ring_mem = aligned_alloc(VRING_ALIGN_BYTES, mem_bytes);
	check(ring_mem != NULL);
	memset(ring_mem, 0xa5, mem_bytes);   /* vq_init must zero it */
	memset(&model, 0, sizeof(model));
	memset(model.owner, 0xff, sizeof(model.owner));   /* NO_OWNER */
	model.num = num;
	model.event_idx = (shape & 0x08) != 0;
	model.indirect = (shape & 0x10) != 0;
	check(vq_init(&vq, ring_mem, mem_bytes, num, model.event_idx) == 0);
	if (model.indirect)
		vq_use_indirect(&vq, true);

	ring = view_of(ring_mem, num);
	check(vq.desc == ring.desc && vq.avail == ring.avail && vq.used == ring.used);
	check(ring.used->idx == 0 && ring.used->flags == 0 && ring.avail->idx == 0);
	if (shape & 0x20)
		fast_forward((uint16_t)(0x10000 - 1 - take8(in) % 64));
}

/* After a device reset: every token in flight comes back exactly once. */
static void detach_all(void)
{
	for (unsigned i = 0; i <= model.num; i++) {
		void *token = vq_detach(&vq);
		if (token == NULL)
			break;
		retire(slot_of_token(token));
	}
	check(model.chains_in_flight == 0);
	check(vq_num_free(&vq) == model.num);
}

/* ---- ADD ------------------------------------------------------------- */

/* Mostly 1..16 buffers; sometimes up to the queue size, or one more. */
static unsigned chain_length(struct input *in)
{
	uint8_t pick = take8(in);

	if (pick == 0xff)
		return model.num + 1u;
	if (pick >= 0xf0)
		return 1u + take8(in) % model.num;
	return 1u + pick % (model.num < 16 ? model.num : 16u);
}

static uint32_t buffer_length(struct input *in)
{
	uint8_t pick = take8(in);

	if (pick < 0xf0)
		return pick + 1u;
	if (pick < 0xfd)
		return take16(in);
	if (pick < 0xff)
		return take32(in);
	return 0;   /* invalid: QEMU breaks on an empty buffer */
}

/* Readable buffers first, then writable (§2.7.4.2), unless the input asks
 * for the last one to be turned around. */
static unsigned make_chain(struct input *in, struct vring_buf *bufs)
{
	unsigned nbufs = chain_length(in);
	uint8_t layout = take8(in);
	unsigned nreadable = (layout & 0x7f) % (nbufs + 1);

	for (unsigned i = 0; i < nbufs; i++) {
		bufs[i] = (struct vring_buf){
			.addr = 0x100000ull * (i + 1) + take8(in),
			.len_bytes = buffer_length(in),
			.device_writes = i >= nreadable,
		};
	}
	if (layout & 0x80)
		bufs[nbufs - 1].device_writes = !bufs[nbufs - 1].device_writes;
	return nbufs;
}

/* The checks every chain passes first, in the order the contract of
 * vq_add lists them. */
static int expected_chain_check(const struct vring_buf *bufs, unsigned nbufs)
{
	uint64_t total_bytes = 0;
	bool seen_writable = false;

	if (model.broken)
		return -VBLK_EBROKEN;
	if (nbufs > model.num)
		return -VBLK_ETOOBIG;
	for (unsigned i = 0; i < nbufs; i++) {
		if (bufs[i].len_bytes == 0 || (seen_writable && !bufs[i].device_writes))
			return -VBLK_EINVAL;
		seen_writable |= bufs[i].device_writes;
		total_bytes += bufs[i].len_bytes;
	}
	if (total_bytes > UINT32_MAX)
		return -VBLK_ETOOBIG;
	return 0;
}

static int expected_add(const struct vring_buf *bufs, unsigned nbufs)
{
	int err = expected_chain_check(bufs, nbufs);

	if (err == 0 && nbufs > model.num - model.descs_in_flight)
		err = -VQ_EAGAIN;
	return err;
}

/* A descriptor says exactly what buffer i of the chain is (§2.7.5). */
static void check_desc(const struct vring_desc *desc, const struct vring_buf *buf, bool more)
{
	check(desc->addr == buf->addr && desc->len == buf->len_bytes);
	check(!!(desc->flags & VRING_DESC_F_WRITE) == buf->device_writes);
	check(!!(desc->flags & VRING_DESC_F_NEXT) == more);
	check(!(desc->flags & VRING_DESC_F_INDIRECT));
}

static uint32_t writable_bytes_of(const struct vring_buf *bufs, unsigned nbufs)
{
	uint32_t total = 0;

	for (unsigned i = 0; i < nbufs; i++)
		if (bufs[i].device_writes)
			total += bufs[i].len_bytes;
	return total;
}

/* The chain's ring descriptor `desc_idx` must have been free. */
static void take_desc(struct model_chain *chain, uint16_t desc_idx)
{
	check(desc_idx < model.num);
	check(model.owner[desc_idx] == NO_OWNER);
	model.owner[desc_idx] = (int16_t)(chain - model.slot);
	chain->descs[chain->ndescs++] = desc_idx;
}

/* The new chain is offered in the next avail slot: the model starts
 * tracking it with that head. */
static void start_chain(struct model_chain *chain, const struct vring_buf *bufs, unsigned nbufs)
{
	*chain = (struct model_chain){
		.in_flight = true,
		.head = ring.avail->ring[model.added & (model.num - 1)],
		.avail_pos = model.added,
		.writable_bytes = writable_bytes_of(bufs, nbufs),
		.frame = NO_FRAME,
	};
	model.added++;
	model.chains_in_flight++;
}

/* Walk the new chain from its head as the device would, and take
 * ownership of its descriptors in the model. */
static void record_chain(struct model_chain *chain, const struct vring_buf *bufs,
			 unsigned nbufs)
{
	start_chain(chain, bufs, nbufs);
	uint16_t desc_idx = chain->head;
	for (unsigned i = 0; i < nbufs; i++) {
		take_desc(chain, desc_idx);
		check_desc(&ring.desc[desc_idx], &bufs[i], i + 1 < nbufs);
		model.scribbled[desc_idx] = false;
		desc_idx = ring.desc[desc_idx].next;
	}
	model.descs_in_flight += nbufs;
}

/* One ring descriptor with only INDIRECT set, pointing at the whole table
 * (§2.7.5.3.1), whose entries chain from 0 through `next`. */
static void record_indirect_chain(struct model_chain *chain, const struct vring_buf *bufs,
				  unsigned nbufs, struct vring_desc *table)
{
	start_chain(chain, bufs, nbufs);
	take_desc(chain, chain->head);
	const struct vring_desc *desc = &ring.desc[chain->head];
	check(desc->flags == VRING_DESC_F_INDIRECT);
	check(desc->addr == (uint64_t)(uintptr_t)table && desc->len == 16u * nbufs);
	for (unsigned i = 0; i < nbufs; i++) {
		bool more = i + 1 < nbufs;
		check_desc(&table[i], &bufs[i], more);
		if (more)
			check(table[i].next == i + 1);
	}
	chain->table = table;
	model.descs_in_flight += 1;
}

static void op_add(struct input *in)
{
	struct vring_buf bufs[VBLK_QUEUE_SIZE + 1];
	unsigned nbufs = make_chain(in, bufs);
	struct model_chain *chain = free_slot();
	unsigned free_before = vq_num_free(&vq);
	uint16_t avail_before = ring.avail->idx;
	int expected = expected_add(bufs, nbufs);

	int err = vq_add(&vq, bufs, nbufs, chain);
	check(err == expected);
	if (err != 0) {
		/* A function that fails changes nothing. */
		check(vq_num_free(&vq) == free_before && ring.avail->idx == avail_before);
		return;
	}
	record_chain(chain, bufs, nbufs);
}

/* ---- ADD_FRAMED ------------------------------------------------------ */

/* Does vq_add_framed keep a frame for this chain, or add it plainly? */
static bool takes_a_frame(unsigned frame, const struct vring_buf *bufs, unsigned nbufs)
{
	return frame < VQ_FRAMES && nbufs >= 2 && model.num >= 3 && !bufs[0].device_writes &&
	       bufs[nbufs - 1].device_writes;
}

static int expected_add_framed(unsigned frame, const struct vring_buf *bufs, unsigned nbufs)
{
	if (!takes_a_frame(frame, bufs, nbufs))
		return expected_add(bufs, nbufs);
	int err = expected_chain_check(bufs, nbufs);
	if (err)
		return err;
	if (model.frame_busy[frame])
		return -VBLK_EINVAL;
	return (nbufs < 3 ? 3u : nbufs) > model.num - model.descs_in_flight ? -VQ_EAGAIN : 0;
}

/*
 * The new framed chain: walked from its head like any chain, unless its
 * frame was parked with a scribbled header or status descriptor, which the
 * driver does not rewrite; then by the driver's private links, checking
 * the middle only. Either way the frame's three descriptors are its own.
 */
static void record_framed_chain(struct model_chain *chain, unsigned frame, bool was_linked,
				const struct vring_buf *bufs, unsigned nbufs)
{
	const struct vq_frame *fr = &vq.frame[frame];
	bool dirty = was_linked && (model.scribbled[fr->head] || model.scribbled[fr->tail]);

	start_chain(chain, bufs, nbufs);
	chain->frame = (int)frame;
	model.frame_busy[frame] = true;
	check(chain->head == fr->head);
	uint16_t desc_idx = chain->head;
	for (unsigned i = 0; i < nbufs; i++) {
		bool end = i == 0 || i + 1 == nbufs;
		take_desc(chain, desc_idx);
		if (!dirty || !end) {
			check_desc(&ring.desc[desc_idx], &bufs[i], i + 1 < nbufs);
			model.scribbled[desc_idx] = false;
		}
		desc_idx = dirty ? vq.next[desc_idx] : ring.desc[desc_idx].next;
	}
	if (nbufs == 2)
		take_desc(chain, fr->mid);   /* held by the frame, unused */
	model.descs_in_flight += chain->ndescs;
}

static void op_add_framed(struct input *in)
{
	struct vring_buf bufs[VBLK_QUEUE_SIZE + 1];
	unsigned frame = take8(in) % (VQ_FRAMES + 1u);
	unsigned nbufs = make_chain(in, bufs);
	struct model_chain *chain = free_slot();
	unsigned free_before = vq_num_free(&vq);
	uint16_t avail_before = ring.avail->idx;
	bool was_linked = frame < VQ_FRAMES && nbufs >= 2 && vq.frame[frame].head != VQ_NO_DESC;
	if (was_linked) {   /* the contract: the frame's own first and last */
		bufs[0] = model.frame_ends[frame][0];
		bufs[nbufs - 1] = model.frame_ends[frame][1];
	}
	int expected = expected_add_framed(frame, bufs, nbufs);
	bool framed = takes_a_frame(frame, bufs, nbufs);

	int err = vq_add_framed(&vq, frame, bufs, nbufs, chain);
	check(err == expected);
	if (err != 0) {
		check(vq_num_free(&vq) == free_before && ring.avail->idx == avail_before);
		return;
	}
	if (framed) {
		record_framed_chain(chain, frame, was_linked, bufs, nbufs);
		model.frame_ends[frame][0] = bufs[0];
		model.frame_ends[frame][1] = bufs[nbufs - 1];
	}
	else
		record_chain(chain, bufs, nbufs);
}

/* A heap table of exactly the size named, so ASan sees any write past it;
 * or none, or one that is not 16-byte aligned. */
#define MAX_TABLE_ENTRIES 32u

struct table_choice {
	struct vring_desc *alloc;    /* what to free */
	struct vring_desc *table;    /* what to pass */
	unsigned entries;
	bool valid;                  /* non-NULL and aligned */
};

static struct table_choice choose_table(struct input *in)
{
	uint8_t pick = take8(in);
	struct table_choice choice = { .entries = 1u + pick % MAX_TABLE_ENTRIES };

	if (pick >= 0xf8)
		return choice;   /* NULL */
	choice.alloc = malloc(sizeof(struct vring_desc) * choice.entries + 8u);
	check(choice.alloc != NULL);
	choice.table = choice.alloc;
	choice.valid = true;
	if (pick >= 0xf0) {  /* 8 bytes off: never dereferenced by a correct driver */
		choice.table = (struct vring_desc *)(void *)((uint8_t *)choice.alloc + 8);
		choice.valid = false;
	}
	return choice;
}

static int expected_add_indirect(const struct vring_buf *bufs, unsigned nbufs,
				 const struct table_choice *choice)
{
	int err = expected_chain_check(bufs, nbufs);

	if (err)
		return err;
	if (!model.indirect)
		return -VBLK_EUNSUPP;   /* §2.7.5.3.1: not without the feature */
	if (!choice->valid)
		return -VBLK_EINVAL;
	if (nbufs > choice->entries)
		return -VBLK_ETOOBIG;
	if (model.descs_in_flight == model.num)
		return -VQ_EAGAIN;
	return 0;
}

static void op_add_indirect(struct input *in)
{
	struct vring_buf bufs[VBLK_QUEUE_SIZE + 1];
	unsigned nbufs = make_chain(in, bufs);
	struct table_choice choice = choose_table(in);
	struct model_chain *chain = free_slot();
	unsigned free_before = vq_num_free(&vq);
	uint16_t avail_before = ring.avail->idx;
	int expected = expected_add_indirect(bufs, nbufs, &choice);
	unsigned longest = model.indirect ? (choice.entries < model.num ? choice.entries : model.num) : 0;

	check(vq_indirect_max(&vq, choice.entries) == longest);
	int err = vq_add_indirect(&vq, bufs, nbufs, choice.table, choice.entries, chain);
	check(err == expected);
	if (err != 0) {
		check(vq_num_free(&vq) == free_before && ring.avail->idx == avail_before);
		free(choice.alloc);
		return;
	}
	record_indirect_chain(chain, bufs, nbufs, choice.table);
}

/* ---- PUBLISH --------------------------------------------------------- */

/* §2.7.10: notify when avail_event lies in [old, new), modulo 2^16. */
static bool event_in_window(uint16_t event, uint16_t old_idx, uint16_t new_idx)
{
	return (uint16_t)(event - old_idx) < (uint16_t)(new_idx - old_idx);
}

static void op_publish(void)
{
	uint16_t old_idx = model.published, new_idx = model.added;
	bool expected = false;

	if (!model.broken && old_idx != new_idx) {
		expected = model.event_idx
				   ? event_in_window(*ring.avail_event, old_idx, new_idx)
				   : !(ring.used->flags & VRING_USED_F_NO_NOTIFY);
		model.published = new_idx;
	}
	check(vq_publish(&vq) == expected);
}

/* ---- the device writes the used ring --------------------------------- */

static uint32_t pick_used_id(struct input *in, const struct model_chain **chain)
{
	uint8_t pick = take8(in);

	*chain = NULL;
	if (pick < 0xa0 && model.chains_in_flight > 0) {
		*chain = nth_in_flight(pick % model.chains_in_flight);
		return (*chain)->head;
	}
	if (pick < 0xf0)
		return take8(in);    /* small: in range, maybe not a head */
	return take32(in);
}

static uint32_t pick_used_len(struct input *in, uint32_t writable_bytes)
{
	uint8_t pick = take8(in);

	if (pick < 0x40)
		return writable_bytes;                       /* all of it */
	if (pick < 0x80)
		return writable_bytes > (pick & 0x3fu) ? writable_bytes - (pick & 0x3fu) : 0;
	if (pick < 0xa0)
		return writable_bytes + 1u + (pick & 0x1fu); /* too long (or wraps) */
	return take32(in);
}

static void op_complete(struct input *in)
{
	const struct model_chain *chain;
	uint32_t id = pick_used_id(in, &chain);
	uint32_t len = pick_used_len(in, chain ? chain->writable_bytes : 0);
	uint8_t how = take8(in);
	struct vring_used_elem *elem = &ring.used->ring[model.dev_used & (model.num - 1)];

	elem->id = id;
	elem->len = len;
	model.dev_used++;
	/* §2.7.8: entries first, then idx; sometimes idx comes later. */
	if (!(how & 1))
		ring.used->idx = model.dev_used;
}

static void op_used_idx(struct input *in)
{
	uint8_t how = take8(in);

	if (how < 0x80)
		model.dev_used = (uint16_t)(model.dev_used + (int8_t)take8(in));
	else
		model.dev_used = take16(in);
	ring.used->idx = model.dev_used;
}

static void op_device_flags(struct input *in)
{
	ring.used->flags = take16(in);
	*ring.avail_event = take16(in);
}

/* A device writing where it must not: the driver frees chains from its own
 * copy of the links, so this must change nothing it does. */
static void op_scribble(struct input *in)
{
	uint16_t desc_idx = take8(in) & (model.num - 1);
	struct vring_desc *desc = &ring.desc[desc_idx];

	model.scribbled[desc_idx] = true;
	desc->next = take16(in);
	desc->flags = take16(in);
	desc->len = take32(in);
}

/* ---- HARVEST --------------------------------------------------------- */

struct expected_harvest {
	int ret;
	struct model_chain *chain;
	uint32_t len;
};

/* What the device wrote is checked before it is used (§2.7.8, and Linux's
 * "id out of range" / "not a head" checks). */
static struct expected_harvest expected_harvest(void)
{
	const struct expected_harvest broken = { -VBLK_EBROKEN, NULL, 0 };

	if (model.broken)
		return broken;
	uint16_t ready = (uint16_t)(ring.used->idx - model.harvested);
	if (ready == 0)
		return (struct expected_harvest){ 0, NULL, 0 };
	/* The device was given only the chains published: it can neither
	 * count nor name one added since. */
	uint16_t unpublished = (uint16_t)(model.added - model.published);
	if (ready > model.chains_in_flight - unpublished)
		return broken;
	const struct vring_used_elem *elem = &ring.used->ring[model.harvested & (model.num - 1)];
	struct model_chain *chain = elem->id < model.num ? chain_with_head(elem->id) : NULL;
	if (chain == NULL || elem->len > chain->writable_bytes ||
	    (uint16_t)(chain->avail_pos - model.published) < unpublished)
		return broken;
	return (struct expected_harvest){ 1, chain, elem->len };
}

static bool harvest_one(void)
{
	struct expected_harvest expected = expected_harvest();
	void *token = NULL;
	uint32_t used_len = 0;

	int ret = vq_harvest(&vq, &token, &used_len);
	check(ret == expected.ret);
	if (ret < 0)
		model.broken = true;
	if (ret != 1)
		return false;
	check(slot_of_token(token) == expected.chain);
	check(used_len == expected.len && used_len <= expected.chain->writable_bytes);
	retire(expected.chain);
	model.harvested++;
	return true;
}

static void op_harvest(struct input *in)
{
	unsigned tries = 1u + take8(in) % 8u;

	for (unsigned i = 0; i < tries && harvest_one(); i++)
		check_invariants();
}

/* ---- notification suppression ---------------------------------------- */

static bool used_pending(void)
{
	return !model.broken && ring.used->idx != model.harvested;
}

static void op_enable_irq(void)
{
	bool pending = vq_enable_interrupts(&vq);

	check(pending == used_pending());
	if (model.event_idx)
		check(*ring.used_event == model.harvested);
	else
		check(ring.avail->flags == 0);
}

static void op_disable_irq(void)
{
	vq_disable_interrupts(&vq);
	if (!model.event_idx)
		check(ring.avail->flags == VRING_AVAIL_F_NO_INTERRUPT);
}

/* ---- the program ----------------------------------------------------- */

enum op {
	OP_ADD, OP_ADD_INDIRECT, OP_PUBLISH, OP_COMPLETE, OP_USED_IDX, OP_HARVEST, OP_HAS_USED,
	OP_ENABLE_IRQ, OP_DISABLE_IRQ, OP_DEV_FLAGS, OP_SCRIBBLE, OP_BREAK, OP_RESET,
	OP_ADD_FRAMED, OP_COUNT
};

static void run_op(struct input *in, enum op op)
{
	switch (op) {
	case OP_ADD:         op_add(in); break;
	case OP_ADD_INDIRECT: op_add_indirect(in); break;
	case OP_PUBLISH:     op_publish(); break;
	case OP_COMPLETE:    op_complete(in); break;
	case OP_USED_IDX:    op_used_idx(in); break;
	case OP_HARVEST:     op_harvest(in); break;
	case OP_HAS_USED:    check(vq_has_used(&vq) == used_pending()); break;
	case OP_ENABLE_IRQ:  op_enable_irq(); break;
	case OP_DISABLE_IRQ: op_disable_irq(); break;
	case OP_DEV_FLAGS:   op_device_flags(in); break;
	case OP_SCRIBBLE:    op_scribble(in); break;
	case OP_BREAK:
		vq_set_broken(&vq, "fuzz: timed out");
		model.broken = true;
		break;
	case OP_RESET:
		detach_all();
		start_queue(in);
		break;
	case OP_ADD_FRAMED:  op_add_framed(in); break;
	case OP_COUNT:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };

	start_queue(&in);
	while (input_left(&in)) {
		run_op(&in, (enum op)(take8(&in) % OP_COUNT));
		check_invariants();
	}
	detach_all();
	free(ring_mem);
	ring_mem = NULL;
	return 0;
}
