/* SPDX-License-Identifier: MIT */
/*
 * The device layer's control side (struct blk_dev, blk/device.h): the
 * request slots set up and taken back after a reset, interrupt
 * suppression and the interrupt status, DEVICE_NEEDS_RESET, and a
 * notification sent again. Apart from blk/device.c, which holds the data
 * path (one request, from its slot to its chain to its result), so that
 * a reader following one I/O reads that file alone.
 */
#include "blk/device.h"

/* After a reset (the device holds no buffer, §3.3.1): the bios of one
 * request that was in flight, its slot given back, or NULL when none is
 * left. */
struct vblk_bio *blk_dev_detach(struct blk_dev *dev)
{
	struct blk_req *req = vring_detach(&dev->ring);

	if (req == NULL)
		return NULL;
	struct vblk_bio *bios = req->bios.head;
	blk_dev_free_req(dev, req);
	return bios;
}

/* The request slots and the indirect tables they share: static, so they
 * outlive the submitter's stack frame. The slots are zeroed already
 * (blk/disk.c). */
void blk_dev_init_reqs(struct blk_dev *dev)
{
	dev->progress_us = plat_time_us();
	dev->status_checked_us = dev->progress_us;
	dev->free_reqs = NULL;
	for (unsigned i = BLK_MAX_REQS; i-- > 0;) {
		dev->reqs[i].in_ring = false;
		dev->reqs[i].next = dev->free_reqs;
		dev->free_reqs = &dev->reqs[i];
	}
	for (unsigned i = 0; i < BLK_INDIRECT_TABLES; i++)
		dev->free_tables[i] = dev->tables[i].desc;
	dev->nfree_tables = BLK_INDIRECT_TABLES;
}

/*
 * Notify the device although the ring did not ask for it: requests are in
 * flight and nothing has completed for VBLK_RENOTIFY_US (blk/wait.c). A
 * notification the device does not need costs it one look at the ring
 * (§2.7.10 and §2.7.13.4 only say when the driver need not send one). The case it
 * rescues: with EVENT_IDX the driver stores avail.idx, and reads
 * avail_event after a full barrier; a device that stores avail_event and
 * re-reads avail.idx the other way round can then miss the chain if the
 * barrier does not reach it, both sides decide "no notification" and the
 * device sleeps on requests it never saw. Under QEMU's TCG with one vCPU
 * the guest's barriers are not emitted as host fences while the device
 * runs in another host thread (virtio-pci's ioeventfd), which is how such
 * a hang was seen: a 10 s timeout in about one boot in ten under load.
 */
void blk_dev_renotify(struct blk_dev *dev)
{
	dev->vdev.ops->notify(&dev->vdev, 0);
	dev->counts.renotifications++;
}

/* Ask the device not to interrupt after used buffers, or to interrupt at
 * the next one; the latter returns whether used buffers wait already
 * (they raise no interrupt of their own: harvest them). */
void blk_dev_irq_off(struct blk_dev *dev)
{
	vring_disable_interrupts(&dev->ring);
}

bool blk_dev_irq_on(struct blk_dev *dev)
{
	return vring_enable_interrupts(&dev->ring);
}

bool blk_dev_needs_reset(struct blk_dev *dev)
{
	return virtio_needs_reset(&dev->vdev);
}

/*
 * Is a request in the ring one the device has passed over for longer than
 * `timeout_us`? A request is passed over once the device has completed
 * more requests since it was sent than it held then: it is not just
 * waiting its turn behind them. Each such request is stamped with `now_us`
 * at the first look that finds it so (this look, or an earlier one), and
 * is overdue a timeout after its stamp. (Completions are counted modulo
 * 2^32: a difference stays right across the wrap.)
 */
bool blk_dev_passed_over(struct blk_dev *dev, uint64_t now_us, uint32_t timeout_us)
{
	bool overdue = false;

	for (unsigned i = 0; i < BLK_MAX_REQS; i++) {
		struct blk_req *req = &dev->reqs[i];

		if (!req->in_ring || dev->completions_ever - req->sent_at <= req->ahead)
			continue;
		if (!req->passed_over) {
			req->passed_over = true;
			req->passed_over_us = now_us;
		} else if (now_us - req->passed_over_us > timeout_us) {
			overdue = true;
		}
	}
	return overdue;
}


/* Has the device put chains in the used ring that are not harvested yet?
 * A look only (nothing harvested; false once the ring is broken): where
 * a wait's time is up (blk/wait.c). */
bool blk_dev_has_used(const struct blk_dev *dev)
{
	return vring_has_used(&dev->ring);
}

/*
 * The device's interrupt status bits that are up, read only where an
 * interrupt seems to have gone missing (blk/wait.c). Where the read
 * itself lowers the line (virtio-pci: reading the ISR clears it,
 * §4.1.4.5), what it finds is gone: no handler will run for it. So the
 * used-buffer bit is acknowledged here then, and the next look sees only
 * a bit the device raised since (left set, the next look would count the
 * interrupt this read withdrew as one never delivered); a configuration
 * change is acknowledged on every transport, and the caller acts on it
 * (blk_take_config_change), as no handler will.
 */
uint32_t blk_dev_read_and_ack_interrupt(struct blk_dev *dev)
{
	uint32_t bits = virtio_interrupt_status(&dev->vdev);

	if ((bits & VIRTIO_INT_USED_BUFFER) && dev->vdev.ops->status_read_lowers_line)
		blk_dev_ack_used_bit(dev);
	if (bits & VIRTIO_INT_CONFIG_CHANGE)
		virtio_interrupt_ack(&dev->vdev, VIRTIO_INT_CONFIG_CHANGE);
	return bits;
}

void blk_dev_ack_used_bit(struct blk_dev *dev)
{
	virtio_interrupt_ack(&dev->vdev, VIRTIO_INT_USED_BUFFER);
}

/*
 * Read InterruptStatus and acknowledge every bit that is up; *bits gets
 * the bits virtio defines (§4.2.2: used buffer, configuration change).
 *
 * §4.2.2.2 asks the driver to ignore other bits and never to acknowledge
 * them. But a device that raises one holds its interrupt line up until
 * the bit is cleared, and only an acknowledgement clears it: ignored, a
 * level-triggered line re-enters the handler forever and an edge-triggered
 * one never rises again. So such a bit is treated as the device fault it
 * is: acknowledged (it is pending, so QEMU just clears it) and counted;
 * if it is still up after that, -VBLK_EBROKEN: the caller stops the disk,
 * and the reset clears it.
 */
int blk_dev_take_interrupt(struct blk_dev *dev, uint32_t *bits)
{
	uint32_t status = virtio_interrupt_status(&dev->vdev);

	*bits = status & VIRTIO_INT_DEFINED;
	if (status == 0)
		return 0;
	virtio_interrupt_ack(&dev->vdev, status);
	if (!(status & ~VIRTIO_INT_DEFINED))
		return 0;
	dev->counts.bad_interrupts++;
	/* The look again may find defined bits the device raised since the
	 * first read. On virtio-pci that read took them (reading the ISR
	 * clears it and lowers INTx, §4.1.4.5): no interrupt will announce
	 * them again, so they are the caller's to act on now, acknowledged
	 * first as the ones above. */
	uint32_t again = virtio_interrupt_status(&dev->vdev);
	if (again & VIRTIO_INT_DEFINED) {
		virtio_interrupt_ack(&dev->vdev, again & VIRTIO_INT_DEFINED);
		*bits |= again & VIRTIO_INT_DEFINED;
	}
	if (again & ~VIRTIO_INT_DEFINED)
		return -VBLK_EBROKEN;
	return 0;
}
