/* SPDX-License-Identifier: MIT */
/*
 * The deterministic disk pattern shared by the host tool (tools/diskpat.c)
 * and the QEMU guest tests (tests/qemu/guest_tests.c): whichever side writes
 * a sector, the other can check it byte for byte.
 *
 * Each 512-byte sector holds
 *   bytes  0..7    the sector number, little-endian
 *   bytes  8..15   the seed, little-endian
 *   bytes 16..511  a xorshift64* stream started from a mix of (seed, sector)
 * so a sector written to the wrong place, a stale sector or one from another
 * run (other seed) never matches, and the header says where a misplaced
 * sector came from.
 *
 * Pure C11 with <stdint.h> only: no libc, no alignment assumptions (bytes
 * are stored one at a time, so it works under -mstrict-align with the MMU
 * off and on big- or little-endian hosts alike).
 */
#ifndef VBLK_TOOLS_PATTERN_H
#define VBLK_TOOLS_PATTERN_H

#include <stdint.h>

#define PATTERN_SECTOR_BYTES 512u
#define PATTERN_HEADER_BYTES 16u   /* sector number + seed */

/* splitmix64 finaliser: spreads every input bit over the whole word, so
 * neighbouring sectors and seeds start unrelated streams. */
static inline uint64_t pattern_mix64(uint64_t value)
{
	value += UINT64_C(0x9e3779b97f4a7c15);
	value = (value ^ (value >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	value = (value ^ (value >> 27)) * UINT64_C(0x94d049bb133111eb);
	return value ^ (value >> 31);
}

/* One xorshift64* step; the state must never be 0. */
static inline uint64_t pattern_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(0x2545f4914f6cdd1d);
}

static inline void pattern_put_le64(uint8_t *dst, uint64_t value)
{
	for (unsigned i = 0; i < 8; i++)
		dst[i] = (uint8_t)(value >> (8 * i));
}

static inline uint64_t pattern_get_le64(const uint8_t *src)
{
	uint64_t value = 0;

	for (unsigned i = 0; i < 8; i++)
		value |= (uint64_t)src[i] << (8 * i);
	return value;
}

/* Write the pattern of `sector` under `seed` into sector_buf[0..511]. */
static inline void pattern_fill_sector(uint8_t *sector_buf, uint64_t seed,
				       uint64_t sector)
{
	uint64_t state = pattern_mix64(seed ^ pattern_mix64(sector));

	if (state == 0)         /* xorshift's one fixed point */
		state = 1;
	pattern_put_le64(sector_buf, sector);
	pattern_put_le64(sector_buf + 8, seed);
	for (unsigned off = PATTERN_HEADER_BYTES; off < PATTERN_SECTOR_BYTES; off += 8)
		pattern_put_le64(sector_buf + off, pattern_next(&state));
}

/*
 * Compare sector_buf with the pattern of `sector` under `seed`. Returns -1
 * if every byte matches, else the offset of the first differing byte.
 */
static inline int pattern_check_sector(const uint8_t *sector_buf, uint64_t seed,
				       uint64_t sector)
{
	uint8_t expected[PATTERN_SECTOR_BYTES];

	pattern_fill_sector(expected, seed, sector);
	for (unsigned off = 0; off < PATTERN_SECTOR_BYTES; off++)
		if (sector_buf[off] != expected[off])
			return (int)off;
	return -1;
}

#endif
