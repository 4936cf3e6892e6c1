/* SPDX-License-Identifier: MIT */
/*
 * CRC-32 as GPT headers and partition arrays use it (UEFI 2.10 §5.3.2:
 * the ISO 3309 / ITU-T V.42 CRC, reflected polynomial 0xEDB88320, initial
 * value and final XOR all ones; "123456789" gives 0xCBF43926).
 */
#ifndef VBLK_PART_CRC32_H
#define VBLK_PART_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Start a running CRC, feed it bytes, finish it; crc32_of does all three. */
#define CRC32_START 0xffffffffu
uint32_t crc32_update(uint32_t running, const void *data, size_t len_bytes);
static inline uint32_t crc32_finish(uint32_t running)
{
	return running ^ 0xffffffffu;
}
uint32_t crc32_of(const void *data, size_t len_bytes);

#endif
