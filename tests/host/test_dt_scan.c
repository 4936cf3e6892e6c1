/* SPDX-License-Identifier: MIT */
/*
 * The one-pass readers of fdt/ against the node-at-a-time ones, and the
 * disks' one walk (blk_dt_scan) against the two finders it replaces:
 *
 *   fdt_getprops   several properties in one pass = fdt_getprop of each
 *   fdt_scan       the nodes, depths and cells fdt_next_node/fdt_getprop
 *                  give, the same verdict on every committed tree, its
 *                  early stop and bad arguments
 *   name cache     a name met again at another offset of the strings
 *                  block is still found; a bad name or value after good
 *                  ones of the same name is still refused
 *   phandles      the table a walk fills answers as fdt_node_by_phandle
 *                  does, searching when it is full or was not completed
 *   blk_dt_scan    = virtio_dt_find + pci_dt_find_host on every tree
 */
#define _POSIX_C_SOURCE 200809L   /* opendir, strdup */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "disk_fixture.h"
#include "vblk/error.h"
#include "fdt/fdt.h"
#include "blk/dt_scan.h"

#define DTB_DIR "tests/host/dtb"

static const char *const some_names[] = {
	"compatible", "reg", "interrupts", "status", "#address-cells", "phandle",
	"no-such-property", "#size-cells",
};
#define SOME_NAMES (sizeof(some_names) / sizeof(some_names[0]))

struct blob {
	uint8_t *bytes;
	size_t size;
};

static struct blob load(const char *name)
{
	struct blob blob;

	blob.bytes = load_test_dtb(name, 0, &blob.size);
	return blob;
}

/* Every .dtb of tests/host/dtb, sorted, in a NULL-terminated array. */
static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **committed_trees(void)
{
	static char *names[128];
	size_t count = 0;
	DIR *dir;
	struct dirent *entry;

	if (names[0] != NULL)
		return names;      /* listed by an earlier test */
	dir = opendir(DTB_DIR);
	assert_non_null(dir);
	while ((entry = readdir(dir)) != NULL) {
		size_t len = strlen(entry->d_name);

		if (len > 4 && strcmp(entry->d_name + len - 4, ".dtb") == 0) {
			assert_true(count + 1 < sizeof(names) / sizeof(names[0]));
			names[count++] = strdup(entry->d_name);
		}
	}
	closedir(dir);
	assert_true(count > 20);
	qsort(names, count, sizeof(names[0]), by_name);
	names[count] = NULL;
	return names;
}

static void assert_prop_is_getprop(const struct fdt *fdt, int node_off, const char *name,
				   const struct fdt_prop *prop)
{
	uint32_t len_bytes = 0;
	const void *value = fdt_getprop(fdt, node_off, name, &len_bytes);

	assert_ptr_equal(prop->value, value);
	if (value != NULL)
		assert_int_equal(prop->len_bytes, len_bytes);
}

/* ---- fdt_getprops --------------------------------------------------- */

static void test_getprops_is_getprop_of_each_name_on_every_node(void **state)
{
	struct blob blob = load("qemu-virt.dtb");
	struct fdt_prop props[SOME_NAMES];
	struct fdt fdt;
	int node_off, depth = 0, nodes = 0;

	(void)state;
	assert_int_equal(fdt_open(&fdt, blob.bytes, blob.size), 0);
	for (node_off = fdt_root(&fdt); node_off >= 0; nodes++) {
		assert_int_equal(fdt_getprops(&fdt, node_off, some_names, SOME_NAMES, props), 0);
		for (size_t i = 0; i < SOME_NAMES; i++)
			assert_prop_is_getprop(&fdt, node_off, some_names[i], &props[i]);
		node_off = fdt_next_node(&fdt, node_off, &depth);
		if (node_off == 0)
			break;
	}
	assert_true(nodes > 40);
	free(blob.bytes);
}

static void test_getprops_refuses_a_bad_node_and_bad_arguments(void **state)
{
	struct blob blob = load("qemu-virt.dtb");
	struct fdt_prop props[2] = { { (const uint8_t *)"x", 1 }, { (const uint8_t *)"x", 1 } };
	struct fdt fdt;
	int root_off;

	(void)state;
	assert_int_equal(fdt_open(&fdt, blob.bytes, blob.size), 0);
	root_off = fdt_root(&fdt);
	/* Inside the root's name: not an FDT_BEGIN_NODE. */
	assert_int_equal(fdt_getprops(&fdt, root_off + 4, some_names, 2, props), -VBLK_EBADDT);
	assert_null(props[0].value);
	assert_null(props[1].value);
	assert_int_equal(fdt_getprops(&fdt, -4, some_names, 2, props), -VBLK_EBADDT);
	assert_int_equal(fdt_getprops(&fdt, root_off, NULL, 2, props), -VBLK_EINVAL);
	assert_int_equal(fdt_getprops(&fdt, root_off, some_names, 2, NULL), -VBLK_EINVAL);
	free(blob.bytes);
}

/* ---- fdt_scan --------------------------------------------------------- */

#define MAX_SEEN 512

struct seen {
	const char *const *names;
	unsigned count;
	int off[MAX_SEEN];
	int depth[MAX_SEEN];
	unsigned nodes;
	unsigned stop_at;           /* FDT_SCAN_STOP at this node (1-based) */
	int fail_with;              /* returned at stop_at instead, if set */
};

static int record(void *ctx, const struct fdt *fdt, const struct fdt_node *node)
{
	struct seen *seen = ctx;

	assert_true(seen->nodes < MAX_SEEN);
	seen->off[seen->nodes] = node->off;
	seen->depth[seen->nodes] = node->depth;
	seen->nodes++;
	for (unsigned i = 0; i < seen->count; i++)
		assert_prop_is_getprop(fdt, node->off, seen->names[i], &node->prop[i]);
	if (seen->nodes == seen->stop_at)
		return seen->fail_with != 0 ? seen->fail_with : FDT_SCAN_STOP;
	return 0;
}

/* What fdt_root/fdt_next_node walk: offsets and depths into *seen. */
static int walk_by_next_node(const struct fdt *fdt, struct seen *walked)
{
	int depth = 0, node_off = fdt_root(fdt);

	while (node_off >= 0) {
		assert_true(walked->nodes < MAX_SEEN);
		walked->off[walked->nodes] = node_off;
		walked->depth[walked->nodes++] = depth;
		node_off = fdt_next_node(fdt, node_off, &depth);
		if (node_off == 0)
			return 0;
	}
	return node_off;
}

static void assert_scan_is_next_node_walk(const char *name)
{
	struct blob blob = load(name);
	static struct seen scanned, walked;
	struct fdt fdt;
	int scan_err, walk_err;

	if (fdt_open(&fdt, blob.bytes, blob.size) != 0) {
		free(blob.bytes);
		return;
	}
	scanned = (struct seen){ .names = some_names, .count = SOME_NAMES };
	walked = (struct seen){ 0 };
	scan_err = fdt_scan(&fdt, some_names, SOME_NAMES, record, &scanned);
	walk_err = walk_by_next_node(&fdt, &walked);
	if (scan_err != walk_err)
		fail_msg("%s: fdt_scan %d, fdt_next_node %d", name, scan_err, walk_err);
	if (scan_err == 0) {
		assert_int_equal(scanned.nodes, walked.nodes);
		assert_memory_equal(scanned.off, walked.off, walked.nodes * sizeof(int));
		assert_memory_equal(scanned.depth, walked.depth, walked.nodes * sizeof(int));
	}
	free(blob.bytes);
}

static void test_scan_walks_as_next_node_on_every_committed_tree(void **state)
{
	(void)state;
	for (char **name = committed_trees(); *name != NULL; name++)
		assert_scan_is_next_node_walk(*name);
}

/* A node's cells are its own #address-cells/#size-cells (2 and 1 when
 * absent), and its children's bus is its cells. */
struct cells_check {
	struct fdt_bus at_depth[FDT_MAX_DEPTH + 1];
	unsigned nodes;
};

static uint32_t own_cells(const struct fdt *fdt, int node_off, const char *name, uint32_t dflt)
{
	uint32_t len_bytes;
	const void *value = fdt_getprop(fdt, node_off, name, &len_bytes);

	if (value == NULL)
		return dflt;
	return len_bytes == FDT_CELL_BYTES ? fdt_cell32(value, 0) : FDT_CELLS_INVALID;
}

static int check_cells(void *ctx, const struct fdt *fdt, const struct fdt_node *node)
{
	struct cells_check *check = ctx;

	assert_int_equal(node->children.address_cells,
			 own_cells(fdt, node->off, "#address-cells", 2));
	assert_int_equal(node->children.size_cells, own_cells(fdt, node->off, "#size-cells", 1));
	if (node->depth == 0) {
		assert_int_equal(node->bus.address_cells, 2);
		assert_int_equal(node->bus.size_cells, 1);
	} else {
		assert_memory_equal(&node->bus, &check->at_depth[node->depth - 1],
				    sizeof(node->bus));
	}
	check->at_depth[node->depth] = node->children;
	check->nodes++;
	return 0;
}

static void test_scan_gives_each_node_its_parents_cells(void **state)
{
	static const char *const trees[] = { "qemu-virt.dtb", "board-cells1.dtb",
					     "board-default-cells.dtb", "pci-hosts.dtb" };

	(void)state;
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		struct blob blob = load(trees[i]);
		struct cells_check check = { 0 };
		struct fdt fdt;

		assert_int_equal(fdt_open(&fdt, blob.bytes, blob.size), 0);
		assert_int_equal(fdt_scan(&fdt, NULL, 0, check_cells, &check), 0);
		assert_true(check.nodes > 1);
		free(blob.bytes);
	}
}

static void test_scan_stops_where_its_visitor_says(void **state)
{
	struct blob blob = load("qemu-virt.dtb");
	static struct seen seen;
	struct fdt fdt;

	(void)state;
	assert_int_equal(fdt_open(&fdt, blob.bytes, blob.size), 0);
	seen = (struct seen){ .stop_at = 3 };
	assert_int_equal(fdt_scan(&fdt, NULL, 0, record, &seen), FDT_SCAN_STOP);
	assert_int_equal(seen.nodes, 3);
	assert_int_equal(seen.depth[0], 0);         /* the root first */
	seen = (struct seen){ .stop_at = 5, .fail_with = -VBLK_EIO };
	assert_int_equal(fdt_scan(&fdt, NULL, 0, record, &seen), -VBLK_EIO);
	assert_int_equal(seen.nodes, 5);
	free(blob.bytes);
}

static void test_scan_refuses_bad_arguments(void **state)
{
	static const char *const too_many[FDT_SCAN_MAX_PROPS + 1] = {
		"a", "b", "c", "d", "e", "f", "g", "h", "i",
	};
	static const char *const with_null[] = { "reg", NULL };
	struct blob blob = load("qemu-virt.dtb");
	static struct seen seen;
	struct fdt fdt;

	(void)state;
	assert_int_equal(fdt_open(&fdt, blob.bytes, blob.size), 0);
	assert_int_equal(fdt_scan(&fdt, too_many, FDT_SCAN_MAX_PROPS + 1, record, &seen),
			 -VBLK_EINVAL);
	assert_int_equal(fdt_scan(&fdt, NULL, 1, record, &seen), -VBLK_EINVAL);
	assert_int_equal(fdt_scan(&fdt, with_null, 2, record, &seen), -VBLK_EINVAL);
	assert_int_equal(fdt_scan(&fdt, NULL, 0, NULL, &seen), -VBLK_EINVAL);
	assert_int_equal(fdt_scan(NULL, NULL, 0, record, &seen), -VBLK_EBADDT);
	assert_int_equal(seen.nodes, 0);
	free(blob.bytes);
}

/* ---- the name cache, on hand-made blobs ------------------------------- */

/* Words of a structure block, and a strings block in which every name is
 * stored anew (no sharing, unlike dtc's): each property of a name has
 * its own offset. */
struct tiny {
	uint32_t words[64];
	unsigned nwords;
	char strings[256];
	uint32_t strings_len;
};

static void word(struct tiny *t, uint32_t value)
{
	assert_true(t->nwords < 64);
	t->words[t->nwords++] = value;
}

static void node(struct tiny *t, char letter)
{
	word(t, FDT_BEGIN_NODE);
	word(t, (uint32_t)(uint8_t)letter << 24);   /* one-letter name, NUL-padded */
}

/* A one-cell property, its name at a fresh offset (or at bad_off). */
static void cell_prop(struct tiny *t, const char *name, uint32_t cell, uint32_t len_bytes,
		      uint32_t bad_off)
{
	uint32_t name_off = t->strings_len;

	memcpy(t->strings + name_off, name, strlen(name) + 1);
	t->strings_len += (uint32_t)strlen(name) + 1;
	word(t, FDT_PROP);
	word(t, len_bytes);
	word(t, bad_off != 0 ? bad_off : name_off);
	word(t, cell);
}

static struct blob tiny_blob(const struct tiny *t)
{
	uint32_t struct_off = 56, struct_bytes = t->nwords * 4;
	uint32_t strings_off = struct_off + struct_bytes;
	uint32_t total = strings_off + t->strings_len;
	struct blob blob = { calloc(1, total), total };
	const uint32_t header[10] = { FDT_MAGIC, total, struct_off, strings_off, 40, 17, 16, 0,
				      t->strings_len, struct_bytes };

	assert_non_null(blob.bytes);
	for (unsigned i = 0; i < 10; i++)
		for (unsigned b = 0; b < 4; b++)
			blob.bytes[i * 4 + b] = (uint8_t)(header[i] >> (24 - 8 * b));
	for (unsigned i = 0; i < t->nwords; i++)
		for (unsigned b = 0; b < 4; b++)
			blob.bytes[struct_off + i * 4 + b] = (uint8_t)(t->words[i] >> (24 - 8 * b));
	memcpy(blob.bytes + strings_off, t->strings, t->strings_len);
	return blob;
}

/* root { a { reg = <1>; reg = <2>; }; b { x = <3>; reg = <4>; }; } */
static void build_two_nodes(struct tiny *t, uint32_t last_len, uint32_t last_bad_off)
{
	*t = (struct tiny){ .strings_len = 0 };
	node(t, '\0');
	node(t, 'a');
	cell_prop(t, "reg", 1, 4, 0);
	cell_prop(t, "reg", 2, 4, 0);       /* a second of the name: the first wins */
	word(t, FDT_END_NODE);
	node(t, 'b');
	cell_prop(t, "x", 3, 4, 0);
	cell_prop(t, "reg", 4, last_len, last_bad_off);
	word(t, FDT_END_NODE);
	word(t, FDT_END_NODE);
	word(t, FDT_END);
}

struct regs {
	uint32_t cell[4];
	unsigned nodes;
};

static int collect_reg(void *ctx, const struct fdt *fdt, const struct fdt_node *node)
{
	struct regs *regs = ctx;

	(void)fdt;
	if (node->depth == 1 && node->prop[0].value != NULL)
		regs->cell[regs->nodes++] = fdt_cell32(node->prop[0].value, 0);
	return 0;
}

static void test_scan_finds_a_name_stored_twice_and_keeps_the_first(void **state)
{
	static const char *const reg_name[] = { "reg" };
	struct tiny t;
	struct regs regs = { { 0 }, 0 };
	struct fdt fdt;
	struct blob blob;

	(void)state;
	build_two_nodes(&t, 4, 0);
	blob = tiny_blob(&t);
	assert_int_equal(fdt_open(&fdt, blob.bytes, blob.size), 0);
	assert_int_equal(fdt_scan(&fdt, reg_name, 1, collect_reg, &regs), 0);
	assert_int_equal(regs.nodes, 2);
	assert_int_equal(regs.cell[0], 1);
	assert_int_equal(regs.cell[1], 4);
	free(blob.bytes);
}

static void test_scan_refuses_bad_name_or_value_after_good_ones(void **state)
{
	static const char *const reg_name[] = { "reg" };
	/* The last property's length past the structure block; its name
	 * without a NUL before the end of the strings block; its name
	 * offset past that block. */
	const uint32_t bad_offs[] = { 0, 0, 1000 };
	const uint32_t lens[] = { 4000, 4, 4 };

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		struct tiny t;
		struct regs regs = { { 0 }, 0 };
		struct fdt fdt;
		struct blob blob;

		build_two_nodes(&t, lens[i], bad_offs[i]);
		if (i == 1)
			t.strings[t.strings_len - 1] = 'g';  /* the last "reg" loses its NUL */
		blob = tiny_blob(&t);
		assert_int_equal(fdt_open(&fdt, blob.bytes, blob.size), 0);
		assert_int_equal(fdt_scan(&fdt, reg_name, 1, collect_reg, &regs), -VBLK_EBADDT);
		free(blob.bytes);
	}
}

/* ---- phandles a walk has passed --------------------------------------- */

static const char *const phandle_names[] = { "phandle", "linux,phandle" };

static int note_phandles(void *ctx, const struct fdt *fdt, const struct fdt_node *node)
{
	(void)fdt;
	fdt_phandles_note(ctx, node->off, &node->prop[0], &node->prop[1]);
	return 0;
}

/* Every phandle of the tree, some it does not have, 0 and all ones. */
static void assert_table_answers_as_search(const struct fdt *fdt,
					   const struct fdt_phandles *known)
{
	static const uint32_t absent[] = { 0, 1, 0x7fff, 0x9000, UINT32_MAX };

	for (unsigned i = 0; i < known->count; i++)
		assert_int_equal(fdt_phandles_find(known, fdt, known->phandle[i]),
				 fdt_node_by_phandle(fdt, known->phandle[i]));
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		assert_int_equal(fdt_phandles_find(known, fdt, absent[i]),
				 fdt_node_by_phandle(fdt, absent[i]));
}

static void test_phandles_a_walk_noted_answer_as_a_search(void **state)
{
	static const char *const trees[] = { "qemu-virt.dtb", "qemu-virt-gicv3.dtb",
					     "pci-intx-mixed-parents.dtb",
					     "pci-intx-five-parents.dtb" };

	(void)state;
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		struct blob blob = load(trees[i]);
		struct fdt_phandles known = { .count = 0 };
		struct fdt fdt;

		assert_int_equal(fdt_open(&fdt, blob.bytes, blob.size), 0);
		assert_int_equal(fdt_scan(&fdt, phandle_names, 2, note_phandles, &known), 0);
		fdt_phandles_done(&known);
		assert_true(known.count > 0);
		assert_false(known.overflow);
		assert_table_answers_as_search(&fdt, &known);
		free(blob.bytes);
	}
}

/* A table that is full, or that no complete walk filled, searches for
 * what it does not hold; a second node with a kept phandle is not kept. */
static void test_phandles_search_past_a_full_or_unfinished_table(void **state)
{
	struct blob blob = load("qemu-virt.dtb");
	struct fdt_phandles known = { .count = 0 };
	uint8_t cells[FDT_PHANDLES_KEPT][4];
	struct fdt_prop none = { NULL, 0 };
	struct fdt fdt;
	int gic_off;

	(void)state;
	assert_int_equal(fdt_open(&fdt, blob.bytes, blob.size), 0);
	gic_off = fdt_node_by_phandle(&fdt, 0x8002);   /* QEMU's GIC */
	assert_true(gic_off > 0);
	/* Not complete: the GIC is searched for. */
	assert_int_equal(fdt_phandles_find(&known, &fdt, 0x8002), gic_off);
	fdt_phandles_done(&known);
	assert_int_equal(fdt_phandles_find(&known, &fdt, 0x8002), -VBLK_ENODEV);
	/* Filled with others (at made-up offsets) and one more: full. */
	for (unsigned i = 0; i < FDT_PHANDLES_KEPT; i++) {
		struct fdt_prop prop = { cells[i], 4 };

		cells[i][0] = 0;
		cells[i][1] = 1;
		cells[i][2] = 0;
		cells[i][3] = (uint8_t)i;
		fdt_phandles_note(&known, 1000 + (int)i, &prop, &none);
		fdt_phandles_note(&known, 2000 + (int)i, &none, &prop);   /* second: dropped */
	}
	assert_int_equal(known.count, FDT_PHANDLES_KEPT);
	assert_false(known.overflow);
	assert_int_equal(fdt_phandles_find(&known, &fdt, 0x10003), 1003);
	fdt_phandles_note(&known, 3000, &(struct fdt_prop){ (const uint8_t *)"\0\0\x80\x02", 4 },
			  &none);
	assert_true(known.overflow);
	assert_int_equal(fdt_phandles_find(&known, &fdt, 0x8002), gic_off);
	free(blob.bytes);
}

/* ---- blk_dt_scan: the two finders in one walk --------------------------- */

static void assert_dt_scan_is_both_finders(const char *name)
{
	static struct blk_dt_found found;
	static struct virtio_dt mmio;
	static struct pci_host pci;
	struct blob blob = load(name);
	int err = blk_dt_scan(&found, blob.bytes, blob.size);
	int mmio_err = virtio_dt_find(&mmio, blob.bytes, blob.size);
	int pci_err = pci_dt_find_host(&pci, blob.bytes, blob.size);

	if (err != mmio_err || (err == 0 && found.pci_err != pci_err))
		fail_msg("%s: blk_dt_scan %d (PCI %d), finders %d (PCI %d)", name, err,
			 found.pci_err, mmio_err, pci_err);
	assert_memory_equal(&found.mmio, &mmio, sizeof(mmio));
	if (err == 0)
		assert_memory_equal(&found.pci, &pci, sizeof(pci));
	free(blob.bytes);
}

static void test_dt_scan_is_both_finders_on_every_committed_tree(void **state)
{
	(void)state;
	for (char **name = committed_trees(); *name != NULL; name++)
		assert_dt_scan_is_both_finders(*name);
}

static void test_dt_scan_refuses_truncated_qemu_virt_at_every_length(void **state)
{
	static struct blk_dt_found found;
	struct blob blob = load("qemu-virt.dtb");

	(void)state;
	for (size_t len = 0; len < blob.size; len += 7) {
		uint8_t *copy = malloc(len + 1);

		assert_non_null(copy);
		memcpy(copy, blob.bytes, len);
		assert_int_equal(blk_dt_scan(&found, copy, len), -VBLK_EBADDT);
		assert_int_equal(found.mmio.count, 0);
		free(copy);
	}
	free(blob.bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getprops_is_getprop_of_each_name_on_every_node),
		cmocka_unit_test(test_getprops_refuses_a_bad_node_and_bad_arguments),
		cmocka_unit_test(test_scan_walks_as_next_node_on_every_committed_tree),
		cmocka_unit_test(test_scan_gives_each_node_its_parents_cells),
		cmocka_unit_test(test_scan_stops_where_its_visitor_says),
		cmocka_unit_test(test_scan_refuses_bad_arguments),
		cmocka_unit_test(test_scan_finds_a_name_stored_twice_and_keeps_the_first),
		cmocka_unit_test(test_scan_refuses_bad_name_or_value_after_good_ones),
		cmocka_unit_test(test_phandles_a_walk_noted_answer_as_a_search),
		cmocka_unit_test(test_phandles_search_past_a_full_or_unfinished_table),
		cmocka_unit_test(test_dt_scan_is_both_finders_on_every_committed_tree),
		cmocka_unit_test(test_dt_scan_refuses_truncated_qemu_virt_at_every_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
