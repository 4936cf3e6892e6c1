/* SPDX-License-Identifier: MIT */
/*
 * The driver's own cost of one synchronous vblk_read of 4 KiB, in
 * instructions (host build), against the fake virtio device (tests/host/)
 * completing at once.
 *
 * tools/ring-cost.sh runs it under callgrind, collecting inside vblk_read
 * and counting only the driver's files, as for bench/bio_cost.c. A host
 * measuring harness (it includes the fake device's header), not an
 * application.
 */
#include "bench/fake_disk.h"

#define READS         10000u
#define READ_SECTORS  8u
#define DISK_SECTORS  (64u * 1024)

static uint8_t buf[READ_SECTORS * VBLK_SECTOR_SIZE] VBLK_ALIGNED;

int main(void)
{
	struct vblk_disk *disk = fake_disk_attach(2, DISK_SECTORS, NULL);

	for (unsigned i = 0; i < READS; i++) {
		uint64_t sector = (uint64_t)(i * 7919u) % (DISK_SECTORS / READ_SECTORS) * READ_SECTORS;
		if (vblk_read(disk, sector, buf, READ_SECTORS) != 0) {
			fprintf(stderr, "read_cost: read %u failed\n", i);
			return 1;
		}
	}
	printf("%u reads\n", READS);
	return 0;
}
