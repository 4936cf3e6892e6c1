/* SPDX-License-Identifier: MIT */
/*
 * The bios a host test submits (queue, conformance), and what their
 * callbacks were told.
 *
 * It offers the bios and their segment arrays (`bios`, `segs`), how often
 * each bio's callback ran and with which status (`done_calls`,
 * `done_status`), make_bio to set bio i up, log_done for every callback to
 * call first, and bio_log_reset for a test's setup. bios[i].private holds
 * i, so a callback finds its index with bio_index().
 *
 * What else a test's callbacks remember (in interrupt context? in which
 * order? was the queue still live?) stays in arrays of its own, indexed
 * the same way.
 */
#ifndef VBLK_TESTS_BIO_LOG_H
#define VBLK_TESTS_BIO_LOG_H

#include <stdint.h>

#include "vblk/vblk.h"
/* BLK_MAX_REQS: the requests the driver has. */
#include "blk/disk.h"

/* Enough to fill every request the driver has and keep more waiting. */
#define MAX_BIOS         (BLK_MAX_REQS + 32)
#define MAX_SEGS_PER_BIO 4

extern struct vblk_bio bios[MAX_BIOS];
extern struct vblk_seg segs[MAX_BIOS][MAX_SEGS_PER_BIO];
extern unsigned done_calls[MAX_BIOS];
extern int done_status[MAX_BIOS];

void bio_log_reset(void);

/* Bio `idx`: `op` on `sector`, one segment of `len_bytes` at `addr` (none
 * if `addr` is NULL), completing through `done`. */
struct vblk_bio *make_bio(unsigned idx, enum vblk_op op, uint64_t sector, void *addr,
			  uint32_t len_bytes, vblk_bio_done_fn done);

unsigned bio_index(const struct vblk_bio *bio);

/* Count a callback of `bio` with `status`; returns bio_index(bio). */
unsigned log_done(const struct vblk_bio *bio, int status);

#endif
