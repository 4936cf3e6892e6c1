/* SPDX-License-Identifier: MIT */
/*
 * The request queue: bios in, requests onto the ring, completions out.
 *
 *   vblk_submit(bio)
 *        |  waiting bios (no free request)   FIFO, kept in order
 *        v
 *   pending requests  <-- a new bio merges into one of them (blk/merge.c)
 *        |               or starts a new one
 *        |  blk_queue_run: FIFO, while the ring has room; a FLUSH waits
 *        v  until everything before it has completed; one kick per batch
 *   in flight (the ring)
 *        |  blk_queue_complete: harvest the used ring, every bio of a
 *        v  request gets the request's status, the request is freed
 *   done callbacks
 *
 * A plug (vblk_plug) holds pending requests back from the ring until
 * vblk_unplug, a wait helper, or until it is full: BLK_PLUG_MAX_REQS
 * pending requests, or bios waiting because every request is taken
 * (plug_full).
 *
 * All of it runs with IRQs masked (the callers in blk/wait.c,
 * blk/interrupt.c, blk/api.c and blk/api_queue.c see to it), because the interrupt handler runs the same
 * code. Callbacks may submit: while they run, `completing` holds dispatch
 * back until the harvest is over, so a kick is not sent per callback.
 */
#include "blk/queue.h"

void blk_queue_init(struct blk_queue *q)
{
	q->pending = (struct blk_req_list){ 0 };
	q->npending = 0;
	q->run_left_pending = false;
	q->waiting = (struct blk_bio_list){ 0 };
	q->plugged = false;
	q->shutting_down = false;
	q->completing = false;
	q->irq_quiet = false;
	q->irq_unheard = false;
	q->finishing = NULL;
	q->in_callbacks = 0;
}

/* Hand a bio back to its owner (blk_dev_end_bio), counting errors. While
 * its callback runs, in_callbacks says so: the loops that call it keep
 * state (the request's other bios, the lists being failed) that a reset of
 * the disk from inside the callback would wipe (vblk_reset refuses). */
static void end_bio(struct blk_queue *q, struct vblk_bio *bio, int status)
{
	if (status != 0)
		q->stats.errors++;
	q->in_callbacks++;
	blk_dev_end_bio(bio, status);
	q->in_callbacks--;
}

/* Every bio of a request, `bios` on, gets the request's status (the
 * device answered for the chain as a whole). The request's slot is free
 * already, so the callbacks can submit at once; the bios still to be told
 * stay in this call's level of `finishing`, where blk_queue_holds finds
 * them however deep a callback's own harvest (vblk_poll) nests. Inline:
 * called for every completed request, it would cost a call and a frame
 * each time otherwise (measured: docs/performance.md). */
__attribute__((always_inline)) static inline void
finish_bios(struct blk_queue *q, struct vblk_bio *bios, int status)
{
	struct blk_finishing level = { bios, q->finishing };
	struct vblk_bio *bio;

	q->finishing = &level;
	while ((bio = level.bios) != NULL) {
		level.bios = bio->next;
		end_bio(q, bio, status);
	}
	q->finishing = level.outer;
}

/* A request that never reached the ring: its slot back, its bios told. */
static void finish_req(struct blk_queue *q, struct blk_req *req, int status)
{
	struct vblk_bio *bios = req->bios.head;

	blk_dev_free_req(q->dev, req);
	finish_bios(q, bios, status);
}

/* The sectors a bio covers, as its request counts them (blk/request.h). */
static uint64_t bio_sectors(const struct vblk_bio *bio)
{
	return bio->op >= VBLK_OP_DISCARD ? bio->nsectors : bio->bytes / VBLK_SECTOR_SIZE;
}

/* The pending list is a FIFO (dispatch takes its head) that merging walks
 * from the tail, so it keeps `prev` links beside the FIFO's `next`. */
static void pending_push(struct blk_queue *q, struct blk_req *req)
{
	req->prev = q->pending.tail;
	blk_req_list_push(&q->pending, req);
	q->npending++;
}

static struct blk_req *pending_pop(struct blk_queue *q)
{
	struct blk_req *req = blk_req_list_pop(&q->pending);

	if (req != NULL) {
		q->npending--;
		if (q->pending.head != NULL)
			q->pending.head->prev = NULL;
	}
	return req;
}

/*
 * Put `bio` into a request: merged into a pending one, or a new one.
 * Returns false if every request is in use.
 *
 * The candidates are the last BLK_MERGE_SCAN pending requests, newest
 * first: a stream of adjacent bios continues the last one at the first
 * look, and a deep queue of unrelated bios (32 random reads resubmitted
 * from their callbacks) costs a few comparisons per request looked at
 * instead of a walk of the whole list, which made placing a bio cost more
 * than the rest of its way to the device (Linux's blk_bio_list_merge also
 * looks at 8). Most requests looked at lie apart from the bio, which one
 * pair of comparisons tells. Of the others, only a request that ends
 * where the bio starts, or starts where it ends, can take it. The walk
 * stops at a request the bio overlaps, or a FLUSH: merging into one
 * queued before either would move the bio ahead of something submitted
 * before it.
 */
static bool place_bio(struct blk_queue *q, struct vblk_bio *bio)
{
	uint64_t bio_end = bio->sector + bio_sectors(bio);
	unsigned looked = 0;

	for (struct blk_req *req = q->pending.tail; req != NULL && looked < BLK_MERGE_SCAN;
	     req = req->prev, looked++) {
		uint64_t req_end = req->sector + req->nsectors;

		if (req->type == VIRTIO_BLK_T_FLUSH)
			break;
		if (bio->sector > req_end || req->sector > bio_end)
			continue;   /* apart: neither touches the other */
		if ((bio->sector == req_end || bio_end == req->sector) && blk_try_merge(q, req, bio))
			return true;
		if (bio->sector < req_end && req->sector < bio_end)
			break;      /* overlaps */
	}
	struct blk_req *req = blk_dev_new_req(q->dev, bio);
	if (req == NULL)
		return false;
	pending_push(q, req);
	return true;
}

/*
 * Move waiting bios into requests, in order, while requests are free.
 * Each bio leaves the waiting list before it is placed: placing it reuses
 * its `next` as the link in its request's bio list, so the waiting list
 * must not be read through it afterwards (that lost every bio behind it,
 * and a front merge made the list run into the request's bios).
 */
static void admit_waiting(struct blk_queue *q)
{
	struct vblk_bio *bio;

	while ((bio = blk_bio_list_pop(&q->waiting)) != NULL) {
		if (!place_bio(q, bio)) {
			blk_bio_list_push_front(&q->waiting, bio);
			break;
		}
	}
}

/*
 * A plug that holds as much as it can: BLK_PLUG_MAX_REQS requests, or
 * bios that found no request (every slot is pending or in flight, and
 * the disk may have fewer than BLK_PLUG_MAX_REQS). Holding on then
 * merges little (a waiting bio joins nothing until a slot frees), and
 * with nothing in flight no completion would come to free a request: a
 * thread that plugged and only polls would wait for ever.
 */
static bool plug_full(const struct blk_queue *q)
{
	return q->waiting.head != NULL || q->npending >= BLK_PLUG_MAX_REQS;
}

/*
 * Queue a checked bio (vblk_submit has validated it). It completes later,
 * through the request it joins: the bio itself is never refused. Returns
 * what the run it may start returns (0, or -VBLK_EBROKEN when the ring
 * refused a chain: the caller stops the disk).
 */
int blk_queue_bio(struct blk_queue *q, struct vblk_bio *bio)
{
	bio->status = 0;
	bio->completed = false;
	q->stats.bios++;
	BLK_TRACE_QUEUED(bio);

	/* Bios that found no request go first, so none is overtaken. */
	if (q->waiting.head != NULL || !place_bio(q, bio))
		blk_bio_list_push(&q->waiting, bio);
	if (!q->plugged || plug_full(q))
		return blk_queue_run(q);
	return 0;
}

/* May the request at the head of the queue go to the ring now? A FLUSH
 * covers the writes completed before it is sent (virtio 1.2 §5.2.6), so
 * it waits until every request dispatched before it has completed. */
static bool may_dispatch(const struct blk_queue *q, const struct blk_req *req)
{
	return req->type != VIRTIO_BLK_T_FLUSH || blk_dev_in_flight(q->dev) == 0;
}

/* Fail the request at the head of the queue without sending it. Its
 * callbacks may submit: `completing` holds their dispatch back until the
 * run that is going on picks it up. Its slot is free again, so bios that
 * waited for one are admitted now: with nothing in flight, no completion
 * would come to do it. */
static void refuse_head(struct blk_queue *q, int reason)
{
	struct blk_req *req = pending_pop(q);

	q->completing = true;
	finish_req(q, req, reason);
	q->completing = false;
	admit_waiting(q);
}

/*
 * Dispatch pending requests in order while the ring has room, then publish
 * them all with one avail.idx update and at most one notification.
 * Returns 0, or -VBLK_EBROKEN if the ring refused a chain because the
 * device broke it.
 */
int blk_queue_run(struct blk_queue *q)
{
	bool added = false;

	if (q->completing || !q->dev->ready)
		return 0;
	while (q->pending.head != NULL && may_dispatch(q, q->pending.head)) {
		/* The head goes first; the rest of the list waits behind it. A
		 * request past the capacity (the disk shrank while it waited)
		 * is refused, not sent. */
		int ndescs = blk_dev_start(q->dev, q->pending.head, q->npending - 1);
		if (ndescs == -VBLK_ERANGE) {
			/* Publish what went ahead of it first: its callbacks
			 * run now, and one that waits (vblk/bio.h forbids it;
			 * a wait still returns) would wait for chains the
			 * device cannot see, until the timeout stopped a
			 * healthy disk. */
			if (added) {
				blk_dev_kick(q->dev);
				added = false;
			}
			refuse_head(q, -VBLK_ERANGE);
			/* A callback stopped the disk (a wait that timed
			 * out): that failed everything queued. */
			if (!q->dev->ready)
				return 0;
			continue;
		}
		if (ndescs == -VQ_EAGAIN) {
			q->stats.queue_full++;
			break;
		}
		/* The ring broke under us; the caller stops the disk, which
		 * completes this request and everything else. */
		if (ndescs < 0)
			return -VBLK_EBROKEN;
		pending_pop(q);
		added = true;
	}
	if (added)
		blk_dev_kick(q->dev);
	/* What is left waits for the ring (or, a FLUSH, for what is in
	 * flight), not for an unplug: a completion sends it, plugged or not.
	 * Only a run takes requests off the head, so the flag holds until
	 * the next run looks again. */
	q->run_left_pending = q->pending.head != NULL;
	return 0;
}

/*
 * Harvest every completed request and complete its bios, then refill the
 * ring. Returns how many requests completed, or -VBLK_EBROKEN if the
 * device misbehaved (the caller then stops the disk, which completes
 * every queued bio with that error).
 */
int blk_queue_complete(struct blk_queue *q)
{
	int completed = 0, got, status;
	struct vblk_bio *bios;

	q->completing = true;
harvest:
	while ((got = blk_dev_harvest(q->dev, &bios, &status)) == 1) {
		finish_bios(q, bios, status);
		completed++;
	}
	/* In interrupt mode, ask for the next interrupt (used_event, §2.7.7)
	 * and look once more: a completion that landed before the request
	 * took effect raises no interrupt of its own. Not while a wait polls
	 * with interrupts off (blk/wait.c): it asks when it stops. */
	if (got == 0 && q->use_irq && !q->irq_quiet && blk_dev_irq_on(q->dev))
		goto harvest;
	q->completing = false;
	if (got < 0)
		return -VBLK_EBROKEN;
	/* Bios waiting now made the plug full, even once they are admitted. */
	bool ran_over = q->waiting.head != NULL;
	admit_waiting(q);
	/* A plug holds back what was submitted under it, even now that the
	 * ring has room: the last request may still grow. vblk_unplug and
	 * the wait helpers send it; so does a full one, and one that ran
	 * over: the bios that waited for the requests just freed. What an
	 * earlier run left for want of ring space goes out too. */
	if ((!q->plugged || q->run_left_pending || ran_over || plug_full(q)) &&
	    q->pending.head != NULL && blk_queue_run(q) < 0)
		return -VBLK_EBROKEN;
	return completed;
}

/*
 * The disk stops: complete everything, in flight, pending and waiting.
 * Nothing is dropped silently. What was in flight gets `in_flight_reason`:
 * `reason` too once the device has been reset (so it holds no buffer,
 * virtio 1.2 §3.3.1), -VBLK_EHELD when the reset did not complete and the
 * device may still use those buffers. The rest never reached the device
 * and gets `reason`.
 */
void blk_queue_fail_all(struct blk_queue *q, int reason, int in_flight_reason)
{
	struct blk_req *req;
	struct vblk_bio *bio;

	q->completing = true;
	while ((bio = blk_dev_detach(q->dev)) != NULL)
		finish_bios(q, bio, in_flight_reason);
	while ((req = pending_pop(q)) != NULL)
		finish_req(q, req, reason);
	q->run_left_pending = false;
	while ((bio = blk_bio_list_pop(&q->waiting)) != NULL)
		end_bio(q, bio, reason);
	q->completing = false;
}

static bool bio_listed(const struct vblk_bio *first, const struct vblk_bio *bio)
{
	for (const struct vblk_bio *it = first; it != NULL; it = it->next) {
		if (it == bio)
			return true;
	}
	return false;
}

/* Is `bio` one a loop outside the running callback has still to tell its
 * request's result (a `finishing` level)? */
bool blk_queue_finishing(const struct blk_queue *q, const struct vblk_bio *bio)
{
	/* Every level: a callback of an outer one may have harvested more. */
	for (const struct blk_finishing *level = q->finishing; level != NULL; level = level->outer) {
		if (bio_listed(level->bios, bio))
			return true;
	}
	return false;
}

/*
 * Is `bio` in this queue: waiting, in a request (pending or in flight),
 * or about to be told its result? Only a double submission asks, so a
 * walk over every request costs nothing on the normal path.
 */
bool blk_queue_holds(const struct blk_queue *q, const struct vblk_bio *bio)
{
	if (bio_listed(q->waiting.head, bio) || blk_queue_finishing(q, bio))
		return true;
	for (unsigned i = 0; i < BLK_MAX_REQS; i++) {
		if (bio_listed(q->dev->reqs[i].bios.head, bio))
			return true;
	}
	return false;
}

bool blk_queue_empty(const struct blk_queue *q)
{
	return blk_dev_in_flight(q->dev) == 0 && blk_req_list_empty(&q->pending) &&
	       blk_bio_list_empty(&q->waiting);
}
