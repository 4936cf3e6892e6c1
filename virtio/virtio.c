/* SPDX-License-Identifier: MIT */
/*
 * What every transport shares: the device status sequence (virtio 1.2
 * §3.1), feature negotiation (§2.2, §6) and consistent reads of the
 * configuration space (§2.5). The transport's ops do the register work.
 */
#include "virtio/virtio.h"

#include <string.h>

#include "vblk/error.h"

/* A config space whose generation keeps changing under us this many times
 * is not settling (§2.5.1 asks us to retry, not forever). */
#define CONFIG_READ_TRIES 8

/* Status bits are only ever added; only a reset takes them away (§2.1.1). */
static void add_status(struct virtio_dev *dev, uint32_t bits)
{
	dev->ops->set_status(dev, dev->ops->get_status(dev) | bits);
}

void virtio_fail(struct virtio_dev *dev)
{
	add_status(dev, VIRTIO_STATUS_FAILED);
}

/*
 * Accept the offered features that the driver implements
 * (`driver_features` is its allow-list; nothing else is ever accepted,
 * §2.2.1, so unknown or unimplemented bits such as RING_RESET stay off).
 *
 * Modern: VERSION_1 is mandatory (§6.1: a driver accepts it when it is
 * offered; §2.2.3: a device that does not offer it is a legacy device,
 * which a modern transport is not), and FEATURES_OK is set and read
 * back: if the device cleared it, it refused the subset (§3.1.1 step 6).
 * Legacy: 32 bits, no VERSION_1, no FEATURES_OK (§3.1.2).
 */
static int negotiate(struct virtio_dev *dev, uint64_t driver_features)
{
	uint64_t offered = dev->ops->device_features(dev);
	uint64_t version_1 = 1ull << VIRTIO_F_VERSION_1;

	if (dev->legacy) {
		driver_features &= UINT32_MAX & ~version_1;
	} else {
		if (!(offered & version_1))
			return -VBLK_EFEATURES;
		driver_features |= version_1;
	}
	uint64_t accepted = offered & driver_features;
	dev->ops->set_driver_features(dev, accepted);
	if (!dev->legacy) {
		add_status(dev, VIRTIO_STATUS_FEATURES_OK);
		if (!(dev->ops->get_status(dev) & VIRTIO_STATUS_FEATURES_OK))
			return -VBLK_EFEATURES;
	}
	dev->features = accepted;
	return 0;
}

/* §3.1.1 steps 2-6 (step 1, the reset, is the caller's: it has bios to
 * hand back once the reset is confirmed): ACKNOWLEDGE, DRIVER, features. */
int virtio_begin_init(struct virtio_dev *dev, uint64_t driver_features)
{
	dev->features = 0;
	add_status(dev, VIRTIO_STATUS_ACKNOWLEDGE);
	add_status(dev, VIRTIO_STATUS_DRIVER);
	int err = negotiate(dev, driver_features);
	if (err)
		virtio_fail(dev);
	return err;
}

void virtio_finish_init(struct virtio_dev *dev)
{
	add_status(dev, VIRTIO_STATUS_DRIVER_OK);
}

uint64_t virtio_config_read64(struct virtio_dev *dev, uint32_t offset)
{
	uint64_t low = virtio_config_read32(dev, offset);
	uint64_t high = virtio_config_read32(dev, offset + 4);
	return low | high << 32;
}

/*
 * §2.5.1: a modern device bumps its configuration generation whenever the
 * configuration changes, so a read between two equal generations is
 * whole. A legacy device has no generation: read until two reads agree
 * (§2.5.4). Either way a bounded number of times.
 */
int virtio_read_config(struct virtio_dev *dev, void (*read)(struct virtio_dev *dev, void *snapshot),
		       void *snapshot, unsigned snapshot_bytes)
{
	uint8_t again[VIRTIO_CONFIG_SNAPSHOT_MAX];

	if (snapshot_bytes > sizeof(again))
		return -VBLK_EINVAL;
	for (int tries = 0; tries < CONFIG_READ_TRIES; tries++) {
		uint32_t generation = dev->ops->config_generation(dev);
		/* Zeroed first, padding included, so two reads compare. */
		memset(snapshot, 0, snapshot_bytes);
		read(dev, snapshot);
		if (dev->legacy) {
			memset(again, 0, snapshot_bytes);
			read(dev, again);
			if (memcmp(snapshot, again, snapshot_bytes) == 0)
				return 0;
		} else if (dev->ops->config_generation(dev) == generation) {
			return 0;
		}
	}
	return -VBLK_EBROKEN;
}
