/* SPDX-License-Identifier: MIT */
/*
 * The asynchronous API: bios, the request queue, interrupts.
 *
 * A bio ("block I/O", as in Linux) asks for one operation on a run of
 * sectors, with the data in a list of memory segments. vblk_submit() queues
 * it and returns at once; when the device has answered, the bio's `done`
 * callback runs once with the result. In between, the queue merges bios
 * that touch adjacent sectors into one request (one descriptor chain, one
 * ring slot), so 64 small adjacent writes can cost the device a handful of
 * requests:
 *
 *   bio  bio  bio  bio      vblk_submit()       (plugged: held back)
 *     \   |    |   /
 *      request  request     back/front merges   (vblk_unplug: dispatch)
 *        |        |
 *      chain    chain       header | data... | status, in the ring
 *
 * Completions are found by polling (vblk_poll, or the wait helpers) or by
 * the device's interrupt (vblk_irq_handler, registered with your interrupt
 * controller after vblk_use_interrupts). Example:
 *
 *   static void done(struct vblk_bio *bio, int status) { ... }
 *
 *   struct vblk_seg seg = { buf, 4096 };
 *   struct vblk_bio bio = { .op = VBLK_OP_WRITE, .sector = 8, .segs = &seg,
 *                           .nsegs = 1, .done = done };
 *   err = vblk_submit(disk, &bio);       // 0: done() will run exactly once
 *   ...
 *   err = vblk_wait_bios(disk, &(struct vblk_bio *){ &bio }, 1);
 *
 * Context rules (one CPU; the queue masks IRQs around its own state):
 *  - a `done` callback runs in the interrupt handler, or inside the vblk
 *    call that found the completion (vblk_poll, the wait helpers, the
 *    synchronous API; in interrupt mode too, since a wait polls for a
 *    while before it sleeps). It may call vblk_submit() and vblk_plug()/
 *    vblk_unplug(), and read vblk_stats(); it must not wait (vblk_wait_*,
 *    vblk_read/write/flush/get_id), reset or shut down the disk (a
 *    vblk_reset of its own disk and vblk_shutdown are refused:
 *    -VBLK_ESTATE);
 *  - everything else is called from thread context only.
 */
#ifndef VBLK_BIO_H
#define VBLK_BIO_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vblk_disk;

enum vblk_op {
	VBLK_OP_READ,    /* device -> memory */
	VBLK_OP_WRITE,   /* memory -> device */
	VBLK_OP_FLUSH,   /* make completed writes durable; no data, no sector */
	VBLK_OP_GET_ID,  /* the device's ID string: vblk_get_id's own bio,
			    which vblk_submit refuses (-VBLK_EINVAL) */
	VBLK_OP_DISCARD, /* the device may forget `nsectors` sectors from
			    `sector` on (what they read back as is
			    unspecified); no segments */
	VBLK_OP_WRITE_ZEROES, /* `nsectors` sectors from `sector` read back
			    as zeros; no segments; `flags` may hold
			    VBLK_WZ_UNMAP */
};

/* WRITE_ZEROES flag: the device may deallocate the range instead of
 * writing zeros (it reads back as zeros either way; whether it does is
 * vblk_info.write_zeroes_may_unmap). */
#define VBLK_WZ_UNMAP 1u

/* One piece of memory. addr is VBLK_DMA_ALIGN-aligned and len_bytes a
 * non-zero multiple of 512: a segment holds whole sectors. */
struct vblk_seg {
	void *addr;
	uint32_t len_bytes;
};

struct vblk_bio;
typedef void (*vblk_bio_done_fn)(struct vblk_bio *bio, int status);

struct vblk_bio {
	/* Set by the caller before vblk_submit(). The bio, its segment array
	 * and the memory they describe belong to vblk until `done` runs;
	 * submitting it again before then is refused (-VBLK_EBUSY). */
	enum vblk_op op;
	uint64_t sector;              /* first 512-byte sector */
	const struct vblk_seg *segs;  /* nsegs entries, in sector order */
	uint16_t nsegs;
	uint64_t nsectors;            /* DISCARD and WRITE_ZEROES only: the
					 range's length in 512-byte sectors
					 (they carry no segments: nsegs 0);
					 other ops ignore it */
	uint32_t flags;               /* WRITE_ZEROES: 0 or VBLK_WZ_UNMAP;
					 DISCARD: 0; other ops ignore it */
	vblk_bio_done_fn done;        /* may be NULL (then use the wait helpers) */
#ifndef __cplusplus
	void *private;                /* yours */
#else
	void *private_;               /* yours (`private` is a C++ keyword) */
#endif

	/* Set by vblk. Start a bio with these zeroed (declare it with an
	 * initializer, as in the example atop this file) or reuse one that
	 * has completed. */
	int status;                   /* 0 or -VBLK_E*, valid once completed */
	bool completed;               /* set just before `done` runs */
	uint32_t bytes;               /* sum of the segment lengths */
	struct vblk_bio *next;        /* vblk's link while queued */
	struct vblk_disk *owner;      /* the disk holding it, from vblk_submit
					 until just before `done` runs */
};

/*
 * Queue a bio. Returns 0: it will complete exactly once (its `done` runs,
 * with 0 or a negative error). Or a negative error, and nothing was queued
 * and `done` will not run: -VBLK_EINVAL (NULL, no segments, bad op,
 * a zero-length segment, a FLUSH with segments; a DISCARD or
 * WRITE_ZEROES with segments, 0 sectors or an unknown flag),
 * -VBLK_EALIGN (segment address or length, or the
 * sector range not whole logical blocks; a discard off
 * discard_sector_alignment), -VBLK_ERANGE, -VBLK_EROFS,
 * -VBLK_EUNSUPP (DISCARD or WRITE_ZEROES the disk does not offer),
 * -VBLK_ETOOBIG (more segments or bytes than one request can carry:
 * vblk_max_bio_segs/vblk_max_bio_bytes; a range longer than
 * vblk_max_range_sectors), -VBLK_EFAULT (a segment outside the memory
 * given with vblk_set_dma_ranges: vblk.h), -VBLK_EBUSY (this bio is
 * queued or in flight already: submitted twice), -VBLK_EBROKEN (the
 * disk is stopped: vblk_reset), -VBLK_ESTATE (not attached, shut down,
 * or being reset or shut down right now: from a callback or an
 * interrupt, say; every disk refuses new bios from the moment
 * vblk_shutdown begins, so a callback that resubmits cannot keep it
 * from ending). A full ring is not an error: the bio waits in the
 * queue.
 *
 * A bio completed with -VBLK_EHELD is the exception to "the memory is
 * yours again once `done` runs": the device did not confirm its reset
 * and may still use the buffers (vblk/error.h).
 *
 * DISCARD and WRITE_ZEROES bios merge with adjacent bios of the same op
 * (and, for WRITE_ZEROES, the same flags) into one request, whose range
 * the device gets cut into segments of at most max_*_sectors, at most
 * max_*_seg of them; never with any other op.
 *
 * Order: a bio never merges into, or is dispatched ahead of, a queued
 * request it overlaps or a FLUSH queued before it. Bios that are in the
 * device's hands at the same time may complete in any order (virtio
 * promises none), so wait for a write before you submit an overlapping
 * bio whose result depends on it.
 *
 * A FLUSH on a disk without VIRTIO_BLK_F_FLUSH (a write-through device,
 * virtio 1.2 §5.2.5) has nothing to do: it completes inside vblk_submit,
 * `done` included. Writes and flushes on a read-only disk: -VBLK_EROFS.
 */
int vblk_submit(struct vblk_disk *disk, struct vblk_bio *bio);

/* Hold submitted bios back so they can merge; vblk_unplug dispatches them,
 * as do the wait helpers and a full plug: 32 requests, or bios waiting
 * because every request slot is taken (a disk may have fewer than 32).
 * What one of these sends that the ring cannot take yet (or a FLUSH,
 * until what is before it completes) goes out as completions make room,
 * with whatever is queued behind it, as do the bios that waited for a
 * slot; otherwise a completion does not dispatch. Plugs do not nest, and bios a callback submits
 * while the thread is plugged join the plug. A wait dispatches whatever
 * is plugged, also a plug a callback takes while the wait runs: a wait
 * never waits on work it has not sent. */
void vblk_plug(struct vblk_disk *disk);
void vblk_unplug(struct vblk_disk *disk);

/* Limits of one bio on this disk (its segments may be split in two only
 * at size_max boundaries; each needs a descriptor). The segment limit is
 * min(seg_max, queue size - 2) with or without indirect descriptors: a
 * chain is no longer than the queue inside a table either (virtio 1.2
 * §2.7.5.3.1). */
uint32_t vblk_max_bio_segs(const struct vblk_disk *disk);
uint32_t vblk_max_bio_bytes(const struct vblk_disk *disk);
/* The most sectors one DISCARD or WRITE_ZEROES bio may cover on this
 * disk (its limit per segment, in whole alignment units, times its
 * segments per request, of which vblk uses at most 4: a request slot
 * holds four); 0 without the feature, with limits that leave no
 * whole unit (the command is then refused with -VBLK_EUNSUPP), or for
 * another op. */
uint64_t vblk_max_range_sectors(const struct vblk_disk *disk, enum vblk_op op);

/* Harvest completed requests and run their callbacks; also stops the
 * disk with -VBLK_ETIMEDOUT when a request is overdue (the rule of
 * vblk_set_timeout_us, vblk.h), and in polled mode notices a
 * configuration change (a resized disk: the new capacity, which
 * interrupt mode picks up on its own). Returns the number of requests
 * completed; -VBLK_EINVAL for a NULL disk, -VBLK_ESTATE for one not
 * attached, shut down or being reset (from a callback the reset runs),
 * -VBLK_EBROKEN for a disk stopped before this
 * call (for whatever reason, a timeout included, until vblk_reset) or
 * by it (the device broke the protocol or asked for a reset), or
 * -VBLK_ETIMEDOUT when this call found a request overdue. In interrupt
 * mode the handler does this on its own. */
int vblk_poll(struct vblk_disk *disk);

/* Wait (sleeping in interrupt mode, polling otherwise) until every one of
 * `bios` has completed, dispatching any that are held back by a plug.
 * Returns 0 or the first bio's error; -VBLK_ETIMEDOUT if a request is
 * overdue (the disk's timeout: vblk_set_timeout_us; the device is then
 * reset and every queued bio completed with that error, so nothing is
 * left in the device's hands; or, for the bios the device held, with
 * -VBLK_EHELD if it did not confirm the reset: their memory is not yours
 * yet, vblk/error.h);
 * -VBLK_EINVAL for a NULL disk or bio, or a bio that was never submitted
 * to `disk` (found when its queue ran empty without completing it). A
 * count of 0 returns 0.
 * The bios' callbacks must not free or resubmit them. Called from a
 * callback (which must not wait): the disk's error at once if the disk is
 * being stopped (its bios complete after the callback), -VBLK_ESTATE for a
 * bio of the callback's own request, told only after it returns. */
int vblk_wait_bios(struct vblk_disk *disk, struct vblk_bio *const *bios, unsigned count);

/* Wait until the queue is empty: nothing pending, nothing in flight.
 * Returns 0 once it is, whatever the bios' results: a request that times
 * out, or a device that breaks, during the drain stops the disk and
 * completes every bio with that error, and the drain still returns 0
 * (each bio's status says how it ended; the disk then answers
 * -VBLK_EBROKEN). -VBLK_EINVAL for a NULL disk; inside a callback of a
 * disk being stopped, the disk's error at once. */
int vblk_drain(struct vblk_disk *disk);

/*
 * Interrupts. vblk_use_interrupts(disk, true) asks the device to interrupt
 * on completions; register vblk_irq_handler(disk) for the disk's INTID
 * (vblk_disk_info()->intid, irq_edge) with your interrupt controller
 * first, e.g. with the vblk runtime:
 *
 *   const struct vblk_info *info = vblk_disk_info(disk);
 *   rt_irq_register(info->intid, info->irq_edge, vblk_irq_handler, disk);
 *   vblk_use_interrupts(disk, true);
 *
 * The handler reads and acknowledges InterruptStatus, completes requests,
 * dispatches queued ones, and on a configuration change re-reads the
 * capacity. Waits then sleep with plat_idle() instead of polling.
 *
 * Disks may share an INTID (a PCI INTx line: on QEMU virt slots N and
 * N + 4 share one of four). The handler of any of them takes the
 * interrupt of all: those in interrupt mode as their own handler would,
 * polled ones (the one it was registered for too) only so far as to
 * lower the line (their completions are still found by polling).
 * Register it once per INTID, for any disk on it; a second registration
 * (rt_irq_register refuses it: -VBLK_ESTATE) is not needed, and a polled
 * disk needs none.
 *
 * vblk_use_interrupts returns 0; -VBLK_EINVAL for a NULL disk,
 * -VBLK_ESTATE for one not attached, shut down or being reset (from a
 * callback the reset runs), -VBLK_EBROKEN for a stopped disk (also one
 * the switch found broken: a configuration change asking for a reset).
 */
int vblk_use_interrupts(struct vblk_disk *disk, bool on);
void vblk_irq_handler(void *disk);

/* What the queue has done since the disk was attached or
 * vblk_reset_stats() was called (vblk_reset keeps the counts). */
struct vblk_stats {
	uint64_t bios;             /* bios queued: vblk_submit's, and the ones
				      the synchronous calls make of theirs */
	uint64_t requests;         /* requests dispatched to the ring */
	uint64_t back_merges;      /* bios appended to a queued request */
	uint64_t front_merges;     /* bios prepended to a queued request */
	uint64_t coalesced_segs;   /* segments joined with a contiguous neighbour */
	uint64_t descriptors;      /* ring descriptors used by those requests */
	uint64_t notifications;    /* QueueNotify writes (kicks) */
	uint64_t interrupts;       /* interrupts handled that its device
				      raised (a line mate's are not) */
	uint64_t missed_interrupts;/* interrupts the device raised that never
				    * reached vblk_irq_handler, seen by waits
				    * that slept VBLK_IRQ_RECHECK_US twice
				    * without one (is the handler registered
				    * for the disk's INTID?) */
	uint64_t config_changes;   /* configuration-change interrupts */
	uint64_t bad_interrupts;   /* InterruptStatus reads with bits virtio
				    * does not define (acknowledged; a bit
				    * that stays up after that breaks the
				    * disk) */
	uint64_t completions;      /* requests completed */
	uint64_t errors;           /* bios completed with an error */
	uint64_t queue_full;       /* runs of the queue stopped for ring
				    * space (a request that waits is
				    * counted at each run that finds none) */
	uint64_t renotifications;  /* notifications sent again after
				    * VBLK_RENOTIFY_US without a completion
				    * (not in `notifications`) */
};

void vblk_stats(const struct vblk_disk *disk, struct vblk_stats *stats);
void vblk_reset_stats(struct vblk_disk *disk);

#ifdef __cplusplus
}
#endif

#endif
