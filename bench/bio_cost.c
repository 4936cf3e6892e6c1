/* SPDX-License-Identifier: MIT */
/*
 * The driver's own cost per bio, in instructions (host build): batches of
 * 64 adjacent 4 KiB reads, submitted plugged, merged into one request,
 * waited for, against the fake virtio device (tests/host/).
 *
 * tools/ring-cost.sh runs it under callgrind, collecting inside the three
 * API calls a user makes (vblk_submit, vblk_unplug, vblk_wait_bios), and
 * counts only what is spent in the driver's files (blk/, vring/,
 * virtio/, plat/): the fake device's work, copying the data included, is
 * left out. The result is divided by BATCHES * BATCH_BIOS.
 *
 * A host measuring harness, not an application: it includes the fake
 * device's header (and is built with -I. by tools/ring-cost.sh). Only
 * bench/bench.c, the guest benchmark, keeps to the public headers.
 */
#include "bench/fake_disk.h"

#define BATCHES       100u
#define BATCH_BIOS    64u
#define BIO_BYTES     4096u
#define BIO_SECTORS   (BIO_BYTES / VBLK_SECTOR_SIZE)
#define DISK_SECTORS  (64u * 1024)

static uint8_t buf[BATCH_BIOS][BIO_BYTES] VBLK_ALIGNED;
static struct vblk_seg segs[BATCH_BIOS];
static struct vblk_bio bios[BATCH_BIOS], *waiting[BATCH_BIOS];
static unsigned completions;

static void count_completion(struct vblk_bio *bio, int status)
{
	if (status != 0) {
		fprintf(stderr, "bio_cost: bio at %llu failed: %s\n",
			(unsigned long long)bio->sector, vblk_strerror(status));
		exit(1);
	}
	completions++;
}

static void plugged_batch(struct vblk_disk *disk, uint64_t first_sector)
{
	vblk_plug(disk);
	for (unsigned i = 0; i < BATCH_BIOS; i++) {
		segs[i] = (struct vblk_seg){ buf[i], BIO_BYTES };
		bios[i] = (struct vblk_bio){ .op = VBLK_OP_READ,
					     .sector = first_sector + i * BIO_SECTORS,
					     .segs = &segs[i], .nsegs = 1,
					     .done = count_completion };
		waiting[i] = &bios[i];
		if (vblk_submit(disk, &bios[i]) != 0)
			exit(1);
	}
	vblk_unplug(disk);
	if (vblk_wait_bios(disk, waiting, BATCH_BIOS) != 0)
		exit(1);
}

int main(void)
{
	struct vblk_disk *disk = fake_disk_attach(1, DISK_SECTORS, NULL);   /* QEMU's default: legacy */

	for (unsigned b = 0; b < BATCHES; b++)
		plugged_batch(disk,
			      (uint64_t)(b % (DISK_SECTORS / (BATCH_BIOS * BIO_SECTORS))) *
				      BATCH_BIOS * BIO_SECTORS);
	printf("%u bios completed\n", completions);
	return completions == BATCHES * BATCH_BIOS ? 0 : 1;
}
