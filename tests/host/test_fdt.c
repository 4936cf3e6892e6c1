/* SPDX-License-Identifier: MIT */
/*
 * Device-tree tests: the DTB walker (fdt/), the library's virtio-mmio
 * reader (virtio/dt.c) and vblk_init_from_dt above it, and the runtime's
 * board parser (drivers/board.c). Each reader decodes only its own nodes,
 * so a node one of them cannot decode must not fail the other: a tree
 * with a broken UART, GIC, memory or timer node still gives its disks.
 *
 * Inputs: real QEMU 7.2 `-machine virt,dumpdtb=` dumps and small
 * hand-written trees in tests/host/dtb/ (see regen.sh there), corrupted
 * copies of them, and blobs assembled token by token with a tiny builder for
 * malformations dtc refuses to produce. Every blob is handed over in a heap
 * buffer of exactly max_bytes, so ASan reports any read past its end.
 *
 * The .dtb files are opened relative to the current directory (the
 * repository root, as `make test` runs), or to $VBLK_DTB_DIR.
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
#include "fake_virtio.h"
#include "vblk/error.h"
#include "vblk/vblk.h"
#include "fdt/fdt.h"
#include "virtio/dt.h"
#include "drivers/board.h"

#define MIB                 (1024u * 1024u)

/* QEMU virt facts (shared/QEMU-FACTS.md), as the dumps must show them. */
#define VIRT_RAM_BASE       0x40000000u
#define VIRT_GICD_BASE      0x08000000u
#define VIRT_GICC_BASE      0x08010000u
#define VIRT_GICR_BASE      0x080a0000u
#define VIRT_UART_BASE      0x09000000u
#define VIRT_TIMER_INTID    27u
#define VIRT_VIRTIO_BASE    0x0a000000u
#define VIRT_VIRTIO_STRIDE  0x200u
#define VIRT_VIRTIO_INTID0  48u
#define VIRT_VIRTIO_SLOTS   32u

/* Header field offsets, for corrupting them. */
#define HDR_TOTALSIZE       4u
#define HDR_OFF_DT_STRUCT   8u
#define HDR_OFF_DT_STRINGS  12u
#define HDR_VERSION         20u
#define HDR_LAST_COMP       24u
#define HDR_SIZE_DT_STRINGS 32u
#define HDR_SIZE_DT_STRUCT  36u
#define HDR_BYTES           40u
#define RSVMAP_BYTES        16u   /* the terminating empty entry */

/* ---- blob helpers ---------------------------------------------------- */

struct blob {
	uint8_t *bytes;
	size_t size;
};

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t value)
{
	p[0] = (uint8_t)(value >> 24);
	p[1] = (uint8_t)(value >> 16);
	p[2] = (uint8_t)(value >> 8);
	p[3] = (uint8_t)value;
}

static struct blob load_dtb(const char *name)
{
	struct blob blob;

	blob.bytes = load_test_dtb(name, 0, &blob.size);
	return blob;
}

/* An exact-size copy of the first len bytes: reading past them trips ASan. */
static struct blob copy_prefix(const struct blob *src, size_t len)
{
	struct blob copy = { malloc(len > 0 ? len : 1), len };

	assert_non_null(copy.bytes);
	memcpy(copy.bytes, src->bytes, len);
	return copy;
}

static void free_blob(struct blob *blob)
{
	free(blob->bytes);
	blob->bytes = NULL;
}

static int parse_blob(const struct blob *blob, struct board_info *info)
{
	return board_from_fdt(info, blob->bytes, blob->size);
}

static int parse_file(const char *name, struct board_info *info)
{
	struct blob blob = load_dtb(name);
	int err = parse_blob(&blob, info);

	free_blob(&blob);
	return err;
}

static int find_blob(const struct blob *blob, struct virtio_dt *found)
{
	return virtio_dt_find(found, blob->bytes, blob->size);
}

static int find_file(const char *name, struct virtio_dt *found)
{
	struct blob blob = load_dtb(name);
	int err = find_blob(&blob, found);

	free_blob(&blob);
	return err;
}

static int all_zero(const void *mem, size_t len_bytes)
{
	const uint8_t *bytes = mem;

	for (size_t i = 0; i < len_bytes; i++)
		if (bytes[i] != 0)
			return 0;
	return 1;
}

/* board_from_fdt fails with -VBLK_EBADDT and leaves *info zeroed. */
static void assert_board_rejects(const struct blob *blob)
{
	struct board_info info;

	memset(&info, 0xa5, sizeof(info));
	assert_int_equal(parse_blob(blob, &info), -VBLK_EBADDT);
	assert_true(all_zero(&info, sizeof(info)));
}

/* virtio_dt_find fails with -VBLK_EBADDT and leaves *found zeroed. */
static void assert_virtio_rejects(const struct blob *blob)
{
	static struct virtio_dt found;

	memset(&found, 0xa5, sizeof(found));
	assert_int_equal(find_blob(blob, &found), -VBLK_EBADDT);
	assert_true(all_zero(&found, sizeof(found)));
}

/* A blob malformed as a whole: neither reader takes anything from it. */
static void assert_rejected(const struct blob *blob)
{
	assert_board_rejects(blob);
	assert_virtio_rejects(blob);
}

static void assert_file_rejected(const char *name)
{
	struct blob blob = load_dtb(name);

	assert_rejected(&blob);
	free_blob(&blob);
}

/* A node only the virtio reader decodes is broken: it refuses the tree,
 * the runtime's parse (which does not read the node) takes it. */
static void assert_only_virtio_rejects(const struct blob *blob)
{
	struct board_info info;

	assert_virtio_rejects(blob);
	assert_int_equal(parse_blob(blob, &info), 0);
}

static void assert_only_virtio_rejects_file(const char *name)
{
	struct blob blob = load_dtb(name);

	assert_only_virtio_rejects(&blob);
	free_blob(&blob);
}

/* The other way round: a runtime node is broken, the virtio nodes are
 * still found. Returns how many. */
static unsigned assert_only_board_rejects(const struct blob *blob)
{
	static struct virtio_dt found;

	assert_board_rejects(blob);
	assert_int_equal(find_blob(blob, &found), 0);
	return found.count;
}

static void patch_header(struct blob *blob, uint32_t field_off, uint32_t value)
{
	put_be32(blob->bytes + field_off, value);
}

static uint32_t header(const struct blob *blob, uint32_t field_off)
{
	return get_be32(blob->bytes + field_off);
}

/* ---- a token-level blob builder ---------------------------------------- */

#define BUILD_STRUCT_MAX 8192u
#define BUILD_STRINGS_MAX 1024u

struct builder {
	uint8_t structs[BUILD_STRUCT_MAX];
	uint32_t struct_len;
	char strings[BUILD_STRINGS_MAX];
	uint32_t strings_len;
};

static void emit_bytes(struct builder *b, const void *bytes, uint32_t len)
{
	assert_true(b->struct_len + len + 3 <= BUILD_STRUCT_MAX);
	memcpy(b->structs + b->struct_len, bytes, len);
	b->struct_len += len;
	while (b->struct_len % FDT_TOKEN_BYTES != 0)
		b->structs[b->struct_len++] = 0;
}

static void emit_word(struct builder *b, uint32_t word)
{
	uint8_t bytes[4];

	put_be32(bytes, word);
	emit_bytes(b, bytes, sizeof(bytes));
}

static void begin_node(struct builder *b, const char *name)
{
	emit_word(b, FDT_BEGIN_NODE);
	emit_bytes(b, name, (uint32_t)strlen(name) + 1);
}

static void end_node(struct builder *b)
{
	emit_word(b, FDT_END_NODE);
}

static uint32_t add_string(struct builder *b, const char *name)
{
	uint32_t off = b->strings_len;
	uint32_t len = (uint32_t)strlen(name) + 1;

	assert_true(off + len <= BUILD_STRINGS_MAX);
	memcpy(b->strings + off, name, len);
	b->strings_len += len;
	return off;
}

static void prop_raw(struct builder *b, const char *name, const void *value,
		     uint32_t len)
{
	emit_word(b, FDT_PROP);
	emit_word(b, len);
	emit_word(b, add_string(b, name));
	if (len > 0)
		emit_bytes(b, value, len);
}

static void prop_str(struct builder *b, const char *name, const char *value)
{
	prop_raw(b, name, value, (uint32_t)strlen(value) + 1);
}

static void prop_cells(struct builder *b, const char *name, unsigned ncells, ...)
{
	uint8_t value[64];
	va_list ap;

	assert_true(ncells * 4 <= sizeof(value));
	va_start(ap, ncells);
	for (unsigned i = 0; i < ncells; i++)
		put_be32(value + 4 * i, va_arg(ap, uint32_t));
	va_end(ap);
	prop_raw(b, name, value, ncells * 4);
}

/* Header + empty reservation map + structure block + strings block, in an
 * exact-size heap buffer. FDT_END is not added: tests say where it goes. */
static struct blob finish(const struct builder *b)
{
	uint32_t struct_off = HDR_BYTES + RSVMAP_BYTES;
	uint32_t strings_off = struct_off + b->struct_len;
	uint32_t total = strings_off + b->strings_len;
	struct blob blob = { calloc(1, total), total };

	assert_non_null(blob.bytes);
	put_be32(blob.bytes, FDT_MAGIC);
	put_be32(blob.bytes + HDR_TOTALSIZE, total);
	put_be32(blob.bytes + HDR_OFF_DT_STRUCT, struct_off);
	put_be32(blob.bytes + HDR_OFF_DT_STRINGS, strings_off);
	put_be32(blob.bytes + 16, HDR_BYTES);          /* off_mem_rsvmap */
	put_be32(blob.bytes + HDR_VERSION, 17);
	put_be32(blob.bytes + HDR_LAST_COMP, 16);
	put_be32(blob.bytes + HDR_SIZE_DT_STRINGS, b->strings_len);
	put_be32(blob.bytes + HDR_SIZE_DT_STRUCT, b->struct_len);
	memcpy(blob.bytes + struct_off, b->structs, b->struct_len);
	memcpy(blob.bytes + strings_off, b->strings, b->strings_len);
	return blob;
}

static struct builder *new_builder(void)
{
	struct builder *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	return b;
}

/* A root with 2/2 cells and one virtio,mmio node whose `interrupts`
 * (or reg) the caller writes; the tree is closed afterwards. */
static struct builder *root_with_virtio_begun(void)
{
	struct builder *b = new_builder();

	begin_node(b, "");
	prop_cells(b, "#address-cells", 1, 2u);
	prop_cells(b, "#size-cells", 1, 2u);
	begin_node(b, "virtio_mmio@a000000");
	prop_str(b, "compatible", "virtio,mmio");
	return b;
}

static struct blob close_tree(struct builder *b, unsigned open_nodes)
{
	struct blob blob;

	for (unsigned i = 0; i < open_nodes; i++)
		end_node(b);
	emit_word(b, FDT_END);
	blob = finish(b);
	free(b);
	return blob;
}

/* ---- QEMU virt dumps -------------------------------------------------- */

static const char *const qemu_dumps[] = {
	"qemu-virt.dtb", "qemu-virt-gicv3.dtb", "qemu-virt-1g.dtb",
	"qemu-virt-2blk.dtb", "qemu-virt-secure.dtb", "qemu-virt-el2.dtb",
};
#define QEMU_DUMP_COUNT (sizeof(qemu_dumps) / sizeof(qemu_dumps[0]))

static void test_qemu_virt_memory_is_128mib_at_1gib(void **state)
{
	struct board_info info;

	(void)state;
	assert_int_equal(parse_file("qemu-virt.dtb", &info), 0);
	assert_int_equal(info.memory_count, 1);
	assert_int_equal(info.memory[0].base, VIRT_RAM_BASE);
	assert_int_equal(info.memory[0].size_bytes, 128 * MIB);
}

static void test_qemu_virt_with_1g_reports_1gib_of_memory(void **state)
{
	struct board_info info;

	(void)state;
	assert_int_equal(parse_file("qemu-virt-1g.dtb", &info), 0);
	assert_int_equal(info.memory_count, 1);
	assert_int_equal(info.memory[0].base, VIRT_RAM_BASE);
	assert_int_equal(info.memory[0].size_bytes, 1024 * MIB);
}

static void test_qemu_virt_default_gic_is_v2_with_gicd_and_gicc(void **state)
{
	struct board_info info;

	(void)state;
	assert_int_equal(parse_file("qemu-virt.dtb", &info), 0);
	assert_int_equal(info.gic_version, 2);
	assert_int_equal(info.gic_dist.base, VIRT_GICD_BASE);
	assert_int_equal(info.gic_dist.size_bytes, 0x10000);
	assert_int_equal(info.gic_cpu.base, VIRT_GICC_BASE);
	assert_int_equal(info.gic_cpu.size_bytes, 0x10000);
}

static void test_qemu_virt_gic_version_3_gives_gicd_and_gicr(void **state)
{
	struct board_info info;

	(void)state;
	assert_int_equal(parse_file("qemu-virt-gicv3.dtb", &info), 0);
	assert_int_equal(info.gic_version, 3);
	assert_int_equal(info.gic_dist.base, VIRT_GICD_BASE);
	assert_int_equal(info.gic_cpu.base, VIRT_GICR_BASE);
	assert_int_equal(info.gic_cpu.size_bytes, 0xf60000);
}

static void test_qemu_virt_uart_is_pl011_at_9000000_intid_33(void **state)
{
	struct board_info info;

	(void)state;
	for (size_t i = 0; i < QEMU_DUMP_COUNT; i++) {
		assert_int_equal(parse_file(qemu_dumps[i], &info), 0);
		assert_int_equal(info.uart_base, VIRT_UART_BASE);
	}
}

static void test_qemu_virt_virtual_timer_is_intid_27(void **state)
{
	struct board_info info;

	(void)state;
	for (size_t i = 0; i < QEMU_DUMP_COUNT; i++) {
		assert_int_equal(parse_file(qemu_dumps[i], &info), 0);
		assert_int_equal(info.timer_virt_intid, VIRT_TIMER_INTID);
	}
}

/* QEMU virt's 32 transports, as the library reads them from `name`. */
static void assert_virt_virtio_slots(const char *name)
{
	static struct virtio_dt found;

	assert_int_equal(find_file(name, &found), 0);
	assert_int_equal(found.count, VIRT_VIRTIO_SLOTS);
	for (unsigned n = 0; n < VIRT_VIRTIO_SLOTS; n++) {
		const struct virtio_dt_node *slot = &found.node[n];

		assert_int_equal(slot->base, VIRT_VIRTIO_BASE + n * VIRT_VIRTIO_STRIDE);
		assert_int_equal(slot->size_bytes, VIRT_VIRTIO_STRIDE);
		assert_int_equal(slot->intid, VIRT_VIRTIO_INTID0 + n);
		assert_true(slot->irq_edge);
	}
}

static void test_qemu_virt_has_32_virtio_mmio_slots_in_dt_order(void **state)
{
	(void)state;
	for (size_t i = 0; i < QEMU_DUMP_COUNT; i++)
		assert_virt_virtio_slots(qemu_dumps[i]);
}

static void test_qemu_virt_slots_do_not_change_with_attached_disks(void **state)
{
	(void)state;
	assert_virt_virtio_slots("qemu-virt-2blk.dtb");
}

static void test_qemu_virt_secure_skips_disabled_secure_uart_and_ram(void **state)
{
	struct board_info info;

	(void)state;
	/* secure=on adds pl011@9040000 and secram@e000000 before the normal
	 * ones, both status = "disabled" for the non-secure world. */
	assert_int_equal(parse_file("qemu-virt-secure.dtb", &info), 0);
	assert_int_equal(info.uart_base, VIRT_UART_BASE);
	assert_int_equal(info.memory_count, 1);
	assert_int_equal(info.memory[0].base, VIRT_RAM_BASE);
	assert_virt_virtio_slots("qemu-virt-secure.dtb");
}

static void test_qemu_virt_virtualization_on_parses_like_default(void **state)
{
	struct board_info info;

	(void)state;
	assert_int_equal(parse_file("qemu-virt-el2.dtb", &info), 0);
	assert_int_equal(info.gic_version, 2);
	assert_int_equal(info.memory[0].size_bytes, 128 * MIB);
	assert_virt_virtio_slots("qemu-virt-el2.dtb");
}

static void test_qemu_dumps_parse_at_every_unaligned_address(void **state)
{
	(void)state;
	for (size_t i = 0; i < QEMU_DUMP_COUNT; i++) {
		struct blob blob = load_dtb(qemu_dumps[i]);
		struct board_info aligned, shifted;
		static struct virtio_dt found_aligned, found_shifted;

		assert_int_equal(parse_blob(&blob, &aligned), 0);
		assert_int_equal(find_blob(&blob, &found_aligned), 0);
		for (size_t shift = 1; shift < 8; shift++) {
			uint8_t *buf = malloc(blob.size + shift);

			assert_non_null(buf);
			memcpy(buf + shift, blob.bytes, blob.size);
			assert_int_equal(board_from_fdt(&shifted, buf + shift, blob.size), 0);
			assert_memory_equal(&aligned, &shifted, sizeof(aligned));
			assert_int_equal(virtio_dt_find(&found_shifted, buf + shift, blob.size), 0);
			assert_memory_equal(&found_aligned, &found_shifted, sizeof(found_aligned));
			free(buf);
		}
		free_blob(&blob);
	}
}

/* ---- the PCI host's windows (for the runtime's MMU) ------------------- */

/* QEMU virt's pcie@10000000 (shared/QEMU-FACTS.md "PCI on virt"). */
#define VIRT_ECAM_HIGH_BASE   0x4010000000ull   /* 256 GiB + 256 MiB */
#define VIRT_ECAM_HIGH_BYTES  (256ull * MIB)
#define VIRT_ECAM_LOW_BASE    0x3f000000u       /* highmem=off */
#define VIRT_ECAM_LOW_BYTES   (16ull * MIB)
#define VIRT_MEM32_BASE       0x10000000u
#define VIRT_MEM32_BYTES      0x2eff0000u
#define VIRT_MEM64_BASE       0x8000000000ull   /* 512 GiB */
#define VIRT_MEM64_BYTES      0x8000000000ull

static void assert_device(const struct board_info *info, unsigned index, uint64_t base,
			  uint64_t size_bytes)
{
	assert_true(index < info->device_count);
	assert_int_equal(info->device[index].base, base);
	assert_int_equal(info->device[index].size_bytes, size_bytes);
}

static void test_qemu_virt_pci_gives_high_ecam_and_both_memory_windows(void **state)
{
	struct board_info info;

	(void)state;
	for (size_t i = 0; i < QEMU_DUMP_COUNT; i++) {
		assert_int_equal(parse_file(qemu_dumps[i], &info), 0);
		assert_int_equal(info.device_count, 3);
		assert_device(&info, 0, VIRT_ECAM_HIGH_BASE, VIRT_ECAM_HIGH_BYTES);
		assert_device(&info, 1, VIRT_MEM32_BASE, VIRT_MEM32_BYTES);
		assert_device(&info, 2, VIRT_MEM64_BASE, VIRT_MEM64_BYTES);
	}
}

static void test_highmem_off_pci_gives_low_ecam_and_32_bit_window_only(void **state)
{
	struct board_info info;

	(void)state;
	assert_int_equal(parse_file("pci-highmem-off.dtb", &info), 0);
	assert_int_equal(info.device_count, 2);
	assert_device(&info, 0, VIRT_ECAM_LOW_BASE, VIRT_ECAM_LOW_BYTES);
	assert_device(&info, 1, VIRT_MEM32_BASE, VIRT_MEM32_BYTES);
}

static void test_first_enabled_pci_host_gives_first_window_of_each_kind(void **state)
{
	struct board_info info;

	(void)state;
	/* See the tree's comment: 1-cell parent addresses, I/O and empty
	 * windows skipped, a second 32-bit window and later hosts ignored. */
	assert_int_equal(parse_file("pci-hosts.dtb", &info), 0);
	assert_int_equal(info.device_count, 3);
	assert_device(&info, 0, 0x20000000u, 0x200000u);
	assert_device(&info, 1, 0x22000000u, 0x1000000u);
	assert_device(&info, 2, 0xc0000000u, 0x10000000u);
}

static void test_pci_host_with_bad_ranges_adds_no_regions(void **state)
{
	struct board_info info;

	(void)state;
	memset(&info, 0xa5, sizeof(info));
	assert_int_equal(parse_file("pci-bad-ranges.dtb", &info), 0);
	assert_int_equal(info.device_count, 0);
}

static void test_broken_pci_host_leaves_the_rest_of_the_board(void **state)
{
	struct board_info info;
	static struct virtio_dt found;

	(void)state;
	assert_int_equal(parse_file("pci-bad-beside-board.dtb", &info), 0);
	assert_int_equal(info.device_count, 0);
	assert_int_equal(info.memory_count, 1);
	assert_int_equal(info.memory[0].base, VIRT_RAM_BASE);
	assert_int_equal(info.gic_version, 2);
	assert_int_equal(info.gic_cpu.base, VIRT_GICC_BASE);
	assert_int_equal(info.uart_base, VIRT_UART_BASE);
	assert_int_equal(info.timer_virt_intid, VIRT_TIMER_INTID);
	assert_int_equal(find_file("pci-bad-beside-board.dtb", &found), 0);
	assert_int_equal(found.count, 1);
}

/* A root (2/2 cells) with QEMU's RAM and one pci-host-ecam-generic node;
 * `shape` writes the host's properties. */
static struct blob tree_with_pci_host(void (*shape)(struct builder *b))
{
	struct builder *b = new_builder();

	begin_node(b, "");
	prop_cells(b, "#address-cells", 1, 2u);
	prop_cells(b, "#size-cells", 1, 2u);
	begin_node(b, "memory@40000000");
	prop_str(b, "device_type", "memory");
	prop_cells(b, "reg", 4, 0u, VIRT_RAM_BASE, 0u, 128 * MIB);
	end_node(b);
	begin_node(b, "pcie@10000000");
	prop_str(b, "compatible", "pci-host-ecam-generic");
	shape(b);
	return close_tree(b, 2);
}

static void host_cells(struct builder *b)
{
	prop_cells(b, "#address-cells", 1, 3u);
	prop_cells(b, "#size-cells", 1, 2u);
}

static void high_ecam(struct builder *b)
{
	prop_cells(b, "reg", 4, 0x40u, 0x10000000u, 0u, 0x10000000u);
}

static void shape_no_ranges(struct builder *b)
{
	host_cells(b);
	high_ecam(b);
}

static void shape_two_address_cells(struct builder *b)
{
	prop_cells(b, "#address-cells", 1, 2u);
	prop_cells(b, "#size-cells", 1, 2u);
	high_ecam(b);
}

static void shape_one_size_cell(struct builder *b)
{
	prop_cells(b, "#address-cells", 1, 3u);
	prop_cells(b, "#size-cells", 1, 1u);
	high_ecam(b);
}

static void shape_no_reg(struct builder *b)
{
	host_cells(b);
	prop_cells(b, "ranges", 7, 0x2000000u, 0u, VIRT_MEM32_BASE, 0u, VIRT_MEM32_BASE,
		   0u, VIRT_MEM32_BYTES);
}

static void shape_partial_reg(struct builder *b)
{
	host_cells(b);
	prop_cells(b, "reg", 3, 0x40u, 0x10000000u, 0u);
}

static void shape_empty_ecam(struct builder *b)
{
	host_cells(b);
	prop_cells(b, "reg", 4, 0x40u, 0x10000000u, 0u, 0u);
}

static void shape_ecam_wraps(struct builder *b)
{
	host_cells(b);
	prop_cells(b, "reg", 4, 0xffffffffu, 0xf0000000u, 0u, 0x20000000u);
}

static void shape_window_wraps(struct builder *b)
{
	host_cells(b);
	high_ecam(b);
	prop_cells(b, "ranges", 7, 0x3000000u, 0x80u, 0u, 0xffffffffu, 0xf0000000u,
		   0u, 0x20000000u);
}

static void test_pci_host_without_ranges_gives_its_ecam_alone(void **state)
{
	struct blob blob = tree_with_pci_host(shape_no_ranges);
	struct board_info info;

	(void)state;
	assert_int_equal(parse_blob(&blob, &info), 0);
	assert_int_equal(info.device_count, 1);
	assert_device(&info, 0, VIRT_ECAM_HIGH_BASE, VIRT_ECAM_HIGH_BYTES);
	free_blob(&blob);
}

static void test_undecodable_pci_host_adds_no_regions_and_fails_nothing(void **state)
{
	static void (*const shapes[])(struct builder *) = {
		shape_two_address_cells, shape_one_size_cell, shape_no_reg,
		shape_partial_reg, shape_empty_ecam, shape_ecam_wraps, shape_window_wraps,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct blob blob = tree_with_pci_host(shapes[i]);
		struct board_info info;

		if (parse_blob(&blob, &info) != 0 || info.device_count != 0 ||
		    info.memory_count != 1)
			fail_msg("shape %zu: device_count %u, memory_count %u", i,
				 info.device_count, info.memory_count);
		free_blob(&blob);
	}
}

/* ---- hand-written boards --------------------------------------------- */

static void test_one_cell_memory_ranges_across_nodes_are_collected(void **state)
{
	struct board_info info;

	(void)state;
	assert_int_equal(parse_file("board-cells1.dtb", &info), 0);
	assert_int_equal(info.memory_count, BOARD_MAX_MEMORY);
	assert_int_equal(info.memory[0].base, 0x80000000u);
	assert_int_equal(info.memory[0].size_bytes, 0x10000000u);
	/* 0x90000000 has size 0 and is skipped */
	assert_int_equal(info.memory[1].base, 0xa0000000u);
	assert_int_equal(info.memory[1].size_bytes, 0x1000u);
	assert_int_equal(info.memory[2].base, 0xc0000000u);
	assert_int_equal(info.memory[2].size_bytes, 0x2000u);
	assert_int_equal(info.memory[3].base, 0xd0000000u);
	assert_int_equal(info.memory[3].size_bytes, 0x3000u);
}

static void test_memory_ranges_beyond_table_are_dropped(void **state)
{
	struct board_info info;

	(void)state;
	assert_int_equal(parse_file("board-cells1.dtb", &info), 0);
	for (unsigned i = 0; i < info.memory_count; i++)
		assert_int_not_equal(info.memory[i].base, 0xe0000000u);
}

static void test_disabled_memory_node_is_ignored(void **state)
{
	struct board_info info;

	(void)state;
	assert_int_equal(parse_file("board-cells1.dtb", &info), 0);
	for (unsigned i = 0; i < info.memory_count; i++)
		assert_int_not_equal(info.memory[i].base, 0xf0000000u);
}

static void test_stdout_path_alias_with_options_selects_that_uart(void **state)
{
	struct board_info info;

	(void)state;
	/* stdout-path = "serial1:115200n8", serial1 = "/soc/uart@2000" */
	assert_int_equal(parse_file("board-cells1.dtb", &info), 0);
	assert_int_equal(info.uart_base, 0x1c0a0000u);
}

static void test_gic400_is_gic_version_2(void **state)
{
	struct board_info info;

	(void)state;
	assert_int_equal(parse_file("board-cells1.dtb", &info), 0);
	assert_int_equal(info.gic_version, 2);
	assert_int_equal(info.gic_dist.base, 0x2c001000u);
	assert_int_equal(info.gic_dist.size_bytes, 0x1000u);
	assert_int_equal(info.gic_cpu.base, 0x2c002000u);
	assert_int_equal(info.gic_cpu.size_bytes, 0x2000u);
}

static void test_virtio_reg_uses_parent_bus_cells(void **state)
{
	static struct virtio_dt found;

	(void)state;
	/* root is 1/1, /soc is 2/2: reg = <0x1 0x1c130000 0x0 0x200> */
	assert_int_equal(find_file("board-cells1.dtb", &found), 0);
	assert_int_equal(found.count, 2);
	assert_int_equal(found.node[0].base, 0x11c130000ull);
	assert_int_equal(found.node[0].size_bytes, 0x200u);
}

static void test_virtio_ppi_maps_to_intid_16_plus_n(void **state)
{
	static struct virtio_dt found;

	(void)state;
	assert_int_equal(find_file("board-cells1.dtb", &found), 0);
	assert_int_equal(found.node[0].intid, 16 + 9);
	assert_false(found.node[0].irq_edge);     /* flags 4: level high */
	assert_int_equal(found.node[1].intid, 32 + 42);
	assert_true(found.node[1].irq_edge);      /* flags 1: edge rising */
}

static void test_version_16_blob_parses_like_version_17(void **state)
{
	struct blob v16 = load_dtb("board-cells1-v16.dtb");
	struct blob v17 = load_dtb("board-cells1.dtb");
	struct board_info info16, info17;
	static struct virtio_dt found16, found17;

	(void)state;
	assert_int_equal(header(&v16, HDR_VERSION), 16);
	assert_int_equal(parse_blob(&v16, &info16), 0);
	assert_int_equal(parse_blob(&v17, &info17), 0);
	assert_memory_equal(&info16, &info17, sizeof(info16));
	assert_int_equal(find_blob(&v16, &found16), 0);
	assert_int_equal(find_blob(&v17, &found17), 0);
	assert_memory_equal(&found16, &found17, sizeof(found16));
	free_blob(&v16);
	free_blob(&v17);
}

static void test_missing_cells_properties_default_to_2_and_1(void **state)
{
	struct board_info info;
	static struct virtio_dt found;

	(void)state;
	assert_int_equal(parse_file("board-default-cells.dtb", &info), 0);
	assert_int_equal(info.memory_count, 1);
	assert_int_equal(info.memory[0].base, VIRT_RAM_BASE);
	assert_int_equal(info.memory[0].size_bytes, 512 * MIB);
	assert_int_equal(find_file("board-default-cells.dtb", &found), 0);
	assert_int_equal(found.count, 1);
	assert_int_equal(found.node[0].base, VIRT_VIRTIO_BASE);
	assert_int_equal(found.node[0].size_bytes, VIRT_VIRTIO_STRIDE);
}

static void test_first_pl011_is_console_without_stdout_path(void **state)
{
	struct board_info info;

	(void)state;
	assert_int_equal(parse_file("board-default-cells.dtb", &info), 0);
	assert_int_equal(info.uart_base, VIRT_UART_BASE);
}

static void test_stdout_path_to_missing_node_falls_back_to_first_pl011(void **state)
{
	struct board_info info;

	(void)state;
	assert_int_equal(parse_file("board-stdout-missing.dtb", &info), 0);
	assert_int_equal(info.uart_base, 0x1000u);
}

static void test_empty_root_gives_zeroed_board(void **state)
{
	struct board_info info, zero;
	static struct virtio_dt found;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	memset(&info, 0xa5, sizeof(info));
	assert_int_equal(parse_file("board-empty.dtb", &info), 0);
	assert_memory_equal(&info, &zero, sizeof(info));
	memset(&found, 0xa5, sizeof(found));
	assert_int_equal(find_file("board-empty.dtb", &found), 0);
	assert_true(all_zero(&found, sizeof(found)));
}

static void test_more_than_max_virtio_nodes_keeps_the_first_ones(void **state)
{
	static struct virtio_dt found;

	(void)state;
	assert_int_equal(find_file("board-many-virtio.dtb", &found), 0);
	assert_int_equal(found.count, VIRTIO_DT_MAX_NODES);
	for (unsigned n = 0; n < VIRTIO_DT_MAX_NODES; n++) {
		assert_int_equal(found.node[n].base, 0x10000000u + n * 0x200u);
		assert_int_equal(found.node[n].intid, 32 + n);
	}
}

static void test_nesting_at_max_depth_is_accepted(void **state)
{
	struct board_info info;
	static struct virtio_dt found;

	(void)state;
	assert_int_equal(parse_file("deep-64.dtb", &info), 0);
	assert_int_equal(find_file("deep-64.dtb", &found), 0);
}

static void test_nesting_beyond_max_depth_is_rejected(void **state)
{
	(void)state;
	assert_file_rejected("deep-65.dtb");
}

static void test_rejects_virtio_reg_with_partial_entry(void **state)
{
	(void)state;
	assert_only_virtio_rejects_file("board-bad-virtio-reg.dtb");
}

static void test_rejects_three_cell_address_for_virtio(void **state)
{
	(void)state;
	assert_only_virtio_rejects_file("board-bad-address-cells.dtb");
}

static void test_rejects_spi_number_beyond_gic_range(void **state)
{
	(void)state;
	assert_only_virtio_rejects_file("board-bad-spi.dtb");
}

/* ---- header checks ---------------------------------------------------- */

static void test_rejects_null_blob(void **state)
{
	struct board_info info;
	static struct virtio_dt found;

	(void)state;
	assert_int_equal(board_from_fdt(&info, NULL, 4096), -VBLK_EBADDT);
	assert_true(all_zero(&info, sizeof(info)));
	assert_int_equal(virtio_dt_find(&found, NULL, 4096), -VBLK_EBADDT);
	assert_true(all_zero(&found, sizeof(found)));
}

static void test_rejects_null_info(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	assert_int_equal(board_from_fdt(NULL, blob.bytes, blob.size), -VBLK_EINVAL);
	assert_int_equal(virtio_dt_find(NULL, blob.bytes, blob.size), -VBLK_EINVAL);
	free_blob(&blob);
}

static void test_rejects_bad_magic(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	blob.bytes[3] ^= 1;
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_totalsize_beyond_buffer(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	patch_header(&blob, HDR_TOTALSIZE, (uint32_t)blob.size + 1);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_blob_truncated_at_every_length(void **state)
{
	struct blob whole = load_dtb("qemu-virt.dtb");

	(void)state;
	for (size_t len = 0; len < whole.size; len++) {
		struct blob cut = copy_prefix(&whole, len);

		assert_rejected(&cut);
		free_blob(&cut);
	}
	free_blob(&whole);
}

static void test_rejects_totalsize_shrunk_to_every_length(void **state)
{
	struct blob whole = load_dtb("qemu-virt.dtb");

	(void)state;
	/* The header claims less than the blocks need. Shorter than a header
	 * is covered by the truncation test. */
	for (size_t len = HDR_BYTES; len < whole.size; len++) {
		struct blob cut = copy_prefix(&whole, len);

		patch_header(&cut, HDR_TOTALSIZE, (uint32_t)len);
		assert_rejected(&cut);
		free_blob(&cut);
	}
	free_blob(&whole);
}

static void test_accepts_buffer_larger_than_totalsize(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");
	const size_t slack_bytes = 4096;
	uint8_t *buf = calloc(1, blob.size + slack_bytes);
	struct board_info info;
	static struct virtio_dt found;

	(void)state;
	/* The runtime passes "up to the end of RAM": more than the blob. */
	assert_non_null(buf);
	memcpy(buf, blob.bytes, blob.size);
	assert_int_equal(board_from_fdt(&info, buf, blob.size + slack_bytes), 0);
	assert_int_equal(info.memory_count, 1);
	assert_int_equal(virtio_dt_find(&found, buf, blob.size + slack_bytes), 0);
	assert_int_equal(found.count, VIRT_VIRTIO_SLOTS);
	free(buf);
	free_blob(&blob);
}

static void test_rejects_version_below_16(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	patch_header(&blob, HDR_VERSION, 15);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_last_compatible_version_above_17(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	patch_header(&blob, HDR_LAST_COMP, 18);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_struct_block_beyond_totalsize(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	patch_header(&blob, HDR_SIZE_DT_STRUCT,
		     (uint32_t)blob.size - header(&blob, HDR_OFF_DT_STRUCT) + 4);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_struct_offset_plus_size_overflow(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	/* 0xfffffff0 + 0x20 wraps to 0x10: inside the blob if unchecked. */
	patch_header(&blob, HDR_OFF_DT_STRUCT, 0xfffffff0u);
	patch_header(&blob, HDR_SIZE_DT_STRUCT, 0x20u);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_strings_block_beyond_totalsize(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	patch_header(&blob, HDR_SIZE_DT_STRINGS, header(&blob, HDR_SIZE_DT_STRINGS) + 1);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_strings_offset_plus_size_overflow(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	patch_header(&blob, HDR_OFF_DT_STRINGS, 0xffffff00u);
	patch_header(&blob, HDR_SIZE_DT_STRINGS, 0x200u);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_misaligned_struct_block(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	patch_header(&blob, HDR_OFF_DT_STRUCT, header(&blob, HDR_OFF_DT_STRUCT) + 2);
	patch_header(&blob, HDR_SIZE_DT_STRUCT, header(&blob, HDR_SIZE_DT_STRUCT) - 4);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_struct_size_not_whole_tokens(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	patch_header(&blob, HDR_SIZE_DT_STRUCT, header(&blob, HDR_SIZE_DT_STRUCT) - 1);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_struct_block_cut_at_every_token(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");
	uint32_t struct_bytes = header(&blob, HDR_SIZE_DT_STRUCT);

	(void)state;
	for (uint32_t len = 0; len < struct_bytes; len += FDT_TOKEN_BYTES) {
		patch_header(&blob, HDR_SIZE_DT_STRUCT, len);
		assert_rejected(&blob);
	}
	free_blob(&blob);
}

static void test_rejects_strings_block_cut_at_every_length(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");
	uint32_t strings_bytes = header(&blob, HDR_SIZE_DT_STRINGS);

	(void)state;
	/* Every cut leaves at least the last name without its NUL. */
	for (uint32_t len = 0; len < strings_bytes; len++) {
		patch_header(&blob, HDR_SIZE_DT_STRINGS, len);
		assert_rejected(&blob);
	}
	free_blob(&blob);
}

/* ---- structure block corruption ---------------------------------------- */

/* Offset (in the blob) of the root's first property: after the root's
 * FDT_BEGIN_NODE and its empty, padded name. */
static uint32_t first_prop_off(const struct blob *blob)
{
	uint32_t off = header(blob, HDR_OFF_DT_STRUCT) + 2 * FDT_TOKEN_BYTES;

	assert_int_equal(get_be32(blob->bytes + off), FDT_PROP);
	return off;
}

static void test_rejects_unknown_token(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	put_be32(blob.bytes + first_prop_off(&blob), 0x5);
	assert_rejected(&blob);
	free_blob(&blob);
}

/* Offsets (in the blob) of every token of a well-formed blob, found by an
 * independent walk; returns how many. */
static size_t list_tokens(const struct blob *blob, uint32_t *offs, size_t max)
{
	uint32_t off = header(blob, HDR_OFF_DT_STRUCT);
	size_t count = 0;

	for (;;) {
		uint32_t token = get_be32(blob->bytes + off);

		assert_true(count < max);
		offs[count++] = off;
		if (token == FDT_END)
			return count;
		if (token == FDT_BEGIN_NODE)
			off += 4 + ((uint32_t)strlen((const char *)blob->bytes + off + 4) + 4) / 4 * 4;
		else if (token == FDT_PROP)
			off += 12 + (get_be32(blob->bytes + off + 4) + 3) / 4 * 4;
		else
			off += 4;
	}
}

static void assert_every_token_replacement_rejected(uint32_t replacement)
{
	struct blob blob = load_dtb("qemu-virt.dtb");
	static uint32_t offs[4096];
	size_t count = list_tokens(&blob, offs, sizeof(offs) / sizeof(offs[0]));

	/* The final FDT_END is the one token whose replacement by itself
	 * changes nothing. */
	for (size_t i = 0; i + 1 < count; i++) {
		uint32_t word = get_be32(blob.bytes + offs[i]);

		put_be32(blob.bytes + offs[i], replacement);
		assert_rejected(&blob);
		put_be32(blob.bytes + offs[i], word);
	}
	free_blob(&blob);
}

static void test_rejects_end_in_place_of_any_token(void **state)
{
	(void)state;
	assert_every_token_replacement_rejected(FDT_END);
}

static void test_rejects_unknown_token_in_place_of_any_token(void **state)
{
	(void)state;
	assert_every_token_replacement_rejected(0x5);
	assert_every_token_replacement_rejected(0x0);
}

static void test_flipping_any_byte_fails_cleanly_or_parses(void **state)
{
	struct blob blob = load_dtb("board-cells1.dtb");

	(void)state;
	/* Whatever one corrupted byte does, the parse ends with 0 or
	 * -VBLK_EBADDT and, under ASan, without a stray read. */
	for (size_t i = 0; i < blob.size; i++) {
		struct board_info info;
		static struct virtio_dt found;
		int err;

		blob.bytes[i] ^= 0xff;
		err = parse_blob(&blob, &info);
		assert_true(err == 0 || err == -VBLK_EBADDT);
		err = find_blob(&blob, &found);
		assert_true(err == 0 || err == -VBLK_EBADDT);
		blob.bytes[i] ^= 0xff;
	}
	free_blob(&blob);
}

static void test_rejects_property_length_beyond_struct_block(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	put_be32(blob.bytes + first_prop_off(&blob) + 4, 0xfffffff0u);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_property_name_offset_beyond_strings_block(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");

	(void)state;
	put_be32(blob.bytes + first_prop_off(&blob) + 8,
		 header(&blob, HDR_SIZE_DT_STRINGS));
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_property_name_reaching_past_strings_block(void **state)
{
	struct blob blob = load_dtb("qemu-virt.dtb");
	uint32_t last = header(&blob, HDR_OFF_DT_STRINGS) +
			header(&blob, HDR_SIZE_DT_STRINGS) - 1;

	(void)state;
	/* The last name loses its NUL; totalsize ends the buffer right there,
	 * so an unbounded scan would also read past the allocation. */
	assert_int_equal(blob.bytes[last], '\0');
	assert_int_equal(last + 1, blob.size);
	blob.bytes[last] = 'x';
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_node_name_without_nul(void **state)
{
	struct builder *b = new_builder();
	struct blob blob;

	(void)state;
	begin_node(b, "");
	emit_word(b, FDT_BEGIN_NODE);
	emit_bytes(b, "abcdefgh", 8);  /* no NUL up to the end of the block */
	blob = finish(b);
	free(b);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_root_with_unterminated_name_is_not_a_node(void **state)
{
	struct builder *b = new_builder();
	struct blob blob;
	struct fdt fdt;

	(void)state;
	emit_word(b, FDT_BEGIN_NODE);
	emit_bytes(b, "abcdefghijkl", 12);  /* fills the block, no NUL */
	blob = finish(b);
	free(b);
	assert_int_equal(fdt_open(&fdt, blob.bytes, blob.size), 0);
	assert_int_equal(fdt_root(&fdt), -VBLK_EBADDT);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_end_token_inside_open_node(void **state)
{
	struct builder *b = new_builder();
	struct blob blob;

	(void)state;
	begin_node(b, "");
	begin_node(b, "child");
	end_node(b);
	blob = close_tree(b, 0);     /* root never closed */
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_missing_end_token(void **state)
{
	struct builder *b = new_builder();
	struct blob blob;

	(void)state;
	begin_node(b, "");
	end_node(b);
	blob = finish(b);
	free(b);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_extra_end_node(void **state)
{
	struct builder *b = new_builder();
	struct blob blob;

	(void)state;
	begin_node(b, "");
	end_node(b);
	blob = close_tree(b, 1);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_property_before_root_node(void **state)
{
	struct builder *b = new_builder();
	struct blob blob;

	(void)state;
	prop_cells(b, "#address-cells", 1, 2u);
	begin_node(b, "");
	blob = close_tree(b, 1);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_nops_between_tokens_are_skipped(void **state)
{
	struct builder *b = new_builder();
	struct board_info info;
	struct blob blob;

	(void)state;
	emit_word(b, FDT_NOP);
	begin_node(b, "");
	emit_word(b, FDT_NOP);
	prop_cells(b, "#address-cells", 1, 1u);
	emit_word(b, FDT_NOP);
	prop_cells(b, "#size-cells", 1, 1u);
	begin_node(b, "memory@1000");
	emit_word(b, FDT_NOP);
	prop_str(b, "device_type", "memory");
	emit_word(b, FDT_NOP);
	prop_cells(b, "reg", 2, 0x1000u, 0x2000u);
	end_node(b);
	emit_word(b, FDT_NOP);
	end_node(b);
	emit_word(b, FDT_NOP);
	blob = close_tree(b, 0);
	assert_int_equal(parse_blob(&blob, &info), 0);
	assert_int_equal(info.memory_count, 1);
	assert_int_equal(info.memory[0].base, 0x1000u);
	assert_int_equal(info.memory[0].size_bytes, 0x2000u);
	free_blob(&blob);
}

static void test_rejects_memory_range_that_wraps(void **state)
{
	struct builder *b = new_builder();
	struct blob blob;

	(void)state;
	begin_node(b, "");
	prop_cells(b, "#address-cells", 1, 2u);
	prop_cells(b, "#size-cells", 1, 2u);
	begin_node(b, "memory@ffffffff00000000");
	prop_str(b, "device_type", "memory");
	prop_cells(b, "reg", 4, 0xffffffffu, 0x0u, 0x1u, 0x0u);
	blob = close_tree(b, 2);
	assert_int_equal(assert_only_board_rejects(&blob), 0);
	free_blob(&blob);
}

static void test_rejects_cells_property_of_wrong_length(void **state)
{
	struct builder *b = new_builder();
	struct blob blob;

	(void)state;
	begin_node(b, "");
	prop_cells(b, "#address-cells", 2, 0u, 1u);  /* 8 bytes, not one cell */
	begin_node(b, "memory@1000");
	prop_str(b, "device_type", "memory");
	prop_cells(b, "reg", 2, 0x1000u, 0x1000u);
	end_node(b);
	begin_node(b, "virtio_mmio@a000000");
	prop_str(b, "compatible", "virtio,mmio");
	prop_cells(b, "reg", 2, 0x0a000000u, 0x200u);
	blob = close_tree(b, 2);
	assert_rejected(&blob);
	free_blob(&blob);
}

static void test_rejects_gic_with_single_reg_entry(void **state)
{
	struct builder *b = new_builder();
	struct blob blob;

	(void)state;
	begin_node(b, "");
	prop_cells(b, "#address-cells", 1, 1u);
	prop_cells(b, "#size-cells", 1, 1u);
	begin_node(b, "intc@8000000");
	prop_str(b, "compatible", "arm,gic-v3");
	prop_cells(b, "reg", 2, 0x08000000u, 0x10000u);
	blob = close_tree(b, 2);
	assert_int_equal(assert_only_board_rejects(&blob), 0);
	free_blob(&blob);
}

static void test_rejects_timer_without_virtual_interrupt(void **state)
{
	struct builder *b = new_builder();
	struct blob blob;

	(void)state;
	begin_node(b, "");
	begin_node(b, "timer");
	prop_str(b, "compatible", "arm,armv8-timer");
	prop_cells(b, "interrupts", 6, 1u, 13u, 4u, 1u, 14u, 4u);
	blob = close_tree(b, 2);
	assert_int_equal(assert_only_board_rejects(&blob), 0);
	free_blob(&blob);
}

static void test_rejects_interrupts_not_whole_specifiers(void **state)
{
	struct builder *b = root_with_virtio_begun();
	struct blob blob;

	(void)state;
	prop_cells(b, "reg", 4, 0u, 0x0a000000u, 0u, 0x200u);
	prop_cells(b, "interrupts", 2, 0u, 16u);
	blob = close_tree(b, 2);
	assert_only_virtio_rejects(&blob);
	free_blob(&blob);
}

static void test_rejects_virtio_without_reg(void **state)
{
	struct builder *b = root_with_virtio_begun();
	struct blob blob;

	(void)state;
	prop_cells(b, "interrupts", 3, 0u, 16u, 1u);
	blob = close_tree(b, 2);
	assert_only_virtio_rejects(&blob);
	free_blob(&blob);
}

static void test_virtio_without_interrupts_has_intid_0(void **state)
{
	struct builder *b = root_with_virtio_begun();
	static struct virtio_dt found;
	struct blob blob;

	(void)state;
	prop_cells(b, "reg", 4, 0u, 0x0a000000u, 0u, 0x200u);
	blob = close_tree(b, 2);
	assert_int_equal(find_blob(&blob, &found), 0);
	assert_int_equal(found.count, 1);
	assert_int_equal(found.node[0].intid, 0);
	assert_false(found.node[0].irq_edge);
	free_blob(&blob);
}

static void test_disabled_virtio_node_is_skipped(void **state)
{
	struct builder *b = root_with_virtio_begun();
	static struct virtio_dt found;
	struct blob blob;

	(void)state;
	prop_str(b, "status", "disabled");
	prop_cells(b, "reg", 4, 0u, 0x0a000000u, 0u, 0x200u);
	end_node(b);
	begin_node(b, "virtio_mmio@a000200");
	prop_str(b, "compatible", "virtio,mmio");
	prop_str(b, "status", "okay");
	prop_cells(b, "reg", 4, 0u, 0x0a000200u, 0u, 0x200u);
	blob = close_tree(b, 2);
	assert_int_equal(find_blob(&blob, &found), 0);
	assert_int_equal(found.count, 1);
	assert_int_equal(found.node[0].base, 0x0a000200u);
	free_blob(&blob);
}

static void test_unterminated_compatible_is_compared_within_its_length(void **state)
{
	struct builder *b = new_builder();
	static struct virtio_dt found;
	struct blob blob;

	(void)state;
	begin_node(b, "");
	begin_node(b, "virtio_mmio@a000000");
	/* "virtio,mmio" without NUL is the property's last bytes. */
	prop_raw(b, "compatible", "virtio,mmio", 11);
	prop_cells(b, "reg", 3, 0u, 0x0a000000u, 0x200u);
	blob = close_tree(b, 2);
	assert_int_equal(find_blob(&blob, &found), 0);
	assert_int_equal(found.count, 1);
	free_blob(&blob);
}

/* ---- the library's reader beside the runtime's -------------------------- */

/* The virtio-mmio nodes of every tree in tests/host/dtb: how many (or
 * -VBLK_EBADDT), and the first one's window, INTID and trigger. */
struct committed_tree {
	const char *name;
	int result;             /* node count, or -VBLK_EBADDT */
	uint64_t first_base;
	uint32_t first_intid;
	bool first_edge;
};

static const struct committed_tree committed_trees[] = {
	{ "qemu-virt.dtb",              32, 0x0a000000u, 48, true },
	{ "qemu-virt-gicv3.dtb",        32, 0x0a000000u, 48, true },
	{ "qemu-virt-1g.dtb",           32, 0x0a000000u, 48, true },
	{ "qemu-virt-2blk.dtb",         32, 0x0a000000u, 48, true },
	{ "qemu-virt-secure.dtb",       32, 0x0a000000u, 48, true },
	{ "qemu-virt-el2.dtb",          32, 0x0a000000u, 48, true },
	{ "board-cells1.dtb",            2, 0x11c130000ull, 25, false },
	{ "board-cells1-v16.dtb",        2, 0x11c130000ull, 25, false },
	{ "board-default-cells.dtb",     1, 0x0a000000u, 48, true },
	{ "board-many-virtio.dtb",      32, 0x10000000u, 32, true },
	{ "virtio-bad-addresses.dtb",    3, 0, 48, true },
	{ "board-empty.dtb",             0, 0, 0, false },
	{ "board-stdout-missing.dtb",    0, 0, 0, false },
	{ "deep-64.dtb",                 0, 0, 0, false },
	{ "board-bad-virtio-reg.dtb",    -VBLK_EBADDT, 0, 0, false },
	{ "board-bad-address-cells.dtb", -VBLK_EBADDT, 0, 0, false },
	{ "board-bad-spi.dtb",           -VBLK_EBADDT, 0, 0, false },
	{ "deep-65.dtb",                 -VBLK_EBADDT, 0, 0, false },
	{ "virtio-beside-bad-uart.dtb",   1, 0x0a000000u, 48, true },
	{ "virtio-beside-bad-gic.dtb",    1, 0x0a000000u, 48, true },
	{ "virtio-beside-bad-memory.dtb", 1, 0x0a000000u, 48, true },
	{ "virtio-beside-bad-timer.dtb",  1, 0x0a000000u, 48, true },
	{ "pci-bad-beside-board.dtb",     1, 0x0a000000u, 48, true },
	{ "pci-hosts.dtb",                0, 0, 0, false },
};

static void test_virtio_nodes_of_every_committed_tree(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(committed_trees) / sizeof(committed_trees[0]); i++) {
		const struct committed_tree *tree = &committed_trees[i];
		static struct virtio_dt found;
		int err = find_file(tree->name, &found);
		int result = err < 0 ? err : (int)found.count;

		if (result != tree->result)
			fail_msg("%s: %d, expected %d", tree->name, result, tree->result);
		if (result <= 0)
			continue;
		if (found.node[0].base != tree->first_base ||
		    found.node[0].intid != tree->first_intid ||
		    found.node[0].irq_edge != tree->first_edge)
			fail_msg("%s: first node 0x%llx INTID %u %s", tree->name,
				 (unsigned long long)found.node[0].base, found.node[0].intid,
				 found.node[0].irq_edge ? "edge" : "level");
	}
}

/*
 * vblk_init_from_dt on a tree whose runtime node `name` describes cannot
 * be decoded: the runtime's parse refuses it, the disk beside it (the
 * fake device at QEMU's first slot, 0x0a000000, INTID 48, edge) is found
 * and attached all the same.
 */
static void assert_disk_found_beside_broken_node(void **state, const char *name)
{
	const struct vblk_probe_entry *entries;
	struct blob blob = load_dtb(name);

	fv = make_device(test_version(state), NULL);
	assert_int_equal(fake_virtio_base(fv), VIRT_VIRTIO_BASE);
	assert_int_equal(assert_only_board_rejects(&blob), 1);
	assert_int_equal(vblk_init_from_dt(blob.bytes, blob.size), 1);
	free_blob(&blob);

	disk = vblk_disk(0);
	assert_non_null(disk);
	assert_int_equal(vblk_disk_info(disk)->mmio_base, VIRT_VIRTIO_BASE);
	assert_int_equal(vblk_disk_info(disk)->intid, VIRT_VIRTIO_INTID0);
	assert_true(vblk_disk_info(disk)->irq_edge);
	assert_int_equal(vblk_probe_report(&entries), 1);
	assert_int_equal(entries[0].result, 0);
}

static void test_init_from_dt_finds_disk_beside_broken_uart(void **state)
{
	assert_disk_found_beside_broken_node(state, "virtio-beside-bad-uart.dtb");
}

static void test_init_from_dt_finds_disk_beside_broken_gic(void **state)
{
	assert_disk_found_beside_broken_node(state, "virtio-beside-bad-gic.dtb");
}

static void test_init_from_dt_finds_disk_beside_broken_memory(void **state)
{
	assert_disk_found_beside_broken_node(state, "virtio-beside-bad-memory.dtb");
}

static void test_init_from_dt_finds_disk_beside_broken_timer(void **state)
{
	assert_disk_found_beside_broken_node(state, "virtio-beside-bad-timer.dtb");
}

/* A broken virtio-mmio node still refuses the whole tree, before any
 * device is touched: the disks already attached stay. */
static void test_init_from_dt_refuses_broken_virtio_node_and_keeps_disks(void **state)
{
	struct blob blob = load_dtb("board-bad-virtio-reg.dtb");

	attach_ok(state, NULL);
	assert_int_equal(vblk_init_from_dt(blob.bytes, blob.size), -VBLK_EBADDT);
	free_blob(&blob);
	assert_int_equal(vblk_disk_count(), 1);
	assert_ptr_equal(vblk_disk(0), disk);
	assert_int_equal(fake_virtio_stats(fv)->resets, 1);   /* attach's own */
}

/* ---- low-level API ---------------------------------------------------- */

struct open_fdt {
	struct blob blob;
	struct fdt fdt;
};

static struct open_fdt open_virt(void)
{
	struct open_fdt open;

	open.blob = load_dtb("qemu-virt.dtb");
	assert_int_equal(fdt_open(&open.fdt, open.blob.bytes, open.blob.size), 0);
	return open;
}

static void test_open_records_block_offsets(void **state)
{
	struct open_fdt o = open_virt();

	(void)state;
	assert_int_equal(o.fdt.total_bytes, o.blob.size);
	assert_int_equal(o.fdt.struct_off, header(&o.blob, HDR_OFF_DT_STRUCT));
	assert_int_equal(o.fdt.struct_bytes, header(&o.blob, HDR_SIZE_DT_STRUCT));
	assert_int_equal(o.fdt.strings_off, header(&o.blob, HDR_OFF_DT_STRINGS));
	assert_int_equal(o.fdt.strings_bytes, header(&o.blob, HDR_SIZE_DT_STRINGS));
	free_blob(&o.blob);
}

static void test_failed_open_leaves_fdt_unchanged(void **state)
{
	struct open_fdt o = open_virt();
	struct fdt before = o.fdt;

	(void)state;
	o.blob.bytes[0] = 0;
	assert_int_equal(fdt_open(&o.fdt, o.blob.bytes, o.blob.size), -VBLK_EBADDT);
	assert_memory_equal(&o.fdt, &before, sizeof(before));
	free_blob(&o.blob);
}

static void test_root_node_name_is_empty(void **state)
{
	struct open_fdt o = open_virt();

	(void)state;
	assert_int_equal(fdt_root(&o.fdt), 0);
	assert_string_equal(fdt_node_name(&o.fdt, fdt_root(&o.fdt)), "");
	free_blob(&o.blob);
}

static void test_path_offset_finds_node_by_full_name(void **state)
{
	struct open_fdt o = open_virt();
	int node_off;

	(void)state;
	node_off = fdt_path_offset(&o.fdt, "/intc@8000000");
	assert_true(node_off > 0);
	assert_string_equal(fdt_node_name(&o.fdt, node_off), "intc@8000000");
	free_blob(&o.blob);
}

static void test_path_offset_matches_name_without_unit_address(void **state)
{
	struct open_fdt o = open_virt();
	int node_off;

	(void)state;
	node_off = fdt_path_offset(&o.fdt, "/memory");
	assert_true(node_off > 0);
	assert_string_equal(fdt_node_name(&o.fdt, node_off), "memory@40000000");
	free_blob(&o.blob);
}

static void test_path_offset_finds_nested_node(void **state)
{
	struct open_fdt o = open_virt();
	int node_off;

	(void)state;
	node_off = fdt_path_offset(&o.fdt, "/cpus/cpu-map/socket0/cluster0/core0");
	assert_true(node_off > 0);
	assert_string_equal(fdt_node_name(&o.fdt, node_off), "core0");
	free_blob(&o.blob);
}

static void test_path_offset_does_not_match_grandchild_as_child(void **state)
{
	struct open_fdt o = open_virt();

	(void)state;
	assert_int_equal(fdt_path_offset(&o.fdt, "/v2m@8020000"), -VBLK_ENODEV);
	assert_true(fdt_path_offset(&o.fdt, "/intc@8000000/v2m@8020000") > 0);
	free_blob(&o.blob);
}

static void test_path_offset_reports_missing_node(void **state)
{
	struct open_fdt o = open_virt();

	(void)state;
	assert_int_equal(fdt_path_offset(&o.fdt, "/no-such-node"), -VBLK_ENODEV);
	assert_int_equal(fdt_path_offset(&o.fdt, "/chosen/nothing"), -VBLK_ENODEV);
	free_blob(&o.blob);
}

static void test_path_offset_rejects_relative_path(void **state)
{
	struct open_fdt o = open_virt();

	(void)state;
	assert_true(fdt_path_offset(&o.fdt, "chosen") < 0);
	assert_true(fdt_path_offset(&o.fdt, "") < 0);
	free_blob(&o.blob);
}

static void test_path_slash_is_root(void **state)
{
	struct open_fdt o = open_virt();

	(void)state;
	assert_int_equal(fdt_path_offset(&o.fdt, "/"), fdt_root(&o.fdt));
	free_blob(&o.blob);
}

static void test_getprop_returns_value_and_length(void **state)
{
	struct open_fdt o = open_virt();
	uint32_t len_bytes = 0;
	const char *model;

	(void)state;
	model = fdt_getprop(&o.fdt, fdt_root(&o.fdt), "model", &len_bytes);
	assert_non_null(model);
	assert_int_equal(len_bytes, sizeof("linux,dummy-virt"));
	assert_string_equal(model, "linux,dummy-virt");
	free_blob(&o.blob);
}

static void test_getprop_returns_null_for_absent_property(void **state)
{
	struct open_fdt o = open_virt();
	uint32_t len_bytes = 1234;

	(void)state;
	assert_null(fdt_getprop(&o.fdt, fdt_root(&o.fdt), "no-such-prop", &len_bytes));
	assert_int_equal(len_bytes, 1234);
	free_blob(&o.blob);
}

static void test_getprop_does_not_see_subnode_properties(void **state)
{
	struct open_fdt o = open_virt();
	int intc = fdt_path_offset(&o.fdt, "/intc@8000000");
	int v2m = fdt_path_offset(&o.fdt, "/intc@8000000/v2m@8020000");

	(void)state;
	assert_non_null(fdt_getprop(&o.fdt, v2m, "msi-controller", NULL));
	assert_null(fdt_getprop(&o.fdt, intc, "msi-controller", NULL));
	free_blob(&o.blob);
}

static void test_getprop_rejects_offset_not_at_node(void **state)
{
	struct open_fdt o = open_virt();

	(void)state;
	assert_null(fdt_getprop(&o.fdt, 8, "compatible", NULL));    /* a FDT_PROP */
	assert_null(fdt_getprop(&o.fdt, 2, "compatible", NULL));    /* unaligned */
	assert_null(fdt_getprop(&o.fdt, -4, "compatible", NULL));
	assert_null(fdt_getprop(&o.fdt, (int)o.fdt.struct_bytes, "compatible", NULL));
	free_blob(&o.blob);
}

static void test_next_node_rejects_offset_not_at_node(void **state)
{
	struct open_fdt o = open_virt();
	int depth = 0;

	(void)state;
	assert_int_equal(fdt_next_node(&o.fdt, 8, &depth), -VBLK_EBADDT);
	assert_int_equal(fdt_next_node(&o.fdt, 1 << 30, &depth), -VBLK_EBADDT);
	free_blob(&o.blob);
}

static void test_is_compatible_matches_any_entry_of_list(void **state)
{
	struct open_fdt o = open_virt();
	int uart = fdt_path_offset(&o.fdt, "/pl011@9000000");

	(void)state;
	assert_true(fdt_is_compatible(&o.fdt, uart, "arm,pl011"));
	assert_true(fdt_is_compatible(&o.fdt, uart, "arm,primecell"));
	free_blob(&o.blob);
}

static void test_is_compatible_does_not_match_prefix_or_suffix(void **state)
{
	struct open_fdt o = open_virt();
	int uart = fdt_path_offset(&o.fdt, "/pl011@9000000");

	(void)state;
	assert_false(fdt_is_compatible(&o.fdt, uart, "arm,pl01"));
	assert_false(fdt_is_compatible(&o.fdt, uart, "arm,pl0111"));
	assert_false(fdt_is_compatible(&o.fdt, uart, ""));
	free_blob(&o.blob);
}

static void test_next_node_walks_all_nodes_with_depths(void **state)
{
	struct open_fdt o = open_virt();
	int node_off = fdt_root(&o.fdt), depth = 0, max_depth = 0;
	unsigned nodes = 1, virtio_nodes = 0;

	(void)state;
	for (;;) {
		node_off = fdt_next_node(&o.fdt, node_off, &depth);
		assert_true(node_off >= 0);
		if (node_off == 0)
			break;
		nodes++;
		if (depth > max_depth)
			max_depth = depth;
		if (fdt_is_compatible(&o.fdt, node_off, "virtio,mmio")) {
			assert_int_equal(depth, 1);
			virtio_nodes++;
		}
		if (strcmp(fdt_node_name(&o.fdt, node_off), "core0") == 0)
			assert_int_equal(depth, 5);
	}
	assert_int_equal(virtio_nodes, VIRT_VIRTIO_SLOTS);
	assert_int_equal(max_depth, 5);   /* /cpus/cpu-map/socket0/cluster0/core0 */
	assert_true(nodes > VIRT_VIRTIO_SLOTS + 10);
	free_blob(&o.blob);
}

static void test_cell_readers_are_big_endian_at_any_alignment(void **state)
{
	const uint8_t bytes[] = { 0xee, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };

	(void)state;
	assert_int_equal(fdt_cell32(bytes + 1, 0), 0x12345678u);
	assert_int_equal(fdt_cell32(bytes + 1, 1), 0x9abcdef0u);
	assert_int_equal(fdt_read_cells(bytes + 1, 0, 2), 0x123456789abcdef0ull);
	assert_int_equal(fdt_read_cells(bytes + 1, 1, 1), 0x9abcdef0u);
	assert_int_equal(fdt_read_cells(bytes + 1, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_virt_memory_is_128mib_at_1gib),
		cmocka_unit_test(test_qemu_virt_with_1g_reports_1gib_of_memory),
		cmocka_unit_test(test_qemu_virt_default_gic_is_v2_with_gicd_and_gicc),
		cmocka_unit_test(test_qemu_virt_gic_version_3_gives_gicd_and_gicr),
		cmocka_unit_test(test_qemu_virt_uart_is_pl011_at_9000000_intid_33),
		cmocka_unit_test(test_qemu_virt_virtual_timer_is_intid_27),
		cmocka_unit_test(test_qemu_virt_has_32_virtio_mmio_slots_in_dt_order),
		cmocka_unit_test(test_qemu_virt_slots_do_not_change_with_attached_disks),
		cmocka_unit_test(test_qemu_virt_secure_skips_disabled_secure_uart_and_ram),
		cmocka_unit_test(test_qemu_virt_virtualization_on_parses_like_default),
		cmocka_unit_test(test_qemu_dumps_parse_at_every_unaligned_address),

		cmocka_unit_test(test_qemu_virt_pci_gives_high_ecam_and_both_memory_windows),
		cmocka_unit_test(test_highmem_off_pci_gives_low_ecam_and_32_bit_window_only),
		cmocka_unit_test(test_first_enabled_pci_host_gives_first_window_of_each_kind),
		cmocka_unit_test(test_pci_host_with_bad_ranges_adds_no_regions),
		cmocka_unit_test(test_broken_pci_host_leaves_the_rest_of_the_board),
		cmocka_unit_test(test_pci_host_without_ranges_gives_its_ecam_alone),
		cmocka_unit_test(test_undecodable_pci_host_adds_no_regions_and_fails_nothing),

		cmocka_unit_test(test_one_cell_memory_ranges_across_nodes_are_collected),
		cmocka_unit_test(test_memory_ranges_beyond_table_are_dropped),
		cmocka_unit_test(test_disabled_memory_node_is_ignored),
		cmocka_unit_test(test_stdout_path_alias_with_options_selects_that_uart),
		cmocka_unit_test(test_gic400_is_gic_version_2),
		cmocka_unit_test(test_virtio_reg_uses_parent_bus_cells),
		cmocka_unit_test(test_virtio_ppi_maps_to_intid_16_plus_n),
		cmocka_unit_test(test_version_16_blob_parses_like_version_17),
		cmocka_unit_test(test_missing_cells_properties_default_to_2_and_1),
		cmocka_unit_test(test_first_pl011_is_console_without_stdout_path),
		cmocka_unit_test(test_stdout_path_to_missing_node_falls_back_to_first_pl011),
		cmocka_unit_test(test_empty_root_gives_zeroed_board),
		cmocka_unit_test(test_more_than_max_virtio_nodes_keeps_the_first_ones),
		cmocka_unit_test(test_nesting_at_max_depth_is_accepted),
		cmocka_unit_test(test_nesting_beyond_max_depth_is_rejected),
		cmocka_unit_test(test_rejects_virtio_reg_with_partial_entry),
		cmocka_unit_test(test_rejects_three_cell_address_for_virtio),
		cmocka_unit_test(test_rejects_spi_number_beyond_gic_range),

		cmocka_unit_test(test_rejects_null_blob),
		cmocka_unit_test(test_rejects_null_info),
		cmocka_unit_test(test_rejects_bad_magic),
		cmocka_unit_test(test_rejects_totalsize_beyond_buffer),
		cmocka_unit_test(test_rejects_blob_truncated_at_every_length),
		cmocka_unit_test(test_rejects_totalsize_shrunk_to_every_length),
		cmocka_unit_test(test_accepts_buffer_larger_than_totalsize),
		cmocka_unit_test(test_rejects_version_below_16),
		cmocka_unit_test(test_rejects_last_compatible_version_above_17),
		cmocka_unit_test(test_rejects_struct_block_beyond_totalsize),
		cmocka_unit_test(test_rejects_struct_offset_plus_size_overflow),
		cmocka_unit_test(test_rejects_strings_block_beyond_totalsize),
		cmocka_unit_test(test_rejects_strings_offset_plus_size_overflow),
		cmocka_unit_test(test_rejects_misaligned_struct_block),
		cmocka_unit_test(test_rejects_struct_size_not_whole_tokens),
		cmocka_unit_test(test_rejects_struct_block_cut_at_every_token),
		cmocka_unit_test(test_rejects_strings_block_cut_at_every_length),

		cmocka_unit_test(test_rejects_unknown_token),
		cmocka_unit_test(test_rejects_end_in_place_of_any_token),
		cmocka_unit_test(test_rejects_unknown_token_in_place_of_any_token),
		cmocka_unit_test(test_flipping_any_byte_fails_cleanly_or_parses),
		cmocka_unit_test(test_rejects_property_length_beyond_struct_block),
		cmocka_unit_test(test_rejects_property_name_offset_beyond_strings_block),
		cmocka_unit_test(test_rejects_property_name_reaching_past_strings_block),
		cmocka_unit_test(test_rejects_node_name_without_nul),
		cmocka_unit_test(test_root_with_unterminated_name_is_not_a_node),
		cmocka_unit_test(test_rejects_end_token_inside_open_node),
		cmocka_unit_test(test_rejects_missing_end_token),
		cmocka_unit_test(test_rejects_extra_end_node),
		cmocka_unit_test(test_rejects_property_before_root_node),
		cmocka_unit_test(test_nops_between_tokens_are_skipped),
		cmocka_unit_test(test_rejects_memory_range_that_wraps),
		cmocka_unit_test(test_rejects_cells_property_of_wrong_length),
		cmocka_unit_test(test_rejects_gic_with_single_reg_entry),
		cmocka_unit_test(test_rejects_timer_without_virtual_interrupt),
		cmocka_unit_test(test_rejects_interrupts_not_whole_specifiers),
		cmocka_unit_test(test_rejects_virtio_without_reg),
		cmocka_unit_test(test_virtio_without_interrupts_has_intid_0),
		cmocka_unit_test(test_disabled_virtio_node_is_skipped),
		cmocka_unit_test(test_unterminated_compatible_is_compared_within_its_length),

		cmocka_unit_test(test_virtio_nodes_of_every_committed_tree),
		BOTH_TRANSPORTS(test_init_from_dt_finds_disk_beside_broken_uart,
				disk_setup, disk_teardown),
		BOTH_TRANSPORTS(test_init_from_dt_finds_disk_beside_broken_gic,
				disk_setup, disk_teardown),
		BOTH_TRANSPORTS(test_init_from_dt_finds_disk_beside_broken_memory,
				disk_setup, disk_teardown),
		BOTH_TRANSPORTS(test_init_from_dt_finds_disk_beside_broken_timer,
				disk_setup, disk_teardown),
		BOTH_TRANSPORTS(test_init_from_dt_refuses_broken_virtio_node_and_keeps_disks,
				disk_setup, disk_teardown),

		cmocka_unit_test(test_open_records_block_offsets),
		cmocka_unit_test(test_failed_open_leaves_fdt_unchanged),
		cmocka_unit_test(test_root_node_name_is_empty),
		cmocka_unit_test(test_path_offset_finds_node_by_full_name),
		cmocka_unit_test(test_path_offset_matches_name_without_unit_address),
		cmocka_unit_test(test_path_offset_finds_nested_node),
		cmocka_unit_test(test_path_offset_does_not_match_grandchild_as_child),
		cmocka_unit_test(test_path_offset_reports_missing_node),
		cmocka_unit_test(test_path_offset_rejects_relative_path),
		cmocka_unit_test(test_path_slash_is_root),
		cmocka_unit_test(test_getprop_returns_value_and_length),
		cmocka_unit_test(test_getprop_returns_null_for_absent_property),
		cmocka_unit_test(test_getprop_does_not_see_subnode_properties),
		cmocka_unit_test(test_getprop_rejects_offset_not_at_node),
		cmocka_unit_test(test_next_node_rejects_offset_not_at_node),
		cmocka_unit_test(test_is_compatible_matches_any_entry_of_list),
		cmocka_unit_test(test_is_compatible_does_not_match_prefix_or_suffix),
		cmocka_unit_test(test_next_node_walks_all_nodes_with_depths),
		cmocka_unit_test(test_cell_readers_are_big_endian_at_any_alignment),
	};

	return cmocka_run_group_tests_name("fdt", tests, NULL, NULL);
}
