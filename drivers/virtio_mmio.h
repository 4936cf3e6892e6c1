/*
 * virtio-mmio transport (virtio 1.2 §4.2), versions 1 (legacy) and 2 (modern).
 *
 * This layer knows register offsets and the device status dance; it knows
 * nothing of rings or block requests. The ring memory is laid out by vring/
 * and handed in as physical addresses.
 */
#ifndef VBLK_VIRTIO_MMIO_H
#define VBLK_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

/* Register offsets (virtio 1.2 §4.2.2, legacy additions §4.2.4). */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000
#define VIRTIO_MMIO_VERSION             0x004
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_GUEST_PAGE_SIZE     0x028 /* legacy only */
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_ALIGN         0x03c /* legacy only */
#define VIRTIO_MMIO_QUEUE_PFN           0x040 /* legacy only */
#define VIRTIO_MMIO_QUEUE_READY         0x044 /* modern only */
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080 /* modern only, to 0x0a4 */
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc /* modern only */
#define VIRTIO_MMIO_CONFIG              0x100

#define VIRTIO_MMIO_MAGIC               0x74726976u /* "virt", little-endian */
#define VIRTIO_MMIO_VERSION_LEGACY      1u
#define VIRTIO_MMIO_VERSION_MODERN      2u
#define VIRTIO_MMIO_WINDOW_BYTES        0x200u

/* InterruptStatus / InterruptACK bits (virtio 1.2 §4.2.2). */
#define VIRTIO_MMIO_INT_VRING           (1u << 0)
#define VIRTIO_MMIO_INT_CONFIG          (1u << 1)
#define VIRTIO_MMIO_INT_DEFINED         (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG)

/* Device status bits (virtio 1.2 §2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE        1u
#define VIRTIO_STATUS_DRIVER             2u
#define VIRTIO_STATUS_DRIVER_OK          4u
#define VIRTIO_STATUS_FEATURES_OK        8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED             0x80u

/* Transport-level feature bits (virtio 1.2 §6). */
#define VIRTIO_F_INDIRECT_DESC  28
#define VIRTIO_F_EVENT_IDX      29
#define VIRTIO_F_VERSION_1      32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED    34
#define VIRTIO_F_ORDER_PLATFORM 36
#define VIRTIO_F_RING_RESET     40

/* Device IDs (virtio 1.2 §5). */
#define VIRTIO_ID_BLOCK 2u

/* Legacy queue layout parameters we program (virtio 1.2 §4.2.4). */
#define VIRTIO_MMIO_LEGACY_PAGE_BYTES 4096u

struct virtio_mmio_dev {
	uintptr_t base;        /* start of the 0x200-byte register window */
	uint32_t version;      /* VIRTIO_MMIO_VERSION_LEGACY or _MODERN */
	uint32_t device_id;
	uint32_t vendor_id;
	uint64_t features;     /* negotiated (accepted) feature bits */
};

/* Physical addresses of one split virtqueue's three parts. */
struct virtio_mmio_queue_addrs {
	uint64_t desc;
	uint64_t avail;        /* "driver area" */
	uint64_t used;         /* "device area" */
};

int vmmio_probe(struct virtio_mmio_dev *dev, uintptr_t base);
int vmmio_reset(struct virtio_mmio_dev *dev);
void vmmio_add_status(struct virtio_mmio_dev *dev, uint32_t bits);
uint32_t vmmio_status(const struct virtio_mmio_dev *dev);
void vmmio_fail(struct virtio_mmio_dev *dev);
int vmmio_negotiate(struct virtio_mmio_dev *dev, uint64_t driver_features);
uint32_t vmmio_queue_max(struct virtio_mmio_dev *dev, uint32_t queue_idx);
int vmmio_queue_enable(struct virtio_mmio_dev *dev, uint32_t queue_idx, uint32_t num,
		       const struct virtio_mmio_queue_addrs *addrs);
void vmmio_notify(struct virtio_mmio_dev *dev, uint32_t queue_idx);
uint32_t vmmio_interrupt_status(const struct virtio_mmio_dev *dev);
void vmmio_interrupt_ack(struct virtio_mmio_dev *dev, uint32_t bits);

/* Config space access at the field's own width (virtio 1.2 §4.2.2.2). */
uint8_t vmmio_config_read8(const struct virtio_mmio_dev *dev, uint32_t offset);
uint16_t vmmio_config_read16(const struct virtio_mmio_dev *dev, uint32_t offset);
uint32_t vmmio_config_read32(const struct virtio_mmio_dev *dev, uint32_t offset);
uint64_t vmmio_config_read64(const struct virtio_mmio_dev *dev, uint32_t offset);
uint32_t vmmio_config_generation(const struct virtio_mmio_dev *dev);

static inline bool vmmio_has_feature(const struct virtio_mmio_dev *dev, unsigned bit)
{
	return (dev->features >> bit) & 1u;
}

#endif
