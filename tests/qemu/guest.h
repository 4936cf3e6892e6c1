/* SPDX-License-Identifier: MIT */
/*
 * What the QEMU test image's files share: argument parsing, failure
 * reporting, the per-sector pattern, and the disk the arguments choose.
 * guest_tests.c holds these and the table of test cases; each other
 * guest_*.c file adds cases of one kind.
 */
#ifndef VBLK_TESTS_QEMU_GUEST_H
#define VBLK_TESTS_QEMU_GUEST_H

#include <stdint.h>

#include "vblk/vblk.h"

#define SECTOR_BYTES VBLK_SECTOR_SIZE

/* Filled into a buffer before every read, so data left from an earlier
 * request can never pass for what the device returned. */
#define POISON_BYTE 0xa5

#define EXIT_PASS 0
#define EXIT_FAIL 1

/* The semihosting arguments (key=value); NULL or `fallback` if absent. A
 * malformed number ends the run with a FAIL line. */
const char *arg_str(const char *key);
uint64_t arg_u64(const char *key, uint64_t fallback);

/* Record why the test failed (the first reason wins); returns -1. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A call that must return exactly `want`: 0, or fail() and -1. */
int expect_rc(const char *call, int got, int want);

/* The pattern tools/diskpat writes and checks on the host. */
void fill_pattern(uint8_t *buf, uint64_t seed, uint64_t first_sector, uint32_t nsectors);
int check_pattern(const uint8_t *buf, uint64_t seed, uint64_t first_sector, uint32_t nsectors);

/* disk= (default 0), and start=/count= checked against it. */
struct vblk_disk *chosen_disk(void);
int chosen_range(struct vblk_disk *disk, uint64_t *start, uint64_t *count);

/* The synchronous API over [start, start + count): write the pattern, or
 * read and check it, with requests of mixed sizes (guest_tests.c). */
int write_range(struct vblk_disk *disk, uint64_t seed, uint64_t start, uint64_t count,
		unsigned *nrequests);
int read_and_check_range(struct vblk_disk *disk, uint64_t seed, uint64_t start, uint64_t count,
			 unsigned *nrequests);

/* The asynchronous API over the same: bios of mixed sizes and segment
 * layouts, `depth` at a time, every other batch plugged (guest_async.c). */
int async_pass(struct vblk_disk *disk, enum vblk_op op, uint64_t seed, uint64_t start,
	       uint64_t count, unsigned depth, unsigned *nbios);
/* irq=1: take the disk's completions by interrupt (after a few polled
 * requests), until stop_irq_if_asked(). */
int use_irq_if_asked(struct vblk_disk *disk);
void stop_irq_if_asked(struct vblk_disk *disk);
/* Every interrupt the device raised reached vblk_irq_handler: 0, or fail(). */
int expect_no_missed_interrupts(const struct vblk_stats *stats);

/* attach_pci=BUS:DEV.FN: the disk found as firmware without a device tree
 * would (guest_pci.c). */
int attach_pci_as_firmware(const char *where);

/* Test cases outside guest_tests.c. */
int test_reinit(void);
int test_wait_in_irq_callback(void);
int test_async_io(void);
int test_merge_equal(void);
int test_integrity(void);
int test_interrupts(void);
int test_virtio_irq(void);
int test_fault_merged(void);
int test_flush_error(void);
int test_resize(void);
int test_timeout(void);
int test_outside_ram(void);
int test_discard(void);
int test_pci_map(void);

#endif
