/*
 * virtio-mmio transport: probe, status, feature negotiation, queue setup,
 * notification and config space, for version 1 (legacy, QEMU's default)
 * and version 2 (modern). virtio 1.2 §4.2.
 */
#include "drivers/virtio_mmio.h"

#include "vblk/config.h"
#include "vblk/error.h"
#include "vblk/platform.h"

/* A legacy 64-bit config field that never reads the same twice in this
 * many tries is changing faster than we can follow; take the last value. */
#define LEGACY_READ64_TRIES 16

static uint32_t reg_read(const struct virtio_mmio_dev *dev, uint32_t offset)
{
	return plat_mmio_read32(dev->base + offset);
}

static void reg_write(const struct virtio_mmio_dev *dev, uint32_t offset, uint32_t val)
{
	plat_mmio_write32(dev->base + offset, val);
}

static bool is_modern(const struct virtio_mmio_dev *dev)
{
	return dev->version == VIRTIO_MMIO_VERSION_MODERN;
}

/*
 * Identify the device in a slot. virtio 1.2 §4.2.3.1.1: check MagicValue and
 * Version, then read DeviceID; an ID of 0 is an empty placeholder and no
 * other register may be touched. Returns 0 for a usable device,
 * -VBLK_ENODEV otherwise (dev->version/device_id say why).
 */
int vmmio_probe(struct virtio_mmio_dev *dev, uintptr_t base)
{
	*dev = (struct virtio_mmio_dev){ .base = base };
	if (reg_read(dev, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
		return -VBLK_ENODEV;
	uint32_t version = reg_read(dev, VIRTIO_MMIO_VERSION);
	if (version != VIRTIO_MMIO_VERSION_LEGACY && version != VIRTIO_MMIO_VERSION_MODERN)
		return -VBLK_ENODEV;
	dev->version = version;
	dev->device_id = reg_read(dev, VIRTIO_MMIO_DEVICE_ID);
	if (dev->device_id == 0)
		return -VBLK_ENODEV;
	dev->vendor_id = reg_read(dev, VIRTIO_MMIO_VENDOR_ID);
	return 0;
}

/*
 * Reset the device and wait until Status reads back 0 (virtio 1.2 §2.4.2:
 * the reset is complete only then). A reset also retires every queue, so
 * buffers the device held are ours again (§3.3.1).
 */
int vmmio_reset(struct virtio_mmio_dev *dev)
{
	reg_write(dev, VIRTIO_MMIO_STATUS, 0);
	uint64_t deadline_us = plat_time_us() + VBLK_RESET_TIMEOUT_US;
	while (reg_read(dev, VIRTIO_MMIO_STATUS) != 0) {
		if (plat_time_us() > deadline_us)
			return -VBLK_ETIMEDOUT;
		plat_cpu_relax();
	}
	dev->features = 0;
	return 0;
}

uint32_t vmmio_status(const struct virtio_mmio_dev *dev)
{
	return reg_read(dev, VIRTIO_MMIO_STATUS);
}

/* Status bits are only ever added; only a reset takes them away
 * (virtio 1.2 §2.1.1). */
void vmmio_add_status(struct virtio_mmio_dev *dev, uint32_t bits)
{
	reg_write(dev, VIRTIO_MMIO_STATUS, vmmio_status(dev) | bits);
}

/* Give up on the device: FAILED tells it the driver will not go on
 * (virtio 1.2 §3.1.1); a later init must reset it first. */
void vmmio_fail(struct virtio_mmio_dev *dev)
{
	vmmio_add_status(dev, VIRTIO_STATUS_FAILED);
}

static uint64_t read_device_features(struct virtio_mmio_dev *dev)
{
	/* virtio 1.2 §4.2.2.2: select the word before each read. */
	reg_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t low = reg_read(dev, VIRTIO_MMIO_DEVICE_FEATURES);
	reg_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t high = reg_read(dev, VIRTIO_MMIO_DEVICE_FEATURES);
	return low | high << 32;
}

/*
 * A legacy device has only feature bits 0..31 (virtio 1.2 §4.2.4: the
 * legacy GuestFeatures register holds one 32-bit word); QEMU flags a
 * DriverFeaturesSel of 1 as a guest error there, so the high word is
 * written on modern devices only.
 */
static void write_driver_features(struct virtio_mmio_dev *dev, uint64_t features)
{
	reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	if (!is_modern(dev))
		return;
	reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
}

/*
 * Accept the offered features that the driver implements (`driver_features`
 * is its allow-list; nothing else is ever accepted, virtio 1.2 §2.2.1, so
 * unknown or unimplemented bits such as RING_RESET stay off).
 *
 * Modern: VERSION_1 is mandatory (§4.2.3.1.1: a version 2 device must offer
 * it; §6.1: the driver must accept it). FEATURES_OK is set and read back;
 * if the device cleared it, it refused the subset (§3.1.1 step 6).
 * Legacy: no VERSION_1 and no FEATURES_OK step (§3.1.2).
 *
 * On failure the device is marked FAILED and -VBLK_EFEATURES returned.
 */
int vmmio_negotiate(struct virtio_mmio_dev *dev, uint64_t driver_features)
{
	uint64_t offered = read_device_features(dev);
	uint64_t version_1 = 1ull << VIRTIO_F_VERSION_1;

	if (is_modern(dev)) {
		if (!(offered & version_1)) {
			vmmio_fail(dev);
			return -VBLK_EFEATURES;
		}
		driver_features |= version_1;
	} else {
		driver_features &= ~version_1;
	}

	uint64_t accepted = offered & driver_features;
	write_driver_features(dev, accepted);

	if (is_modern(dev)) {
		vmmio_add_status(dev, VIRTIO_STATUS_FEATURES_OK);
		if (!(vmmio_status(dev) & VIRTIO_STATUS_FEATURES_OK)) {
			vmmio_fail(dev);
			return -VBLK_EFEATURES;
		}
	}
	dev->features = accepted;
	return 0;
}

/*
 * The largest queue the device offers for `queue_idx`, 0 if the queue does
 * not exist or is already in use (modern: QueueReady must read 0, legacy:
 * QueueNumMax may only be read while QueuePFN is 0; virtio 1.2 §4.2.3.2,
 * §4.2.4).
 */
uint32_t vmmio_queue_max(struct virtio_mmio_dev *dev, uint32_t queue_idx)
{
	reg_write(dev, VIRTIO_MMIO_QUEUE_SEL, queue_idx);
	uint32_t in_use = is_modern(dev) ? reg_read(dev, VIRTIO_MMIO_QUEUE_READY)
					 : reg_read(dev, VIRTIO_MMIO_QUEUE_PFN);
	if (in_use != 0)
		return 0;
	return reg_read(dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
}

static void write_addr(struct virtio_mmio_dev *dev, uint32_t low_offset, uint64_t addr)
{
	reg_write(dev, low_offset, (uint32_t)addr);
	reg_write(dev, low_offset + 4, (uint32_t)(addr >> 32));
}

/*
 * Legacy queues are described by one page frame number: the device derives
 * the avail and used ring addresses from the fixed layout of virtio 1.2
 * §2.7.2 (legacy interface), so the caller's layout must match it.
 */
static int enable_legacy_queue(struct virtio_mmio_dev *dev, uint32_t num,
			       const struct virtio_mmio_queue_addrs *addrs)
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

/* virtio 1.2 §4.2.3.2: size, the three addresses, then QueueReady = 1. */
static int enable_modern_queue(struct virtio_mmio_dev *dev, uint32_t num,
			       const struct virtio_mmio_queue_addrs *addrs)
{
	reg_write(dev, VIRTIO_MMIO_QUEUE_NUM, num);
	write_addr(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, addrs->desc);
	write_addr(dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, addrs->avail);
	write_addr(dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, addrs->used);
	reg_write(dev, VIRTIO_MMIO_QUEUE_READY, 1);
	return 0;
}

/* Hand a zeroed ring of `num` entries to the device. The caller has checked
 * num against vmmio_queue_max() (virtio 1.2 §4.2.2.2: QueueNum must not
 * exceed QueueNumMax). */
int vmmio_queue_enable(struct virtio_mmio_dev *dev, uint32_t queue_idx, uint32_t num,
		       const struct virtio_mmio_queue_addrs *addrs)
{
	reg_write(dev, VIRTIO_MMIO_QUEUE_SEL, queue_idx);
	if (is_modern(dev))
		return enable_modern_queue(dev, num, addrs);
	return enable_legacy_queue(dev, num, addrs);
}

/* "There are new buffers in queue_idx" (virtio 1.2 §4.2.3.3). The MMIO
 * write accessor orders our ring stores before this register store. */
void vmmio_notify(struct virtio_mmio_dev *dev, uint32_t queue_idx)
{
	reg_write(dev, VIRTIO_MMIO_QUEUE_NOTIFY, queue_idx);
}

uint32_t vmmio_interrupt_status(const struct virtio_mmio_dev *dev)
{
	return reg_read(dev, VIRTIO_MMIO_INTERRUPT_STATUS);
}

/* Acknowledge `bits`: those the caller handled (virtio 1.2 §4.2.2.2), or
 * bits the device raised that virtio does not define, which nothing else
 * would ever clear (blk/wait.c says why it acknowledges them). */
void vmmio_interrupt_ack(struct virtio_mmio_dev *dev, uint32_t bits)
{
	if (bits)
		reg_write(dev, VIRTIO_MMIO_INTERRUPT_ACK, bits);
}

uint8_t vmmio_config_read8(const struct virtio_mmio_dev *dev, uint32_t offset)
{
	return plat_mmio_read8(dev->base + VIRTIO_MMIO_CONFIG + offset);
}

uint16_t vmmio_config_read16(const struct virtio_mmio_dev *dev, uint32_t offset)
{
	return plat_mmio_read16(dev->base + VIRTIO_MMIO_CONFIG + offset);
}

uint32_t vmmio_config_read32(const struct virtio_mmio_dev *dev, uint32_t offset)
{
	return plat_mmio_read32(dev->base + VIRTIO_MMIO_CONFIG + offset);
}

static uint64_t read64_halves(const struct virtio_mmio_dev *dev, uint32_t offset)
{
	uint64_t low = vmmio_config_read32(dev, offset);
	uint64_t high = vmmio_config_read32(dev, offset + 4);
	return low | high << 32;
}

/*
 * A 64-bit field is read as two 32-bit halves (§4.2.2.2), which is not
 * atomic. Modern callers wrap their reads in a generation check (§2.5.1);
 * legacy has no generation counter, so read until two reads agree
 * (§2.5.4), a bounded number of times.
 */
uint64_t vmmio_config_read64(const struct virtio_mmio_dev *dev, uint32_t offset)
{
	uint64_t val = read64_halves(dev, offset);
	if (is_modern(dev))
		return val;
	for (int tries = 0; tries < LEGACY_READ64_TRIES; tries++) {
		uint64_t again = read64_halves(dev, offset);
		if (again == val)
			break;
		val = again;
	}
	return val;
}

/* Legacy devices have no ConfigGeneration register; report a constant. */
uint32_t vmmio_config_generation(const struct virtio_mmio_dev *dev)
{
	if (!is_modern(dev))
		return 0;
	return reg_read(dev, VIRTIO_MMIO_CONFIG_GENERATION);
}
