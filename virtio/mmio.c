/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport, versions 1 (legacy) and 2 (modern): the
 * struct virtio_transport_ops of virtio 1.2 §4.2 on a register window.
 */
#include "virtio/mmio.h"

#include "vblk/config.h"
#include "vblk/error.h"
#include "plat/platform.h"

static uint32_t reg_read(const struct virtio_dev *dev, uint32_t offset)
{
	return plat_mmio_read32(dev->regs.mmio.base + offset);
}

static void reg_write(const struct virtio_dev *dev, uint32_t offset, uint32_t val)
{
	plat_mmio_write32(dev->regs.mmio.base + offset, val);
}

/*
 * Write 0 to Status and wait until it reads back 0 (§2.4.2: the reset is
 * complete only then). A reset also retires every queue, so buffers the
 * device held are ours again (§3.3.1).
 */
VBLK_COLD static int mmio_reset(struct virtio_dev *dev)
{
	reg_write(dev, VIRTIO_MMIO_STATUS, 0);
	/* Timed from its start, as a difference: a deadline compared with
	 * the clock goes wrong when the clock wraps before it. */
	uint64_t start_us = plat_time_us();
	/* The clock before the register: a CPU stalled past the deadline
	 * still reads Status once more before it gives up. */
	for (;;) {
		bool late = plat_time_us() - start_us > VBLK_RESET_TIMEOUT_US;
		if (reg_read(dev, VIRTIO_MMIO_STATUS) == 0)
			return 0;
		if (late)
			return -VBLK_ETIMEDOUT;
		plat_cpu_relax();
	}
}

static uint32_t mmio_get_status(struct virtio_dev *dev)
{
	return reg_read(dev, VIRTIO_MMIO_STATUS);
}

static void mmio_set_status(struct virtio_dev *dev, uint32_t status)
{
	reg_write(dev, VIRTIO_MMIO_STATUS, status);
}

VBLK_COLD static uint64_t mmio_device_features(struct virtio_dev *dev)
{
	/* §4.2.2.2: select the word before each read. */
	reg_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t low = reg_read(dev, VIRTIO_MMIO_DEVICE_FEATURES);
	reg_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t high = reg_read(dev, VIRTIO_MMIO_DEVICE_FEATURES);
	return low | high << 32;
}

/* A legacy device has one 32-bit word of driver features (§4.2.4);
 * QEMU flags a DriverFeaturesSel of 1 as a guest error there, so the high
 * word is written on modern devices only. */
VBLK_COLD static void mmio_set_driver_features(struct virtio_dev *dev, uint64_t features)
{
	reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	if (dev->legacy)
		return;
	reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
}

/* Config space is read at the field's own width (§4.2.2.2). */
VBLK_COLD static uint32_t mmio_config_read(struct virtio_dev *dev, uint32_t offset,
					   unsigned width_bytes)
{
	uintptr_t addr = dev->regs.mmio.base + VIRTIO_MMIO_CONFIG + offset;

	return plat_mmio_read_sized(addr, width_bytes);
}

/* Legacy devices have no ConfigGeneration register. */
VBLK_COLD static uint32_t mmio_config_generation(struct virtio_dev *dev)
{
	return dev->legacy ? 0 : reg_read(dev, VIRTIO_MMIO_CONFIG_GENERATION);
}

/*
 * QueueNumMax of `queue_idx`, 0 if the queue does not exist or is already
 * in use (the driver checks that the queue is not in use first, §4.2.3.2,
 * §4.2.4: modern, QueueReady reads 0; legacy, QueuePFN reads 0).
 */
VBLK_COLD static uint32_t mmio_queue_max(struct virtio_dev *dev, uint16_t queue_idx)
{
	reg_write(dev, VIRTIO_MMIO_QUEUE_SEL, queue_idx);
	uint32_t in_use = dev->legacy ? reg_read(dev, VIRTIO_MMIO_QUEUE_PFN)
				      : reg_read(dev, VIRTIO_MMIO_QUEUE_READY);
	if (in_use != 0)
		return 0;
	return reg_read(dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
}

/*
 * Legacy queues are described by one page frame number: the device derives
 * the avail and used ring addresses from the fixed layout of §2.7.2
 * (legacy interface), so the caller's layout must match it.
 */
static int enable_legacy_queue(struct virtio_dev *dev, uint16_t num,
			       const struct virtio_queue_addrs *addrs)
{
	uint64_t pfn = addrs->desc / VIRTIO_MMIO_LEGACY_PAGE_BYTES;
	if (addrs->desc % VIRTIO_MMIO_LEGACY_PAGE_BYTES != 0 || pfn == 0 || pfn > UINT32_MAX)
		return -VBLK_EINVAL;
	/* QEMU needs all four, in this order, or the queue stays dead. */
	reg_write(dev, VIRTIO_MMIO_GUEST_PAGE_SIZE, VIRTIO_MMIO_LEGACY_PAGE_BYTES);
	reg_write(dev, VIRTIO_MMIO_QUEUE_NUM, num);
	reg_write(dev, VIRTIO_MMIO_QUEUE_ALIGN, VIRTIO_MMIO_LEGACY_PAGE_BYTES);
	reg_write(dev, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)pfn);
	return 0;
}

static void write_addr(struct virtio_dev *dev, uint32_t low_offset, uint64_t addr)
{
	reg_write(dev, low_offset, (uint32_t)addr);
	reg_write(dev, low_offset + 4, (uint32_t)(addr >> 32));
}

/* §4.2.3.2: size, the three addresses, then QueueReady = 1. The caller
 * has kept `num` within mmio_queue_max (§4.2.2.2). */
VBLK_COLD static int mmio_queue_enable(struct virtio_dev *dev, uint16_t queue_idx,
				       uint16_t num, const struct virtio_queue_addrs *addrs)
{
	reg_write(dev, VIRTIO_MMIO_QUEUE_SEL, queue_idx);
	if (dev->legacy)
		return enable_legacy_queue(dev, num, addrs);
	reg_write(dev, VIRTIO_MMIO_QUEUE_NUM, num);
	write_addr(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, addrs->desc);
	write_addr(dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, addrs->driver);
	write_addr(dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, addrs->device);
	reg_write(dev, VIRTIO_MMIO_QUEUE_READY, 1);
	return 0;
}

/* §4.2.3.3. The MMIO write accessor orders the ring stores before it. */
static void mmio_notify(struct virtio_dev *dev, uint16_t queue_idx)
{
	/* Once per kick (a batch of requests): the register write itself,
	 * not reg_write, so a request's walk stays in this one function
	 * (docs/design.md, "One read, counted"). */
	plat_mmio_write32(dev->regs.mmio.base + VIRTIO_MMIO_QUEUE_NOTIFY, queue_idx);
}

static uint32_t mmio_interrupt_status(struct virtio_dev *dev)
{
	return reg_read(dev, VIRTIO_MMIO_INTERRUPT_STATUS);
}

/* `bits` are those the caller handled, or bits the device raised that
 * virtio does not define, which nothing else would ever clear (blk/
 * explains why it acknowledges them). */
/* The caller looks at the used ring next. Were that look to overtake the
 * acknowledgement, a completion the device posted in between (its bit
 * already up: no new edge) would be seen neither by the look nor, its bit
 * then cleared, by an interrupt (§4.2.3.4). */
static void mmio_interrupt_ack(struct virtio_dev *dev, uint32_t bits)
{
	if (bits) {
		reg_write(dev, VIRTIO_MMIO_INTERRUPT_ACK, bits);
		plat_mmio_write_done();
	}
}

static const struct virtio_transport_ops mmio_ops = {
	.name = "virtio-mmio",
	.reset = mmio_reset,
	.get_status = mmio_get_status,
	.set_status = mmio_set_status,
	.device_features = mmio_device_features,
	.set_driver_features = mmio_set_driver_features,
	.config_read = mmio_config_read,
	.config_generation = mmio_config_generation,
	.queue_max = mmio_queue_max,
	.queue_enable = mmio_queue_enable,
	.notify = mmio_notify,
	.interrupt_status = mmio_interrupt_status,
	.interrupt_ack = mmio_interrupt_ack,
};

int virtio_mmio_probe(struct virtio_dev *dev, uintptr_t base)
{
	*dev = (struct virtio_dev){ .ops = &mmio_ops, .regs.mmio.base = base };
	if (reg_read(dev, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
		return -VBLK_ENODEV;
	uint32_t version = reg_read(dev, VIRTIO_MMIO_VERSION);
	if (version != VIRTIO_MMIO_VERSION_LEGACY && version != VIRTIO_MMIO_VERSION_MODERN)
		return -VBLK_ENODEV;
	dev->regs.mmio.version = version;
	dev->legacy = version == VIRTIO_MMIO_VERSION_LEGACY;
	dev->device_id = reg_read(dev, VIRTIO_MMIO_DEVICE_ID);
	if (dev->device_id == 0)
		return -VBLK_ENODEV;
	dev->vendor_id = reg_read(dev, VIRTIO_MMIO_VENDOR_ID);
	return 0;
}
