/* SPDX-License-Identifier: MIT */
/*
 * Lab 1, a solution (docs/labs/lab1.md): read sector 0 with hand-written
 * MMIO and one descriptor chain. The exercise is labs/lab1.c; this is
 * what `make test` checks the lab's checker with.
 */
#include "lab.h"

static uint8_t sector_buf[SECTOR_BYTES] __attribute__((aligned(64)));

/* TODO 1: tell the device where queue 0 is (§4.2.3.2). */
static int setup_queue(struct lab_dev *dev)
{
	/* BEGIN TODO 1 */
	mmio_write(dev, REG_QUEUE_SEL, 0);
	if (mmio_read(dev, REG_QUEUE_READY) != 0)
		return -1;                      /* someone else's queue */
	if (mmio_read(dev, REG_QUEUE_NUM_MAX) < LAB_QSIZE)
		return -1;
	mmio_write(dev, REG_QUEUE_NUM, LAB_QSIZE);
	uint64_t desc = (uintptr_t)dev->desc, avail = (uintptr_t)dev->avail,
		 used = (uintptr_t)dev->used;   /* the runtime maps RAM 1:1 */
	mmio_write(dev, REG_QUEUE_DESC_LOW, (uint32_t)desc);
	mmio_write(dev, REG_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	mmio_write(dev, REG_QUEUE_DRIVER_LOW, (uint32_t)avail);
	mmio_write(dev, REG_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	mmio_write(dev, REG_QUEUE_DEVICE_LOW, (uint32_t)used);
	mmio_write(dev, REG_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	mmio_write(dev, REG_QUEUE_READY, 1);
	return 0;
	/* END TODO 1 */
}

/* TODO 2: one request as one chain (header, data, status), made
 * available, the device notified, the used ring polled (§2.7.13,
 * §5.2.6). Returns 0, or -1 (said why). */
static LAB_DEBUGGABLE int read_sector(struct lab_dev *dev, uint64_t sector, uint8_t *buf)
{
	/* BEGIN TODO 2 */
	dev->hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN, .sector = sector };
	dev->status = 0xff;
	dev->desc[0] = (struct virtq_desc){ (uintptr_t)&dev->hdr, sizeof(dev->hdr),
					    VIRTQ_DESC_F_NEXT, 1 };
	dev->desc[1] = (struct virtq_desc){ (uintptr_t)buf, SECTOR_BYTES,
					    VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
	dev->desc[2] = (struct virtq_desc){ (uintptr_t)&dev->status, 1, VIRTQ_DESC_F_WRITE, 0 };
	dev->avail->ring[dev->avail_idx % LAB_QSIZE] = 0;   /* the chain's head */
	dev->avail_idx++;
	lab_wmb();                           /* the chain before the index */
	*(volatile uint16_t *)&dev->avail->idx = dev->avail_idx;
	lab_trace_chain(dev, 0);
	mmio_write(dev, REG_QUEUE_NOTIFY, 0);

	uint64_t deadline = rt_time_us() + 1000000;
	while (lab_read16(&dev->used->idx) == dev->last_used) {
		if (rt_time_us() > deadline) {
			printf("lab: no answer from the device in 1 s\n");
			return -1;
		}
	}
	lab_rmb();                           /* the index before the entry */
	dev->last_used++;
	if (dev->status != VIRTIO_BLK_S_OK) {
		printf("lab: sector %llu: status %u\n", (unsigned long long)sector, dev->status);
		return -1;
	}
	return 0;
	/* END TODO 2 */
}

int main(void)
{
	static struct lab_dev dev_storage;
	struct lab_dev *dev = &dev_storage;

	if (lab_find_disk(dev) || lab_handshake(dev))
		return 1;
	int err = setup_queue(dev);
	if (err)
		return err > 0 ? err : 1;
	lab_driver_ok(dev);
	/* Sector 0, then 16 more: the indexes go twice round the ring, which
	 * the device follows only if it was told its size (TODO 1). */
	for (unsigned sector = 0; sector <= 2 * LAB_QSIZE; sector++) {
		err = read_sector(dev, sector, sector_buf);
		if (err)
			return err > 0 ? err : 1;
		lab_report_sector(sector, sector_buf);
	}
	printf("lab1: done\n");
	return 0;
}
