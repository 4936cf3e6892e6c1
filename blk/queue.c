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
 * vblk_unplug, a wait helper, or BLK_PLUG_MAX_REQS pending requests.
 *
 * All of it runs with IRQs masked (the callers in blk/wait.c and
 * blk/submit.c see to it), because the interrupt handler runs the same
 * code. Callbacks may submit: while they run, `completing` holds dispatch
 * back until the harvest is over, so a kick is not sent per callback.
 */
#include "blk/queue.h"

static void req_list_push(struct blk_req_list *list, struct blk_req *req)
{
	req->next = NULL;
	if (list->tail)
		list->tail->next = req;
	else
		list->head = req;
	list->tail = req;
}

static struct blk_req *req_list_pop(struct blk_req_list *list)
{
	struct blk_req *req = list->head;
	if (req) {
		list->head = req->next;
		if (list->head == NULL)
			list->tail = NULL;
		req->next = NULL;
	}
	return req;
}

static void bio_list_push(struct blk_bio_list *list, struct vblk_bio *bio)
{
	bio->next = NULL;
	if (list->tail)
		list->tail->next = bio;
	else
		list->head = bio;
	list->tail = bio;
}

static struct vblk_bio *bio_list_pop(struct blk_bio_list *list)
{
	struct vblk_bio *bio = list->head;
	if (bio) {
		list->head = bio->next;
		if (list->head == NULL)
			list->tail = NULL;
		bio->next = NULL;
	}
	return bio;
}

void blk_queue_init(struct blk_queue *q)
{
	q->pending = (struct blk_req_list){ 0 };
	q->npending = 0;
	q->waiting = (struct blk_bio_list){ 0 };
	q->in_flight = 0;
	q->plugged = false;
	q->completing = false;
	q->irq_quiet = false;
	q->irq_unheard = false;
	q->finishing = NULL;
	q->progress_us = plat_time_us();
	q->dev->status_checked_us = q->progress_us;
}

/* Hand a bio back to its owner. Data the device wrote is made visible to
 * the CPU first (a no-op on coherent platforms). */
static void complete_bio(struct blk_queue *q, struct vblk_bio *bio, int status)
{
	if (status == 0 && bio->op != VBLK_OP_WRITE) {
		for (unsigned i = 0; i < bio->nsegs; i++)
			plat_dma_invalidate(bio->segs[i].addr, bio->segs[i].len_bytes);
	}
	if (status != 0)
		q->stats.errors++;
	bio->next = NULL;
	bio->status = status;
	bio->owner = NULL;
	/* A waiter (vblk_wait_bios) reads `completed`; nothing of the bio is
	 * touched after the callback, which may reuse it. */
	*(volatile bool *)&bio->completed = true;
	if (bio->done)
		bio->done(bio, status);
}

/* Every bio of `req` gets the request's status (the device answered for
 * the chain as a whole). The request is free again before the callbacks
 * run, so they can submit at once; the bios still to be told stay in
 * `finishing`, where blk_queue_holds finds them. */
static void finish_req(struct blk_queue *q, struct blk_req *req, int status)
{
	struct vblk_bio *outer = q->finishing;
	struct vblk_bio *bio = req->bio_head;

	blk_dev_free_req(q->dev, req);
	while (bio != NULL) {
		q->finishing = bio->next;
		complete_bio(q, bio, status);
		bio = q->finishing;
	}
	q->finishing = outer;
}

/* The sectors a request covers: its data, or a DISCARD's or
 * WRITE_ZEROES's run (FLUSH and GET_ID: none). */
static uint64_t req_sectors(const struct blk_req *req)
{
	return blk_type_is_range(req->type) ? req->range_sectors
					    : req->data_bytes / VBLK_SECTOR_SIZE;
}

/*
 * Where may `bio` merge? Only into requests queued after the last one it
 * overlaps, and after the last FLUSH: merging into an earlier request
 * would move the bio ahead of one it was submitted after.
 */
static struct blk_req *merge_window(const struct blk_queue *q, const struct vblk_bio *bio)
{
	uint64_t bio_end = bio->sector + (bio->op >= VBLK_OP_DISCARD ? bio->nsectors
								     : bio->bytes / VBLK_SECTOR_SIZE);
	struct blk_req *start = q->pending.head;

	for (struct blk_req *req = q->pending.head; req != NULL; req = req->next) {
		uint64_t req_end = req->sector + req_sectors(req);
		bool overlaps = bio->sector < req_end && req->sector < bio_end;
		if (overlaps || req->type == VIRTIO_BLK_T_FLUSH)
			start = req->next;
	}
	return start;
}

/* Put `bio` into a request: merged into a pending one, or a new one.
 * Returns false if every request is in use. The last pending request is
 * tried first: a stream of adjacent bios joins it, and joining the last
 * request cannot move a bio ahead of any other. */
static bool place_bio(struct blk_queue *q, struct vblk_bio *bio)
{
	struct blk_req *tail = q->pending.tail;

	if (tail != NULL) {
		if (blk_try_merge(q, tail, bio))
			return true;
		for (struct blk_req *req = merge_window(q, bio); req != NULL; req = req->next) {
			if (blk_try_merge(q, req, bio))
				return true;
		}
	}
	struct blk_req *req = blk_dev_alloc_req(q->dev);
	if (req == NULL)
		return false;
	blk_req_init(req, bio, q->dev->seg_bytes_max);
	req_list_push(&q->pending, req);
	q->npending++;
	return true;
}

/* Put a bio back at the front of the list (it was just popped from there). */
static void bio_list_unpop(struct blk_bio_list *list, struct vblk_bio *bio)
{
	bio->next = list->head;
	list->head = bio;
	if (list->tail == NULL)
		list->tail = bio;
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

	while ((bio = bio_list_pop(&q->waiting)) != NULL) {
		if (!place_bio(q, bio)) {
			bio_list_unpop(&q->waiting, bio);
			break;
		}
	}
}

/*
 * Queue a checked bio (vblk_submit has validated it). It completes later,
 * through the request it joins; nothing here fails.
 */
int blk_queue_bio(struct blk_queue *q, struct vblk_bio *bio)
{
	bio->status = 0;
	bio->completed = false;
	bio->next = NULL;
	q->stats.bios++;

	/* Bios that found no request go first, so none is overtaken. */
	if (q->waiting.head != NULL || !place_bio(q, bio))
		bio_list_push(&q->waiting, bio);
	if (!q->plugged || q->npending >= BLK_PLUG_MAX_REQS)
		return blk_queue_run(q);
	return 0;
}

/* May the request at the head of the queue go to the ring now? A FLUSH
 * covers the writes completed before it is sent (virtio 1.2 §5.2.6), so
 * it waits until every request dispatched before it has completed. */
static bool may_dispatch(const struct blk_queue *q, const struct blk_req *req)
{
	return req->type != VIRTIO_BLK_T_FLUSH || q->in_flight == 0;
}

/* §5.2.6.1: no request may reach past the capacity. Each bio was checked
 * when it was submitted, but the disk may have shrunk (a config change)
 * while it waited in the queue. */
static bool past_capacity(const struct blk_queue *q, const struct blk_req *req)
{
	uint64_t capacity = q->dev->info.capacity_sectors;
	uint64_t nsectors = req->data_bytes / VBLK_SECTOR_SIZE;

	if (req->type != VIRTIO_BLK_T_IN && req->type != VIRTIO_BLK_T_OUT) {
		if (!blk_type_is_range(req->type))
			return false;
		nsectors = req->range_sectors;
	}
	return req->sector > capacity || nsectors > capacity - req->sector;
}

/* Fail the request at the head of the queue without sending it. Its
 * callbacks may submit: `completing` holds their dispatch back until the
 * run that is going on picks it up. Its slot is free again, so bios that
 * waited for one are admitted now: with nothing in flight, no completion
 * would come to do it. */
static void refuse_head(struct blk_queue *q, int reason)
{
	struct blk_req *req = req_list_pop(&q->pending);

	q->npending--;
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
		struct blk_req *req = q->pending.head;
		if (past_capacity(q, req)) {
			refuse_head(q, -VBLK_ERANGE);
			continue;
		}
		/* The head goes first; the rest of the list waits behind it. */
		int ndescs = blk_dev_start(q->dev, req, q->npending - 1);
		if (ndescs == -VQ_EAGAIN) {
			q->stats.queue_full++;
			break;
		}
		/* The ring broke under us; the caller stops the disk, which
		 * completes this request and everything else. */
		if (ndescs < 0)
			return -VBLK_EBROKEN;
		req_list_pop(&q->pending);
		q->npending--;
		if (q->in_flight == 0)
			q->progress_us = plat_time_us();
		q->in_flight++;
		q->stats.requests++;
		q->stats.descriptors += (unsigned)ndescs;
		added = true;
	}
	if (added)
		blk_dev_kick(q->dev);
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
	struct blk_req *req;

	q->completing = true;
harvest:
	while ((got = blk_dev_harvest(q->dev, &req, &status)) == 1) {
		q->in_flight--;
		q->stats.completions++;
		q->progress_us = plat_time_us();
		finish_req(q, req, status);
		completed++;
	}
	/* In interrupt mode, ask for the next interrupt (used_event, §2.7.10)
	 * and look once more: a completion that landed before the request
	 * took effect raises no interrupt of its own. Not while a wait polls
	 * with interrupts off (blk/wait.c): it asks when it stops. */
	if (got == 0 && q->use_irq && !q->irq_quiet && blk_dev_irq_on(q->dev))
		goto harvest;
	q->completing = false;
	if (got < 0)
		return -VBLK_EBROKEN;
	admit_waiting(q);
	/* A plug holds back what was submitted under it, even now that the
	 * ring has room: the last request may still grow. vblk_unplug and
	 * the wait helpers send it. */
	if (!q->plugged && q->pending.head != NULL && blk_queue_run(q) < 0)
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
	while ((req = blk_dev_detach(q->dev)) != NULL) {
		q->in_flight--;
		finish_req(q, req, in_flight_reason);
	}
	while ((req = req_list_pop(&q->pending)) != NULL) {
		q->npending--;
		finish_req(q, req, reason);
	}
	while ((bio = bio_list_pop(&q->waiting)) != NULL)
		complete_bio(q, bio, reason);
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

/*
 * Is `bio` in this queue: waiting, in a request (pending or in flight),
 * or about to be told its result? Only a double submission asks, so a
 * walk over every request costs nothing on the normal path.
 */
bool blk_queue_holds(const struct blk_queue *q, const struct vblk_bio *bio)
{
	if (bio_listed(q->waiting.head, bio) || bio_listed(q->finishing, bio))
		return true;
	for (unsigned i = 0; i < BLK_MAX_REQS; i++) {
		if (bio_listed(q->dev->reqs[i].bio_head, bio))
			return true;
	}
	return false;
}

bool blk_queue_empty(const struct blk_queue *q)
{
	return q->in_flight == 0 && q->pending.head == NULL && q->waiting.head == NULL;
}
