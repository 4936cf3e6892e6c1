/* SPDX-License-Identifier: MIT */
/*
 * INTx routing (pci/dt_intx.c, pci/intx.c): the host's interrupt-map from
 * the committed QEMU virt dumps and from hand-written hostile maps
 * (tests/host/dtb/pci-intx-*.dts), and pci_intx on a fake ECAM
 * (fake_pci.h) enumerated by pci_scan, checked against what QEMU virt
 * wires (hw/arm/virt.c create_pcie_irq_map: slot s, pin p counted from 0,
 * reaches SPI 3 + (p + s) % 4, INTID 35 + (p + s) % 4, level; its bridges
 * swizzle as PCI-to-PCI Bridge 1.2 §9.1 says). The .dtb files are opened
 * relative to the repository root, or to $VBLK_DTB_DIR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "disk_fixture.h"
#include "fake_pci.h"
#include "host_platform.h"
#include "fdt/fdt.h"
#include "pci/pci.h"
#include "vblk/error.h"

#define ECAM_BASE       0x4010000000ull
#define PIN_A 1u
#define PIN_B 2u
#define PIN_C 3u
#define PIN_D 4u

static const char *const qemu_dumps[] = {
	"qemu-virt.dtb", "qemu-virt-gicv3.dtb", "qemu-virt-1g.dtb",
	"qemu-virt-2blk.dtb", "qemu-virt-secure.dtb", "qemu-virt-el2.dtb",
};
#define QEMU_DUMPS (sizeof(qemu_dumps) / sizeof(qemu_dumps[0]))

static struct fake_pci *pci;
static struct pci_scan scan;       /* static: the table the caller keeps */
static struct pci_host host;

/* Exactly the blob (load_test_dtb): ASan sees any overread. */
static void *load_dtb(const char *name, size_t *size)
{
	return load_test_dtb(name, 0, size);
}

/* The host of `name`, which must be found whatever its interrupt-map. */
static void find_host(const char *name)
{
	size_t size;
	void *blob = load_dtb(name, &size);

	assert_int_equal(pci_dt_find_host(&host, blob, size), 0);
	assert_int_equal(host.ecam_base, ECAM_BASE);
	assert_int_equal(host.mem32.size_bytes, 0x2eff0000);
	free(blob);
}

/* QEMU virt: slot s, pin p (1-4) -> INTID 35 + (p - 1 + s) % 4. */
static uint32_t virt_intid(unsigned slot, unsigned pin)
{
	return 35 + (pin - 1 + slot) % 4;
}

/* ---- the topology, on a fake ECAM ------------------------------------- */

static int add_fn(int parent, uint8_t dev, uint8_t fn, uint8_t pin, bool multi)
{
	return fake_pci_add(pci, &(struct fake_pci_fn_spec){
		.parent = parent, .dev = dev, .fn = fn, .vendor_id = 0x1af4,
		.device_id = 0x1042, .class_code = 0x010000, .multi_function = multi,
		.interrupt_pin = pin });
}

static int add_bridge(int parent, uint8_t dev)
{
	return fake_pci_add(pci, &(struct fake_pci_fn_spec){
		.parent = parent, .dev = dev, .vendor_id = 0x1b36, .device_id = 0x000c,
		.class_code = 0x060400, .bridge = true, .interrupt_pin = PIN_A });
}

/* The scan's index of fake function `fake_index` (dev.fn on its bus). */
static unsigned scan_index(int fake_index, uint8_t dev, uint8_t fn)
{
	int bus = fake_pci_bus_of(pci, fake_index);

	for (unsigned i = 0; i < scan.count; i++)
		if (scan.fn[i].bdf.bus == bus && scan.fn[i].bdf.dev == dev &&
		    scan.fn[i].bdf.fn == fn)
			return i;
	fail_msg("function %d not found", fake_index);
	return 0;
}

static void assert_intx(unsigned index, uint32_t want_intid, bool want_edge)
{
	uint32_t intid = 0;
	bool edge = !want_edge;

	assert_int_equal(pci_intx(&scan, index, &intid, &edge), 0);
	assert_int_equal(intid, want_intid);
	assert_int_equal(edge, want_edge);
}

static void assert_no_intx(unsigned index)
{
	uint32_t intid = 0x5a5a;
	bool edge = true;

	assert_int_equal(pci_intx(&scan, index, &intid, &edge), -VBLK_ENODEV);
	assert_int_equal(intid, 0x5a5a);
}

static void new_ecam(void)
{
	host_platform_reset();
	pci = fake_pci_create(host.ecam_base, (uint32_t)host.ecam_size_bytes, 0);
}

static int teardown(void **state)
{
	(void)state;
	host_platform_reset();
	return 0;
}

/* ---- QEMU's interrupt-map --------------------------------------------- */

static void test_qemu_dumps_map_every_slot_and_pin_to_a_level_spi(void **state)
{
	(void)state;
	for (size_t d = 0; d < QEMU_DUMPS; d++) {
		const struct pci_intx_map *map = &host.intx;

		find_host(qemu_dumps[d]);
		assert_int_equal(map->status, 0);
		assert_int_equal(map->count, 16);
		assert_int_equal(map->skipped + map->dropped, 0);
		assert_int_equal(map->mask_phys_hi, 0x1800);
		assert_int_equal(map->mask_pin, 7);
		for (unsigned i = 0; i < map->count; i++) {
			unsigned slot = map->route[i].phys_hi >> 11;

			assert_int_equal(map->route[i].phys_hi & ~0x1800u, 0);
			assert_int_equal(map->route[i].intid, virt_intid(slot, map->route[i].pin));
			assert_false(map->route[i].edge);
		}
	}
}

static void test_root_bus_slots_1_to_5_pins_a_and_b(void **state)
{
	int fns[6][2];

	(void)state;
	for (size_t d = 0; d < QEMU_DUMPS; d++) {
		find_host(qemu_dumps[d]);
		new_ecam();
		for (uint8_t slot = 1; slot <= 5; slot++) {
			fns[slot][0] = add_fn(-1, slot, 0, PIN_A, true);
			fns[slot][1] = add_fn(-1, slot, 1, PIN_B, false);
		}
		assert_int_equal(pci_scan(&scan, &host), 10);
		for (uint8_t slot = 1; slot <= 5; slot++) {
			assert_intx(scan_index(fns[slot][0], slot, 0), virt_intid(slot, PIN_A), false);
			assert_intx(scan_index(fns[slot][1], slot, 1), virt_intid(slot, PIN_B), false);
		}
	}
}

/* 00:06.0 root port -> 01:00.0 (A), 01:00.1 (B): the device on the port's
 * bus is device 0, so its pins reach the port unchanged, and the port's
 * slot 6 routes them: A -> 35 + 6 % 4 = 37, B -> 38. The port's own pin
 * A (slot 6) is 37 too. */
static void test_behind_one_root_port_the_ports_slot_routes(void **state)
{
	(void)state;
	for (size_t d = 0; d < QEMU_DUMPS; d++) {
		int port, fn0, fn1;

		find_host(qemu_dumps[d]);
		new_ecam();
		port = add_bridge(-1, 6);
		fn0 = add_fn(port, 0, 0, PIN_A, true);
		fn1 = add_fn(port, 0, 1, PIN_B, false);
		assert_int_equal(pci_scan(&scan, &host), 3);
		assert_intx(scan_index(port, 6, 0), 37, false);
		assert_intx(scan_index(fn0, 0, 0), 37, false);
		assert_intx(scan_index(fn1, 0, 1), 38, false);
	}
}

/* 00:07.0 root port -> 01:01.0 bridge -> 02:00.0 (A), 02:02.0 (B). A pin
 * is swizzled with the child's device number at each crossing:
 *   02:00.0 A: from device 0 -> A at 01:01.0; from device 1 -> B at
 *              00:07.0; slot 7, B -> 35 + (1 + 7) % 4 = 35
 *   02:02.0 B: from device 2 -> D at 01:01.0; from device 1 -> A at
 *              00:07.0; slot 7, A -> 35 + 7 % 4 = 38 */
static void test_behind_two_bridges_each_crossing_swizzles(void **state)
{
	(void)state;
	for (size_t d = 0; d < QEMU_DUMPS; d++) {
		int port, bridge, fn_a, fn_b;

		find_host(qemu_dumps[d]);
		new_ecam();
		port = add_bridge(-1, 7);
		bridge = add_bridge(port, 1);
		fn_a = add_fn(bridge, 0, 0, PIN_A, false);
		fn_b = add_fn(bridge, 2, 0, PIN_B, false);
		assert_int_equal(pci_scan(&scan, &host), 4);
		assert_int_equal(scan.fn[scan_index(fn_a, 0, 0)].bdf.bus, 2);
		assert_intx(scan_index(fn_a, 0, 0), 35, false);
		assert_intx(scan_index(fn_b, 2, 0), 38, false);
		assert_intx(scan_index(bridge, 1, 0), virt_intid(7, PIN_B), false);
	}
}

static void test_function_without_a_pin_has_no_intx(void **state)
{
	int none, reserved;

	(void)state;
	find_host("qemu-virt.dtb");
	new_ecam();
	none = add_fn(-1, 1, 0, 0, false);
	reserved = add_fn(-1, 2, 0, 5, false);     /* PCI 3.0 §6.2.4: reserved */
	assert_int_equal(pci_scan(&scan, &host), 2);
	assert_no_intx(scan_index(none, 1, 0));
	assert_no_intx(scan_index(reserved, 2, 0));
}

static void test_host_without_a_map_routes_nothing(void **state)
{
	int fn;

	(void)state;
	find_host("qemu-virt.dtb");
	memset(&host.intx, 0, sizeof(host.intx));
	new_ecam();
	fn = add_fn(-1, 1, 0, PIN_A, false);
	assert_int_equal(pci_scan(&scan, &host), 1);
	assert_no_intx(scan_index(fn, 1, 0));
}

static void test_bad_arguments_and_a_looping_table_are_refused(void **state)
{
	uint32_t intid;
	bool edge;
	int port, fn;
	unsigned at;

	(void)state;
	find_host("qemu-virt.dtb");
	new_ecam();
	port = add_bridge(-1, 6);
	fn = add_fn(port, 0, 0, PIN_A, false);
	assert_int_equal(pci_scan(&scan, &host), 2);
	at = scan_index(fn, 0, 0);
	assert_int_equal(pci_intx(NULL, at, &intid, &edge), -VBLK_EINVAL);
	assert_int_equal(pci_intx(&scan, at, NULL, &edge), -VBLK_EINVAL);
	assert_int_equal(pci_intx(&scan, at, &intid, NULL), -VBLK_EINVAL);
	assert_int_equal(pci_intx(&scan, scan.count, &intid, &edge), -VBLK_EINVAL);
	scan.fn[at].parent = (int)at;                  /* itself: would never end */
	assert_int_equal(pci_intx(&scan, at, &intid, &edge), -VBLK_EINVAL);
	scan.fn[at].parent = (int)scan.count;          /* past the table */
	assert_int_equal(pci_intx(&scan, at, &intid, &edge), -VBLK_EINVAL);
}

/* ---- hostile maps: the host is found, the map empty or partial -------- */

static void test_unreadable_maps_are_empty_and_the_host_is_found(void **state)
{
	static const char *const broken[] = {
		"pci-intx-truncated.dtb", "pci-intx-no-phandle.dtb",
		"pci-intx-bad-mask.dtb", "pci-intx-parent-no-cells.dtb",
		"pci-intx-five-parents.dtb",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		int fn;

		find_host(broken[i]);
		assert_int_equal(host.intx.status, -VBLK_EBADDT);
		assert_int_equal(host.intx.count, 0);
		new_ecam();
		fn = add_fn(-1, 1, 0, PIN_A, false);
		assert_int_equal(pci_scan(&scan, &host), 1);
		assert_no_intx(scan_index(fn, 1, 0));
	}
}

static void test_only_gic_entries_with_three_cells_in_range_are_kept(void **state)
{
	int a1, b1, a2, b2, a3;

	(void)state;
	find_host("pci-intx-mixed-parents.dtb");
	assert_int_equal(host.intx.status, 0);
	assert_int_equal(host.intx.count, 3);
	assert_int_equal(host.intx.skipped, 5);
	new_ecam();
	a1 = add_fn(-1, 1, 0, PIN_A, true);
	b1 = add_fn(-1, 1, 1, PIN_B, false);
	a2 = add_fn(-1, 2, 0, PIN_A, true);
	b2 = add_fn(-1, 2, 1, PIN_B, false);
	a3 = add_fn(-1, 3, 0, PIN_A, false);
	assert_int_equal(pci_scan(&scan, &host), 5);
	assert_intx(scan_index(a1, 1, 0), 35, false);      /* GICv3, no #address-cells */
	assert_no_intx(scan_index(b1, 1, 1));              /* a GIC with 1 cell */
	assert_no_intx(scan_index(a2, 2, 0));              /* not a GIC */
	assert_intx(scan_index(b2, 2, 1), 38, true);       /* flags 1: edge rising */
	assert_intx(scan_index(a3, 3, 0), 20, false);      /* PPI 4 */
}

static void test_map_without_mask_matches_every_bit(void **state)
{
	int a1, a1_fn1, a2, b2_fn1;

	(void)state;
	find_host("pci-intx-no-mask.dtb");
	assert_int_equal(host.intx.status, 0);
	assert_int_equal(host.intx.count, 2);
	assert_int_equal(host.intx.mask_phys_hi, UINT32_MAX);
	new_ecam();
	a1 = add_fn(-1, 1, 0, PIN_A, true);
	a1_fn1 = add_fn(-1, 1, 1, PIN_A, false);
	a2 = add_fn(-1, 2, 0, PIN_B, true);
	b2_fn1 = add_fn(-1, 2, 1, PIN_B, false);
	assert_int_equal(pci_scan(&scan, &host), 4);
	assert_intx(scan_index(a1, 1, 0), 36, false);
	assert_no_intx(scan_index(a1_fn1, 1, 1));
	assert_no_intx(scan_index(a2, 2, 0));
	assert_intx(scan_index(b2_fn1, 2, 1), 38, false);
}

static void test_map_past_the_table_keeps_the_first_entries(void **state)
{
	const struct pci_intx_map *map = &host.intx;

	(void)state;
	find_host("pci-intx-many.dtb");
	assert_int_equal(map->status, 0);
	assert_int_equal(map->count, PCI_INTX_MAP_MAX);
	assert_int_equal(map->dropped, 70 - PCI_INTX_MAP_MAX);
	assert_int_equal(map->mask_phys_hi, 0xff1800);
	for (unsigned i = 0; i < map->count; i++) {
		assert_int_equal(map->route[i].phys_hi, (i / 4) << 16);
		assert_int_equal(map->route[i].pin, i % 4 + 1);
		assert_int_equal(map->route[i].intid, 32 + i);
	}
}

/* Four parents named in turn fit the reader's cache: the tree is searched
 * once for each, however long the map (five are refused, above). */
static void test_four_parents_in_turn_are_read_whole(void **state)
{
	const struct pci_intx_map *map = &host.intx;

	(void)state;
	find_host("pci-intx-four-parents.dtb");
	assert_int_equal(map->status, 0);
	assert_int_equal(map->count, 8);
	assert_int_equal(map->skipped, 24);
	for (unsigned i = 0; i < map->count; i++) {
		assert_int_equal(map->route[i].phys_hi, i << 11);
		assert_int_equal(map->route[i].pin, PIN_A);
		assert_int_equal(map->route[i].intid, 32 + 4 * i);
	}
}

static void test_host_with_no_interrupt_map_says_so(void **state)
{
	size_t size;
	void *blob = load_dtb("pci-highmem-off.dtb", &size);

	(void)state;
	assert_int_equal(pci_dt_find_host(&host, blob, size), 0);
	assert_int_equal(host.intx.status, -VBLK_ENODEV);
	assert_int_equal(host.intx.count, 0);
	free(blob);
}

/* ---- fdt_node_by_phandle ---------------------------------------------- */

static void test_phandle_names_its_node_and_nothing_else(void **state)
{
	struct fdt fdt;
	size_t size;
	void *blob = load_dtb("qemu-virt.dtb", &size);
	int node_off;

	(void)state;
	assert_int_equal(fdt_open(&fdt, blob, size), 0);
	node_off = fdt_node_by_phandle(&fdt, 0x8002);
	assert_true(node_off > 0);
	assert_string_equal(fdt_node_name(&fdt, node_off), "intc@8000000");
	node_off = fdt_node_by_phandle(&fdt, 0x8003);   /* a child of the GIC */
	assert_true(node_off > 0);
	assert_string_equal(fdt_node_name(&fdt, node_off), "v2m@8020000");
	assert_int_equal(fdt_node_by_phandle(&fdt, 0x8009), -VBLK_ENODEV);
	assert_int_equal(fdt_node_by_phandle(&fdt, 0), -VBLK_ENODEV);
	assert_int_equal(fdt_node_by_phandle(&fdt, UINT32_MAX), -VBLK_ENODEV);
	free(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_dumps_map_every_slot_and_pin_to_a_level_spi),
		cmocka_unit_test_teardown(test_root_bus_slots_1_to_5_pins_a_and_b, teardown),
		cmocka_unit_test_teardown(test_behind_one_root_port_the_ports_slot_routes,
					  teardown),
		cmocka_unit_test_teardown(test_behind_two_bridges_each_crossing_swizzles,
					  teardown),
		cmocka_unit_test_teardown(test_function_without_a_pin_has_no_intx, teardown),
		cmocka_unit_test_teardown(test_host_without_a_map_routes_nothing, teardown),
		cmocka_unit_test_teardown(test_bad_arguments_and_a_looping_table_are_refused,
					  teardown),
		cmocka_unit_test_teardown(test_unreadable_maps_are_empty_and_the_host_is_found,
					  teardown),
		cmocka_unit_test_teardown(test_only_gic_entries_with_three_cells_in_range_are_kept,
					  teardown),
		cmocka_unit_test_teardown(test_map_without_mask_matches_every_bit, teardown),
		cmocka_unit_test(test_map_past_the_table_keeps_the_first_entries),
		cmocka_unit_test(test_four_parents_in_turn_are_read_whole),
		cmocka_unit_test(test_host_with_no_interrupt_map_says_so),
		cmocka_unit_test(test_phandle_names_its_node_and_nothing_else),
	};
	return cmocka_run_group_tests_name("pci_intx", tests, NULL, NULL);
}
