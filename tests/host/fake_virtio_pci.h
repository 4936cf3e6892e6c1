/* SPDX-License-Identifier: MIT */
/*
 * The fake virtio-blk device's PCI face (virtio 1.2 §4.1): the same device
 * (fake_virtio.h: disk, rings, knobs, violations, inspection) reached as a
 * function behind the fake ECAM host (fake_pci.h) instead of through a
 * virtio-mmio window. Modelled on QEMU 7.2's virtio-blk-pci
 * (/work/shared/QEMU-FACTS.md, VIRTIO-CHECKLIST.md §7), not on our driver:
 *
 *   IDs       1af4:1042 modern-only (revision 1, subsystem 1af4:1100), or
 *             1af4:1001 transitional (revision 0, subsystem 1af4:0002, and
 *             a 128-byte I/O BAR0 of legacy registers, not modelled: a
 *             modern driver leaves it alone); class 0x010000; Interrupt
 *             Pin 1 (INTA); Status bit 4: a capability list.
 *   BARs      BAR1 32-bit memory, 4 KiB: the MSI-X table, inert (reads 0);
 *             BAR4 64-bit prefetchable, 16 KiB: common configuration at
 *             0x0000, ISR 0x1000, device configuration 0x2000, notify
 *             0x3000, each capability 0x1000 long.
 *   caps      from 0x34 in QEMU's order: MSI-X (0x11, 2 vectors; only
 *             its enable bit is writable, and the table stays inert:
 *             enabled, it silences INTx and sends nothing, as QEMU does
 *             with every vector NO_VECTOR), then vendor
 *             capabilities PCI_CFG (5, inert), NOTIFY (2, multiplier 4),
 *             DEVICE (4), ISR (3), COMMON (1).
 *
 * BAR4 decodes only once it holds an address and Memory Space is on
 * (fake_pci.h); the device touches the rings only while Bus Master Enable
 * is set (PCI-16; clearing it after DRIVER_OK clears DRIVER_OK, as QEMU
 * does). The common configuration is decoded into the state the MMIO
 * face uses; the ISR is InterruptStatus, 8 bits, cleared by a read, and
 * the INTx line the irq hook follows is up while it is non-zero and
 * neither Command's Interrupt Disable nor MSI-X Enable holds it down;
 * config_msix_vector and queue_msix_vector read NO_VECTOR (0xffff). A
 * driver mistake is recorded under its checklist ID: PCI-5 (width,
 * alignment, no field), PCI-9 (the second COMMON capability used),
 * PCI-16 (DRIVER_OK or a notification without Bus Master Enable, or BME
 * cleared while running), PCI-17 (a read-only field written), PCI-18
 * (features without their select), PCI-19 (queue_size 0, not a power of 2
 * or above the maximum), PCI-20 (a queue of size 0 enabled), PCI-21 (a
 * queue field without a valid queue_select), PCI-22 (queue fields after
 * queue_enable), PCI-23 (queue_enable other than 1: the device breaks, as
 * QEMU's does), PCI-25 (queue_reset without RING_RESET), PCI-29 (a notify
 * address naming no queue), PCI-31 (a notification not 16 bits wide or
 * not the queue's index); shared rules (INIT-*, STAT-*, RST-1, SPL-*,
 * BLK-*, CFG-*) as on MMIO. The register trace (fake_virtio_reg_trace)
 * holds BAR4 accesses, offsets from BAR4's base.
 *
 * Typical use (disk_fixture.c does this for the shared driver tests):
 *     struct fake_pci *pci = fake_pci_create(FAKE_ECAM_BASE, FAKE_ECAM_BYTES, 0);
 *     struct fake_virtio *fv = fake_virtio_create_pci(pci, -1, 1, 0, NULL, NULL);
 *     fake_virtio_pci_assign_bars(fv, FAKE_PCI_MEM32_BASE, FAKE_PCI_MEM64_BASE, false);
 *     ... vblk_attach_pci(FAKE_ECAM_BASE, 0, 1, 0, intid) ...
 *     host_platform_reset();   // frees the ECAM, its functions and devices
 */
#ifndef VBLK_TESTS_FAKE_VIRTIO_PCI_H
#define VBLK_TESTS_FAKE_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_pci.h"

struct fake_virtio;
struct fake_virtio_opts;

/* QEMU virt's PCI host (QEMU-FACTS.md): ECAM and the two memory windows. */
#define FAKE_ECAM_BASE       0x4010000000ull
#define FAKE_ECAM_BYTES      0x10000000u
#define FAKE_PCI_MEM32_BASE  0x10000000ull
#define FAKE_PCI_MEM64_BASE  0x8000000000ull

#define FAKE_PCI_VENDOR_VIRTIO        0x1af4u
#define FAKE_PCI_DEVICE_BLK_MODERN    0x1042u  /* 0x1040 + device ID 2 */
#define FAKE_PCI_DEVICE_BLK_TRANSITIONAL 0x1001u
#define FAKE_PCI_CLASS_SCSI_STORAGE   0x010000u

/* Where QEMU puts things. */
#define FAKE_VIRTIO_PCI_MSIX_BAR      1u
#define FAKE_VIRTIO_PCI_MSIX_BYTES    0x1000u
#define FAKE_VIRTIO_PCI_BAR           4u       /* the modern structures */
#define FAKE_VIRTIO_PCI_BAR_BYTES     0x4000u
#define FAKE_VIRTIO_PCI_COMMON        0x0000u  /* offsets in BAR4 */
#define FAKE_VIRTIO_PCI_ISR           0x1000u
#define FAKE_VIRTIO_PCI_DEVICE        0x2000u
#define FAKE_VIRTIO_PCI_NOTIFY        0x3000u
#define FAKE_VIRTIO_PCI_STRUCT_BYTES  0x1000u
#define FAKE_VIRTIO_PCI_DECOY_COMMON  0x0800u  /* second_common's target */

/* virtio_pci_cap.cfg_type (virtio 1.2 §4.1.4). */
#define FAKE_PCI_CAP_COMMON_CFG 1u
#define FAKE_PCI_CAP_NOTIFY_CFG 2u
#define FAKE_PCI_CAP_ISR_CFG    3u
#define FAKE_PCI_CAP_DEVICE_CFG 4u
#define FAKE_PCI_CAP_PCI_CFG    5u
#define FAKE_PCI_CAP_ID_VENDOR  0x09u
#define FAKE_PCI_CAP_ID_MSIX    0x11u

/* The PCI face's shape. fake_virtio_pci_default_opts() is QEMU 7.2's
 * modern-only virtio-blk-pci; the hostile knobs are all off. */
struct fake_virtio_pci_opts {
	bool transitional;             /* 1af4:1001 with an I/O BAR0 */
	uint8_t revision;              /* 1 (0 when transitional) */
	uint32_t notify_off_multiplier;/* 4; 0: one address for every queue */
	uint16_t queue_notify_off;     /* queue 0's (QEMU: its index, 0) */
	uint32_t common_length;        /* COMMON cap.length (0x1000; try 0x10) */
	uint32_t device_length;        /* DEVICE cap.length (0x1000; try
					  0x10000000, or 0x3000: past BAR4) */
	uint64_t bar4_mask_override;   /* nonzero: BAR4's sizing answer */
	/* Hostile capability lists (virtio 1.2 §4.1.4, PCI-7..12). */
	bool cap_loop;                 /* the last capability points at the first */
	uint8_t last_cap_next;         /* nonzero: the last one's cap_next
					  (< 0x40: into the header; 0xfc: a
					  capability running past 0x100) */
	bool bar6_cap_first;           /* a COMMON cap naming BAR 6 heads the
					  virtio capabilities (PCI-11) */
	bool reserved_types_first;     /* vendor caps of cfg_type 7 and 0x42
					  before the real ones (PCI-8) */
	bool second_common;            /* after QEMU's COMMON, another one at
					  BAR4 + 0x800: using it is PCI-9 */
};

void fake_virtio_pci_default_opts(struct fake_virtio_pci_opts *pci_opts);

/* Add a virtio-blk function at dev.fn under bridge `parent` (-1: the root
 * bus) and the device behind it: `opts` as for fake_virtio_create (NULL:
 * modern defaults; the version must be 2, PCI devices here are modern),
 * `pci_opts` NULL for QEMU's modern-only shape. Its BARs are unassigned
 * and Command is 0, as QEMU leaves them under -kernel. Freed with the
 * ECAM by host_platform_reset(), not by fake_virtio_destroy(). */
struct fake_virtio *fake_virtio_create_pci(struct fake_pci *pci, int parent, uint8_t dev,
					   uint8_t fn, const struct fake_virtio_opts *opts,
					   const struct fake_virtio_pci_opts *pci_opts);

/* What firmware would have done: BAR1 at mem32_addr, BAR4 at mem64_addr
 * (a transitional BAR0 at I/O 0x1000), and with `enable` Memory Space on
 * as well (Bus Master Enable is left to the driver either way). */
void fake_virtio_pci_assign_bars(struct fake_virtio *fv, uint64_t mem32_addr,
				 uint64_t mem64_addr, bool enable);

/* What firmware that used the device may leave behind: MSI-X Enable
 * set (`on`) or clear in the capability's Message Control. */
void fake_virtio_pci_set_msix(struct fake_virtio *fv, bool on);
bool fake_virtio_pci_msix_on(const struct fake_virtio *fv);

/* Is this device a PCI function (fake_virtio_create_pci)? */
bool fake_virtio_is_pci(const struct fake_virtio *fv);

/* The function: its device and function number, its index in the fake
 * ECAM, and the bus it answers on now (-1: no configuration request
 * reaches it). */
void fake_virtio_pci_slot(const struct fake_virtio *fv, uint8_t *dev, uint8_t *fn);
int fake_virtio_pci_fn_index(const struct fake_virtio *fv);
int fake_virtio_pci_bus(const struct fake_virtio *fv);
struct fake_pci *fake_virtio_pci_host(const struct fake_virtio *fv);

#endif
