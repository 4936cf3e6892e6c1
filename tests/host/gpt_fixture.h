/* SPDX-License-Identifier: MIT */
/*
 * What the GPT tests share: a disk held in memory (exactly its blocks on
 * the heap, so ASan sees any access past them) read through a reader that
 * fails the test when the parser asks for a block past the disk's end,
 * can fail chosen blocks with -VBLK_EIO and counts its calls; the table
 * read into it; the three partitions every table starts with.
 */
#ifndef VBLK_TESTS_GPT_FIXTURE_H
#define VBLK_TESTS_GPT_FIXTURE_H

#include <stdint.h>

#include "gpt_image.h"
#include "vblk/gpt.h"

#define FX_NBLOCKS 2048u   /* 1 MiB of 512-byte blocks */
#define FX_MAX_FAILS 2u

struct fx_disk {
	uint8_t *mem;
	struct gpt_image_layout layout;
	uint64_t fail_lba[FX_MAX_FAILS];  /* blocks whose read fails */
	unsigned nfail;
	unsigned reads;
};

extern struct fx_disk fx_disk;
extern struct vblk_gpt fx_gpt;

/* Slots 0, 1 and 3 ("boot" ESP 34..133, "kernel" 134..1133, "root"
 * 1134..2013); slot 2 unused. */
extern const struct gpt_image_part fx_three_parts[3];

/* A zeroed disk of that shape (0 entries/entry bytes: 128 of 128). */
void fx_new_disk(uint32_t block_bytes, uint64_t nblocks, uint32_t num_entries,
		 uint32_t entry_bytes);
/* The whole table for `parts` on it. */
void fx_build(const struct gpt_image_part *parts, unsigned nparts);
/* The usual: 2048 blocks of 512 bytes holding fx_three_parts. */
void fx_build_three(void);
/* vblk_gpt_parse of fx_disk into fx_gpt. */
int fx_parse(void);

int fx_read(void *ctx, uint64_t lba, uint32_t nblocks, void *buf);
uint8_t *fx_block(uint64_t lba);
uint64_t fx_last_lba(void);
/* Slot `index` of the array of the copy whose header is at `header_lba`
 * (1 or the last block), as laid out by the builder. */
uint8_t *fx_entry(uint64_t header_lba, uint32_t index);
/* Fix the CRCs of the header at `header_lba` after changing it or its array. */
void fx_fix(uint64_t header_lba);

/* fx_gpt holds exactly fx_three_parts. */
void fx_expect_three_parts(void);

/* cmocka teardown: free the disk. */
int fx_teardown(void **state);

#endif
