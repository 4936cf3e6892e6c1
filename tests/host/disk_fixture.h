/* SPDX-License-Identifier: MIT */
/*
 * The fixture the driver-level host tests (blk, queue, conformance, api)
 * share: one fake virtio-blk device, the driver attached to it, and a clean
 * slate around each test.
 *
 * It offers the running test's device and disk (`fv`, `disk`); cmocka setup
 * and teardown functions (disk_setup, disk_teardown) that shut the driver
 * down and reset the simulated machine, the teardown first checking that
 * the fake saw no rule broken; BOTH_TRANSPORTS, which registers a test on a
 * legacy and on a modern device, ALL_TRANSPORTS, which adds a modern
 * virtio-blk-pci function, and PACKED_TRANSPORTS, the modern ones again
 * on packed rings; ways to make a device and attach to it; and
 * the device tweaks more than one test file uses.
 *
 * The PCI device (TRANSPORT_PCI) is a function on the root bus of a fake
 * ECAM at FAKE_ECAM_BASE (QEMU virt's), devices 1, 2, ... in the order
 * made, whose BARs "firmware" has assigned (BAR1 in the 32-bit window,
 * BAR4 in the 64-bit one, 1 MiB apart per device), CPU address = PCI
 * address. Firmware leaves Memory Space off unless pci_decoding_on is
 * set (the driver must cope with both) and Bus Master Enable off always:
 * vblk_attach_pci turns both on. Until the driver defines
 * vblk_attach_pci, attaching a PCI device fails the test with a message.
 *
 * A test file with state of its own wraps disk_setup in a setup that also
 * clears that state. What each file checks in its own way (request
 * framing, register traces, fill patterns, its other tweaks) stays there.
 */
#ifndef VBLK_TESTS_DISK_FIXTURE_H
#define VBLK_TESTS_DISK_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fake_virtio.h"
#include "fake_virtio_pci.h"
#include "vblk/vblk.h"

/* The interrupt ID the driver is told the device raises. */
#define TEST_INTID 79u

/* Changes a device's options before it is created (NULL: none). */
typedef void opts_tweak_fn(struct fake_virtio_opts *opts);

/* The running test's device and disk; NULL until it makes them. */
extern struct fake_virtio *fv;
extern struct vblk_disk *disk;

/* Two entries for one test: "name (legacy)" on a version 1 device and
 * "name (modern)" on version 2. The test asks test_version(state). */
#define BOTH_TRANSPORTS(name, setup_fn, teardown_fn)                                         \
	{ #name " (legacy)", name, setup_fn, teardown_fn, (void *)1 },                       \
	{ #name " (modern)", name, setup_fn, teardown_fn, (void *)2 }

/* test_version() of a virtio-pci device: modern, through BAR4. */
#define TRANSPORT_PCI 3u

/* Three entries: BOTH_TRANSPORTS and "name (pci)". Only for tests that
 * do not read MMIO registers or ask test_version(state) == 2 for
 * "modern" (test_is_modern says that for PCI too). */
#define ALL_TRANSPORTS(name, setup_fn, teardown_fn)                                          \
	BOTH_TRANSPORTS(name, setup_fn, teardown_fn),                                        \
	{ #name " (pci)", name, setup_fn, teardown_fn, (void *)(uintptr_t)TRANSPORT_PCI }

/* Two entries on packed rings: "name (modern, packed)" and "name (pci,
 * packed)", whose devices offer VIRTIO_F_RING_PACKED (QEMU's packed=on);
 * test_version() says 2 and TRANSPORT_PCI as for their split twins, and
 * attaching asserts that the driver accepted the packed ring. Set by
 * disk_setup: every make_device() of such a test offers it. A file turns
 * them on by adding this macro beside ALL_TRANSPORTS. */
#define TEST_RING_PACKED 0x100u
#define PACKED_TRANSPORTS(name, setup_fn, teardown_fn)                                       \
	{ #name " (modern, packed)", name, setup_fn, teardown_fn,                            \
	  (void *)(uintptr_t)(2u | TEST_RING_PACKED) },                                      \
	{ #name " (pci, packed)", name, setup_fn, teardown_fn,                               \
	  (void *)(uintptr_t)(TRANSPORT_PCI | TEST_RING_PACKED) }

uint32_t test_version(void **state);
bool test_is_packed(void **state);   /* a PACKED_TRANSPORTS entry */
bool test_is_pci(void **state);
bool test_is_modern(void **state);   /* virtio-mmio version 2, or PCI */

/* PCI devices made from now on have Memory Space on, as firmware that
 * enumerated the bus leaves them (default false; disk_setup clears it). */
extern bool pci_decoding_on;

int disk_setup(void **state);
int disk_teardown(void **state);

/* A device of transport `version` (1, 2 or TRANSPORT_PCI) with QEMU's
 * defaults, changed by `tweak`. */
struct fake_virtio *make_device(uint32_t version, opts_tweak_fn *tweak);

/* Attach the driver to `device` by its transport (vblk_attach, or
 * vblk_attach_pci with TEST_INTID): the disk's index or the error. */
int attach_device(struct fake_virtio *device);

/* Such a device of the test's version (fv) and the driver attached to it
 * (disk): 0, or vblk_attach's error with disk NULL. */
int attach_with(void **state, opts_tweak_fn *tweak);

/* The same where attaching must succeed. */
void attach_ok(void **state, opts_tweak_fn *tweak);

/* tests/host/dtb/NAME (or $VBLK_DTB_DIR/NAME) in a heap block of exactly
 * `keep_bytes` bytes (0: the whole file; negative: that many bytes short
 * of it), so ASan trips on any read past what a call was told it may
 * read. The caller frees it. */
uint8_t *load_test_dtb(const char *name, long keep_bytes, size_t *len_bytes);

opts_tweak_fn read_only;        /* offers VIRTIO_BLK_F_RO */
opts_tweak_fn block_4k;         /* 4 KiB logical blocks (VIRTIO_BLK_F_BLK_SIZE) */
opts_tweak_fn no_flush;         /* no VIRTIO_BLK_F_FLUSH: write-through */
opts_tweak_fn no_queue;         /* QueueNumMax 0 */
/* No VIRTIO_F_INDIRECT_DESC (QEMU's indirect_desc=off): every chain goes
 * into the ring directly. */
opts_tweak_fn without_indirect;
/* No VIRTIO_F_EVENT_IDX (QEMU's event_idx=off): suppression by the avail
 * and used flags only. */
opts_tweak_fn without_event_idx;
/* Offers VIRTIO_F_RING_PACKED (what make_device does in a packed entry). */
opts_tweak_fn with_packed_ring;

#endif
