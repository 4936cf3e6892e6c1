/* SPDX-License-Identifier: MIT */
/*
 * What the guest's table shares: bench/bench.c lists the rows and sets up
 * the disk, bench/rows.c runs a row, bench/table.c prints it.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "vblk/vblk.h"

#define KIB 1024u
#define MIB (1024u * 1024u)
#define US_PER_S 1000000u
#define SMALL_IO_BYTES (4u * KIB)
#define SEQ_BUF_BYTES MIB           /* the largest sequential request */
#define BATCH_BIOS 256u             /* adjacent 4 KiB bios per batch: 1 MiB */
#define BATCHES_IN_FLIGHT 3u        /* the guest prepares one batch while the
				       device works on the others */

enum row_kind {
	ROW_SYNC_SEQ,    /* vblk_read/vblk_write at consecutive offsets, polled */
	ROW_SYNC_RAND,   /* vblk_read/vblk_write at random offsets, polled */
	ROW_SYNC_SEQ_FLUSH, /* ROW_SYNC_SEQ writes, each followed by vblk_flush:
			       what a write-through disk does (mode=peers) */
	ROW_BIO_RAND,    /* `depth` bios kept in flight at random offsets, IRQs */
	ROW_BIO_BATCH,   /* a stream of batches of `depth` adjacent bios, IRQs */
};

struct row_spec {
	const char *pattern;   /* "seq" or "rand": what tools/bench.sh maps */
	enum vblk_op op;
	uint32_t size_bytes;   /* per op */
	unsigned depth;        /* ops in flight */
	enum row_kind kind;
	bool plugged;          /* ROW_BIO_BATCH: inside vblk_plug/vblk_unplug */
	const char *api;       /* for the table; no spaces (the script splits on them) */
	unsigned scatter_segs; /* ROW_BIO_RAND: 0, or this many scattered segments */
};

/* What one row produced, for its line in the table. */
struct row_result {
	uint64_t ops, bytes, elapsed_us;
	uint64_t samples, latency_sum_us;
	uint32_t p99_us;
	uint64_t busy_us;
	struct vblk_stats stats;   /* delta over the row */
};

/* rows.c. Before the first row: each row's guest time, how many 4 KiB
 * blocks the disk has, and mode=peers' buffer (NULL otherwise); every
 * buffer is touched then, so QEMU has mapped it before anything is timed
 * (PEERS.md: about 3 ms per MiB on first touch). */
void rows_set_up(uint64_t row_us, uint64_t random_blocks, uint8_t *big_buf);
int run_row(const struct row_spec *spec, struct vblk_disk *disk, struct row_result *result);
bool row_uses_interrupts(const struct row_spec *spec);
/* vblk_irq_handler, timed for the row's busy% (rows.c). */
void timed_irq_handler(void *disk);

/* table.c: the table's header, one row's line, what the columns mean. */
void print_table_header(void);
void print_row(const struct row_spec *spec, const struct row_result *result);
void print_legend(void);

#endif
