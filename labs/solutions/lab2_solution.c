/* SPDX-License-Identifier: MIT */
/*
 * Lab 2, a solution (docs/labs/lab2.md): lab 1's read, with every value
 * the device wrote checked before it is believed (§2.7.8, §5.2.6). The
 * exercise is labs/lab2.c.
 */
#include "lab.h"

static uint8_t sector_buf[SECTOR_BYTES] __attribute__((aligned(64)));

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

/* TODO 1: look at the used ring once, for the one chain in flight (head
 * `head`, which lets the device write `writable` bytes). Believe nothing
 * the device wrote until it is checked; move last_used only past an entry
 * whose id and len passed (the status byte is the request's result, read
 * after: a bad one still consumed its entry). */
static enum harvest harvest(struct lab_dev *dev, uint16_t head, uint32_t writable)
{
	/* BEGIN TODO 1 */
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
	/* END TODO 1 */
}

/* One sector, waited for with a bound: the harvest's verdict. */
static LAB_DEBUGGABLE enum harvest read_sector(struct lab_dev *dev, uint64_t sector, uint8_t *buf)
{
	send_read(dev, sector, buf);
	uint64_t deadline = rt_time_us() + 1000000;
	enum harvest got;
	while ((got = harvest(dev, 0, SECTOR_BYTES + 1)) == HARVEST_NOT_YET) {
		if (rt_time_us() > deadline) {
			printf("lab: no answer from the device in 1 s\n");
			return HARVEST_BROKEN;
		}
	}
	return got;
}

/* The check: used rings a faulty device could leave, played on harvest()
 * (labs/lab2_check.h). */
#include "lab2_check.h"

int main(void)
{
	static struct lab_dev dev_storage;
	struct lab_dev *dev = &dev_storage;

	if (lab_find_disk(dev) || lab_handshake(dev))
		return 1;
	if (play_cases(dev))
		return 1;
	if (setup_queue(dev))
		return 1;
	lab_driver_ok(dev);

	if (read_sector(dev, 0, sector_buf) != HARVEST_OK)
		return 1;
	lab_report_sector(0, sector_buf);
	enum harvest got = read_sector(dev, 40, sector_buf);   /* the host made it fail */
	if (got != HARVEST_IOERR) {
		printf("lab: sector 40 should have failed, harvest said %d\n", got);
		return 1;
	}
	printf("lab: sector 40: I/O error\n");
	if (read_sector(dev, 41, sector_buf) != HARVEST_OK)
		return 1;
	lab_report_sector(41, sector_buf);
	printf("lab2: done\n");
	return 0;
}
