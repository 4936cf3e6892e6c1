/* SPDX-License-Identifier: MIT */
/*
 * The GPT reader bound to a vblk disk, and partitions as bounded disks:
 * every read or write through a partition handle is checked against the
 * partition's end before the disk sees it, so no write leaves it.
 */
#include "vblk/gpt.h"

/* A GPT logical block, as the disk's 512-byte sectors. */
struct disk_reader {
	struct vblk_disk *disk;
	uint32_t sectors_per_block;
};

static int read_disk_blocks(void *ctx, uint64_t lba, uint32_t nblocks, void *buf)
{
	const struct disk_reader *reader = ctx;
	return vblk_read(reader->disk, lba * reader->sectors_per_block, buf,
			 nblocks * reader->sectors_per_block);
}

int vblk_gpt_read_disk(struct vblk_disk *disk, struct vblk_gpt *gpt)
{
	const struct vblk_info *info = vblk_disk_info(disk);
	if (!info || !gpt)
		return -VBLK_EINVAL;
	if (info->block_size_bytes > VBLK_GPT_MAX_BLOCK_BYTES)
		return -VBLK_EUNSUPP;

	struct disk_reader reader = {
		.disk = disk,
		.sectors_per_block = info->block_size_bytes / VBLK_SECTOR_SIZE,
	};
	return vblk_gpt_parse(gpt, read_disk_blocks, &reader, info->block_size_bytes,
			      info->capacity_sectors / reader.sectors_per_block);
}

int vblk_part_open(struct vblk_part *part, struct vblk_disk *disk, const struct vblk_gpt *gpt,
		   const struct vblk_gpt_part *entry)
{
	if (!part || !disk || !gpt || !entry || gpt->block_bytes < VBLK_SECTOR_SIZE)
		return -VBLK_EINVAL;
	uint64_t sectors_per_block = gpt->block_bytes / VBLK_SECTOR_SIZE;
	uint64_t disk_blocks = vblk_capacity(disk) / sectors_per_block;
	/* A parsed entry lies inside the table's disk; the disk may have
	 * shrunk since, or the entry come from another table. */
	if (entry->first_lba > entry->last_lba || entry->last_lba >= disk_blocks)
		return -VBLK_EINVAL;

	part->disk = disk;
	part->first_sector = entry->first_lba * sectors_per_block;
	part->nsectors = (entry->last_lba - entry->first_lba + 1) * sectors_per_block;
	return 0;
}

int vblk_part_disk_sector(const struct vblk_part *part, uint64_t sector, uint64_t nsectors,
			  uint64_t *disk_sector)
{
	if (!part || !disk_sector)
		return -VBLK_EINVAL;
	/* Written as subtractions from bounds already checked: no sum can wrap. */
	if (sector > part->nsectors || nsectors > part->nsectors - sector)
		return -VBLK_ERANGE;
	*disk_sector = part->first_sector + sector;
	return 0;
}

int vblk_part_read(const struct vblk_part *part, uint64_t sector, void *buf, uint32_t nsectors)
{
	uint64_t disk_sector;
	int err = vblk_part_disk_sector(part, sector, nsectors, &disk_sector);
	return err ? err : vblk_read(part->disk, disk_sector, buf, nsectors);
}

int vblk_part_write(const struct vblk_part *part, uint64_t sector, const void *buf,
		    uint32_t nsectors)
{
	uint64_t disk_sector;
	int err = vblk_part_disk_sector(part, sector, nsectors, &disk_sector);
	return err ? err : vblk_write(part->disk, disk_sector, buf, nsectors);
}
