/* SPDX-License-Identifier: MIT */
/*
 * Frames of the split ring (vring/split_frame.c): chains whose header and
 * status descriptors stay linked between requests. The test plays the
 * device by hand: it walks each published chain through the shared
 * descriptor table, as a device does, and checks that what it finds is
 * exactly what was added, whatever descriptors the ring chose. The last
 * test runs long random sequences of framed, plain and indirect chains
 * completed in any order, which is where frames and the free list meet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vblk/error.h"
#include "vring/virtqueue.h"

#define NUM 16u
#define MAX_BUFS 8u

static uint8_t ring_mem[VRING_MEM_BYTES(VBLK_QUEUE_SIZE)] __attribute__((aligned(VRING_ALIGN_BYTES)));
static struct virtqueue vq;
static int tokens[VBLK_QUEUE_SIZE];
static struct vring_desc tables[VBLK_QUEUE_SIZE][MAX_BUFS] __attribute__((aligned(16)));

static int setup_num(uint16_t num)
{
	assert_int_equal(vq_init(&vq, ring_mem, sizeof(ring_mem), num, false), 0);
	vq_use_indirect(&vq, true);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_num(NUM);
}

/* A block request's chain for slot `frame`: its own header and status,
 * `nmid` middle buffers of `len` bytes the device writes or reads. */
static unsigned request(struct vring_buf *bufs, unsigned frame, unsigned nmid, uint32_t len,
			bool device_writes, uint64_t data_addr)
{
	unsigned n = 0;
	bufs[n++] = (struct vring_buf){ 0x100000 + 0x100 * frame, 16, false };
	for (unsigned i = 0; i < nmid; i++)
		bufs[n++] = (struct vring_buf){ data_addr + 0x10000 * i, len, device_writes };
	bufs[n++] = (struct vring_buf){ 0x100010 + 0x100 * frame, 1, true };
	return n;
}

/* The device's walk of the chain at avail entry `pos`: it must be
 * `bufs` exactly, each descriptor of the ring's table (no INDIRECT). */
static uint16_t expect_published_chain(uint16_t pos, const struct vring_buf *bufs, unsigned nbufs)
{
	uint16_t head = vq.avail->ring[pos % vq.num], index = head;
	for (unsigned i = 0; i < nbufs; i++) {
		assert_true(index < vq.num);
		const struct vring_desc *desc = &vq.desc[index];
		assert_int_equal(desc->addr, bufs[i].addr);
		assert_int_equal(desc->len, bufs[i].len_bytes);
		uint16_t flags = (uint16_t)((bufs[i].device_writes ? VRING_DESC_F_WRITE : 0) |
					    (i + 1 < nbufs ? VRING_DESC_F_NEXT : 0));
		assert_int_equal(desc->flags, flags);
		index = desc->next;
	}
	return head;
}

static void device_complete(uint32_t id, uint32_t len)
{
	struct vring_used_elem *elem = &vq.used->ring[vq.used->idx % vq.num];
	elem->id = id;
	elem->len = len;
	vq.used->idx++;
}

static void harvest_expect(void *token, uint32_t len)
{
	void *got;
	uint32_t got_len;
	assert_int_equal(vq_harvest(&vq, &got, &got_len), 1);
	assert_ptr_equal(got, token);
	assert_int_equal(got_len, len);
}

/* Add, publish and check a framed chain; returns its head. */
static uint16_t add_framed_and_check(unsigned frame, const struct vring_buf *bufs, unsigned nbufs,
				     void *token)
{
	uint16_t pos = vq.avail_idx;
	assert_int_equal(vq_add_framed(&vq, frame, bufs, nbufs, token), 0);
	vq_publish(&vq);
	return expect_published_chain(pos, bufs, nbufs);
}

static void test_framed_chain_is_the_chain_the_device_reads(void **state)
{
	(void)state;
	struct vring_buf bufs[3];
	unsigned n = request(bufs, 2, 1, 512, true, 0x200000);
	uint16_t head = add_framed_and_check(2, bufs, n, &tokens[0]);
	assert_int_equal(vq_num_free(&vq), NUM - 3);
	device_complete(head, 513);
	harvest_expect(&tokens[0], 513);
	/* The frame parks: free to any add, but still linked. */
	assert_int_equal(vq_num_free(&vq), NUM);
	assert_int_equal(vq.num_parked, 3);
}

static void test_parked_frame_is_reused_with_only_its_middle_rewritten(void **state)
{
	(void)state;
	struct vring_buf bufs[3];
	unsigned n = request(bufs, 0, 1, 4096, true, 0x200000);
	uint16_t head = add_framed_and_check(0, bufs, n, &tokens[0]);
	device_complete(head, 4097);
	harvest_expect(&tokens[0], 4097);

	/* Now a write from other memory: the same head, the middle's
	 * address, length and direction new. */
	n = request(bufs, 0, 1, 1024, false, 0x300000);
	assert_int_equal(add_framed_and_check(0, bufs, n, &tokens[1]), head);
	/* used.len covers the status byte only, now. */
	device_complete(head, 2);
	void *token;
	uint32_t len;
	assert_int_equal(vq_harvest(&vq, &token, &len), -VBLK_EBROKEN);
}

static void test_several_middle_buffers_take_free_descriptors_and_give_them_back(void **state)
{
	(void)state;
	struct vring_buf bufs[MAX_BUFS];
	unsigned n = request(bufs, 1, 4, 512, true, 0x200000);
	uint16_t head = add_framed_and_check(1, bufs, n, &tokens[0]);
	assert_int_equal(vq_num_free(&vq), NUM - 6);
	device_complete(head, 4 * 512 + 1);
	harvest_expect(&tokens[0], 4 * 512 + 1);
	assert_int_equal(vq_num_free(&vq), NUM);
	assert_int_equal(vq.num_parked, 3);

	/* The frame's next chain is head -> middle -> tail again, and a
	 * plain chain can take every descriptor but the frame's. */
	n = request(bufs, 1, 1, 512, true, 0x200000);
	assert_int_equal(add_framed_and_check(1, bufs, n, &tokens[1]), head);
	device_complete(head, 513);
	harvest_expect(&tokens[1], 513);
}

static void test_chain_without_middle_links_head_to_tail(void **state)
{
	(void)state;
	struct vring_buf bufs[3];
	unsigned n = request(bufs, 3, 0, 0, false, 0);
	uint16_t head = add_framed_and_check(3, bufs, n, &tokens[0]);
	assert_int_equal(vq_num_free(&vq), NUM - 3);   /* the frame holds three */
	device_complete(head, 1);
	harvest_expect(&tokens[0], 1);
	n = request(bufs, 3, 1, 512, false, 0x200000);
	assert_int_equal(add_framed_and_check(3, bufs, n, &tokens[1]), head);
}

/* Park frames 0 .. nframes-1 (one chain each, added and harvested). */
static void park_frames(unsigned nframes)
{
	struct vring_buf bufs[3];
	for (unsigned f = 0; f < nframes; f++) {
		unsigned n = request(bufs, f, 1, 512, true, 0x200000);
		uint16_t head = add_framed_and_check(f, bufs, n, &tokens[f]);
		device_complete(head, 513);
		harvest_expect(&tokens[f], 513);
	}
	assert_int_equal(vq_num_free(&vq), NUM);
	assert_int_equal(vq.num_parked, 3 * nframes);
}

static void test_parked_frames_never_make_a_plain_chain_wait(void **state)
{
	(void)state;
	park_frames(5);   /* 15 of the 16 descriptors parked */
	struct vring_buf bufs[NUM];
	for (unsigned i = 0; i < NUM; i++)
		bufs[i] = (struct vring_buf){ 0x400000 + 0x1000 * i, 512, i > 0 };
	assert_int_equal(vq_add(&vq, bufs, NUM, &tokens[20]), 0);
	vq_publish(&vq);
	expect_published_chain(0 + 5, bufs, NUM);
	assert_int_equal(vq.num_parked, 0);
	assert_int_equal(vq_num_free(&vq), 0);
}

static void test_parked_frames_never_make_an_indirect_chain_wait(void **state)
{
	(void)state;
	park_frames(5);
	struct vring_buf bufs[3];
	unsigned n = request(bufs, 9, 1, 512, true, 0x200000);
	/* The free list holds one descriptor; take it with a plain chain. */
	assert_int_equal(vq_add(&vq, bufs + 2, 1, &tokens[19]), 0);
	assert_int_equal(vq_add_indirect(&vq, bufs, n, tables[0], MAX_BUFS, &tokens[20]), 0);
	assert_int_equal(vq.num_parked, 12);
}

static void test_a_frame_needing_free_descriptors_takes_others_apart_not_its_own(void **state)
{
	(void)state;
	park_frames(5);
	/* Frame 4 is parked; its chain of 6 middle buffers needs 5 more
	 * than its own 3, and the free list has 1. */
	struct vring_buf bufs[MAX_BUFS];
	unsigned n = request(bufs, 4, 6, 512, false, 0x200000);
	uint16_t head = vq.frame[4].head;
	assert_int_equal(add_framed_and_check(4, bufs, n, &tokens[4]), head);
	assert_int_equal(vq_num_free(&vq), NUM - 8);
	device_complete(head, 1);
	harvest_expect(&tokens[4], 1);
	assert_int_equal(vq_num_free(&vq), NUM);
}

static void test_second_chain_in_a_frame_in_flight_is_refused_and_changes_nothing(void **state)
{
	(void)state;
	struct vring_buf bufs[3];
	unsigned n = request(bufs, 0, 1, 512, true, 0x200000);
	add_framed_and_check(0, bufs, n, &tokens[0]);
	uint16_t avail_idx = vq.avail_idx, num_free = vq.num_free;
	assert_int_equal(vq_add_framed(&vq, 0, bufs, n, &tokens[1]), -VBLK_EINVAL);
	assert_int_equal(vq.avail_idx, avail_idx);
	assert_int_equal(vq.num_free, num_free);
}

static void test_framed_chain_errors_are_vq_adds(void **state)
{
	(void)state;
	park_frames(1);
	struct vring_buf bufs[NUM + 1];
	unsigned n = request(bufs, 0, 1, 512, true, 0x200000);

	bufs[1].len_bytes = 0;   /* an empty middle */
	assert_int_equal(vq_add_framed(&vq, 0, bufs, n, &tokens[1]), -VBLK_EINVAL);
	bufs[1].len_bytes = UINT32_MAX;   /* 2^32 bytes with header and status */
	assert_int_equal(vq_add_framed(&vq, 0, bufs, n, &tokens[1]), -VBLK_ETOOBIG);
	n = request(bufs, 0, 2, 512, true, 0x200000);
	bufs[2].device_writes = false;   /* readable after writable */
	assert_int_equal(vq_add_framed(&vq, 0, bufs, n, &tokens[1]), -VBLK_EINVAL);
	n = request(bufs, 0, 1, 512, true, 0x200000);
	assert_int_equal(vq_add_framed(&vq, 0, bufs, n, NULL), -VBLK_EINVAL);
	n = request(bufs, 0, NUM - 1, 512, true, 0x200000);
	assert_int_equal(vq_add_framed(&vq, 0, bufs, n, &tokens[1]), -VBLK_ETOOBIG);
	n = request(bufs, 0, 1, 512, true, 0x200000);
	vq_set_broken(&vq, "test");
	assert_int_equal(vq_add_framed(&vq, 0, bufs, n, &tokens[1]), -VBLK_EBROKEN);
	/* None of it reached the ring. */
	assert_int_equal(vq.avail_idx, 1);
	assert_int_equal(vq.num_free, NUM);
	assert_int_equal(vq.num_parked, 3);
}

static void test_framed_chain_without_room_waits_and_changes_nothing(void **state)
{
	(void)state;
	struct vring_buf bufs[MAX_BUFS];
	/* 13 descriptors in flight, 3 free: a frame of 3 middle buffers
	 * needs 5. */
	for (unsigned f = 0; f < 4; f++) {
		unsigned n = request(bufs, f, 1, 512, true, 0x200000);
		add_framed_and_check(f, bufs, n, &tokens[f]);
	}
	assert_int_equal(vq_add(&vq, bufs, 1, &tokens[10]), 0);
	uint16_t avail_idx = vq.avail_idx, free_head = vq.free_head;
	unsigned n = request(bufs, 5, 3, 512, true, 0x200000);
	assert_int_equal(vq_add_framed(&vq, 5, bufs, n, &tokens[5]), -VQ_EAGAIN);
	assert_int_equal(vq.avail_idx, avail_idx);
	assert_int_equal(vq.free_head, free_head);
	assert_int_equal(vq.num_free, 3);
	assert_int_equal(vq.frame[5].head, VQ_NO_DESC);
}

static void test_device_naming_a_frames_middle_or_tail_breaks_the_queue(void **state)
{
	(void)state;
	struct vring_buf bufs[3];
	unsigned n = request(bufs, 0, 1, 512, true, 0x200000);
	add_framed_and_check(0, bufs, n, &tokens[0]);
	device_complete(vq.frame[0].tail, 1);
	void *token;
	uint32_t len;
	assert_int_equal(vq_harvest(&vq, &token, &len), -VBLK_EBROKEN);
	assert_true(vq_is_broken(&vq));
}

static void test_device_naming_a_parked_frame_breaks_the_queue(void **state)
{
	(void)state;
	park_frames(2);
	struct vring_buf bufs[3];
	unsigned n = request(bufs, 1, 1, 512, true, 0x200000);
	add_framed_and_check(1, bufs, n, &tokens[1]);
	device_complete(vq.frame[0].head, 1);   /* frame 0 is not in flight */
	void *token;
	uint32_t len;
	assert_int_equal(vq_harvest(&vq, &token, &len), -VBLK_EBROKEN);
}

static void test_detach_gives_framed_chains_back_and_init_forgets_frames(void **state)
{
	(void)state;
	struct vring_buf bufs[MAX_BUFS];
	unsigned n = request(bufs, 0, 1, 512, true, 0x200000);
	add_framed_and_check(0, bufs, n, &tokens[0]);
	n = request(bufs, 1, 3, 512, true, 0x200000);
	add_framed_and_check(1, bufs, n, &tokens[1]);
	/* A reset may not have completed: detaching writes nothing the
	 * device could still read, and the frames go back whole. */
	static struct vring_desc table[NUM];
	memcpy(table, vq.desc, sizeof(table));
	assert_ptr_equal(vq_detach(&vq), &tokens[0]);
	assert_ptr_equal(vq_detach(&vq), &tokens[1]);
	assert_null(vq_detach(&vq));
	assert_memory_equal(table, vq.desc, sizeof(table));
	assert_int_equal(vq_num_free(&vq), NUM);
	assert_int_equal(vq.num_parked, 0);
	assert_int_equal(vq.frame[0].head, VQ_NO_DESC);
	/* All sixteen are on the free list: a chain of the whole ring fits. */
	struct vring_buf whole[NUM];
	for (unsigned i = 0; i < NUM; i++)
		whole[i] = (struct vring_buf){ 0x400000 + 0x1000 * i, 512, i > 0 };
	assert_int_equal(vq_add(&vq, whole, NUM, &tokens[5]), 0);
	assert_ptr_equal(vq_detach(&vq), &tokens[5]);

	setup_num(NUM);
	assert_int_equal(vq.num_parked, 0);
	assert_int_equal(vq.frame[0].head, VQ_NO_DESC);
	n = request(bufs, 0, 1, 512, true, 0x200000);
	add_framed_and_check(0, bufs, n, &tokens[0]);
}

static void test_chains_that_cannot_have_a_frame_go_in_plainly(void **state)
{
	(void)state;
	struct vring_buf bufs[3];
	unsigned n = request(bufs, 0, 1, 512, true, 0x200000);
	/* A frame number beyond the ring's frames. */
	add_framed_and_check(VQ_FRAMES, bufs, n, &tokens[0]);
	/* A writable head. */
	bufs[0].device_writes = true;
	add_framed_and_check(0, bufs, n, &tokens[1]);
	/* A readable tail. */
	n = request(bufs, 1, 1, 512, false, 0x200000);
	bufs[2].device_writes = false;
	add_framed_and_check(1, bufs, n, &tokens[2]);
	/* One buffer. */
	add_framed_and_check(2, bufs, 1, &tokens[3]);
	assert_int_equal(vq.num_parked, 0);
	assert_int_equal(vq.frame[0].head, VQ_NO_DESC);
	assert_int_equal(vq_num_free(&vq), NUM - 10);
}

static void test_ring_of_two_takes_framed_chains_plainly(void **state)
{
	(void)state;
	setup_num(2);
	struct vring_buf bufs[3];
	unsigned n = request(bufs, 0, 0, 0, false, 0);
	add_framed_and_check(0, bufs, n, &tokens[0]);
	assert_int_equal(vq_num_free(&vq), 0);
}

/*
 * Random sequences: chains of every kind added to random frames and
 * completed in random order, the device checking each chain it is given
 * against what was added, and the ring's counts checked after each step.
 */
struct flight {
	void *token;
	uint16_t head;
	unsigned nbufs;
	uint32_t writable;
	struct vring_buf bufs[MAX_BUFS];
	bool indirect;
	int frame;   /* -1: none */
};

static uint32_t rng_state;

static uint32_t rnd(uint32_t below)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) % below;
}

static unsigned descs_held(const struct flight *f)
{
	if (f->indirect)
		return 1;
	if (f->frame >= 0)
		return f->nbufs < 3 ? 3 : f->nbufs;
	return f->nbufs;
}

static void check_indirect(const struct flight *f)
{
	const struct vring_desc *desc = &vq.desc[f->head];
	assert_int_equal(desc->flags, VRING_DESC_F_INDIRECT);
	assert_int_equal(desc->len, 16 * f->nbufs);
	const struct vring_desc *table = (const struct vring_desc *)(uintptr_t)desc->addr;
	for (unsigned i = 0; i < f->nbufs; i++) {
		assert_int_equal(table[i].addr, f->bufs[i].addr);
		assert_int_equal(table[i].len, f->bufs[i].len_bytes);
	}
}

static void run_sequence(uint16_t num, uint32_t seed, unsigned steps)
{
	static struct flight flights[VBLK_QUEUE_SIZE];
	unsigned nflights = 0, held = 0;
	bool frame_busy[VQ_FRAMES] = { false };

	setup_num(num);
	rng_state = seed;
	for (unsigned step = 0; step < steps; step++) {
		if (nflights > 0 && rnd(3) == 0) {
			/* The device completes one chain in flight, any one. */
			unsigned pick = rnd(nflights);
			struct flight *f = &flights[pick];
			device_complete(f->head, f->writable);
			harvest_expect(f->token, f->writable);
			held -= descs_held(f);
			if (f->frame >= 0)
				frame_busy[f->frame] = false;
			flights[pick] = flights[--nflights];
		} else {
			struct flight f = { .token = &tokens[step % VBLK_QUEUE_SIZE], .frame = -1 };
			unsigned kind = rnd(4), frame = rnd(VQ_FRAMES < 6 ? VQ_FRAMES : 6);
			unsigned nmid = rnd(4) == 0 ? rnd(5) : 1;
			f.nbufs = request(f.bufs, frame, nmid, 512 * (1 + rnd(8)), rnd(2), 0x200000);
			f.writable = 1;
			for (unsigned i = 1; i + 1 < f.nbufs; i++)
				f.writable += f.bufs[i].device_writes ? f.bufs[i].len_bytes : 0;
			uint16_t pos = vq.avail_idx;
			int err;
			if (kind == 0) {
				err = vq_add(&vq, f.bufs, f.nbufs, f.token);
			} else if (kind == 1) {
				f.indirect = true;
				err = vq_add_indirect(&vq, f.bufs, f.nbufs, tables[step % VBLK_QUEUE_SIZE],
						      MAX_BUFS, f.token);
			} else if (frame_busy[frame]) {
				assert_int_equal(vq_add_framed(&vq, frame, f.bufs, f.nbufs, f.token),
						 f.nbufs > num ? -VBLK_ETOOBIG : -VBLK_EINVAL);
				continue;
			} else {
				f.frame = (int)frame;
				err = vq_add_framed(&vq, frame, f.bufs, f.nbufs, f.token);
			}
			/* A chain waits only when the ring truly has no room. */
			if (f.nbufs > num) {
				assert_int_equal(err, -VBLK_ETOOBIG);
				continue;
			}
			if (descs_held(&f) > num - held) {
				assert_int_equal(err, -VQ_EAGAIN);
				continue;
			}
			assert_int_equal(err, 0);
			vq_publish(&vq);
			f.head = vq.avail->ring[pos % num];
			if (f.indirect)
				check_indirect(&f);
			else
				expect_published_chain(pos, f.bufs, f.nbufs);
			for (unsigned i = 0; i < nflights; i++)
				assert_int_not_equal(flights[i].head, f.head);
			if (f.frame >= 0)
				frame_busy[f.frame] = true;
			held += descs_held(&f);
			flights[nflights++] = f;
		}
		assert_int_equal(vq_num_free(&vq), num - held);
		assert_true(vq.num_parked <= vq.num_free);
		assert_int_equal(vq.in_flight, nflights);
	}
	while (nflights > 0) {
		struct flight *f = &flights[--nflights];
		device_complete(f->head, f->writable);
		harvest_expect(f->token, f->writable);
	}
	assert_int_equal(vq_num_free(&vq), num);
}

static void test_random_sequences_of_framed_plain_and_indirect_chains(void **state)
{
	(void)state;
	static const uint16_t sizes[] = { 4, 8, 16, 64 };
	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (uint32_t seed = 1; seed <= 20; seed++)
			run_sequence(sizes[s], seed * 7919u + s, 600);
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_framed_chain_is_the_chain_the_device_reads),
		T(test_parked_frame_is_reused_with_only_its_middle_rewritten),
		T(test_several_middle_buffers_take_free_descriptors_and_give_them_back),
		T(test_chain_without_middle_links_head_to_tail),
		T(test_parked_frames_never_make_a_plain_chain_wait),
		T(test_parked_frames_never_make_an_indirect_chain_wait),
		T(test_a_frame_needing_free_descriptors_takes_others_apart_not_its_own),
		T(test_second_chain_in_a_frame_in_flight_is_refused_and_changes_nothing),
		T(test_framed_chain_errors_are_vq_adds),
		T(test_framed_chain_without_room_waits_and_changes_nothing),
		T(test_device_naming_a_frames_middle_or_tail_breaks_the_queue),
		T(test_device_naming_a_parked_frame_breaks_the_queue),
		T(test_detach_gives_framed_chains_back_and_init_forgets_frames),
		T(test_chains_that_cannot_have_a_frame_go_in_plainly),
		T(test_ring_of_two_takes_framed_chains_plainly),
		T(test_random_sequences_of_framed_plain_and_indirect_chains),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
