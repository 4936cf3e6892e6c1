/* SPDX-License-Identifier: MIT */
/*
 * The checks one block can settle: is LBA 0 a protective MBR, and is a
 * GPT header sound on its own (UEFI 2.10 §5.3.2). Nothing in the block is
 * trusted: every size is bounded before it is used, and every sum that
 * could wrap is written as a subtraction from a bound already checked.
 */
#include <string.h>

#include "part/crc32.h"
#include "part/gpt_format.h"

/* §5.2.3: the MBR's signature, and a record of OSType 0xEE starting at
 * LBA 1. Other records may be set as well (a "hybrid" MBR, which
 * partitioning tools write and firmware accepts). */
bool gpt_is_protective_mbr(const uint8_t *block)
{
	if (block[MBR_SIGNATURE_OFFSET] != MBR_SIGNATURE_0 ||
	    block[MBR_SIGNATURE_OFFSET + 1] != MBR_SIGNATURE_1)
		return false;
	for (unsigned i = 0; i < MBR_RECORD_COUNT; i++) {
		const uint8_t *record = block + MBR_RECORDS_OFFSET + i * MBR_RECORD_BYTES;
		if (record[MBR_RECORD_OS_TYPE] == MBR_OS_TYPE_GPT_PROTECTIVE &&
		    gpt_le32(record + MBR_RECORD_STARTING_LBA) == GPT_PRIMARY_LBA)
			return true;
	}
	return false;
}

/* §5.3.2: HeaderCRC32 covers HeaderSize bytes with the field itself
 * taken as zero; computed around it, so the block is not changed. */
static bool header_crc_matches(const uint8_t *block, uint32_t header_bytes)
{
	static const uint8_t zero_field[4];
	uint32_t running = crc32_update(CRC32_START, block, GPT_HDR_HEADER_CRC);

	running = crc32_update(running, zero_field, sizeof(zero_field));
	running = crc32_update(running, block + GPT_HDR_HEADER_CRC + 4,
			       header_bytes - GPT_HDR_HEADER_CRC - 4);
	return crc32_finish(running) == gpt_le32(block + GPT_HDR_HEADER_CRC);
}

static void decode_header(const uint8_t *block, struct gpt_header *hdr)
{
	hdr->my_lba = gpt_le64(block + GPT_HDR_MY_LBA);
	hdr->alternate_lba = gpt_le64(block + GPT_HDR_ALTERNATE_LBA);
	hdr->first_usable_lba = gpt_le64(block + GPT_HDR_FIRST_USABLE);
	hdr->last_usable_lba = gpt_le64(block + GPT_HDR_LAST_USABLE);
	memcpy(hdr->disk_guid.bytes, block + GPT_HDR_DISK_GUID, sizeof(hdr->disk_guid.bytes));
	hdr->array_lba = gpt_le64(block + GPT_HDR_ARRAY_LBA);
	hdr->num_entries = gpt_le32(block + GPT_HDR_NUM_ENTRIES);
	hdr->entry_bytes = gpt_le32(block + GPT_HDR_ENTRY_SIZE);
	hdr->array_crc = gpt_le32(block + GPT_HDR_ARRAY_CRC);
	hdr->array_bytes = 0;
}

static bool lba_in(uint64_t lba, uint64_t first, uint64_t last)
{
	return lba >= first && lba <= last;
}

/* The usable range (§5.3.2 FirstUsableLBA, LastUsableLBA): non-empty,
 * on the disk, and clear of the MBR and of both headers (§5.3.1). */
static bool usable_range_ok(const struct gpt_header *hdr, uint64_t nblocks)
{
	uint64_t first = hdr->first_usable_lba, last = hdr->last_usable_lba;

	return first >= 1 && first <= last && last < nblocks &&
	       !lba_in(hdr->my_lba, first, last) && !lba_in(hdr->alternate_lba, first, last);
}

/* §5.3.2 SizeOfPartitionEntry: 128 x 2^n, n >= 0. */
static bool entry_size_ok(uint32_t entry_bytes)
{
	return entry_bytes >= GPT_ENTRY_MIN_BYTES && (entry_bytes & (entry_bytes - 1)) == 0;
}

/* The array's blocks (§5.3.2 PartitionEntryLBA, §5.3.1): on the disk,
 * past the MBR, holding neither header, outside the usable range. */
static bool array_bounds_ok(const struct gpt_header *hdr, uint32_t block_bytes, uint64_t nblocks)
{
	uint64_t array_blocks = (hdr->array_bytes + block_bytes - 1) / block_bytes;
	uint64_t first = hdr->array_lba;

	if (first < 1 || first > nblocks || array_blocks > nblocks - first)
		return false;
	if (array_blocks == 0)
		return true;
	uint64_t last = first + array_blocks - 1;
	return !lba_in(hdr->my_lba, first, last) && !lba_in(hdr->alternate_lba, first, last) &&
	       (last < hdr->first_usable_lba || first > hdr->last_usable_lba);
}

enum vblk_gpt_defect gpt_check_header(const uint8_t *block, uint32_t block_bytes,
				      uint64_t nblocks, uint64_t lba, struct gpt_header *hdr)
{
	if (memcmp(block + GPT_HDR_SIGNATURE, GPT_SIGNATURE, GPT_SIGNATURE_BYTES) != 0)
		return VBLK_GPT_NO_SIGNATURE;
	uint32_t header_bytes = gpt_le32(block + GPT_HDR_HEADER_SIZE);
	if (header_bytes < GPT_HDR_MIN_BYTES || header_bytes > block_bytes)
		return VBLK_GPT_HEADER_SIZE;
	if (!header_crc_matches(block, header_bytes))
		return VBLK_GPT_HEADER_CRC;

	decode_header(block, hdr);
	if (hdr->my_lba != lba)
		return VBLK_GPT_MY_LBA;
	if (hdr->alternate_lba >= nblocks || hdr->alternate_lba == hdr->my_lba)
		return VBLK_GPT_ALTERNATE_LBA;
	if (!usable_range_ok(hdr, nblocks))
		return VBLK_GPT_USABLE_RANGE;
	if (!entry_size_ok(hdr->entry_bytes))
		return VBLK_GPT_ENTRY_SIZE;
	if (hdr->num_entries > VBLK_GPT_MAX_ARRAY_BYTES / hdr->entry_bytes)
		return VBLK_GPT_ARRAY_TOO_BIG;
	hdr->array_bytes = hdr->num_entries * hdr->entry_bytes;
	if (!array_bounds_ok(hdr, block_bytes, nblocks))
		return VBLK_GPT_ARRAY_BOUNDS;
	return VBLK_GPT_SOUND;
}
