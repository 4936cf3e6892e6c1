/* SPDX-License-Identifier: MIT */
/*
 * The packed ring's own cost per request, in instructions (host build):
 * bench/ring_cost.c's run on vring/packed.c. REQUESTS chains of header,
 * 4 KiB of data and status byte go through vqp_add, vqp_publish and,
 * once "the device" has answered, vqp_harvest. The device is a few lines
 * here that take each available chain and write its used descriptor in
 * place (virtio 1.2 §2.8.7, in order); they are left out of the count.
 *
 * tools/ring-cost.sh runs it under callgrind, collecting only inside the
 * three vqp_* calls, and divides by REQUESTS.
 */
#include <stdio.h>
#include <stdlib.h>

#include "vring/packed.h"

#define REQUESTS     100000u
#define QUEUE_SIZE   VBLK_QUEUE_SIZE   /* the default ring */
#define HEADER_BYTES 16u
#define DATA_BYTES   4096u

static uint8_t ring_mem[VRING_PACKED_MEM_BYTES(QUEUE_SIZE)] __attribute__((aligned(4096)));
static struct vq_packed vq;
static uint8_t header[HEADER_BYTES], data[DATA_BYTES], status;

/* The device's position in the ring and its wrap counter (§2.8.1). */
static uint16_t device_slot;
static bool device_wrap = true;

static bool slot_available(const struct vring_packed_desc *desc)
{
	bool avail = desc->flags & VRING_PACKED_DESC_F_AVAIL;
	bool used = desc->flags & VRING_PACKED_DESC_F_USED;
	return avail == device_wrap && used != device_wrap;
}

/* Complete every available chain: one used descriptor per chain, at the
 * chain's first slot, with the ID of its last descriptor. */
static void device_completes_all(void)
{
	while (slot_available(&vq.desc[device_slot])) {
		uint16_t head = device_slot, last = head;
		bool head_wrap = device_wrap;

		while (vq.desc[last].flags & VRING_DESC_F_NEXT)
			last = (uint16_t)((last + 1) % QUEUE_SIZE);
		uint16_t id = vq.desc[last].id, next = (uint16_t)((last + 1) % QUEUE_SIZE);
		if (next <= head)
			device_wrap = !device_wrap;
		device_slot = next;
		vq.desc[head].id = id;
		vq.desc[head].len = DATA_BYTES + 1;   /* a read: data + status byte */
		uint16_t flags = head_wrap ? VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED : 0;
		__atomic_store_n(&vq.desc[head].flags, flags, __ATOMIC_RELEASE);
	}
}

static void fail(const char *what)
{
	fprintf(stderr, "ring_cost_packed: %s\n", what);
	exit(1);
}

int main(void)
{
	const struct vring_buf chain[] = {
		{ (uint64_t)(uintptr_t)header, HEADER_BYTES, false },
		{ (uint64_t)(uintptr_t)data, DATA_BYTES, true },
		{ (uint64_t)(uintptr_t)&status, 1, true },
	};
	static int token;

	if (vqp_init(&vq, ring_mem, sizeof(ring_mem), QUEUE_SIZE, true) != 0)
		fail("vqp_init");
	for (unsigned done = 0; done < REQUESTS; done++) {
		if (vqp_add(&vq, chain, 3, &token) != 0)
			fail("vqp_add");
		vqp_publish(&vq);
		device_completes_all();
		void *got;
		uint32_t len;
		if (vqp_harvest(&vq, &got, &len) != 1 || got != &token || len != DATA_BYTES + 1)
			fail("vqp_harvest");
	}
	printf("%u requests through the packed ring\n", REQUESTS);
	return 0;
}
