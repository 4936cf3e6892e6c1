/* SPDX-License-Identifier: MIT */
/*
 * The on-disk layout of a GUID partition table (UEFI 2.10 §5.2, §5.3):
 * field offsets, and the header as part/ decodes it. Every multi-byte
 * field on the disk is little-endian and read byte by byte, so the
 * buffer may sit at any address.
 */
#ifndef VBLK_PART_GPT_FORMAT_H
#define VBLK_PART_GPT_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#include "vblk/gpt.h"

/* Legacy MBR (§5.2.1) and its protective form (§5.2.3), in LBA 0. */
#define MBR_RECORDS_OFFSET     446u
#define MBR_RECORD_BYTES        16u
#define MBR_RECORD_COUNT         4u
#define MBR_RECORD_OS_TYPE       4u
#define MBR_RECORD_STARTING_LBA  8u
#define MBR_SIGNATURE_OFFSET   510u
#define MBR_SIGNATURE_0       0x55u
#define MBR_SIGNATURE_1       0xaau
#define MBR_OS_TYPE_GPT_PROTECTIVE 0xeeu

/* GPT header (§5.3.2). */
#define GPT_HDR_SIGNATURE        0u   /* "EFI PART" */
#define GPT_HDR_REVISION         8u
#define GPT_HDR_HEADER_SIZE     12u
#define GPT_HDR_HEADER_CRC      16u
#define GPT_HDR_MY_LBA          24u
#define GPT_HDR_ALTERNATE_LBA   32u
#define GPT_HDR_FIRST_USABLE    40u
#define GPT_HDR_LAST_USABLE     48u
#define GPT_HDR_DISK_GUID       56u
#define GPT_HDR_ARRAY_LBA       72u
#define GPT_HDR_NUM_ENTRIES     80u
#define GPT_HDR_ENTRY_SIZE      84u
#define GPT_HDR_ARRAY_CRC       88u
#define GPT_HDR_MIN_BYTES       92u   /* the fields above; HeaderSize >= it */
#define GPT_SIGNATURE "EFI PART"
#define GPT_SIGNATURE_BYTES      8u
#define GPT_PRIMARY_LBA          1u   /* §5.3.1: the primary header's block */

/* GPT partition entry (§5.3.3); only these 128 bytes of an entry are read. */
#define GPT_ENTRY_TYPE_GUID      0u
#define GPT_ENTRY_UNIQUE_GUID   16u
#define GPT_ENTRY_STARTING_LBA  32u
#define GPT_ENTRY_ENDING_LBA    40u
#define GPT_ENTRY_ATTRIBUTES    48u
#define GPT_ENTRY_NAME          56u
#define GPT_ENTRY_MIN_BYTES    128u   /* SizeOfPartitionEntry is 128 x 2^n */

/* A header that passed gpt_check_header, decoded. */
struct gpt_header {
	uint64_t my_lba, alternate_lba;
	uint64_t first_usable_lba, last_usable_lba;
	uint64_t array_lba;
	uint32_t num_entries, entry_bytes, array_crc;
	uint32_t array_bytes;      /* num_entries x entry_bytes, bounded */
	struct vblk_guid disk_guid;
};

static inline uint16_t gpt_le16(const uint8_t *at)
{
	return (uint16_t)(at[0] | at[1] << 8);
}

static inline uint32_t gpt_le32(const uint8_t *at)
{
	return (uint32_t)gpt_le16(at) | (uint32_t)gpt_le16(at + 2) << 16;
}

static inline uint64_t gpt_le64(const uint8_t *at)
{
	return (uint64_t)gpt_le32(at) | (uint64_t)gpt_le32(at + 4) << 32;
}

/* LBA 0 holds a protective MBR (§5.2.3). */
bool gpt_is_protective_mbr(const uint8_t *block);

/* Check the header in `block`, read from `lba` of a disk of `nblocks`
 * blocks of `block_bytes`, against every rule of §5.3.2 that needs no
 * other block; decode it into `hdr` when it passes. */
enum vblk_gpt_defect gpt_check_header(const uint8_t *block, uint32_t block_bytes,
				      uint64_t nblocks, uint64_t lba, struct gpt_header *hdr);

#endif
