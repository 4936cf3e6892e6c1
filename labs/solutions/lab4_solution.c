/* SPDX-License-Identifier: MIT */
/*
 * Lab 4, a solution (docs/labs/lab4.md): two reads of adjacent sectors
 * ("bios") merged into one request, one descriptor chain with two data
 * buffers (§5.2.6: a request's data may span several descriptors). The
 * exercise is labs/lab4.c.
 */
#include "lab.h"

/* From lab 1. */
static int setup_queue(struct lab_dev *dev)
{
	mmio_write(dev, REG_QUEUE_SEL, 0);
	if (mmio_read(dev, REG_QUEUE_READY) != 0 || mmio_read(dev, REG_QUEUE_NUM_MAX) < LAB_QSIZE)
		return -1;
	mmio_write(dev, REG_QUEUE_NUM, LAB_QSIZE);
	uint64_t desc = (uintptr_t)dev->desc, avail = (uintptr_t)dev->avail,
		 used = (uintptr_t)dev->used;
	mmio_write(dev, REG_QUEUE_DESC_LOW, (uint32_t)desc);
	mmio_write(dev, REG_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	mmio_write(dev, REG_QUEUE_DRIVER_LOW, (uint32_t)avail);
	mmio_write(dev, REG_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	mmio_write(dev, REG_QUEUE_DEVICE_LOW, (uint32_t)used);
	mmio_write(dev, REG_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	mmio_write(dev, REG_QUEUE_READY, 1);
	return 0;
}

/* From lab 1: the chain for a one-sector read at head 0, made available
 * and notified. */
static void send_read(struct lab_dev *dev, uint64_t sector, uint8_t *buf)
{
	dev->hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN, .sector = sector };
	dev->status = 0xff;
	dev->desc[0] = (struct virtq_desc){ (uintptr_t)&dev->hdr, sizeof(dev->hdr),
					    VIRTQ_DESC_F_NEXT, 1 };
	dev->desc[1] = (struct virtq_desc){ (uintptr_t)buf, SECTOR_BYTES,
					    VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
	dev->desc[2] = (struct virtq_desc){ (uintptr_t)&dev->status, 1, VIRTQ_DESC_F_WRITE, 0 };
	dev->avail->ring[dev->avail_idx % LAB_QSIZE] = 0;
	dev->avail_idx++;
	lab_wmb();
	*(volatile uint16_t *)&dev->avail->idx = dev->avail_idx;
	lab_trace_chain(dev, 0);
	mmio_write(dev, REG_QUEUE_NOTIFY, 0);
}

enum harvest {
	HARVEST_OK,      /* the request completed, status OK */
	HARVEST_IOERR,   /* completed with VIRTIO_BLK_S_IOERR, or without a
			    status byte we can trust */
	HARVEST_UNSUPP,  /* completed with VIRTIO_BLK_S_UNSUPP */
	HARVEST_NOT_YET, /* nothing new in the used ring */
	HARVEST_BROKEN,  /* the device wrote something impossible */
};

/* From lab 2: the used ring looked at once, for the one chain in flight,
 * nothing the device wrote believed before it is checked. */
static enum harvest harvest(struct lab_dev *dev, uint16_t head, uint32_t writable)
{
	uint16_t used_idx = lab_read16(&dev->used->idx);
	uint16_t ready = (uint16_t)(used_idx - dev->last_used);   /* wraps at 2^16 */
	if (ready == 0)
		return HARVEST_NOT_YET;
	if (ready > 1) {
		printf("lab: used idx moved by %u with one chain in flight\n", ready);
		return HARVEST_BROKEN;
	}
	lab_rmb();   /* §2.7.14: the index before the entry it covers */
	struct virtq_used_elem elem = dev->used->ring[dev->last_used % LAB_QSIZE];
	if (elem.id != head) {
		printf("lab: used id %lu is not the chain in flight (%u)\n", (unsigned long)elem.id,
		       head);
		return HARVEST_BROKEN;
	}
	if (elem.len > writable) {   /* §2.7.8.3: more than it may write */
		printf("lab: used len %lu, the chain lets the device write %lu\n",
		       (unsigned long)elem.len, (unsigned long)writable);
		return HARVEST_BROKEN;
	}
	dev->last_used++;
	/* The status byte is the last writable byte: unless len covers it,
	 * it was never written (§2.7.8.3, §5.2.6). */
	if (elem.len < writable)
		return HARVEST_IOERR;
	switch (dev->status) {
	case VIRTIO_BLK_S_OK:
		return HARVEST_OK;
	case VIRTIO_BLK_S_IOERR:
		return HARVEST_IOERR;
	case VIRTIO_BLK_S_UNSUPP:
		return HARVEST_UNSUPP;
	default:
		printf("lab: status byte %u is none of virtio-blk's\n", dev->status);
		return HARVEST_BROKEN;
	}
}

/* From lab 3: the interrupt handler, counting used-buffer interrupts. */
static volatile unsigned used_interrupts;

static void on_interrupt(void *ctx)
{
	struct lab_dev *dev = ctx;
	uint32_t status = mmio_read(dev, REG_INTERRUPT_STATUS);
	mmio_write(dev, REG_INTERRUPT_ACK, status);
	if (status & INT_USED_BUFFER)
		used_interrupts++;
}

/* From lab 3: sleep until the handler counted one more, then harvest. */
static enum harvest wait_and_harvest(struct lab_dev *dev, unsigned before, uint32_t writable)
{
	if (!lab_wait_count(&used_interrupts, before + 1, 1000000)) {
		printf("lab: no interrupt from the device in 1 s\n");
		return HARVEST_BROKEN;
	}
	return harvest(dev, 0, writable);
}

static LAB_DEBUGGABLE enum harvest read_sector(struct lab_dev *dev, uint64_t sector, uint8_t *buf)
{
	unsigned before = used_interrupts;
	send_read(dev, sector, buf);
	return wait_and_harvest(dev, before, SECTOR_BYTES + 1);
}

/* A read someone asked for: sectors [sector, sector + nsectors) into buf. */
struct lab_bio {
	uint64_t sector;
	uint32_t nsectors;
	uint8_t *buf;
};

/* TODO 1: may `b` join the request `a` starts, behind it? Only if it
 * continues it on the disk, with no gap and no overlap. (Its buffer may be
 * anywhere: it gets a descriptor of its own.) */
static bool can_merge(const struct lab_bio *a, const struct lab_bio *b)
{
	/* BEGIN TODO 1 */
	return a->sector + a->nsectors == b->sector;
	/* END TODO 1 */
}

/* TODO 2: read `a` and `b` (which can_merge allowed) with ONE request: one
 * header (a's sector), a descriptor for each buffer, one status byte, as
 * one chain from head 0; then wait for it as read_sector does. The device
 * may then write both buffers and the status: how many bytes is that? */
static enum harvest read_merged(struct lab_dev *dev, const struct lab_bio *a,
				const struct lab_bio *b)
{
	/* BEGIN TODO 2 */
	uint32_t a_bytes = a->nsectors * SECTOR_BYTES, b_bytes = b->nsectors * SECTOR_BYTES;
	unsigned before = used_interrupts;

	dev->hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN, .sector = a->sector };
	dev->status = 0xff;
	dev->desc[0] = (struct virtq_desc){ (uintptr_t)&dev->hdr, sizeof(dev->hdr),
					    VIRTQ_DESC_F_NEXT, 1 };
	dev->desc[1] = (struct virtq_desc){ (uintptr_t)a->buf, a_bytes,
					    VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
	dev->desc[2] = (struct virtq_desc){ (uintptr_t)b->buf, b_bytes,
					    VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3 };
	dev->desc[3] = (struct virtq_desc){ (uintptr_t)&dev->status, 1, VIRTQ_DESC_F_WRITE, 0 };
	dev->avail->ring[dev->avail_idx % LAB_QSIZE] = 0;
	dev->avail_idx++;
	lab_wmb();
	*(volatile uint16_t *)&dev->avail->idx = dev->avail_idx;
	lab_trace_chain(dev, 0);
	mmio_write(dev, REG_QUEUE_NOTIFY, 0);
	return wait_and_harvest(dev, before, a_bytes + b_bytes + 1);
	/* END TODO 2 */
}

/* The merge rule's cases: (a, b) and whether b may join a. */
static unsigned merge_cases(void)
{
	static const struct { uint64_t a_sector; uint32_t a_n; uint64_t b_sector; uint32_t b_n;
			      bool want; } cases[] = {
		{ 8, 1, 9, 1, true },    /* adjacent */
		{ 0, 4, 4, 4, true },    /* adjacent, longer */
		{ 8, 1, 10, 1, false },  /* a gap */
		{ 8, 2, 9, 1, false },   /* overlapping */
		{ 9, 1, 8, 1, false },   /* in front, not behind */
	};
	unsigned right = 0, count = sizeof(cases) / sizeof(cases[0]);

	for (unsigned i = 0; i < count; i++) {
		struct lab_bio a = { cases[i].a_sector, cases[i].a_n, NULL };
		struct lab_bio b = { cases[i].b_sector, cases[i].b_n, NULL };
		right += can_merge(&a, &b) == cases[i].want;
	}
	printf("lab: merge rule: %u of %u cases right\n", right, count);
	return right == count ? 0 : 1;
}

int main(void)
{
	static struct lab_dev dev_storage;
	/* Two buffers apart in memory: a merged request needs a descriptor
	 * for each. */
	static uint8_t buf_a[SECTOR_BYTES] __attribute__((aligned(64)));
	static uint8_t gap[4096] __attribute__((used));
	static uint8_t buf_b[SECTOR_BYTES] __attribute__((aligned(64)));
	static uint8_t buf_c[SECTOR_BYTES] __attribute__((aligned(64)));
	struct lab_dev *dev = &dev_storage;
	struct lab_bio a = { 8, 1, buf_a }, b = { 9, 1, buf_b }, c = { 20, 1, buf_c };
	(void)gap;

	if (lab_find_disk(dev) || lab_handshake(dev) || setup_queue(dev) ||
	    rt_irq_register(dev->intid, true, on_interrupt, dev))
		return 1;
	lab_driver_ok(dev);
	if (merge_cases())
		return 1;
	if (!can_merge(&a, &b) || can_merge(&b, &c)) {
		printf("lab: can_merge: 8+9 must merge, 9+20 must not\n");
		return 1;
	}
	uint16_t avail_before = dev->avail_idx;
	enum harvest got = read_merged(dev, &a, &b);
	if (got != HARVEST_OK)
		return 1;
	const struct virtq_used_elem *elem = &dev->used->ring[(uint16_t)(dev->last_used - 1) % LAB_QSIZE];
	printf("lab: sectors 8 and 9: %u chain(s), used len %lu\n",
	       (unsigned)(uint16_t)(dev->avail_idx - avail_before), (unsigned long)elem->len);
	lab_report_sector(8, buf_a);
	lab_report_sector(9, buf_b);
	if (read_sector(dev, c.sector, c.buf) != HARVEST_OK)
		return 1;
	lab_report_sector(20, buf_c);
	printf("lab4: done\n");
	return 0;
}
