/* SPDX-License-Identifier: MIT */
/*
 * The driver's own cost of one synchronous vblk_read of 4 KiB with
 * interrupts on, in instructions (host build): the same reads as
 * bench/read_cost.c, but the disk takes its completions by interrupt, so
 * each read goes through the general wait (blk/wait.c) instead of the
 * polled path of blk_sync_run. The fake device completes each request at
 * the wait's first look, and its "interrupt" runs vblk_irq_handler there.
 *
 * tools/ring-cost.sh runs it under callgrind, collecting inside vblk_read
 * and counting only the driver's files. A host measuring harness, like
 * bench/read_cost.c.
 */
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

int main(void)
{
	struct fake_virtio *fv;
	struct vblk_disk *disk = fake_disk_attach(2, DISK_SECTORS, &fv);

	fake_virtio_set_irq_hook(fv, take_interrupt, disk);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_DEFERRED, 0);
	if (vblk_use_interrupts(disk, true) != 0)
		return 1;
	for (unsigned i = 0; i < READS; i++) {
		uint64_t sector = (uint64_t)(i * 7919u) % (DISK_SECTORS / READ_SECTORS) * READ_SECTORS;
		if (vblk_read(disk, sector, buf, READ_SECTORS) != 0) {
			fprintf(stderr, "irq_read_cost: read %u failed\n", i);
			return 1;
		}
	}
	printf("%u reads\n", READS);
	return 0;
}
