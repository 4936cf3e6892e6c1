/* SPDX-License-Identifier: MIT */
/*
 * The vblk benchmark (`make bench` builds build/bench.elf and boots it
 * through tools/bench.sh). It times disk 0 with the generic timer, inside
 * the guest, and prints one table:
 *
 *   - sequential reads and writes of 4 KiB, 64 KiB and 1 MiB through the
 *     synchronous, polled API (vblk_read/vblk_write);
 *   - random 4 KiB reads and writes: depth 1 through the synchronous API,
 *     and depth 1, 8 and 32 through interrupt-driven bios, each completion
 *     resubmitting its bio at a new random offset;
 *   - a stream of adjacent 4 KiB bios, 256 (1 MiB) at a time, submitted
 *     plugged (each batch merges into one request) and unplugged (each bio
 *     is sent when a request slot is free; those that wait for one merge
 *     as they wait), with three batches in flight so the guest
 *     prepares one while the device works on the others;
 *   - random bios made of scattered 4 KiB segments (4 or 16 of them, none
 *     contiguous with the next), so a request needs 6 or 18 descriptors:
 *     at depth 32 the 18-descriptor chains would need 576 of the ring's
 *     256 descriptors, which is where indirect descriptors should pay.
 *
 * Each row runs for a fixed stretch of guest time (row_ms= on the
 * semihosting command line, default 500 ms). Throughput is bytes over the
 * row's wall time; latency is one op's, from its submission (or the sync
 * call) to its completion, except in the batch rows, where it is a whole
 * batch's (its first submission to its last completion): timing each of
 * their bios would cost more guest time than the driver spends on one.
 * An "op" is one sync call or one bio; the op/req ... desc/r columns are vblk_stats deltas per op or per request the
 * driver sent, and busy% is how much of a bio row the guest spent working
 * (interrupt handler, submitting) rather than asleep waiting for QEMU.
 *
 * With the semihosting argument mode=yardstick it runs only the yardstick
 * instead (bench/yardstick.c: vblk against a minimal guest on this disk).
 *
 * With the semihosting argument mode=rings it runs only the split ring
 * against the packed ring on disks 0 and 1 (bench/rings.c).
 *
 * With the semihosting argument mode=peers (`make bench-peers`) it runs
 * only the operations tools/bench-peers.sh times Debian's U-Boot doing:
 * 4 KiB reads and writes one at a time, and 64 MiB reads in one call each
 * (U-Boot sends such a `virtio read` as one request), into a buffer in the
 * RAM after the image.
 *
 * This file lists the rows and sets up the disk; bench/rows.c runs a row,
 * bench/table.c prints it.
 *
 * It writes all over the disk, so it refuses to run unless disk 0's serial
 * is BENCH_SERIAL: tools/bench.sh gives it a scratch image with that
 * serial, and a user's disk never has it. Exit status 0, or 1 on any
 * failure (an I/O error included).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "prng.h"
#include "vblk/runtime.h"
#include "vblk/vblk.h"
#include "rings.h"
#include "yardstick.h"

#define BENCH_SERIAL "vblk-bench-scratch"

#define DEFAULT_ROW_MS 500u
#define MAX_ROW_MS 10000u
#define CMDLINE_BYTES 256
#define PEER_BIG_BYTES (64u * MIB)  /* mode=peers: one large read per call */
#define BIG_BUF_ALIGN (2u * MIB)

static const struct row_spec rows[] = {
	{ "seq", VBLK_OP_READ, 4 * KIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_READ, 64 * KIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_READ, MIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_WRITE, 4 * KIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_WRITE, 64 * KIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_WRITE, MIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "rand", VBLK_OP_READ, 4 * KIB, 1, ROW_SYNC_RAND, false, "sync-poll", 0 },
	{ "rand", VBLK_OP_READ, 4 * KIB, 1, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "rand", VBLK_OP_READ, 4 * KIB, 8, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "rand", VBLK_OP_READ, 4 * KIB, 32, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "rand", VBLK_OP_WRITE, 4 * KIB, 1, ROW_SYNC_RAND, false, "sync-poll", 0 },
	{ "rand", VBLK_OP_WRITE, 4 * KIB, 1, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "rand", VBLK_OP_WRITE, 4 * KIB, 8, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "rand", VBLK_OP_WRITE, 4 * KIB, 32, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "seq", VBLK_OP_READ, 4 * KIB, BATCH_BIOS, ROW_BIO_BATCH, true, "bio-irq-plug", 0 },
	{ "seq", VBLK_OP_READ, 4 * KIB, BATCH_BIOS, ROW_BIO_BATCH, false, "bio-irq", 0 },
	{ "seq", VBLK_OP_WRITE, 4 * KIB, BATCH_BIOS, ROW_BIO_BATCH, true, "bio-irq-plug", 0 },
	{ "seq", VBLK_OP_WRITE, 4 * KIB, BATCH_BIOS, ROW_BIO_BATCH, false, "bio-irq", 0 },
	/* The plugged rows' like: 1 MiB bios, one per batch, driven the same
	 * way (interrupts, three batches in flight). */
	{ "seq", VBLK_OP_READ, MIB, 1, ROW_BIO_BATCH, false, "bio-irq-1M", 0 },
	{ "seq", VBLK_OP_WRITE, MIB, 1, ROW_BIO_BATCH, false, "bio-irq-1M", 0 },
	{ "rand", VBLK_OP_READ, 16 * KIB, 1, ROW_BIO_RAND, false, "bio-irq-sg4", 4 },
	{ "rand", VBLK_OP_READ, 16 * KIB, 32, ROW_BIO_RAND, false, "bio-irq-sg4", 4 },
	{ "rand", VBLK_OP_READ, 64 * KIB, 1, ROW_BIO_RAND, false, "bio-irq-sg16", 16 },
	{ "rand", VBLK_OP_READ, 64 * KIB, 32, ROW_BIO_RAND, false, "bio-irq-sg16", 16 },
	{ "rand", VBLK_OP_WRITE, 64 * KIB, 1, ROW_BIO_RAND, false, "bio-irq-sg16", 16 },
	{ "rand", VBLK_OP_WRITE, 64 * KIB, 32, ROW_BIO_RAND, false, "bio-irq-sg16", 16 },
};
#define ROW_COUNT (sizeof(rows) / sizeof(rows[0]))

/* mode=peers: what tools/bench-peers.sh has U-Boot do (`virtio read` and
 * `virtio write` of 8 sectors at consecutive offsets, and of 64 MiB). */
static const struct row_spec peer_rows[] = {
	{ "seq", VBLK_OP_READ, 4 * KIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_WRITE, 4 * KIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_READ, PEER_BIG_BYTES, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	/* U-Boot negotiates no FLUSH, so QEMU runs its disk write-through (a
	 * host flush after every write): the same work for vblk is a write
	 * and a FLUSH request. */
	{ "seq", VBLK_OP_WRITE, 4 * KIB, 1, ROW_SYNC_SEQ_FLUSH, false, "sync-flush", 0 },
};
#define PEER_ROW_COUNT (sizeof(peer_rows) / sizeof(peer_rows[0]))
static bool peers_mode;
/* mode=yardstick: only vblk against the minimal guest (bench/yardstick.c). */
static bool yardstick_mode;
/* mode=rings: only the split ring against the packed ring, disks 0 and 1
 * (bench/rings.c), `rings_rounds` rounds of row_ms turns. */
static bool rings_mode;
static unsigned rings_rounds = 8;
#define MAX_RINGS_ROUNDS 100u

static uint64_t row_us = (uint64_t)DEFAULT_ROW_MS * 1000u;
/* mode=peers: PEER_BIG_BYTES of RAM after the image (not .bss, which boot
 * code would zero on every run); NULL otherwise. */
static uint8_t *big_buf;
extern char _end[];

/* ---- set-up --------------------------------------------------------- */

static void parse_cmdline(void)
{
	char cmdline[CMDLINE_BYTES];
	const char *found;

	if (rt_cmdline(cmdline, sizeof(cmdline)) < 0)
		return;
	cmdline[sizeof(cmdline) - 1] = '\0';
	peers_mode = strstr(cmdline, "mode=peers") != NULL;
	yardstick_mode = strstr(cmdline, "mode=yardstick") != NULL;
	rings_mode = strstr(cmdline, "mode=rings") != NULL;
	found = strstr(cmdline, "rounds=");
	if (found != NULL) {
		unsigned long n = strtoul(found + strlen("rounds="), NULL, 10);
		if (n > 0 && n <= MAX_RINGS_ROUNDS)
			rings_rounds = (unsigned)n;
	}
	yardstick_configure(cmdline);
	found = strstr(cmdline, "row_ms=");
	if (found != NULL) {
		unsigned long ms = strtoul(found + strlen("row_ms="), NULL, 10);
		if (ms > 0 && ms <= MAX_ROW_MS)
			row_us = (uint64_t)ms * 1000u;
	}
}

/* mode=peers: PEER_BIG_BYTES of the RAM after the image (and after the
 * device tree, should QEMU have put it there), touched before timing. */
static int setup_big_buffer(void)
{
	uintptr_t start = (uintptr_t)_end, dtb = (uintptr_t)rt_dtb();

	if (dtb >= start)
		start = dtb + rt_dtb_max_bytes();
	start = (start + BIG_BUF_ALIGN - 1) & ~(uintptr_t)(BIG_BUF_ALIGN - 1);
	uint64_t ram_end = rt_ram_end(start);
	if (ram_end != 0 && PEER_BIG_BYTES <= ram_end - start) {
		big_buf = (uint8_t *)start;
		uint64_t state = PRNG_SEED;
		for (size_t j = 0; j < PEER_BIG_BYTES; j += sizeof(uint64_t))
			put_le64(big_buf + j, prng_next(&state));
		return 0;
	}
	printf("bench: no %u MiB of RAM after the image for mode=peers (use -m 512M)\n",
	       (unsigned)(PEER_BIG_BYTES / MIB));
	return -1;
}

/* Refuse any disk but the scratch image tools/bench.sh made: every row
 * of writes overwrites data all over it. */
static int check_scratch_disk(struct vblk_disk *disk)
{
	char id[21];
	int err = vblk_get_id(disk, id);

	if (err || strcmp(id, BENCH_SERIAL) != 0) {
		printf("bench: disk 0's serial is not \"%s\": not a scratch disk, not writing "
		       "to it (run `make bench`)\n", BENCH_SERIAL);
		return -1;
	}
	if (vblk_disk_info(disk)->read_only) {
		printf("bench: disk 0 is read-only\n");
		return -1;
	}
	if (vblk_capacity(disk) * VBLK_SECTOR_SIZE < BATCHES_IN_FLIGHT * BATCH_BIOS * SMALL_IO_BYTES + MIB) {
		printf("bench: disk 0 is too small\n");
		return -1;
	}
	return 0;
}

/* The disk's completions reach vblk_irq_handler through the GIC, with the
 * trigger the device tree gives (vblk_info.irq_edge), wrapped so the
 * bench can tell how much of a row the guest spent handling them. */
static int register_disk_irq(struct vblk_disk *disk)
{
	const struct vblk_info *info = vblk_disk_info(disk);

	if (info->intid == 0) {
		printf("bench: no interrupt for disk 0 in the device tree\n");
		return -1;
	}
	int err = rt_irq_register(info->intid, info->irq_edge, timed_irq_handler, disk);
	if (err)
		printf("bench: rt_irq_register(%u): %s\n", (unsigned)info->intid,
		       vblk_strerror(err));
	return err;
}

static void print_disk(struct vblk_disk *disk)
{
	const struct vblk_info *info = vblk_disk_info(disk);
	char features[256];

	char transport[32];

	vblk_feature_names(info->features, features, sizeof(features));
	if (info->transport == VBLK_TRANSPORT_PCI)
		snprintf(transport, sizeof(transport), "virtio-pci %02x:%02x.%u",
			 (unsigned)info->pci.bus, (unsigned)info->pci.dev, (unsigned)info->pci.fn);
	else
		snprintf(transport, sizeof(transport), "virtio-mmio v%u",
			 (unsigned)info->mmio_version);
	printf("disk 0: %llu MiB, %s, queue size %u, features %s\n",
	       (unsigned long long)(info->capacity_sectors * VBLK_SECTOR_SIZE / MIB), transport,
	       (unsigned)info->queue_size, features);
	if (!yardstick_mode)
		printf("each row runs %llu ms of guest time; timer: generic timer (rt_time_us)\n",
		       (unsigned long long)(row_us / 1000u));
}

static struct vblk_disk *setup(void)
{
	parse_cmdline();
	int ndisks = vblk_init_from_dt(rt_dtb(), rt_dtb_max_bytes());
	if (ndisks <= 0) {
		printf("bench: no disk: %s\n", ndisks < 0 ? vblk_strerror(ndisks) : "none attached");
		return NULL;
	}
	struct vblk_disk *disk = vblk_disk(0);
	if (check_scratch_disk(disk) != 0 || register_disk_irq(disk) != 0)
		return NULL;
	if (peers_mode && vblk_capacity(disk) * VBLK_SECTOR_SIZE < PEER_BIG_BYTES) {
		printf("bench: disk 0 is too small for mode=peers\n");
		return NULL;
	}
	if (peers_mode && setup_big_buffer() != 0)
		return NULL;
	if (rings_mode && (ndisks < 2 || check_scratch_disk(vblk_disk(1)) != 0 ||
			   register_disk_irq(vblk_disk(1)) != 0)) {
		printf("bench: mode=rings needs a second scratch disk\n");
		return NULL;
	}
	rows_set_up(row_us, vblk_capacity(disk) / (SMALL_IO_BYTES / VBLK_SECTOR_SIZE), big_buf);
	print_disk(disk);
	return disk;
}

int main(void)
{
	struct vblk_disk *disk = setup();
	struct row_result result;

	if (disk == NULL)
		return 1;
	if (yardstick_mode)
		return yardstick_run(disk) == 0 && vblk_flush(disk) == 0 ? 0 : 1;
	if (rings_mode)
		return rings_run(disk, vblk_disk(1), rings_rounds) == 0 && vblk_flush(disk) == 0 &&
			       vblk_flush(vblk_disk(1)) == 0 ? 0 : 1;
	const struct row_spec *table = peers_mode ? peer_rows : rows;
	unsigned count = peers_mode ? PEER_ROW_COUNT : ROW_COUNT;
	print_table_header();
	for (unsigned i = 0; i < count; i++) {
		int err = run_row(&table[i], disk, &result);
		if (err) {
			printf("bench: row %u (%s %s) failed: %s\n", i, table[i].pattern,
			       table[i].api, vblk_strerror(err));
			return 1;
		}
		print_row(&table[i], &result);
	}
	print_legend();
	int err = vblk_use_interrupts(disk, false);
	if (!err)
		err = vblk_flush(disk);
	if (err) {
		printf("bench: %s\n", vblk_strerror(err));
		return 1;
	}
	return 0;
}
