/* SPDX-License-Identifier: MIT */
/*
 * Reading a GUID partition table (UEFI 2.10 §5.3): the protective MBR,
 * then the primary copy (header at LBA 1 and its entry array), and the
 * backup copy at the disk's last block when the primary fails a check
 * (§5.3.2: "If the primary GPT is corrupt, software must check the last
 * LBA of the device"). A copy is used only if its header, its array's
 * CRC and every used entry pass; the array is read through the caller's
 * buffer in chunks, its CRC and its entries taken as they go past.
 */
#include <string.h>

#include "part/crc32.h"
#include "part/gpt_format.h"

/* Where blocks come from, and the first error the reader gave. */
struct gpt_source {
	vblk_gpt_read_fn *read;
	void *ctx;
	int read_error;
};

static int read_blocks(struct vblk_gpt *gpt, struct gpt_source *src, uint64_t lba,
		       uint32_t nblocks)
{
	int err = src->read(src->ctx, lba, nblocks, gpt->buffer);
	if (err && !src->read_error)
		src->read_error = err < 0 ? err : -VBLK_EIO;
	return err;
}

static bool guid_is_zero(const uint8_t *guid)
{
	for (unsigned i = 0; i < sizeof(struct vblk_guid); i++)
		if (guid[i])
			return false;
	return true;
}

/* §5.3.3: an entry whose type GUID is zero is unused. */
static enum vblk_gpt_defect take_entry(struct vblk_gpt *gpt, const uint8_t *entry,
				       uint32_t entry_index)
{
	if (guid_is_zero(entry + GPT_ENTRY_TYPE_GUID))
		return VBLK_GPT_SOUND;
	if (gpt->nparts == VBLK_GPT_MAX_PARTS)
		return VBLK_GPT_TOO_MANY_PARTS;

	struct vblk_gpt_part *part = &gpt->parts[gpt->nparts++];
	memcpy(part->type.bytes, entry + GPT_ENTRY_TYPE_GUID, sizeof(part->type.bytes));
	memcpy(part->unique.bytes, entry + GPT_ENTRY_UNIQUE_GUID, sizeof(part->unique.bytes));
	part->first_lba = gpt_le64(entry + GPT_ENTRY_STARTING_LBA);
	part->last_lba = gpt_le64(entry + GPT_ENTRY_ENDING_LBA);
	part->attributes = gpt_le64(entry + GPT_ENTRY_ATTRIBUTES);
	for (unsigned i = 0; i < VBLK_GPT_NAME_UNITS; i++)
		part->name[i] = gpt_le16(entry + GPT_ENTRY_NAME + 2 * i);
	part->entry_index = entry_index;
	return VBLK_GPT_SOUND;
}

/* The entries that start in the chunk of the array at byte `offset`.
 * Entries are 128 x 2^n bytes and chunks whole blocks (512 x 2^m), so an
 * entry's first 128 bytes never straddle two chunks. */
static enum vblk_gpt_defect take_chunk_entries(struct vblk_gpt *gpt, const struct gpt_header *hdr,
					       uint32_t offset, uint32_t chunk_bytes)
{
	uint32_t index = (offset + hdr->entry_bytes - 1) / hdr->entry_bytes;

	for (; index < hdr->num_entries && index * hdr->entry_bytes - offset < chunk_bytes; index++) {
		const uint8_t *entry = gpt->buffer + (index * hdr->entry_bytes - offset);
		enum vblk_gpt_defect defect = take_entry(gpt, entry, index);
		if (defect)
			return defect;
	}
	return VBLK_GPT_SOUND;
}

/* Read the array chunk by chunk: its CRC (§5.3.2 PartitionEntryArrayCRC32,
 * over NumberOfPartitionEntries x SizeOfPartitionEntry bytes) and, when
 * `take` is set, its used entries into gpt->parts. */
static enum vblk_gpt_defect read_array(struct vblk_gpt *gpt, struct gpt_source *src,
				       const struct gpt_header *hdr, bool take)
{
	uint32_t chunk_max_blocks = VBLK_GPT_BUFFER_BYTES / gpt->block_bytes;
	uint32_t running = CRC32_START;
	uint64_t lba = hdr->array_lba;
	/* An entry's defect counts only once the CRC says the array is the
	 * one the header describes: a corrupted array is ARRAY_CRC. */
	enum vblk_gpt_defect entry_defect = VBLK_GPT_SOUND;

	for (uint32_t offset = 0; offset < hdr->array_bytes;) {
		uint32_t left_bytes = hdr->array_bytes - offset;
		uint32_t left_blocks = (left_bytes + gpt->block_bytes - 1) / gpt->block_bytes;
		uint32_t nblocks = left_blocks < chunk_max_blocks ? left_blocks : chunk_max_blocks;
		uint32_t chunk_bytes = nblocks * gpt->block_bytes;

		if (read_blocks(gpt, src, lba, nblocks))
			return VBLK_GPT_READ_FAILED;
		if (chunk_bytes > left_bytes)
			chunk_bytes = left_bytes;
		running = crc32_update(running, gpt->buffer, chunk_bytes);
		if (take && !entry_defect)
			entry_defect = take_chunk_entries(gpt, hdr, offset, chunk_bytes);
		offset += nblocks * gpt->block_bytes;
		lba += nblocks;
	}
	return crc32_finish(running) == hdr->array_crc ? entry_defect : VBLK_GPT_ARRAY_CRC;
}

/* §5.3.3: StartingLBA <= EndingLBA, both inside the usable range; and
 * §5.3.1: no two partitions overlap. */
static enum vblk_gpt_defect check_entries(const struct vblk_gpt *gpt)
{
	for (uint32_t i = 0; i < gpt->nparts; i++) {
		const struct vblk_gpt_part *part = &gpt->parts[i];
		if (part->first_lba > part->last_lba || part->first_lba < gpt->first_usable_lba ||
		    part->last_lba > gpt->last_usable_lba)
			return VBLK_GPT_PART_RANGE;
	}
	for (uint32_t i = 0; i < gpt->nparts; i++)
		for (uint32_t j = i + 1; j < gpt->nparts; j++)
			if (gpt->parts[i].first_lba <= gpt->parts[j].last_lba &&
			    gpt->parts[j].first_lba <= gpt->parts[i].last_lba)
				return VBLK_GPT_PART_OVERLAP;
	return VBLK_GPT_SOUND;
}

/* Read and check the header at `lba` alone (gpt->buffer then holds it).
 * A disk of one block has no LBA 1, so no primary header to read. */
static enum vblk_gpt_defect read_header(struct vblk_gpt *gpt, struct gpt_source *src,
					uint64_t lba, struct gpt_header *hdr)
{
	if (lba >= gpt->nblocks)
		return VBLK_GPT_NO_SIGNATURE;
	if (read_blocks(gpt, src, lba, 1))
		return VBLK_GPT_READ_FAILED;
	return gpt_check_header(gpt->buffer, gpt->block_bytes, gpt->nblocks, lba, hdr);
}

/* One whole copy, header at `lba`, into gpt (its table fields). */
static enum vblk_gpt_defect read_copy(struct vblk_gpt *gpt, struct gpt_source *src, uint64_t lba,
				      struct gpt_header *hdr)
{
	enum vblk_gpt_defect defect = read_header(gpt, src, lba, hdr);
	if (defect)
		return defect;
	gpt->first_usable_lba = hdr->first_usable_lba;
	gpt->last_usable_lba = hdr->last_usable_lba;
	gpt->disk_guid = hdr->disk_guid;
	gpt->nparts = 0;
	defect = read_array(gpt, src, hdr, true);
	if (!defect)
		defect = check_entries(gpt);
	return defect;
}

/* While the primary is sound, its backup (at the primary's AlternateLBA)
 * is checked header to header: it must point back at the primary and
 * describe the same table; then its own array is read for its CRC
 * (§5.3.2: a backup whose array is corrupt is invalid and must be
 * restored), which, equal to the primary's, stands for its entries.
 * Last, where it is: §5.3.1 puts it at the disk's last block, where a
 * reader whose primary is damaged looks for it. */
static enum vblk_gpt_defect compare_backup(struct vblk_gpt *gpt, struct gpt_source *src,
					   const struct gpt_header *primary)
{
	struct gpt_header backup;
	enum vblk_gpt_defect defect = read_header(gpt, src, primary->alternate_lba, &backup);
	if (defect)
		return defect;
	if (backup.alternate_lba != primary->my_lba ||
	    backup.first_usable_lba != primary->first_usable_lba ||
	    backup.last_usable_lba != primary->last_usable_lba ||
	    memcmp(&backup.disk_guid, &primary->disk_guid, sizeof(backup.disk_guid)) != 0 ||
	    backup.num_entries != primary->num_entries ||
	    backup.entry_bytes != primary->entry_bytes || backup.array_crc != primary->array_crc)
		return VBLK_GPT_MISMATCH;
	defect = read_array(gpt, src, &backup, false);
	if (!defect && primary->alternate_lba != gpt->nblocks - 1)
		defect = VBLK_GPT_NOT_AT_END;
	return defect;
}

static bool block_size_supported(uint32_t block_bytes)
{
	return block_bytes >= VBLK_GPT_MIN_BLOCK_BYTES && block_bytes <= VBLK_GPT_MAX_BLOCK_BYTES &&
	       (block_bytes & (block_bytes - 1)) == 0;
}

static void start_table(struct vblk_gpt *gpt, uint32_t block_bytes, uint64_t nblocks)
{
	gpt->block_bytes = block_bytes;
	gpt->nblocks = nblocks;
	gpt->first_usable_lba = gpt->last_usable_lba = 0;
	memset(&gpt->disk_guid, 0, sizeof(gpt->disk_guid));
	gpt->from_backup = false;
	gpt->primary_defect = gpt->backup_defect = VBLK_GPT_NOT_CHECKED;
	gpt->nparts = 0;
}

int vblk_gpt_parse(struct vblk_gpt *gpt, vblk_gpt_read_fn *read, void *ctx, uint32_t block_bytes,
		   uint64_t nblocks)
{
	if (!gpt || !read || !block_size_supported(block_bytes))
		return -VBLK_EINVAL;
	start_table(gpt, block_bytes, nblocks);
	if (nblocks == 0)
		return -VBLK_ENOGPT;

	struct gpt_source src = { .read = read, .ctx = ctx, .read_error = 0 };
	if (read_blocks(gpt, &src, 0, 1))
		return src.read_error;
	if (!gpt_is_protective_mbr(gpt->buffer))
		return -VBLK_ENOGPT;

	struct gpt_header hdr;
	gpt->primary_defect = read_copy(gpt, &src, GPT_PRIMARY_LBA, &hdr);
	if (!gpt->primary_defect) {
		gpt->backup_defect = compare_backup(gpt, &src, &hdr);
		return 0;
	}
	gpt->backup_defect = read_copy(gpt, &src, nblocks - 1, &hdr);
	if (!gpt->backup_defect) {
		gpt->from_backup = true;
		return 0;
	}
	/* Neither copy: no table, but both defects stay to say why. */
	enum vblk_gpt_defect primary = gpt->primary_defect, backup = gpt->backup_defect;
	start_table(gpt, block_bytes, nblocks);
	gpt->primary_defect = primary;
	gpt->backup_defect = backup;
	return src.read_error ? src.read_error : -VBLK_EBADGPT;
}
