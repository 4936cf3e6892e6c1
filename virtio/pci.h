/* SPDX-License-Identifier: MIT */
/*
 * The virtio PCI transport (virtio 1.2 §4.1), its modern interface: how a
 * PCI function becomes a struct virtio_dev.
 *
 *   config space (pci/)          a BAR (memory)             what it holds
 *   +------------------+
 *   | 0x34 cap pointer |--+
 *   +------------------+  |     +----------------------+
 *   | vendor cap 0x09  |<-+  +->| common cfg  (§4.1.4.3)| status, features,
 *   |  cfg_type COMMON |--bar,-+ |                      | queue setup
 *   |  cfg_type NOTIFY |--offset,->| notify      (§4.1.4.4)| "queue n has work"
 *   |  cfg_type ISR    |--length-->| ISR         (§4.1.4.5)| read clears
 *   |  cfg_type DEVICE |---------->| device cfg  (§4.1.4.6)| virtio-blk config
 *   +------------------+          +----------------------+
 *
 * Each vendor-specific capability (cap_vndr 0x09) names a BAR, an offset
 * and a length; virtio_pci_probe walks them, checks each structure lies
 * inside its BAR, and keeps the CPU addresses. From then on the transport
 * reads and writes those structures and never config space again.
 *
 * Legacy-only devices (QEMU's disable-modern=on: no virtio capabilities,
 * only the I/O BAR0 registers of §4.1.4.10) are refused with
 * -VBLK_EUNSUPP: vblk assigns no I/O space. A transitional device (1af4:1001,
 * QEMU's default) is driven through its modern interface.
 */
#ifndef VBLK_VIRTIO_PCI_H
#define VBLK_VIRTIO_PCI_H

#include <stdint.h>

#include "pci/pci.h"
#include "virtio/virtio.h"

/* PCI IDs (§4.1.2). */
#define VIRTIO_PCI_VENDOR_ID          0x1af4u
#define VIRTIO_PCI_MODERN_ID_BASE     0x1040u  /* + the virtio device ID */
#define VIRTIO_PCI_MODERN_ID_LAST     0x107fu
#define VIRTIO_PCI_TRANSITIONAL_FIRST 0x1000u  /* device type in the */
#define VIRTIO_PCI_TRANSITIONAL_LAST  0x103fu  /* subsystem device ID */
#define PCI_SUBSYSTEM_VENDOR_ID       0x2cu
#define PCI_SUBSYSTEM_ID              0x2eu

/* struct virtio_pci_cap (§4.1.4), byte offsets inside a capability. */
#define VIRTIO_PCI_CAP_VNDR       0x0u
#define VIRTIO_PCI_CAP_NEXT       0x1u
#define VIRTIO_PCI_CAP_LEN        0x2u
#define VIRTIO_PCI_CAP_CFG_TYPE   0x3u
#define VIRTIO_PCI_CAP_BAR        0x4u
#define VIRTIO_PCI_CAP_OFFSET     0x8u
#define VIRTIO_PCI_CAP_LENGTH     0xcu
#define VIRTIO_PCI_CAP_BYTES      0x10u
#define VIRTIO_PCI_NOTIFY_CAP_MULT 0x10u  /* notify_off_multiplier */
#define VIRTIO_PCI_NOTIFY_CAP_BYTES 0x14u

/* cfg_type values (§4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1u
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2u
#define VIRTIO_PCI_CAP_ISR_CFG    3u
#define VIRTIO_PCI_CAP_DEVICE_CFG 4u
#define VIRTIO_PCI_CAP_PCI_CFG    5u

/* struct virtio_pci_common_cfg (§4.1.4.3): offset, and width in bytes. */
#define VIRTIO_PCI_COMMON_DFSELECT      0x00u  /* 4 */
#define VIRTIO_PCI_COMMON_DF            0x04u  /* 4 */
#define VIRTIO_PCI_COMMON_GFSELECT      0x08u  /* 4 */
#define VIRTIO_PCI_COMMON_GF            0x0cu  /* 4 */
#define VIRTIO_PCI_COMMON_MSIX          0x10u  /* 2 */
#define VIRTIO_PCI_COMMON_NUMQ          0x12u  /* 2 */
#define VIRTIO_PCI_COMMON_STATUS        0x14u  /* 1 */
#define VIRTIO_PCI_COMMON_CFGGENERATION 0x15u  /* 1 */
#define VIRTIO_PCI_COMMON_Q_SELECT      0x16u  /* 2 */
#define VIRTIO_PCI_COMMON_Q_SIZE        0x18u  /* 2 */
#define VIRTIO_PCI_COMMON_Q_MSIX        0x1au  /* 2 */
#define VIRTIO_PCI_COMMON_Q_ENABLE      0x1cu  /* 2 */
#define VIRTIO_PCI_COMMON_Q_NOFF        0x1eu  /* 2 */
#define VIRTIO_PCI_COMMON_Q_DESCLO      0x20u  /* 4 + 4 */
#define VIRTIO_PCI_COMMON_Q_AVAILLO     0x28u  /* 4 + 4 */
#define VIRTIO_PCI_COMMON_Q_USEDLO      0x30u  /* 4 + 4 */
#define VIRTIO_PCI_COMMON_MIN_BYTES     0x38u  /* what the driver touches */

/*
 * The virtio device type of a PCI function (§4.1.2), 0 if it is no
 * virtio device: vendor 0x1af4 with device 0x1040 + type, or a
 * transitional 0x1000-0x103f whose subsystem device ID holds the type.
 */
uint32_t virtio_pci_device_type(const struct pci_host *host, const struct pci_function *fn);

/*
 * Make a struct virtio_dev of PCI function `fn` (its BARs assigned and
 * its memory decoding and bus mastering on: pci_enable). 0 with its ops
 * set; -VBLK_ENODEV for a function that is no virtio device;
 * -VBLK_EUNSUPP for a legacy-only one (no virtio capabilities);
 * -VBLK_ESTATE if a structure is in a BAR nobody assigned; -VBLK_EBROKEN
 * if a structure the transport needs is missing, too short, misaligned or
 * runs past its BAR (§4.1.4.1: any number of capabilities is allowed,
 * the first usable one of each type wins).
 */
int virtio_pci_probe(struct virtio_dev *dev, const struct pci_host *host,
		     const struct pci_function *fn);

#endif
