/* SPDX-License-Identifier: MIT */
/*
 * A small virtio-pci function for the transport's own tests
 * (test_virtio_pci.c): one function at 00:01.0 of the fake ECAM
 * (fake_pci.h), its capability list written byte by byte by the test, and
 * behind its BARs a register model of the four structures, not the fake
 * virtio-blk device: the transport is checked alone, against hostile
 * config spaces.
 *
 *   function   QEMU's transitional virtio-blk-pci by default (1af4:1001,
 *              subsystem 1af4:0002): BAR0 I/O 128 B, BAR1 32-bit 4 KiB,
 *              BAR4 64-bit prefetchable 16 KiB
 *   structures where the model serves them (vpci_model.region), QEMU's
 *              layout by default: BAR4 + 0x0000 common, + 0x1000 ISR,
 *              + 0x2000 device, + 0x3000 notify, each 0x1000 long
 *
 * What fails the running test at once (host_fail), whatever the code
 * under test returns:
 *   - a config access of the probe to another function, at or past 0x100
 *     (capabilities live below it, PCI-7), or any config write (PCI-14):
 *     the probe reads config space through a logging window of its own
 *     (VPCI_PROBE_ECAM_BASE), not through the fake's ECAM;
 *   - a BAR access outside every structure of the model, misaligned for
 *     its width, past the common fields (PCI-5), or a write of a
 *     read-only common field (PCI-17);
 *   - any access where no BAR decodes (host_platform.h).
 */
#ifndef VBLK_TESTS_VPCI_FIXTURE_H
#define VBLK_TESTS_VPCI_FIXTURE_H

#include <stdint.h>

#include "fake_pci.h"
#include "pci/pci.h"
#include "virtio/pci.h"

#define VPCI_ECAM_BASE       0x4010000000ull
#define VPCI_ECAM_BYTES      0x10000000u
#define VPCI_PROBE_ECAM_BASE 0x5000000000ull   /* bus 0 only: 1 MiB */
#define VPCI_MEM32_BASE      0x10000000ull
#define VPCI_MEM32_BYTES     0x2eff0000ull
#define VPCI_MEM64_BASE      0x8000000000ull
#define VPCI_MEM64_BYTES     0x8000000000ull
#define VPCI_DEV             1u                /* 00:01.0 */

#define VPCI_CFG_TYPES       (VIRTIO_PCI_CAP_DEVICE_CFG + 1)  /* index: cfg_type */

/* Where the model serves a structure; length 0: nowhere. */
struct vpci_region {
	unsigned bar;
	uint32_t offset, length;
};

/* The device behind the BARs: the fields the transport uses. */
struct vpci_model {
	struct vpci_region region[VPCI_CFG_TYPES];
	uint8_t common[VIRTIO_PCI_COMMON_MIN_BYTES];  /* as written, little-endian */
	uint32_t device_features[2];
	uint16_t num_queues, queue_size, queue_notify_off;
	uint8_t isr;                       /* the next ISR read returns and clears it */
	uint8_t device_cfg[64];            /* device config; past it reads 0 */
	unsigned bar_accesses;             /* every read and write */
	unsigned isr_reads, device_cfg_reads;
	unsigned queue_enable_writes, notify_writes;
	uint32_t notify_offset;            /* of the last write, from the notify region */
	uint32_t notify_value;
	unsigned notify_width;
};

struct vpci_fixture {
	struct fake_pci *pci;
	int index;                         /* the function's, in the fake */
	struct fake_pci_fn_spec spec;      /* used by vpci_add_function */
	struct pci_host host;              /* QEMU virt's windows */
	struct pci_scan scan;
	struct pci_function unassigned;    /* vpci_probe_unassigned's */
	int enable_err;                    /* pci_enable's, in vpci_probe_scanned */
	unsigned probe_cfg_reads;
	struct vpci_model model;
};

/* Fresh fake ECAM, the default spec and QEMU's model; no function yet. */
void vpci_init(struct vpci_fixture *fx);

/* What the transport tests (test_virtio_pci*.c) share: the fixture and
 * the device probed from it (static: the fixture holds a pci_scan), a
 * fresh pair before each test, the simulated machine reset after it. */
extern struct vpci_fixture fx;
extern struct virtio_dev dev;
int vpci_setup(void **state);
int vpci_teardown(void **state);
/* QEMU's function with QEMU's capabilities, probed. */
int vpci_probe_qemu(void);
/* The probe returned `expected` and touched no BAR. */
void vpci_assert_untouched(int err, int expected);
/* Add fx->spec at 00:01.0, with the model behind its BARs; Status bit 4
 * and the capability pointer 0 (set them with vpci_cap_list). */
void vpci_add_function(struct vpci_fixture *fx);

/* ---- capability bytes ------------------------------------------------ */

/* Status bit 4 set or clear, and the pointer at 0x34. */
void vpci_cap_list(struct vpci_fixture *fx, int has_list, uint8_t first);
/* A virtio capability (cap_len 16) at pos. */
void vpci_cap(struct vpci_fixture *fx, uint8_t pos, uint8_t next, uint8_t cfg_type, uint8_t bar,
	      uint32_t offset, uint32_t length);
/* A NOTIFY capability (cap_len 20) with its multiplier. */
void vpci_notify_cap(struct vpci_fixture *fx, uint8_t pos, uint8_t next, uint8_t bar,
		     uint32_t offset, uint32_t length, uint32_t multiplier);
/* COMMON, ISR, DEVICE, NOTIFY (multiplier 4) where the model serves
 * them, from `pos` down the list in 0x14-byte steps; the last one's next
 * is `last_next`. */
void vpci_four_caps(struct vpci_fixture *fx, uint8_t pos, uint8_t last_next);
void vpci_cfg_byte(struct vpci_fixture *fx, uint32_t offset, uint8_t val);
/* QEMU 7.2's list (shared/VIRTIO-CHECKLIST.md §7): 0x34 -> MSI-X 0x98 ->
 * PCI_CFG 0x84 -> NOTIFY 0x70 -> DEVICE 0x60 -> ISR 0x50 -> COMMON 0x40. */
void vpci_qemu_caps(struct vpci_fixture *fx);

/* ---- probing ---------------------------------------------------------- */

/* pci_scan, pci_enable of the function (fx->enable_err), then
 * virtio_pci_probe through the logging window: its result. Each starts
 * the counts of BAR accesses and config reads from 0. */
int vpci_probe_scanned(struct vpci_fixture *fx, struct virtio_dev *dev);
/* pci_read_function alone (no BAR assigned), then the probe. */
int vpci_probe_unassigned(struct vpci_fixture *fx, struct virtio_dev *dev);
/* The CPU address of BAR `bar` after vpci_probe_scanned. */
uint64_t vpci_bar_addr(const struct vpci_fixture *fx, unsigned bar);

#endif
