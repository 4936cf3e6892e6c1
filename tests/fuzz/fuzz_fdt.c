/*
 * libFuzzer target for the device-tree readers.
 *
 *   clang -fsanitize=fuzzer,address,undefined -DVBLK_HOST -Iinclude -I. \
 *         tests/fuzz/fuzz_fdt.c fdt/fdt.c fdt/walk.c virtio/dt.c \
 *         drivers/board.c -o fuzz_fdt
 *   ./fuzz_fdt -max_total_time=60 tests/fuzz/corpus/fdt
 *
 * The input is the whole readable buffer (max_bytes = its size), placed one
 * byte past an aligned address so every multi-byte read is unaligned and a
 * read one byte past the end is caught by ASan. Besides "no crash, no
 * hang", it checks what board_from_fdt and virtio_dt_find promise:
 * counts within their tables, the output zeroed on error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vblk/error.h"
#include "fdt/fdt.h"
#include "drivers/board.h"
#include "virtio/dt.h"

/* Paths and names worth looking up in any tree. */
static const char *const probe_paths[] = {
	"/", "/chosen", "/memory", "/aliases", "/intc@8000000", "/soc/uart",
};
static const char *const probe_props[] = {
	"compatible", "reg", "interrupts", "#address-cells", "status",
};

static void check(int ok)
{
	if (!ok)
		abort();
}

static int all_zero(const void *mem, size_t len_bytes)
{
	const uint8_t *bytes = mem;

	for (size_t i = 0; i < len_bytes; i++)
		if (bytes[i] != 0)
			return 0;
	return 1;
}

static void check_board(const uint8_t *blob, size_t size)
{
	struct board_info info;
	int err = board_from_fdt(&info, blob, size);

	if (err < 0) {
		check(err == -VBLK_EBADDT);
		check(all_zero(&info, sizeof(info)));
		return;
	}
	check(err == 0);
	check(info.memory_count <= BOARD_MAX_MEMORY);
	check(info.gic_version == 0 || info.gic_version == 2 ||
	      info.gic_version == 3);
}

static void check_virtio(const uint8_t *blob, size_t size)
{
	static struct virtio_dt found;
	int err = virtio_dt_find(&found, blob, size);

	if (err < 0) {
		check(err == -VBLK_EBADDT);
		check(all_zero(&found, sizeof(found)));
		return;
	}
	check(err == 0);
	check(found.count <= VIRTIO_DT_MAX_NODES);
}

/* Exercise the low-level API on every node: walk, names, properties. */
static void check_walk(const uint8_t *blob, size_t size)
{
	struct fdt fdt;
	int node_off, depth = 0;

	if (fdt_open(&fdt, blob, size) < 0)
		return;
	for (size_t i = 0; i < sizeof(probe_paths) / sizeof(probe_paths[0]); i++)
		(void)fdt_path_offset(&fdt, probe_paths[i]);
	node_off = fdt_root(&fdt);
	while (node_off >= 0) {
		const char *name = fdt_node_name(&fdt, node_off);

		check(name != NULL);
		check(depth >= 0 && depth <= FDT_MAX_DEPTH);
		for (size_t i = 0; i < sizeof(probe_props) / sizeof(probe_props[0]); i++) {
			uint32_t len_bytes = 0;
			const uint8_t *value = fdt_getprop(&fdt, node_off,
							   probe_props[i], &len_bytes);

			if (value != NULL)
				check(value >= blob && value + len_bytes <= blob + size);
		}
		(void)fdt_is_compatible(&fdt, node_off, "virtio,mmio");
		node_off = fdt_next_node(&fdt, node_off, &depth);
		if (node_off == 0)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size + 1);
	uint8_t *blob;

	if (buf == NULL)
		return 0;
	blob = buf + 1;   /* odd address: every cell read is unaligned */
	if (size > 0)
		memcpy(blob, data, size);
	check_board(blob, size);
	check_virtio(blob, size);
	check_walk(blob, size);
	free(buf);
	return 0;
}
