/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the device-tree writer (fdt/write.c, fdt/edit.c).
 *
 *   clang -fsanitize=fuzzer,address,undefined -DVBLK_HOST -Iinclude -I. \
 *         tests/fuzz/fuzz_fdt_write.c fdt/open.c fdt/struct.c fdt/prop.c \
 *         fdt/find.c fdt/walk.c fdt/decode.c fdt/write.c fdt/edit.c \
 *         -o fuzz_fdt_write
 *   ./fuzz_fdt_write -max_total_time=60 tests/fuzz/corpus/fdt_write
 *
 * Input: a 4-byte prologue, then up to MAX_EDITS 4-byte edits, then the
 * blob.
 *   prologue: room (2 bytes, little-endian: free bytes after the blob the
 *             writer may grow into), edit count, and a byte that shifts
 *             the blob off alignment;
 *   edit:     op (set a property, add a node, or the same by path
 *             through vblk/fdt_edit.h), node (an index into the nodes the
 *             reader walks to; 0xff: a raw offset that is no node), name
 *             (one of a few, new and known to QEMU's trees), value length.
 * The buffer is exactly as large as the bound, so ASan reports a write
 * past it. After each edit: a refusal changed no byte; a success leaves a
 * blob the reader opens and walks whole within the bound, holding what
 * was written (the value read back, the new node by its name).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vblk/error.h"
#include "vblk/fdt_edit.h"
#include "fdt/fdt.h"

#define PROLOGUE_BYTES 4u
#define EDIT_BYTES     4u
#define MAX_EDITS      8u
#define MAX_NODES      256

static const char *const names[] = {
	"bootargs", "reg", "compatible", "linux,initrd-start", "size-cells",
	"chosen", "x", "virtio_mmio@a000000",
};
#define NAME_COUNT (sizeof(names) / sizeof(names[0]))

static void check(int ok)
{
	if (!ok)
		abort();
}

/* The blob opens and a walk reaches FDT_END; collect node offsets. */
static int walk(const uint8_t *blob, size_t max_bytes, int *nodes, int *count)
{
	struct fdt fdt;
	int off, depth = 0;

	*count = 0;
	if (fdt_open(&fdt, blob, max_bytes) < 0)
		return -1;
	off = fdt_root(&fdt);
	while (off >= 0) {
		if (*count < MAX_NODES)
			nodes[(*count)++] = off;
		off = fdt_next_node(&fdt, off, &depth);
		if (off == 0)
			return 0;
	}
	return -1;
}

static void check_value(const uint8_t *blob, size_t max_bytes, int node_off, const char *name,
			const uint8_t *value, uint32_t len_bytes)
{
	struct fdt fdt;
	uint32_t got_len;
	const void *got;

	check(fdt_open(&fdt, blob, max_bytes) == 0);
	got = fdt_getprop(&fdt, node_off, name, &got_len);
	check(got != NULL && got_len == len_bytes && memcmp(got, value, len_bytes) == 0);
}

static void check_node(const uint8_t *blob, size_t max_bytes, int node_off, const char *name)
{
	struct fdt fdt;
	const char *got;

	check(fdt_open(&fdt, blob, max_bytes) == 0);
	got = fdt_node_name(&fdt, node_off);
	check(got != NULL && strcmp(got, name) == 0);
}

/* One edit; returns the writer's result. */
static int apply(uint8_t *blob, size_t max_bytes, const uint8_t *edit, const int *nodes,
		 int count)
{
	static uint8_t value[256];
	const char *name = names[edit[2] % NAME_COUNT];
	uint32_t len_bytes = edit[3];
	int node_off = edit[1] == 0xff || count == 0 ? 5 : nodes[edit[1] % count];
	int err;

	memset(value, edit[3] ^ 0x5a, len_bytes);
	switch (edit[0] % 4) {
	case 0:
		err = fdt_set_prop(blob, max_bytes, node_off, name, value, len_bytes);
		if (err == 0)
			check_value(blob, max_bytes, node_off, name, value, len_bytes);
		return err;
	case 1:
		err = fdt_add_subnode(blob, max_bytes, node_off, name);
		if (err >= 0)
			check_node(blob, max_bytes, err, name);
		return err < 0 ? err : 0;
	case 2:
		return vblk_fdt_add_node(blob, max_bytes, "/chosen");
	default:
		return vblk_fdt_set_u64(blob, max_bytes, "/chosen", name, len_bytes);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int nodes[MAX_NODES], count;

	if (size < PROLOGUE_BYTES)
		return 0;
	size_t room = data[0] | (size_t)data[1] << 8;
	size_t edits = data[2] % (MAX_EDITS + 1), shift = data[3] & 7;
	if (size < PROLOGUE_BYTES + edits * EDIT_BYTES)
		return 0;
	const uint8_t *script = data + PROLOGUE_BYTES;
	const uint8_t *input = script + edits * EDIT_BYTES;
	size_t blob_bytes = size - PROLOGUE_BYTES - edits * EDIT_BYTES;
	size_t max_bytes = blob_bytes + room;

	if (max_bytes == 0)
		return 0;
	/* The allocation ends exactly at the bound. */
	uint8_t *buffer = malloc(shift + max_bytes), *blob = buffer + shift;
	uint8_t *before = malloc(max_bytes);
	check(buffer != NULL && before != NULL);
	memcpy(blob, input, blob_bytes);
	memset(blob + blob_bytes, 0, room);

	for (size_t i = 0; i < edits; i++) {
		walk(blob, max_bytes, nodes, &count);
		memcpy(before, blob, max_bytes);
		int err = apply(blob, max_bytes, script + i * EDIT_BYTES, nodes, count);
		if (err < 0) {
			check(err > -VBLK_ERROR_COUNT);
			check(memcmp(before, blob, max_bytes) == 0);
		} else {
			/* The result parses whole, within the bound. */
			check(walk(blob, max_bytes, nodes, &count) == 0);
			check(vblk_fdt_total_bytes(blob, max_bytes) >= 0);
		}
	}
	free(before);
	free(buffer);
	return 0;
}
