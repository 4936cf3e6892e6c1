/* SPDX-License-Identifier: MIT */
/*
 * A virtio device, whatever transport carries it (virtio 1.2 §2, §3, §4).
 *
 *   blk/ (a device driver)
 *     |   virtio_begin_init / virtio_read_config / ..., and
 *     |   dev->ops->notify itself on the path of every request
 *     v
 *   virtio/virtio.c   what every transport shares: the status sequence
 *     |               of §3.1.1, feature negotiation, consistent config
 *     |               reads (§2.5.1), written once
 *     v   dev->ops
 *   virtio/mmio.c     one transport: its registers (§4.2)
 *   virtio/pci.c      the other: capabilities and structures (§4.1)
 *
 * The ring memory is laid out by vring/ and handed to the transport as
 * physical addresses; the transport knows nothing of rings or requests.
 */
#ifndef VBLK_VIRTIO_VIRTIO_H
#define VBLK_VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

/* The platform below every transport (MMIO, barriers, time, IRQ masking):
 * a device driver above, such as blk/, reaches it through this header. */
#include "plat/platform.h"

/* Device status bits (virtio 1.2 §2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE        1u
#define VIRTIO_STATUS_DRIVER             2u
#define VIRTIO_STATUS_DRIVER_OK          4u
#define VIRTIO_STATUS_FEATURES_OK        8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED             0x80u

/* Transport-level feature bits (virtio 1.2 §6). */
#define VIRTIO_F_INDIRECT_DESC   28
#define VIRTIO_F_EVENT_IDX       29
#define VIRTIO_F_VERSION_1       32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED     34
#define VIRTIO_F_ORDER_PLATFORM  36
#define VIRTIO_F_RING_RESET      40

/* The interrupt status every transport reports (virtio 1.2 §4.1.4.5 ISR,
 * §4.2.2 InterruptStatus): a used buffer, a configuration change. */
#define VIRTIO_INT_USED_BUFFER   (1u << 0)
#define VIRTIO_INT_CONFIG_CHANGE (1u << 1)
#define VIRTIO_INT_DEFINED       (VIRTIO_INT_USED_BUFFER | VIRTIO_INT_CONFIG_CHANGE)

/* Device IDs (virtio 1.2 §5). */
#define VIRTIO_ID_BLOCK 2u

/* Physical addresses of one virtqueue's three areas (§2.6). */
struct virtio_queue_addrs {
	uint64_t desc;
	uint64_t driver;   /* driver area: the split ring's available ring,
			      or the packed ring's driver event area */
	uint64_t device;   /* device area: the split ring's used ring, or
			      the packed ring's device event area */
};

struct virtio_dev;

/*
 * What a transport does; each op is one access pattern of the spec's
 * "basic facilities" (§2) on that transport's registers.
 */
struct virtio_transport_ops {
	const char *name;
	/* Write 0 to Status and wait (bounded by VBLK_RESET_TIMEOUT_US)
	 * until it reads back 0 (§2.4.2): 0, or -VBLK_ETIMEDOUT. */
	int (*reset)(struct virtio_dev *dev);
	uint32_t (*get_status)(struct virtio_dev *dev);
	void (*set_status)(struct virtio_dev *dev, uint32_t status);
	uint64_t (*device_features)(struct virtio_dev *dev);
	void (*set_driver_features)(struct virtio_dev *dev, uint64_t features);
	/* Config space at the field's own width: 1, 2 or 4 bytes (§2.5). */
	uint32_t (*config_read)(struct virtio_dev *dev, uint32_t offset, unsigned width_bytes);
	uint32_t (*config_generation)(struct virtio_dev *dev);  /* 0 if none */
	/* The largest size queue `queue_idx` may have, 0 if it does not
	 * exist or is in use already. */
	uint32_t (*queue_max)(struct virtio_dev *dev, uint16_t queue_idx);
	int (*queue_enable)(struct virtio_dev *dev, uint16_t queue_idx, uint16_t num,
			    const struct virtio_queue_addrs *addrs);
	void (*notify)(struct virtio_dev *dev, uint16_t queue_idx);
	uint32_t (*interrupt_status)(struct virtio_dev *dev);
	void (*interrupt_ack)(struct virtio_dev *dev, uint32_t bits);
	/* Reading the status lowers the interrupt line (virtio-pci's ISR,
	 * §4.1.4.5): an interrupt a read finds is withdrawn, and no handler
	 * will run for it. (virtio-mmio's InterruptStatus is only lowered by
	 * InterruptACK.) */
	bool status_read_lowers_line;
};

enum virtio_transport_kind {
	VIRTIO_TRANSPORT_MMIO,   /* regs.mmio */
	VIRTIO_TRANSPORT_PCI,    /* regs.pci */
};

struct virtio_dev {
	const struct virtio_transport_ops *ops;
	enum virtio_transport_kind transport;
	bool legacy;            /* the legacy interface (§7): 32 feature bits,
				   no FEATURES_OK, guest-endian */
	uint32_t device_id;
	uint32_t vendor_id;
	uint64_t features;      /* negotiated (accepted) feature bits */
	/* Where the transport finds its registers. */
	union {
		struct {
			uintptr_t base;     /* the 0x200-byte register window */
			uint32_t version;   /* 1 legacy, 2 modern */
		} mmio;
		struct virtio_pci_regs {
			/* CPU addresses of the four structures the
			 * capabilities point at (§4.1.4), in the BARs */
			uintptr_t common, isr, device, notify;
			uint32_t device_bytes;    /* device config length */
			uint32_t notify_bytes;
			uint32_t notify_multiplier;
			uint16_t num_queues;
			/* Queue 0's notify address, set by queue_enable
			 * (§4.1.4.4: it depends on the queue) */
			uintptr_t queue0_notify;
			/* ISR bits read (the read clears them, §4.1.4.5)
			 * and not yet acknowledged by the driver */
			uint8_t isr_pending;
			uint8_t bus, dev, fn;
			/* CPU address of the function's configuration
			 * space: which function it is, whatever host
			 * (two hosts may each have one at bus:dev.fn) */
			uint64_t config_space;
			uint16_t pci_vendor_id, pci_device_id;
		} pci;
	} regs;
};

static inline bool virtio_has_feature(const struct virtio_dev *dev, unsigned bit)
{
	return (dev->features >> bit) & 1u;
}

/* The start of initialisation, on a device just reset (virtio_reset,
 * §3.1.1 step 1): ACKNOWLEDGE, DRIVER, accept the offered features that
 * are in `driver_features` (and VERSION_1, required on a modern device),
 * then FEATURES_OK, read back (steps 2-6; §3.1.2 for legacy). 0, or
 * -VBLK_EFEATURES with FAILED set. */
VBLK_COLD int virtio_begin_init(struct virtio_dev *dev, uint64_t driver_features);
/* The end: DRIVER_OK (§3.1.1 step 8). */
VBLK_COLD void virtio_finish_init(struct virtio_dev *dev);
/* Give up on the device during init: FAILED (§3.1.1). */
VBLK_COLD void virtio_fail(struct virtio_dev *dev);

static inline int virtio_reset(struct virtio_dev *dev)
{
	return dev->ops->reset(dev);
}

static inline bool virtio_needs_reset(struct virtio_dev *dev)
{
	return dev->ops->get_status(dev) & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
}

/* Read a device-specific configuration that must not tear (§2.5.1):
 * `read` fills `snapshot` (at most VIRTIO_CONFIG_SNAPSHOT_MAX bytes) from
 * config space, and is repeated until the device's configuration did not
 * change meanwhile. 0, or -VBLK_EBROKEN if it never settles. */
#define VIRTIO_CONFIG_SNAPSHOT_MAX 64u
VBLK_COLD int virtio_read_config(struct virtio_dev *dev,
				 void (*read)(struct virtio_dev *dev, void *snapshot),
				 void *snapshot, unsigned snapshot_bytes);

/* A 64-bit field as two 32-bit reads, low half first (§4.2.2.2); only
 * meaningful inside virtio_read_config. */
VBLK_COLD uint64_t virtio_config_read64(struct virtio_dev *dev, uint32_t offset);

static inline uint32_t virtio_config_read32(struct virtio_dev *dev, uint32_t offset)
{
	return dev->ops->config_read(dev, offset, 4);
}

static inline uint16_t virtio_config_read16(struct virtio_dev *dev, uint32_t offset)
{
	return (uint16_t)dev->ops->config_read(dev, offset, 2);
}

static inline uint8_t virtio_config_read8(struct virtio_dev *dev, uint32_t offset)
{
	return (uint8_t)dev->ops->config_read(dev, offset, 1);
}

static inline uint32_t virtio_queue_max(struct virtio_dev *dev, uint16_t queue_idx)
{
	return dev->ops->queue_max(dev, queue_idx);
}

static inline int virtio_queue_enable(struct virtio_dev *dev, uint16_t queue_idx, uint16_t num,
				      const struct virtio_queue_addrs *addrs)
{
	return dev->ops->queue_enable(dev, queue_idx, num, addrs);
}

static inline uint32_t virtio_interrupt_status(struct virtio_dev *dev)
{
	return dev->ops->interrupt_status(dev);
}

static inline void virtio_interrupt_ack(struct virtio_dev *dev, uint32_t bits)
{
	dev->ops->interrupt_ack(dev, bits);
}

#endif
