/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the driver side of the packed virtqueue
 * (vring/packed.c), with the fuzzer playing a hostile device.
 *
 *   make build/fuzz/fuzz_packed_ring
 *   build/fuzz/fuzz_packed_ring -max_total_time=60 tests/fuzz/corpus/packed_ring
 *
 * The harness owns one queue over a heap block of exactly
 * VRING_PACKED_MEM_BYTES(num) bytes (ASan catches any access past it) and
 * writes the ring as the device would. The input's first byte picks the
 * ring size (2..64, not only powers of 2) and EVENT_IDX/INDIRECT_DESC;
 * then each op byte picks one step (modulo 8; modulo 16, 8 to 10 are
 * TAKE, DONE and BREAK):
 *
 *   ADD, ADD_INDIRECT   a chain of 1..4 buffers (an indirect one into a
 *                       heap table), with a token the harness tracks;
 *                       some malformed, which must be refused
 *   PUBLISH             vqp_publish, the device's event area from the input
 *   COMPLETE            write a used descriptor at the device's used slot:
 *                       the ID of a chain in flight or any 16-bit value,
 *                       the exact len or any, flags of this lap or any
 *   SCRIBBLE            overwrite any slot's flags, ID and len
 *   HARVEST             vqp_harvest up to 4 times
 *   IRQ                 vqp_enable_interrupts / vqp_disable_interrupts
 *   RESET               vqp_detach until empty, then vqp_init again
 *   TAKE                the device reads the next available chain, as
 *                       QEMU does: from its own position, in its own lap
 *   DONE                the device returns any chain it read (in any
 *                       order), with a len it may write, at its used slot
 *   BREAK               vqp_set_broken from the driver's side (as the
 *                       block layer does on a bad status byte), batch open
 *                       or not
 *
 * Invariants (abort on violation):
 *  - vqp_harvest returns only tokens in flight and published (a chain
 *    added since the last vqp_publish was never given to the device),
 *    each at most once, with a
 *    len no larger than the chain's writable bytes; once the queue is
 *    broken it returns nothing and vqp_add refuses;
 *  - a chain added is in its slots as the device will read them: each
 *    buffer's address and length, one buffer ID in all (PK-17), and every
 *    slot after the head with WRITE as its buffer says, NEXT but on the
 *    tail, and the lap's AVAIL/USED bits (the head's flags wait for the
 *    batch's publish);
 *  - free slots + slots of chains in flight == ring size, always;
 *  - every chain in flight is handed back by vqp_detach exactly once;
 *  - a new chain's buffer ID is below num and differs from every other
 *    chain's in flight (PK-18), published or not.
 *
 * While the device has only done what a device may (TAKE, DONE: no
 * COMPLETE or SCRIBBLE since the queue was set up), the harness also
 * knows what the ring must show it, and checks:
 *  - the device finds exactly the published chains, in order, each once,
 *    as added (slots, ID, flags; the table of an indirect one), and
 *    nothing past the last publish (not a chain of an open batch, nor
 *    one left behind when the queue broke with a batch open);
 *  - no two chains the device holds carry the same ID;
 *  - vqp_harvest returns the device's used descriptors in the order it
 *    wrote them, with their len, and never breaks the queue;
 *    vqp_has_used says whether one waits;
 *  - vqp_publish notifies as the device's event area asks: ENABLE yes,
 *    DISABLE no, DESC with EVENT_IDX exactly when the slot it names (in
 *    its lap) was among those just exposed (any answer for an offset
 *    past the ring's end); nothing exposed, no notification;
 *  - vqp_enable_interrupts with EVENT_IDX names the slot and lap of the
 *    next used descriptor to harvest.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "vblk/error.h"
#include "vring/packed.h"

#define MAX_NUM    64u
#define MAX_BUFS   4u

/* An op byte modulo 8 is one of the first eight ops, as it has always
 * been (committed inputs keep their meaning), unless modulo 16 it is 8,
 * 9 or 10: the ops added later (step). */
enum op { ADD, ADD_INDIRECT, PUBLISH, COMPLETE, SCRIBBLE, HARVEST, IRQ, RESET, TAKE, DONE, BREAK };

/* What the harness knows of each token: in flight, its slots, writable. */
struct token {
	bool in_flight;
	bool published;   /* a vqp_publish has run since it was added */
	uint16_t nslots;
	uint32_t writable_bytes;
	struct vring_packed_desc *table;   /* heap, for an indirect chain */
	uint16_t id;      /* the buffer ID the driver gave it */
	bool held;        /* the device read it and has not returned it */
	unsigned nbufs;
	struct vring_buf bufs[MAX_BUFS];
};

static struct vq_packed vq;
static struct token tokens[MAX_NUM];
static uint8_t *mem;
static uint16_t dev_used_slot;
static bool dev_used_wrap;

/* The honest device (TAKE, DONE) and what the driver published. */
static bool dishonest;         /* a COMPLETE or SCRIBBLE since start() */
static uint16_t dev_avail_slot;
static bool dev_avail_wrap;
static uint16_t pub_slot;      /* where the published slots end */
static bool pub_wrap;
static unsigned added_slots;   /* slots added since the last publish */
static bool broken_by_driver;  /* BREAK ran */
/* Used descriptors the device wrote, oldest first, not yet harvested. */
static struct used {
	struct token *token;
	uint32_t len;
	uint16_t slot;
	bool wrap;
} used_fifo[MAX_NUM];
static unsigned nused;

static void check_at(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_packed_ring: invariant broken: %s\n", what);
		abort();
	}
}

#define check(cond) check_at((cond), #cond)

static void start(struct input *in)
{
	uint8_t shape = take8(in);
	uint16_t num = (uint16_t)(2 + shape % (MAX_NUM - 1));

	free(mem);
	mem = malloc(VRING_PACKED_MEM_BYTES(num));
	check(vqp_init(&vq, mem, VRING_PACKED_MEM_BYTES(num), num, shape & 0x40) == 0);
	vqp_use_indirect(&vq, shape & 0x80);
	dev_used_slot = 0;
	dev_used_wrap = true;
	dishonest = false;
	for (unsigned i = 0; i < MAX_NUM; i++)
		tokens[i].held = false;
	dev_avail_slot = pub_slot = 0;
	dev_avail_wrap = pub_wrap = true;
	added_slots = 0;
	broken_by_driver = false;
	nused = 0;
}

static void advance(uint16_t *slot, bool *wrap, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (++*slot == vq.num) {
			*slot = 0;
			*wrap = !*wrap;
		}
	}
}

static struct token *free_token(void)
{
	for (unsigned i = 0; i < MAX_NUM; i++) {
		if (!tokens[i].in_flight && tokens[i].table == NULL)
			return &tokens[i];
	}
	return NULL;
}

static unsigned slots_in_flight(void)
{
	unsigned slots = 0;
	for (unsigned i = 0; i < MAX_NUM; i++)
		slots += tokens[i].in_flight ? tokens[i].nslots : 0;
	return slots;
}

/* 1..4 buffers, readable then writable, lengths from the input. A flaw
 * byte makes some chains malformed on purpose (*malformed): a buffer of 0
 * bytes, or a readable buffer after a writable one, which the ring must
 * refuse having changed nothing (its refusal undoes slots it filled). */
static unsigned make_chain(struct input *in, struct vring_buf *bufs, uint32_t *writable,
			   bool *malformed)
{
	unsigned nbufs = 1 + take8(in) % MAX_BUFS, nreadable = take8(in) % (nbufs + 1);
	uint8_t flaw = take8(in);

	*writable = 0;
	for (unsigned i = 0; i < nbufs; i++) {
		bool device_writes = i >= nreadable;
		uint32_t len = 1 + take8(in);
		bufs[i] = (struct vring_buf){ 0x100000 + 0x1000 * i, len, device_writes };
		if (device_writes)
			*writable += len;
	}
	*malformed = false;
	if (flaw % 8 == 0) {
		bufs[(flaw / 8) % nbufs].len_bytes = 0;
		*malformed = true;
	} else if (flaw % 8 == 1 && nbufs >= 2 && bufs[0].device_writes) {
		bufs[nbufs - 1].device_writes = false;
		*malformed = true;
	}
	return nbufs;
}

/* The slots of a chain just added from `head` in lap `wrap`. */
static void check_slots(uint16_t head, bool wrap, const struct vring_buf *bufs, unsigned nbufs)
{
	uint16_t slot = head, id = vq.desc[head].id;

	for (unsigned i = 0; i < nbufs; i++) {
		const struct vring_packed_desc *desc = &vq.desc[slot];
		check(desc->addr == bufs[i].addr && desc->len == bufs[i].len_bytes && desc->id == id);
		uint16_t want = (uint16_t)((bufs[i].device_writes ? VRING_DESC_F_WRITE : 0) |
					   (i + 1 < nbufs ? VRING_DESC_F_NEXT : 0) |
					   (wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED));
		check(i == 0 || desc->flags == want);
		if (++slot == vq.num) {
			slot = 0;
			wrap = !wrap;
		}
	}
}

static void add(struct input *in, bool indirect)
{
	struct vring_buf bufs[MAX_BUFS];
	uint32_t writable;
	bool malformed;
	struct token *token = free_token();
	unsigned nbufs = make_chain(in, bufs, &writable, &malformed);
	bool was_broken = vq.broken, wrap = vq.avail_wrap;
	uint16_t head = vq.next_avail;

	if (token == NULL)
		return;
	int err;
	if (indirect) {
		token->table = aligned_alloc(16, sizeof(*token->table) * MAX_BUFS);
		err = vqp_add_indirect(&vq, bufs, nbufs, token->table, MAX_BUFS, token);
	} else {
		err = vqp_add(&vq, bufs, nbufs, token);
	}
	if (was_broken)
		check(err == -VBLK_EBROKEN);
	/* vring_check_chain's order: broken, then a chain longer than the
	 * ring, then each buffer. */
	if (malformed)
		check(err != 0);
	if (malformed && !was_broken && nbufs <= vq.num)
		check(err == -VBLK_EINVAL);
	if (err == 0 && !indirect)
		check_slots(head, wrap, bufs, nbufs);
	if (err == 0) {
		uint16_t id = vq.desc[head].id;
		check(id < vq.num);
		for (unsigned i = 0; i < MAX_NUM; i++)
			check(!tokens[i].in_flight || tokens[i].id != id);   /* PK-18 */
		token->in_flight = true;
		token->published = false;
		token->held = false;
		token->id = id;
		token->nslots = indirect ? 1 : (uint16_t)nbufs;
		token->writable_bytes = writable;
		token->nbufs = nbufs;
		memcpy(token->bufs, bufs, sizeof(bufs[0]) * nbufs);
		added_slots += token->nslots;
	} else if (token->table != NULL) {
		free(token->table);
		token->table = NULL;
	}
}

/* The device's used descriptor at its slot, honest or not. */
static void complete(struct input *in)
{
	uint8_t how = take8(in);
	uint16_t id = take16(in);
	uint32_t len = take32(in);
	unsigned pick = take8(in) % MAX_NUM;
	struct vring_packed_desc *desc = &vq.desc[dev_used_slot];

	dishonest = true;
	if (!(how & 1)) {
		/* An honest completion of a chain in flight, if the pick is one:
		 * find the ring's buffer ID for it by its token. */
		for (uint16_t i = 0; i < vq.num; i++) {
			if (vq.chain[i].token == &tokens[pick]) {
				id = i;
				len = tokens[pick].writable_bytes;
			}
		}
	}
	desc->id = id;
	desc->len = len;
	desc->flags = (how & 2) ? take16(in)
				: (dev_used_wrap ? VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED : 0);
	uint16_t advance = (how & 4) ? (uint16_t)(1 + take8(in) % vq.num) : 1;
	if (id < vq.num && vq.chain[id].token != NULL)
		advance = vq.chain[id].nslots;
	for (uint16_t i = 0; i < advance; i++) {
		if (++dev_used_slot == vq.num) {
			dev_used_slot = 0;
			dev_used_wrap = !dev_used_wrap;
		}
	}
}

static void harvest(void)
{
	for (int i = 0; i < 4; i++) {
		void *got;
		uint32_t len;
		bool was_broken = vq.broken;
		int ret = vqp_harvest(&vq, &got, &len);
		if (was_broken)
			check(ret == -VBLK_EBROKEN);
		if (!dishonest && !was_broken) {
			/* The device's used descriptors, in its order. */
			check(ret == (nused > 0));
			if (ret == 1) {
				check(got == used_fifo[0].token && len == used_fifo[0].len);
				memmove(used_fifo, used_fifo + 1, sizeof(used_fifo[0]) * --nused);
			}
		}
		if (ret != 1)
			return;
		struct token *token = got;
		check(token >= tokens && token < tokens + MAX_NUM);
		check(token->in_flight);
		check(token->published);   /* the device was given it */
		check(len <= token->writable_bytes);
		token->in_flight = false;
		token->held = false;
		free(token->table);
		token->table = NULL;
	}
}

/* Is `slot` available to a device in lap `wrap` (§2.8.1)? */
static bool slot_available(uint16_t slot, bool wrap)
{
	uint16_t flags = vq.desc[slot].flags;
	return ((flags & VRING_PACKED_DESC_F_AVAIL) != 0) == wrap &&
	       ((flags & VRING_PACKED_DESC_F_USED) != 0) != wrap;
}

/* The device reads the chain at its position, if one is available: it
 * must be the next one published, whole, and not one the device holds. */
static void device_take(void)
{
	if (dishonest || !slot_available(dev_avail_slot, dev_avail_wrap))
		return;
	/* Nothing past the last publish is available. */
	check(dev_avail_slot != pub_slot || dev_avail_wrap != pub_wrap);
	uint16_t id = vq.desc[dev_avail_slot].id;
	struct token *token = NULL;
	for (unsigned i = 0; i < MAX_NUM; i++) {
		if (tokens[i].in_flight && tokens[i].id == id)
			token = &tokens[i];
	}
	check(token != NULL);
	check(token->published && !token->held);   /* IDs unique in the device's hands */
	for (unsigned i = 0; i < nused; i++)
		check(used_fifo[i].token != token);        /* nor one it returned */
	const struct vring_packed_desc *head = &vq.desc[dev_avail_slot];
	if (head->flags & VRING_DESC_F_INDIRECT) {
		check(token->table != NULL && token->nslots == 1);
		check(!(head->flags & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE)));
		check(head->len == sizeof(*token->table) * token->nbufs);
		for (unsigned i = 0; i < token->nbufs; i++) {
			const struct vring_packed_desc *entry = &token->table[i];
			check(entry->addr == token->bufs[i].addr &&
			      entry->len == token->bufs[i].len_bytes &&
			      entry->flags == (token->bufs[i].device_writes ? VRING_DESC_F_WRITE : 0));
		}
		advance(&dev_avail_slot, &dev_avail_wrap, 1);
	} else {
		check(token->table == NULL && token->nslots == token->nbufs);
		for (unsigned i = 0; i < token->nbufs; i++) {
			const struct vring_packed_desc *desc = &vq.desc[dev_avail_slot];
			check(slot_available(dev_avail_slot, dev_avail_wrap));
			check(desc->id == id && desc->addr == token->bufs[i].addr &&
			      desc->len == token->bufs[i].len_bytes);
			check(((desc->flags & VRING_DESC_F_NEXT) != 0) == (i + 1 < token->nbufs));
			check(((desc->flags & VRING_DESC_F_WRITE) != 0) == token->bufs[i].device_writes);
			check(!(desc->flags & VRING_DESC_F_INDIRECT));
			advance(&dev_avail_slot, &dev_avail_wrap, 1);
		}
	}
	token->held = true;
}

/* The device returns a chain it holds, any of them, with a len it may. */
static void device_done(struct input *in)
{
	unsigned pick = take8(in) % MAX_NUM;
	uint32_t len = take32(in);

	if (dishonest)
		return;
	for (unsigned i = 0; i < MAX_NUM; i++) {
		struct token *token = &tokens[(pick + i) % MAX_NUM];
		if (!token->held)
			continue;
		len %= token->writable_bytes + 1;
		struct vring_packed_desc *desc = &vq.desc[dev_used_slot];
		desc->id = token->id;
		desc->len = len;
		desc->flags = dev_used_wrap ? VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED : 0;
		used_fifo[nused++] = (struct used){ token, len, dev_used_slot, dev_used_wrap };
		advance(&dev_used_slot, &dev_used_wrap, token->nslots);
		token->held = false;
		return;
	}
}

/* vqp_publish against what the device's event area asked for. */
static void publish(struct input *in)
{
	uint16_t event_flags = take8(in) % 3, off_wrap = take16(in);
	bool exposes = !vq.broken && added_slots > 0, want = false;

	vq.device->flags = event_flags;
	vq.device->off_wrap = off_wrap;
	if (exposes && event_flags == VRING_PACKED_EVENT_DESC && vq.event_idx) {
		uint16_t slot = pub_slot;
		bool wrap = pub_wrap;
		for (unsigned i = 0; i < added_slots; i++) {
			want |= off_wrap == (slot | (wrap ? VRING_PACKED_EVENT_WRAP : 0));
			advance(&slot, &wrap, 1);
		}
	} else {
		want = exposes && event_flags != VRING_PACKED_EVENT_DISABLE;
	}
	if (exposes) {
		check(vq.batch_head == pub_slot);
		for (unsigned i = 0; i < MAX_NUM; i++)
			tokens[i].published = true;
		advance(&pub_slot, &pub_wrap, added_slots);
		added_slots = 0;
	}
	bool notify = vqp_publish(&vq);
	/* An offset past the ring names no slot: a notification more or
	 * less for a device that wrote one (a spare one costs it a look). */
	if (!(exposes && event_flags == VRING_PACKED_EVENT_DESC && vq.event_idx &&
	      (off_wrap & ~VRING_PACKED_EVENT_WRAP) >= vq.num))
		check(notify == want);
	if (exposes)
		check(vq.next_avail == pub_slot && vq.avail_wrap == pub_wrap);
}

static void irq(struct input *in)
{
	if (!(take8(in) & 1)) {
		vqp_disable_interrupts(&vq);
		return;
	}
	bool waiting = vqp_enable_interrupts(&vq);
	if (dishonest)
		return;
	check(waiting == (!vq.broken && nused > 0));
	if (vq.event_idx) {
		/* The next used descriptor to harvest: the oldest one written,
		 * or where the device writes its next. */
		uint16_t slot = nused > 0 ? used_fifo[0].slot : dev_used_slot;
		bool wrap = nused > 0 ? used_fifo[0].wrap : dev_used_wrap;
		check(vq.driver->flags == VRING_PACKED_EVENT_DESC);
		check(vq.driver->off_wrap == (slot | (wrap ? VRING_PACKED_EVENT_WRAP : 0)));
	}
}

static void reset_queue(struct input *in)
{
	void *got;
	while ((got = vqp_detach(&vq)) != NULL) {
		struct token *token = got;
		check(token->in_flight);
		token->in_flight = false;
		token->held = false;
		free(token->table);
		token->table = NULL;
	}
	check(slots_in_flight() == 0);
	start(in);
}

static void step(struct input *in)
{
	uint8_t code = take8(in);

	switch (code % 16 >= TAKE && code % 16 <= BREAK ? code % 16 : code % 8) {
	case ADD:
		add(in, false);
		break;
	case ADD_INDIRECT:
		add(in, true);
		break;
	case PUBLISH:
		publish(in);
		break;
	case COMPLETE:
		complete(in);
		break;
	case SCRIBBLE: {
		dishonest = true;
		struct vring_packed_desc *desc = &vq.desc[take8(in) % vq.num];
		desc->flags = take16(in);
		desc->id = take16(in);
		desc->len = take32(in);
		break;
	}
	case HARVEST:
		harvest();
		break;
	case IRQ:
		irq(in);
		break;
	case RESET:
		reset_queue(in);
		break;
	case TAKE:
		device_take();
		break;
	case DONE:
		device_done(in);
		break;
	case BREAK:
		vqp_set_broken(&vq, "fuzz: broken by the driver");
		broken_by_driver = true;
		break;
	}
	/* An honest device never breaks the queue. */
	if (!dishonest)
		check(!vq.broken || broken_by_driver);
	if (!dishonest)
		check(vqp_has_used(&vq) == (!vq.broken && nused > 0));
	/* Slots the ring thinks free plus those of chains in flight. */
	check(vq.num_free + slots_in_flight() == vq.num);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };

	memset(tokens, 0, sizeof(tokens));
	start(&in);
	for (unsigned steps = 0; input_left(&in) && steps < 256; steps++)
		step(&in);
	reset_queue(&in);
	for (unsigned i = 0; i < MAX_NUM; i++)
		free(tokens[i].table);
	free(mem);
	mem = NULL;
	return 0;
}
