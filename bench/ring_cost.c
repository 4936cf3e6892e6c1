/* SPDX-License-Identifier: MIT */
/*
 * The ring layer's own cost per request, in instructions (host build).
 *
 * Runs REQUESTS block-request-shaped chains (header, 4 KiB of data,
 * status byte) through the split virtqueue exactly as the block layer
 * does: vq_add, vq_publish, and, once "the device" has answered,
 * vq_harvest. The device is played by a few lines here that move each
 * chain from the avail ring to the used ring; they are not the driver's
 * cost and are left out of the count.
 *
 * tools/ring-cost.sh runs it under callgrind, collecting only inside the
 * three vq_* calls (--toggle-collect), and divides by REQUESTS. It also
 * runs without valgrind, as a smoke test of the ring.
 *
 * A host measuring harness, not an application: it drives the ring's
 * internal interface (vring/virtqueue.h, built with -I. by
 * tools/ring-cost.sh). Only bench/bench.c keeps to the public headers.
 */
#include <stdio.h>
#include <stdlib.h>

#include "vring/virtqueue.h"

#define REQUESTS   100000u
#define QUEUE_SIZE VBLK_QUEUE_SIZE   /* the default ring; depth 1 uses little of it */
#define BATCH      1u        /* requests per publish: depth 1, as the peers */
#define HEADER_BYTES 16u
#define DATA_BYTES 4096u

static uint8_t ring_mem[VRING_MEM_BYTES(QUEUE_SIZE)] __attribute__((aligned(4096)));
static struct virtqueue vq;
static uint8_t header[HEADER_BYTES], data[DATA_BYTES], status;

/* The device side: complete every chain made available since last time. */
static uint16_t device_avail_idx;

static void device_completes_all(void)
{
	uint16_t avail_idx = vq.avail->idx;

	while (device_avail_idx != avail_idx) {
		uint16_t head = vq.avail->ring[device_avail_idx % QUEUE_SIZE];
		struct vring_used_elem *elem = &vq.used->ring[vq.used->idx % QUEUE_SIZE];

		elem->id = head;
		elem->len = DATA_BYTES + 1;   /* a read: data + status byte */
		__atomic_store_n(&vq.used->idx, (uint16_t)(vq.used->idx + 1), __ATOMIC_RELEASE);
		device_avail_idx++;
	}
}

static void fail(const char *what)
{
	fprintf(stderr, "ring_cost: %s\n", what);
	exit(1);
}

int main(void)
{
	const struct vring_buf chain[] = {
		{ (uint64_t)(uintptr_t)header, HEADER_BYTES, false },
		{ (uint64_t)(uintptr_t)data, DATA_BYTES, true },
		{ (uint64_t)(uintptr_t)&status, 1, true },
	};
	static int tokens[BATCH];

	if (vq_init(&vq, ring_mem, sizeof(ring_mem), QUEUE_SIZE, true) != 0)
		fail("vq_init");
	for (unsigned done = 0; done < REQUESTS; done += BATCH) {
		for (unsigned i = 0; i < BATCH; i++)
			if (vq_add_framed(&vq, i, chain, 3, &tokens[i]) != 0)
				fail("vq_add");
		vq_publish(&vq);
		device_completes_all();
		for (unsigned i = 0; i < BATCH; i++) {
			void *token;
			uint32_t len;
			if (vq_harvest(&vq, &token, &len) != 1 || len != DATA_BYTES + 1)
				fail("vq_harvest");
		}
	}
	printf("%u requests through the ring\n", REQUESTS);
	return 0;
}
