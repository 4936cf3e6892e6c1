/* SPDX-License-Identifier: MIT */
/*
 * The PCI host bridge module (pci/) on the fake ECAM (fake_pci.h):
 * enumeration through bridges, bus numbers, BAR sizing and assignment,
 * bridge windows, firmware-assigned functions, and pci_enable.
 *
 * The host is QEMU virt's (shared/QEMU-FACTS.md): ECAM 256 MiB, 32-bit
 * window 0x1000_0000-0x3efe_ffff, 64-bit window 512 GiB at 0x80_0000_0000.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_pci.h"
#include "host_platform.h"
#include "pci/pci.h"
#include "vblk/error.h"

#define ECAM_BASE   0x4010000000ull
#define ECAM_BYTES  0x10000000u
#define MEM32_BASE  0x10000000ull
#define MEM32_BYTES 0x2eff0000ull
#define MEM64_BASE  0x8000000000ull
#define MEM64_BYTES 0x8000000000ull
#define KIB         1024ull
#define MIB         (1024ull * KIB)

static struct fake_pci *pci;
static struct pci_scan scan;   /* static: the table the caller keeps */

static const struct pci_host virt_host = {
	.ecam_base = ECAM_BASE, .ecam_size_bytes = ECAM_BYTES,
	.bus_first = 0, .bus_last = 0xff,
	.io = { 0, 0x3eff0000, 0x10000 },
	.mem32 = { MEM32_BASE, MEM32_BASE, MEM32_BYTES },
	.mem64 = { MEM64_BASE, MEM64_BASE, MEM64_BYTES },
};

static int setup(void **state)
{
	(void)state;
	pci = fake_pci_create(ECAM_BASE, ECAM_BYTES, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	host_platform_reset();
	return 0;
}

/* ---- topology builders ------------------------------------------------ */

static int add_host_bridge(void)
{
	return fake_pci_add(pci, &(struct fake_pci_fn_spec){
		.parent = -1, .dev = 0, .vendor_id = 0x1b36, .device_id = 0x0008,
		.class_code = 0x060000 });
}

/* virtio-blk-pci, transitional (1af4:1001): BAR0 I/O, BAR1 32-bit memory
 * (MSI-X), BAR4 64-bit prefetchable (modern capabilities). */
static int add_blk(int parent, uint8_t dev, uint8_t fn)
{
	return fake_pci_add(pci, &(struct fake_pci_fn_spec){
		.parent = parent, .dev = dev, .fn = fn,
		.vendor_id = 0x1af4, .device_id = 0x1001, .class_code = 0x010000,
		.bar = { [0] = { FAKE_BAR_IO, false, 128, 0 },
			 [1] = { FAKE_BAR_MEM32, false, 4 * KIB, 0 },
			 [4] = { FAKE_BAR_MEM64, true, 16 * KIB, 0 } } });
}

static int add_root_port(int parent, uint8_t dev)
{
	return fake_pci_add(pci, &(struct fake_pci_fn_spec){
		.parent = parent, .dev = dev, .vendor_id = 0x1b36, .device_id = 0x000c,
		.class_code = 0x060400, .bridge = true,
		.bar = { [0] = { FAKE_BAR_MEM32, false, 4 * KIB, 0 } } });
}

static int add_one_bar(int parent, uint8_t dev, struct fake_pci_bar_spec bar)
{
	return fake_pci_add(pci, &(struct fake_pci_fn_spec){
		.parent = parent, .dev = dev, .vendor_id = 0x1234, .device_id = 0x0001,
		.bar = { [0] = bar } });
}

static const struct pci_function *found_at(uint8_t bus, uint8_t dev, uint8_t fn)
{
	for (unsigned i = 0; i < scan.count; i++)
		if (scan.fn[i].bdf.bus == bus && scan.fn[i].bdf.dev == dev &&
		    scan.fn[i].bdf.fn == fn)
			return &scan.fn[i];
	return NULL;
}

static unsigned index_of(const struct pci_function *fn)
{
	return (unsigned)(fn - scan.fn);
}

static uint64_t bar_end(const struct pci_bar *bar)
{
	return bar->pci_addr + bar->size_bytes;
}

/* Every assigned BAR: aligned to its size, inside a window, in the
 * fake's register, overlapping no other. */
static void assert_bars_sane(void)
{
	for (unsigned i = 0; i < scan.count; i++) {
		for (unsigned b = 0; b < scan.fn[i].nbars; b++) {
			const struct pci_bar *bar = &scan.fn[i].bar[b];
			bool in32, in64;

			if (bar->status != 0 || bar->kind == PCI_BAR_UNUSED)
				continue;
			assert_int_equal(bar->pci_addr % bar->size_bytes, 0);
			in32 = bar->pci_addr >= MEM32_BASE && bar_end(bar) <= MEM32_BASE + MEM32_BYTES;
			in64 = bar->pci_addr >= MEM64_BASE && bar_end(bar) <= MEM64_BASE + MEM64_BYTES;
			assert_true(in32 || in64);
			for (unsigned j = 0; j < scan.count; j++)
				for (unsigned c = 0; c < scan.fn[j].nbars; c++) {
					const struct pci_bar *other = &scan.fn[j].bar[c];

					if ((i == j && b == c) || other->status != 0 ||
					    other->kind == PCI_BAR_UNUSED)
						continue;
					assert_true(bar_end(bar) <= other->pci_addr ||
						    bar_end(other) <= bar->pci_addr);
				}
		}
	}
}

static uint32_t command_of(int fake_index)
{
	return fake_pci_cfg_read(pci, fake_index, PCI_COMMAND, 2);
}

/* ---- enumeration ------------------------------------------------------ */

static void test_root_bus_functions_found(void **state)
{
	(void)state;
	add_host_bridge();
	add_blk(-1, 2, 0);
	assert_int_equal(pci_scan(&scan, &virt_host), 2);
	const struct pci_function *blk = found_at(0, 2, 0);
	assert_non_null(blk);
	assert_int_equal(blk->vendor_id, 0x1af4);
	assert_int_equal(blk->device_id, 0x1001);
	assert_int_equal(blk->class_code, 0x010000);
	assert_int_equal(blk->header_type, PCI_HEADER_NORMAL);
	assert_int_equal(blk->parent, -1);
	assert_int_equal(pci_find(&scan, 0x1af4, 0x1001, 0), (int)index_of(blk));
	assert_int_equal(pci_find(&scan, 0x1af4, 0x1042, 0), -1);
}

static void test_functions_1_to_7_only_on_multi_function_devices(void **state)
{
	(void)state;
	fake_pci_add(pci, &(struct fake_pci_fn_spec){ .parent = -1, .dev = 3, .fn = 0,
		     .vendor_id = 0x1234, .multi_function = true });
	fake_pci_add(pci, &(struct fake_pci_fn_spec){ .parent = -1, .dev = 3, .fn = 5,
		     .vendor_id = 0x1234 });
	fake_pci_add(pci, &(struct fake_pci_fn_spec){ .parent = -1, .dev = 4, .fn = 0,
		     .vendor_id = 0x1234 });
	fake_pci_add(pci, &(struct fake_pci_fn_spec){ .parent = -1, .dev = 4, .fn = 1,
		     .vendor_id = 0x1234 });
	assert_int_equal(pci_scan(&scan, &virt_host), 3);
	assert_non_null(found_at(0, 3, 5));
	assert_null(found_at(0, 4, 1));   /* fn 0 did not say multi-function */
}

static void test_behind_one_bridge(void **state)
{
	(void)state;
	add_host_bridge();
	int port = add_root_port(-1, 1);
	int blk = add_blk(port, 0, 0);
	assert_int_equal(pci_scan(&scan, &virt_host), 3);
	const struct pci_function *bridge = found_at(0, 1, 0);
	assert_non_null(bridge);
	assert_int_equal(bridge->header_type, PCI_HEADER_BRIDGE);
	assert_int_equal(bridge->secondary_bus, 1);
	assert_int_equal(bridge->subordinate_bus, 1);
	assert_int_equal(fake_pci_cfg_read(pci, port, PCI_PRIMARY_BUS, 4) & 0xffffff, 0x010100);
	assert_int_equal(fake_pci_bus_of(pci, blk), 1);
	assert_non_null(found_at(1, 0, 0));
	assert_int_equal(found_at(1, 0, 0)->parent, (int)index_of(bridge));
}

static void test_behind_two_bridges_numbered_depth_first(void **state)
{
	(void)state;
	int port1 = add_root_port(-1, 1);
	int inner = add_root_port(port1, 0);
	add_blk(inner, 0, 0);
	int port2 = add_root_port(-1, 2);
	add_blk(port2, 0, 0);
	assert_int_equal(pci_scan(&scan, &virt_host), 5);
	assert_non_null(found_at(2, 0, 0));
	assert_non_null(found_at(3, 0, 0));
	assert_int_equal(found_at(0, 1, 0)->secondary_bus, 1);
	assert_int_equal(found_at(0, 1, 0)->subordinate_bus, 2);
	assert_int_equal(found_at(1, 0, 0)->secondary_bus, 2);
	assert_int_equal(found_at(0, 2, 0)->secondary_bus, 3);
	assert_int_equal(fake_pci_cfg_read(pci, port1, PCI_SUBORDINATE_BUS, 1), 2);
	assert_int_equal(fake_pci_cfg_read(pci, port2, PCI_SUBORDINATE_BUS, 1), 3);
	assert_int_equal(scan.last_bus, 3);
	assert_bars_sane();
}

static void test_bridges_past_the_depth_limit_not_followed(void **state)
{
	(void)state;
	int parent = -1;
	for (unsigned depth = 0; depth < PCI_MAX_BRIDGE_DEPTH + 2; depth++)
		parent = add_root_port(parent, 0);
	assert_int_equal(pci_scan(&scan, &virt_host), PCI_MAX_BRIDGE_DEPTH + 1);
	assert_int_equal(scan.fn[PCI_MAX_BRIDGE_DEPTH].status, -VBLK_ENOMEM);
	assert_int_equal(scan.fn[PCI_MAX_BRIDGE_DEPTH].secondary_bus, 0);
}

static void test_bridge_without_a_bus_number_left_reported(void **state)
{
	(void)state;
	struct pci_host two_buses = virt_host;
	two_buses.bus_last = 1;
	add_root_port(-1, 1);
	add_root_port(-1, 2);
	assert_int_equal(pci_scan(&scan, &two_buses), 2);
	assert_int_equal(found_at(0, 1, 0)->status, 0);
	assert_int_equal(found_at(0, 2, 0)->status, -VBLK_ERANGE);
}

/* ---- BARs ------------------------------------------------------------ */

static void test_bars_sized_and_assigned_aligned(void **state)
{
	(void)state;
	int blk = add_blk(-1, 2, 0);
	add_one_bar(-1, 3, (struct fake_pci_bar_spec){ FAKE_BAR_MEM32, false, 64 * MIB, 0 });
	assert_int_equal(pci_scan(&scan, &virt_host), 2);
	const struct pci_function *fn = found_at(0, 2, 0);
	assert_int_equal(fn->bar[0].kind, PCI_BAR_IO);
	assert_int_equal(fn->bar[0].status, -VBLK_EUNSUPP);
	assert_int_equal(fn->bar[0].size_bytes, 128);
	assert_int_equal(fn->bar[1].kind, PCI_BAR_MEM32);
	assert_int_equal(fn->bar[1].size_bytes, 4 * KIB);
	assert_int_equal(fn->bar[4].kind, PCI_BAR_MEM64);
	assert_true(fn->bar[4].prefetchable);
	assert_int_equal(fn->bar[4].size_bytes, 16 * KIB);
	assert_int_equal(fn->bar[5].kind, PCI_BAR_UNUSED);
	assert_int_equal(fn->bar[4].status, 0);
	assert_true(fn->bar[4].pci_addr >= MEM64_BASE);
	assert_int_equal(fn->bar[4].cpu_addr, fn->bar[4].pci_addr);
	assert_int_equal(fake_pci_bar_addr(pci, blk, 4), fn->bar[4].pci_addr);
	assert_int_equal(fake_pci_bar_addr(pci, blk, 1), fn->bar[1].pci_addr);
	assert_bars_sane();
}

static void test_bridge_windows_cover_children(void **state)
{
	(void)state;
	int port1 = add_root_port(-1, 1);
	add_blk(port1, 0, 0);
	int port2 = add_root_port(-1, 2);
	add_blk(port2, 0, 0);
	add_blk(-1, 3, 0);            /* a sibling on the root bus */
	assert_int_equal(pci_scan(&scan, &virt_host), 5);
	assert_bars_sane();
	for (unsigned i = 0; i < scan.count; i++) {
		const struct pci_function *fn = &scan.fn[i];
		for (unsigned p = 0; p < scan.count; p++) {
			const struct pci_function *br = &scan.fn[p];
			bool below = fn->parent == (int)p;
			if (br->header_type != PCI_HEADER_BRIDGE)
				continue;
			const struct pci_bar *mem = &fn->bar[1], *pref = &fn->bar[4];
			if (fn->header_type != PCI_HEADER_NORMAL)
				continue;
			bool in_mem = mem->pci_addr >= br->mem_base && bar_end(mem) - 1 <= br->mem_limit;
			bool in_pref = pref->pci_addr >= br->pref_base &&
				       bar_end(pref) - 1 <= br->pref_limit;
			assert_int_equal(in_mem, below);
			assert_int_equal(in_pref, below);
		}
	}
	/* The registers hold the window: [15:4] = address [31:20]. */
	const struct pci_function *br = found_at(0, 1, 0);
	assert_int_equal(fake_pci_cfg_read(pci, port1, PCI_MEMORY_BASE, 2),
			 (br->mem_base >> 16) & 0xfff0);
	assert_int_equal(fake_pci_cfg_read(pci, port1, PCI_MEMORY_LIMIT, 2),
			 (br->mem_limit >> 16) & 0xfff0);
	assert_int_equal(fake_pci_cfg_read(pci, port1, PCI_PREF_BASE_UPPER32, 4),
			 br->pref_base >> 32);
	assert_int_equal(br->mem_base % MIB, 0);
	assert_int_equal((br->mem_limit + 1) % MIB, 0);
}

static void test_bar_too_large_reported_and_left_unassigned(void **state)
{
	(void)state;
	int big = add_one_bar(-1, 1, (struct fake_pci_bar_spec){ FAKE_BAR_MEM32, false,
								  1024 * MIB, 0 });
	add_blk(-1, 2, 0);
	assert_int_equal(pci_scan(&scan, &virt_host), 2);
	assert_int_equal(found_at(0, 1, 0)->bar[0].status, -VBLK_ENOMEM);
	assert_int_equal(fake_pci_bar_addr(pci, big, 0), 0);
	assert_int_equal(found_at(0, 2, 0)->bar[1].status, 0);
	assert_int_equal(pci_enable(&scan, index_of(found_at(0, 1, 0))), -VBLK_ESTATE);
	assert_int_equal(command_of(big), 0);
	assert_bars_sane();
}

static void test_absurd_bar_sizes_refused(void **state)
{
	(void)state;
	int huge = add_one_bar(-1, 1, (struct fake_pci_bar_spec){ FAKE_BAR_MEM64, true, 0,
								   0x8000000000000000ull });
	int holes = add_one_bar(-1, 2, (struct fake_pci_bar_spec){ FAKE_BAR_MEM32, false, 0,
								    0xfff0f000ull });
	assert_int_equal(pci_scan(&scan, &virt_host), 2);
	assert_int_equal(found_at(0, 1, 0)->bar[0].status, -VBLK_EBROKEN);
	assert_int_equal(found_at(0, 2, 0)->bar[0].status, -VBLK_EBROKEN);
	assert_int_equal(fake_pci_bar_addr(pci, huge, 0), 0);
	assert_int_equal(fake_pci_bar_addr(pci, holes, 0), 0);
}

static void test_without_a_64_bit_window_prefetchable_bars_go_low(void **state)
{
	(void)state;
	struct pci_host low = virt_host;
	low.mem64 = (struct pci_window){ 0, 0, 0 };
	add_blk(-1, 2, 0);
	assert_int_equal(pci_scan(&scan, &low), 1);
	const struct pci_bar *bar = &found_at(0, 2, 0)->bar[4];
	assert_int_equal(bar->status, 0);
	assert_true(bar->pci_addr >= MEM32_BASE && bar_end(bar) <= MEM32_BASE + MEM32_BYTES);
}

static void test_firmware_assigned_function_kept(void **state)
{
	(void)state;
	int fw = add_one_bar(-1, 1, (struct fake_pci_bar_spec){ FAKE_BAR_MEM32, false, MIB, 0 });
	fake_pci_cfg_write(pci, fw, PCI_BAR0, 4, (uint32_t)MEM32_BASE);
	fake_pci_cfg_write(pci, fw, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	add_blk(-1, 2, 0);
	assert_int_equal(pci_scan(&scan, &virt_host), 2);
	const struct pci_function *kept = found_at(0, 1, 0);
	assert_true(kept->firmware_assigned);
	assert_int_equal(kept->bar[0].status, 0);
	assert_int_equal(kept->bar[0].pci_addr, MEM32_BASE);
	assert_int_equal(kept->bar[0].size_bytes, MIB);
	assert_int_equal(fake_pci_bar_addr(pci, fw, 0), MEM32_BASE);
	assert_int_equal(command_of(fw), PCI_COMMAND_MEMORY);  /* sizing restored it */
	assert_true(found_at(0, 2, 0)->bar[1].pci_addr >= MEM32_BASE + MIB);
	assert_bars_sane();
}

/* More functions than the table holds: 9 devices of 8 functions on bus 0
 * (72, a device at function 0 saying it has more), a bridge among them,
 * then a single-function disk at 00:14.0 and one behind the bridge. The
 * table keeps the first 64 in bus order; the walk of what it left out
 * gives the other 9 on bus 0 in order, nothing behind the bridge it never
 * followed (it is past the table), and only functions that exist. */
static void test_functions_past_the_table_are_walked(void **state)
{
	(void)state;
	int port = -1;
	for (uint8_t dev = 1; dev <= 9; dev++) {
		for (uint8_t f = 0; f < 8; f++) {
			if (dev == 9 && f == 7) {
				port = fake_pci_add(pci, &(struct fake_pci_fn_spec){
					.parent = -1, .dev = dev, .fn = f, .vendor_id = 0x1b36,
					.device_id = 0x000c, .class_code = 0x060400,
					.bridge = true });
				continue;
			}
			fake_pci_add(pci, &(struct fake_pci_fn_spec){
				.parent = -1, .dev = dev, .fn = f, .vendor_id = 0x1af4,
				.device_id = 0x1044, .class_code = 0xff0000,
				.multi_function = f == 0 });
		}
	}
	add_blk(-1, 20, 0);
	add_blk(port, 0, 0);
	assert_int_equal(pci_scan(&scan, &virt_host), PCI_MAX_FUNCTIONS);
	assert_int_equal(scan.dropped, 9);

	struct pci_unrecorded_walk walk = { 0 };
	struct pci_bdf bdf, want[9];
	for (unsigned i = 0; i < 8; i++)
		want[i] = (struct pci_bdf){ 0, 9, (uint8_t)i };
	want[8] = (struct pci_bdf){ 0, 20, 0 };
	for (unsigned i = 0; i < 9; i++) {
		assert_true(pci_next_unrecorded(&scan, &walk, &bdf));
		assert_int_equal(bdf.bus, want[i].bus);
		assert_int_equal(bdf.dev, want[i].dev);
		assert_int_equal(bdf.fn, want[i].fn);
	}
	assert_false(pci_next_unrecorded(&scan, &walk, &bdf));
	assert_false(pci_next_unrecorded(&scan, &walk, &bdf));
}

/* Nothing dropped: the walk says so at once, without a config read. */
static void test_nothing_past_the_table_nothing_walked(void **state)
{
	(void)state;
	add_host_bridge();
	add_blk(-1, 2, 0);
	assert_int_equal(pci_scan(&scan, &virt_host), 2);
	uint64_t accesses = fake_pci_access_count(pci);
	struct pci_unrecorded_walk walk = { 0 };
	struct pci_bdf bdf;
	assert_false(pci_next_unrecorded(&scan, &walk, &bdf));
	assert_int_equal(fake_pci_access_count(pci), accesses);
}

/* ---- enabling -------------------------------------------------------- */

static void test_decoding_enabled_only_on_pci_enable(void **state)
{
	(void)state;
	int host = add_host_bridge();
	int port = add_root_port(-1, 1);
	int behind = add_blk(port, 0, 0);
	int other = add_blk(-1, 2, 0);
	assert_int_equal(pci_scan(&scan, &virt_host), 4);
	assert_int_equal(command_of(host) | command_of(port) | command_of(behind) |
			 command_of(other), 0);
	assert_int_equal(pci_enable(&scan, index_of(found_at(1, 0, 0))), 0);
	const uint32_t on = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	assert_int_equal(command_of(behind), on);
	assert_int_equal(command_of(port), on);     /* the path to it */
	assert_int_equal(command_of(other), 0);
	assert_int_equal(command_of(host), 0);
	assert_int_equal(pci_enable(&scan, scan.count), -VBLK_EINVAL);
}

/* ---- capabilities and INTx -------------------------------------------- */

/* Capability entries (ID, next) at the given offsets, linked in order,
 * the first named at 0x34 and the list announced in Status. */
static void put_caps(int index, const uint8_t (*caps)[3], unsigned count)
{
	uint16_t status = PCI_STATUS_CAP_LIST;

	fake_pci_cfg_set(pci, index, PCI_CAP_POINTER, &caps[0][0], 1);
	for (unsigned i = 0; i < count; i++)
		fake_pci_cfg_set(pci, index, caps[i][0], &caps[i][1], 2);
	fake_pci_cfg_set(pci, index, PCI_STATUS, &status, sizeof(status));
}

static const struct pci_bdf at_2 = { 0, 2, 0 };

static unsigned walk_length(void)
{
	struct pci_cap_walk walk = { 0 };
	unsigned entries = 0;

	while (pci_cap_next(&virt_host, at_2, &walk))
		entries++;
	return entries;
}

/* The list is the device's: a pointer into the header, past 0xff or at
 * itself ends the walk, whatever it says. The low two bits of a pointer
 * are reserved and ignored (PCI 3.0 §6.7). */
static void test_capability_walk_trusts_nothing(void **state)
{
	(void)state;
	int f = add_blk(-1, 2, 0);
	assert_int_equal(walk_length(), 0);   /* Status: no list */

	put_caps(f, (const uint8_t[][3]){ { 0x40, PCI_CAP_ID_MSIX, 0x53 }, { 0x50, 0x09, 0x00 } },
		 2);
	assert_int_equal(walk_length(), 2);
	assert_int_equal(pci_find_cap(&virt_host, at_2, 0x09), 0x50);
	assert_int_equal(pci_find_cap(&virt_host, at_2, PCI_CAP_ID_MSI), 0);

	put_caps(f, (const uint8_t[][3]){ { 0x40, 0x09, 0x50 }, { 0x50, 0x09, 0x40 } }, 2);
	assert_int_equal(walk_length(), 48);  /* a loop, cut */
	assert_int_equal(pci_find_cap(&virt_host, at_2, PCI_CAP_ID_MSIX), 0);

	put_caps(f, (const uint8_t[][3]){ { 0x40, 0x09, 0x20 } }, 1);
	assert_int_equal(walk_length(), 1);   /* into the header: the end */
	put_caps(f, (const uint8_t[][3]){ { 0x30, 0x09, 0x00 } }, 1);
	assert_int_equal(walk_length(), 0);   /* the first one already */
}

/* What firmware may leave to silence INTx: Interrupt Disable, MSI
 * Enable, MSI-X Enable. pci_use_intx clears those three bits and no
 * other (Memory, Bus Master, MSI-X's Function Mask and table size). */
static void test_use_intx_undoes_what_silences_the_pin(void **state)
{
	(void)state;
	int f = add_blk(-1, 2, 0);
	const uint8_t enables[2][2] = { { 0x01, 0x00 }, { 0x00, 0x80 } };
	const uint16_t msi_control = 0x0081, msix_control = 0xc001;

	put_caps(f, (const uint8_t[][3]){ { 0x40, PCI_CAP_ID_MSI, 0x60 },
					  { 0x60, PCI_CAP_ID_MSIX, 0x00 } }, 2);
	fake_pci_cfg_writable(pci, f, 0x40 + PCI_MSI_CONTROL, enables[0], 2);
	fake_pci_cfg_writable(pci, f, 0x60 + PCI_MSI_CONTROL, enables[1], 2);
	fake_pci_cfg_set(pci, f, 0x40 + PCI_MSI_CONTROL, &msi_control, 2);
	fake_pci_cfg_set(pci, f, 0x60 + PCI_MSI_CONTROL, &msix_control, 2);
	fake_pci_cfg_write(pci, f, PCI_COMMAND, 2,
			   PCI_COMMAND_INTX_DISABLE | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

	pci_use_intx(&virt_host, at_2);
	assert_int_equal(command_of(f), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(fake_pci_cfg_read(pci, f, 0x40 + PCI_MSI_CONTROL, 2), 0x0080);
	assert_int_equal(fake_pci_cfg_read(pci, f, 0x60 + PCI_MSI_CONTROL, 2), 0x4001);

	pci_use_intx(&virt_host, at_2);       /* again: nothing more changes */
	assert_int_equal(command_of(f), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(fake_pci_cfg_read(pci, f, 0x60 + PCI_MSI_CONTROL, 2), 0x4001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_root_bus_functions_found),
		T(test_functions_1_to_7_only_on_multi_function_devices),
		T(test_behind_one_bridge),
		T(test_behind_two_bridges_numbered_depth_first),
		T(test_bridges_past_the_depth_limit_not_followed),
		T(test_bridge_without_a_bus_number_left_reported),
		T(test_bars_sized_and_assigned_aligned),
		T(test_bridge_windows_cover_children),
		T(test_bar_too_large_reported_and_left_unassigned),
		T(test_absurd_bar_sizes_refused),
		T(test_without_a_64_bit_window_prefetchable_bars_go_low),
		T(test_firmware_assigned_function_kept),
		T(test_functions_past_the_table_are_walked),
		T(test_nothing_past_the_table_nothing_walked),
		T(test_decoding_enabled_only_on_pci_enable),
		T(test_capability_walk_trusts_nothing),
		T(test_use_intx_undoes_what_silences_the_pin),
#undef T
	};
	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
