/* SPDX-License-Identifier: MIT */
/* Hand-made GUID partition tables: see gpt_image.h. */
#include "gpt_image.h"

#include <stdbool.h>
#include <string.h>

#define MBR_RECORD0 446u
#define DEFAULT_ENTRIES 128u
#define DEFAULT_ENTRY_BYTES 128u

void gpt_image_put32(uint8_t *at, uint32_t value)
{
	for (unsigned i = 0; i < 4; i++)
		at[i] = (uint8_t)(value >> (8 * i));
}

void gpt_image_put64(uint8_t *at, uint64_t value)
{
	gpt_image_put32(at, (uint32_t)value);
	gpt_image_put32(at + 4, (uint32_t)(value >> 32));
}

static uint32_t get32(const uint8_t *at)
{
	return (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 |
	       (uint32_t)at[3] << 24;
}

static uint64_t get64(const uint8_t *at)
{
	return get32(at) | (uint64_t)get32(at + 4) << 32;
}

/* A byte at a time through a 256-entry table built bit by bit on first
 * use (the library goes 4 bits at a time from a fixed table). */
static uint32_t crc_update(uint32_t running, const uint8_t *data, uint64_t len_bytes)
{
	static uint32_t table[256];
	static bool built;

	if (!built) {
		for (uint32_t byte = 0; byte < 256; byte++) {
			uint32_t crc = byte;
			for (unsigned bit = 0; bit < 8; bit++)
				crc = (crc >> 1) ^ (crc & 1u ? 0xedb88320u : 0u);
			table[byte] = crc;
		}
		built = true;
	}
	for (uint64_t i = 0; i < len_bytes; i++)
		running = (running >> 8) ^ table[(running ^ data[i]) & 0xffu];
	return running;
}

uint32_t gpt_image_crc32(const uint8_t *data, uint64_t len_bytes)
{
	return ~crc_update(~0u, data, len_bytes);
}

static uint32_t entries_of(const struct gpt_image_layout *layout)
{
	return layout->num_entries ? layout->num_entries : DEFAULT_ENTRIES;
}

static uint32_t entry_bytes_of(const struct gpt_image_layout *layout)
{
	return layout->entry_bytes ? layout->entry_bytes : DEFAULT_ENTRY_BYTES;
}

uint64_t gpt_image_array_blocks(const struct gpt_image_layout *layout)
{
	uint64_t bytes = (uint64_t)entries_of(layout) * entry_bytes_of(layout);
	return (bytes + layout->block_bytes - 1) / layout->block_bytes;
}

static void write_mbr(uint8_t *block, uint64_t nblocks)
{
	uint8_t *record = block + MBR_RECORD0;
	record[4] = 0xee;                     /* OSType: GPT protective */
	gpt_image_put32(record + 8, 1);       /* StartingLBA */
	gpt_image_put32(record + 12, nblocks - 1 > 0xffffffffu ? 0xffffffffu
							       : (uint32_t)(nblocks - 1));
	block[510] = 0x55;
	block[511] = 0xaa;
}

static void write_entry(uint8_t *entry, const struct gpt_image_part *part)
{
	memcpy(entry, part->type.bytes, sizeof(part->type.bytes));
	for (unsigned i = 0; i < 16; i++)    /* a unique GUID of its own */
		entry[16 + i] = (uint8_t)(0xa0 + part->entry_index + i);
	gpt_image_put64(entry + GPT_IMAGE_ENTRY_FIRST, part->first_lba);
	gpt_image_put64(entry + GPT_IMAGE_ENTRY_LAST, part->last_lba);
	for (unsigned i = 0; part->name && part->name[i] && i < VBLK_GPT_NAME_UNITS; i++)
		entry[GPT_IMAGE_ENTRY_NAME + 2 * i] = (uint8_t)part->name[i];
}

static void write_header(uint8_t *header, const struct gpt_image_layout *layout,
			 uint64_t my_lba, uint64_t alternate_lba, uint64_t array_lba)
{
	uint64_t array_blocks = gpt_image_array_blocks(layout);

	memcpy(header, "EFI PART", 8);
	gpt_image_put32(header + 8, 0x00010000u);
	gpt_image_put32(header + GPT_IMAGE_HEADER_SIZE, 92);
	gpt_image_put64(header + GPT_IMAGE_MY_LBA, my_lba);
	gpt_image_put64(header + GPT_IMAGE_ALTERNATE_LBA, alternate_lba);
	gpt_image_put64(header + GPT_IMAGE_FIRST_USABLE, 2 + array_blocks);
	gpt_image_put64(header + GPT_IMAGE_LAST_USABLE, layout->nblocks - 2 - array_blocks);
	for (unsigned i = 0; i < 16; i++)
		header[GPT_IMAGE_DISK_GUID + i] = (uint8_t)(0x10 + i);
	gpt_image_put64(header + GPT_IMAGE_ARRAY_LBA, array_lba);
	gpt_image_put32(header + GPT_IMAGE_NUM_ENTRIES, entries_of(layout));
	gpt_image_put32(header + GPT_IMAGE_ENTRY_SIZE, entry_bytes_of(layout));
}

void gpt_image_build(uint8_t *disk, const struct gpt_image_layout *layout,
		     const struct gpt_image_part *parts, unsigned nparts)
{
	uint32_t block = layout->block_bytes;
	uint64_t last = layout->nblocks - 1;
	uint64_t array_blocks = gpt_image_array_blocks(layout);
	uint64_t backup_array = last - array_blocks;

	write_mbr(disk, layout->nblocks);
	for (unsigned i = 0; i < nparts; i++) {
		uint64_t offset = (uint64_t)parts[i].entry_index * entry_bytes_of(layout);
		write_entry(disk + 2 * block + offset, &parts[i]);
		write_entry(disk + backup_array * block + offset, &parts[i]);
	}
	write_header(disk + block, layout, 1, last, 2);
	write_header(disk + last * block, layout, last, 1, backup_array);
	gpt_image_fix_crcs(disk, layout, 1);
	gpt_image_fix_crcs(disk, layout, last);
}

/* The CRC of `len_bytes` of blocks from `lba`, unheld blocks as zeros. */
static uint32_t blocks_crc(gpt_image_block_fn *block, void *ctx, uint32_t block_bytes,
			   uint64_t lba, uint64_t len_bytes)
{
	static const uint8_t zeros[VBLK_GPT_MAX_BLOCK_BYTES];
	uint32_t running = ~0u;

	for (; len_bytes > 0; lba++) {
		uint64_t take = len_bytes < block_bytes ? len_bytes : block_bytes;
		const uint8_t *data = block(ctx, lba);
		running = crc_update(running, data ? data : zeros, take);
		len_bytes -= take;
	}
	return ~running;
}

void gpt_image_fix_crcs_at(gpt_image_block_fn *block, void *ctx, uint32_t block_bytes,
			   uint64_t header_lba)
{
	uint8_t *header = block(ctx, header_lba);
	if (!header)
		return;
	uint64_t array_bytes = (uint64_t)get32(header + GPT_IMAGE_NUM_ENTRIES) *
			       get32(header + GPT_IMAGE_ENTRY_SIZE);
	if (array_bytes <= VBLK_GPT_MAX_ARRAY_BYTES)
		gpt_image_put32(header + GPT_IMAGE_ARRAY_CRC,
				blocks_crc(block, ctx, block_bytes,
					   get64(header + GPT_IMAGE_ARRAY_LBA), array_bytes));
	uint32_t header_bytes = get32(header + GPT_IMAGE_HEADER_SIZE);
	if (header_bytes < GPT_IMAGE_HEADER_CRC + 4 || header_bytes > block_bytes)
		return;
	gpt_image_put32(header + GPT_IMAGE_HEADER_CRC, 0);
	gpt_image_put32(header + GPT_IMAGE_HEADER_CRC, gpt_image_crc32(header, header_bytes));
}

struct flat_disk {
	uint8_t *mem;
	const struct gpt_image_layout *layout;
};

static uint8_t *flat_block(void *ctx, uint64_t lba)
{
	struct flat_disk *flat = ctx;
	if (lba >= flat->layout->nblocks)
		return NULL;
	return flat->mem + lba * flat->layout->block_bytes;
}

void gpt_image_fix_crcs(uint8_t *disk, const struct gpt_image_layout *layout,
			uint64_t header_lba)
{
	struct flat_disk flat = { .mem = disk, .layout = layout };
	gpt_image_fix_crcs_at(flat_block, &flat, layout->block_bytes, header_lba);
}
