/* SPDX-License-Identifier: MIT */
/*
 * The guest's table (bench/bench.c): its header, one line per row, and
 * the legend under it. tools/bench.sh reads the lines back, splitting on
 * spaces, so no cell may hold one.
 */
#include <stdio.h>

#include "bench.h"

/* The runtime's printf has no floating point: fixed-point by hand. */

/* value / divisor with `decimals` (1 or 2) digits after the point. */
static void print_fixed(int width, uint64_t value, uint64_t divisor, unsigned decimals)
{
	uint64_t scale = decimals == 1 ? 10 : 100;
	uint64_t scaled = divisor ? (value * scale + divisor / 2) / divisor : 0;
	char text[32];

	snprintf(text, sizeof(text), "%llu.%0*llu", (unsigned long long)(scaled / scale),
		 (int)decimals, (unsigned long long)(scaled % scale));
	printf(" %*s", width, text);
}

static void print_size(uint32_t size_bytes)
{
	char text[16];

	if (size_bytes >= MIB)
		snprintf(text, sizeof(text), "%uM", (unsigned)(size_bytes / MIB));
	else
		snprintf(text, sizeof(text), "%uK", (unsigned)(size_bytes / KIB));
	printf(" %5s", text);
}

void print_table_header(void)
{
	printf("%-5s %-5s %5s %5s %-12s %7s %8s %7s %7s %7s %6s %6s %6s %6s %6s %6s %5s\n",
	       "test", "rw", "size", "depth", "api", "ops", "MiB/s", "IOPS", "mean_us", "p99_us",
	       "op/req", "req/op", "kick/r", "irq/r", "desc/r", "full/r", "busy%");
}

void print_row(const struct row_spec *spec, const struct row_result *result)
{
	const struct vblk_stats *stats = &result->stats;

	printf("%-5s %-5s", spec->pattern, spec->op == VBLK_OP_WRITE ? "write" : "read");
	print_size(spec->size_bytes);
	printf(" %5u %-12s %7llu", spec->depth, spec->api, (unsigned long long)result->ops);
	print_fixed(8, result->bytes * US_PER_S, result->elapsed_us * MIB, 1);
	printf(" %7llu", (unsigned long long)(result->elapsed_us
					       ? result->ops * US_PER_S / result->elapsed_us : 0));
	print_fixed(7, result->latency_sum_us, result->samples, 1);
	printf(" %7u", (unsigned)result->p99_us);
	print_fixed(6, result->ops, stats->requests, 2);
	print_fixed(6, stats->requests, result->ops, 2);
	print_fixed(6, stats->notifications, stats->requests, 2);
	print_fixed(6, stats->interrupts, stats->requests, 2);
	print_fixed(6, stats->descriptors, stats->requests, 2);
	print_fixed(6, stats->queue_full, stats->requests, 2);
	if (row_uses_interrupts(spec))
		printf(" %5llu\n", (unsigned long long)(result->elapsed_us
						       ? result->busy_us * 100 / result->elapsed_us : 0));
	else
		printf(" %5s\n", "-");   /* polling: busy all the time by construction */
	/* A figure taken while interrupts went nowhere would measure the
	 * recheck timer, not the driver: say so under the row. */
	if (stats->missed_interrupts != 0)
		printf("bench: WARNING: %llu interrupts of the row above never reached the "
		       "handler\n", (unsigned long long)stats->missed_interrupts);
}

void print_legend(void)
{
	printf("op: one sync call (sync-*) or one bio (bio-*); MiB/s and IOPS over the row's "
	       "wall time;\n"
	       "latency: submission (or call) to completion of one op (the batch rows: of one\n"
	       "batch, first submission to last completion), 1 us timer resolution;\n"
	       "op/req, req/op: ops per virtio request sent (merging) and requests per op "
	       "(splitting);\n"
	       "kick/r, irq/r, desc/r: notifications, interrupts, ring descriptors per request\n"
	       "(a chain through an indirect table takes one);\n"
	       "full/r: runs of the queue stopped for ring space (a waiting request at\n"
	       "each), per request;\n"
	       "busy%%: share of the row the guest spent in the disk's interrupt handler or\n"
	       "submitting (bio rows; the rest it slept in wfi, or polled inside a wait,\n"
	       "which finds completions at low depth and is not counted)\n");
}
