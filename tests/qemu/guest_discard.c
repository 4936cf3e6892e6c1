/* SPDX-License-Identifier: MIT */
/*
 * DISCARD and WRITE_ZEROES on a real QEMU device (issue 17), through both
 * APIs. run.sh's step_discard boots the drive with discard=unmap and, after
 * QEMU exits, checks on the host that the ranges given to it read zeros,
 * that everything else is the disk's pattern still, and that the image
 * file lost allocated blocks.
 *
 * discard seed= dstart= dcount= zstart= zcount= ustart= ucount=
 *         astart= abios= asectors= [off=discard|write-zeroes]
 *         [dbad=SECTOR] [zbad=SECTOR]
 *   The host filled the disk with pattern `seed`. In order:
 *     - misaligned ranges (off the logical block or discard_sector_alignment)
 *       are refused with -VBLK_EALIGN and send nothing, if the disk has
 *       such rules (4 KiB blocks);
 *     - vblk_discard over [dstart, +dcount);
 *     - vblk_write_zeroes over [zstart, +zcount), flags 0;
 *     - vblk_write_zeroes over [ustart, +ucount) with VBLK_WZ_UNMAP;
 *     - in one plug, `abios` adjacent DISCARD bios of `asectors` sectors
 *       from `astart`, then as many WRITE_ZEROES (VBLK_WZ_UNMAP) bios right
 *       after them: each kind merges into as few requests as
 *       vblk_max_range_sectors allows (the statistics must say exactly
 *       that many requests, and back merges for the rest), never with the
 *       other kind.
 *   Each range then reads back as zeros, and the sectors just before and
 *   after it as the pattern. off=: the disk must not offer that command
 *   (QEMU's device property discard=off or write-zeroes=off): the
 *   synchronous call and the bio are refused with -VBLK_EUNSUPP, no
 *   request is sent, and its ranges keep the pattern. dbad=/zbad=: the
 *   host fails discards/write-zeroes that cover that sector (blkdebug):
 *   every bio of the request over it gets -VBLK_EIO, and its range keeps
 *   the pattern.
 */
#include <stdio.h>
#include <string.h>

#include "tests/qemu/guest.h"
#include "vblk/vblk.h"

#define MAX_ASYNC_BIOS 64u
#define CHECK_CHUNK_SECTORS 2048u    /* 1 MiB a read */
#define NO_SECTOR UINT64_MAX

static uint8_t check_buf[CHECK_CHUNK_SECTORS * SECTOR_BYTES] VBLK_ALIGNED;
static struct vblk_bio async_bios[2][MAX_ASYNC_BIOS];
static struct vblk_bio *async_ptrs[2 * MAX_ASYNC_BIOS];
static unsigned async_calls[2][MAX_ASYNC_BIOS];

/* The sectors a range's neighbours are read in: one logical block. */
static uint32_t block_sectors;

static void count_call(struct vblk_bio *bio, int status)
{
	(void)status;
	(*(unsigned *)bio->private)++;
}

static const char *op_name(enum vblk_op op)
{
	return op == VBLK_OP_DISCARD ? "discard" : "write-zeroes";
}

/* [start, +count) reads back as zeros (zeros=1) or the host's pattern. */
static int check_range(struct vblk_disk *disk, uint64_t seed, uint64_t start, uint64_t count,
		       int zeros, const char *what)
{
	for (uint64_t done = 0; done < count;) {
		uint32_t n = count - done < CHECK_CHUNK_SECTORS ? (uint32_t)(count - done)
							       : CHECK_CHUNK_SECTORS;
		uint64_t sector = start + done;

		memset(check_buf, POISON_BYTE, (size_t)n * SECTOR_BYTES);
		int err = vblk_read(disk, sector, check_buf, n);
		if (err)
			return fail("%s: read of %u sectors at %lu: %s", what, n,
				    (unsigned long)sector, vblk_strerror(err));
		if (!zeros) {
			if (check_pattern(check_buf, seed, sector, n) != 0)
				return fail("%s: sectors %lu+%u lost the pattern", what,
					    (unsigned long)sector, n);
		} else {
			for (size_t i = 0; i < (size_t)n * SECTOR_BYTES; i++)
				if (check_buf[i] != 0)
					return fail("%s: byte %lu of sector %lu is 0x%02x, not 0",
						    what, (unsigned long)(i % SECTOR_BYTES),
						    (unsigned long)(sector + i / SECTOR_BYTES),
						    check_buf[i]);
		}
		done += n;
	}
	return 0;
}

/* The range holds zeros or the pattern, and the blocks around it the
 * pattern (unless they lie outside the disk). */
static int check_with_neighbours(struct vblk_disk *disk, uint64_t seed, uint64_t start,
				 uint64_t count, int zeros, const char *what)
{
	if (check_range(disk, seed, start, count, zeros, what) != 0)
		return -1;
	if (start >= block_sectors &&
	    check_range(disk, seed, start - block_sectors, block_sectors, 0, what) != 0)
		return -1;
	if (start + count + block_sectors <= vblk_capacity(disk) &&
	    check_range(disk, seed, start + count, block_sectors, 0, what) != 0)
		return -1;
	return 0;
}

static int covers(uint64_t start, uint64_t count, uint64_t sector)
{
	return sector != NO_SECTOR && sector >= start && sector - start < count;
}

/* Misaligned ranges are refused before anything is sent. */
static int check_alignment_refused(struct vblk_disk *disk, uint64_t dstart, uint64_t zstart)
{
	const struct vblk_info *info = vblk_disk_info(disk);
	uint32_t dalign = info->discard_sector_alignment > block_sectors
				  ? info->discard_sector_alignment : block_sectors;
	struct vblk_stats before = { 0 }, after = { 0 };

	if (dalign <= 1)
		return 0;
	vblk_stats(disk, &before);
	if (info->has_discard &&
	    (expect_rc("vblk_discard off the alignment", vblk_discard(disk, dstart + 1, dalign),
		       -VBLK_EALIGN) ||
	     expect_rc("vblk_discard of a partial unit", vblk_discard(disk, dstart, dalign + 1),
		       -VBLK_EALIGN)))
		return -1;
	if (info->has_write_zeroes && block_sectors > 1 &&
	    (expect_rc("vblk_write_zeroes off the block",
		       vblk_write_zeroes(disk, zstart + 1, block_sectors, 0), -VBLK_EALIGN) ||
	     expect_rc("vblk_write_zeroes of a partial block",
		       vblk_write_zeroes(disk, zstart, block_sectors - 1, VBLK_WZ_UNMAP),
		       -VBLK_EALIGN)))
		return -1;
	struct vblk_bio bio = { .op = VBLK_OP_DISCARD, .sector = dstart + 1, .nsectors = dalign };
	if (info->has_discard &&
	    expect_rc("a misaligned DISCARD bio", vblk_submit(disk, &bio), -VBLK_EALIGN))
		return -1;
	vblk_stats(disk, &after);
	if (after.requests != before.requests || after.bios != before.bios)
		return fail("misaligned ranges sent %lu request(s)",
			    (unsigned long)(after.requests - before.requests));
	printf("misaligned ranges refused (alignment %u sectors), nothing sent\n", dalign);
	return 0;
}

/* A command the disk does not offer: refused, nothing sent. */
static int check_unsupported(struct vblk_disk *disk, enum vblk_op op, uint64_t start,
			     uint64_t count)
{
	struct vblk_bio bio = { .op = op, .sector = start, .nsectors = count };
	struct vblk_stats before = { 0 }, after = { 0 };
	int rc;

	vblk_stats(disk, &before);
	rc = op == VBLK_OP_DISCARD ? vblk_discard(disk, start, count)
				   : vblk_write_zeroes(disk, start, count, 0);
	if (expect_rc(op == VBLK_OP_DISCARD ? "vblk_discard" : "vblk_write_zeroes", rc,
		      -VBLK_EUNSUPP) ||
	    expect_rc("an unoffered bio", vblk_submit(disk, &bio), -VBLK_EUNSUPP))
		return -1;
	if (vblk_max_range_sectors(disk, op) != 0)
		return fail("vblk_max_range_sectors(%s) is %lu without the feature", op_name(op),
			    (unsigned long)vblk_max_range_sectors(disk, op));
	vblk_stats(disk, &after);
	if (after.requests != before.requests || after.bios != before.bios)
		return fail("refused %s sent %lu request(s)", op_name(op),
			    (unsigned long)(after.requests - before.requests));
	printf("%s not offered: refused with -VBLK_EUNSUPP, nothing sent\n", op_name(op));
	return 0;
}

/* One synchronous call over [start, +count): 0, or -VBLK_EIO over `bad`. */
static int sync_range(struct vblk_disk *disk, enum vblk_op op, unsigned flags, uint64_t seed,
		      uint64_t start, uint64_t count, uint64_t bad, const char *what)
{
	struct vblk_stats before = { 0 }, after = { 0 };
	int want = covers(start, count, bad) ? -VBLK_EIO : 0, rc;

	vblk_stats(disk, &before);
	rc = op == VBLK_OP_DISCARD ? vblk_discard(disk, start, count)
				   : vblk_write_zeroes(disk, start, count, flags);
	if (expect_rc(what, rc, want))
		return -1;
	vblk_stats(disk, &after);
	printf("%s: %lu sectors at %lu in %lu request(s): %s\n", what, (unsigned long)count,
	       (unsigned long)start, (unsigned long)(after.requests - before.requests),
	       vblk_strerror(rc));
	return check_with_neighbours(disk, seed, start, count, rc == 0, what);
}

/* The requests `nbios` adjacent bios of `sectors` must take. */
static uint64_t requests_for(struct vblk_disk *disk, enum vblk_op op, unsigned nbios,
			     uint64_t sectors)
{
	uint64_t per = vblk_max_range_sectors(disk, op) / sectors;

	return per == 0 ? 0 : (nbios + per - 1) / per;
}

static int submit_group(struct vblk_disk *disk, unsigned g, enum vblk_op op, unsigned flags,
			uint64_t first, unsigned nbios, uint64_t sectors)
{
	for (unsigned i = 0; i < nbios; i++) {
		async_calls[g][i] = 0;
		async_bios[g][i] = (struct vblk_bio){ .op = op, .sector = first + i * sectors,
						      .nsectors = sectors, .flags = flags,
						      .done = count_call,
						      .private = &async_calls[g][i] };
		async_ptrs[g * nbios + i] = &async_bios[g][i];
		int err = vblk_submit(disk, &async_bios[g][i]);
		if (err)
			return expect_rc("vblk_submit", err, 0);
	}
	return 0;
}

static int expect_group(unsigned g, unsigned nbios, int want, const char *what)
{
	for (unsigned i = 0; i < nbios; i++) {
		if (async_calls[g][i] != 1)
			return fail("%s: bio %u completed %u times", what, i, async_calls[g][i]);
		if (async_bios[g][i].status != want)
			return fail("%s: bio %u got %d (%s), expected %d (%s)", what, i,
				    async_bios[g][i].status, vblk_strerror(async_bios[g][i].status),
				    want, vblk_strerror(want));
	}
	return 0;
}

/* A group of DISCARD bios and one of WRITE_ZEROES bios after it, plugged. */
static int async_groups(struct vblk_disk *disk, uint64_t seed, uint64_t astart, unsigned nbios,
			uint64_t sectors, uint64_t dbad, uint64_t zbad)
{
	uint64_t span = nbios * sectors, zfirst = astart + span;
	uint64_t want_requests = requests_for(disk, VBLK_OP_DISCARD, nbios, sectors) +
				 requests_for(disk, VBLK_OP_WRITE_ZEROES, nbios, sectors);
	int dwant = covers(astart, span, dbad) ? -VBLK_EIO : 0;
	int zwant = covers(zfirst, span, zbad) ? -VBLK_EIO : 0;
	struct vblk_stats stats;

	if (nbios == 0 || nbios > MAX_ASYNC_BIOS || sectors == 0)
		return fail("abios= must be 1..%u, asectors= not 0", MAX_ASYNC_BIOS);
	vblk_reset_stats(disk);
	vblk_plug(disk);
	if (submit_group(disk, 0, VBLK_OP_DISCARD, 0, astart, nbios, sectors) != 0 ||
	    submit_group(disk, 1, VBLK_OP_WRITE_ZEROES, VBLK_WZ_UNMAP, zfirst, nbios,
			 sectors) != 0)
		return -1;
	vblk_unplug(disk);
	vblk_wait_bios(disk, async_ptrs, 2 * nbios);
	if (expect_group(0, nbios, dwant, "DISCARD bios") != 0 ||
	    expect_group(1, nbios, zwant, "WRITE_ZEROES bios") != 0)
		return -1;
	vblk_stats(disk, &stats);
	printf("%u DISCARD and %u WRITE_ZEROES bios of %lu sectors -> %lu request(s): "
	       "%lu back merges, %lu front merges, %lu errors (%s, %s)\n",
	       nbios, nbios, (unsigned long)sectors, (unsigned long)stats.requests,
	       (unsigned long)stats.back_merges, (unsigned long)stats.front_merges,
	       (unsigned long)stats.errors, vblk_strerror(dwant), vblk_strerror(zwant));
	if (stats.bios != 2u * nbios || stats.requests != want_requests ||
	    stats.back_merges + stats.front_merges != 2u * nbios - want_requests)
		return fail("%u bios took %lu requests and %lu merges, expected %lu and %lu",
			    2 * nbios, (unsigned long)stats.requests,
			    (unsigned long)(stats.back_merges + stats.front_merges),
			    (unsigned long)want_requests,
			    (unsigned long)(2u * nbios - want_requests));
	if (stats.errors != (dwant ? nbios : 0u) + (zwant ? nbios : 0u))
		return fail("%lu errors counted", (unsigned long)stats.errors);
	/* The two groups are adjacent: the pattern around both. */
	if (check_range(disk, seed, astart, span, dwant == 0, "async DISCARD") != 0 ||
	    check_range(disk, seed, zfirst, span, zwant == 0, "async WRITE_ZEROES") != 0 ||
	    (astart >= block_sectors &&
	     check_range(disk, seed, astart - block_sectors, block_sectors, 0, "before") != 0) ||
	    (zfirst + span + block_sectors <= vblk_capacity(disk) &&
	     check_range(disk, seed, zfirst + span, block_sectors, 0, "after") != 0))
		return -1;
	return 0;
}

int test_discard(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1000);
	uint64_t dstart = arg_u64("dstart", 0), dcount = arg_u64("dcount", 0);
	uint64_t zstart = arg_u64("zstart", 0), zcount = arg_u64("zcount", 0);
	uint64_t ustart = arg_u64("ustart", 0), ucount = arg_u64("ucount", 0);
	uint64_t astart = arg_u64("astart", 0), asectors = arg_u64("asectors", 0);
	unsigned abios = (unsigned)arg_u64("abios", 0);
	uint64_t dbad = arg_u64("dbad", NO_SECTOR), zbad = arg_u64("zbad", NO_SECTOR);
	const char *off = arg_str("off");
	const struct vblk_info *info;
	int no_discard = off != NULL && strcmp(off, "discard") == 0;
	int no_zeroes = off != NULL && strcmp(off, "write-zeroes") == 0;

	if (disk == NULL)
		return -1;
	if (off != NULL && !no_discard && !no_zeroes)
		return fail("off= is discard or write-zeroes");
	info = vblk_disk_info(disk);
	block_sectors = info->block_size_bytes / SECTOR_BYTES;
	printf("discard: %s, %u sectors x %u segment(s), alignment %u; write-zeroes: %s, "
	       "%u sectors x %u segment(s), %s; max range %lu / %lu sectors\n",
	       info->has_discard ? "offered" : "not offered", info->max_discard_sectors,
	       info->max_discard_seg, info->discard_sector_alignment,
	       info->has_write_zeroes ? "offered" : "not offered", info->max_write_zeroes_sectors,
	       info->max_write_zeroes_seg, info->write_zeroes_may_unmap ? "may unmap" : "no unmap",
	       (unsigned long)vblk_max_range_sectors(disk, VBLK_OP_DISCARD),
	       (unsigned long)vblk_max_range_sectors(disk, VBLK_OP_WRITE_ZEROES));
	if ((bool)info->has_discard == (bool)no_discard ||
	    (bool)info->has_write_zeroes == (bool)no_zeroes)
		return fail("the disk %s DISCARD and %s WRITE_ZEROES, the row says otherwise",
			    info->has_discard ? "offers" : "lacks",
			    info->has_write_zeroes ? "offers" : "lacks");

	if (check_alignment_refused(disk, dstart, zstart) != 0)
		return -1;
	if (no_discard) {
		if (check_unsupported(disk, VBLK_OP_DISCARD, dstart, dcount) != 0 ||
		    check_with_neighbours(disk, seed, dstart, dcount, 0, "refused discard") != 0)
			return -1;
	} else if (sync_range(disk, VBLK_OP_DISCARD, 0, seed, dstart, dcount, dbad,
			      "vblk_discard") != 0) {
		return -1;
	}
	if (no_zeroes) {
		if (check_unsupported(disk, VBLK_OP_WRITE_ZEROES, zstart, zcount) != 0 ||
		    check_with_neighbours(disk, seed, zstart, zcount, 0, "refused write-zeroes") != 0)
			return -1;
	} else if (sync_range(disk, VBLK_OP_WRITE_ZEROES, 0, seed, zstart, zcount, zbad,
			      "vblk_write_zeroes") != 0 ||
		   sync_range(disk, VBLK_OP_WRITE_ZEROES, VBLK_WZ_UNMAP, seed, ustart, ucount, zbad,
			      "vblk_write_zeroes(UNMAP)") != 0) {
		return -1;
	}
	if (!no_discard && !no_zeroes && abios != 0 &&
	    async_groups(disk, seed, astart, abios, asectors, dbad, zbad) != 0)
		return -1;
	return expect_rc("vblk_flush", vblk_flush(disk), 0);
}
