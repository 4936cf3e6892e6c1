/* SPDX-License-Identifier: MIT */
/*
 * Lab 1 (docs/labs/lab1.md): read sector 0 with hand-written
 * MMIO and one descriptor chain.
 * Fill in the TODOs; `make lab1` checks your file on a real QEMU disk
 * (labs/solutions/lab1_solution.c is one answer).
 */
#include "lab.h"

static uint8_t sector_buf[SECTOR_BYTES] __attribute__((aligned(64)));

/* TODO 1: tell the device where queue 0 is (§4.2.3.2). */
static int setup_queue(struct lab_dev *dev)
{
	/* TODO 1: your code here (docs/labs/lab1.md). */
	(void)dev;
	return lab_not_done("TODO 1, setup_queue: queue 0's size and ring addresses, then QueueReady");
}

/* TODO 2: one request as one chain (header, data, status), made
 * available, the device notified, the used ring polled (§2.7.13,
 * §5.2.6). Returns 0, or -1 (said why). */
static LAB_DEBUGGABLE int read_sector(struct lab_dev *dev, uint64_t sector, uint8_t *buf)
{
	/* TODO 2: your code here (docs/labs/lab1.md). */
	(void)dev;
	(void)sector;
	(void)buf;
	return lab_not_done("TODO 2, read_sector: one chain, avail idx, notify, poll used idx");
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
