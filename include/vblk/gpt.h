/* SPDX-License-Identifier: MIT */
/*
 * GUID partition tables (UEFI 2.10 §5.3) and partitions as bounded disks.
 *
 * A small part of libvblk.a above the disk API: it reads blocks only
 * through vblk_read (or, for vblk_gpt_parse, a reader the caller gives),
 * so the same parser runs on a disk, a byte buffer or a fuzzer's input.
 *
 *   static struct vblk_gpt gpt;          // ~34 KiB: keep it static
 *   struct vblk_part kernel;
 *   if (vblk_gpt_read_disk(disk, &gpt) == 0 &&
 *       vblk_part_open(&kernel, disk, &gpt, vblk_gpt_find_name(&gpt, "kernel")) == 0)
 *           err = vblk_part_read(&kernel, 0, buf, 8);  // its first 8 sectors
 *
 * Units: a GPT counts in logical blocks of the disk (LBAs of
 * vblk_info.block_size_bytes, 512 or 4096 bytes); a partition handle
 * counts in 512-byte sectors, as the rest of vblk does.
 *
 * Memory: nothing is allocated. struct vblk_gpt holds the decoded table
 * (up to VBLK_GPT_MAX_PARTS used entries) and the buffer the blocks are
 * read into; the caller owns it, one per disk it reads at a time.
 */
#ifndef VBLK_GPT_H
#define VBLK_GPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vblk/error.h"
#include "vblk/vblk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Used entries kept (the array itself may have more, unused, slots). */
#define VBLK_GPT_MAX_PARTS 128u
/* The largest partition entry array read (in chunks of the buffer, so
 * it costs reads, not memory): 8192 entries of 128 bytes, what
 * `sgdisk --resize-table` or sfdisk's table-length may well ask for. A
 * header claiming more is refused (VBLK_GPT_ARRAY_TOO_BIG). */
#define VBLK_GPT_MAX_ARRAY_BYTES (1024u * 1024u)
/* Logical block sizes a table may use (the buffer holds 4 of the largest). */
#define VBLK_GPT_MIN_BLOCK_BYTES 512u
#define VBLK_GPT_MAX_BLOCK_BYTES 4096u
#define VBLK_GPT_BUFFER_BYTES (4u * VBLK_GPT_MAX_BLOCK_BYTES)
/* UTF-16 code units in a partition name (§5.3.3, Table 5.7). */
#define VBLK_GPT_NAME_UNITS 36u

/* A GUID as the disk stores it (§5.3.3 / Appendix A: the first three
 * fields little-endian, the last eight bytes in order). */
struct vblk_guid {
	uint8_t bytes[16];
};

/* The GUID written as text "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE", from its
 * five fields as numbers: VBLK_GUID(0xC12A7328, 0xF81F, 0x11D2, 0xBA4B,
 * 0x00A0C93EC93B) is the EFI system partition's type. */
#define VBLK_GUID(a, b, c, d, e)                                                           \
	((struct vblk_guid){ { (uint8_t)(a), (uint8_t)((a) >> 8), (uint8_t)((a) >> 16),       \
			       (uint8_t)((a) >> 24), (uint8_t)(b), (uint8_t)((b) >> 8),       \
			       (uint8_t)(c), (uint8_t)((c) >> 8), (uint8_t)((d) >> 8),        \
			       (uint8_t)(d), (uint8_t)((e) >> 40), (uint8_t)((e) >> 32),      \
			       (uint8_t)((e) >> 24), (uint8_t)((e) >> 16), (uint8_t)((e) >> 8), \
			       (uint8_t)(e) } })
#define VBLK_GPT_TYPE_EFI_SYSTEM VBLK_GUID(0xC12A7328, 0xF81F, 0x11D2, 0xBA4B, 0x00A0C93EC93Bull)
#define VBLK_GPT_TYPE_LINUX_DATA VBLK_GUID(0x0FC63DAF, 0x8483, 0x4772, 0x8E79, 0x3D69D8477DE4ull)

/* Why one copy of the table was not used: the first check it failed, in
 * this order, but for one: more than VBLK_GPT_MAX_PARTS used entries is
 * found while the array is read, before its entries' ranges and overlaps
 * are checked (a sound CRC comes first all the same). */
enum vblk_gpt_defect {
	VBLK_GPT_SOUND = 0,       /* passed every check */
	VBLK_GPT_NOT_CHECKED,     /* not looked at (no protective MBR, say) */
	VBLK_GPT_READ_FAILED,     /* the reader returned an error */
	VBLK_GPT_NO_SIGNATURE,    /* not "EFI PART" (or no such block) */
	VBLK_GPT_HEADER_SIZE,     /* HeaderSize < 92 or > the block */
	VBLK_GPT_HEADER_CRC,      /* HeaderCRC32 wrong */
	VBLK_GPT_MY_LBA,          /* MyLBA is not where the header was read */
	VBLK_GPT_ALTERNATE_LBA,   /* AlternateLBA outside the disk or MyLBA itself */
	VBLK_GPT_USABLE_RANGE,    /* first > last usable, outside the disk, or
				     holding a header */
	VBLK_GPT_ENTRY_SIZE,      /* SizeOfPartitionEntry not 128 x 2^n */
	VBLK_GPT_ARRAY_TOO_BIG,   /* more than VBLK_GPT_MAX_ARRAY_BYTES */
	VBLK_GPT_ARRAY_BOUNDS,    /* the array leaves the disk or meets a header
				     or the usable range */
	VBLK_GPT_ARRAY_CRC,       /* PartitionEntryArrayCRC32 wrong */
	VBLK_GPT_PART_RANGE,      /* an entry's first > last, or outside the usable range */
	VBLK_GPT_PART_OVERLAP,    /* two entries share a block */
	VBLK_GPT_TOO_MANY_PARTS,  /* more than VBLK_GPT_MAX_PARTS used entries */
	VBLK_GPT_MISMATCH,        /* a sound backup that describes another table */
	VBLK_GPT_NOT_AT_END,      /* a backup that passed every check, but not at
				     the disk's last block (§5.3.1): a disk grown
				     since it was partitioned (sgdisk -e moves it) */
	VBLK_GPT_DEFECT_COUNT
};

/* One used partition entry (§5.3.3, Table 5.7), decoded. */
struct vblk_gpt_part {
	uint64_t first_lba, last_lba;     /* logical blocks, inclusive */
	struct vblk_guid type, unique;
	uint64_t attributes;
	uint16_t name[VBLK_GPT_NAME_UNITS]; /* UTF-16 code units, 0-padded */
	uint32_t entry_index;             /* its slot in the array (Linux's
					     partition number minus 1) */
};

/* A disk's table as read. The caller provides it; its contents mean
 * something only after a parse returned 0. */
struct vblk_gpt {
	uint32_t block_bytes;             /* logical block size */
	uint64_t nblocks;                 /* disk size in logical blocks */
	uint64_t first_usable_lba, last_usable_lba;
	struct vblk_guid disk_guid;
	bool from_backup;                 /* the primary was defective: read
					     from the backup at the last block */
	/* A sound primary's backup (at its AlternateLBA) is checked header
	 * to header against it and its array against its CRC, which, equal
	 * to the primary's, stands for its entries: any defect there is the
	 * caller's to repair (§5.3.2), the table read is the primary's. */
	enum vblk_gpt_defect primary_defect, backup_defect;
	uint32_t nparts;                  /* used entries, in array order: */
	struct vblk_gpt_part parts[VBLK_GPT_MAX_PARTS];
	/* The reader's destination (64-byte aligned for vblk_read). */
	uint8_t buffer[VBLK_GPT_BUFFER_BYTES] VBLK_ALIGNED;
};

/* Reads `nblocks` logical blocks from `lba` into `buf`; 0 or a negative
 * vblk error. The parser never asks for a block at or past the disk's end. */
typedef int vblk_gpt_read_fn(void *ctx, uint64_t lba, uint32_t nblocks, void *buf);

/* Read and check the table of a disk of `nblocks` blocks of `block_bytes`
 * (a power of 2 from 512 to 4096) through `read`: the protective MBR
 * (§5.2.3), the primary header at LBA 1 and its array, then, if the
 * primary fails any check, the backup header at the last block and its
 * array (§5.3.2). Returns 0 with `gpt` filled; -VBLK_ENOGPT without a
 * protective MBR; -VBLK_EBADGPT when neither copy is sound (their
 * defects say why); the reader's error if a read failed and no copy was
 * sound; -VBLK_EINVAL for a NULL argument or an unsupported block size. */
int vblk_gpt_parse(struct vblk_gpt *gpt, vblk_gpt_read_fn *read, void *ctx,
		   uint32_t block_bytes, uint64_t nblocks);

/* The same on a vblk disk, read with vblk_read (-VBLK_EUNSUPP for a
 * logical block larger than 4096 bytes). */
int vblk_gpt_read_disk(struct vblk_disk *disk, struct vblk_gpt *gpt);

/* The partition in slot `entry_index` of the array; NULL if unused or
 * beyond it. */
const struct vblk_gpt_part *vblk_gpt_entry(const struct vblk_gpt *gpt, uint32_t entry_index);

/* The first partition (in array order) whose name is `name`: ASCII,
 * compared unit for unit and case-sensitively, so a name holding a
 * character beyond ASCII matches no ASCII string. NULL if none, and for
 * "" (an unnamed partition is found by its slot or type instead). */
const struct vblk_gpt_part *vblk_gpt_find_name(const struct vblk_gpt *gpt, const char *name);

/* The first partition of type `type`; NULL if none. */
const struct vblk_gpt_part *vblk_gpt_find_type(const struct vblk_gpt *gpt,
					       const struct vblk_guid *type);

/* The name as ASCII into buf (len bytes with the NUL), each unit beyond
 * ASCII as '?'. Returns the name's length in units. */
size_t vblk_gpt_name_ascii(const struct vblk_gpt_part *part, char *buf, size_t len);

/* A short English description of a defect. */
const char *vblk_gpt_defect_name(enum vblk_gpt_defect defect);

/* A partition of a disk, as a smaller disk: sector 0 is its first. */
struct vblk_part {
	struct vblk_disk *disk;
	uint64_t first_sector;  /* on the disk, 512-byte sectors */
	uint64_t nsectors;
};

/* A handle for `entry` (from `gpt`, read from `disk`). -VBLK_EINVAL for a
 * NULL argument (so a failed find can be passed straight in), or for an
 * entry whose blocks the disk no longer holds. */
int vblk_part_open(struct vblk_part *part, struct vblk_disk *disk, const struct vblk_gpt *gpt,
		   const struct vblk_gpt_part *entry);

/* The disk sector of partition sector `sector`, for a run of `nsectors`
 * (for bios): -VBLK_ERANGE if the run leaves the partition or wraps. */
int vblk_part_disk_sector(const struct vblk_part *part, uint64_t sector, uint64_t nsectors,
			  uint64_t *disk_sector);

/* vblk_read and vblk_write within the partition: a range reaching past
 * its end is refused with -VBLK_ERANGE before the disk is touched. */
int vblk_part_read(const struct vblk_part *part, uint64_t sector, void *buf, uint32_t nsectors);
int vblk_part_write(const struct vblk_part *part, uint64_t sector, const void *buf,
		    uint32_t nsectors);

#ifdef __cplusplus
}
#endif

#endif
