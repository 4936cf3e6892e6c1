/* SPDX-License-Identifier: MIT */
/*
 * The integrity test: every sector of every disk, through both APIs.
 *
 * integrity seed= [irq=0|1] [depth=] [align=]
 *   For each disk (seed + its index as the pattern seed):
 *     1. the first half is written with the synchronous API, requests of
 *        mixed sizes (one bigger than a request can carry, so it is split);
 *     2. the second half with asynchronous bios of mixed sizes and
 *        segment layouts, `depth` at a time, every other batch merged;
 *     3. a flush;
 *     4. the first half is read back with bios, the second half with the
 *        synchronous API (so each half is checked by the API that did not
 *        write it), every byte compared in the guest.
 *   The host then checks every sector of every image (tools/diskpat), so a
 *   write that went to the wrong place or never reached the disk fails
 *   even if the guest read back what it expected from a cache.
 */
#include <stdio.h>

#include "tests/qemu/guest.h"
#include "vblk/vblk.h"

#define DEFAULT_DEPTH 64u

#ifdef VBLK_PLAT_VIRT_TO_PHYS
/* The library built as firmware with its own address map builds it
 * (matrix_knob_virt_to_phys): the runtime maps RAM 1:1, so this is the
 * identity, counted to show the library asked. */
static unsigned long translations;

uint64_t plat_virt_to_phys(const void *ptr)
{
	translations++;
	return (uint64_t)(uintptr_t)ptr;
}
#endif

/* Where the halves meet: a whole number of logical blocks. */
static uint64_t half_of(uint64_t capacity)
{
	uint64_t align = arg_u64("align", 1);

	return capacity / 2 / align * align;
}

static int check_one_disk(unsigned index, struct vblk_disk *disk, uint64_t seed)
{
	uint64_t capacity = vblk_capacity(disk), half = half_of(capacity);
	unsigned depth = (unsigned)arg_u64("depth", DEFAULT_DEPTH), nreq, nbios;

	if (half == 0)
		return fail("disk %u: %lu sectors is too small", index, (unsigned long)capacity);
	if (use_irq_if_asked(disk) != 0)
		return -1;
	if (write_range(disk, seed, 0, half, &nreq) != 0 ||
	    async_pass(disk, VBLK_OP_WRITE, seed, half, capacity - half, depth, &nbios) != 0)
		return -1;
	if (expect_rc("vblk_flush", vblk_flush(disk), 0) != 0)
		return -1;
	printf("disk %u: wrote %lu sectors: %u synchronous requests, %u bios\n", index,
	       (unsigned long)capacity, nreq, nbios);

	if (async_pass(disk, VBLK_OP_READ, seed, 0, half, depth, &nbios) != 0 ||
	    read_and_check_range(disk, seed, half, capacity - half, &nreq) != 0)
		return -1;
	struct vblk_stats stats;
	vblk_stats(disk, &stats);
	if (expect_no_missed_interrupts(&stats) != 0)
		return -1;
	stop_irq_if_asked(disk);
	printf("disk %u: read back and checked %lu bytes: %u bios, %u synchronous requests\n",
	       index, (unsigned long)(capacity * SECTOR_BYTES), nbios, nreq);
	return 0;
}

int test_integrity(void)
{
	uint64_t seed = arg_u64("seed", 1);
	unsigned ndisks = vblk_disk_count();

	if (ndisks == 0)
		return fail("no disk");
	for (unsigned i = 0; i < ndisks; i++)
		if (check_one_disk(i, vblk_disk(i), seed + i) != 0)
			return -1;
#ifdef VBLK_PLAT_VIRT_TO_PHYS
	if (translations == 0)
		return fail("the library never called the firmware's plat_virt_to_phys");
	printf("plat_virt_to_phys: %lu translations\n", translations);
#endif
	return 0;
}
