/* SPDX-License-Identifier: MIT */
/*
 * Reading a partition into RAM with the asynchronous API: bios of up to
 * LOAD_BIO_BYTES, LOAD_IN_FLIGHT of them queued at once, each refilled as
 * soon as the oldest completes, so the device always has work while we
 * wait. The destination is the kernel's or initrd's final place (64-byte
 * aligned at least: the plan aligns to 4 KiB), so nothing is copied.
 */
#include <stddef.h>

#include "vblk/bio.h"
#include "vblk/error.h"
#include "bootloader.h"

#define LOAD_BIO_BYTES  (1u * MIB)
#define LOAD_IN_FLIGHT  8u

static struct vblk_bio bios[LOAD_IN_FLIGHT];
static struct vblk_seg segs[LOAD_IN_FLIGHT];

uint64_t part_bytes(const struct vblk_part *part)
{
	return part->nsectors * VBLK_SECTOR_SIZE;
}

uint64_t load_span(const struct vblk_part *part, uint64_t bytes)
{
	uint64_t block = vblk_disk_info(part->disk)->block_size_bytes;

	return (bytes + block - 1) / block * block;
}

/* The bio size: LOAD_BIO_BYTES, or what the disk takes, whole blocks. */
static uint32_t bio_bytes(struct vblk_disk *disk)
{
	uint32_t block = vblk_disk_info(disk)->block_size_bytes;
	uint32_t max = vblk_max_bio_bytes(disk);

	if (max > LOAD_BIO_BYTES)
		max = LOAD_BIO_BYTES;
	return max / block * block;
}

/* Queue the bio in `slot` for the chunk of [offset, span) that starts at offset. */
static int submit_chunk(const struct vblk_part *part, unsigned slot, uint8_t *dest,
			uint64_t offset, uint64_t span, uint32_t chunk)
{
	uint64_t len = span - offset < chunk ? span - offset : chunk;
	uint64_t disk_sector;
	int err = vblk_part_disk_sector(part, offset / VBLK_SECTOR_SIZE,
					len / VBLK_SECTOR_SIZE, &disk_sector);

	if (err)
		return err;
	segs[slot] = (struct vblk_seg){ dest + offset, (uint32_t)len };
	bios[slot] = (struct vblk_bio){ .op = VBLK_OP_READ, .sector = disk_sector,
					.segs = &segs[slot], .nsegs = 1 };
	return vblk_submit(part->disk, &bios[slot]);
}

int load_partition(const struct vblk_part *part, void *dest, uint64_t bytes)
{
	uint64_t span = load_span(part, bytes), offset = 0;
	uint32_t chunk = bio_bytes(part->disk);
	unsigned queued = 0, oldest = 0;
	int err = 0;

	if (span > part_bytes(part) || chunk == 0)
		return -VBLK_ERANGE;
	/* A ring: slot (oldest + i) % LOAD_IN_FLIGHT for the i-th in flight. */
	while (offset < span || queued != 0) {
		while (err == 0 && offset < span && queued < LOAD_IN_FLIGHT) {
			unsigned slot = (oldest + queued) % LOAD_IN_FLIGHT;

			err = submit_chunk(part, slot, dest, offset, span, chunk);
			if (err == 0) {
				offset += segs[slot].len_bytes;
				queued++;
			}
		}
		if (queued == 0)
			break;
		struct vblk_bio *bio = &bios[oldest];
		int wait_err = vblk_wait_bios(part->disk, &bio, 1);
		if (err == 0)
			err = wait_err;
		oldest = (oldest + 1) % LOAD_IN_FLIGHT;
		queued--;
		if (err)
			offset = span;   /* stop queueing; drain what is in flight */
	}
	return err;
}
