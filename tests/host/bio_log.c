/* SPDX-License-Identifier: MIT */
/*
 * The bios of a host test and the calls of their callbacks: see bio_log.h.
 */
#include <string.h>

#include "bio_log.h"

struct vblk_bio bios[MAX_BIOS];
struct vblk_seg segs[MAX_BIOS][MAX_SEGS_PER_BIO];
unsigned done_calls[MAX_BIOS];
int done_status[MAX_BIOS];

void bio_log_reset(void)
{
	memset(bios, 0, sizeof(bios));
	memset(segs, 0, sizeof(segs));
	memset(done_calls, 0, sizeof(done_calls));
	memset(done_status, 0, sizeof(done_status));
}

struct vblk_bio *make_bio(unsigned idx, enum vblk_op op, uint64_t sector, void *addr,
			  uint32_t len_bytes, vblk_bio_done_fn done)
{
	segs[idx][0] = (struct vblk_seg){ addr, len_bytes };
	bios[idx] = (struct vblk_bio){
		.op = op, .sector = sector, .segs = segs[idx], .nsegs = addr ? 1 : 0,
		.done = done, .private = (void *)(uintptr_t)idx,
	};
	return &bios[idx];
}

unsigned bio_index(const struct vblk_bio *bio)
{
	return (unsigned)(uintptr_t)bio->private;
}

unsigned log_done(const struct vblk_bio *bio, int status)
{
	unsigned idx = bio_index(bio);

	done_calls[idx]++;
	done_status[idx] = status;
	return idx;
}
