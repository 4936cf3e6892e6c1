/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the GPT reader (part/gpt*.c, UEFI 2.10 §5.2.3 and
 * §5.3), fed arbitrary blocks through its reader callback: no device, no
 * driver.
 *
 *   make build/fuzz/fuzz_gpt
 *   build/fuzz/fuzz_gpt -max_total_time=60 tests/fuzz/corpus/gpt
 *
 * The input describes a disk, sparse so that a small input can stand for
 * a huge one:
 *
 *   byte 0     flags: bit 0 4 KiB blocks (else 512); bit 1 fix the CRCs
 *              of the header at LBA 1 and bit 2 of the one at the last
 *              block before parsing (tests/host/gpt_image.c, from what the
 *              header says), so mutations reach the checks past the CRCs;
 *              bit 3 make reads of one block fail (-VBLK_EIO)
 *   bytes 1-8  the disk's size in blocks (little-endian, at least 1)
 *   bytes 9-10 how many of the bytes that follow are the head
 *   byte 11    which block fails (bit 3): 0 LBA 0, 1 LBA 1, 2 the last,
 *              else the last but (value - 3)
 *   the rest   the head (from LBA 0), then the tail (ending at the last
 *              block); every other block reads as zeros
 *
 * Invariants: the parser never asks for a block at or past the disk's
 * end, nor more than two copies' worth of blocks; it returns 0, -ENOGPT,
 * -EBADGPT or the reader's error; after 0, every partition reported lies
 * inside the usable range, which lies inside the disk clear of LBA 0, no
 * two partitions overlap, slots rise, and either the primary was sound or
 * the table came from a sound backup; after an error, no partition is.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "tests/host/gpt_image.h"
#include "vblk/gpt.h"

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "invariant: %s (line %d)\n", #cond, __LINE__); \
			abort();                                                     \
		}                                                                    \
	} while (0)

#define FLAG_4K 1u
#define FLAG_FIX_PRIMARY 2u
#define FLAG_FIX_BACKUP 4u
#define FLAG_FAIL_READ 8u

/* The most blocks one parse may read: LBA 0, then per copy a header and
 * the largest array in the smallest blocks, and the backup's header once
 * more when the primary is sound. */
#define MAX_BLOCKS_READ (1u + 2u * (1u + VBLK_GPT_MAX_ARRAY_BYTES / 512u) + 1u)

static struct vblk_gpt gpt;

struct sparse_disk {
	uint32_t block_bytes;
	uint64_t nblocks;
	uint8_t *head, *tail;         /* whole blocks, zero-padded */
	uint64_t head_blocks, tail_blocks;
	bool fail;
	uint64_t fail_lba;
	uint64_t blocks_read;
};

static uint8_t *block_of(void *ctx, uint64_t lba)
{
	struct sparse_disk *d = ctx;
	if (lba < d->head_blocks)
		return d->head + lba * d->block_bytes;
	if (lba < d->nblocks && lba >= d->nblocks - d->tail_blocks)
		return d->tail + (lba - (d->nblocks - d->tail_blocks)) * d->block_bytes;
	return NULL;
}

static int read_sparse(void *ctx, uint64_t lba, uint32_t nblocks, void *buf)
{
	struct sparse_disk *d = ctx;
	CHECK(nblocks > 0 && lba < d->nblocks && nblocks <= d->nblocks - lba);
	CHECK(nblocks <= VBLK_GPT_BUFFER_BYTES / d->block_bytes);
	d->blocks_read += nblocks;
	CHECK(d->blocks_read <= MAX_BLOCKS_READ);
	if (d->fail && d->fail_lba >= lba && d->fail_lba - lba < nblocks)
		return -VBLK_EIO;
	for (uint32_t i = 0; i < nblocks; i++) {
		uint8_t *to = (uint8_t *)buf + (size_t)i * d->block_bytes;
		const uint8_t *from = block_of(d, lba + i);
		if (from)
			memcpy(to, from, d->block_bytes);
		else
			memset(to, 0, d->block_bytes);
	}
	return 0;
}

/* `len_bytes` of input as whole blocks (the last zero-padded), at most as
 * many blocks as the disk has. */
static uint8_t *blocks_from(struct sparse_disk *d, const uint8_t *data, size_t len_bytes,
			    uint64_t *nblocks)
{
	*nblocks = (len_bytes + d->block_bytes - 1) / d->block_bytes;
	if (*nblocks > d->nblocks)
		*nblocks = d->nblocks;
	uint8_t *mem = calloc(*nblocks ? *nblocks : 1, d->block_bytes);
	CHECK(mem);
	size_t keep = *nblocks * d->block_bytes < len_bytes ? *nblocks * d->block_bytes : len_bytes;
	memcpy(mem, data, keep);
	return mem;
}

static uint64_t failing_lba(const struct sparse_disk *d, uint8_t which)
{
	if (which <= 1)
		return which;
	uint64_t back = which == 2 ? 0 : which - 3u;
	return back < d->nblocks ? d->nblocks - 1 - back : 0;
}

static void check_table(const struct sparse_disk *d, int err)
{
	CHECK(gpt.primary_defect < VBLK_GPT_DEFECT_COUNT);
	CHECK(gpt.backup_defect < VBLK_GPT_DEFECT_COUNT);
	if (err) {
		CHECK(err == -VBLK_ENOGPT || err == -VBLK_EBADGPT || (d->fail && err == -VBLK_EIO));
		CHECK(gpt.nparts == 0);
		CHECK(vblk_gpt_find_name(&gpt, "kernel") == NULL);
		return;
	}
	CHECK(gpt.block_bytes == d->block_bytes && gpt.nblocks == d->nblocks);
	CHECK(gpt.from_backup ? gpt.backup_defect == VBLK_GPT_SOUND
			      : gpt.primary_defect == VBLK_GPT_SOUND);
	CHECK(gpt.first_usable_lba >= 1 && gpt.first_usable_lba <= gpt.last_usable_lba);
	CHECK(gpt.last_usable_lba < d->nblocks);
	CHECK(gpt.nparts <= VBLK_GPT_MAX_PARTS);
	for (uint32_t i = 0; i < gpt.nparts; i++) {
		const struct vblk_gpt_part *p = &gpt.parts[i];
		CHECK(p->first_lba >= gpt.first_usable_lba && p->first_lba <= p->last_lba);
		CHECK(p->last_lba <= gpt.last_usable_lba);
		CHECK(i == 0 || p->entry_index > gpt.parts[i - 1].entry_index);
		CHECK(vblk_gpt_entry(&gpt, p->entry_index) == p);
		for (uint32_t j = 0; j < i; j++)
			CHECK(p->last_lba < gpt.parts[j].first_lba || p->first_lba > gpt.parts[j].last_lba);
	}
}

/* The lookups on whatever was read: each answer is one of the table's. */
static void exercise_lookups(const uint8_t *data, size_t size)
{
	char name[VBLK_GPT_NAME_UNITS + 2];
	size_t len = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, len);
	name[len] = '\0';
	const struct vblk_gpt_part *found = vblk_gpt_find_name(&gpt, name);
	CHECK(!found || (found >= gpt.parts && found < gpt.parts + gpt.nparts));
	for (uint32_t i = 0; i < gpt.nparts; i++) {
		char ascii[8];
		size_t units = vblk_gpt_name_ascii(&gpt.parts[i], ascii, sizeof(ascii));
		CHECK(units <= VBLK_GPT_NAME_UNITS && strlen(ascii) < sizeof(ascii));
		const struct vblk_gpt_part *typed = vblk_gpt_find_type(&gpt, &gpt.parts[i].type);
		CHECK(typed && typed <= &gpt.parts[i]);
	}
	CHECK(vblk_gpt_defect_name(gpt.primary_defect) && vblk_gpt_defect_name(gpt.backup_defect));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };
	uint8_t flags = take8(&in);
	struct sparse_disk d = { .block_bytes = flags & FLAG_4K ? 4096u : 512u };
	d.nblocks = take64(&in);
	if (d.nblocks == 0)
		d.nblocks = 1;
	size_t head_bytes = take16(&in);
	uint8_t which_fails = take8(&in);
	size_t left = in.pos < size ? size - in.pos : 0;
	if (head_bytes > left)
		head_bytes = left;

	d.head = blocks_from(&d, data + in.pos, head_bytes, &d.head_blocks);
	d.tail = blocks_from(&d, data + in.pos + head_bytes, left - head_bytes, &d.tail_blocks);
	if (flags & FLAG_FIX_PRIMARY)
		gpt_image_fix_crcs_at(block_of, &d, d.block_bytes, 1);
	if (flags & FLAG_FIX_BACKUP)
		gpt_image_fix_crcs_at(block_of, &d, d.block_bytes, d.nblocks - 1);
	d.fail = (flags & FLAG_FAIL_READ) != 0;
	d.fail_lba = failing_lba(&d, which_fails);

	int err = vblk_gpt_parse(&gpt, read_sparse, &d, d.block_bytes, d.nblocks);
	check_table(&d, err);
	exercise_lookups(data + in.pos, left);
	free(d.head);
	free(d.tail);
	return 0;
}
