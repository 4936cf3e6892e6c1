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
 * then each op byte picks one step:
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
 *  - every chain in flight is handed back by vqp_detach exactly once.
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

enum op { ADD, ADD_INDIRECT, PUBLISH, COMPLETE, SCRIBBLE, HARVEST, IRQ, RESET, OP_COUNT };

/* What the harness knows of each token: in flight, its slots, writable. */
struct token {
	bool in_flight;
	bool published;   /* a vqp_publish has run since it was added */
	uint16_t nslots;
	uint32_t writable_bytes;
	struct vring_packed_desc *table;   /* heap, for an indirect chain */
};

static struct vq_packed vq;
static struct token tokens[MAX_NUM];
static uint8_t *mem;
static uint16_t dev_used_slot;
static bool dev_used_wrap;

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
		token->in_flight = true;
		token->published = false;
		token->nslots = indirect ? 1 : (uint16_t)nbufs;
		token->writable_bytes = writable;
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
		if (ret != 1)
			return;
		struct token *token = got;
		check(token >= tokens && token < tokens + MAX_NUM);
		check(token->in_flight);
		check(token->published);   /* the device was given it */
		check(len <= token->writable_bytes);
		token->in_flight = false;
		free(token->table);
		token->table = NULL;
	}
}

static void reset_queue(struct input *in)
{
	void *got;
	while ((got = vqp_detach(&vq)) != NULL) {
		struct token *token = got;
		check(token->in_flight);
		token->in_flight = false;
		free(token->table);
		token->table = NULL;
	}
	check(slots_in_flight() == 0);
	start(in);
}

static void step(struct input *in)
{
	switch (take8(in) % OP_COUNT) {
	case ADD:
		add(in, false);
		break;
	case ADD_INDIRECT:
		add(in, true);
		break;
	case PUBLISH:
		vq.device->flags = take8(in) % 3;
		vq.device->off_wrap = take16(in);
		if (!vq.broken) {
			for (unsigned i = 0; i < MAX_NUM; i++)
				tokens[i].published = true;
		}
		vqp_publish(&vq);
		break;
	case COMPLETE:
		complete(in);
		break;
	case SCRIBBLE: {
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
		if (take8(in) & 1)
			vqp_enable_interrupts(&vq);
		else
			vqp_disable_interrupts(&vq);
		break;
	case RESET:
		reset_queue(in);
		break;
	}
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
