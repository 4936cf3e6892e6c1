/* SPDX-License-Identifier: MIT */
/*
 * The driver's own cost of one synchronous vblk_read of 4 KiB, in
 * instructions (host build), against the fake virtio device (tests/host/).
 *
 *   read_cost       polled: the device completes each request at once,
 *                   and blk_sync_run's own polling takes it
 *   read_cost irq   interrupts on: each read goes through the general
 *                   wait (blk/wait.c); the device completes the request
 *                   at the wait's first look, and its "interrupt" runs
 *                   vblk_irq_handler there
 *
 * tools/ring-cost.sh runs it both ways under callgrind, collecting inside
 * vblk_read and counting only the driver's files, as for
 * bench/bio_cost.c. A host measuring harness (it includes the fake
 * device's header), not an application.
 */
#include <string.h>

#include "bench/fake_disk.h"

#define READS         10000u
#define READ_SECTORS  8u
#define DISK_SECTORS  (64u * 1024)

static uint8_t buf[READ_SECTORS * VBLK_SECTOR_SIZE] VBLK_ALIGNED;

static void take_interrupt(struct fake_virtio *device, void *disk)
{
	(void)device;
	vblk_irq_handler(disk);
}

int main(int argc, char **argv)
{
	bool interrupts = argc > 1 && strcmp(argv[1], "irq") == 0;
	struct fake_virtio *fv;
	struct vblk_disk *disk = fake_disk_attach(2, DISK_SECTORS, &fv);

	if (interrupts) {
		fake_virtio_set_irq_hook(fv, take_interrupt, disk);
		fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 0);
		if (vblk_use_interrupts(disk, true) != 0)
			return 1;
	}
	/* The first request of a slot links its frame on a split ring
	 * (vring/split_frame.c); a write, outside what is counted, does it,
	 * so the count is what every later read costs. */
	if (vblk_write(disk, 0, buf, READ_SECTORS) != 0)
		return 1;
	for (unsigned i = 0; i < READS; i++) {
		uint64_t sector = (uint64_t)(i * 7919u) % (DISK_SECTORS / READ_SECTORS) * READ_SECTORS;
		if (vblk_read(disk, sector, buf, READ_SECTORS) != 0) {
			fprintf(stderr, "read_cost: read %u failed\n", i);
			return 1;
		}
	}
	printf("%u reads%s\n", READS, interrupts ? " with interrupts" : "");
	return 0;
}
