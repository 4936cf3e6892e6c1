/* SPDX-License-Identifier: MIT */
/*
 * CRC-32 four bits at a time: a 16-entry table (64 bytes) instead of the
 * usual 256 entries (1 KiB), as a parse covers a header and an array of
 * usually 16 KiB per copy (at most VBLK_GPT_MAX_ARRAY_BYTES).
 */
#include "part/crc32.h"

/* The CRC of each 4-bit value alone: entry i is i shifted through the
 * reflected polynomial 0xEDB88320 four times. */
static const uint32_t nibble_table[16] = {
	0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu,
	0x76dc4190u, 0x6b6b51f4u, 0x4db26158u, 0x5005713cu,
	0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
	0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu,
};

uint32_t crc32_update(uint32_t running, const void *data, size_t len_bytes)
{
	const uint8_t *byte = data;

	for (size_t i = 0; i < len_bytes; i++) {
		running ^= byte[i];
		running = (running >> 4) ^ nibble_table[running & 0xfu];
		running = (running >> 4) ^ nibble_table[running & 0xfu];
	}
	return running;
}

uint32_t crc32_of(const void *data, size_t len_bytes)
{
	return crc32_finish(crc32_update(CRC32_START, data, len_bytes));
}
