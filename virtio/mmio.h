/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport (virtio 1.2 §4.2), versions 1 (legacy, QEMU's
 * default) and 2 (modern): its registers, and the probe that makes a
 * struct virtio_dev of a register window.
 */
#ifndef VBLK_VIRTIO_MMIO_H
#define VBLK_VIRTIO_MMIO_H

#include <stdint.h>

#include "plat/compiler.h"
#include "virtio/virtio.h"

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

/* InterruptStatus / InterruptACK bits (§4.2.2): virtio's own. */
#define VIRTIO_MMIO_INT_VRING           VIRTIO_INT_USED_BUFFER
#define VIRTIO_MMIO_INT_CONFIG          VIRTIO_INT_CONFIG_CHANGE

/* Legacy queue layout parameters we program (§4.2.4). */
#define VIRTIO_MMIO_LEGACY_PAGE_BYTES 4096u

/*
 * Identify the device in the register window at `base` (§4.2.3.1.1:
 * MagicValue and Version first, then DeviceID; an ID of 0 is an empty
 * placeholder and no other register may be touched). 0 for a usable
 * device, its ops set; -VBLK_ENODEV otherwise (dev->regs.mmio.version
 * and dev->device_id say why).
 */
VBLK_COLD int virtio_mmio_probe(struct virtio_dev *dev, uintptr_t base);

#endif
