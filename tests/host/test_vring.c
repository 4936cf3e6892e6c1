/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue unit tests. The test plays the device by hand, reading
 * the avail ring and writing the used ring directly, so each test pins one
 * rule of virtio 1.2 §2.7 (indirect tables: §2.7.5.3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vblk/error.h"
#include "vring/virtqueue.h"

#define NUM 8u

static uint8_t ring_mem[VRING_MEM_BYTES(VBLK_QUEUE_SIZE)] __attribute__((aligned(VRING_ALIGN_BYTES)));
static struct virtqueue vq;
static int tokens[VBLK_QUEUE_SIZE];

static int setup(void **state)
{
	(void)state;
	assert_int_equal(vq_init(&vq, ring_mem, sizeof(ring_mem), NUM, false), 0);
	return 0;
}

static const struct vring_buf read_buf = { 0x1000, 16, false };
static const struct vring_buf write_buf = { 0x2000, 512, true };
static const struct vring_buf status_buf = { 0x3000, 1, true };

static void add3(void *token)
{
	struct vring_buf bufs[3] = { read_buf, write_buf, status_buf };
	assert_int_equal(vq_add(&vq, bufs, 3, token), 0);
}

/* The device's view: the head of avail entry `pos`. */
static uint16_t avail_head(uint16_t pos)
{
	return vq.avail->ring[pos % vq.num];
}

static void device_complete(uint32_t id, uint32_t len)
{
	struct vring_used_elem *elem = &vq.used->ring[vq.used->idx % vq.num];
	elem->id = id;
	elem->len = len;
	vq.used->idx++;
}

static void test_init_rejects_size_not_power_of_2(void **state)
{
	(void)state;
	assert_int_equal(vq_init(&vq, ring_mem, sizeof(ring_mem), 12, false), -VBLK_EINVAL);
}

static void test_init_rejects_misaligned_memory(void **state)
{
	(void)state;
	assert_int_equal(vq_init(&vq, ring_mem + 16, sizeof(ring_mem) - 16, NUM, false),
			 -VBLK_EINVAL);
}

static void test_init_rejects_too_small_memory(void **state)
{
	(void)state;
	assert_int_equal(vq_init(&vq, ring_mem, vring_mem_bytes(NUM) - 1, NUM, false), -VBLK_EINVAL);
}

static void test_init_zeroes_dirty_ring_memory(void **state)
{
	(void)state;
	memset(ring_mem, 0xa5, sizeof(ring_mem));
	assert_int_equal(vq_init(&vq, ring_mem, sizeof(ring_mem), NUM, false), 0);
	assert_int_equal(vq.used->flags, 0);
	assert_int_equal(vq.used->idx, 0);
	assert_int_equal(vq.avail->idx, 0);
}

static void test_layout_is_legacy_layout_with_modern_alignment(void **state)
{
	(void)state;
	uintptr_t base = (uintptr_t)ring_mem;
	assert_int_equal((uintptr_t)vq.desc - base, 0);
	assert_int_equal((uintptr_t)vq.avail - base, 16 * NUM);
	/* §2.7.2: used ring at the next QueueAlign (4096) boundary. */
	assert_int_equal((uintptr_t)vq.used - base, 4096);
	assert_int_equal((uintptr_t)vq.avail % 2, 0);
	assert_int_equal((uintptr_t)vq.used % 4, 0);
}

static void test_add_links_chain_and_sets_write_flags(void **state)
{
	(void)state;
	add3(&tokens[0]);
	assert_true(vq_publish(&vq));
	assert_int_equal(vq.avail->idx, 1);
	uint16_t head = avail_head(0);
	struct vring_desc *d0 = &vq.desc[head], *d1 = &vq.desc[d0->next], *d2 = &vq.desc[d1->next];
	assert_int_equal(d0->flags, VRING_DESC_F_NEXT);
	assert_int_equal(d0->len, 16);
	assert_int_equal(d1->flags, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE);
	assert_int_equal(d2->flags, VRING_DESC_F_WRITE);
	assert_int_equal(d2->addr, 0x3000);
	assert_int_equal(vq_num_free(&vq), NUM - 3);
}

static void test_add_is_invisible_until_publish(void **state)
{
	(void)state;
	add3(&tokens[0]);
	assert_int_equal(vq.avail->idx, 0);
}

static void test_add_rejects_readable_after_writable(void **state)
{
	(void)state;
	struct vring_buf bufs[3] = { read_buf, write_buf, read_buf };
	assert_int_equal(vq_add(&vq, bufs, 3, &tokens[0]), -VBLK_EINVAL);
	assert_int_equal(vq_num_free(&vq), NUM);
}

static void test_add_rejects_zero_length_buffer(void **state)
{
	(void)state;
	struct vring_buf bufs[2] = { read_buf, { 0x2000, 0, true } };
	assert_int_equal(vq_add(&vq, bufs, 2, &tokens[0]), -VBLK_EINVAL);
}

/* A bad buffer before the last is refused as the chain is filled: the
 * descriptors written so far stay free, and nothing the device can see
 * has moved. */
static void test_add_refuses_an_empty_buffer_mid_chain_and_changes_nothing(void **state)
{
	(void)state;
	struct vring_buf bufs[4] = { read_buf, { 0x2000, 0, true }, write_buf, status_buf };
	uint16_t head_before = vq.free_head;
	assert_int_equal(vq_add(&vq, bufs, 4, &tokens[0]), -VBLK_EINVAL);
	assert_int_equal(vq_num_free(&vq), NUM);
	assert_int_equal(vq.free_head, head_before);
	assert_int_equal(vq.avail_idx, 0);
	assert_int_equal(vq.in_flight, 0);
	assert_false(vq_publish(&vq));

	/* The whole ring is still one free list: a chain of every descriptor fits. */
	struct vring_buf all[NUM];
	for (unsigned i = 0; i < NUM; i++)
		all[i] = read_buf;
	assert_int_equal(vq_add(&vq, all, NUM, &tokens[1]), 0);
	assert_int_equal(vq_num_free(&vq), 0);
}

static void test_add_rejects_chain_of_4_gib(void **state)
{
	(void)state;
	struct vring_buf bufs[2] = { { 0x1000, UINT32_MAX, false }, { 0x2000, 1, true } };
	assert_int_equal(vq_add(&vq, bufs, 2, &tokens[0]), -VBLK_ETOOBIG);
}

static void test_add_rejects_chain_longer_than_queue(void **state)
{
	(void)state;
	struct vring_buf bufs[NUM + 1];
	for (unsigned i = 0; i < NUM + 1; i++)
		bufs[i] = read_buf;
	assert_int_equal(vq_add(&vq, bufs, NUM + 1, &tokens[0]), -VBLK_ETOOBIG);
}

static void test_add_when_full_returns_eagain_and_changes_nothing(void **state)
{
	(void)state;
	add3(&tokens[0]);
	add3(&tokens[1]);
	uint16_t free_before = vq_num_free(&vq), idx_before = vq.avail_idx;
	struct vring_buf bufs[3] = { read_buf, write_buf, status_buf };
	assert_int_equal(vq_add(&vq, bufs, 3, &tokens[2]), -VQ_EAGAIN);
	assert_int_equal(vq_num_free(&vq), free_before);
	assert_int_equal(vq.avail_idx, idx_before);
}

static void test_publish_without_new_chains_does_not_notify(void **state)
{
	(void)state;
	assert_false(vq_publish(&vq));
}

static void test_publish_honours_no_notify_flag(void **state)
{
	(void)state;
	vq.used->flags = VRING_USED_F_NO_NOTIFY;
	add3(&tokens[0]);
	assert_false(vq_publish(&vq));
	assert_int_equal(vq.avail->idx, 1);
}

static void test_publish_batches_several_chains_in_one_idx_store(void **state)
{
	(void)state;
	add3(&tokens[0]);
	add3(&tokens[1]);
	assert_true(vq_publish(&vq));
	assert_int_equal(vq.avail->idx, 2);
}

/* §2.7.10.1 with EVENT_IDX: notify exactly when avail_event is in [old, new). */
static void test_event_idx_notifies_only_when_avail_event_crossed(void **state)
{
	(void)state;
	assert_int_equal(vq_init(&vq, ring_mem, sizeof(ring_mem), NUM, true), 0);
	*vq.avail_event = 5;           /* device wants a kick after entry 5 */
	add3(&tokens[0]);
	assert_false(vq_publish(&vq)); /* 0 -> 1 */
	device_complete(avail_head(0), 1);
	void *token;
	uint32_t len;
	assert_int_equal(vq_harvest(&vq, &token, &len), 1);
	*vq.avail_event = 1;           /* now entry 1 is the one it waits for */
	add3(&tokens[1]);
	assert_true(vq_publish(&vq));  /* 1 -> 2 crosses it */
}

static void test_harvest_returns_token_and_len_and_frees_chain(void **state)
{
	(void)state;
	add3(&tokens[3]);
	vq_publish(&vq);
	device_complete(avail_head(0), 513);
	void *token = NULL;
	uint32_t len = 0;
	assert_int_equal(vq_harvest(&vq, &token, &len), 1);
	assert_ptr_equal(token, &tokens[3]);
	assert_int_equal(len, 513);
	assert_int_equal(vq_num_free(&vq), NUM);
	assert_int_equal(vq_harvest(&vq, &token, &len), 0);
}

static void test_harvest_with_nothing_used_returns_0(void **state)
{
	(void)state;
	void *token;
	uint32_t len;
	add3(&tokens[0]);
	vq_publish(&vq);
	assert_int_equal(vq_harvest(&vq, &token, &len), 0);
	assert_false(vq_is_broken(&vq));
}

static void expect_broken_after(uint32_t id, uint32_t len)
{
	void *token;
	uint32_t used_len;
	device_complete(id, len);
	assert_int_equal(vq_harvest(&vq, &token, &used_len), -VBLK_EBROKEN);
	assert_true(vq_is_broken(&vq));
	struct vring_buf bufs[3] = { read_buf, write_buf, status_buf };
	assert_int_equal(vq_add(&vq, bufs, 3, &tokens[5]), -VBLK_EBROKEN);
}

static void test_used_id_out_of_range_breaks_queue(void **state)
{
	(void)state;
	add3(&tokens[0]);
	vq_publish(&vq);
	expect_broken_after(NUM, 1);
}

static void test_used_id_not_a_head_breaks_queue(void **state)
{
	(void)state;
	add3(&tokens[0]);
	vq_publish(&vq);
	uint16_t head = avail_head(0);
	expect_broken_after(vq.desc[head].next, 1);   /* second descriptor of the chain */
}

static void test_used_len_beyond_writable_bytes_breaks_queue(void **state)
{
	(void)state;
	add3(&tokens[0]);
	vq_publish(&vq);
	expect_broken_after(avail_head(0), 512 + 1 + 1);
}

static void test_same_head_completed_twice_breaks_queue(void **state)
{
	(void)state;
	void *token;
	uint32_t len;
	add3(&tokens[0]);
	add3(&tokens[1]);
	vq_publish(&vq);
	device_complete(avail_head(0), 1);
	assert_int_equal(vq_harvest(&vq, &token, &len), 1);
	expect_broken_after(avail_head(0), 1);
}

static void test_used_idx_jumping_past_in_flight_breaks_queue(void **state)
{
	(void)state;
	void *token;
	uint32_t len;
	add3(&tokens[0]);
	vq_publish(&vq);
	vq.used->idx = 2;   /* two entries claimed, one chain given */
	assert_int_equal(vq_harvest(&vq, &token, &len), -VBLK_EBROKEN);
}

/* A chain added but not yet published was never given to the device: a
 * used entry naming it, or counting it, is the device's invention (the
 * driver would complete a request the device then gets after all). */
static void test_used_entry_naming_an_unpublished_chain_breaks_queue(void **state)
{
	(void)state;
	add3(&tokens[0]);
	vq_publish(&vq);
	add3(&tokens[1]);   /* not published */
	expect_broken_after(avail_head(1), 1);
}

static void test_used_idx_counting_an_unpublished_chain_breaks_queue(void **state)
{
	(void)state;
	void *token;
	uint32_t len;
	add3(&tokens[0]);
	vq_publish(&vq);
	add3(&tokens[1]);   /* not published */
	device_complete(avail_head(0), 1);
	device_complete(avail_head(0), 1);
	assert_int_equal(vq_harvest(&vq, &token, &len), -VBLK_EBROKEN);
	assert_true(vq_is_broken(&vq));
}

/* A callback may poll between an add and its publish: the published
 * chain's completion is taken as usual, and the unpublished one waits,
 * counted in flight, until its publish and its own completion. */
static void test_harvest_takes_a_published_chain_beside_an_unpublished_one(void **state)
{
	(void)state;
	void *token;
	uint32_t len;
	add3(&tokens[0]);
	vq_publish(&vq);
	add3(&tokens[1]);   /* not published */
	assert_int_equal(vq_num_free(&vq), NUM - 6);
	assert_int_equal(vq.in_flight, 2);

	device_complete(avail_head(0), 513);
	assert_int_equal(vq_harvest(&vq, &token, &len), 1);
	assert_ptr_equal(token, &tokens[0]);
	assert_int_equal(len, 513);
	assert_false(vq_is_broken(&vq));
	assert_int_equal(vq_num_free(&vq), NUM - 3);
	assert_int_equal(vq.in_flight, 1);
	assert_int_equal(vq_harvest(&vq, &token, &len), 0);
	assert_int_equal(vq.avail->idx, 1);

	assert_true(vq_publish(&vq));
	assert_int_equal(vq.avail->idx, 2);
	device_complete(avail_head(1), 1);
	assert_int_equal(vq_harvest(&vq, &token, &len), 1);
	assert_ptr_equal(token, &tokens[1]);
	assert_int_equal(len, 1);
	assert_int_equal(vq_num_free(&vq), NUM);
	assert_int_equal(vq.in_flight, 0);
	assert_int_equal(vq_harvest(&vq, &token, &len), 0);
}

static void test_used_idx_going_backwards_breaks_queue(void **state)
{
	(void)state;
	void *token;
	uint32_t len;
	add3(&tokens[0]);
	vq_publish(&vq);
	device_complete(avail_head(0), 1);
	assert_int_equal(vq_harvest(&vq, &token, &len), 1);
	vq.used->idx = 0xffff;  /* "minus one": reads as 65535 new entries */
	assert_int_equal(vq_harvest(&vq, &token, &len), -VBLK_EBROKEN);
}

/* §2.7.13.1: the indices run freely and wrap at 2^16, not at the size. */
static void test_indices_wrap_at_65536(void **state)
{
	(void)state;
	void *token;
	uint32_t len;
	for (unsigned i = 0; i < 70000; i++) {
		add3(&tokens[i % 4]);
		vq_publish(&vq);
		device_complete(avail_head((uint16_t)i), 1);
		assert_int_equal(vq_harvest(&vq, &token, &len), 1);
		assert_ptr_equal(token, &tokens[i % 4]);
	}
	assert_int_equal(vq.avail->idx, (uint16_t)70000);
	assert_int_equal(vq_num_free(&vq), NUM);
}

static void test_out_of_order_completion_frees_right_chains(void **state)
{
	(void)state;
	void *token;
	uint32_t len;
	add3(&tokens[0]);
	add3(&tokens[1]);
	vq_publish(&vq);
	device_complete(avail_head(1), 1);
	device_complete(avail_head(0), 1);
	assert_int_equal(vq_harvest(&vq, &token, &len), 1);
	assert_ptr_equal(token, &tokens[1]);
	assert_int_equal(vq_harvest(&vq, &token, &len), 1);
	assert_ptr_equal(token, &tokens[0]);
	assert_int_equal(vq_num_free(&vq), NUM);
	/* The free list still holds every descriptor exactly once. */
	add3(&tokens[2]);
	add3(&tokens[3]);
	assert_int_equal(vq_num_free(&vq), NUM - 6);
}

static void test_detach_returns_every_chain_in_flight_once(void **state)
{
	(void)state;
	add3(&tokens[0]);
	add3(&tokens[1]);
	vq_publish(&vq);
	void *first = vq_detach(&vq), *second = vq_detach(&vq);
	assert_non_null(first);
	assert_non_null(second);
	assert_ptr_not_equal(first, second);
	assert_null(vq_detach(&vq));
	assert_int_equal(vq_num_free(&vq), NUM);
}

static void test_enable_interrupts_reports_waiting_used_entries(void **state)
{
	(void)state;
	vq_disable_interrupts(&vq);
	assert_int_equal(vq.avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
	add3(&tokens[0]);
	vq_publish(&vq);
	device_complete(avail_head(0), 1);
	assert_true(vq_enable_interrupts(&vq));
	assert_int_equal(vq.avail->flags, 0);
}

static void test_event_idx_keeps_avail_flags_zero(void **state)
{
	(void)state;
	assert_int_equal(vq_init(&vq, ring_mem, sizeof(ring_mem), NUM, true), 0);
	vq_disable_interrupts(&vq);
	assert_int_equal(vq.avail->flags, 0);   /* §2.7.7.1 */
	/* As far back as it goes: used.idx is past it already (§2.7.10). */
	assert_int_equal(*vq.used_event, (uint16_t)(vq.last_used_idx - 1));
	vq_enable_interrupts(&vq);
	assert_int_equal(*vq.used_event, vq.last_used_idx);
}

/* ==== indirect descriptors (virtio 1.2 §2.7.5.3) ===================== */

#define TABLE_ENTRIES 4u
static struct vring_desc table[TABLE_ENTRIES] __attribute__((aligned(16)));
static struct vring_desc other_table[TABLE_ENTRIES] __attribute__((aligned(16)));

static int setup_indirect(void **state)
{
	setup(state);
	vq_use_indirect(&vq, true);
	memset(table, 0xa5, sizeof(table));
	memset(other_table, 0xa5, sizeof(other_table));
	return 0;
}

static int add3_indirect(struct vring_desc *tbl, void *token)
{
	struct vring_buf bufs[3] = { read_buf, write_buf, status_buf };
	return vq_add_indirect(&vq, bufs, 3, tbl, TABLE_ENTRIES, token);
}

/* The ring holds one descriptor with only INDIRECT set (§2.7.5.3.1: never
 * with NEXT), whose addr/len are the table's; the table holds the chain,
 * linked from entry 0 with NEXT and never INDIRECT. */
static void test_indirect_chain_is_one_ring_descriptor_pointing_at_the_table(void **state)
{
	(void)state;
	assert_int_equal(add3_indirect(table, &tokens[0]), 0);
	assert_int_equal(vq_num_free(&vq), NUM - 1);
	assert_true(vq_publish(&vq));
	const struct vring_desc *ring_desc = &vq.desc[avail_head(0)];
	assert_int_equal(ring_desc->flags, VRING_DESC_F_INDIRECT);
	assert_int_equal(ring_desc->addr, (uint64_t)(uintptr_t)table);
	assert_int_equal(ring_desc->len, 3 * sizeof(struct vring_desc));

	assert_int_equal(table[0].addr, read_buf.addr);
	assert_int_equal(table[0].len, read_buf.len_bytes);
	assert_int_equal(table[0].flags, VRING_DESC_F_NEXT);
	assert_int_equal(table[0].next, 1);
	assert_int_equal(table[1].flags, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE);
	assert_int_equal(table[1].next, 2);
	assert_int_equal(table[2].addr, status_buf.addr);
	assert_int_equal(table[2].flags, VRING_DESC_F_WRITE);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(table[i].flags & VRING_DESC_F_INDIRECT, 0);
}

/* §2.7.5.3.1: no INDIRECT flag unless the feature was negotiated. */
static void test_indirect_add_is_refused_without_the_feature(void **state)
{
	(void)state;
	vq_use_indirect(&vq, false);
	assert_int_equal(add3_indirect(table, &tokens[0]), -VBLK_EUNSUPP);
	assert_int_equal(vq_num_free(&vq), NUM);
	assert_int_equal(vq.avail_idx, 0);
	assert_int_equal(vq_indirect_max(&vq, TABLE_ENTRIES), 0);
}

static void test_indirect_chain_longer_than_its_table_is_refused(void **state)
{
	(void)state;
	struct vring_buf bufs[TABLE_ENTRIES + 1];
	for (unsigned i = 0; i < TABLE_ENTRIES + 1; i++)
		bufs[i] = read_buf;
	assert_int_equal(vq_add_indirect(&vq, bufs, TABLE_ENTRIES + 1, table, TABLE_ENTRIES,
					 &tokens[0]), -VBLK_ETOOBIG);
	assert_int_equal(vq_num_free(&vq), NUM);
}

/* §2.7.5.3.1 puts "no chain longer than the queue size" among the rules
 * for indirect tables: a big table does not lift it. */
static void test_indirect_chain_longer_than_the_queue_is_refused(void **state)
{
	(void)state;
	static struct vring_desc big_table[NUM + 1] __attribute__((aligned(16)));
	struct vring_buf bufs[NUM + 1];
	for (unsigned i = 0; i < NUM + 1; i++)
		bufs[i] = read_buf;
	assert_int_equal(vq_add_indirect(&vq, bufs, NUM + 1, big_table, NUM + 1, &tokens[0]),
			 -VBLK_ETOOBIG);
	assert_int_equal(vq_indirect_max(&vq, NUM + 1), NUM);
	assert_int_equal(vq_indirect_max(&vq, TABLE_ENTRIES), TABLE_ENTRIES);
}

static void test_indirect_add_rejects_missing_or_misaligned_table(void **state)
{
	(void)state;
	struct vring_buf bufs[3] = { read_buf, write_buf, status_buf };
	assert_int_equal(vq_add_indirect(&vq, bufs, 3, NULL, TABLE_ENTRIES, &tokens[0]),
			 -VBLK_EINVAL);
	assert_int_equal(vq_add_indirect(&vq, bufs, 3, (struct vring_desc *)((uint8_t *)table + 8),
					 TABLE_ENTRIES - 1, &tokens[0]), -VBLK_EINVAL);
	assert_int_equal(vq_num_free(&vq), NUM);
}

/* The chain rules hold inside the table too (§2.7.4.2). */
static void test_indirect_add_rejects_readable_after_writable(void **state)
{
	(void)state;
	struct vring_buf bufs[3] = { read_buf, write_buf, read_buf };
	assert_int_equal(vq_add_indirect(&vq, bufs, 3, table, TABLE_ENTRIES, &tokens[0]),
			 -VBLK_EINVAL);
	assert_int_equal(vq_num_free(&vq), NUM);
}

/* Two free descriptors: a 3-descriptor chain only fits indirect. */
static void test_indirect_chain_fits_where_a_direct_one_does_not(void **state)
{
	(void)state;
	add3(&tokens[0]);
	add3(&tokens[1]);
	assert_int_equal(vq_num_free(&vq), 2);
	struct vring_buf bufs[3] = { read_buf, write_buf, status_buf };
	assert_int_equal(vq_add(&vq, bufs, 3, &tokens[2]), -VQ_EAGAIN);
	assert_int_equal(add3_indirect(table, &tokens[2]), 0);
	assert_int_equal(add3_indirect(other_table, &tokens[3]), 0);
	assert_int_equal(vq_num_free(&vq), 0);
}

/* With no ring descriptor left, even one is too many: nothing changes. */
static void test_indirect_add_on_full_ring_returns_eagain_and_changes_nothing(void **state)
{
	(void)state;
	struct vring_buf bufs[NUM];
	for (unsigned i = 0; i < NUM; i++)
		bufs[i] = read_buf;
	assert_int_equal(vq_add(&vq, bufs, NUM, &tokens[0]), 0);
	uint16_t idx_before = vq.avail_idx;
	assert_int_equal(add3_indirect(table, &tokens[1]), -VQ_EAGAIN);
	assert_int_equal(vq.avail_idx, idx_before);
	assert_int_equal(table[0].flags, 0xa5a5);   /* the table was not written */
}

/* §2.7.8.3: the device writes only through the table's WRITE entries
 * (512 + 1 bytes here): more is impossible and breaks the queue. */
static void test_indirect_used_len_up_to_the_tables_writable_bytes_is_accepted(void **state)
{
	(void)state;
	void *token;
	uint32_t len;
	assert_int_equal(add3_indirect(table, &tokens[0]), 0);
	vq_publish(&vq);
	device_complete(avail_head(0), 512 + 1);
	assert_int_equal(vq_harvest(&vq, &token, &len), 1);
	assert_ptr_equal(token, &tokens[0]);
	assert_int_equal(len, 513);
}

static void test_indirect_used_len_beyond_the_tables_writable_bytes_breaks_queue(void **state)
{
	(void)state;
	assert_int_equal(add3_indirect(table, &tokens[0]), 0);
	vq_publish(&vq);
	expect_broken_after(avail_head(0), 512 + 1 + 1);
}

/* Harvesting an indirect chain gives back exactly its one ring
 * descriptor, and the free list stays whole: afterwards one direct chain
 * can take every descriptor. */
static void test_harvesting_an_indirect_chain_frees_exactly_one_descriptor(void **state)
{
	(void)state;
	void *token;
	uint32_t len;
	add3(&tokens[0]);
	assert_int_equal(add3_indirect(table, &tokens[1]), 0);
	vq_publish(&vq);
	assert_int_equal(vq_num_free(&vq), NUM - 4);
	device_complete(avail_head(1), 1);
	assert_int_equal(vq_harvest(&vq, &token, &len), 1);
	assert_ptr_equal(token, &tokens[1]);
	assert_int_equal(vq_num_free(&vq), NUM - 3);
	device_complete(avail_head(0), 1);
	assert_int_equal(vq_harvest(&vq, &token, &len), 1);
	assert_int_equal(vq_num_free(&vq), NUM);

	struct vring_buf bufs[NUM];
	for (unsigned i = 0; i < NUM; i++)
		bufs[i] = read_buf;
	assert_int_equal(vq_add(&vq, bufs, NUM, &tokens[2]), 0);
}

/* Direct and indirect chains in flight together, completed in an order
 * of the device's choosing: each token comes back once, with its own
 * len check, and every descriptor returns to the free list. */
static void test_mixed_direct_and_indirect_chains_complete_out_of_order(void **state)
{
	(void)state;
	void *token;
	uint32_t len;
	add3(&tokens[0]);                                  /* head of 3 */
	assert_int_equal(add3_indirect(table, &tokens[1]), 0);     /* 1 */
	add3(&tokens[2]);                                  /* 3 */
	assert_int_equal(add3_indirect(other_table, &tokens[3]), 0); /* 1 */
	vq_publish(&vq);
	assert_int_equal(vq_num_free(&vq), 0);

	const unsigned order[] = { 3, 0, 1, 2 };
	for (unsigned i = 0; i < 4; i++) {
		device_complete(avail_head((uint16_t)order[i]), 513);
		assert_int_equal(vq_harvest(&vq, &token, &len), 1);
		assert_ptr_equal(token, &tokens[order[i]]);
	}
	assert_int_equal(vq_num_free(&vq), NUM);
	assert_int_equal(vq_harvest(&vq, &token, &len), 0);
	add3(&tokens[4]);
	add3(&tokens[5]);
	assert_int_equal(add3_indirect(table, &tokens[6]), 0);
	assert_int_equal(add3_indirect(other_table, &tokens[7]), 0);
	assert_int_equal(vq_num_free(&vq), 0);
}

/* After a device reset every chain comes back, indirect ones included,
 * and frees its ring descriptors. */
static void test_detach_returns_indirect_chains_too(void **state)
{
	(void)state;
	add3(&tokens[0]);
	assert_int_equal(add3_indirect(table, &tokens[1]), 0);
	vq_publish(&vq);
	void *first = vq_detach(&vq), *second = vq_detach(&vq);
	assert_true((first == &tokens[0] && second == &tokens[1]) ||
		    (first == &tokens[1] && second == &tokens[0]));
	assert_null(vq_detach(&vq));
	assert_int_equal(vq_num_free(&vq), NUM);
}

/* vq_init starts without the feature (a reset device renegotiates). */
static void test_init_forgets_indirect(void **state)
{
	(void)state;
	assert_int_equal(vq_init(&vq, ring_mem, sizeof(ring_mem), NUM, false), 0);
	assert_int_equal(add3_indirect(table, &tokens[0]), -VBLK_EUNSUPP);
}

#define T(name) cmocka_unit_test_setup(name, setup)
#define TI(name) cmocka_unit_test_setup(name, setup_indirect)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_rejects_size_not_power_of_2),
		T(test_init_rejects_misaligned_memory),
		T(test_init_rejects_too_small_memory),
		T(test_init_zeroes_dirty_ring_memory),
		T(test_layout_is_legacy_layout_with_modern_alignment),
		T(test_add_links_chain_and_sets_write_flags),
		T(test_add_is_invisible_until_publish),
		T(test_add_rejects_readable_after_writable),
		T(test_add_rejects_zero_length_buffer),
		T(test_add_refuses_an_empty_buffer_mid_chain_and_changes_nothing),
		T(test_add_rejects_chain_of_4_gib),
		T(test_add_rejects_chain_longer_than_queue),
		T(test_add_when_full_returns_eagain_and_changes_nothing),
		T(test_publish_without_new_chains_does_not_notify),
		T(test_publish_honours_no_notify_flag),
		T(test_publish_batches_several_chains_in_one_idx_store),
		T(test_event_idx_notifies_only_when_avail_event_crossed),
		T(test_harvest_returns_token_and_len_and_frees_chain),
		T(test_harvest_with_nothing_used_returns_0),
		T(test_used_id_out_of_range_breaks_queue),
		T(test_used_id_not_a_head_breaks_queue),
		T(test_used_len_beyond_writable_bytes_breaks_queue),
		T(test_same_head_completed_twice_breaks_queue),
		T(test_used_idx_jumping_past_in_flight_breaks_queue),
		T(test_used_idx_going_backwards_breaks_queue),
		T(test_used_entry_naming_an_unpublished_chain_breaks_queue),
		T(test_used_idx_counting_an_unpublished_chain_breaks_queue),
		T(test_harvest_takes_a_published_chain_beside_an_unpublished_one),
		T(test_indices_wrap_at_65536),
		T(test_out_of_order_completion_frees_right_chains),
		T(test_detach_returns_every_chain_in_flight_once),
		T(test_enable_interrupts_reports_waiting_used_entries),
		T(test_event_idx_keeps_avail_flags_zero),
		TI(test_indirect_chain_is_one_ring_descriptor_pointing_at_the_table),
		TI(test_indirect_add_is_refused_without_the_feature),
		TI(test_indirect_chain_longer_than_its_table_is_refused),
		TI(test_indirect_chain_longer_than_the_queue_is_refused),
		TI(test_indirect_add_rejects_missing_or_misaligned_table),
		TI(test_indirect_add_rejects_readable_after_writable),
		TI(test_indirect_chain_fits_where_a_direct_one_does_not),
		TI(test_indirect_add_on_full_ring_returns_eagain_and_changes_nothing),
		TI(test_indirect_used_len_up_to_the_tables_writable_bytes_is_accepted),
		TI(test_indirect_used_len_beyond_the_tables_writable_bytes_breaks_queue),
		TI(test_harvesting_an_indirect_chain_frees_exactly_one_descriptor),
		TI(test_mixed_direct_and_indirect_chains_complete_out_of_order),
		TI(test_detach_returns_indirect_chains_too),
		TI(test_init_forgets_indirect),
	};
	return cmocka_run_group_tests_name("vring", tests, NULL, NULL);
}
