/* SPDX-License-Identifier: MIT */
/*
 * The fake virtio-pci device itself (fake_virtio_pci.h), what the driver
 * tests rely on: its config space walks as QEMU 7.2's does, BAR4 decodes
 * only once assigned and enabled, QEMU's own initialisation order through
 * the common configuration serves a request, and each mistake the fake
 * promises to catch is recorded under its checklist ID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_virtio_internal.h"

#define DEV          3u
#define BAR4_ADDR    FAKE_PCI_MEM64_BASE
#define BAR1_ADDR    FAKE_PCI_MEM32_BASE
#define QSIZE        8u
#define COMMON(off)  (BAR4_ADDR + FAKE_VIRTIO_PCI_COMMON + (off))
#define NOTIFY_ADDR  (BAR4_ADDR + FAKE_VIRTIO_PCI_NOTIFY)
#define ISR_ADDR     (BAR4_ADDR + FAKE_VIRTIO_PCI_ISR)

/* Common configuration offsets (virtio 1.2 §4.1.4.3), written out again. */
enum {
	DFSEL = 0x00, DF = 0x04, GFSEL = 0x08, GF = 0x0c, MSIX_CFG = 0x10, NUMQ = 0x12,
	STATUS = 0x14, GEN = 0x15, QSEL = 0x16, QSZ = 0x18, QMSIX = 0x1a, QEN = 0x1c,
	QNOFF = 0x1e, QDESC = 0x20, QDRV = 0x28, QDEV = 0x30,
};

static struct fake_pci *pci;
static struct fake_virtio *fv;

struct ring {
	uint8_t desc[QSIZE * 16] __attribute__((aligned(16)));
	uint8_t avail[4 + 2 * QSIZE + 2] __attribute__((aligned(4)));
	uint8_t used[4 + 8 * QSIZE + 2] __attribute__((aligned(4)));
	uint8_t hdr[16];
	uint8_t data[512];
	uint8_t status;
};
static struct ring *ring;

static int setup(void **state)
{
	(void)state;
	host_platform_reset();
	pci = fake_pci_create(FAKE_ECAM_BASE, FAKE_ECAM_BYTES, 0);
	ring = calloc(1, sizeof(*ring));
	fv = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	host_platform_reset();
	free(ring);
	return 0;
}

static void make(const struct fake_virtio_pci_opts *pci_opts)
{
	fv = fake_virtio_create_pci(pci, -1, DEV, 0, NULL, pci_opts);
}

static uintptr_t ecam(uint32_t offset)
{
	return (uintptr_t)(FAKE_ECAM_BASE + (DEV << 15) + offset);
}

static uint32_t cfg_rd(uint32_t offset, unsigned width)
{
	return host_mmio_read(ecam(offset), width);
}

static void cfg_wr(uint32_t offset, unsigned width, uint32_t val)
{
	host_mmio_write(ecam(offset), width, val);
}

static uint32_t rd(uint32_t off, unsigned width)
{
	return host_mmio_read((uintptr_t)COMMON(off), width);
}

static void wr(uint32_t off, unsigned width, uint32_t val)
{
	host_mmio_write((uintptr_t)COMMON(off), width, val);
}

/* Firmware's BARs, then the driver's Memory Space and Bus Master Enable. */
static void make_enabled(const struct fake_virtio_pci_opts *pci_opts)
{
	make(pci_opts);
	fake_virtio_pci_assign_bars(fv, BAR1_ADDR, BAR4_ADDR, false);
	cfg_wr(0x04, 2, 0x6);
}

/* ---- config space --------------------------------------------------- */

struct cap_seen {
	uint8_t id, cfg_type, bar;
	uint32_t offset, length, multiplier;
};

/* The walk a driver makes (PCI-7): from 0x34, at most 48 hops. */
static unsigned walk(struct cap_seen *seen, unsigned max)
{
	unsigned count = 0;

	for (uint8_t at = (uint8_t)cfg_rd(0x34, 1); at != 0 && count < max;
	     at = (uint8_t)cfg_rd(at + 1u, 1)) {
		seen[count] = (struct cap_seen){ .id = (uint8_t)cfg_rd(at, 1) };
		if (seen[count].id == FAKE_PCI_CAP_ID_VENDOR) {
			seen[count].cfg_type = (uint8_t)cfg_rd(at + 3u, 1);
			seen[count].bar = (uint8_t)cfg_rd(at + 4u, 1);
			seen[count].offset = cfg_rd(at + 8u, 4);
			seen[count].length = cfg_rd(at + 12u, 4);
			if (seen[count].cfg_type == FAKE_PCI_CAP_NOTIFY_CFG)
				seen[count].multiplier = cfg_rd(at + 16u, 4);
		}
		count++;
	}
	return count;
}

static void test_config_space_walks_as_qemus(void **state)
{
	static const uint8_t types[] = { 0, FAKE_PCI_CAP_PCI_CFG, FAKE_PCI_CAP_NOTIFY_CFG,
					 FAKE_PCI_CAP_DEVICE_CFG, FAKE_PCI_CAP_ISR_CFG,
					 FAKE_PCI_CAP_COMMON_CFG };
	static const uint32_t offsets[] = { 0, 0, 0x3000, 0x2000, 0x1000, 0x0000 };
	struct cap_seen seen[48];
	(void)state;

	make(NULL);
	assert_int_equal(cfg_rd(0x00, 4), 0x10421af4u);
	assert_int_equal(cfg_rd(0x06, 2) & 0x10, 0x10);
	assert_int_equal(cfg_rd(0x08, 4), 0x01000001u);       /* class, revision 1 */
	assert_int_equal(cfg_rd(0x2c, 4), 0x11001af4u);
	assert_int_equal(cfg_rd(0x3d, 1), 1);                 /* INTA */
	assert_int_equal(cfg_rd(0x34, 1), 0x98);
	assert_int_equal(walk(seen, 48), 6);
	assert_int_equal(seen[0].id, FAKE_PCI_CAP_ID_MSIX);
	for (unsigned i = 1; i < 6; i++) {
		assert_int_equal(seen[i].id, FAKE_PCI_CAP_ID_VENDOR);
		assert_int_equal(seen[i].cfg_type, types[i]);
		if (i == 1)
			continue;
		assert_int_equal(seen[i].bar, 4);
		assert_int_equal(seen[i].offset, offsets[i]);
		assert_int_equal(seen[i].length, 0x1000);
	}
	assert_int_equal(seen[2].multiplier, 4);
	/* BAR4 sizes as 16 KiB, 64-bit prefetchable; BAR1 as 4 KiB. */
	cfg_wr(0x20, 4, 0xffffffffu);
	cfg_wr(0x24, 4, 0xffffffffu);
	assert_int_equal(cfg_rd(0x20, 4), 0xffffc00cu);
	assert_int_equal(cfg_rd(0x24, 4), 0xffffffffu);
	cfg_wr(0x14, 4, 0xffffffffu);
	assert_int_equal(cfg_rd(0x14, 4), 0xfffff000u);
}

static void test_transitional_function_has_legacy_ids_and_io_bar0(void **state)
{
	struct fake_virtio_pci_opts o;
	(void)state;

	fake_virtio_pci_default_opts(&o);
	o.transitional = true;
	o.revision = 0;
	make(&o);
	assert_int_equal(cfg_rd(0x00, 4), 0x10011af4u);
	assert_int_equal(cfg_rd(0x08, 1), 0);
	assert_int_equal(cfg_rd(0x2e, 2), 2);                 /* subsystem: virtio blk */
	cfg_wr(0x10, 4, 0xffffffffu);
	assert_int_equal(cfg_rd(0x10, 4), 0xffffff81u);       /* I/O, 128 bytes */
}

static void test_hostile_capability_knobs_shape_the_list(void **state)
{
	struct fake_virtio_pci_opts o;
	struct cap_seen seen[48];
	(void)state;

	fake_virtio_pci_default_opts(&o);
	o.bar6_cap_first = o.reserved_types_first = o.second_common = o.cap_loop = true;
	o.notify_off_multiplier = 0;
	o.device_length = 0x10000000u;
	make(&o);
	assert_int_equal(walk(seen, 48), 48);                 /* a loop */
	assert_int_equal(seen[1].cfg_type, FAKE_PCI_CAP_COMMON_CFG);
	assert_int_equal(seen[1].bar, 6);
	assert_int_equal(seen[2].cfg_type, 7);
	assert_int_equal(seen[3].cfg_type, 0x42);
	assert_int_equal(seen[5].multiplier, 0);
	assert_int_equal(seen[6].length, 0x10000000u);
	assert_int_equal(seen[9].cfg_type, FAKE_PCI_CAP_COMMON_CFG);
	assert_int_equal(seen[9].offset, FAKE_VIRTIO_PCI_DECOY_COMMON);
	assert_int_equal(seen[10].id, FAKE_PCI_CAP_ID_MSIX);  /* round again */
}

/* ---- BAR4 decoding -------------------------------------------------- */

static void test_bar4_decodes_only_when_assigned_and_enabled(void **state)
{
	(void)state;

	make(NULL);
	cfg_wr(0x04, 2, 0x2);                                 /* enabled, unassigned */
	assert_false(host_mmio_is_mapped((uintptr_t)BAR4_ADDR));
	cfg_wr(0x04, 2, 0);
	fake_virtio_pci_assign_bars(fv, BAR1_ADDR, BAR4_ADDR, false);
	assert_false(host_mmio_is_mapped((uintptr_t)BAR4_ADDR));
	cfg_wr(0x04, 2, 0x2);
	assert_true(host_mmio_is_mapped((uintptr_t)BAR4_ADDR + 0x3fff));
	assert_true(host_mmio_is_mapped((uintptr_t)BAR1_ADDR));
	cfg_wr(0x24, 4, 0x90);                                /* moved */
	assert_false(host_mmio_is_mapped((uintptr_t)BAR4_ADDR));
	assert_true(host_mmio_is_mapped((uintptr_t)0x9000000000ull));
	cfg_wr(0x04, 2, 0);
	assert_false(host_mmio_is_mapped((uintptr_t)0x9000000000ull));
	assert_false(host_mmio_is_mapped((uintptr_t)BAR1_ADDR));
}

/* ---- QEMU's (and Linux's) initialisation order ----------------------- */

static void init_through_common(void)
{
	uint64_t desc = (uintptr_t)ring->desc, avail = (uintptr_t)ring->avail;
	uint64_t used = (uintptr_t)ring->used;

	wr(STATUS, 1, 0);
	assert_int_equal(rd(STATUS, 1), 0);
	wr(STATUS, 1, 1);
	wr(STATUS, 1, 3);
	wr(DFSEL, 4, 0);
	uint32_t lo = rd(DF, 4);
	wr(DFSEL, 4, 1);
	uint32_t hi = rd(DF, 4);
	assert_int_equal(hi & 1, 1);                          /* VERSION_1 */
	wr(GFSEL, 4, 0);
	wr(GF, 4, lo & 0x200);                                /* FLUSH */
	wr(GFSEL, 4, 1);
	wr(GF, 4, 1);
	wr(STATUS, 1, 0xb);
	assert_int_equal(rd(STATUS, 1), 0xb);
	uint8_t gen = (uint8_t)rd(GEN, 1);
	assert_int_equal(host_mmio_read((uintptr_t)(BAR4_ADDR + FAKE_VIRTIO_PCI_DEVICE), 4), 2048);
	assert_int_equal(rd(GEN, 1), gen);
	assert_int_equal(rd(NUMQ, 2), 1);
	wr(MSIX_CFG, 2, 0);
	assert_int_equal(rd(MSIX_CFG, 2), 0xffff);            /* no MSI-X: NO_VECTOR */
	wr(QSEL, 2, 0);
	assert_int_equal(rd(QSZ, 2), 1024);
	assert_int_equal(rd(QEN, 2), 0);
	wr(QSZ, 2, QSIZE);
	wr(QDESC, 4, (uint32_t)desc);
	wr(QDESC + 4, 4, (uint32_t)(desc >> 32));
	wr(QDRV, 4, (uint32_t)avail);
	wr(QDRV + 4, 4, (uint32_t)(avail >> 32));
	wr(QDEV, 4, (uint32_t)used);
	wr(QDEV + 4, 4, (uint32_t)(used >> 32));
	wr(QMSIX, 2, 0);
	assert_int_equal(rd(QMSIX, 2), 0xffff);
	wr(QEN, 2, 1);
	assert_int_equal(rd(QNOFF, 2), 0);
	wr(STATUS, 1, 0xf);
}

static void put_desc(unsigned idx, const void *buf, uint32_t len, uint16_t flags, uint16_t next)
{
	uint64_t addr = (uintptr_t)buf;

	memcpy(&ring->desc[16 * idx], &addr, 8);
	memcpy(&ring->desc[16 * idx + 8], &len, 4);
	memcpy(&ring->desc[16 * idx + 12], &flags, 2);
	memcpy(&ring->desc[16 * idx + 14], &next, 2);
}

/* One read of sector 1: header, data, status in descriptors 0..2. */
static void publish_read(void)
{
	uint16_t one = 1;

	ring->hdr[0] = 0;                                     /* VIRTIO_BLK_T_IN */
	ring->hdr[8] = 1;
	put_desc(0, ring->hdr, 16, 1, 1);
	put_desc(1, ring->data, 512, 3, 2);
	put_desc(2, &ring->status, 1, 2, 0);
	memset(&ring->avail[4], 0, 2);
	memcpy(&ring->avail[2], &one, 2);
	ring->status = 0xff;
}

static void test_qemu_init_order_serves_a_request(void **state)
{
	(void)state;

	make_enabled(NULL);
	memset(fake_virtio_disk(fv) + 512, 0x5a, 512);
	init_through_common();
	publish_read();
	host_mmio_write((uintptr_t)NOTIFY_ADDR, 2, 0);
	assert_int_equal(ring->status, 0);
	assert_int_equal(ring->data[511], 0x5a);
	assert_true(fake_virtio_irq_pending(fv));
	assert_int_equal(host_mmio_read((uintptr_t)ISR_ADDR, 1), 1);
	assert_false(fake_virtio_irq_pending(fv));            /* the read lowers INTx */
	assert_int_equal(host_mmio_read((uintptr_t)ISR_ADDR, 1), 0);
	fake_virtio_assert_clean(fv);
}

/* ---- violations ----------------------------------------------------- */

static void test_rings_untouched_without_bus_master(void **state)
{
	(void)state;

	make(NULL);
	fake_virtio_pci_assign_bars(fv, BAR1_ADDR, BAR4_ADDR, true);   /* no BME */
	init_through_common();
	assert_true(fake_virtio_has_violation(fv, "PCI-16"));  /* DRIVER_OK */
	publish_read();
	host_mmio_write((uintptr_t)NOTIFY_ADDR, 2, 0);
	host_cpu_relax();
	assert_int_equal(ring->status, 0xff);
	assert_int_equal(fake_virtio_stats(fv)->requests, 0);
	/* Bus mastering on, then off while running: DRIVER_OK goes, as on QEMU. */
	fake_virtio_clear_violations(fv);
	cfg_wr(0x04, 2, 0x6);
	cfg_wr(0x04, 2, 0x2);
	assert_true(fake_virtio_has_violation(fv, "PCI-16"));
	assert_int_equal(rd(STATUS, 1), 0xb);
}

struct mistake {
	const char *rule;
	void (*act)(void);
};

static void width_mismatch(void) { rd(STATUS, 4); }
static void read_only_write(void) { wr(NUMQ, 2, 7); }
static void feature_without_select(void) { rd(DF, 4); }
static void size_not_power_of_2(void) { wr(QSEL, 2, 0); wr(QSZ, 2, 100); }
static void size_zero(void) { wr(QSEL, 2, 0); wr(QSZ, 2, 0); }
static void queue_field_without_select(void) { rd(QSZ, 2); }
static void queue_beyond_num_queues(void) { wr(QSEL, 2, 1); rd(QSZ, 2); }
static void isr_wide(void) { host_mmio_read((uintptr_t)ISR_ADDR, 4); }

static void field_after_enable(void)
{
	init_through_common();
	wr(QDESC, 4, 0x1000);
}

static void enable_zero(void)
{
	init_through_common();
	wr(QEN, 2, 0);
}

static void notify_32_bits(void)
{
	init_through_common();
	host_mmio_write((uintptr_t)NOTIFY_ADDR, 4, 0);
}

static void notify_wrong_address(void)
{
	init_through_common();
	host_mmio_write((uintptr_t)NOTIFY_ADDR + 4, 2, 1);
}

static void decoy_common(void) { host_mmio_read((uintptr_t)BAR4_ADDR + 0x800, 4); }

static const struct mistake mistakes[] = {
	{ "PCI-5", width_mismatch },
	{ "PCI-5", isr_wide },
	{ "PCI-17", read_only_write },
	{ "PCI-18", feature_without_select },
	{ "PCI-19", size_not_power_of_2 },
	{ "PCI-19", size_zero },
	{ "PCI-21", queue_field_without_select },
	{ "PCI-21", queue_beyond_num_queues },
	{ "PCI-22", field_after_enable },
	{ "PCI-23", enable_zero },
	{ "PCI-31", notify_32_bits },
	{ "PCI-29", notify_wrong_address },
	{ "PCI-9", decoy_common },
};

static void test_each_mistake_is_recorded_by_its_id(void **state)
{
	struct fake_virtio_pci_opts o;
	(void)state;

	fake_virtio_pci_default_opts(&o);
	o.second_common = true;
	for (size_t i = 0; i < sizeof(mistakes) / sizeof(mistakes[0]); i++) {
		host_platform_reset();
		pci = fake_pci_create(FAKE_ECAM_BASE, FAKE_ECAM_BYTES, 0);
		memset(ring, 0, sizeof(*ring));
		make_enabled(&o);
		mistakes[i].act();
		if (!fake_virtio_has_violation(fv, mistakes[i].rule))
			fail_msg("case %zu: %s not recorded (%u others)", i, mistakes[i].rule,
				 fake_virtio_violation_count(fv));
	}
}

static void test_enable_zero_breaks_the_device_as_qemu(void **state)
{
	(void)state;

	make_enabled(NULL);
	init_through_common();
	wr(QEN, 2, 0);
	assert_int_equal(rd(STATUS, 1), 0x4f);                /* DEVICE_NEEDS_RESET */
	assert_int_equal(rd(QEN, 2), 1);                      /* queue kept */
	assert_true(fake_virtio_broken(fv));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_config_space_walks_as_qemus),
		T(test_transitional_function_has_legacy_ids_and_io_bar0),
		T(test_hostile_capability_knobs_shape_the_list),
		T(test_bar4_decodes_only_when_assigned_and_enabled),
		T(test_qemu_init_order_serves_a_request),
		T(test_rings_untouched_without_bus_master),
		T(test_each_mistake_is_recorded_by_its_id),
		T(test_enable_zero_breaks_the_device_as_qemu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
