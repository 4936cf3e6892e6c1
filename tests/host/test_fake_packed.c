/* SPDX-License-Identifier: MIT */
/*
 * Tests of the fake device's packed ring (fake_virtio_packed.c), with the
 * driver's own vring/packed.c as the driver side and a few register
 * writes as the transport: the fake must complete what a correct driver
 * makes available (direct and indirect chains, across the wrap, on a
 * ring of 7, in and out of order), suppress events as the areas say,
 * record a driver's mistakes by PK- ID, and misbehave on demand in ways
 * vqp_harvest catches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_virtio_internal.h"
#include "vblk/error.h"
#include "vring/packed.h"

#define MAX_REQS     16u
#define DATA_BYTES   512u
#define TABLE_SLOTS  4u

/* One read request: header, one sector, status (§5.2.6). */
struct req {
	struct { uint32_t type, reserved; uint64_t sector; } hdr;
	uint8_t data[DATA_BYTES] __attribute__((aligned(64)));
	uint8_t status;
	struct vring_packed_desc table[TABLE_SLOTS] __attribute__((aligned(16)));
};

static struct fake_virtio *fv;
static struct vq_packed vq;
static uint8_t ring_mem[VRING_PACKED_MEM_BYTES(VBLK_QUEUE_SIZE)] __attribute__((aligned(16)));
static struct req reqs[MAX_REQS];

static uint64_t addr_of(const void *ptr)
{
	return (uint64_t)(uintptr_t)ptr;
}

static void wr(uint32_t offset, uint32_t val)
{
	host_mmio_write(fake_virtio_base(fv) + offset, 4, val);
}

static void wr_addr(uint32_t low_reg, const void *ptr)
{
	wr(low_reg, (uint32_t)addr_of(ptr));
	wr(low_reg + 4, (uint32_t)(addr_of(ptr) >> 32));
}

/* A modern virtio-mmio device offering RING_PACKED, and the driver's
 * packed ring of `num` slots live on it with `features` accepted. */
static void start(uint16_t num, uint64_t features)
{
	struct fake_virtio_opts opts;

	fake_virtio_default_opts(&opts, 2);
	opts.features |= FAKE_BIT(FAKE_F_RING_PACKED);
	fv = fake_virtio_create(&opts);
	features |= FAKE_BIT(FAKE_F_VERSION_1) | FAKE_BIT(FAKE_F_RING_PACKED);
	wr(REG_STATUS, STATUS_ACKNOWLEDGE);
	wr(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
	wr(REG_DRIVER_FEATURES_SEL, 0);
	wr(REG_DRIVER_FEATURES, (uint32_t)features);
	wr(REG_DRIVER_FEATURES_SEL, 1);
	wr(REG_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);

	memset(ring_mem, 0xa5, sizeof(ring_mem));
	assert_int_equal(vqp_init(&vq, ring_mem, sizeof(ring_mem), num,
				  features & FAKE_BIT(FAKE_F_EVENT_IDX)), 0);
	vqp_use_indirect(&vq, features & FAKE_BIT(FAKE_F_INDIRECT_DESC));
	wr(REG_QUEUE_SEL, 0);
	wr(REG_QUEUE_NUM, num);
	wr_addr(REG_QUEUE_DESC_LOW, vq.desc);
	wr_addr(REG_QUEUE_DRIVER_LOW, vq.driver);
	wr_addr(REG_QUEUE_DEVICE_LOW, vq.device);
	wr(REG_QUEUE_READY, 1);
	wr(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
	for (uint64_t sector = 0; sector < MAX_REQS; sector++)
		memset(fake_virtio_disk(fv) + sector * FAKE_SECTOR_BYTES, (int)(0x40 + sector),
		       FAKE_SECTOR_BYTES);
}

static int teardown(void **state)
{
	(void)state;
	host_platform_reset();
	fv = NULL;
	return 0;
}

/* Read sector `sector` through reqs[i]: three slots, or one slot and an
 * indirect table. Not yet exposed: see publish(). */
static int add_read(unsigned i, uint64_t sector, bool indirect)
{
	struct req *r = &reqs[i];
	struct vring_buf bufs[3] = {
		{ addr_of(&r->hdr), sizeof(r->hdr), false },
		{ addr_of(r->data), DATA_BYTES, true },
		{ addr_of(&r->status), 1, true },
	};

	memset(r, 0, sizeof(*r));
	r->hdr.type = FAKE_BLK_T_IN;
	r->hdr.sector = sector;
	r->status = 0xff;
	if (indirect)
		return vqp_add_indirect(&vq, bufs, 3, r->table, TABLE_SLOTS, r);
	return vqp_add(&vq, bufs, 3, r);
}

/* Expose the batch; notify if the device's event area asks for it. */
static bool publish(void)
{
	bool notify = vqp_publish(&vq);
	if (notify)
		wr(REG_QUEUE_NOTIFY, 0);
	return notify;
}

/* Harvest one completion: it is reqs[i], which read sector `sector`. */
static void expect_read_done(unsigned i, uint64_t sector)
{
	void *token = NULL;
	uint32_t len = 0;

	assert_int_equal(vqp_harvest(&vq, &token, &len), 1);
	assert_ptr_equal(token, &reqs[i]);
	assert_int_equal(len, DATA_BYTES + 1);
	assert_int_equal(reqs[i].status, FAKE_BLK_S_OK);
	assert_int_equal(reqs[i].data[0], 0x40 + sector);
	assert_int_equal(reqs[i].data[DATA_BYTES - 1], 0x40 + sector);
}

/* ---- consuming ------------------------------------------------------- */

/* PK-2, PK-4, PK-19: 3-slot chains on 7 slots straddle the ring's end in
 * every lap; each completes in order with its data. */
static void test_direct_chains_cross_the_wrap_of_a_7_slot_ring(void **state)
{
	(void)state;
	start(7, 0);
	for (unsigned n = 0; n < 12; n++) {
		assert_int_equal(add_read(n % 2, n, false), 0);
		publish();
		expect_read_done(n % 2, n);
	}
	assert_int_equal(fake_virtio_stats(fv)->reads, 12);
	fake_virtio_assert_clean(fv);
}

/* PK-19, PK-26: held requests, direct and indirect, complete newest
 * first; the used descriptors still go in slot order, and the ring keeps
 * working over several laps. */
static void test_out_of_order_completion_of_direct_and_indirect_chains(void **state)
{
	(void)state;
	start(7, FAKE_BIT(FAKE_F_INDIRECT_DESC));
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	fake_virtio_set_order(fv, FAKE_ORDER_REVERSED, 0);
	for (unsigned lap = 0; lap < 4; lap++) {
		/* 3 + 1 + 1 + 1 slots: within the 7, so all fit at once. */
		for (unsigned i = 0; i < 4; i++)
			assert_int_equal(add_read(i, lap * 4 + i, i > 0), 0);
		publish();
		assert_int_equal(fake_virtio_pending(fv), 4);
		assert_int_equal(vqp_harvest(&vq, &(void *){ NULL }, &(uint32_t){ 0 }), 0);
		assert_int_equal(fake_virtio_complete_all(fv), 4);
		for (unsigned i = 4; i-- > 0;)
			expect_read_done(i, lap * 4 + i);
		assert_int_equal(vq.num_free, 7);
	}
	assert_true(fake_virtio_last_chain(fv)->indirect);
	fake_virtio_assert_clean(fv);
}

/* Shuffled completion of 5 one-slot chains and a 3-slot one, over laps. */
static void test_shuffled_completion_over_many_laps(void **state)
{
	void *done[MAX_REQS];

	(void)state;
	start(8, FAKE_BIT(FAKE_F_INDIRECT_DESC) | FAKE_BIT(FAKE_F_EVENT_IDX));
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	fake_virtio_set_order(fv, FAKE_ORDER_SHUFFLED, 7);
	for (unsigned round = 0; round < 10; round++) {
		for (unsigned i = 0; i < 6; i++)
			assert_int_equal(add_read(i, i, i != 2), 0);
		publish();
		fake_virtio_complete_all(fv);
		memset(done, 0, sizeof(done));
		for (unsigned n = 0; n < 6; n++) {
			void *token;
			uint32_t len;
			assert_int_equal(vqp_harvest(&vq, &token, &len), 1);
			unsigned i = (unsigned)((struct req *)token - reqs);
			assert_null(done[i]);
			done[i] = token;
			assert_int_equal(reqs[i].data[0], 0x40 + i);
		}
	}
	fake_virtio_assert_clean(fv);
}

/* ---- event suppression (§2.8.10) ------------------------------------- */

static bool took_interrupt(void)
{
	bool raised = fake_virtio_interrupt_status(fv) & INT_USED_BUFFER;
	if (raised)
		wr(REG_INTERRUPT_ACK, INT_USED_BUFFER);
	return raised;
}

/* Without EVENT_IDX: ENABLE interrupts, DISABLE does not; the device asks
 * for every notification (ENABLE) unless it polls (DISABLE). */
static void test_enable_and_disable_without_event_idx(void **state)
{
	(void)state;
	start(8, 0);
	assert_int_equal(add_read(0, 0, false), 0);
	assert_true(publish());
	expect_read_done(0, 0);
	assert_true(took_interrupt());

	vqp_disable_interrupts(&vq);
	assert_int_equal(add_read(0, 1, false), 0);
	publish();
	expect_read_done(0, 1);
	assert_false(took_interrupt());

	fake_virtio_set_poll_avail(fv, true);
	assert_false(vqp_enable_interrupts(&vq));
	assert_int_equal(add_read(0, 2, false), 0);
	assert_true(publish());          /* the device area said ENABLE */
	assert_true(took_interrupt());
	expect_read_done(0, 2);
	assert_int_equal(add_read(1, 3, false), 0);
	assert_false(publish());         /* now DISABLE: it polls */
	host_cpu_relax();
	assert_true(took_interrupt());
	expect_read_done(1, 3);
	fake_virtio_assert_clean(fv);
}

/* With EVENT_IDX: DESC at the driver's next used slot interrupts when it
 * is used, DESC at a slot further on does not; the device's DESC names
 * its next slot, so each publish notifies. */
static void test_desc_events_with_event_idx(void **state)
{
	(void)state;
	start(7, FAKE_BIT(FAKE_F_EVENT_IDX));
	for (unsigned n = 0; n < 9; n++) {   /* across two wraps */
		assert_false(vqp_enable_interrupts(&vq));
		assert_int_equal(add_read(0, n, false), 0);
		assert_true(publish());
		assert_true(took_interrupt());
		expect_read_done(0, n);
	}
	/* An event at the second chain's used slot, 3 on: the first
	 * chain's used descriptor does not reach it, the second's does. */
	uint16_t off = (uint16_t)((vq.last_used + 3) % vq.num);
	bool wrap = vq.used_wrap ^ (vq.last_used + 3 >= vq.num);
	vq.driver->off_wrap = (uint16_t)(off | (wrap ? VRING_PACKED_EVENT_WRAP : 0));
	vq.driver->flags = VRING_PACKED_EVENT_DESC;
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	assert_int_equal(add_read(0, 0, false), 0);
	assert_int_equal(add_read(1, 1, false), 0);
	publish();
	assert_int_equal(fake_virtio_complete_some(fv, 1), 1);
	assert_false(took_interrupt());
	assert_int_equal(fake_virtio_complete_some(fv, 1), 1);
	assert_true(took_interrupt());
	expect_read_done(0, 0);
	expect_read_done(1, 1);
	fake_virtio_assert_clean(fv);
}

/* ---- misbehaviour knobs ---------------------------------------------- */

static void expect_broken_by(enum fake_virtio_used_fault fault, unsigned good_first)
{
	void *token;
	uint32_t len;

	start(8, 0);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	assert_int_equal(add_read(0, 0, false), 0);
	assert_int_equal(add_read(1, 1, false), 0);
	publish();
	fake_virtio_corrupt_used(fv, fault, FAKE_ONCE);
	assert_int_equal(fake_virtio_complete_some(fv, 1), 1);
	for (unsigned n = 0; n < good_first; n++)
		assert_int_equal(vqp_harvest(&vq, &token, &len), 1);
	assert_int_equal(vqp_harvest(&vq, &token, &len), -VBLK_EBROKEN);
	assert_true(vq.broken);
	/* The other chain completes too; what the device wrote over its
	 * slots is the device's doing, not a driver rewriting them (PK-8). */
	assert_int_equal(fake_virtio_complete_some(fv, 1), 1);
	assert_int_equal(fake_virtio_violation_count(fv), 0);
	teardown(NULL);
}

/* PK-20 and the used len: each fault breaks the driver's queue. */
static void test_each_used_fault_breaks_vqp_harvest(void **state)
{
	(void)state;
	expect_broken_by(FAKE_USED_ID_OUT_OF_RANGE, 0);
	expect_broken_by(FAKE_USED_ID_NOT_HEAD, 0);      /* ID not in flight */
	expect_broken_by(FAKE_USED_LEN_TOO_LARGE, 0);
	expect_broken_by(FAKE_USED_DUPLICATE, 1);        /* ID completed twice */
}

/* PK-6, PK-7: a used descriptor of the wrong lap, or one slot too far,
 * is not a completion; the request stays in flight. */
static void test_wrong_wrap_and_wrong_slot_are_ignored(void **state)
{
	static const enum fake_virtio_used_fault faults[] = {
		FAKE_USED_WRONG_WRAP, FAKE_USED_IDX_JUMP,
	};
	void *token;
	uint32_t len;

	(void)state;
	for (unsigned f = 0; f < 2; f++) {
		start(8, 0);
		fake_virtio_corrupt_used(fv, faults[f], FAKE_ONCE);
		assert_int_equal(add_read(0, 0, false), 0);
		publish();
		assert_int_equal(fake_virtio_pending(fv), 0);
		assert_int_equal(vqp_harvest(&vq, &token, &len), 0);
		assert_false(vq.broken);
		assert_int_equal(vq.in_flight, 1);
		teardown(NULL);
	}
}

/* ---- the driver's mistakes, recorded by PK- ID ------------------------ */

/* Add reqs[0] (held by the device) and reqs[1], spoil reqs[1] with
 * `spoil` before it is exposed, and expect `rule`. */
static void expect_recorded(void (*spoil)(uint16_t first_slot), bool indirect, const char *rule)
{
	start(8, FAKE_BIT(FAKE_F_INDIRECT_DESC));
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	assert_int_equal(add_read(0, 0, false), 0);
	publish();
	uint16_t first_slot = vq.next_avail;
	assert_int_equal(add_read(1, 1, indirect), 0);
	spoil(first_slot);
	publish();
	assert_true(fake_virtio_has_violation(fv, rule));
	teardown(NULL);
}

static void same_id_as_held(uint16_t slot)
{
	for (uint16_t i = 0; i < 3; i++)
		vq.desc[slot + i].id = vq.desc[0].id;
}

static void zero_length(uint16_t slot)
{
	vq.desc[slot + 1].len = 0;
}

static void readable_status(uint16_t slot)
{
	vq.desc[slot + 2].flags &= (uint16_t)~VRING_DESC_F_WRITE;
}

static void next_in_table(uint16_t slot)
{
	(void)slot;
	reqs[1].table[2].flags |= VRING_DESC_F_NEXT;
}

static void test_driver_mistakes_are_recorded(void **state)
{
	(void)state;
	expect_recorded(same_id_as_held, false, "PK-18");
	expect_recorded(zero_length, false, "FAKE-ZERO-LEN");
	expect_recorded(readable_status, false, "PK-13");
	expect_recorded(next_in_table, true, "PK-23");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_direct_chains_cross_the_wrap_of_a_7_slot_ring, teardown),
		cmocka_unit_test_teardown(test_out_of_order_completion_of_direct_and_indirect_chains,
					  teardown),
		cmocka_unit_test_teardown(test_shuffled_completion_over_many_laps, teardown),
		cmocka_unit_test_teardown(test_enable_and_disable_without_event_idx, teardown),
		cmocka_unit_test_teardown(test_desc_events_with_event_idx, teardown),
		cmocka_unit_test_teardown(test_each_used_fault_breaks_vqp_harvest, teardown),
		cmocka_unit_test_teardown(test_wrong_wrap_and_wrong_slot_are_ignored, teardown),
		cmocka_unit_test_teardown(test_driver_mistakes_are_recorded, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
