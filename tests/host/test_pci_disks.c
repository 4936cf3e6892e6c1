/* SPDX-License-Identifier: MIT */
/*
 * The disks on PCI (blk/pci_disks.c) through the public API:
 *
 *  - vblk_init_from_dt on QEMU virt's tree, its pcie@10000000 host backed
 *    by the fake ECAM (fake_pci.h) beside the fake virtio-mmio slots: a
 *    virtio-blk function becomes a disk after the MMIO ones, with the
 *    INTx its pin is mapped to (none where the map says nothing), and
 *    takes I/O; a virtio function of another kind is reported, not
 *    enabled; a function that is no virtio device is neither;
 *  - a host the scan could not take costs the PCI disks only (the tree's
 *    reader refuses it first: pci_scan itself is never reached);
 *  - vblk_attach_pci's refusals: each returns its error and changes
 *    nothing (no disk, no probe report entry, no configuration write).
 *
 * The tree is qemu-virt.dtb, edited in memory (vblk_fdt_set_prop). Its
 * map is QEMU's (hw/arm/virt.c create_pcie_irq_map): slot s, pin p
 * counted from 1, reaches INTID 35 + (p - 1 + s) % 4, level-triggered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bio_log.h"
#include "disk_fixture.h"
#include "fake_pci.h"
#include "fake_virtio.h"
#include "fake_virtio_pci.h"
#include "fdt/fdt.h"
#include "fdt_write_util.h"
#include "host_platform.h"
#include "pci/pci.h"
#include "vblk/fdt_edit.h"
#include "vblk/vblk.h"

#define PCIE_NODE       "/pcie@10000000"
#define MAP_ENTRIES     16u     /* QEMU's: 4 slots (mod 4) x 4 pins */
#define MAP_ENTRY_CELLS 10u     /* 3 + 1 child, the GIC's phandle, 2 + 3 parent */
#define MAP_SLOT_MASK   0x1800u /* phys.hi's device bits the map looks at */
#define PIN_A           1u
#define MMIO_INTID      48u     /* slot 0's interrupts = <0 16 1>: SPI 16, edge */
#define BIO_BYTES       4096u
#define HANG_RELAXES    (20u * VBLK_RESET_TIMEOUT_US)

/* The machine vblk_init_from_dt finds: a disk in virtio-mmio slot 0 (the
 * other 31 empty), and these devices on PCI bus 0. */
#define DEV_HOST_BRIDGE  0u   /* QEMU's gpex host bridge, 1b36:0008 */
#define DEV_BLK          1u   /* virtio-blk-pci */
#define DEV_NET          2u   /* virtio-net-pci, 1af4:1041 */
#define DEV_NIC          3u   /* an e1000, 8086:100e: no virtio device */
#define DEV_BLK_UNMAPPED 4u   /* virtio-blk-pci in a slot the map leaves out */

static struct fake_virtio *mmio_blk, *pci_blk, *pci_blk_unmapped, *attached_blk;
static struct fake_pci *pci;
static int net_index, nic_index, bridge_index;

static uint8_t data[BIO_BYTES] VBLK_ALIGNED;
static uint8_t back[BIO_BYTES] VBLK_ALIGNED;

static int setup(void **state)
{
	disk_setup(state);
	bio_log_reset();
	host_set_relax_limit(HANG_RELAXES);
	mmio_blk = pci_blk = pci_blk_unmapped = attached_blk = NULL;
	pci = NULL;
	return 0;
}

/* QEMU virt's interrupt-map: slot s, pin p -> INTID 35 + (p - 1 + s) % 4. */
static uint32_t virt_intid(unsigned slot, unsigned pin)
{
	return 35 + (pin - 1 + slot) % 4;
}

/* ---- the machine ------------------------------------------------------- */

static void add_mmio_slots(void)
{
	struct fake_virtio_opts opts;

	mmio_blk = make_device(2, NULL);   /* slot 0 */
	for (unsigned i = 1; i < FAKE_VIRTIO_SLOTS; i++) {
		fake_virtio_default_opts(&opts, 2);
		opts.device_id = 0;
		fake_virtio_create(&opts);
	}
}

static int add_function(uint8_t dev, uint16_t vendor_id, uint16_t device_id,
			uint32_t class_code, struct fake_pci_bar_spec bar0,
			struct fake_pci_bar_spec bar4)
{
	return fake_pci_add(pci, &(struct fake_pci_fn_spec){
		.parent = -1, .dev = dev, .vendor_id = vendor_id, .device_id = device_id,
		.class_code = class_code, .revision = 1, .subsystem_vendor_id = vendor_id,
		.subsystem_id = 0x1100, .interrupt_pin = PIN_A, .bar = { [0] = bar0, [4] = bar4 } });
}

/* Bus 0 as QEMU's -kernel leaves it: nothing assigned, decoding off. */
static void add_pci_bus(void)
{
	pci = fake_pci_create(FAKE_ECAM_BASE, FAKE_ECAM_BYTES, 0);
	bridge_index = fake_pci_add(pci, &(struct fake_pci_fn_spec){
		.parent = -1, .dev = DEV_HOST_BRIDGE, .vendor_id = 0x1b36, .device_id = 0x0008,
		.class_code = 0x060000 });
	pci_blk = fake_virtio_create_pci(pci, -1, DEV_BLK, 0, NULL, NULL);
	net_index = add_function(DEV_NET, FAKE_PCI_VENDOR_VIRTIO, 0x1041, 0x020000,
				 (struct fake_pci_bar_spec){ 0 },
				 (struct fake_pci_bar_spec){ FAKE_BAR_MEM64, true, 0x4000, 0 });
	nic_index = add_function(DEV_NIC, 0x8086, 0x100e, 0x020000,
				 (struct fake_pci_bar_spec){ FAKE_BAR_MEM32, false, 0x20000, 0 },
				 (struct fake_pci_bar_spec){ 0 });
	pci_blk_unmapped = fake_virtio_create_pci(pci, -1, DEV_BLK_UNMAPPED, 0, NULL, NULL);
}

/* QEMU virt's tree with its interrupt-map less the entries of the slots
 * the mask reads as 0 (devices 0, 4, 8, ...): their pins map nowhere. */
static struct blob virt_tree_without_slot_0_routes(void)
{
	struct blob blob = blob_load("qemu-virt.dtb", 0);
	uint32_t len_bytes;
	const uint8_t *map = blob_prop(&blob, PCIE_NODE, "interrupt-map", &len_bytes);
	const uint32_t entry_bytes = MAP_ENTRY_CELLS * FDT_CELL_BYTES;
	uint8_t kept[MAP_ENTRIES * MAP_ENTRY_CELLS * FDT_CELL_BYTES];
	uint32_t kept_bytes = 0;

	assert_non_null(map);
	assert_int_equal(len_bytes, sizeof(kept));
	for (uint32_t at = 0; at < len_bytes; at += entry_bytes) {
		if ((fdt_cell32(map + at, 0) & MAP_SLOT_MASK) == 0)
			continue;
		memcpy(kept + kept_bytes, map + at, entry_bytes);
		kept_bytes += entry_bytes;
	}
	assert_int_equal(kept_bytes, len_bytes - 4 * entry_bytes);   /* pins A-D of one slot */
	assert_int_equal(vblk_fdt_set_prop(blob.bytes, blob.max, PCIE_NODE, "interrupt-map", kept,
					   kept_bytes), 0);
	return blob;
}

/* The whole machine, and vblk_init_from_dt on it: three disks. */
static void init_virt_machine(void)
{
	add_mmio_slots();
	add_pci_bus();
	struct blob blob = virt_tree_without_slot_0_routes();
	assert_int_equal(vblk_init_from_dt(blob.bytes, blob.max), 3);
	blob_free(&blob);
}

/* The disk at 00:dev.0, or NULL. */
static struct vblk_disk *pci_disk(uint8_t dev)
{
	for (unsigned i = 0; i < vblk_disk_count(); i++) {
		const struct vblk_info *info = vblk_disk_info(vblk_disk(i));
		if (info->transport == VBLK_TRANSPORT_PCI && info->pci.bus == 0 &&
		    info->pci.dev == dev && info->pci.fn == 0)
			return vblk_disk(i);
	}
	return NULL;
}

/* The probe report's entry for 00:dev.0, or NULL. */
static const struct vblk_probe_entry *pci_entry(uint8_t dev)
{
	const struct vblk_probe_entry *entries;
	unsigned count = vblk_probe_report(&entries);

	for (unsigned i = 0; i < count; i++)
		if (entries[i].transport == VBLK_TRANSPORT_PCI && entries[i].pci.bus == 0 &&
		    entries[i].pci.dev == dev && entries[i].pci.fn == 0)
			return &entries[i];
	return NULL;
}

static unsigned pci_entries(void)
{
	const struct vblk_probe_entry *entries;
	unsigned count = vblk_probe_report(&entries), pci_count = 0;

	for (unsigned i = 0; i < count; i++)
		pci_count += entries[i].transport == VBLK_TRANSPORT_PCI;
	return pci_count;
}

static void fill(uint8_t *mem, size_t len_bytes, uint8_t seed)
{
	for (size_t i = 0; i < len_bytes; i++)
		mem[i] = (uint8_t)(i * 7u + seed);
}

/* A write lands on the device's disk at `sector`, and reads back. */
static void expect_io_works(struct vblk_disk *target, struct fake_virtio *device, uint8_t seed)
{
	const uint64_t sector = 8;

	fill(data, sizeof(data), seed);
	assert_int_equal(vblk_write(target, sector, data, BIO_BYTES / VBLK_SECTOR_SIZE), 0);
	assert_memory_equal(fake_virtio_disk(device) + sector * VBLK_SECTOR_SIZE, data, BIO_BYTES);
	memset(back, 0, sizeof(back));
	assert_int_equal(vblk_read(target, sector, back, BIO_BYTES / VBLK_SECTOR_SIZE), 0);
	assert_memory_equal(back, data, BIO_BYTES);
	fake_virtio_assert_clean(device);
}

/* ---- vblk_init_from_dt ------------------------------------------------- */

/* vblk.h: MMIO disks first, in the tree's order, then PCI ones by bus,
 * device and function; each says where it is. */
static void test_init_from_dt_makes_each_virtio_blk_function_a_disk_after_the_mmio_ones(
	void **state)
{
	(void)state;
	init_virt_machine();
	const struct vblk_info *mmio = vblk_disk_info(vblk_disk(0));
	assert_int_equal(mmio->transport, VBLK_TRANSPORT_MMIO);
	assert_int_equal(mmio->mmio_base, fake_virtio_base(mmio_blk));
	assert_int_equal(mmio->intid, MMIO_INTID);
	assert_true(mmio->irq_edge);

	const uint8_t want_dev[] = { DEV_BLK, DEV_BLK_UNMAPPED };
	for (unsigned i = 0; i < 2; i++) {
		const struct vblk_info *info = vblk_disk_info(vblk_disk(1 + i));
		assert_int_equal(info->transport, VBLK_TRANSPORT_PCI);
		assert_int_equal(info->pci.bus, 0);
		assert_int_equal(info->pci.dev, want_dev[i]);
		assert_int_equal(info->pci.fn, 0);
		assert_int_equal(info->mmio_base, 0);
		assert_int_equal(info->mmio_version, 0);
	}
	/* Enabled to be driven: decoding and bus mastering (virtio 1.2 §4.1). */
	uint16_t command = fake_pci_command(pci, fake_virtio_pci_fn_index(pci_blk));
	assert_true(command & PCI_COMMAND_MEMORY);
	assert_true(command & PCI_COMMAND_MASTER);
}

static void test_init_from_dt_gives_a_pci_disk_the_intx_its_pin_is_mapped_to(void **state)
{
	(void)state;
	init_virt_machine();
	const struct vblk_info *info = vblk_disk_info(pci_disk(DEV_BLK));
	assert_int_equal(info->intid, virt_intid(DEV_BLK, PIN_A));
	assert_false(info->irq_edge);   /* the map's flags: 4, level high */
}

/* A pin the interrupt-map has no entry for: the disk is attached all the
 * same, polled only (intid 0). */
static void test_init_from_dt_gives_a_pci_disk_whose_pin_the_map_omits_no_intx(void **state)
{
	(void)state;
	init_virt_machine();
	struct vblk_disk *unmapped = pci_disk(DEV_BLK_UNMAPPED);
	assert_non_null(unmapped);
	assert_int_equal(vblk_disk_info(unmapped)->intid, 0);
	assert_false(vblk_disk_info(unmapped)->irq_edge);
	expect_io_works(unmapped, pci_blk_unmapped, 0x2c);
}

static void test_init_from_dt_pci_disks_take_io(void **state)
{
	(void)state;
	init_virt_machine();
	expect_io_works(pci_disk(DEV_BLK), pci_blk, 0x11);
	expect_io_works(pci_disk(DEV_BLK_UNMAPPED), pci_blk_unmapped, 0x22);
	expect_io_works(vblk_disk(0), mmio_blk, 0x33);
}

/* vblk.h: every virtio function is in the probe report; the disks with
 * the BARs the scan gave them. */
static void test_init_from_dt_reports_each_virtio_function(void **state)
{
	(void)state;
	init_virt_machine();
	assert_int_equal(pci_entries(), 3);

	const struct vblk_probe_entry *blk = pci_entry(DEV_BLK);
	assert_non_null(blk);
	assert_int_equal(blk->result, 0);
	assert_int_equal(blk->device_id, VBLK_DEVICE_ID_BLOCK);
	assert_int_equal(blk->pci_vendor_id, FAKE_PCI_VENDOR_VIRTIO);
	assert_int_equal(blk->pci_device_id, FAKE_PCI_DEVICE_BLK_MODERN);
	int blk_index = fake_virtio_pci_fn_index(pci_blk);
	assert_int_not_equal(blk->pci_bar[FAKE_VIRTIO_PCI_BAR], 0);
	assert_int_equal(blk->pci_bar[FAKE_VIRTIO_PCI_BAR],
			 fake_pci_bar_addr(pci, blk_index, FAKE_VIRTIO_PCI_BAR));
	assert_int_equal(blk->pci_bar[FAKE_VIRTIO_PCI_MSIX_BAR],
			 fake_pci_bar_addr(pci, blk_index, FAKE_VIRTIO_PCI_MSIX_BAR));

	const struct vblk_probe_entry *unmapped = pci_entry(DEV_BLK_UNMAPPED);
	assert_non_null(unmapped);
	assert_int_equal(unmapped->result, 0);

	const struct vblk_probe_entry *net = pci_entry(DEV_NET);
	assert_non_null(net);
	assert_int_equal(net->device_id, 1);   /* network */
	assert_int_equal(net->pci_device_id, 0x1041);
	assert_int_equal(net->result, -VBLK_ENODEV);

	assert_null(pci_entry(DEV_HOST_BRIDGE));
	assert_null(pci_entry(DEV_NIC));
}

/* Only disks are enabled: the virtio-net function and the NIC keep
 * decoding and bus mastering off, as enumeration left them, though their
 * BARs were given addresses. */
static void test_init_from_dt_leaves_functions_that_are_no_disks_off(void **state)
{
	(void)state;
	init_virt_machine();
	assert_null(pci_disk(DEV_NET));
	assert_null(pci_disk(DEV_NIC));
	assert_int_not_equal(fake_pci_bar_addr(pci, net_index, 4), 0);
	assert_int_not_equal(fake_pci_bar_addr(pci, nic_index, 0), 0);
	const uint16_t on = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	assert_int_equal(fake_pci_command(pci, net_index) & on, 0);
	assert_int_equal(fake_pci_command(pci, nic_index) & on, 0);
	assert_int_equal(fake_pci_command(pci, bridge_index) & on, 0);
}

/* pci_scan refuses only a host pci_host_check refuses, and reading the
 * tree checks the host the same way: a host the scan could not take never
 * reaches it. An ECAM window smaller than one bus (reg 512 KiB): the MMIO
 * disk is attached, the bus behind the window is never read, and the
 * report has no PCI entry. */
static void test_init_from_dt_with_a_host_too_small_for_a_bus_attaches_only_mmio(void **state)
{
	(void)state;
	add_mmio_slots();
	add_pci_bus();
	struct blob blob = blob_load("qemu-virt.dtb", 0);
	const uint8_t half_a_bus[] = { 0, 0, 0, 0x40, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0, 0 };
	assert_int_equal(vblk_fdt_set_prop(blob.bytes, blob.max, PCIE_NODE, "reg", half_a_bus,
					   sizeof(half_a_bus)), 0);

	assert_int_equal(vblk_init_from_dt(blob.bytes, blob.max), 1);
	blob_free(&blob);
	assert_int_equal(vblk_disk_info(vblk_disk(0))->transport, VBLK_TRANSPORT_MMIO);
	assert_int_equal(fake_pci_access_count(pci), 0);
	assert_int_equal(pci_entries(), 0);
	expect_io_works(vblk_disk(0), mmio_blk, 0x44);
}

/* ---- vblk_attach_pci's refusals ---------------------------------------- */

/* What a refused call must leave as it was. */
struct before {
	unsigned disks;
	unsigned entries;
	struct vblk_probe_entry report[4];
	uint64_t accesses, writes;
};

static struct before take_before(void)
{
	const struct vblk_probe_entry *entries;
	struct before before = { .disks = vblk_disk_count() };

	before.entries = vblk_probe_report(&entries);
	assert_true(before.entries <= 4);
	memcpy(before.report, entries, before.entries * sizeof(entries[0]));
	before.accesses = fake_pci_access_count(pci);
	before.writes = fake_pci_write_count(pci);
	return before;
}

static void expect_unchanged(const struct before *before)
{
	const struct vblk_probe_entry *entries;

	assert_int_equal(vblk_disk_count(), before->disks);
	assert_int_equal(vblk_probe_report(&entries), before->entries);
	assert_memory_equal(entries, before->report, before->entries * sizeof(entries[0]));
	assert_int_equal(fake_pci_write_count(pci), before->writes);
}

/* A disk at 00:01.0 attached by vblk_attach_pci (attached_blk), and a
 * second virtio-blk function beside it (fv), BARs set by firmware, not
 * attached. */
static void attach_one_beside_another(void)
{
	attached_blk = make_device(TRANSPORT_PCI, NULL);
	assert_int_equal(attach_device(attached_blk), 0);
	fv = make_device(TRANSPORT_PCI, NULL);
	pci = fake_virtio_pci_host(fv);
}

/* vblk.h: -VBLK_ENODEV where no virtio-blk function answers, here none
 * at all (Vendor ID all ones): read, never written. */
static void test_attach_pci_to_an_empty_function_finds_no_device(void **state)
{
	(void)state;
	attach_one_beside_another();
	struct before before = take_before();
	assert_int_equal(vblk_attach_pci(FAKE_ECAM_BASE, 0, 9, 0, TEST_INTID), -VBLK_ENODEV);
	expect_unchanged(&before);
	/* Function 3 of a single-function device: none either. */
	assert_int_equal(vblk_attach_pci(FAKE_ECAM_BASE, 0, 1, 3, TEST_INTID), -VBLK_ENODEV);
	expect_unchanged(&before);
}

/* A NIC firmware set up and may be using (decoding on): not a virtio
 * device, so refused without a write to its configuration space (sizing
 * its BARs would stop it decoding them for a moment). */
static void test_attach_pci_to_a_function_of_another_kind_never_writes_it(void **state)
{
	(void)state;
	attach_one_beside_another();
	nic_index = add_function(DEV_NIC, 0x8086, 0x100e, 0x020000,
				 (struct fake_pci_bar_spec){ FAKE_BAR_MEM32, false, 0x20000, 0 },
				 (struct fake_pci_bar_spec){ 0 });
	fake_pci_cfg_write(pci, nic_index, PCI_BAR(0), 4, 0x30000000);
	fake_pci_cfg_write(pci, nic_index, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	struct before before = take_before();

	assert_int_equal(vblk_attach_pci(FAKE_ECAM_BASE, 0, DEV_NIC, 0, TEST_INTID), -VBLK_ENODEV);
	expect_unchanged(&before);
	assert_int_equal(fake_pci_command(pci, nic_index), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(fake_pci_bar_addr(pci, nic_index, 0), 0x30000000);
}

/* vblk.h: -VBLK_EINVAL for arguments that name no function: nothing is
 * read or written, nothing reported; the good call after them works. */
static void test_attach_pci_with_implausible_arguments_is_invalid_and_touches_nothing(
	void **state)
{
	static const struct {
		const char *why;
		uint64_t ecam_base;
		uint8_t dev, fn;
	} cases[] = {
		{ "no ECAM at 0", 0, 2, 0 },
		{ "ECAM off a 4 KiB boundary", FAKE_ECAM_BASE + 0x800, 2, 0 },
		{ "device 32", FAKE_ECAM_BASE, 32, 0 },
		{ "device 255", FAKE_ECAM_BASE, 255, 0 },
		{ "function 8", FAKE_ECAM_BASE, 2, 8 },
		{ "a window that wraps past 2^64", 0xfffffffffff00000ull, 2, 0 },
	};

	(void)state;
	attach_one_beside_another();
	struct before before = take_before();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s\n", cases[i].why);
		assert_int_equal(vblk_attach_pci(cases[i].ecam_base, 0, cases[i].dev, cases[i].fn,
						 TEST_INTID), -VBLK_EINVAL);
		expect_unchanged(&before);
		assert_int_equal(fake_pci_access_count(pci), before.accesses);
	}
	assert_int_equal(fake_virtio_stats(fv)->resets, 0);
	assert_int_equal(vblk_attach_pci(FAKE_ECAM_BASE, 0, 2, 0, TEST_INTID), 1);
	expect_io_works(vblk_disk(1), fv, 0x55);
}

/* ---- from a callback while set-up is someone else's -------------------- */

static int callback_rc;
static struct before in_callback;
static bool unchanged_in_callback;

static void attach_in_callback(struct vblk_bio *bio, int status)
{
	log_done(bio, status);
	in_callback = take_before();
	callback_rc = vblk_attach_pci(FAKE_ECAM_BASE, 0, 2, 0, TEST_INTID);
	unchanged_in_callback = vblk_disk_count() == in_callback.disks &&
				vblk_probe_report(NULL) == in_callback.entries &&
				fake_pci_access_count(pci) == in_callback.accesses;
}

/* vblk_shutdown's wait tells a bio, whose callback asks for the other
 * function: set-up is the shutdown's, so the call is refused with
 * -VBLK_ESTATE before it reads a byte of configuration space, and that
 * function's device is never reset. */
static void test_attach_pci_while_a_shutdown_tells_a_bio_is_refused(void **state)
{
	(void)state;
	attach_one_beside_another();
	fill(data, sizeof(data), 0x66);
	callback_rc = 1;
	struct vblk_bio *bio = make_bio(0, VBLK_OP_WRITE, 0, data, BIO_BYTES, attach_in_callback);

	/* Completed only once the shutdown waits for it. */
	fake_virtio_set_completion(attached_blk, FAKE_COMPLETE_DEFERRED, 3);
	assert_int_equal(vblk_submit(vblk_disk(0), bio), 0);
	assert_int_equal(done_calls[0], 0);
	assert_int_equal(vblk_shutdown(), 0);
	assert_int_equal(done_calls[0], 1);
	assert_int_equal(done_status[0], 0);
	assert_int_equal(callback_rc, -VBLK_ESTATE);
	assert_true(unchanged_in_callback);
	assert_memory_equal(fake_virtio_disk(attached_blk), data, BIO_BYTES);
	assert_int_equal(fake_virtio_stats(fv)->resets, 0);
	assert_int_equal(fake_pci_command(pci, fake_virtio_pci_fn_index(fv)), 0);
}

int main(void)
{
#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, disk_teardown)
	const struct CMUnitTest tests[] = {
		TEST(test_init_from_dt_makes_each_virtio_blk_function_a_disk_after_the_mmio_ones),
		TEST(test_init_from_dt_gives_a_pci_disk_the_intx_its_pin_is_mapped_to),
		TEST(test_init_from_dt_gives_a_pci_disk_whose_pin_the_map_omits_no_intx),
		TEST(test_init_from_dt_pci_disks_take_io),
		TEST(test_init_from_dt_reports_each_virtio_function),
		TEST(test_init_from_dt_leaves_functions_that_are_no_disks_off),
		TEST(test_init_from_dt_with_a_host_too_small_for_a_bus_attaches_only_mmio),
		TEST(test_attach_pci_to_an_empty_function_finds_no_device),
		TEST(test_attach_pci_to_a_function_of_another_kind_never_writes_it),
		TEST(test_attach_pci_with_implausible_arguments_is_invalid_and_touches_nothing),
		TEST(test_attach_pci_while_a_shutdown_tells_a_bio_is_refused),
	};
#undef TEST
	return cmocka_run_group_tests(tests, NULL, NULL);
}
