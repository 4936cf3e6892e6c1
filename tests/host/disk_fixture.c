/* SPDX-License-Identifier: MIT */
/*
 * One fake device with the driver attached, reset around every test: see
 * disk_fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "disk_fixture.h"

/* virtio/pci.c, which defines vblk_attach_pci, lands on its own: a weak
 * reference links with or without it (NULL without). */
#pragma weak vblk_attach_pci

#define PCI_BAR_STRIDE 0x100000ull   /* between one device's BARs and the next's */

struct fake_virtio *fv;
struct vblk_disk *disk;
bool pci_decoding_on;

/* The running test is a PACKED_TRANSPORTS entry (set by disk_setup). */
static bool packed_ring;

/* The fake ECAM this test's PCI devices sit behind, and how many. */
static struct fake_pci *ecam;
static uint8_t pci_devices;

uint32_t test_version(void **state)
{
	return (uint32_t)(uintptr_t)*state & ~TEST_RING_PACKED;
}

bool test_is_packed(void **state)
{
	return ((uintptr_t)*state & TEST_RING_PACKED) != 0;
}

bool test_is_pci(void **state)
{
	return test_version(state) == TRANSPORT_PCI;
}

bool test_is_modern(void **state)
{
	return test_version(state) != 1;
}

/* A modern virtio-blk-pci function on the root bus, BARs assigned. The
 * ECAM comes with the test's first one (host_platform_reset frees it). */
static struct fake_virtio *make_pci_device(const struct fake_virtio_opts *opts)
{
	struct fake_virtio *device;
	uint64_t bar_offset;

	if (!host_mmio_is_mapped((uintptr_t)FAKE_ECAM_BASE)) {
		ecam = fake_pci_create(FAKE_ECAM_BASE, FAKE_ECAM_BYTES, 0);
		pci_devices = 0;
	}
	bar_offset = PCI_BAR_STRIDE * pci_devices++;
	device = fake_virtio_create_pci(ecam, -1, pci_devices, 0, opts, NULL);
	fake_virtio_pci_assign_bars(device, FAKE_PCI_MEM32_BASE + bar_offset,
				    FAKE_PCI_MEM64_BASE + bar_offset, pci_decoding_on);
	return device;
}

struct fake_virtio *make_device(uint32_t version, opts_tweak_fn *tweak)
{
	struct fake_virtio_opts opts;
	bool pci = version == TRANSPORT_PCI;

	fake_virtio_default_opts(&opts, pci ? 2 : version);
	if (packed_ring && version != 1)
		with_packed_ring(&opts);
	if (tweak)
		tweak(&opts);
	return pci ? make_pci_device(&opts) : fake_virtio_create(&opts);
}

static int attach_by_transport(struct fake_virtio *device)
{
	uint8_t dev, fn;

	if (!fake_virtio_is_pci(device))
		return vblk_attach(fake_virtio_base(device), TEST_INTID);
	if (vblk_attach_pci == NULL)
		fail_msg("vblk_attach_pci is not built yet: no PCI transport to test");
	fake_virtio_pci_slot(device, &dev, &fn);
	return vblk_attach_pci(FAKE_ECAM_BASE, (uint8_t)fake_virtio_pci_bus(device), dev, fn,
			       TEST_INTID);
}

/* A packed entry that ran on the split ring would pass for the wrong
 * reason: the driver must have taken the packed ring it was offered. */
int attach_device(struct fake_virtio *device)
{
	int index = attach_by_transport(device);
	uint64_t packed = FAKE_BIT(FAKE_F_RING_PACKED);

	if (index >= 0 && packed_ring && (fake_virtio_opts(device)->features & packed))
		assert_true(fake_virtio_accepted_features(device) & packed);
	return index;
}

int attach_with(void **state, opts_tweak_fn *tweak)
{
	fv = make_device(test_version(state), tweak);
	int index = attach_device(fv);
	disk = index >= 0 ? vblk_disk((unsigned)index) : NULL;
	return index < 0 ? index : 0;
}

void attach_ok(void **state, opts_tweak_fn *tweak)
{
	assert_int_equal(attach_with(state, tweak), 0);
	assert_non_null(disk);
}

uint8_t *load_test_dtb(const char *name, long keep_bytes, size_t *len_bytes)
{
	const char *dir = getenv("VBLK_DTB_DIR");
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/host/dtb", name);
	FILE *file = fopen(path, "rb");
	if (file == NULL)
		fail_msg("cannot open %s (run from the repository root or set VBLK_DTB_DIR)", path);
	assert_int_equal(fseek(file, 0, SEEK_END), 0);
	long file_bytes = ftell(file);
	assert_true(file_bytes > 0);
	rewind(file);
	*len_bytes = (size_t)(keep_bytes > 0 ? keep_bytes : file_bytes + keep_bytes);
	uint8_t *blob = malloc(*len_bytes);
	assert_non_null(blob);
	assert_int_equal(fread(blob, 1, *len_bytes, file), *len_bytes);
	fclose(file);
	return blob;
}

void read_only(struct fake_virtio_opts *opts)
{
	opts->features |= FAKE_BIT(FAKE_F_BLK_RO);
}

void block_4k(struct fake_virtio_opts *opts)
{
	opts->features |= FAKE_BIT(FAKE_F_BLK_BLK_SIZE);
	opts->blk_size_bytes = 4096;
}

void no_flush(struct fake_virtio_opts *opts)
{
	opts->features &= ~FAKE_BIT(FAKE_F_BLK_FLUSH);
}

void no_queue(struct fake_virtio_opts *opts)
{
	opts->queue_num_max = 0;
}

void without_indirect(struct fake_virtio_opts *opts)
{
	opts->features &= ~FAKE_BIT(FAKE_F_INDIRECT_DESC);
}

void without_event_idx(struct fake_virtio_opts *opts)
{
	opts->features &= ~FAKE_BIT(FAKE_F_EVENT_IDX);
}

void with_packed_ring(struct fake_virtio_opts *opts)
{
	opts->features |= FAKE_BIT(FAKE_F_RING_PACKED);
}

int disk_setup(void **state)
{
	packed_ring = state != NULL && test_is_packed(state);
	vblk_shutdown();
	host_platform_reset();
	vblk_set_dma_ranges(NULL, 0);   /* every address, as a new library */
	fv = NULL;
	disk = NULL;
	pci_decoding_on = false;
	return 0;
}

int disk_teardown(void **state)
{
	(void)state;
	if (fv) {
		fake_virtio_assert_clean(fv);
		/* A device left with a stalled reset holds its disk's memory
		 * (VBLK_EHELD) until it resets: let it, so the next test
		 * starts with every slot free. */
		fake_virtio_set_reset_delay(fv, 0);
	}
	vblk_shutdown();
	host_platform_reset();
	return 0;
}
