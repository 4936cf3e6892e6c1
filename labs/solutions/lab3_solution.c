/* SPDX-License-Identifier: MIT */
/*
 * Lab 3, a solution (docs/labs/lab3.md): lab 2's checked read, completed
 * by the device's interrupt instead of a polling loop (§2.7.7, §4.2.2).
 * The exercise is labs/lab3.c.
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

/* Looks at the used ring that found nothing new: a read that sleeps
 * until the interrupt harvests once, after it, and finds its entry; one
 * that polls the ring finds nothing, many times (main prints the count). */
static unsigned empty_looks;

/* From lab 2: the used ring looked at once, for the one chain in flight,
 * nothing the device wrote believed before it is checked. */
static enum harvest harvest(struct lab_dev *dev, uint16_t head, uint32_t writable)
{
	uint16_t used_idx = lab_read16(&dev->used->idx);
	uint16_t ready = (uint16_t)(used_idx - dev->last_used);   /* wraps at 2^16 */
	if (ready == 0) {
		empty_looks++;
		return HARVEST_NOT_YET;
	}
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

/* Used-buffer interrupts the handler took (it runs in the IRQ
 * exception; main reads it). */
static volatile unsigned used_interrupts;

/* TODO 1: the disk's interrupt handler. Read InterruptStatus, acknowledge
 * exactly the bits that are up (QEMU holds the line high until then),
 * and count a used-buffer interrupt. It must not wait for anything. */
static void on_interrupt(void *ctx)
{
	/* BEGIN TODO 1 */
	struct lab_dev *dev = ctx;
	uint32_t status = mmio_read(dev, REG_INTERRUPT_STATUS);
	mmio_write(dev, REG_INTERRUPT_ACK, status);
	if (status & INT_USED_BUFFER)
		used_interrupts++;
	/* END TODO 1 */
}

/* TODO 2: have the runtime call on_interrupt for the disk's INTID
 * (dev->intid; QEMU's virtio-mmio lines are edge-triggered in its device
 * tree). Returns 0 or the runtime's error. */
static int take_interrupts(struct lab_dev *dev)
{
	/* BEGIN TODO 2 */
	return rt_irq_register(dev->intid, true, on_interrupt, dev);
	/* END TODO 2 */
}

/* TODO 3: one sector read, completed by an interrupt: send it, sleep until
 * the handler has counted one more used-buffer interrupt (at most 1 s:
 * lab_wait_count), then harvest it. Polling the used ring instead of
 * sleeping does not count. */
static LAB_DEBUGGABLE enum harvest read_sector(struct lab_dev *dev, uint64_t sector, uint8_t *buf)
{
	/* BEGIN TODO 3 */
	unsigned before = used_interrupts;
	send_read(dev, sector, buf);
	if (!lab_wait_count(&used_interrupts, before + 1, 1000000)) {
		printf("lab: no interrupt from the device in 1 s\n");
		return HARVEST_BROKEN;
	}
	return harvest(dev, 0, SECTOR_BYTES + 1);
	/* END TODO 3 */
}

int main(void)
{
	static struct lab_dev dev_storage;
	static uint8_t sectors[4][SECTOR_BYTES] __attribute__((aligned(64)));
	struct lab_dev *dev = &dev_storage;

	if (lab_find_disk(dev) || lab_handshake(dev) || setup_queue(dev))
		return 1;
	int err = take_interrupts(dev);
	if (err)
		return err > 0 ? err : 1;
	lab_driver_ok(dev);
	for (unsigned s = 1; s <= 4; s++) {
		enum harvest got = read_sector(dev, s, sectors[s - 1]);
		if (got != HARVEST_OK) {
			/* The runtime took the disk's interrupt, yet the
			 * handler counted none: TODO 1 is still to do. */
			if (rt_irq_count(dev->intid) > 0 && used_interrupts == 0)
				return lab_not_done("TODO 1, on_interrupt: read "
						    "InterruptStatus, acknowledge it, count");
			return 1;
		}
		lab_report_sector(s, sectors[s - 1]);
	}
	/* The runtime's own count of the disk's interrupts, not ours. */
	printf("lab: 4 read(s), %lu interrupt(s) taken\n", rt_irq_count(dev->intid));
	printf("lab: %u look(s) at the used ring found nothing new\n", empty_looks);
	printf("lab3: done\n");
	return 0;
}
