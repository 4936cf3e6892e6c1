/* SPDX-License-Identifier: MIT */
/*
 * The benchmark's random numbers: one xorshift64* step (the generator of
 * tools/pattern.h, the host tools' header, which a guest program does not
 * include), so every run uses the same offsets and buffer contents.
 */
#ifndef BENCH_PRNG_H
#define BENCH_PRNG_H

#include <stdint.h>

#define PRNG_SEED UINT64_C(0x76626c6b2d62656e)   /* fixed: same offsets every run */

/* The state must never be 0. */
static inline uint64_t prng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(0x2545f4914f6cdd1d);
}

/* A byte at a time: no alignment assumed (-mstrict-align). */
static inline void put_le64(uint8_t *dst, uint64_t value)
{
	for (unsigned i = 0; i < 8; i++)
		dst[i] = (uint8_t)(value >> (8 * i));
}

#endif
