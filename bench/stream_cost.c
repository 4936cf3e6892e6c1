/* SPDX-License-Identifier: MIT */
/*
 * The driver's own cost per bio of a depth-32 stream, in instructions
 * (host build): the yardstick's depth-32 row (bench/yardstick.c) on the
 * fake virtio device. 32 random 4 KiB reads in flight, interrupt-driven;
 * each completion's callback resubmits its bio at another sector. The
 * device completes whatever it holds at once, as QEMU's main loop does
 * when it catches up, and then the "interrupt" runs vblk_irq_handler.
 *
 * tools/ring-cost.sh runs it under callgrind, collecting inside
 * vblk_submit and vblk_irq_handler (the resubmissions run inside the
 * handler, in the callbacks), and counts only the driver's files. The
 * result is divided by STREAM_BIOS.
 *
 * A host measuring harness, like bench/bio_cost.c.
 */
#include "bench/fake_disk.h"
#include "bench/prng.h"

#define DEPTH         32u
#define STREAM_BIOS   32000u
#define BIO_BYTES     4096u
#define BIO_SECTORS   (BIO_BYTES / VBLK_SECTOR_SIZE)
#define DISK_SECTORS  (64u * 1024)

static uint8_t buf[DEPTH][BIO_BYTES] VBLK_ALIGNED;
static struct {
	struct vblk_bio bio;
	struct vblk_seg seg;
} slots[DEPTH];
static struct vblk_disk *disk;
static unsigned submitted, completed;
static uint64_t rng = 1;

static uint64_t random_sector(void)
{
	return prng_next(&rng) % (DISK_SECTORS / BIO_SECTORS) * BIO_SECTORS;
}

static void resubmit(struct vblk_bio *bio, int status)
{
	if (status != 0) {
		fprintf(stderr, "stream_cost: bio at %llu failed: %s\n",
			(unsigned long long)bio->sector, vblk_strerror(status));
		exit(1);
	}
	completed++;
	if (submitted == STREAM_BIOS)
		return;
	bio->sector = random_sector();
	submitted++;
	if (vblk_submit(disk, bio) != 0)
		exit(1);
}

int main(void)
{
	struct fake_virtio *fv;

	disk = fake_disk_attach(2, DISK_SECTORS, &fv);
	fake_virtio_set_completion(fv, FAKE_COMPLETE_HELD, 0);
	if (vblk_use_interrupts(disk, true) != 0)
		return 1;
	for (unsigned i = 0; i < DEPTH; i++) {
		slots[i].seg = (struct vblk_seg){ buf[i], BIO_BYTES };
		slots[i].bio = (struct vblk_bio){ .op = VBLK_OP_READ, .sector = random_sector(),
						  .segs = &slots[i].seg, .nsegs = 1,
						  .done = resubmit };
		submitted++;
		if (vblk_submit(disk, &slots[i].bio) != 0)
			return 1;
	}
	while (completed < STREAM_BIOS) {
		if (fake_virtio_complete_all(fv) == 0) {
			fprintf(stderr, "stream_cost: the device holds nothing\n");
			return 1;
		}
		vblk_irq_handler(disk);
	}
	printf("%u bios completed\n", completed);
	return 0;
}
