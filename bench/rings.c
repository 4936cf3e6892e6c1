/* SPDX-License-Identifier: MIT */
/*
 * Split ring against packed ring, two disks in one QEMU process
 * (bench/rings.h). Each turn is one bench/rows.c row of `turn_us` on one
 * disk; a round is split, packed, packed, split.
 */
#include <stdio.h>

#include "bench.h"
#include "rings.h"

/* The rows compared: depth 1 polled and with interrupts, large requests,
 * and depth 32, where the rings' bookkeeping per request shows most. */
static const struct row_spec ring_rows[] = {
	{ "rand", VBLK_OP_READ, 4 * KIB, 1, ROW_SYNC_RAND, false, "sync-poll", 0 },
	{ "rand", VBLK_OP_WRITE, 4 * KIB, 1, ROW_SYNC_RAND, false, "sync-poll", 0 },
	{ "rand", VBLK_OP_READ, 4 * KIB, 1, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "seq", VBLK_OP_READ, MIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "seq", VBLK_OP_WRITE, MIB, 1, ROW_SYNC_SEQ, false, "sync-poll", 0 },
	{ "rand", VBLK_OP_READ, 4 * KIB, 32, ROW_BIO_RAND, false, "bio-irq", 0 },
	{ "rand", VBLK_OP_WRITE, 4 * KIB, 32, ROW_BIO_RAND, false, "bio-irq", 0 },
};
#define RING_ROW_COUNT (sizeof(ring_rows) / sizeof(ring_rows[0]))

/* Ops and guest time one disk ran in a round. */
struct ring_side {
	uint64_t ops, elapsed_us;
};

static int turn(const struct row_spec *spec, struct vblk_disk *disk, struct ring_side *side)
{
	struct row_result result;
	int err = run_row(spec, disk, &result);

	side->ops += result.ops;
	side->elapsed_us += result.elapsed_us;
	return err;
}

static int round_abba(const struct row_spec *spec, struct vblk_disk *split,
		      struct vblk_disk *packed, struct ring_side *split_side,
		      struct ring_side *packed_side)
{
	int err = turn(spec, split, split_side);
	if (!err)
		err = turn(spec, packed, packed_side);
	if (!err)
		err = turn(spec, packed, packed_side);
	if (!err)
		err = turn(spec, split, split_side);
	return err;
}

int rings_run(struct vblk_disk *a, struct vblk_disk *b, unsigned rounds)
{
	bool a_packed = vblk_disk_info(a)->ring_packed, b_packed = vblk_disk_info(b)->ring_packed;

	if (a_packed == b_packed) {
		printf("rings: the two disks use the same ring format (%s): one needs packed=on\n",
		       a_packed ? "packed" : "split");
		return -VBLK_EINVAL;
	}
	struct vblk_disk *split = a_packed ? b : a, *packed = a_packed ? a : b;
	printf("rings: %u rounds of split, packed, packed, split per row\n", rounds);
	for (unsigned i = 0; i < RING_ROW_COUNT; i++) {
		const struct row_spec *spec = &ring_rows[i];
		for (unsigned round = 1; round <= rounds; round++) {
			struct ring_side split_side = { 0 }, packed_side = { 0 };
			int err = round_abba(spec, split, packed, &split_side, &packed_side);
			if (err) {
				printf("rings: row %u failed: %s\n", i, vblk_strerror(err));
				return err;
			}
			printf("ring %s %s %uK %u %s %u %llu %llu %llu %llu\n", spec->pattern,
			       spec->op == VBLK_OP_WRITE ? "write" : "read",
			       (unsigned)(spec->size_bytes / KIB), spec->depth, spec->api, round,
			       (unsigned long long)split_side.ops,
			       (unsigned long long)split_side.elapsed_us,
			       (unsigned long long)packed_side.ops,
			       (unsigned long long)packed_side.elapsed_us);
		}
	}
	int err = vblk_use_interrupts(split, false);
	return err ? err : vblk_use_interrupts(packed, false);
}
