/* SPDX-License-Identifier: MIT */
/*
 * Both rings, split and packed, on a platform whose DMA is not coherent
 * (VBLK_NONCOHERENT_DMA): built with that flag, this test supplies
 * plat_dma_clean/plat_dma_invalidate itself and models a write-back data
 * cache over the ring memory.
 *
 *   driver (CPU)                         device
 *   ring_mem: what the CPU sees          dev_mem: what memory holds
 *      plat_dma_clean(lines)      --->   copied into dev_mem
 *      plat_dma_invalidate(lines) <---   copied from dev_mem
 *
 * The device here reads and writes dev_mem only, so the driver sees the
 * device's writes only through an invalidate, and the device sees the
 * driver's only through a clean, line by line, as on such hardware. A
 * missing clean leaves the device without the chain or the index; a
 * missing invalidate leaves the driver polling a stale used.idx forever.
 * (The invalidate copies the whole line back, dropping CPU writes that
 * were not cleaned: stricter than the clean-and-invalidate the aarch64
 * implementation does, so a line the driver both writes and invalidates
 * would show up too.)
 *
 * The packed ring passes each rule here, and still loses a completion
 * when the driver fills a slot on the line of one the device has just
 * used (test_packed_slots_on_one_line_lose_a_completion): the two sides
 * write the same lines. So a non-coherent build never negotiates it
 * (blk/features.c); these tests keep its cache calls honest all the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vblk/error.h"
#include "vblk/platform.h"
#include "blk/disk.h"
#include "vring/packed.h"
#include "vring/virtqueue.h"

#ifndef VBLK_NONCOHERENT_DMA
#error "build with -DVBLK_NONCOHERENT_DMA (the Makefile does)"
#endif

#define NUM 8u
#define LINE_BYTES 64u
#define RING_BYTES VRING_MEM_BYTES(NUM)

static uint8_t ring_mem[RING_BYTES] __attribute__((aligned(VRING_ALIGN_BYTES)));
static uint8_t dev_mem[RING_BYTES] __attribute__((aligned(VRING_ALIGN_BYTES)));
static struct virtqueue vq;
static struct vq_packed pvq;
static unsigned cleans, invalidates;

/* The lines of [ptr, ptr + len) that lie in the ring, as offsets. */
static bool ring_lines(const void *ptr, size_t len_bytes, size_t *first, size_t *end)
{
	uintptr_t base = (uintptr_t)ring_mem, addr = (uintptr_t)ptr;

	if (addr < base || addr >= base + RING_BYTES)
		return false;   /* data buffers: the device here never touches them */
	*first = (addr - base) / LINE_BYTES * LINE_BYTES;
	*end = (addr - base + len_bytes + LINE_BYTES - 1) / LINE_BYTES * LINE_BYTES;
	if (*end > RING_BYTES)
		*end = RING_BYTES;
	return true;
}

void plat_dma_clean(const void *ptr, size_t len_bytes)
{
	size_t first, end;

	cleans++;
	if (ring_lines(ptr, len_bytes, &first, &end))
		memcpy(dev_mem + first, ring_mem + first, end - first);
}

void plat_dma_invalidate(const void *ptr, size_t len_bytes)
{
	size_t first, end;

	invalidates++;
	if (ring_lines(ptr, len_bytes, &first, &end))
		memcpy(ring_mem + first, dev_mem + first, end - first);
}

/* ---- the device, on dev_mem only ------------------------------------- */

static void *dev_at(const void *driver_ptr)
{
	return dev_mem + ((const uint8_t *)driver_ptr - ring_mem);
}

static struct vring_avail *dev_avail(void) { return dev_at(vq.avail); }
static struct vring_used *dev_used(void) { return dev_at(vq.used); }
static struct vring_desc *dev_desc(void) { return dev_at(vq.desc); }
static uint16_t *dev_used_event(void) { return dev_at(vq.used_event); }
static uint16_t *dev_avail_event(void) { return dev_at(vq.avail_event); }

static uint16_t dev_last_avail;

/* Take the next chain from the avail ring as memory holds it, check it
 * is the one the driver added, and complete it. */
static void device_takes_and_completes(const struct vring_buf *bufs, unsigned nbufs,
				       uint32_t used_len)
{
	assert_int_not_equal(dev_avail()->idx, dev_last_avail);   /* the idx was cleaned */
	uint16_t head = dev_avail()->ring[dev_last_avail % NUM], idx = head;
	dev_last_avail++;

	for (unsigned i = 0; i < nbufs; i++) {
		const struct vring_desc *desc = &dev_desc()[idx];
		assert_int_equal(desc->addr, bufs[i].addr);                /* descriptors */
		assert_int_equal(desc->len, bufs[i].len_bytes);            /* were cleaned */
		assert_int_equal(desc->flags & VRING_DESC_F_WRITE,
				 bufs[i].device_writes ? VRING_DESC_F_WRITE : 0);
		assert_int_equal(!!(desc->flags & VRING_DESC_F_NEXT), i + 1 < nbufs);
		idx = desc->next;
	}
	struct vring_used *used = dev_used();
	used->ring[used->idx % NUM] = (struct vring_used_elem){ head, used_len };
	used->idx++;
}

static const struct vring_buf chain[] = {
	{ 0x10000, 16, false },
	{ 0x20000, 4096, true },
	{ 0x30000, 1, true },
};
#define CHAIN_BUFS (sizeof(chain) / sizeof(chain[0]))

static int setup(void **state)
{
	(void)state;
	memset(ring_mem, 0x5a, sizeof(ring_mem));   /* what the cache held before */
	memset(dev_mem, 0xa5, sizeof(dev_mem));     /* what memory held before */
	dev_last_avail = 0;
	assert_int_equal(vq_init(&vq, ring_mem, sizeof(ring_mem), NUM, true), 0);
	return 0;
}

/* vq_init zeroes the rings in memory, not just in the cache: the device
 * starts from used.idx 0 (§2.7.10.1). */
static void test_init_reaches_memory(void **state)
{
	(void)state;
	for (size_t i = 0; i < RING_BYTES; i++)
		assert_int_equal(dev_mem[i], 0);
}

/* Many requests, round the ring and its indices: each chain reaches the
 * device, and each completion reaches the driver, even though the driver
 * polls used.idx (caching its line) before the device writes it. */
static void test_requests_cross_in_both_directions(void **state)
{
	(void)state;
	int token = 0;

	for (unsigned round = 0; round < 5 * NUM; round++) {
		assert_int_equal(vq_add(&vq, chain, CHAIN_BUFS, &token), 0);
		vq_publish(&vq);
		assert_false(vq_has_used(&vq));        /* used.idx's line now cached */
		device_takes_and_completes(chain, CHAIN_BUFS, 4097);
		assert_true(vq_has_used(&vq));         /* seen only through an invalidate */

		void *got = NULL;
		uint32_t len = 0;
		assert_int_equal(vq_harvest(&vq, &got, &len), 1);
		assert_ptr_equal(got, &token);
		assert_int_equal(len, 4097);
		assert_int_equal(vq_harvest(&vq, &got, &len), 0);
	}
	assert_true(cleans > 0);
	assert_true(invalidates > 0);
}

/* The device's avail_event (EVENT_IDX) decides the notification, as
 * memory holds it, not as the cache last saw it. */
static void test_publish_reads_avail_event_from_memory(void **state)
{
	(void)state;
	int token = 0;

	assert_int_equal(vq_add(&vq, &chain[1], 1, &token), 0);
	assert_true(vq_publish(&vq));              /* avail_event 0: notify for entry 0 */
	*dev_avail_event() = 5;                     /* "don't notify before entry 5" */
	assert_int_equal(vq_add(&vq, &chain[1], 1, &token), 0);
	assert_false(vq_publish(&vq));
	*dev_avail_event() = 2;                     /* "notify for entry 2" */
	assert_int_equal(vq_add(&vq, &chain[1], 1, &token), 0);
	assert_true(vq_publish(&vq));
}

/* Turning interrupts off and on moves used_event in memory, where the
 * device reads it (§2.7.10). */
static void test_interrupt_suppression_reaches_memory(void **state)
{
	(void)state;
	int token = 0;

	assert_int_equal(vq_add(&vq, chain, CHAIN_BUFS, &token), 0);
	vq_publish(&vq);
	device_takes_and_completes(chain, CHAIN_BUFS, 4097);
	void *got;
	uint32_t len;
	assert_int_equal(vq_harvest(&vq, &got, &len), 1);

	vq_disable_interrupts(&vq);
	assert_int_equal(*dev_used_event(), (uint16_t)(vq.last_used_idx - 1));
	assert_false(vq_enable_interrupts(&vq));
	assert_int_equal(*dev_used_event(), vq.last_used_idx);
}

/* ---- the packed ring (§2.8) ------------------------------------------ */

/* The device's position and wrap counter in the descriptor ring. */
static uint16_t dev_slot;
static bool dev_wrap;

static int setup_packed(void **state)
{
	(void)state;
	memset(ring_mem, 0x5a, sizeof(ring_mem));
	memset(dev_mem, 0xa5, sizeof(dev_mem));
	dev_slot = 0;
	dev_wrap = true;
	assert_int_equal(vqp_init(&pvq, ring_mem, sizeof(ring_mem), NUM, true), 0);
	return 0;
}

/* Take the next chain as memory holds it (its head's flags say it is
 * available only once they were cleaned), check it is the driver's, and
 * write its used descriptor in place, flags last. */
static void device_completes_packed(const struct vring_buf *bufs, unsigned nbufs,
				    uint32_t used_len)
{
	struct vring_packed_desc *ring = dev_at(pvq.desc);
	uint16_t head = dev_slot, slot = head, id = 0;
	bool head_wrap = dev_wrap;

	uint16_t flags = ring[head].flags;
	assert_int_equal(!!(flags & VRING_PACKED_DESC_F_AVAIL), dev_wrap);
	assert_int_equal(!!(flags & VRING_PACKED_DESC_F_USED), !dev_wrap);
	for (unsigned i = 0; i < nbufs; i++) {
		const struct vring_packed_desc *desc = &ring[slot];
		assert_int_equal(desc->addr, bufs[i].addr);
		assert_int_equal(desc->len, bufs[i].len_bytes);
		assert_int_equal(!!(desc->flags & VRING_DESC_F_NEXT), i + 1 < nbufs);
		id = desc->id;
		slot = (uint16_t)((slot + 1) % NUM);
		if (slot == 0)
			dev_wrap = !dev_wrap;
	}
	dev_slot = slot;
	ring[head].id = id;
	ring[head].len = used_len;
	ring[head].flags = head_wrap ? VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED : 0;
}

/* vqp_init zeroes the descriptors and event areas in memory. */
static void test_packed_init_reaches_memory(void **state)
{
	(void)state;
	for (size_t i = 0; i < VRING_PACKED_MEM_BYTES(NUM); i++)
		assert_int_equal(dev_mem[i], 0);
}

/* Round the ring many times, across the wrap: each chain reaches the
 * device through a clean, each used descriptor the driver through an
 * invalidate, though the driver looked at the slot before the device
 * wrote it. */
static void test_packed_requests_cross_in_both_directions(void **state)
{
	(void)state;
	int token = 0;

	for (unsigned round = 0; round < 5 * NUM; round++) {
		assert_int_equal(vqp_add(&pvq, chain, CHAIN_BUFS, &token), 0);
		vqp_publish(&pvq);
		assert_false(vqp_has_used(&pvq));      /* the slot's line now cached */
		device_completes_packed(chain, CHAIN_BUFS, 4097);
		assert_true(vqp_has_used(&pvq));       /* seen only through an invalidate */

		void *got = NULL;
		uint32_t len = 0;
		assert_int_equal(vqp_harvest(&pvq, &got, &len), 1);
		assert_ptr_equal(got, &token);
		assert_int_equal(len, 4097);
		assert_int_equal(vqp_harvest(&pvq, &got, &len), 0);
	}
	assert_true(cleans > 0);
	assert_true(invalidates > 0);
}

/*
 * Why the device layer does not negotiate the packed ring here: with a
 * chain in flight, the driver fills the next slot, on the same cache line
 * as the first chain's, and cleans it after the device wrote its used
 * descriptor there. The clean writes the CPU's stale copy of that slot
 * back to memory: the completion is gone. (The split ring's used ring
 * and avail ring never share a line.)
 */
static void test_packed_slots_on_one_line_lose_a_completion(void **state)
{
	(void)state;
	int token_a = 0, token_b = 0;

	assert_int_equal(vqp_add(&pvq, &chain[1], 1, &token_a), 0);
	vqp_publish(&pvq);
	assert_false(vqp_has_used(&pvq));
	device_completes_packed(&chain[1], 1, 4096);
	assert_int_equal(vqp_add(&pvq, &chain[1], 1, &token_b), 0);
	vqp_publish(&pvq);
	assert_false(vqp_has_used(&pvq));   /* lost: overwritten by the clean */
}

/* And so the block driver never accepts VIRTIO_F_RING_PACKED in a
 * build for such a platform (blk/features.c): such a device runs on the
 * split ring. */
static void test_packed_ring_is_not_negotiated(void **state)
{
	(void)state;
	assert_false(blk_driver_features() & (1ull << VIRTIO_F_RING_PACKED));
	assert_true(blk_driver_features() & (1ull << VIRTIO_F_VERSION_1));
}

/* The driver's event area reaches memory: disabled, then enabled. */
static void test_packed_interrupt_suppression_reaches_memory(void **state)
{
	(void)state;
	const struct vring_packed_event *event = dev_at(pvq.driver);

	vqp_disable_interrupts(&pvq);
	assert_int_equal(event->flags, VRING_PACKED_EVENT_DISABLE);
	assert_false(vqp_enable_interrupts(&pvq));
	assert_int_not_equal(event->flags, VRING_PACKED_EVENT_DISABLE);
}

#define T(name) cmocka_unit_test_setup(name, setup)
#define TP(name) cmocka_unit_test_setup(name, setup_packed)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_reaches_memory),
		T(test_requests_cross_in_both_directions),
		T(test_publish_reads_avail_event_from_memory),
		T(test_interrupt_suppression_reaches_memory),
		TP(test_packed_init_reaches_memory),
		TP(test_packed_requests_cross_in_both_directions),
		TP(test_packed_interrupt_suppression_reaches_memory),
		TP(test_packed_slots_on_one_line_lose_a_completion),
		TP(test_packed_ring_is_not_negotiated),
	};
	return cmocka_run_group_tests_name("test_noncoherent", tests, NULL, NULL);
}
