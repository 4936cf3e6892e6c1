/* SPDX-License-Identifier: MIT */
/*
 * Hand-made GUID partition tables for the GPT tests and the GPT fuzzer:
 * a builder that lays out a whole disk (protective MBR, primary header
 * and array, backup array and header, CRCs right), and a CRC fixer that
 * makes a header's two CRCs match what it now says, so a test can change
 * one field and see the check meant for that field, not a CRC, fire.
 *
 * Its CRC-32 is its own (a table built bit by bit), not the library's.
 */
#ifndef VBLK_TESTS_GPT_IMAGE_H
#define VBLK_TESTS_GPT_IMAGE_H

#include <stdint.h>

#include "vblk/gpt.h"

struct gpt_image_part {
	uint32_t entry_index;
	uint64_t first_lba, last_lba;
	struct vblk_guid type;
	const char *name;        /* ASCII, stored as UTF-16LE */
};

struct gpt_image_layout {
	uint32_t block_bytes;    /* 512 or 4096 */
	uint64_t nblocks;
	uint32_t num_entries;    /* 0: 128 */
	uint32_t entry_bytes;    /* 0: 128 */
};

/* The header offsets the tests change (UEFI 2.10 §5.3.2, §5.3.3). */
#define GPT_IMAGE_HEADER_SIZE   12u
#define GPT_IMAGE_HEADER_CRC    16u
#define GPT_IMAGE_MY_LBA        24u
#define GPT_IMAGE_ALTERNATE_LBA 32u
#define GPT_IMAGE_FIRST_USABLE  40u
#define GPT_IMAGE_LAST_USABLE   48u
#define GPT_IMAGE_DISK_GUID     56u
#define GPT_IMAGE_ARRAY_LBA     72u
#define GPT_IMAGE_NUM_ENTRIES   80u
#define GPT_IMAGE_ENTRY_SIZE    84u
#define GPT_IMAGE_ARRAY_CRC     88u
#define GPT_IMAGE_ENTRY_FIRST   32u
#define GPT_IMAGE_ENTRY_LAST    40u
#define GPT_IMAGE_ENTRY_NAME    56u

/* Blocks of the array a layout gives each copy. */
uint64_t gpt_image_array_blocks(const struct gpt_image_layout *layout);

/* Write the whole table for `parts` into `disk` (layout->nblocks blocks,
 * zeroed by the caller): usable range between the two arrays. */
void gpt_image_build(uint8_t *disk, const struct gpt_image_layout *layout,
		     const struct gpt_image_part *parts, unsigned nparts);

/* Where a block lives, or NULL for a block not held (read as zeros). */
typedef uint8_t *gpt_image_block_fn(void *ctx, uint64_t lba);

/* Recompute the array CRC and then the header CRC of the header at
 * `header_lba`, from what the header says (sizes bounded: an array of
 * more than VBLK_GPT_MAX_ARRAY_BYTES or a header size past the block is
 * left alone). */
void gpt_image_fix_crcs_at(gpt_image_block_fn *block, void *ctx, uint32_t block_bytes,
			   uint64_t header_lba);
void gpt_image_fix_crcs(uint8_t *disk, const struct gpt_image_layout *layout,
			uint64_t header_lba);

/* Little-endian stores into a header or entry. */
void gpt_image_put32(uint8_t *at, uint32_t value);
void gpt_image_put64(uint8_t *at, uint64_t value);
uint32_t gpt_image_crc32(const uint8_t *data, uint64_t len_bytes);

#endif
