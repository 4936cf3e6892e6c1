/* SPDX-License-Identifier: MIT */
/*
 * The API's entry points for data, behind one validator: vblk_read and
 * vblk_write (synchronous: polled, or with interrupts) and vblk_submit
 * (asynchronous: a bio, completed through its callback). Both check the
 * disk and the op (check_op), then the sector range (check_range), with
 * the same functions; a read's or write's one buffer is checked as
 * check_segments and check_reachable check a bio's segments, written out
 * for one buffer. Among the arguments is
 * the buffers' memory: once vblk_set_dma_ranges has said what the device
 * may use, nothing else is handed to it.
 *
 * A synchronous request goes straight out when it would pass nothing in
 * the queue: its bio is built into a request slot and started by the
 * device layer (blk/device.c), kicked here, and, polled, harvested here
 * in one small loop (blk_sync_run). Otherwise it goes the asynchronous
 * way: the queue takes the bio behind what is there (blk/queue.c), and
 * the general wait (blk/wait.c) sees it through. Either way the bio
 * completes as any other does, so a reset, a timeout or the interrupt
 * handler may finish it in the caller's stead. The other commands (FLUSH,
 * GET_ID, DISCARD, WRITE_ZEROES) are blk/commands.c.
 */
#include "blk/check.h"
#include "blk/sync.h"

#include <string.h>

/* ---- Memory the device may use ----
 *
 * The platform's RAM, as the application (or the vblk runtime, from the
 * device tree) gives it with vblk_set_dma_ranges. A buffer the device
 * cannot reach is refused before it goes near a ring (-VBLK_EFAULT): QEMU
 * takes an address outside its RAM as a broken driver, gives up on the
 * device or, on a packed ring, never finishes the notification, and an
 * address in a device's registers would have the disk's data written
 * into them. Until ranges are given every address is taken: vblk cannot
 * know the memory map of firmware that does not say it.
 */

static struct vblk_dma_range dma_ranges[VBLK_MAX_DMA_RANGES];
static unsigned dma_range_count;

VBLK_COLD int vblk_set_dma_ranges(const struct vblk_dma_range *given, unsigned count)
{
	if (count > VBLK_MAX_DMA_RANGES || (count > 0 && given == NULL))
		return -VBLK_EINVAL;
	for (unsigned i = 0; i < count; i++) {
		/* Empty, or wrapping past the top of the address space. */
		if (given[i].size_bytes == 0 || given[i].base + given[i].size_bytes - 1 < given[i].base)
			return -VBLK_EINVAL;
	}
	/* The checks read the table with IRQs masked (vblk_submit) or from
	 * a callback in the disk's interrupt: change it likewise. */
	plat_irqflags_t flags = plat_irq_save();
	for (unsigned i = 0; i < count; i++)
		dma_ranges[i] = given[i];
	dma_range_count = count;
	plat_irq_restore(flags);
	return 0;
}

/*
 * Every byte of the buffer in the ranges. Usually one range holds it all;
 * a buffer across the border of ranges that touch (RAM the device tree
 * gives in pieces) is followed from one to the next.
 */
static bool in_dma_ranges(const void *buf, uint64_t len_bytes)
{
	uint64_t addr = plat_virt_to_phys(buf);

	if (len_bytes == 0 || len_bytes - 1 > UINT64_MAX - addr)
		return false;   /* nothing, or past the top of the address space */
	for (unsigned i = 0; i < dma_range_count;) {
		const struct vblk_dma_range *range = &dma_ranges[i];
		uint64_t offset = addr - range->base;   /* wraps if below it */
		if (addr < range->base || offset >= range->size_bytes) {
			i++;
			continue;
		}
		uint64_t left_in_range = range->size_bytes - offset;
		if (len_bytes <= left_in_range)
			return true;
		addr += left_in_range;   /* the rest, in whichever range holds it */
		len_bytes -= left_in_range;
		i = 0;
	}
	return false;
}

/* ---- The checks (those blk/commands.c shares: blk/check.h) ---- */

/* DISCARD and WRITE_ZEROES: never sent to a device that did not offer
 * them (virtio 1.2 §2.2); they change the disk, so not to a read-only
 * one. GET_ID is vblk_get_id's own (a 20-byte buffer); the rest is no op.
 * Apart, so the common ops' check stays small. */
static int check_other_op(const struct vblk_disk *disk, enum vblk_op op)
{
	if (op != VBLK_OP_DISCARD && op != VBLK_OP_WRITE_ZEROES)
		return -VBLK_EINVAL;
	if (disk->dev.info.read_only)
		return -VBLK_EROFS;
	return blk_range_limits(disk, op)->max_segs ? 0 : -VBLK_EUNSUPP;
}

/*
 * May `op` run on this disk now? The check both APIs start with: the disk
 * is up (blk_check_disk says why not), then the op. A read-only disk
 * takes no write or flush (virtio 1.2 §5.2.6.1 asks the driver to accept
 * RO and then refuse writes itself; §5.2.6.2 has the device fail them);
 * read-only is a property of the disk, so it is refused before any
 * argument is looked at.
 */
static inline int check_op(const struct vblk_disk *disk, enum vblk_op op)
{
	if (disk == NULL || !disk->dev.ready)
		return blk_check_disk(disk);
	switch ((int)op) {
	case VBLK_OP_READ:
		return 0;
	case VBLK_OP_WRITE:
	case VBLK_OP_FLUSH:
		return disk->dev.info.read_only ? -VBLK_EROFS : 0;
	default:
		return check_other_op(disk, op);
	}
}

/* The same, for blk/commands.c. The body is not an external `inline`
 * definition itself: one that calls static functions breaks clang
 * -Wpedantic -Werror builds (-Wstatic-in-inline), and this way check_op
 * stays inlined on every request's path (check_bio, transfer). */
int blk_check_op(const struct vblk_disk *disk, enum vblk_op op)
{
	return check_op(disk, op);
}

/* Never send a request that reaches past the capacity (virtio 1.2
 * §5.2.6.1), and keep to whole logical blocks: a device with 4 KiB blocks
 * fails a request for part of one. `nsectors` is not 0: the callers
 * refused an empty buffer as such. */
static int check_range(const struct vblk_disk *disk, uint64_t sector, uint64_t nsectors)
{
	uint64_t capacity = disk->dev.info.capacity_sectors;
	uint32_t sectors_per_block = disk->dev.info.block_size_bytes / VBLK_SECTOR_SIZE;

	if (sector > capacity || nsectors > capacity - sector)
		return -VBLK_ERANGE;
	/* A power of 2 (blk/disk.c refuses any other block size): a mask,
	 * not two divisions, on every call. */
	if ((sector | nsectors) & (sectors_per_block - 1))
		return -VBLK_EALIGN;
	return 0;
}

/*
 * The arguments of a DISCARD or WRITE_ZEROES on a disk that takes it
 * (check_op): known flags (only WRITE_ZEROES has one, unmap: virtio
 * 1.2 §5.2.6.1), a range inside the capacity (§5.2.6.1) of whole logical
 * blocks and, for a discard, of whole discard_sector_alignment units
 * (§5.2.4).
 */
int blk_check_range_op(const struct vblk_disk *disk, enum vblk_op op, uint64_t sector,
			uint64_t nsectors, unsigned flags)
{
	unsigned allowed = op == VBLK_OP_WRITE_ZEROES ? VBLK_WZ_UNMAP : 0;
	uint32_t align = blk_range_limits(disk, op)->align_sectors;

	if (nsectors == 0 || flags & ~allowed)
		return -VBLK_EINVAL;
	int err = check_range(disk, sector, nsectors);
	if (err)
		return err;
	if (sector % align != 0 || nsectors % align != 0)
		return -VBLK_EALIGN;
	return 0;
}

/* A DISCARD or WRITE_ZEROES bio: a range, no segments, that fits one
 * request. */
static int check_range_bio(const struct vblk_disk *disk, const struct vblk_bio *bio)
{
	if (bio->nsegs != 0)
		return -VBLK_EINVAL;
	int err = blk_check_range_op(disk, bio->op, bio->sector, bio->nsectors, bio->flags);
	if (!err && bio->nsectors > blk_range_max_sectors(blk_range_limits(disk, bio->op)))
		err = -VBLK_ETOOBIG;
	return err;
}

/* Each segment holds whole sectors, cache-line aligned, so invalidating
 * it never discards a neighbour's data. */
static int check_segments(const struct vblk_bio *bio, uint64_t *total_bytes)
{
	*total_bytes = 0;
	if (bio->segs == NULL || bio->nsegs == 0)
		return -VBLK_EINVAL;
	for (unsigned i = 0; i < bio->nsegs; i++) {
		const struct vblk_seg *seg = &bio->segs[i];
		if (seg->addr == NULL || seg->len_bytes == 0)
			return -VBLK_EINVAL;
		if ((uintptr_t)seg->addr % VBLK_DMA_ALIGN != 0 || seg->len_bytes % VBLK_SECTOR_SIZE != 0)
			return -VBLK_EALIGN;
		*total_bytes += seg->len_bytes;
	}
	return 0;
}

/* Each segment in memory the device can reach.
 * After the sector range: a read of far too many sectors is out of
 * range before its buffer runs out of RAM. */
static int check_reachable(const struct vblk_bio *bio)
{
	if (dma_range_count == 0)
		return 0;
	for (unsigned i = 0; i < bio->nsegs; i++) {
		if (!in_dma_ranges(bio->segs[i].addr, bio->segs[i].len_bytes))
			return -VBLK_EFAULT;
	}
	return 0;
}

/* Would the bio, alone, fit one request of this device? */
static int check_fits(const struct vblk_disk *disk, const struct vblk_bio *bio, uint64_t total_bytes)
{
	struct blk_sg_state sg = { 0 };

	if (total_bytes > disk->dev.max_req_bytes)
		return -VBLK_ETOOBIG;
	/* The common bio, one segment no longer than size_max, is one
	 * descriptor: it fits any request (max_data_segs >= 1). */
	if (bio->nsegs == 1 && total_bytes <= disk->dev.seg_bytes_max)
		return 0;
	blk_sg_add_bio(&sg, bio, disk->dev.seg_bytes_max);
	return sg.ndescs > disk->dev.max_data_segs ? -VBLK_ETOOBIG : 0;
}

/* Check a bio for vblk_submit; on success *total_bytes is its data size. */
static int check_bio(const struct vblk_disk *disk, const struct vblk_bio *bio,
		     uint64_t *total_bytes)
{
	*total_bytes = 0;

	int err = check_op(disk, bio->op);
	if (err)
		return err;
	/* A flush has no data (virtio 1.2 §5.2.6.1: T_FLUSH carries no data
	 * buffer). Its segments are never checked, so queueing one that has
	 * some would send them unchecked (or read a NULL `segs`): refuse it. */
	if (bio->op == VBLK_OP_FLUSH)
		return bio->nsegs != 0 ? -VBLK_EINVAL : 0;
	if (bio->op == VBLK_OP_DISCARD || bio->op == VBLK_OP_WRITE_ZEROES)
		return check_range_bio(disk, bio);
	err = check_segments(bio, total_bytes);
	if (!err)
		err = check_range(disk, bio->sector, *total_bytes / VBLK_SECTOR_SIZE);
	if (!err)
		err = check_reachable(bio);
	if (!err)
		err = check_fits(disk, bio, *total_bytes);
	return err;
}

/* ---- Reads and writes ---- */

/* Nothing held back in the queue: no request pending, no bio waiting for
 * one, no plug, no harvest under way (its callbacks may still submit and
 * refill the ring). A new request then passes nothing by going straight
 * to the device. */
static bool queue_idle(const struct blk_queue *q)
{
	return q->pending.head == NULL && q->waiting.head == NULL && !q->plugged && !q->completing;
}

/* Send the batch's bios straight to the device, in order, while each
 * passes nothing in the queue (a FLUSH only into an idle ring), and kick
 * once. Stops at the first that cannot go now (no slot, no ring space,
 * past the capacity of a disk that shrank, a broken ring). Returns how
 * many went. IRQs masked. */
static unsigned sync_send(struct blk_dev *dev, struct blk_queue *q, struct sync_batch *batch)
{
	unsigned sent = 0;

	while (sent < batch->count && queue_idle(q) &&
	       (batch->bios[sent].op != VBLK_OP_FLUSH || blk_dev_in_flight(dev) == 0)) {
		struct blk_req *req = blk_dev_new_req(dev, &batch->bios[sent]);
		if (req == NULL)
			break;
		if (blk_dev_start(dev, req, batch->count - sent - 1) < 0) {
			blk_dev_free_req(dev, req);
			break;
		}
		q->stats.bios++;
		sent++;
	}
	if (sent > 0)
		blk_dev_kick(dev);
	return sent;
}

/*
 * Polled, with the ring holding the `sent` bios just sent and nothing
 * else: harvest them here, each completed as blk/queue.c completes any,
 * until all are back. Stops early, leaving the rest to the general wait,
 * when that no longer holds (someone else's requests started or completed
 * while IRQs were let in), the ring broke (the disk is stopped), or the
 * device is slow: no completion for VBLK_STATUS_CHECK_US, after which the
 * general wait checks its status and its timeout. Returns how many are
 * not back; *failed if one came back with an error. Called with IRQs
 * masked (`flags` the caller's), which it lets in only to relax.
 */
static unsigned sync_poll_alone(struct vblk_disk *disk, unsigned sent, plat_irqflags_t *flags,
				bool *failed)
{
	struct blk_dev *dev = &disk->dev;
	struct blk_queue *q = &disk->queue;
	unsigned left = sent;

	while (left > 0) {
		struct vblk_bio *bio;   /* a request of ours has only one */
		int status;
		int got = blk_dev_harvest(dev, &bio, &status);
		if (got == 1) {
			if (status != 0) {
				q->stats.errors++;
				*failed = true;
			}
			blk_dev_end_bio(bio, status);
			left--;
			/* An unknown status byte broke the ring: stop the disk,
			 * as blk/queue.c's harvest would. */
			if (status == -VBLK_EBROKEN) {
				blk_disk_stop_broken_ring(disk);
				break;
			}
		} else if (got < 0) {
			blk_disk_stop_if_broken(disk, got);
			break;
		} else if (plat_time_us() - dev->progress_us >= VBLK_STATUS_CHECK_US) {
			break;
		} else {
			uint64_t started = dev->counts.requests, completed = dev->counts.completions;
			plat_irq_restore(*flags);
			plat_cpu_relax();
			*flags = plat_irq_save();
			/* Anything started or completed meanwhile was someone
			 * else's doing (an interrupt's callback, say, harvesting
			 * ours and sending its own): the ring may now hold
			 * requests this loop must not take for its own. */
			if (q->use_irq || dev->counts.requests != started ||
			    dev->counts.completions != completed || blk_dev_in_flight(dev) != left ||
			    !queue_idle(q))
				break;
		}
	}
	return left;
}

/*
 * Send the batch and wait for all of it: straight to the device while
 * each bio passes nothing in the queue (sync_send: built into a request
 * slot, started by the device layer, blk/device.c, one notification for
 * all), the queue taking the rest (blk_sync_queue_rest). A FLUSH covers
 * the writes completed before it is sent (virtio 1.2 §5.2.6), so it goes
 * straight only into an idle ring; blk/queue.c holds it back otherwise.
 *
 * Then, polled, with nothing in the ring or the queue but this batch,
 * harvest here (sync_poll_alone); in interrupt mode, with someone else's
 * bios about (whose completions run callbacks and refill the ring), or
 * for what the poll left, the general wait sees it through. Either way
 * each bio completes as any other does, so a reset, a timeout or the
 * interrupt handler may finish it in our stead.
 */
int blk_sync_run(struct vblk_disk *disk, struct sync_batch *batch)
{
	struct blk_dev *dev = &disk->dev;
	struct blk_queue *q = &disk->queue;
	plat_irqflags_t flags = plat_irq_save();
	/* The disk may have stopped since the call's check (last batch). */
	int err = dev->ready ? 0 : blk_check_disk(disk);
	unsigned sent = err ? 0 : sync_send(dev, q, batch), left = sent;
	bool failed = false;

	/* Poll here only if the ring holds this batch alone: checked now and
	 * after each time interrupts were let in (their handler may complete
	 * or submit bios); in between, with interrupts masked, nothing else
	 * runs, and our bios have no callbacks. */
	if (sent == batch->count && !q->use_irq && blk_dev_in_flight(dev) == sent)
		left = sync_poll_alone(disk, sent, &flags, &failed);
	plat_irq_restore(flags);
	if (err)
		return err;
	if (sent < batch->count || left > 0)
		return blk_sync_queue_rest(disk, batch, sent);
	/* All back: the first error in the batch's order, as vblk_wait_bios
	 * reports it. */
	for (unsigned i = 0; failed && i < batch->count; i++) {
		if (batch->bios[i].status)
			return batch->bios[i].status;
	}
	return 0;
}

/* A read or write: the arguments checked in vblk_submit's order (the disk
 * and the op, then the buffer, 64-byte aligned so the device's memory
 * never shares a cache line with the caller's other data, then the
 * sectors, then the buffer's memory: one the device can reach), then
 * requests of at most max_req_bytes, SYNC_BATCH at a time. */
static int transfer(struct vblk_disk *disk, enum vblk_op op, uint64_t sector, uint8_t *buf,
		    uint32_t nsectors)
{
	int err = check_op(disk, op);
	if (!err && (buf == NULL || nsectors == 0))
		err = -VBLK_EINVAL;
	else if (!err && (uintptr_t)buf % VBLK_DMA_ALIGN != 0)
		err = -VBLK_EALIGN;
	if (!err)
		err = check_range(disk, sector, nsectors);
	uint64_t left_bytes = (uint64_t)nsectors * VBLK_SECTOR_SIZE;
	if (!err && dma_range_count != 0 && !in_dma_ranges(buf, left_bytes))
		err = -VBLK_EFAULT;

	while (!err && left_bytes > 0) {
		struct sync_batch batch;
		batch.count = 0;
		while (batch.count < SYNC_BATCH && left_bytes > 0) {
			uint32_t chunk_bytes = left_bytes < disk->dev.max_req_bytes
						       ? (uint32_t)left_bytes : disk->dev.max_req_bytes;
			struct vblk_seg *seg = &batch.segs[batch.count];
			struct vblk_bio *bio = &batch.bios[batch.count++];
			*seg = (struct vblk_seg){ buf, chunk_bytes };
			/* Field by field: what vblk sets itself is not read
			 * before it is set, and zeroing the whole bio costs
			 * more than the rest of this loop. */
			bio->op = op;
			bio->sector = sector;
			bio->segs = seg;
			bio->nsegs = 1;
			bio->bytes = chunk_bytes;
			bio->done = NULL;
			bio->status = 0;
			bio->completed = false;
			sector += chunk_bytes / VBLK_SECTOR_SIZE;
			buf += chunk_bytes;
			left_bytes -= chunk_bytes;
		}
		err = blk_sync_run(disk, &batch);
	}
	return err;
}

int vblk_read(struct vblk_disk *disk, uint64_t sector, void *buf, uint32_t nsectors)
{
	return transfer(disk, VBLK_OP_READ, sector, buf, nsectors);
}

int vblk_write(struct vblk_disk *disk, uint64_t sector, const void *buf, uint32_t nsectors)
{
	/* The device only reads it; the bio's segment type is not const. */
	return transfer(disk, VBLK_OP_WRITE, sector, (void *)(uintptr_t)buf, nsectors);
}

/* ---- A bio ---- */

/* A FLUSH on a disk without VIRTIO_BLK_F_FLUSH: the device has no
 * volatile cache (§5.2.5.1: without FLUSH the driver may take it as
 * write-through), so there is nothing for a T_FLUSH to do, and a device
 * that did not offer the command would answer it UNSUPP: the flush is
 * complete already. */
static void complete_empty_flush(struct vblk_disk *disk, struct vblk_bio *bio)
{
	bio->bytes = 0;
	bio->status = 0;
	bio->owner = NULL;
	bio->completed = true;
	disk->queue.stats.bios++;
	/* A callback as the queue runs them (blk/queue.c): one that asks for
	 * a reset of the disk is refused here too. */
	disk->queue.in_callbacks++;
	if (bio->done)
		bio->done(bio, 0);
	disk->queue.in_callbacks--;
}

/*
 * The disk is checked with IRQs masked, together with the bio and the
 * queueing: an interrupt (a resize, a device that broke) cannot change
 * the capacity or stop the disk between the check and the queueing.
 */
int vblk_submit(struct vblk_disk *disk, struct vblk_bio *bio)
{
	uint64_t total_bytes = 0;

	if (disk == NULL)
		return -VBLK_EINVAL;
	plat_irqflags_t flags = plat_irq_save();
	int err = blk_check_disk(disk);
	/* A shutdown drains the disk first: a callback that resubmitted
	 * would keep it from ever being empty. */
	if (!err && disk->queue.shutting_down)
		err = -VBLK_ESTATE;
	if (!err && bio == NULL)
		err = -VBLK_EINVAL;
	/* Queued twice, a bio would be linked into two lists through its one
	 * `next` and cut the first: refuse it before anything is touched. */
	if (!err && bio->owner != NULL && blk_disk_holds_bio(bio))
		err = -VBLK_EBUSY;
	if (!err)
		err = check_bio(disk, bio, &total_bytes);
	if (!err && bio->op == VBLK_OP_FLUSH && !disk->dev.info.has_flush) {
		complete_empty_flush(disk, bio);
	} else if (!err) {
		bio->bytes = (uint32_t)total_bytes;   /* <= max_req_bytes */
		bio->owner = disk;
		blk_disk_stop_if_broken(disk, blk_queue_bio(&disk->queue, bio));
	}
	plat_irq_restore(flags);
	return err;
}
