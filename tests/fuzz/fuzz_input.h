/* SPDX-License-Identifier: MIT */
/*
 * Reading a libFuzzer input as a little-endian byte stream, for the
 * fuzzers that turn their input into a device or a sequence of steps.
 * Past the end every read is 0, so a short input is still a valid program
 * (and an empty one the plainest case: a well-behaved device).
 */
#ifndef VBLK_TESTS_FUZZ_INPUT_H
#define VBLK_TESTS_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct input {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

static inline bool input_left(const struct input *in)
{
	return in->pos < in->size;
}

static inline uint8_t take8(struct input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static inline uint16_t take16(struct input *in)
{
	uint16_t low = take8(in);
	return (uint16_t)(low | take8(in) << 8);
}

static inline uint32_t take32(struct input *in)
{
	uint32_t low = take16(in);
	return low | (uint32_t)take16(in) << 16;
}

static inline uint64_t take64(struct input *in)
{
	uint64_t low = take32(in);
	return low | (uint64_t)take32(in) << 32;
}

#endif
