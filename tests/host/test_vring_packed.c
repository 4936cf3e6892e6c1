/* SPDX-License-Identifier: MIT */
/*
 * Packed virtqueue unit tests (vring/packed.c, virtio 1.2 §2.8). The test
 * plays the device: it reads available chains from the ring in slot
 * order with a wrap counter of its own, and writes used descriptors at
 * its own position, as QEMU does, so each test pins one rule (the PK- IDs
 * of the project's virtio checklist).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vblk/error.h"
#include "vring/packed.h"

#define NUM 8u
#define ODD_NUM 7u          /* PK-2: need not be a power of 2 */

static uint8_t ring_mem[VRING_PACKED_MEM_BYTES(VBLK_QUEUE_SIZE)] __attribute__((aligned(16)));
static struct vq_packed vq;
static int tokens[VBLK_QUEUE_SIZE];

/* The device's side of the ring. */
static struct {
	uint16_t avail_slot;   /* next slot it reads */
	bool avail_wrap;
	uint16_t used_slot;    /* next slot it writes a used descriptor to */
	bool used_wrap;
} dev;

static int setup_num(uint16_t num, bool event_idx)
{
	memset(ring_mem, 0xa5, sizeof(ring_mem));   /* PK-3: must be zeroed */
	dev.avail_slot = dev.used_slot = 0;
	dev.avail_wrap = dev.used_wrap = true;
	return vqp_init(&vq, ring_mem, sizeof(ring_mem), num, event_idx);
}

static int setup(void **state)
{
	(void)state;
	return setup_num(NUM, false);
}

static int setup_odd(void **state)
{
	(void)state;
	return setup_num(ODD_NUM, false);
}

static int setup_event_idx(void **state)
{
	(void)state;
	return setup_num(NUM, true);
}

static int setup_five(void **state)
{
	(void)state;
	return setup_num(5, false);
}

static int setup_full_size(void **state)
{
	(void)state;
	return setup_num(VBLK_QUEUE_SIZE, false);
}

static const struct vring_buf read_buf = { 0x1000, 16, false };
static const struct vring_buf write_buf = { 0x2000, 512, true };
static const struct vring_buf status_buf = { 0x3000, 1, true };

static int add3(void *token)
{
	struct vring_buf bufs[3] = { read_buf, write_buf, status_buf };
	return vqp_add(&vq, bufs, 3, token);
}

static bool flag(uint16_t flags, uint16_t bit)
{
	return (flags & bit) != 0;
}

/* Is slot `slot` available to a device in lap `wrap` (PK-5)? */
static bool slot_available(uint16_t slot, bool wrap)
{
	uint16_t flags = vq.desc[slot].flags;
	return flag(flags, VRING_PACKED_DESC_F_AVAIL) == wrap &&
	       flag(flags, VRING_PACKED_DESC_F_USED) != wrap;
}

/* The device takes the next available chain: returns its buffer ID and
 * slot count, checking every slot of it (PK-5, PK-16, PK-17), or -1. */
static int device_take(uint16_t *nslots)
{
	uint16_t slot = dev.avail_slot, id = vq.desc[slot].id, count = 0;

	if (!slot_available(slot, dev.avail_wrap))
		return -1;
	for (;;) {
		assert_true(slot_available(slot, dev.avail_wrap));
		assert_int_equal(vq.desc[slot].id, id);
		uint16_t flags = vq.desc[slot].flags;
		count++;
		if (++slot == vq.num) {
			slot = 0;
			dev.avail_wrap = !dev.avail_wrap;
		}
		if (!flag(flags, VRING_DESC_F_NEXT))
			break;
	}
	dev.avail_slot = slot;
	*nslots = count;
	return id;
}

/* The device returns buffer `id` of `nslots` slots with `len` written. */
static void device_complete(uint16_t id, uint16_t nslots, uint32_t len)
{
	struct vring_packed_desc *desc = &vq.desc[dev.used_slot];
	desc->id = id;
	desc->len = len;
	desc->flags = dev.used_wrap ? (VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED) : 0;
	for (uint16_t i = 0; i < nslots; i++) {
		if (++dev.used_slot == vq.num) {
			dev.used_slot = 0;
			dev.used_wrap = !dev.used_wrap;
		}
	}
}

static void expect_harvest(void *token, uint32_t len)
{
	void *got;
	uint32_t got_len;
	assert_int_equal(vqp_harvest(&vq, &got, &got_len), 1);
	assert_ptr_equal(got, token);
	assert_int_equal(got_len, len);
}

static void expect_nothing_used(void)
{
	void *got;
	uint32_t got_len;
	assert_int_equal(vqp_harvest(&vq, &got, &got_len), 0);
}

/* ---- set-up ----------------------------------------------------------- */

static void test_init_checks_size_and_alignment(void **state)
{
	(void)state;
	assert_int_equal(vqp_init(&vq, ring_mem, sizeof(ring_mem), 1, false), -VBLK_EINVAL);
	assert_int_equal(vqp_init(&vq, ring_mem, sizeof(ring_mem), VBLK_QUEUE_SIZE + 1, false),
			 -VBLK_EINVAL);
	assert_int_equal(vqp_init(&vq, ring_mem + 4, sizeof(ring_mem) - 4, NUM, false),
			 -VBLK_EINVAL);
	assert_int_equal(vqp_init(&vq, ring_mem, VRING_PACKED_MEM_BYTES(NUM) - 1, NUM, false),
			 -VBLK_EINVAL);
}

/* PK-2, PK-3: any size up to the limit; ring and both areas zeroed. */
static void test_init_zeroes_ring_and_event_areas(void **state)
{
	(void)state;
	for (size_t i = 0; i < VRING_PACKED_MEM_BYTES(ODD_NUM); i++)
		assert_int_equal(ring_mem[i], 0);
	assert_int_equal(ring_mem[VRING_PACKED_MEM_BYTES(ODD_NUM)], 0xa5);
	assert_ptr_equal(vq.driver, (void *)(ring_mem + 16 * ODD_NUM));
	assert_ptr_equal(vq.device, (void *)(ring_mem + 16 * ODD_NUM + 4));
}

/* ---- making chains available ----------------------------------------- */

/* PK-15: the head's flags are the publication, stored by vqp_publish;
 * the rest of the chain is written before. PK-5, PK-16, PK-17. */
static void test_chain_is_exposed_by_its_head_flags_at_publish(void **state)
{
	(void)state;
	uint16_t nslots;

	assert_int_equal(add3(&tokens[0]), 0);
	assert_int_equal(vq.desc[0].flags, 0);
	assert_true(slot_available(1, true) && slot_available(2, true));
	assert_int_equal(device_take(&nslots), -1);

	assert_true(vqp_publish(&vq));
	assert_int_equal(vq.desc[0].flags, VRING_PACKED_DESC_F_AVAIL | VRING_DESC_F_NEXT);
	assert_int_equal(vq.desc[1].flags,
			 VRING_PACKED_DESC_F_AVAIL | VRING_DESC_F_NEXT | VRING_DESC_F_WRITE);
	assert_int_equal(vq.desc[2].flags, VRING_PACKED_DESC_F_AVAIL | VRING_DESC_F_WRITE);
	assert_int_equal(vq.desc[1].addr, write_buf.addr);
	assert_int_equal(vq.desc[1].len, write_buf.len_bytes);
	int id = device_take(&nslots);
	assert_true(id >= 0 && id < (int)NUM);
	assert_int_equal(nslots, 3);
}

/* A batch: only its first head waits for vqp_publish; a device reading
 * in order sees nothing of it before. */
static void test_batch_is_exposed_at_once(void **state)
{
	(void)state;
	uint16_t nslots;

	assert_int_equal(add3(&tokens[0]), 0);
	assert_int_equal(add3(&tokens[1]), 0);
	assert_int_equal(device_take(&nslots), -1);
	assert_true(vqp_publish(&vq));
	assert_true(device_take(&nslots) >= 0);
	assert_true(device_take(&nslots) >= 0);
	assert_int_equal(device_take(&nslots), -1);
	assert_false(vqp_publish(&vq));   /* nothing new */
}

/* PK-12, PK-13, PK-14: bad chains and a full ring expose nothing. */
static void test_bad_chains_and_full_ring_expose_nothing(void **state)
{
	(void)state;
	struct vring_buf backwards[2] = { write_buf, read_buf };
	struct vring_buf empty[1] = { { 0x1000, 0, false } };
	struct vring_buf long_chain[NUM + 1];
	for (unsigned i = 0; i <= NUM; i++)
		long_chain[i] = read_buf;

	assert_int_equal(vqp_add(&vq, backwards, 2, &tokens[0]), -VBLK_EINVAL);
	assert_int_equal(vqp_add(&vq, empty, 1, &tokens[0]), -VBLK_EINVAL);
	assert_int_equal(vqp_add(&vq, long_chain, NUM + 1, &tokens[0]), -VBLK_ETOOBIG);
	assert_int_equal(vqp_add(&vq, long_chain, 1, NULL), -VBLK_EINVAL);
	assert_int_equal(add3(&tokens[0]), 0);
	assert_int_equal(add3(&tokens[1]), 0);
	assert_int_equal(add3(&tokens[2]), -VQ_EAGAIN);   /* 2 slots left */
	assert_int_equal(vq.num_free, 2);
	assert_int_equal(vq.desc[6].flags, 0);
}

/* PK-14: vqp_add checks each buffer as it fills its slot, so a chain it
 * refuses may have filled some; none may be left looking available. At
 * every position of two laps (the refused chains straddle the ring's end
 * too), a chain refused at its last buffer is followed by a one-slot
 * chain: the device must find that one and nothing after it. */
static void test_refused_chain_leaves_no_slot_available(void **state)
{
	(void)state;
	const struct vring_buf big_read = { 0x1000, 0x80000000u, false };
	const struct vring_buf big_write = { 0x2000, 0x80000000u, true };
	struct vring_buf empty_last[4] = { read_buf, write_buf, write_buf, { 0x3000, 0, true } };
	struct vring_buf backwards_last[4] = { read_buf, write_buf, status_buf, read_buf };
	struct vring_buf too_long[3] = { big_read, write_buf, big_write };   /* 2^32 + 512 bytes */
	struct vring_buf one[1] = { status_buf };
	uint16_t nslots;

	for (unsigned round = 0; round < 2 * NUM; round++) {
		int *token = &tokens[round % NUM];
		assert_int_equal(vqp_add(&vq, empty_last, 4, token), -VBLK_EINVAL);
		assert_int_equal(vqp_add(&vq, backwards_last, 4, token), -VBLK_EINVAL);
		assert_int_equal(vqp_add(&vq, too_long, 3, token), -VBLK_ETOOBIG);
		assert_int_equal(vq.num_free, NUM);
		assert_int_equal(vqp_add(&vq, one, 1, token), 0);
		assert_true(vqp_publish(&vq));
		int id = device_take(&nslots);
		assert_true(id >= 0);
		assert_int_equal(nslots, 1);
		assert_int_equal(device_take(&nslots), -1);
		device_complete((uint16_t)id, nslots, 1);
		expect_harvest(token, 1);
	}
}

/* The straight path's checks of a block request's chain (three buffers,
 * a readable head and a writable tail), at their edges: an empty buffer
 * anywhere, and 2^32 - 1 bytes in all taken but 2^32 refused, as the
 * loop refuses them, with nothing left available. */
static void test_three_buffer_chain_at_its_limits(void **state)
{
	(void)state;
	const struct vring_buf hdr = read_buf, status = status_buf;
	const uint32_t most = UINT32_MAX - hdr.len_bytes - status.len_bytes;
	struct vring_buf chains[][3] = {
		{ { 0x1000, 0, false }, write_buf, status },
		{ hdr, { 0x2000, 0, true }, status },
		{ hdr, { 0x2000, 0, false }, status },
		{ hdr, write_buf, { 0x3000, 0, true } },
		{ hdr, { 0x2000, most + 1, true }, status },
		{ hdr, { 0x2000, most + 1, false }, status },
		{ { 0x1000, UINT32_MAX, false }, { 0x2000, UINT32_MAX, true },
		  { 0x3000, UINT32_MAX, true } },
	};
	const int errors[] = { -VBLK_EINVAL, -VBLK_EINVAL, -VBLK_EINVAL, -VBLK_EINVAL,
			       -VBLK_ETOOBIG, -VBLK_ETOOBIG, -VBLK_ETOOBIG };
	uint16_t nslots;

	for (unsigned i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		assert_int_equal(vqp_add(&vq, chains[i], 3, &tokens[0]), errors[i]);
		assert_int_equal(vq.num_free, NUM);
		assert_int_equal(vq.next_avail, 0);
		assert_false(vqp_publish(&vq));
		for (uint16_t slot = 0; slot < NUM; slot++)
			assert_false(slot_available(slot, true));
	}
	struct vring_buf largest[3] = { hdr, { 0x2000, most, true }, status };
	assert_int_equal(vqp_add(&vq, largest, 3, &tokens[1]), 0);
	assert_true(vqp_publish(&vq));
	int id = device_take(&nslots);
	assert_int_equal(nslots, 3);
	assert_int_equal(vq.desc[1].len, most);
	device_complete((uint16_t)id, nslots, most + 1);
	expect_harvest(&tokens[1], most + 1);
}

/* A block request's three buffers without a token: refused as
 * vqp_add_chain refuses any chain without one (a completion could not
 * be told from "none"), with no slot written or exposed. */
static void test_three_buffer_chain_without_a_token_is_refused(void **state)
{
	(void)state;
	uint16_t nslots;

	assert_int_equal(add3(NULL), -VBLK_EINVAL);
	assert_int_equal(vq.num_free, NUM);
	assert_int_equal(vq.in_flight, 0);
	assert_int_equal(vq.next_avail, 0);
	assert_false(vqp_publish(&vq));
	for (uint16_t slot = 0; slot < NUM; slot++)
		assert_false(slot_available(slot, true));

	assert_int_equal(add3(&tokens[0]), 0);
	assert_true(vqp_publish(&vq));
	int id = device_take(&nslots);
	assert_int_equal(nslots, 3);
	device_complete((uint16_t)id, nslots, 1);
	expect_harvest(&tokens[0], 1);
	assert_int_equal(vq.num_free, NUM);
	assert_int_equal(vq.in_flight, 0);
}

/* ---- completions ------------------------------------------------------ */

static void test_completion_returns_token_and_frees_slots(void **state)
{
	(void)state;
	uint16_t nslots;

	assert_int_equal(add3(&tokens[0]), 0);
	vqp_publish(&vq);
	expect_nothing_used();
	int id = device_take(&nslots);
	device_complete((uint16_t)id, nslots, 513);
	expect_harvest(&tokens[0], 513);
	assert_int_equal(vq.num_free, NUM);
	assert_int_equal(vq.last_used, 3);
	expect_nothing_used();
}

/* PK-19: out of order; each used descriptor advances by its own chain's
 * slot count. */
static void test_out_of_order_completions(void **state)
{
	(void)state;
	uint16_t first_slots, second_slots;
	struct vring_buf one[1] = { status_buf };

	assert_int_equal(add3(&tokens[0]), 0);
	assert_int_equal(vqp_add(&vq, one, 1, &tokens[1]), 0);
	vqp_publish(&vq);
	int first = device_take(&first_slots), second = device_take(&second_slots);

	device_complete((uint16_t)second, second_slots, 1);
	device_complete((uint16_t)first, first_slots, 513);
	expect_harvest(&tokens[1], 1);
	assert_int_equal(vq.last_used, 1);
	expect_harvest(&tokens[0], 513);
	assert_int_equal(vq.last_used, 4);
	assert_int_equal(vq.num_free, NUM);
}

/* On the 8-slot ring: A (one slot, 0) stays with the device while B
 * (slots 1-3), C (4-6) and D (7) complete around it, B before A, so the
 * driver is back at slot 0, A's head slot, with A's ID in flight.
 * Returns A's ID, its slots in *a_slots. */
static int come_round_to_a_held_head(uint16_t *a_slots)
{
	struct vring_buf one[1] = { status_buf };
	uint16_t nslots;

	assert_int_equal(vqp_add(&vq, one, 1, &tokens[0]), 0);   /* A: slot 0 */
	assert_int_equal(add3(&tokens[1]), 0);                    /* B: slots 1-3 */
	vqp_publish(&vq);
	int a = device_take(a_slots), b = device_take(&nslots);
	device_complete((uint16_t)b, nslots, 1);                 /* B before A */
	expect_harvest(&tokens[1], 1);
	assert_int_equal(add3(&tokens[2]), 0);                    /* C: slots 4-6 */
	assert_int_equal(vqp_add(&vq, one, 1, &tokens[3]), 0);   /* D: slot 7 */
	vqp_publish(&vq);
	for (int i = 2; i <= 3; i++) {
		int id = device_take(&nslots);
		device_complete((uint16_t)id, nslots, 1);
		expect_harvest(&tokens[i], 1);
	}
	assert_int_equal(vq.next_avail, 0);
	return a;
}

/* PK-18 after an out-of-order completion: the driver comes round to the
 * head slot of a chain the device still holds, so the chain that starts
 * there takes another ID (a chain's ID is its head slot only while no
 * chain in flight holds it). */
static void test_head_slot_of_a_chain_in_flight_gets_another_id(void **state)
{
	(void)state;
	uint16_t a_slots, nslots;

	int a = come_round_to_a_held_head(&a_slots);
	assert_int_equal(add3(&tokens[4]), 0);                    /* E: slots 0-2 */
	vqp_publish(&vq);
	int e = device_take(&nslots);   /* checks E's ID in each of its slots */
	assert_int_not_equal(e, a);
	assert_in_range(e, 0, NUM - 1);
	device_complete((uint16_t)e, nslots, 513);
	device_complete((uint16_t)a, a_slots, 1);
	expect_harvest(&tokens[4], 513);
	expect_harvest(&tokens[0], 1);
	assert_int_equal(vq.num_free, NUM);
	assert_int_equal(vq.in_flight, 0);
}

/* PK-18 on a 5-slot ring: the ID search past a head slot in flight runs
 * off the last ID and on from 0. C (ID 4) is held across a lap while the
 * chains before and after it complete, until the driver comes round to
 * slot 4 again. */
static void test_id_search_wraps_past_the_last_id(void **state)
{
	(void)state;
	struct vring_buf one[1] = { status_buf };
	uint16_t nslots, c_slots;

	assert_int_equal(vqp_add(&vq, one, 1, &tokens[0]), 0);   /* A: slot 0 */
	assert_int_equal(add3(&tokens[1]), 0);                    /* B: slots 1-3 */
	assert_int_equal(vqp_add(&vq, one, 1, &tokens[2]), 0);   /* C: slot 4 */
	vqp_publish(&vq);
	int a = device_take(&nslots);
	device_complete((uint16_t)a, nslots, 1);
	int b = device_take(&nslots);
	device_complete((uint16_t)b, nslots, 1);
	int c = device_take(&c_slots);
	assert_int_equal(c, 4);
	expect_harvest(&tokens[0], 1);
	expect_harvest(&tokens[1], 1);
	/* D (slots 0-2, lap 0) and E (slot 3) complete, C does not. */
	assert_int_equal(add3(&tokens[3]), 0);
	assert_int_equal(vqp_add(&vq, one, 1, &tokens[4]), 0);
	vqp_publish(&vq);
	for (int i = 3; i <= 4; i++) {
		int id = device_take(&nslots);
		assert_int_not_equal(id, c);
		device_complete((uint16_t)id, nslots, 1);
		expect_harvest(&tokens[i], 1);
	}
	assert_int_equal(vq.next_avail, 4);   /* C's head slot again, C in flight */
	assert_int_equal(vqp_add(&vq, one, 1, &tokens[5]), 0);   /* F: slot 4 */
	vqp_publish(&vq);
	int f = device_take(&nslots);
	assert_int_equal(f, 0);   /* after 4, past the end: 0 */
	device_complete((uint16_t)f, nslots, 1);
	device_complete((uint16_t)c, c_slots, 1);
	expect_harvest(&tokens[5], 1);
	expect_harvest(&tokens[2], 1);
	assert_int_equal(vq.num_free, 5);
	assert_int_equal(vq.in_flight, 0);
}

/* PK-18 off the straight path: an indirect chain, and a chain of four
 * buffers (vqp_add_chain's loop), whose head slots' IDs are in flight. */
static void test_indirect_and_long_chains_take_a_free_id(void **state)
{
	(void)state;
	struct vring_buf three[3] = { read_buf, write_buf, status_buf };
	struct vring_buf four[4] = { read_buf, read_buf, write_buf, status_buf };
	static struct vring_packed_desc table[4] __attribute__((aligned(16)));
	uint16_t nslots, a_slots, e_slots;

	vqp_use_indirect(&vq, true);
	int a = come_round_to_a_held_head(&a_slots);   /* A: ID 0 */
	/* E, indirect, at slot 0 (A's ID), then F, four slots, at slot 1:
	 * E's ID if the search gave it 1. */
	assert_int_equal(vqp_add_indirect(&vq, three, 3, table, 4, &tokens[4]), 0);
	assert_int_equal(vqp_add(&vq, four, 4, &tokens[5]), 0);
	vqp_publish(&vq);
	int e = device_take(&e_slots), f = device_take(&nslots);
	assert_int_equal(e_slots, 1);
	assert_int_equal(nslots, 4);
	assert_int_not_equal(e, a);
	assert_int_not_equal(f, a);
	assert_int_not_equal(f, e);
	device_complete((uint16_t)f, nslots, 513);
	device_complete((uint16_t)a, a_slots, 1);
	device_complete((uint16_t)e, e_slots, 513);
	expect_harvest(&tokens[5], 513);
	expect_harvest(&tokens[0], 1);
	expect_harvest(&tokens[4], 513);
	assert_int_equal(vq.num_free, NUM);
	assert_int_equal(vq.in_flight, 0);
}

/* PK-18, and num_free and in_flight (one word: VQP_COUNTS) at their
 * ends: a ring of VBLK_QUEUE_SIZE slots full of one-slot chains, every ID
 * in flight, completed last first, twice round. */
static void test_full_ring_of_one_slot_chains(void **state)
{
	(void)state;
	struct vring_buf one[1] = { status_buf };
	static int ids[VBLK_QUEUE_SIZE];
	uint16_t nslots;

	for (unsigned lap = 0; lap < 2; lap++) {
		for (unsigned i = 0; i < VBLK_QUEUE_SIZE; i++)
			assert_int_equal(vqp_add(&vq, one, 1, &tokens[i]), 0);
		assert_int_equal(vq.num_free, 0);
		assert_int_equal(vq.in_flight, VBLK_QUEUE_SIZE);
		assert_int_equal(vqp_add(&vq, one, 1, &tokens[0]), -VQ_EAGAIN);
		assert_true(vqp_publish(&vq));
		bool seen[VBLK_QUEUE_SIZE] = { false };
		for (unsigned i = 0; i < VBLK_QUEUE_SIZE; i++) {
			ids[i] = device_take(&nslots);
			assert_in_range(ids[i], 0, VBLK_QUEUE_SIZE - 1);
			assert_false(seen[ids[i]]);
			seen[ids[i]] = true;
		}
		assert_int_equal(device_take(&nslots), -1);
		for (unsigned i = VBLK_QUEUE_SIZE; i-- > 0;)
			device_complete((uint16_t)ids[i], 1, 1);
		for (unsigned i = VBLK_QUEUE_SIZE; i-- > 0;)
			expect_harvest(&tokens[i], 1);
		assert_int_equal(vq.num_free, VBLK_QUEUE_SIZE);
		assert_int_equal(vq.in_flight, 0);
		expect_nothing_used();
	}
}

/* A batch across the ring's end while the chain before it completes: the
 * harvest takes that chain and leaves the batch alone, the device sees
 * nothing of the batch before vqp_publish, and with EVENT_IDX the publish
 * notifies for a slot of the batch on either side of the end, not for the
 * slot after it (PK-33). */
static void test_batch_across_the_wrap_with_a_harvest_before_its_publish(void **state)
{
	(void)state;
	struct vring_buf one[1] = { status_buf };
	uint16_t nslots, q_slots, r_slots;

	for (int i = 0; i < 2; i++) {   /* to slot 6 */
		assert_int_equal(add3(&tokens[i]), 0);
		vqp_publish(&vq);
		int id = device_take(&nslots);
		device_complete((uint16_t)id, nslots, 1);
		expect_harvest(&tokens[i], 1);
	}
	assert_int_equal(vqp_add(&vq, one, 1, &tokens[2]), 0);   /* P: slot 6 */
	vqp_publish(&vq);
	int p = device_take(&nslots);

	assert_int_equal(add3(&tokens[3]), 0);                    /* Q: slots 7, 0, 1 */
	assert_int_equal(vqp_add(&vq, one, 1, &tokens[4]), 0);   /* R: slot 2, lap 0 */
	assert_int_equal(vqp_batch_slots(&vq), 4);
	device_complete((uint16_t)p, nslots, 1);
	assert_true(vqp_has_used(&vq));
	expect_harvest(&tokens[2], 1);
	expect_nothing_used();
	assert_false(vq.broken);
	assert_int_equal(device_take(&nslots), -1);

	vq.device->flags = VRING_PACKED_EVENT_DESC;
	vq.device->off_wrap = 3;   /* slot 3 of lap 0: just after the batch */
	assert_false(vqp_publish(&vq));
	int q = device_take(&q_slots), r = device_take(&r_slots);
	assert_int_equal(q_slots, 3);
	assert_int_equal(r_slots, 1);
	assert_int_not_equal(q, r);
	assert_int_equal(device_take(&nslots), -1);
	device_complete((uint16_t)r, r_slots, 1);
	device_complete((uint16_t)q, q_slots, 513);
	expect_harvest(&tokens[4], 1);
	expect_harvest(&tokens[3], 513);

	/* The same batch four times more, slots 7, 0, 1, 2, in laps 0 and 1,
	 * then 1 and 0, and so on: an event at its first slot (7 of lap 0),
	 * at its first slot past the end (0 of lap 0), at the slot before it
	 * (6 of lap 0), at the slot after it (3 of lap 0). */
	for (unsigned i = 0; i < 4; i++) {
		const uint16_t events[4] = { 7, 0, 6, 3 };
		for (int j = 0; j < 2; j++) {   /* slots 3-5, 6 */
			assert_int_equal(j == 0 ? add3(&tokens[5]) : vqp_add(&vq, one, 1, &tokens[5]), 0);
			vqp_publish(&vq);
			int id = device_take(&nslots);
			device_complete((uint16_t)id, nslots, 1);
			expect_harvest(&tokens[5], 1);
		}
		assert_int_equal(vq.next_avail, 7);
		assert_int_equal(add3(&tokens[6]), 0);
		assert_int_equal(vqp_add(&vq, one, 1, &tokens[7]), 0);
		vq.device->off_wrap = events[i];
		assert_int_equal(vqp_publish(&vq), i < 2);
		for (int j = 6; j <= 7; j++) {
			int id = device_take(&nslots);
			device_complete((uint16_t)id, nslots, 1);
			expect_harvest(&tokens[j], 1);
		}
		assert_int_equal(vq.next_avail, 3);
	}
	assert_int_equal(vq.num_free, NUM);
}

/* A queue broken (by the block layer, say) with a batch of two chains
 * open across the ring's end: the second's head flags are stored, but
 * behind the first's, held back, the device finds neither; vqp_detach
 * hands every chain back, and the ring set up again takes chains. */
static void test_queue_broken_with_a_batch_across_the_wrap(void **state)
{
	(void)state;
	struct vring_buf one[1] = { status_buf };
	uint16_t nslots;

	assert_int_equal(add3(&tokens[0]), 0);                    /* slots 0-2 */
	assert_int_equal(add3(&tokens[1]), 0);                    /* slots 3-5 */
	vqp_publish(&vq);
	int first = device_take(&nslots);
	device_take(&nslots);
	device_complete((uint16_t)first, nslots, 1);
	expect_harvest(&tokens[0], 1);
	assert_int_equal(add3(&tokens[2]), 0);                    /* slots 6, 7, 0 */
	assert_int_equal(vqp_add(&vq, one, 1, &tokens[3]), 0);   /* slot 1, lap 0 */
	assert_true(slot_available(1, false));   /* its head's flags stored */
	vqp_set_broken(&vq, "test");
	assert_false(vqp_publish(&vq));
	assert_int_equal(device_take(&nslots), -1);
	assert_false(slot_available(6, true));
	assert_false(vqp_has_used(&vq));

	bool back[4] = { false };
	for (void *token; (token = vqp_detach(&vq)) != NULL;) {
		int i = (int)((int *)token - tokens);
		assert_in_range(i, 1, 3);
		assert_false(back[i]);
		back[i] = true;
	}
	assert_true(back[1] && back[2] && back[3]);
	assert_int_equal(vq.num_free, NUM);
	assert_int_equal(vq.in_flight, 0);

	assert_int_equal(setup_num(NUM, false), 0);
	assert_int_equal(add3(&tokens[4]), 0);
	vqp_publish(&vq);
	int id = device_take(&nslots);
	device_complete((uint16_t)id, nslots, 1);
	expect_harvest(&tokens[4], 1);
}

/* PK-4, PK-6: many laps of an odd-sized ring with chains that straddle
 * its end; the flags flip each lap on both sides. */
static void test_many_laps_of_an_odd_ring(void **state)
{
	(void)state;
	uint16_t nslots;

	for (unsigned round = 0; round < 5 * ODD_NUM; round++) {
		int *token = &tokens[round % ODD_NUM];
		assert_int_equal(add3(token), 0);
		assert_int_equal(add3(token + 1), 0);
		vqp_publish(&vq);
		int first = device_take(&nslots);
		assert_true(first >= 0);
		int second = device_take(&nslots);
		assert_true(second >= 0);
		device_complete((uint16_t)first, 3, 513);
		device_complete((uint16_t)second, 3, 513);
		expect_harvest(token, 513);
		expect_harvest(token + 1, 513);
		assert_int_equal(vq.last_used, dev.used_slot);
		assert_int_equal(vq.used_wrap, dev.used_wrap);
	}
	assert_int_equal(vq.num_free, ODD_NUM);
}

/* PK-6: a used descriptor of the wrong lap (stale flags) is not used. */
static void test_used_descriptor_of_the_wrong_lap_is_ignored(void **state)
{
	(void)state;
	uint16_t nslots;

	assert_int_equal(add3(&tokens[0]), 0);
	vqp_publish(&vq);
	int id = device_take(&nslots);
	vq.desc[0].id = (uint16_t)id;
	vq.desc[0].flags = 0;          /* "used" in the second lap, not this one */
	expect_nothing_used();
	vq.desc[0].flags = VRING_PACKED_DESC_F_USED;   /* AVAIL != USED */
	expect_nothing_used();
	assert_false(vqp_has_used(&vq));
}

/* PK-20 and the used length: what the device writes is checked. */
static void expect_breaks(uint16_t id, uint32_t len, const char *why)
{
	void *got;
	uint32_t got_len;

	device_complete(id, 3, len);
	assert_int_equal(vqp_harvest(&vq, &got, &got_len), -VBLK_EBROKEN);
	assert_true(vq.broken);
	assert_non_null(strstr(vq.broken_reason, why));
	assert_int_equal(add3(&tokens[5]), -VBLK_EBROKEN);
	assert_false(vqp_publish(&vq));
}

static void test_used_id_out_of_range_breaks_the_queue(void **state)
{
	(void)state;
	uint16_t nslots;
	assert_int_equal(add3(&tokens[0]), 0);
	vqp_publish(&vq);
	device_take(&nslots);
	expect_breaks(NUM + 3, 1, "ID");
}

static void test_used_id_not_in_flight_breaks_the_queue(void **state)
{
	(void)state;
	uint16_t nslots;
	assert_int_equal(add3(&tokens[0]), 0);
	vqp_publish(&vq);
	int id = device_take(&nslots);
	expect_breaks((uint16_t)((id + 1) % NUM), 1, "ID");
}

static void test_used_len_beyond_writable_breaks_the_queue(void **state)
{
	(void)state;
	uint16_t nslots;
	assert_int_equal(add3(&tokens[0]), 0);
	vqp_publish(&vq);
	int id = device_take(&nslots);
	expect_breaks((uint16_t)id, 514, "len");
}

/* A buffer completed twice is "not in flight" the second time. */
static void test_id_completed_twice_breaks_the_queue(void **state)
{
	(void)state;
	uint16_t nslots;
	assert_int_equal(add3(&tokens[0]), 0);
	assert_int_equal(add3(&tokens[1]), 0);
	vqp_publish(&vq);
	int id = device_take(&nslots);
	device_complete((uint16_t)id, 3, 1);
	expect_harvest(&tokens[0], 1);
	expect_breaks((uint16_t)id, 1, "ID");
}

/* A chain added but not yet published was never given to the device: a
 * used descriptor naming it breaks the queue, and so does one at the slot
 * where it waits to be published (the device cannot have reached it). */
static void test_used_id_of_an_unpublished_chain_breaks_the_queue(void **state)
{
	(void)state;
	uint16_t nslots;
	assert_int_equal(add3(&tokens[0]), 0);
	vqp_publish(&vq);
	device_take(&nslots);
	assert_int_equal(add3(&tokens[1]), 0);   /* not published */
	expect_breaks(vq.desc[3].id, 1, "published");
}

static void test_used_descriptor_at_an_unpublished_chain_breaks_the_queue(void **state)
{
	(void)state;
	assert_int_equal(add3(&tokens[0]), 0);   /* not published */
	/* The device writes a used descriptor in the chain's head slot, whose
	 * flags the driver holds back until vqp_publish. */
	expect_breaks(vq.desc[0].id, 1, "published");
}

/* A queue broken with a batch held back: the batch is never exposed, and
 * no chain is taken, on the straight path (three buffers) or any other. */
static void test_broken_queue_exposes_nothing_and_takes_nothing(void **state)
{
	(void)state;
	struct vring_buf one[1] = { status_buf };
	assert_int_equal(add3(&tokens[0]), 0);   /* not published */
	uint16_t held = vq.desc[0].flags;
	vqp_set_broken(&vq, "test");
	assert_false(vqp_publish(&vq));
	assert_int_equal(vq.desc[0].flags, held);
	assert_false(slot_available(0, true));
	assert_int_equal(add3(&tokens[1]), -VBLK_EBROKEN);
	assert_int_equal(vqp_add(&vq, one, 1, &tokens[1]), -VBLK_EBROKEN);
	assert_int_equal(vq.next_avail, 3);
	assert_int_equal(vq.num_free, NUM - 3);
	assert_false(vqp_publish(&vq));
	assert_false(slot_available(0, true));
	assert_false(slot_available(3, true));
}

/* ---- indirect tables (§2.8.19) ----------------------------------------- */

static struct vring_packed_desc table[4] __attribute__((aligned(16)));

static void test_indirect_needs_the_feature(void **state)
{
	(void)state;
	struct vring_buf bufs[3] = { read_buf, write_buf, status_buf };
	assert_int_equal(vqp_add_indirect(&vq, bufs, 3, table, 4, &tokens[0]), -VBLK_EUNSUPP);
}

/* PK-23..26: one slot, INDIRECT without NEXT or WRITE; table entries
 * carry WRITE only; the used position advances by one. */
static void test_indirect_chain_takes_one_slot(void **state)
{
	(void)state;
	struct vring_buf bufs[3] = { read_buf, write_buf, status_buf };
	uint16_t nslots;

	vqp_use_indirect(&vq, true);
	assert_int_equal(vqp_add_indirect(&vq, bufs, 3, table, 2, &tokens[0]), -VBLK_ETOOBIG);
	assert_int_equal(vqp_add_indirect(&vq, bufs, 3, table, 4, &tokens[0]), 0);
	vqp_publish(&vq);
	assert_int_equal(vq.desc[0].flags, VRING_PACKED_DESC_F_AVAIL | VRING_DESC_F_INDIRECT);
	assert_int_equal(vq.desc[0].len, 3 * sizeof(table[0]));
	assert_int_equal(vq.desc[0].addr, (uint64_t)(uintptr_t)table);
	assert_int_equal(table[0].flags, 0);
	assert_int_equal(table[1].flags, VRING_DESC_F_WRITE);
	assert_int_equal(table[2].flags, VRING_DESC_F_WRITE);
	int id = device_take(&nslots);
	assert_int_equal(nslots, 1);
	device_complete((uint16_t)id, 1, 513);
	expect_harvest(&tokens[0], 513);
	assert_int_equal(vq.last_used, 1);
}

/* ---- notifications and interrupts (§2.8.10, §2.8.21) -------------------- */

/* PK-33: ENABLE notifies, DISABLE does not. */
static void test_notify_follows_device_event_flags(void **state)
{
	(void)state;
	assert_int_equal(add3(&tokens[0]), 0);
	vq.device->flags = VRING_PACKED_EVENT_DISABLE;
	assert_false(vqp_publish(&vq));
	assert_int_equal(add3(&tokens[1]), 0);
	vq.device->flags = VRING_PACKED_EVENT_ENABLE;
	assert_true(vqp_publish(&vq));
}

/* PK-33 with EVENT_IDX: DESC notifies only when the slot it names (in its
 * lap) was just exposed, across the ring's end too. */
static void test_notify_with_desc_event_window(void **state)
{
	(void)state;
	uint16_t nslots;

	vq.device->flags = VRING_PACKED_EVENT_DESC;
	vq.device->off_wrap = 5 | VRING_PACKED_EVENT_WRAP;   /* slot 5, lap 1 */
	assert_int_equal(add3(&tokens[0]), 0);                 /* slots 0-2 */
	assert_false(vqp_publish(&vq));
	assert_int_equal(add3(&tokens[1]), 0);                 /* slots 3-5 */
	assert_true(vqp_publish(&vq));

	/* Free the ring, then expose slots 6, 7, 0 (the wrap): an event at
	 * slot 0 of lap 0 (after the wrap) is inside, slot 1 is not. */
	for (int i = 0; i < 2; i++) {
		int id = device_take(&nslots);
		device_complete((uint16_t)id, nslots, 1);
		expect_harvest(&tokens[i], 1);
	}
	vq.device->off_wrap = 1;   /* slot 1 of lap 0 */
	assert_int_equal(add3(&tokens[2]), 0);
	assert_false(vqp_publish(&vq));
	vq.device->off_wrap = 2;   /* slot 2 of lap 0: the next batch */
	assert_int_equal(add3(&tokens[3]), 0);                 /* slots 1-3 */
	assert_true(vqp_publish(&vq));
}

/* PK-28, PK-29, PK-35. */
static void test_interrupt_suppression_without_event_idx(void **state)
{
	(void)state;
	vqp_disable_interrupts(&vq);
	assert_int_equal(vq.driver->flags, VRING_PACKED_EVENT_DISABLE);
	assert_false(vqp_enable_interrupts(&vq));
	assert_int_equal(vq.driver->flags, VRING_PACKED_EVENT_ENABLE);
}

static void test_interrupt_request_names_the_next_used_slot(void **state)
{
	(void)state;
	uint16_t nslots;

	assert_int_equal(add3(&tokens[0]), 0);
	vqp_publish(&vq);
	int id = device_take(&nslots);
	assert_false(vqp_enable_interrupts(&vq));
	assert_int_equal(vq.driver->flags, VRING_PACKED_EVENT_DESC);
	assert_int_equal(vq.driver->off_wrap, 0 | VRING_PACKED_EVENT_WRAP);
	device_complete((uint16_t)id, nslots, 1);
	/* Used before the request took effect: the caller must harvest. */
	assert_true(vqp_enable_interrupts(&vq));
	expect_harvest(&tokens[0], 1);
	vqp_enable_interrupts(&vq);
	assert_int_equal(vq.driver->off_wrap, 3 | VRING_PACKED_EVENT_WRAP);
}

/* After a reset: every chain in flight handed back once. */
static void test_detach_hands_back_every_chain_in_flight(void **state)
{
	(void)state;
	assert_int_equal(add3(&tokens[0]), 0);
	assert_int_equal(add3(&tokens[1]), 0);
	void *first = vqp_detach(&vq), *second = vqp_detach(&vq);
	assert_true((first == &tokens[0] && second == &tokens[1]) ||
		    (first == &tokens[1] && second == &tokens[0]));
	assert_null(vqp_detach(&vq));
}

#define T(test) cmocka_unit_test_setup(test, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_checks_size_and_alignment),
		cmocka_unit_test_setup(test_init_zeroes_ring_and_event_areas, setup_odd),
		T(test_chain_is_exposed_by_its_head_flags_at_publish),
		T(test_batch_is_exposed_at_once),
		T(test_bad_chains_and_full_ring_expose_nothing),
		T(test_refused_chain_leaves_no_slot_available),
		T(test_three_buffer_chain_at_its_limits),
		T(test_three_buffer_chain_without_a_token_is_refused),
		T(test_completion_returns_token_and_frees_slots),
		T(test_out_of_order_completions),
		T(test_head_slot_of_a_chain_in_flight_gets_another_id),
		cmocka_unit_test_setup(test_id_search_wraps_past_the_last_id, setup_five),
		T(test_indirect_and_long_chains_take_a_free_id),
		cmocka_unit_test_setup(test_full_ring_of_one_slot_chains, setup_full_size),
		cmocka_unit_test_setup(test_batch_across_the_wrap_with_a_harvest_before_its_publish,
				       setup_event_idx),
		T(test_queue_broken_with_a_batch_across_the_wrap),
		cmocka_unit_test_setup(test_many_laps_of_an_odd_ring, setup_odd),
		T(test_used_descriptor_of_the_wrong_lap_is_ignored),
		T(test_used_id_out_of_range_breaks_the_queue),
		T(test_used_id_not_in_flight_breaks_the_queue),
		T(test_used_len_beyond_writable_breaks_the_queue),
		T(test_id_completed_twice_breaks_the_queue),
		T(test_used_id_of_an_unpublished_chain_breaks_the_queue),
		T(test_used_descriptor_at_an_unpublished_chain_breaks_the_queue),
		T(test_broken_queue_exposes_nothing_and_takes_nothing),
		T(test_indirect_needs_the_feature),
		T(test_indirect_chain_takes_one_slot),
		T(test_notify_follows_device_event_flags),
		cmocka_unit_test_setup(test_notify_with_desc_event_window, setup_event_idx),
		T(test_interrupt_suppression_without_event_idx),
		cmocka_unit_test_setup(test_interrupt_request_names_the_next_used_slot, setup_event_idx),
		T(test_detach_hands_back_every_chain_in_flight),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
