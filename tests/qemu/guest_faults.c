/* SPDX-License-Identifier: MIT */
/*
 * Faults QEMU injects for real (blkdebug, shared/FAULTS.md; a QMP
 * block_resize), seen through the asynchronous API.
 *
 * fault_merged seed= bad= once= good= irq=
 *   The host fails every read and write of sector `bad` and the first read
 *   of sector `once`. Groups of adjacent 4 KiB bios, plugged so each group
 *   merges into one request:
 *     - a read group and a write group over `bad`: every bio of each gets
 *       -VBLK_EIO (a failed write is never reported as success);
 *     - a read group and a write group at `good`, in the same plug: they
 *       complete normally (the host checks the write);
 *     - `once` read twice: -VBLK_EIO, then the host's pattern;
 *     - afterwards a read next to `bad` still works.
 *
 * flush_error seed= start= count=
 *   The host fails every flush: vblk_flush() and a FLUSH bio both get
 *   -VBLK_EIO after a write; reads and writes keep working; vblk_shutdown
 *   reports its own failed flush.
 *
 * timeout seed= wseed= start= count= irq=0|1
 *   The host throttles the drive to a few requests a second (QEMU's
 *   throttling group), so with a 100 ms timeout requests overrun it for
 *   real: a synchronous read ends with -VBLK_ETIMEDOUT, then the disk
 *   refuses I/O with -VBLK_EBROKEN until vblk_reset(); groups of read bios
 *   in flight when it times out each complete once, with 0 (and the
 *   host's pattern `seed`) or -VBLK_ETIMEDOUT, at least one of them the
 *   latter. After a reset with the default timeout, the pattern `wseed`
 *   is written over [start, start + count) and read back; the host checks
 *   it there and nothing else changed.
 *
 * outside_ram seed= addr= irq=0|1
 *   A read into `addr`, memory the machine does not have: QEMU cannot map
 *   the buffer, gives up on the device and (modern virtio-mmio) sets
 *   DEVICE_NEEDS_RESET. The read must end with -VBLK_EBROKEN within
 *   OUTSIDE_RAM_NOTICE_US, polled as with interrupts, not after the 10 s
 *   timeout; after vblk_reset the disk reads the host's pattern `seed`
 *   and keeps the interrupt mode it had.
 *
 * resize seed= new= irq=0|1 [busy=1]
 *   Prints "waiting for resize" and waits until the device's configuration
 *   change brings capacity `new` (run.sh resizes the drive over QMP
 *   meanwhile): the interrupt handler or, polled, vblk_poll() notices.
 *   busy=1 waits by reading sector 0 over and over instead, so the change
 *   lands while a read waits: then the wait must notice it too. Grown: the pattern is written over the
 *   new sectors (the host checks them). Shrunk: I/O past the new end is
 *   refused with -VBLK_ERANGE and I/O before it works.
 */
#include <stdio.h>
#include <string.h>

#include "plat/platform.h"
#include "tests/qemu/guest.h"
#include "vblk/runtime.h"
#include "vblk/vblk.h"

#define GROUP_BIOS    16u
#define BIO_SECTORS   8u                    /* 4 KiB */
#define GROUP_SECTORS (GROUP_BIOS * BIO_SECTORS)
#define MAX_GROUPS    4u
#define RESIZE_WAIT_US 30000000u            /* run.sh resizes within seconds */
#define RESIZE_IO_SECTORS 64u
#define RESIZE_POLL_US 10000u

/* A group: adjacent bios with their own buffers, merged into a request. */
struct group {
	struct vblk_bio bios[GROUP_BIOS];
	struct vblk_bio *ptrs[GROUP_BIOS];
	struct vblk_seg segs[GROUP_BIOS];
	unsigned calls[GROUP_BIOS];
};

static struct group groups[MAX_GROUPS];
static uint8_t group_buf[MAX_GROUPS][GROUP_SECTORS * SECTOR_BYTES] VBLK_ALIGNED;
static uint8_t small_buf[RESIZE_IO_SECTORS * SECTOR_BYTES] VBLK_ALIGNED;

static void count_call(struct vblk_bio *bio, int status)
{
	(void)status;
	(*(unsigned *)bio->private)++;
}

/* Group `g`: GROUP_BIOS bios of `op` from `first`; writes carry the
 * pattern, reads poison their buffers. Submitted, not waited for. */
static int submit_group(struct vblk_disk *disk, unsigned g, enum vblk_op op, uint64_t seed,
			uint64_t first)
{
	struct group *group = &groups[g];

	for (unsigned i = 0; i < GROUP_BIOS; i++) {
		uint8_t *buf = group_buf[g] + i * BIO_SECTORS * SECTOR_BYTES;
		uint64_t sector = first + i * BIO_SECTORS;

		if (op == VBLK_OP_WRITE)
			fill_pattern(buf, seed, sector, BIO_SECTORS);
		else
			memset(buf, POISON_BYTE, BIO_SECTORS * SECTOR_BYTES);
		group->calls[i] = 0;
		group->segs[i] = (struct vblk_seg){ buf, BIO_SECTORS * SECTOR_BYTES };
		group->bios[i] = (struct vblk_bio){ .op = op, .sector = sector,
						    .segs = &group->segs[i], .nsegs = 1,
						    .done = count_call, .private = &group->calls[i] };
		group->ptrs[i] = &group->bios[i];
		int err = vblk_submit(disk, &group->bios[i]);
		if (err)
			return expect_rc("vblk_submit", err, 0);
	}
	return 0;
}

/* Wait for group `g`; every bio must have completed once with `want`. */
static int expect_group(struct vblk_disk *disk, unsigned g, int want, const char *what)
{
	struct group *group = &groups[g];

	vblk_wait_bios(disk, group->ptrs, GROUP_BIOS);
	for (unsigned i = 0; i < GROUP_BIOS; i++) {
		if (group->calls[i] != 1)
			return fail("%s: bio %u completed %u times", what, i, group->calls[i]);
		if (group->bios[i].status != want)
			return fail("%s: bio %u got %d (%s), expected %d (%s)", what, i,
				    group->bios[i].status, vblk_strerror(group->bios[i].status),
				    want, vblk_strerror(want));
	}
	return 0;
}

static int check_group_data(unsigned g, uint64_t seed, uint64_t first)
{
	return check_pattern(group_buf[g], seed, first, GROUP_SECTORS);
}

/* The group around `bad` starts a few bios before it. */
static uint64_t group_around(uint64_t sector)
{
	return sector - sector % BIO_SECTORS - 4 * BIO_SECTORS;
}

int test_fault_merged(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1), bad = arg_u64("bad", 0);
	uint64_t once = arg_u64("once", 0), good = arg_u64("good", 0);
	uint64_t around = group_around(bad), write_seed = seed + 1;
	struct vblk_stats stats;

	if (disk == NULL || use_irq_if_asked(disk) != 0)
		return -1;
	if (bad < 4 * BIO_SECTORS + BIO_SECTORS || good % BIO_SECTORS != 0)
		return fail("bad= must be past the first group, good= 4 KiB aligned");

	/* Reads: the failing group and a good one in one plug. */
	vblk_reset_stats(disk);
	vblk_plug(disk);
	if (submit_group(disk, 0, VBLK_OP_READ, seed, around) != 0 ||
	    submit_group(disk, 1, VBLK_OP_READ, seed, good) != 0)
		return -1;
	vblk_unplug(disk);
	if (expect_group(disk, 0, -VBLK_EIO, "reads over the bad sector") != 0 ||
	    expect_group(disk, 1, 0, "reads elsewhere") != 0 ||
	    check_group_data(1, seed, good) != 0)
		return -1;
	vblk_stats(disk, &stats);
	if (stats.requests != 2)
		return fail("%u read bios took %lu requests, expected 2 merged ones",
			    2 * GROUP_BIOS, (unsigned long)stats.requests);

	/* Writes: the same. */
	vblk_plug(disk);
	if (submit_group(disk, 2, VBLK_OP_WRITE, write_seed, around) != 0 ||
	    submit_group(disk, 3, VBLK_OP_WRITE, write_seed, good) != 0)
		return -1;
	vblk_unplug(disk);
	if (expect_group(disk, 2, -VBLK_EIO, "writes over the bad sector") != 0 ||
	    expect_group(disk, 3, 0, "writes elsewhere") != 0)
		return -1;

	/* A transient error: once, then never again. */
	if (expect_rc("first read of the once sector", vblk_read(disk, once, small_buf, 1),
		      -VBLK_EIO) ||
	    expect_rc("second read of it", vblk_read(disk, once, small_buf, 1), 0) ||
	    check_pattern(small_buf, seed, once, 1) != 0)
		return -1;
	/* And the disk still works next to the bad sector. */
	if (expect_rc("read next to the bad sector", vblk_read(disk, bad + 1, small_buf, 1), 0) ||
	    check_pattern(small_buf, seed, bad + 1, 1) != 0 ||
	    expect_rc("vblk_flush", vblk_flush(disk), 0))
		return -1;
	stop_irq_if_asked(disk);
	vblk_stats(disk, &stats);
	printf("%u bios failed in 2 merged requests, each with -VBLK_EIO; %u succeeded; "
	       "%lu errors counted\n", 2 * GROUP_BIOS, 2 * GROUP_BIOS,
	       (unsigned long)stats.errors);
	return 0;
}

int test_flush_error(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1), start = arg_u64("start", 0);
	struct vblk_bio flush = { .op = VBLK_OP_FLUSH };
	struct vblk_bio *flush_ptr = &flush;

	if (disk == NULL)
		return -1;
	if (!vblk_disk_info(disk)->has_flush)
		return fail("the device offers no FLUSH");
	fill_pattern(small_buf, seed, start, RESIZE_IO_SECTORS);
	if (expect_rc("vblk_write", vblk_write(disk, start, small_buf, RESIZE_IO_SECTORS), 0) ||
	    expect_rc("vblk_flush", vblk_flush(disk), -VBLK_EIO))
		return -1;
	if (expect_rc("vblk_write again",
		      vblk_write(disk, start, small_buf, RESIZE_IO_SECTORS), 0) ||
	    expect_rc("vblk_submit(FLUSH)", vblk_submit(disk, &flush), 0) ||
	    expect_rc("vblk_wait_bios(FLUSH)", vblk_wait_bios(disk, &flush_ptr, 1), -VBLK_EIO))
		return -1;
	memset(small_buf, POISON_BYTE, sizeof(small_buf));
	if (expect_rc("read after the failed flushes",
		      vblk_read(disk, start, small_buf, RESIZE_IO_SECTORS), 0) ||
	    check_pattern(small_buf, seed, start, RESIZE_IO_SECTORS) != 0)
		return -1;
	printf("both flushes failed with -VBLK_EIO; the disk still reads and writes\n");
	/* The flush at shutdown (the runtime's exit would do it) fails too,
	 * and says so: the writes may not be durable. */
	if (expect_rc("vblk_shutdown", vblk_shutdown(), -VBLK_EIO))
		return -1;
	return 0;
}

#define OUTSIDE_RAM_NOTICE_US 100000u

/* With the runtime's DMA ranges (the device tree's RAM): a buffer at
 * `outside`, wholly or partly beyond them, is refused by every call that
 * takes one, before anything reaches the device. */
static int refuse_outside(struct vblk_disk *disk, void *outside)
{
	struct vblk_seg segs[2] = {
		{ small_buf, SECTOR_BYTES }, { outside, RESIZE_IO_SECTORS * SECTOR_BYTES },
	};
	struct vblk_bio bio = { .op = VBLK_OP_READ, .sector = 0, .segs = segs, .nsegs = 2 };
	struct vblk_bio *bio_ptr = &bio;
	struct vblk_stats before = { 0 }, after = { 0 };

	vblk_stats(disk, &before);
	if (expect_rc("vblk_read into it", vblk_read(disk, 0, outside, RESIZE_IO_SECTORS),
		      -VBLK_EFAULT) ||
	    expect_rc("vblk_write from it", vblk_write(disk, 0, outside, RESIZE_IO_SECTORS),
		      -VBLK_EFAULT))
		return -1;
	for (int write = 0; write <= 1; write++) {
		bio.op = write ? VBLK_OP_WRITE : VBLK_OP_READ;
		int rc = vblk_submit(disk, &bio);
		if (rc == 0)   /* accepted after all: it must not outlive us */
			vblk_wait_bios(disk, &bio_ptr, 1);
		if (expect_rc("vblk_submit of a bio with a segment there", rc, -VBLK_EFAULT))
			return -1;
	}
	vblk_stats(disk, &after);
	if (after.bios != before.bios || after.requests != before.requests ||
	    after.notifications != before.notifications)
		return fail("a refused call reached the queue or the device");
	printf("buffer at %p refused with -VBLK_EFAULT; nothing sent\n", outside);
	return 0;
}

/* Without them (vblk_set_dma_ranges(NULL, 0), as firmware that gives
 * none): the read reaches QEMU, which gives up on the device (on a split
 * ring: DEVICE_NEEDS_RESET); the guest must notice within 100 ms. */
static int read_unchecked(struct vblk_disk *disk, void *outside)
{
	if (expect_rc("vblk_set_dma_ranges(NULL, 0)", vblk_set_dma_ranges(NULL, 0), 0))
		return -1;
	uint64_t start_us = rt_time_us();
	/* More than a page: QEMU bounces one page of memory it does not
	 * have through a buffer of its own, and fails the rest. */
	int rc = vblk_read(disk, 0, outside, RESIZE_IO_SECTORS);
	uint64_t took_us = rt_time_us() - start_us;
	printf("read into %p: %s after %lu us\n", outside, vblk_strerror(rc),
	       (unsigned long)took_us);
	if (expect_rc("vblk_read into memory outside RAM", rc, -VBLK_EBROKEN))
		return -1;
	if (took_us > OUTSIDE_RAM_NOTICE_US)
		return fail("the broken device was noticed only after %lu us",
			    (unsigned long)took_us);
	return expect_rc("vblk_reset", vblk_reset(disk), 0);
}

/* `inside` is RAM after all (reachable=1: across the border of two
 * memory nodes): the disk's first sectors read into it, and written back
 * from it to where they were. */
static int use_inside(struct vblk_disk *disk, uint64_t seed, uint8_t *inside)
{
	if (expect_rc("vblk_read into it", vblk_read(disk, 0, inside, RESIZE_IO_SECTORS), 0) ||
	    check_pattern(inside, seed, 0, RESIZE_IO_SECTORS) != 0 ||
	    expect_rc("vblk_write from it", vblk_write(disk, 0, inside, RESIZE_IO_SECTORS), 0))
		return -1;
	printf("buffer at %p, %u bytes: read into and written from\n", (void *)inside,
	       RESIZE_IO_SECTORS * SECTOR_BYTES);
	return 0;
}

int test_outside_ram(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1);
	void *addr = (void *)(uintptr_t)arg_u64("addr", 0);
	bool unchecked = arg_u64("unchecked", 0) != 0;
	bool reachable = arg_u64("reachable", 0) != 0;
	int rc;

	if (disk == NULL || use_irq_if_asked(disk) != 0)
		return -1;
	if (reachable)
		rc = use_inside(disk, seed, addr);
	else
		rc = unchecked ? read_unchecked(disk, addr) : refuse_outside(disk, addr);
	if (rc != 0)
		return -1;
	memset(small_buf, POISON_BYTE, sizeof(small_buf));
	if (expect_rc("read after it", vblk_read(disk, 0, small_buf, RESIZE_IO_SECTORS), 0) ||
	    check_pattern(small_buf, seed, 0, RESIZE_IO_SECTORS) != 0)
		return -1;
	stop_irq_if_asked(disk);
	return 0;
}

/* Until the capacity changes: in interrupt mode the handler re-reads it,
 * polled vblk_poll() does; sleep a little in between. */
static uint64_t wait_for_capacity_change(struct vblk_disk *disk, uint64_t old, bool busy)
{
	uint64_t deadline = rt_time_us() + RESIZE_WAIT_US;

	while (vblk_capacity(disk) == old && rt_time_us() < deadline) {
		if (busy) {
			if (vblk_read(disk, 0, small_buf, BIO_SECTORS) != 0)
				break;
			continue;
		}
		plat_irqflags_t flags = plat_irq_save();
		plat_idle(rt_time_us() + RESIZE_POLL_US);
		plat_irq_restore(flags);
		vblk_poll(disk);
	}
	return vblk_capacity(disk);
}

static int check_grown(struct vblk_disk *disk, uint64_t seed, uint64_t old, uint64_t now)
{
	unsigned nrequests;

	/* The new sectors, up to the new end: the host checks them. */
	if (write_range(disk, seed, old, now - old, &nrequests) != 0 ||
	    read_and_check_range(disk, seed, old, now - old, &nrequests) != 0)
		return -1;
	printf("wrote and read back the %lu new sectors\n", (unsigned long)(now - old));
	return 0;
}

static int check_shrunk(struct vblk_disk *disk, uint64_t seed, uint64_t now)
{
	fill_pattern(small_buf, seed, now - 8, 8);
	if (expect_rc("read past the new end", vblk_read(disk, now, small_buf, 8), -VBLK_ERANGE) ||
	    expect_rc("write across the new end", vblk_write(disk, now - 8, small_buf, 16),
		      -VBLK_ERANGE) ||
	    expect_rc("write before the new end", vblk_write(disk, now - 8, small_buf, 8), 0))
		return -1;
	memset(small_buf, POISON_BYTE, sizeof(small_buf));
	if (expect_rc("read before the new end", vblk_read(disk, now - 8, small_buf, 8), 0) ||
	    check_pattern(small_buf, seed, now - 8, 8) != 0)
		return -1;
	printf("I/O past the new end refused, before it works\n");
	return 0;
}

int test_resize(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1), want = arg_u64("new", 0), old, now;
	struct vblk_stats stats;

	if (disk == NULL || use_irq_if_asked(disk) != 0)
		return -1;
	old = vblk_capacity(disk);
	printf("capacity %lu sectors: waiting for resize\n", (unsigned long)old);
	now = wait_for_capacity_change(disk, old, arg_u64("busy", 0) != 0);
	vblk_stats(disk, &stats);
	printf("capacity now %lu sectors (%lu config change(s))\n", (unsigned long)now,
	       (unsigned long)stats.config_changes);
	if (now != want)
		return fail("capacity %lu after the resize, expected %lu", (unsigned long)now,
			    (unsigned long)want);
	if (stats.config_changes == 0)
		return fail("the capacity changed, but no config change was counted");
	int err = now > old ? check_grown(disk, seed, old, now) : check_shrunk(disk, seed, now);
	stop_irq_if_asked(disk);
	return err;
}

/* ---- timeout ----------------------------------------------------------- */

#define SHORT_TIMEOUT_US 100000u   /* the throttled drive takes ~200 ms */
#define MAX_TIMEOUT_READS 50u

/* Synchronous reads until one times out; then the disk is broken until
 * it is reset. */
static int sync_read_times_out(struct vblk_disk *disk, uint64_t seed)
{
	int err = 0;
	unsigned n = 0;

	while (n < MAX_TIMEOUT_READS && err == 0) {
		err = vblk_read(disk, (uint64_t)n * BIO_SECTORS, small_buf, BIO_SECTORS);
		if (err == 0 && check_pattern(small_buf, seed, (uint64_t)n * BIO_SECTORS,
					      BIO_SECTORS) != 0)
			return -1;
		n++;
	}
	if (err != -VBLK_ETIMEDOUT)
		return fail("%u throttled reads with a 100 ms timeout ended with %d (%s), "
			    "expected -VBLK_ETIMEDOUT", n, err, vblk_strerror(err));
	printf("synchronous read %u timed out\n", n);
	if (expect_rc("read on the timed-out disk", vblk_read(disk, 0, small_buf, BIO_SECTORS),
		      -VBLK_EBROKEN) ||
	    expect_rc("vblk_reset", vblk_reset(disk), 0))
		return -1;
	return 0;
}

/* Groups of read bios in flight when the timeout strikes: each bio
 * completes exactly once, with its data or with -VBLK_ETIMEDOUT. */
static int bios_in_flight_time_out(struct vblk_disk *disk, uint64_t seed)
{
	unsigned timed_out = 0, succeeded = 0;

	/* One request per group (plugged), a group's width apart so they
	 * never merge with each other: few requests, because QEMU's
	 * throttling charges every one, even those a reset lets through,
	 * and later requests wait for the debt to be paid. */
	for (unsigned g = 0; g < MAX_GROUPS; g++) {
		vblk_plug(disk);
		if (submit_group(disk, g, VBLK_OP_READ, seed, 2 * g * GROUP_SECTORS) != 0)
			return -1;
		vblk_unplug(disk);
	}
	for (unsigned g = 0; g < MAX_GROUPS; g++) {
		struct group *group = &groups[g];

		vblk_wait_bios(disk, group->ptrs, GROUP_BIOS);
		for (unsigned i = 0; i < GROUP_BIOS; i++) {
			const struct vblk_bio *bio = &group->bios[i];

			if (group->calls[i] != 1)
				return fail("group %u bio %u completed %u times", g, i,
					    group->calls[i]);
			if (bio->status == -VBLK_ETIMEDOUT) {
				timed_out++;
			} else if (bio->status != 0) {
				return fail("group %u bio %u got %d (%s)", g, i, bio->status,
					    vblk_strerror(bio->status));
			} else {
				if (check_pattern(bio->segs[0].addr, seed, bio->sector,
						  BIO_SECTORS) != 0)
					return -1;
				succeeded++;
			}
		}
	}
	if (timed_out == 0)
		return fail("none of %u bios in flight timed out", MAX_GROUPS * GROUP_BIOS);
	printf("bios in flight: %u timed out, %u read their data\n", timed_out, succeeded);
	return expect_rc("vblk_reset", vblk_reset(disk), 0);
}

int test_timeout(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1), wseed = arg_u64("wseed", 2), start, count;
	unsigned nreq;

	if (disk == NULL || chosen_range(disk, &start, &count) != 0 ||
	    use_irq_if_asked(disk) != 0)
		return -1;
	if (start < 2 * MAX_GROUPS * GROUP_SECTORS)
		return fail("start= must lie past the sectors the reads use");
	vblk_set_timeout_us(disk, SHORT_TIMEOUT_US);
	if (sync_read_times_out(disk, seed) != 0 || bios_in_flight_time_out(disk, seed) != 0)
		return -1;

	vblk_set_timeout_us(disk, VBLK_TIMEOUT_US);
	if (write_range(disk, wseed, start, count, &nreq) != 0 ||
	    expect_rc("vblk_flush", vblk_flush(disk), 0) ||
	    read_and_check_range(disk, wseed, start, count, &nreq) != 0)
		return -1;
	stop_irq_if_asked(disk);
	printf("after the resets: wrote and read back %lu sectors\n", (unsigned long)count);
	return 0;
}
