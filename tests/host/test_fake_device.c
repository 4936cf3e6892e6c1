/* SPDX-License-Identifier: MIT */
/*
 * Tests of the fake virtio-mmio block device itself, driven through
 * host_mmio_read/write by a tiny hand-written driver ("mini") so the fake
 * can be trusted before the real driver is tested against it.
 */
#define _DEFAULT_SOURCE  /* mmap */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "fake_virtio_internal.h"

/* ---- the mini driver ------------------------------------------------- */

#define QSIZE        16u
#define PAGE_BYTES   4096u
#define RING_BYTES   (2 * PAGE_BYTES)
#define AVAIL_OFF    (QSIZE * DESC_BYTES)
#define USED_OFF     PAGE_BYTES          /* legacy: next 4 KiB boundary */
#define LOW_HINT     ((void *)0x10000000) /* legacy PFNs are 32-bit */

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct mini_req {
	struct blk_hdr hdr;
	uint8_t status;
};

struct mini {
	struct fake_virtio *fv;
	uintptr_t base;
	uint8_t *ring;          /* descriptors, avail ring, used ring */
	uint16_t avail_idx;
	uint16_t used_seen;
	uint16_t next_desc;
};

static struct mini m;

static uint32_t rd(uint32_t offset)
{
	return host_mmio_read(m.base + offset, 4);
}

static void wr(uint32_t offset, uint32_t val)
{
	host_mmio_write(m.base + offset, 4, val);
}

static uint64_t addr_of(const void *ptr)
{
	return (uint64_t)(uintptr_t)ptr;
}

static uint8_t *avail(void) { return m.ring + AVAIL_OFF; }
static uint8_t *used(void)  { return m.ring + USED_OFF; }

static void put16(uint8_t *at, uint16_t val) { memcpy(at, &val, sizeof(val)); }
static uint16_t get16(const uint8_t *at) { uint16_t v; memcpy(&v, at, sizeof(v)); return v; }
static uint32_t get32(const uint8_t *at) { uint32_t v; memcpy(&v, at, sizeof(v)); return v; }

static void put_desc(uint8_t *table, uint16_t idx, const void *buf, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *d = table + (size_t)DESC_BYTES * idx;
	uint64_t addr = addr_of(buf);

	memcpy(d + DESC_OFF_ADDR, &addr, sizeof(addr));
	memcpy(d + DESC_OFF_LEN, &len, sizeof(len));
	memcpy(d + DESC_OFF_FLAGS, &flags, sizeof(flags));
	memcpy(d + DESC_OFF_NEXT, &next, sizeof(next));
}

static void negotiate(uint64_t wanted, bool modern)
{
	uint64_t offered;

	wr(REG_STATUS, 0);
	wr(REG_STATUS, STATUS_ACKNOWLEDGE);
	wr(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
	wr(REG_DEVICE_FEATURES_SEL, 1);
	offered = (uint64_t)rd(REG_DEVICE_FEATURES) << 32;
	wr(REG_DEVICE_FEATURES_SEL, 0);
	offered |= rd(REG_DEVICE_FEATURES);
	wanted &= offered;
	wr(REG_DRIVER_FEATURES_SEL, 0);
	wr(REG_DRIVER_FEATURES, (uint32_t)wanted);
	wr(REG_DRIVER_FEATURES_SEL, 1);
	wr(REG_DRIVER_FEATURES, (uint32_t)(wanted >> 32));
	if (modern)
		wr(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
}

static void setup_queue_modern(void)
{
	wr(REG_QUEUE_SEL, 0);
	assert_int_equal(rd(REG_QUEUE_READY), 0);
	assert_true(rd(REG_QUEUE_NUM_MAX) >= QSIZE);
	wr(REG_QUEUE_NUM, QSIZE);
	wr(REG_QUEUE_DESC_LOW, (uint32_t)addr_of(m.ring));
	wr(REG_QUEUE_DESC_HIGH, (uint32_t)(addr_of(m.ring) >> 32));
	wr(REG_QUEUE_DRIVER_LOW, (uint32_t)addr_of(avail()));
	wr(REG_QUEUE_DRIVER_HIGH, (uint32_t)(addr_of(avail()) >> 32));
	wr(REG_QUEUE_DEVICE_LOW, (uint32_t)addr_of(used()));
	wr(REG_QUEUE_DEVICE_HIGH, (uint32_t)(addr_of(used()) >> 32));
	wr(REG_QUEUE_READY, 1);
}

static void setup_queue_legacy(void)
{
	wr(REG_GUEST_PAGE_SIZE, PAGE_BYTES);
	wr(REG_QUEUE_SEL, 0);
	assert_int_equal(rd(REG_QUEUE_PFN), 0);
	assert_true(rd(REG_QUEUE_NUM_MAX) >= QSIZE);
	wr(REG_QUEUE_NUM, QSIZE);
	wr(REG_QUEUE_ALIGN, PAGE_BYTES);
	wr(REG_QUEUE_PFN, (uint32_t)(addr_of(m.ring) / PAGE_BYTES));
}

/* The whole init sequence (virtio 1.2 §3.1.1, §4.2.3). */
static void mini_init(uint64_t wanted)
{
	bool modern = rd(REG_VERSION) == 2;
	uint32_t base_bits = STATUS_ACKNOWLEDGE | STATUS_DRIVER;

	negotiate(wanted | (modern ? FAKE_BIT(FAKE_F_VERSION_1) : 0), modern);
	if (modern) {
		assert_true(rd(REG_STATUS) & STATUS_FEATURES_OK);
		base_bits |= STATUS_FEATURES_OK;
		setup_queue_modern();
	} else {
		setup_queue_legacy();
	}
	wr(REG_STATUS, base_bits | STATUS_DRIVER_OK);
}

/* Put a chain in the avail ring: header (R), optional data, status (W). */
static uint16_t mini_submit(struct mini_req *req, uint32_t type, uint64_t sector,
			    void *data, uint32_t data_bytes, bool notify)
{
	uint16_t head = m.next_desc, idx = head;
	bool data_writable = (type != FAKE_BLK_T_OUT);

	req->hdr = (struct blk_hdr){ .type = type, .sector = sector };
	req->status = 0xff;
	put_desc(m.ring, idx, &req->hdr, sizeof(req->hdr), FAKE_DESC_F_NEXT, (idx + 1) % QSIZE);
	idx = (idx + 1) % QSIZE;
	if (data_bytes > 0) {
		put_desc(m.ring, idx, data, data_bytes,
			 FAKE_DESC_F_NEXT | (data_writable ? FAKE_DESC_F_WRITE : 0), (idx + 1) % QSIZE);
		idx = (idx + 1) % QSIZE;
	}
	put_desc(m.ring, idx, &req->status, 1, FAKE_DESC_F_WRITE, 0);
	m.next_desc = (idx + 1) % QSIZE;
	put16(avail() + RING_OFF_ENTRIES + 2 * (m.avail_idx % QSIZE), head);
	m.avail_idx++;
	put16(avail() + RING_OFF_IDX, m.avail_idx);
	if (notify)
		wr(REG_QUEUE_NOTIFY, 0);
	return head;
}

/* Wait (relaxing) for the next used entry; false on timeout. */
static bool mini_wait(unsigned max_relaxes, uint32_t *id, uint32_t *len)
{
	for (unsigned i = 0; get16(used() + RING_OFF_IDX) == m.used_seen; i++) {
		if (i == max_relaxes)
			return false;
		host_cpu_relax();
	}
	const uint8_t *entry = used() + RING_OFF_ENTRIES + USED_ENTRY_BYTES * (m.used_seen % QSIZE);
	*id = get32(entry);
	*len = get32(entry + 4);
	m.used_seen++;
	return true;
}

/* Submit, notify, wait; returns the status byte; *used_len if wanted. */
static uint8_t mini_do(uint32_t type, uint64_t sector, void *data, uint32_t data_bytes,
		       uint32_t *used_len)
{
	static struct mini_req req;
	uint32_t id, len;
	uint16_t head = mini_submit(&req, type, sector, data, data_bytes, true);

	assert_true(mini_wait(100, &id, &len));
	assert_int_equal(id, head);
	if (used_len != NULL)
		*used_len = len;
	return req.status;
}

static struct fake_virtio *create(uint32_t version)
{
	struct fake_virtio_opts opts;

	fake_virtio_default_opts(&opts, version);
	m.fv = fake_virtio_create(&opts);
	m.base = fake_virtio_base(m.fv);
	return m.fv;
}

static int setup(void **state)
{
	(void)state;
	memset(&m, 0, sizeof(m));
	m.ring = mmap(LOW_HINT, RING_BYTES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m.ring == MAP_FAILED || addr_of(m.ring) / PAGE_BYTES > UINT32_MAX)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	host_platform_reset();
	munmap(m.ring, RING_BYTES);
	return 0;
}

static void fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
}

static const uint64_t blk_features = FAKE_BIT(FAKE_F_BLK_SEG_MAX) | FAKE_BIT(FAKE_F_BLK_BLK_SIZE) |
				     FAKE_BIT(FAKE_F_BLK_FLUSH);

/* ---- identity registers ---------------------------------------------- */

static void test_identity_registers_read_like_qemu(void **state)
{
	(void)state;
	create(2);
	assert_int_equal(rd(REG_MAGIC_VALUE), 0x74726976);
	assert_int_equal(rd(REG_VERSION), 2);
	assert_int_equal(rd(REG_DEVICE_ID), 2);
	assert_int_equal(rd(REG_VENDOR_ID), 0x554d4551);
	assert_int_equal(m.base, FAKE_VIRTIO_BASE0);
	fake_virtio_assert_clean(m.fv);
}

static void test_empty_slot_and_bad_magic_are_configurable(void **state)
{
	struct fake_virtio_opts opts;
	(void)state;
	fake_virtio_default_opts(&opts, 2);
	opts.device_id = 0;
	struct fake_virtio *empty = fake_virtio_create(&opts);
	opts.magic = 0x12345678;
	struct fake_virtio *bad = fake_virtio_create(&opts);

	assert_int_equal(host_mmio_read(fake_virtio_base(empty) + REG_DEVICE_ID, 4), 0);
	assert_int_equal(host_mmio_read(fake_virtio_base(bad) + REG_MAGIC_VALUE, 4), 0x12345678);
	assert_int_equal(fake_virtio_base(bad), FAKE_VIRTIO_BASE0 + FAKE_VIRTIO_WINDOW_BYTES);
}

static void test_touching_an_empty_slot_beyond_device_id_is_recorded(void **state)
{
	(void)state;
	create(2);
	fake_virtio_opts(m.fv)->device_id = 0;
	rd(REG_MAGIC_VALUE);
	rd(REG_VERSION);
	assert_int_equal(rd(REG_DEVICE_ID), 0);
	fake_virtio_assert_clean(m.fv);
	rd(REG_VENDOR_ID);
	assert_true(fake_virtio_has_violation(m.fv, "MMIO-15"));
}

static void test_all_ones_features_can_be_offered(void **state)
{
	(void)state;
	create(2);
	fake_virtio_opts(m.fv)->features = ~0ull;
	wr(REG_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(rd(REG_DEVICE_FEATURES), 0xffffffffu);
	wr(REG_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(rd(REG_DEVICE_FEATURES), 0xffffffffu);
	fake_virtio_assert_clean(m.fv);
}

static void test_queue_num_max_0_means_no_queue(void **state)
{
	(void)state;
	create(2);
	fake_virtio_opts(m.fv)->queue_num_max = 0;
	negotiate(FAKE_BIT(FAKE_F_VERSION_1), true);
	wr(REG_QUEUE_SEL, 0);
	assert_int_equal(rd(REG_QUEUE_NUM_MAX), 0);
	fake_virtio_assert_clean(m.fv);
	wr(REG_QUEUE_NUM, 8);
	assert_true(fake_virtio_has_violation(m.fv, "MMIO-9"));
}

static void test_modern_offers_qemu_features(void **state)
{
	(void)state;
	create(2);
	wr(REG_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(rd(REG_DEVICE_FEATURES), 0x30006e54);
	wr(REG_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(rd(REG_DEVICE_FEATURES), 0x101);
	fake_virtio_assert_clean(m.fv);
}

static void test_legacy_offers_32_bits_only(void **state)
{
	(void)state;
	create(1);
	wr(REG_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(rd(REG_DEVICE_FEATURES), 0x31006ed4);
	wr(REG_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(rd(REG_DEVICE_FEATURES), 0);
	fake_virtio_assert_clean(m.fv);
}

/* ---- init sequences --------------------------------------------------- */

static void test_modern_init_traces_status_0_1_3_b_f(void **state)
{
	const uint8_t *trace;
	const uint8_t expected[] = { 0, 1, 3, 0xb, 0xf };
	(void)state;
	create(2);
	mini_init(blk_features);
	assert_int_equal(fake_virtio_status_writes(m.fv, &trace), sizeof(expected));
	assert_memory_equal(trace, expected, sizeof(expected));
	assert_int_equal(fake_virtio_accepted_features(m.fv), blk_features | FAKE_BIT(FAKE_F_VERSION_1));
	assert_true(fake_virtio_queue_ready(m.fv));
	fake_virtio_assert_clean(m.fv);
}

static void test_legacy_init_traces_status_0_1_3_7(void **state)
{
	const uint8_t *trace;
	const uint8_t expected[] = { 0, 1, 3, 7 };
	(void)state;
	create(1);
	mini_init(blk_features);
	assert_int_equal(fake_virtio_status_writes(m.fv, &trace), sizeof(expected));
	assert_memory_equal(trace, expected, sizeof(expected));
	assert_int_equal(fake_virtio_accepted_features(m.fv), blk_features);
	assert_true(fake_virtio_queue_ready(m.fv));
	assert_int_equal(rd(REG_QUEUE_PFN), addr_of(m.ring) / PAGE_BYTES);
	fake_virtio_assert_clean(m.fv);
}

static void test_reset_clears_queue_and_features(void **state)
{
	(void)state;
	create(2);
	mini_init(blk_features);
	wr(REG_STATUS, 0);
	assert_int_equal(rd(REG_STATUS), 0);
	assert_int_equal(rd(REG_QUEUE_READY), 0);
	assert_false(fake_virtio_queue_ready(m.fv));
	assert_int_equal(fake_virtio_accepted_features(m.fv), 0);
	fake_virtio_assert_clean(m.fv);
}

/* ---- block requests --------------------------------------------------- */

static void round_trip(uint32_t version)
{
	static uint8_t out[2 * FAKE_SECTOR_BYTES], in[2 * FAKE_SECTOR_BYTES];
	uint32_t len;

	create(version);
	mini_init(blk_features);
	fill(out, sizeof(out), 3);
	assert_int_equal(mini_do(FAKE_BLK_T_OUT, 10, out, sizeof(out), &len), FAKE_BLK_S_OK);
	assert_int_equal(len, 1);
	assert_memory_equal(fake_virtio_disk(m.fv) + 10 * FAKE_SECTOR_BYTES, out, sizeof(out));
	assert_int_equal(mini_do(FAKE_BLK_T_IN, 10, in, sizeof(in), &len), FAKE_BLK_S_OK);
	assert_int_equal(len, sizeof(in) + 1);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(fake_virtio_stats(m.fv)->writes, 1);
	assert_int_equal(fake_virtio_stats(m.fv)->reads, 1);
	fake_virtio_assert_clean(m.fv);
}

static void test_modern_write_then_read_round_trips(void **state)
{
	(void)state;
	round_trip(2);
}

static void test_legacy_write_then_read_round_trips(void **state)
{
	(void)state;
	round_trip(1);
}

static void test_last_chain_records_header_data_status_framing(void **state)
{
	static uint8_t buf[FAKE_SECTOR_BYTES];
	const struct fake_virtio_chain *chain;
	(void)state;
	create(2);
	mini_init(blk_features);
	mini_do(FAKE_BLK_T_IN, 0, buf, sizeof(buf), NULL);
	chain = fake_virtio_last_chain(m.fv);
	assert_int_equal(chain->nsegs, 3);
	assert_int_equal(chain->seg[0].len_bytes, 16);
	assert_int_equal(chain->seg[0].flags & FAKE_DESC_F_WRITE, 0);
	assert_int_equal(chain->seg[1].len_bytes, FAKE_SECTOR_BYTES);
	assert_int_equal(chain->seg[1].addr, addr_of(buf));
	assert_true(chain->seg[1].flags & FAKE_DESC_F_WRITE);
	assert_int_equal(chain->seg[2].len_bytes, 1);
	assert_true(chain->seg[2].flags & FAKE_DESC_F_WRITE);
	assert_false(chain->indirect);
}

static void test_read_past_capacity_is_ioerr_and_recorded(void **state)
{
	static uint8_t buf[2 * FAKE_SECTOR_BYTES];
	(void)state;
	create(2);
	mini_init(blk_features);
	assert_int_equal(mini_do(FAKE_BLK_T_IN, 2047, buf, sizeof(buf), NULL), FAKE_BLK_S_IOERR);
	assert_true(fake_virtio_has_violation(m.fv, "BLK-5"));
}

static void test_partial_sector_read_is_ioerr(void **state)
{
	static uint8_t buf[100];
	(void)state;
	create(2);
	mini_init(blk_features);
	assert_int_equal(mini_do(FAKE_BLK_T_IN, 0, buf, sizeof(buf), NULL), FAKE_BLK_S_IOERR);
	assert_true(fake_virtio_has_violation(m.fv, "BLK-9"));
}

static void test_unknown_type_is_unsupp(void **state)
{
	(void)state;
	create(2);
	mini_init(blk_features);
	assert_int_equal(mini_do(99, 0, NULL, 0, NULL), FAKE_BLK_S_UNSUPP);
	assert_int_equal(fake_virtio_stats(m.fv)->unsupported, 1);
	fake_virtio_assert_clean(m.fv);
}

static void test_flush_is_ok_with_used_len_1(void **state)
{
	uint32_t len;
	(void)state;
	create(2);
	mini_init(blk_features);
	assert_int_equal(mini_do(FAKE_BLK_T_FLUSH, 0, NULL, 0, &len), FAKE_BLK_S_OK);
	assert_int_equal(len, 1);
	assert_int_equal(fake_virtio_stats(m.fv)->flushes, 1);
	fake_virtio_assert_clean(m.fv);
}

static void test_get_id_returns_serial_zero_padded(void **state)
{
	static char id[FAKE_BLK_ID_BYTES];
	char expected[FAKE_BLK_ID_BYTES] = "vblk-serial";
	uint32_t len;
	(void)state;
	create(2);
	strcpy(fake_virtio_opts(m.fv)->serial, "vblk-serial");
	mini_init(blk_features);
	memset(id, 'x', sizeof(id));
	assert_int_equal(mini_do(FAKE_BLK_T_GET_ID, 0, id, sizeof(id), &len), FAKE_BLK_S_OK);
	assert_int_equal(len, FAKE_BLK_ID_BYTES + 1);
	assert_memory_equal(id, expected, sizeof(id));
	fake_virtio_assert_clean(m.fv);
}

static void test_write_to_read_only_disk_is_ioerr(void **state)
{
	static uint8_t buf[FAKE_SECTOR_BYTES];
	(void)state;
	create(2);
	fake_virtio_opts(m.fv)->features |= FAKE_BIT(FAKE_F_BLK_RO);
	mini_init(blk_features | FAKE_BIT(FAKE_F_BLK_RO));
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(mini_do(FAKE_BLK_T_OUT, 0, buf, sizeof(buf), NULL), FAKE_BLK_S_IOERR);
	assert_int_equal(fake_virtio_disk(m.fv)[0], 0);
	assert_true(fake_virtio_has_violation(m.fv, "BLK-6"));
}

static void test_indirect_chain_is_served_when_negotiated(void **state)
{
	static uint8_t table[3 * DESC_BYTES] __attribute__((aligned(16)));
	static uint8_t buf[FAKE_SECTOR_BYTES];
	static struct mini_req req;
	uint32_t id, len;
	(void)state;
	create(2);
	mini_init(blk_features | FAKE_BIT(FAKE_F_INDIRECT_DESC));
	fake_virtio_disk(m.fv)[FAKE_SECTOR_BYTES] = 0x5a;
	req.hdr = (struct blk_hdr){ .type = FAKE_BLK_T_IN, .sector = 1 };
	put_desc(table, 0, &req.hdr, sizeof(req.hdr), FAKE_DESC_F_NEXT, 1);
	put_desc(table, 1, buf, sizeof(buf), FAKE_DESC_F_NEXT | FAKE_DESC_F_WRITE, 2);
	put_desc(table, 2, &req.status, 1, FAKE_DESC_F_WRITE, 0);
	put_desc(m.ring, 0, table, sizeof(table), FAKE_DESC_F_INDIRECT, 0);
	put16(avail() + RING_OFF_ENTRIES, 0);
	put16(avail() + RING_OFF_IDX, ++m.avail_idx);
	wr(REG_QUEUE_NOTIFY, 0);
	assert_true(mini_wait(10, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, FAKE_SECTOR_BYTES + 1);
	assert_int_equal(req.status, FAKE_BLK_S_OK);
	assert_int_equal(buf[0], 0x5a);
	assert_true(fake_virtio_last_chain(m.fv)->indirect);
	fake_virtio_assert_clean(m.fv);
}

static void test_indirect_without_negotiation_is_recorded(void **state)
{
	static uint8_t table[2 * DESC_BYTES] __attribute__((aligned(16)));
	static struct mini_req req;
	uint32_t id, len;
	(void)state;
	create(2);
	mini_init(blk_features);
	req.hdr = (struct blk_hdr){ .type = FAKE_BLK_T_FLUSH };
	put_desc(table, 0, &req.hdr, sizeof(req.hdr), FAKE_DESC_F_NEXT, 1);
	put_desc(table, 1, &req.status, 1, FAKE_DESC_F_WRITE, 0);
	put_desc(m.ring, 0, table, sizeof(table), FAKE_DESC_F_INDIRECT, 0);
	put16(avail() + RING_OFF_ENTRIES, 0);
	put16(avail() + RING_OFF_IDX, ++m.avail_idx);
	wr(REG_QUEUE_NOTIFY, 0);
	assert_true(mini_wait(10, &id, &len));
	assert_true(fake_virtio_has_violation(m.fv, "SPL-9"));
}

/* ---- rule violations ------------------------------------------------- */

static void test_notify_before_driver_ok_is_recorded(void **state)
{
	(void)state;
	create(2);
	negotiate(FAKE_BIT(FAKE_F_VERSION_1), true);
	setup_queue_modern();
	wr(REG_QUEUE_NOTIFY, 0);
	assert_true(fake_virtio_has_violation(m.fv, "INIT-6"));
	assert_int_equal(fake_virtio_violation_count(m.fv), 1);
}

static void test_clearing_a_status_bit_is_recorded(void **state)
{
	(void)state;
	create(2);
	wr(REG_STATUS, 0);
	wr(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
	wr(REG_STATUS, STATUS_ACKNOWLEDGE);
	assert_true(fake_virtio_has_violation(m.fv, "STAT-2"));
}

static void test_feature_write_after_features_ok_is_recorded(void **state)
{
	(void)state;
	create(2);
	negotiate(FAKE_BIT(FAKE_F_VERSION_1), true);
	wr(REG_DRIVER_FEATURES_SEL, 0);
	wr(REG_DRIVER_FEATURES, 0);
	assert_true(fake_virtio_has_violation(m.fv, "INIT-3"));
}

static void test_accepting_unoffered_feature_is_refused(void **state)
{
	(void)state;
	create(2);
	wr(REG_STATUS, 0);
	wr(REG_STATUS, STATUS_ACKNOWLEDGE);
	wr(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
	wr(REG_DRIVER_FEATURES_SEL, 0);
	wr(REG_DRIVER_FEATURES, FAKE_BIT(FAKE_F_BLK_SIZE_MAX));
	wr(REG_DRIVER_FEATURES_SEL, 1);
	wr(REG_DRIVER_FEATURES, 1);
	wr(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
	assert_false(rd(REG_STATUS) & STATUS_FEATURES_OK);
	assert_true(fake_virtio_has_violation(m.fv, "FEAT-1"));
}

static void test_accepting_ring_reset_is_recorded(void **state)
{
	(void)state;
	create(2);
	negotiate(FAKE_BIT(FAKE_F_VERSION_1) | FAKE_BIT(FAKE_F_RING_RESET), true);
	assert_true(fake_virtio_has_violation(m.fv, "FEAT-15"));
}

static void test_narrow_register_access_is_recorded(void **state)
{
	(void)state;
	create(2);
	assert_int_equal(host_mmio_read(m.base + REG_MAGIC_VALUE, 2), 0);
	assert_true(fake_virtio_has_violation(m.fv, "MMIO-2"));
}

static void test_config_access_at_wrong_width_is_recorded(void **state)
{
	(void)state;
	create(2);
	host_mmio_read(m.base + REG_CONFIG + 0x14, 2);   /* blk_size is 32-bit */
	assert_true(fake_virtio_has_violation(m.fv, "MMIO-3"));
}

static void test_config_fields_read_at_their_width(void **state)
{
	(void)state;
	create(2);
	assert_int_equal(host_mmio_read(m.base + REG_CONFIG + 0x00, 4), 2048);
	assert_int_equal(host_mmio_read(m.base + REG_CONFIG + 0x04, 4), 0);
	assert_int_equal(host_mmio_read(m.base + REG_CONFIG + 0x0c, 4), 254);
	assert_int_equal(host_mmio_read(m.base + REG_CONFIG + 0x12, 1), 16);
	assert_int_equal(host_mmio_read(m.base + REG_CONFIG + 0x14, 4), 512);
	assert_int_equal(rd(REG_CONFIG_GENERATION), 0);
	fake_virtio_assert_clean(m.fv);
}

static void test_config_field_of_unoffered_feature_is_recorded(void **state)
{
	(void)state;
	create(2);
	host_mmio_read(m.base + REG_CONFIG + 0x08, 4);   /* size_max: bit 1 not offered */
	assert_true(fake_virtio_has_violation(m.fv, "CFG-2"));
}

static void test_config_write_before_features_ok_is_recorded(void **state)
{
	(void)state;
	create(2);
	host_mmio_write(m.base + REG_CONFIG + 0x20, 1, 0);
	assert_true(fake_virtio_has_violation(m.fv, "INIT-2"));
}

static void test_unknown_and_write_only_registers_are_recorded(void **state)
{
	(void)state;
	create(2);
	rd(0x0c0);                  /* QueueReset: not in QEMU 7.2 */
	rd(REG_QUEUE_NOTIFY);       /* write-only */
	wr(REG_MAGIC_VALUE, 1);     /* read-only */
	assert_int_equal(fake_virtio_violation_count(m.fv), 3);
	assert_true(fake_virtio_has_violation(m.fv, "MMIO-1"));
}

static void test_legacy_has_no_config_generation(void **state)
{
	(void)state;
	create(1);
	rd(REG_CONFIG_GENERATION);
	assert_true(fake_virtio_has_violation(m.fv, "MMIO-1"));
}

static void test_queue_num_not_power_of_2_is_recorded(void **state)
{
	(void)state;
	create(2);
	negotiate(FAKE_BIT(FAKE_F_VERSION_1), true);
	wr(REG_QUEUE_SEL, 0);
	wr(REG_QUEUE_NUM, 12);
	assert_true(fake_virtio_has_violation(m.fv, "SPL-2"));
}

static void test_queue_num_above_max_is_recorded(void **state)
{
	(void)state;
	create(2);
	fake_virtio_opts(m.fv)->queue_num_max = 8;
	negotiate(FAKE_BIT(FAKE_F_VERSION_1), true);
	wr(REG_QUEUE_SEL, 0);
	assert_int_equal(rd(REG_QUEUE_NUM_MAX), 8);
	wr(REG_QUEUE_NUM, 16);
	assert_true(fake_virtio_has_violation(m.fv, "MMIO-9"));
}

static void test_misaligned_rings_are_recorded(void **state)
{
	(void)state;
	create(2);
	negotiate(FAKE_BIT(FAKE_F_VERSION_1), true);
	wr(REG_QUEUE_SEL, 0);
	wr(REG_QUEUE_NUM, QSIZE);
	wr(REG_QUEUE_DESC_LOW, (uint32_t)addr_of(m.ring + 8));
	wr(REG_QUEUE_DESC_HIGH, (uint32_t)(addr_of(m.ring) >> 32));
	wr(REG_QUEUE_DRIVER_LOW, (uint32_t)addr_of(avail()));
	wr(REG_QUEUE_DRIVER_HIGH, (uint32_t)(addr_of(avail()) >> 32));
	wr(REG_QUEUE_DEVICE_LOW, (uint32_t)addr_of(used()));
	wr(REG_QUEUE_DEVICE_HIGH, (uint32_t)(addr_of(used()) >> 32));
	wr(REG_QUEUE_READY, 1);
	assert_true(fake_virtio_has_violation(m.fv, "SPL-1"));
}

static void test_dirty_used_ring_at_queue_ready_is_recorded(void **state)
{
	(void)state;
	create(2);
	used()[5] = 1;
	negotiate(FAKE_BIT(FAKE_F_VERSION_1), true);
	setup_queue_modern();
	assert_true(fake_virtio_has_violation(m.fv, "SPL-20"));
}

static void test_queue_num_write_while_ready_is_recorded(void **state)
{
	(void)state;
	create(2);
	mini_init(blk_features);
	wr(REG_QUEUE_NUM, QSIZE / 2);
	assert_true(fake_virtio_has_violation(m.fv, "MMIO-10"));
}

static void test_legacy_pfn_before_guest_page_size_is_recorded(void **state)
{
	(void)state;
	create(1);
	negotiate(0, false);
	wr(REG_QUEUE_SEL, 0);
	wr(REG_QUEUE_NUM, QSIZE);
	wr(REG_QUEUE_ALIGN, PAGE_BYTES);
	wr(REG_QUEUE_PFN, (uint32_t)(addr_of(m.ring) / PAGE_BYTES));
	assert_true(fake_virtio_has_violation(m.fv, "MMIO-23"));
	assert_false(fake_virtio_queue_ready(m.fv));
}

static void test_ack_of_bits_not_pending_is_recorded(void **state)
{
	(void)state;
	create(2);
	mini_init(blk_features);
	wr(REG_INTERRUPT_ACK, 1);
	assert_true(fake_virtio_has_violation(m.fv, "MMIO-13"));
}

static void test_avail_idx_jump_breaks_device_like_qemu(void **state)
{
	(void)state;
	create(2);
	mini_init(blk_features);
	put16(avail() + RING_OFF_IDX, QSIZE + 1);
	wr(REG_QUEUE_NOTIFY, 0);
	assert_true(fake_virtio_has_violation(m.fv, "SPL-14"));
	assert_int_equal(rd(REG_STATUS), 0x4f);
	assert_int_equal(rd(REG_INTERRUPT_STATUS), 3);
	assert_true(fake_virtio_broken(m.fv));
}

static void test_out_of_range_head_breaks_device(void **state)
{
	(void)state;
	create(2);
	mini_init(blk_features);
	put16(avail() + RING_OFF_ENTRIES, QSIZE + 5);
	put16(avail() + RING_OFF_IDX, 1);
	wr(REG_QUEUE_NOTIFY, 0);
	assert_true(fake_virtio_has_violation(m.fv, "FAKE-HEAD"));
	assert_true(rd(REG_STATUS) & STATUS_DEVICE_NEEDS_RESET);
}

static void test_looping_chain_is_detected(void **state)
{
	static struct mini_req req;
	(void)state;
	create(2);
	mini_init(blk_features);
	put_desc(m.ring, 0, &req.hdr, sizeof(req.hdr), FAKE_DESC_F_NEXT, 1);
	put_desc(m.ring, 1, &req.hdr, sizeof(req.hdr), FAKE_DESC_F_NEXT, 0);
	put16(avail() + RING_OFF_ENTRIES, 0);
	put16(avail() + RING_OFF_IDX, 1);
	wr(REG_QUEUE_NOTIFY, 0);
	assert_true(fake_virtio_has_violation(m.fv, "SPL-7"));
}

static void test_readable_after_writable_is_detected(void **state)
{
	static struct mini_req req;
	(void)state;
	create(2);
	mini_init(blk_features);
	put_desc(m.ring, 0, &req.status, 1, FAKE_DESC_F_NEXT | FAKE_DESC_F_WRITE, 1);
	put_desc(m.ring, 1, &req.hdr, sizeof(req.hdr), 0, 0);
	put16(avail() + RING_OFF_ENTRIES, 0);
	put16(avail() + RING_OFF_IDX, 1);
	wr(REG_QUEUE_NOTIFY, 0);
	assert_true(fake_virtio_has_violation(m.fv, "SPL-5"));
}

static void test_legacy_header_sharing_a_descriptor_is_recorded(void **state)
{
	static struct { struct blk_hdr hdr; uint8_t data[FAKE_SECTOR_BYTES]; } out;
	static struct mini_req req;
	uint32_t id, len;
	(void)state;
	create(1);
	mini_init(blk_features);
	out.hdr = (struct blk_hdr){ .type = FAKE_BLK_T_OUT };
	put_desc(m.ring, 0, &out, sizeof(out), FAKE_DESC_F_NEXT, 1);
	put_desc(m.ring, 1, &req.status, 1, FAKE_DESC_F_WRITE, 0);
	put16(avail() + RING_OFF_ENTRIES, 0);
	put16(avail() + RING_OFF_IDX, 1);
	wr(REG_QUEUE_NOTIFY, 0);
	assert_true(mini_wait(10, &id, &len));
	assert_true(fake_virtio_has_violation(m.fv, "BLK-27"));
}

static void test_changing_a_held_chain_is_recorded(void **state)
{
	static struct mini_req req;
	static uint8_t buf[FAKE_SECTOR_BYTES];
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_set_completion(m.fv, FAKE_COMPLETE_HELD, 0);
	mini_submit(&req, FAKE_BLK_T_IN, 0, buf, sizeof(buf), true);
	put_desc(m.ring, 1, buf, sizeof(buf) / 2, FAKE_DESC_F_NEXT | FAKE_DESC_F_WRITE, 2);
	fake_virtio_complete_all(m.fv);
	assert_true(fake_virtio_has_violation(m.fv, "CLN-1"));
}

static void test_changing_a_held_request_header_is_recorded(void **state)
{
	static struct mini_req req;
	static uint8_t buf[FAKE_SECTOR_BYTES];
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_set_completion(m.fv, FAKE_COMPLETE_HELD, 0);
	mini_submit(&req, FAKE_BLK_T_IN, 8, buf, sizeof(buf), true);
	req.hdr.sector = 9;   /* the buffer, not the descriptor */
	fake_virtio_complete_all(m.fv);
	assert_true(fake_virtio_has_violation(m.fv, "CLN-1"));
}

static void test_slow_reset_must_be_polled(void **state)
{
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_set_reset_delay(m.fv, 3);
	wr(REG_STATUS, 0);
	assert_int_not_equal(rd(REG_STATUS), 0);
	assert_int_not_equal(rd(REG_STATUS), 0);
	assert_int_not_equal(rd(REG_STATUS), 0);
	assert_int_equal(rd(REG_STATUS), 0);
	fake_virtio_assert_clean(m.fv);
	wr(REG_STATUS, 0);
	wr(REG_STATUS, STATUS_ACKNOWLEDGE);   /* did not wait */
	assert_true(fake_virtio_has_violation(m.fv, "RST-1"));
}

/* ---- completion timing ----------------------------------------------- */

static void test_deferred_completion_waits_n_relax_steps(void **state)
{
	static struct mini_req req;
	uint32_t id, len;
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_set_completion(m.fv, FAKE_COMPLETE_DEFERRED, 5);
	uint64_t start_us = host_time_us();
	mini_submit(&req, FAKE_BLK_T_FLUSH, 0, NULL, 0, true);
	assert_int_equal(fake_virtio_pending(m.fv), 1);
	assert_false(mini_wait(4, &id, &len));
	assert_true(mini_wait(1, &id, &len));
	assert_int_equal(host_time_us() - start_us, 5);
	assert_int_equal(req.status, FAKE_BLK_S_OK);
}

static void test_held_requests_complete_in_reversed_order(void **state)
{
	static struct mini_req reqs[3];
	uint16_t heads[3];
	uint32_t id, len;
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_set_completion(m.fv, FAKE_COMPLETE_HELD, 0);
	fake_virtio_set_order(m.fv, FAKE_ORDER_REVERSED, 0);
	for (int i = 0; i < 3; i++)
		heads[i] = mini_submit(&reqs[i], FAKE_BLK_T_FLUSH, 0, NULL, 0, true);
	assert_false(mini_wait(100, &id, &len));
	assert_int_equal(fake_virtio_complete_all(m.fv), 3);
	for (int i = 2; i >= 0; i--) {
		assert_true(mini_wait(0, &id, &len));
		assert_int_equal(id, heads[i]);
	}
	assert_int_equal(fake_virtio_stats(m.fv)->max_pending, 3);
}

static void test_shuffled_order_completes_everything_once(void **state)
{
	static struct mini_req reqs[5];
	uint32_t id, len, seen = 0;
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_set_completion(m.fv, FAKE_COMPLETE_HELD, 0);
	fake_virtio_set_order(m.fv, FAKE_ORDER_SHUFFLED, 42);
	for (int i = 0; i < 5; i++)
		mini_submit(&reqs[i], FAKE_BLK_T_FLUSH, 0, NULL, 0, true);
	assert_int_equal(fake_virtio_complete_some(m.fv, 2), 2);
	assert_int_equal(fake_virtio_complete_all(m.fv), 3);
	for (int i = 0; i < 5; i++) {
		assert_true(mini_wait(0, &id, &len));
		seen |= 1u << id;
	}
	assert_int_equal(seen, 1u << 0 | 1u << 2 | 1u << 4 | 1u << 6 | 1u << 8);
}

static void test_never_mode_times_out(void **state)
{
	static struct mini_req req;
	uint32_t id, len;
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_set_completion(m.fv, FAKE_COMPLETE_NEVER, 0);
	mini_submit(&req, FAKE_BLK_T_FLUSH, 0, NULL, 0, true);
	assert_false(mini_wait(10000, &id, &len));
	assert_int_equal(host_time_us(), 10000);
	assert_int_equal(req.status, 0xff);
}

static void test_polling_device_serves_requests_without_notify(void **state)
{
	static struct mini_req req;
	uint32_t id, len;
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_set_poll_avail(m.fv, true);
	mini_submit(&req, FAKE_BLK_T_FLUSH, 0, NULL, 0, false);
	assert_true(mini_wait(1, &id, &len));
	assert_int_equal(fake_virtio_stats(m.fv)->notifies, 0);
	assert_int_equal(get16(used() + RING_OFF_FLAGS), USED_F_NO_NOTIFY);
}

/* ---- interrupts and EVENT_IDX ---------------------------------------- */

static void test_completion_raises_used_interrupt(void **state)
{
	(void)state;
	create(2);
	mini_init(blk_features);
	mini_do(FAKE_BLK_T_FLUSH, 0, NULL, 0, NULL);
	assert_true(fake_virtio_irq_pending(m.fv));
	assert_int_equal(rd(REG_INTERRUPT_STATUS), 1);
	wr(REG_INTERRUPT_ACK, 1);
	assert_false(fake_virtio_irq_pending(m.fv));
	fake_virtio_assert_clean(m.fv);
}

static void test_no_interrupt_flag_suppresses_interrupt(void **state)
{
	(void)state;
	create(2);
	mini_init(blk_features);
	put16(avail() + RING_OFF_FLAGS, AVAIL_F_NO_INTERRUPT);
	mini_do(FAKE_BLK_T_FLUSH, 0, NULL, 0, NULL);
	assert_false(fake_virtio_irq_pending(m.fv));
	assert_int_equal(fake_virtio_stats(m.fv)->used_irqs_suppressed, 1);
}

static void test_event_idx_interrupts_only_at_used_event(void **state)
{
	uint8_t *used_event = avail() + RING_OFF_ENTRIES + AVAIL_ENTRY_BYTES * QSIZE;
	uint8_t *avail_event = used() + RING_OFF_ENTRIES + USED_ENTRY_BYTES * QSIZE;
	(void)state;
	create(2);
	mini_init(blk_features | FAKE_BIT(FAKE_F_EVENT_IDX));
	put16(used_event, 2);              /* interrupt when used.idx passes 2 */
	mini_do(FAKE_BLK_T_FLUSH, 0, NULL, 0, NULL);  /* first: always signalled */
	wr(REG_INTERRUPT_ACK, 1);
	mini_do(FAKE_BLK_T_FLUSH, 0, NULL, 0, NULL);  /* used.idx 2: not past 2 */
	assert_false(fake_virtio_irq_pending(m.fv));
	mini_do(FAKE_BLK_T_FLUSH, 0, NULL, 0, NULL);  /* used.idx 3 */
	assert_true(fake_virtio_irq_pending(m.fv));
	assert_int_equal(get16(avail_event), 3);
	fake_virtio_assert_clean(m.fv);
}

static unsigned hook_calls;
static void count_irq(struct fake_virtio *fv, void *ctx)
{
	(void)ctx;
	hook_calls++;
	host_mmio_write(fake_virtio_base(fv) + REG_INTERRUPT_ACK, 4,
			fake_virtio_interrupt_status(fv));
}

static void test_irq_hook_is_called_on_relax_until_acked(void **state)
{
	(void)state;
	hook_calls = 0;
	create(2);
	mini_init(blk_features);
	fake_virtio_set_irq_hook(m.fv, count_irq, NULL);
	mini_do(FAKE_BLK_T_FLUSH, 0, NULL, 0, NULL);
	assert_int_equal(hook_calls, 0);   /* never inside a register access */
	host_cpu_relax();
	host_cpu_relax();
	assert_int_equal(hook_calls, 1);
	fake_virtio_assert_clean(m.fv);
}

/* ---- misbehaviour knobs ---------------------------------------------- */

static void test_fail_request_answers_nth_request_once(void **state)
{
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_fail_request(m.fv, 2, 0xee, FAKE_ONCE);
	assert_int_equal(mini_do(FAKE_BLK_T_FLUSH, 0, NULL, 0, NULL), FAKE_BLK_S_OK);
	assert_int_equal(mini_do(FAKE_BLK_T_FLUSH, 0, NULL, 0, NULL), 0xee);
	assert_int_equal(mini_do(FAKE_BLK_T_FLUSH, 0, NULL, 0, NULL), FAKE_BLK_S_OK);
	assert_int_equal(fake_virtio_stats(m.fv)->failed_by_knob, 1);
}

static void test_fail_sector_is_sticky_and_transfers_nothing(void **state)
{
	static uint8_t buf[4 * FAKE_SECTOR_BYTES];
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_fail_sector(m.fv, 101, FAKE_BLK_S_IOERR, FAKE_STICKY);
	memset(buf, 0x77, sizeof(buf));
	assert_int_equal(mini_do(FAKE_BLK_T_OUT, 100, buf, sizeof(buf), NULL), FAKE_BLK_S_IOERR);
	assert_int_equal(fake_virtio_disk(m.fv)[100 * FAKE_SECTOR_BYTES], 0);
	assert_int_equal(mini_do(FAKE_BLK_T_IN, 101, buf, FAKE_SECTOR_BYTES, NULL), FAKE_BLK_S_IOERR);
	assert_int_equal(mini_do(FAKE_BLK_T_IN, 102, buf, FAKE_SECTOR_BYTES, NULL), FAKE_BLK_S_OK);
	fake_virtio_assert_clean(m.fv);
}

static uint32_t used_entry_field(unsigned slot, unsigned field)
{
	return get32(used() + RING_OFF_ENTRIES + USED_ENTRY_BYTES * slot + 4 * field);
}

static void test_used_id_out_of_range_knob(void **state)
{
	static struct mini_req req;
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_corrupt_used(m.fv, FAKE_USED_ID_OUT_OF_RANGE, FAKE_ONCE);
	mini_submit(&req, FAKE_BLK_T_FLUSH, 0, NULL, 0, true);
	assert_int_equal(used_entry_field(0, 0), QSIZE + 5);
}

static void test_used_id_not_head_knob(void **state)
{
	static struct mini_req req;
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_corrupt_used(m.fv, FAKE_USED_ID_NOT_HEAD, FAKE_ONCE);
	mini_submit(&req, FAKE_BLK_T_FLUSH, 0, NULL, 0, true);
	assert_int_equal(used_entry_field(0, 0), 1);   /* the status descriptor */
}

static void test_used_len_too_large_knob(void **state)
{
	static struct mini_req req;
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_corrupt_used(m.fv, FAKE_USED_LEN_TOO_LARGE, FAKE_ONCE);
	mini_submit(&req, FAKE_BLK_T_FLUSH, 0, NULL, 0, true);
	assert_int_equal(used_entry_field(0, 1), 1 + 4096);
}

static void test_used_idx_jump_and_backwards_knobs(void **state)
{
	static struct mini_req req;
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_corrupt_used(m.fv, FAKE_USED_IDX_JUMP, FAKE_ONCE);
	mini_submit(&req, FAKE_BLK_T_FLUSH, 0, NULL, 0, true);
	assert_int_equal(get16(used() + RING_OFF_IDX), 1 + QSIZE + 1);
	fake_virtio_corrupt_used(m.fv, FAKE_USED_IDX_BACKWARDS, FAKE_ONCE);
	mini_submit(&req, FAKE_BLK_T_FLUSH, 0, NULL, 0, true);
	assert_int_equal(get16(used() + RING_OFF_IDX), QSIZE + 1);
}

static void test_used_len_short_knob(void **state)
{
	static struct mini_req req;
	static uint8_t buf[FAKE_SECTOR_BYTES];
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_corrupt_used(m.fv, FAKE_USED_LEN_SHORT, FAKE_ONCE);
	mini_submit(&req, FAKE_BLK_T_IN, 0, buf, sizeof(buf), true);
	assert_int_equal(used_entry_field(0, 1), FAKE_SECTOR_BYTES);   /* data + 1 - 1 */
	assert_int_equal(req.status, FAKE_BLK_S_OK);
}

static void test_raised_interrupt_bits_stay_until_acked(void **state)
{
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_raise_interrupt_bits(m.fv, 0x21);
	assert_int_equal(rd(REG_INTERRUPT_STATUS), 0x21);
	wr(REG_INTERRUPT_ACK, INT_USED_BUFFER);
	assert_int_equal(rd(REG_INTERRUPT_STATUS), 0x20);
	fake_virtio_assert_clean(m.fv);
}

static void test_register_trace_records_every_access_in_order(void **state)
{
	const struct fake_virtio_access *trace;
	(void)state;
	create(2);
	rd(REG_MAGIC_VALUE);
	wr(REG_DEVICE_FEATURES_SEL, 1);
	host_mmio_read(m.base + REG_CONFIG + 0x14, 4);
	assert_int_equal(fake_virtio_reg_trace(m.fv, &trace), 3);
	assert_false(trace[0].write);
	assert_int_equal(trace[0].offset, REG_MAGIC_VALUE);
	assert_int_equal(trace[0].value, FAKE_MAGIC);
	assert_true(trace[1].write);
	assert_int_equal(trace[1].offset, REG_DEVICE_FEATURES_SEL);
	assert_int_equal(trace[1].value, 1);
	assert_int_equal(trace[2].offset, REG_CONFIG + 0x14);
	assert_int_equal(trace[2].width_bytes, 4);
	fake_virtio_clear_reg_trace(m.fv);
	assert_int_equal(fake_virtio_reg_trace(m.fv, &trace), 0);
}

static void test_used_duplicate_knob(void **state)
{
	static struct mini_req req;
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_corrupt_used(m.fv, FAKE_USED_DUPLICATE, FAKE_ONCE);
	mini_submit(&req, FAKE_BLK_T_FLUSH, 0, NULL, 0, true);
	assert_int_equal(get16(used() + RING_OFF_IDX), 2);
	assert_int_equal(used_entry_field(0, 0), used_entry_field(1, 0));
}

static void test_refuse_features_ok_knob(void **state)
{
	(void)state;
	create(2);
	fake_virtio_refuse_features_ok(m.fv, FAKE_ONCE);
	negotiate(FAKE_BIT(FAKE_F_VERSION_1), true);
	assert_false(rd(REG_STATUS) & STATUS_FEATURES_OK);
	negotiate(FAKE_BIT(FAKE_F_VERSION_1), true);
	assert_true(rd(REG_STATUS) & STATUS_FEATURES_OK);
	fake_virtio_assert_clean(m.fv);
}

static void test_resize_raises_config_interrupt_and_generation(void **state)
{
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_resize(m.fv, 4096);
	assert_int_equal(rd(REG_INTERRUPT_STATUS), 3);
	assert_int_equal(rd(REG_CONFIG_GENERATION), 1);
	assert_int_equal(host_mmio_read(m.base + REG_CONFIG, 4), 4096);
	assert_int_equal(fake_virtio_disk_bytes(m.fv), 4096u * FAKE_SECTOR_BYTES);
	fake_virtio_assert_clean(m.fv);
}

static void test_torn_capacity_read_changes_generation(void **state)
{
	uint32_t gen_before, low, high, gen_after;
	(void)state;
	create(2);
	fake_virtio_tear_capacity_read(m.fv, 0x100000001ull);
	gen_before = rd(REG_CONFIG_GENERATION);
	low = host_mmio_read(m.base + REG_CONFIG, 4);
	high = host_mmio_read(m.base + REG_CONFIG + 4, 4);
	gen_after = rd(REG_CONFIG_GENERATION);
	assert_int_equal(low, 2048);      /* old low half ... */
	assert_int_equal(high, 1);        /* ... new high half */
	assert_int_not_equal(gen_before, gen_after);
}

static void test_needs_reset_knob_sets_0x40_and_config_interrupt(void **state)
{
	static struct mini_req req;
	uint32_t id, len;
	(void)state;
	create(2);
	mini_init(blk_features);
	fake_virtio_needs_reset(m.fv);
	assert_int_equal(rd(REG_STATUS), 0x4f);
	assert_int_equal(rd(REG_INTERRUPT_STATUS), 3);
	mini_submit(&req, FAKE_BLK_T_FLUSH, 0, NULL, 0, true);
	assert_false(mini_wait(10, &id, &len));   /* broken: nothing served */
	wr(REG_STATUS, 0);
	assert_int_equal(rd(REG_STATUS), 0);
	assert_false(fake_virtio_broken(m.fv));
}

static void test_virtual_clock_advances_one_step_per_relax(void **state)
{
	(void)state;
	assert_int_equal(host_time_us(), 0);
	host_cpu_relax();
	assert_int_equal(host_time_us(), 1);
	host_set_time_step_us(250);
	host_cpu_relax();
	assert_int_equal(host_time_us(), 251);
	assert_int_equal(host_relax_count(), 2);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity_registers_read_like_qemu),
		T(test_empty_slot_and_bad_magic_are_configurable),
		T(test_touching_an_empty_slot_beyond_device_id_is_recorded),
		T(test_all_ones_features_can_be_offered),
		T(test_queue_num_max_0_means_no_queue),
		T(test_modern_offers_qemu_features),
		T(test_legacy_offers_32_bits_only),
		T(test_modern_init_traces_status_0_1_3_b_f),
		T(test_legacy_init_traces_status_0_1_3_7),
		T(test_reset_clears_queue_and_features),
		T(test_modern_write_then_read_round_trips),
		T(test_legacy_write_then_read_round_trips),
		T(test_last_chain_records_header_data_status_framing),
		T(test_read_past_capacity_is_ioerr_and_recorded),
		T(test_partial_sector_read_is_ioerr),
		T(test_unknown_type_is_unsupp),
		T(test_flush_is_ok_with_used_len_1),
		T(test_get_id_returns_serial_zero_padded),
		T(test_write_to_read_only_disk_is_ioerr),
		T(test_indirect_chain_is_served_when_negotiated),
		T(test_indirect_without_negotiation_is_recorded),
		T(test_notify_before_driver_ok_is_recorded),
		T(test_clearing_a_status_bit_is_recorded),
		T(test_feature_write_after_features_ok_is_recorded),
		T(test_accepting_unoffered_feature_is_refused),
		T(test_accepting_ring_reset_is_recorded),
		T(test_narrow_register_access_is_recorded),
		T(test_config_access_at_wrong_width_is_recorded),
		T(test_config_fields_read_at_their_width),
		T(test_config_field_of_unoffered_feature_is_recorded),
		T(test_config_write_before_features_ok_is_recorded),
		T(test_unknown_and_write_only_registers_are_recorded),
		T(test_legacy_has_no_config_generation),
		T(test_queue_num_not_power_of_2_is_recorded),
		T(test_queue_num_above_max_is_recorded),
		T(test_misaligned_rings_are_recorded),
		T(test_dirty_used_ring_at_queue_ready_is_recorded),
		T(test_queue_num_write_while_ready_is_recorded),
		T(test_legacy_pfn_before_guest_page_size_is_recorded),
		T(test_ack_of_bits_not_pending_is_recorded),
		T(test_avail_idx_jump_breaks_device_like_qemu),
		T(test_out_of_range_head_breaks_device),
		T(test_looping_chain_is_detected),
		T(test_readable_after_writable_is_detected),
		T(test_legacy_header_sharing_a_descriptor_is_recorded),
		T(test_changing_a_held_chain_is_recorded),
		T(test_changing_a_held_request_header_is_recorded),
		T(test_slow_reset_must_be_polled),
		T(test_deferred_completion_waits_n_relax_steps),
		T(test_held_requests_complete_in_reversed_order),
		T(test_shuffled_order_completes_everything_once),
		T(test_never_mode_times_out),
		T(test_polling_device_serves_requests_without_notify),
		T(test_completion_raises_used_interrupt),
		T(test_no_interrupt_flag_suppresses_interrupt),
		T(test_event_idx_interrupts_only_at_used_event),
		T(test_irq_hook_is_called_on_relax_until_acked),
		T(test_fail_request_answers_nth_request_once),
		T(test_fail_sector_is_sticky_and_transfers_nothing),
		T(test_used_id_out_of_range_knob),
		T(test_used_id_not_head_knob),
		T(test_used_len_too_large_knob),
		T(test_used_idx_jump_and_backwards_knobs),
		T(test_used_len_short_knob),
		T(test_raised_interrupt_bits_stay_until_acked),
		T(test_register_trace_records_every_access_in_order),
		T(test_used_duplicate_knob),
		T(test_refuse_features_ok_knob),
		T(test_resize_raises_config_interrupt_and_generation),
		T(test_torn_capacity_read_changes_generation),
		T(test_needs_reset_knob_sets_0x40_and_config_interrupt),
		T(test_virtual_clock_advances_one_step_per_relax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
