/* SPDX-License-Identifier: MIT */
/*
 * Example application: the CRC-32 of every disk, read through the
 * synchronous API in 1 MiB steps. Build and run it with
 *
 *   make APP=examples/checksum.c run
 *
 * and compare with the host: python3 -c "import zlib,sys;
 * print('%08x' % zlib.crc32(open(sys.argv[1],'rb').read()))" build/disk.img
 */
#include <stdio.h>

#include "vblk/runtime.h"
#include "vblk/vblk.h"

#define CHUNK_SECTORS 2048u   /* 1 MiB */

static uint8_t chunk[CHUNK_SECTORS * VBLK_SECTOR_SIZE] VBLK_ALIGNED;

static uint32_t crc_table[256];

/* CRC-32 (IEEE 802.3, reflected, as zlib computes it): the table holds
 * each byte value's eight shift-and-xor steps done at once. */
static void crc32_init(void)
{
	for (uint32_t byte = 0; byte < 256; byte++) {
		uint32_t crc = byte;
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
		crc_table[byte] = crc;
	}
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *data, size_t len_bytes)
{
	crc = ~crc;
	for (size_t i = 0; i < len_bytes; i++)
		crc = (crc >> 8) ^ crc_table[(crc ^ data[i]) & 0xffu];
	return ~crc;
}

static int checksum_disk(unsigned index, struct vblk_disk *disk)
{
	uint64_t capacity = vblk_capacity(disk), start_us = rt_time_us(), read_us = 0;
	uint32_t crc = 0, block_bytes = vblk_disk_info(disk)->block_size_bytes;

	/* Reads are whole logical blocks (up to 2 MiB on QEMU). */
	if (block_bytes > sizeof(chunk)) {
		printf("disk %u: %u-byte blocks, larger than this example's %u-byte buffer: "
		       "skipped\n", index, (unsigned)block_bytes, (unsigned)sizeof(chunk));
		return 1;
	}
	/* QEMU sizes a disk by its image file, whole blocks or not. The
	 * sectors after the last whole block cannot be read on their own
	 * (-VBLK_EALIGN), so the sum is over the whole blocks, the disk
	 * Linux would show. */
	uint32_t block_sectors = block_bytes / VBLK_SECTOR_SIZE;
	if (capacity % block_sectors != 0) {
		printf("disk %u: its last %u sector(s) are not a whole %u-byte block: left out\n",
		       index, (unsigned)(capacity % block_sectors), (unsigned)block_bytes);
		capacity -= capacity % block_sectors;
	}

	for (uint64_t sector = 0; sector < capacity; sector += CHUNK_SECTORS) {
		uint32_t nsectors = capacity - sector < CHUNK_SECTORS ? (uint32_t)(capacity - sector)
								     : CHUNK_SECTORS;
		uint64_t before_us = rt_time_us();
		int err = vblk_read(disk, sector, chunk, nsectors);
		read_us += rt_time_us() - before_us;
		if (err) {
			printf("disk %u: read at sector %llu failed: %s\n", index,
			       (unsigned long long)sector, vblk_strerror(err));
			return 1;
		}
		crc = crc32_update(crc, chunk, (size_t)nsectors * VBLK_SECTOR_SIZE);
	}
	uint64_t elapsed_us = rt_time_us() - start_us;
	printf("disk %u: %llu bytes, crc32 %08x (%llu us, of which reading %llu us)\n", index,
	       (unsigned long long)capacity * VBLK_SECTOR_SIZE, (unsigned)crc,
	       (unsigned long long)elapsed_us, (unsigned long long)read_us);
	return 0;
}

int main(void)
{
	int ndisks = vblk_init_from_dt(rt_dtb(), rt_dtb_max_bytes());
	if (ndisks <= 0) {
		printf("no disk: %s\n", ndisks < 0 ? vblk_strerror(ndisks) : "none attached");
		return 1;
	}
	int failures = 0;
	crc32_init();
	for (int i = 0; i < ndisks; i++)
		failures += checksum_disk((unsigned)i, vblk_disk((unsigned)i));
	return failures ? 1 : 0;
}
