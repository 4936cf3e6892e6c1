/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the device-tree readers.
 *
 *   clang -fsanitize=fuzzer,address,undefined -DVBLK_HOST -Iinclude -I. \
 *         -DVBLK_HOST_NO_CMOCKA tests/fuzz/fuzz_fdt.c fdt/open.c fdt/struct.c \
 *         fdt/prop.c fdt/find.c fdt/walk.c fdt/decode.c virtio/dt.c \
 *         blk/dt_scan.c drivers/board.c pci/dt.c pci/dt_intx.c pci/ecam.c \
 *         tests/host/host_platform.c -o fuzz_fdt
 *   ./fuzz_fdt -max_total_time=60 tests/fuzz/corpus/fdt
 *
 * The input is the whole readable buffer (max_bytes = its size), placed one
 * byte past an aligned address so every multi-byte read is unaligned and a
 * read one byte past the end is caught by ASan. Besides "no crash, no
 * hang", it checks what board_from_fdt, virtio_dt_find and
 * pci_dt_find_host promise: counts within their tables, the output zeroed
 * on error, an interrupt-map that is read whole or empty; that
 * blk_dt_scan's one walk gives what those two give; and that
 * fdt_getprops gives what fdt_getprop gives for each name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vblk/error.h"
#include "fdt/fdt.h"
#include "drivers/board.h"
#include "pci/pci.h"
#include "virtio/dt.h"
#include "blk/dt_scan.h"

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

static struct virtio_dt virtio_found;
static int virtio_err;

static void check_virtio(const uint8_t *blob, size_t size)
{
	struct virtio_dt *found = &virtio_found;
	int err = virtio_dt_find(found, blob, size);

	virtio_err = err;
	if (err < 0) {
		check(err == -VBLK_EBADDT);
		check(all_zero(found, sizeof(*found)));
		return;
	}
	check(err == 0);
	check(found->count <= VIRTIO_DT_MAX_NODES);
}

/* GIC INTIDs an interrupt-map may give: PPIs 16-31, SPIs 32-1019. */
#define INTID_FIRST_PPI 16u
#define INTID_LAST_SPI  1019u

static struct pci_host pci_found;
static int pci_err;

static void check_pci_host(const uint8_t *blob, size_t size)
{
	struct pci_host *host = &pci_found;
	const struct pci_intx_map *map = &host->intx;
	int err = pci_dt_find_host(host, blob, size);

	pci_err = err;
	if (err < 0) {
		check(err == -VBLK_EBADDT || err == -VBLK_ENODEV);
		check(all_zero(host, sizeof(*host)));
		return;
	}
	check(err == 0);
	check(map->count <= PCI_INTX_MAP_MAX);
	check(map->status == 0 || map->status == -VBLK_ENODEV || map->status == -VBLK_EBADDT);
	check(map->status == 0 || (map->count == 0 && map->dropped == 0));
	check(map->dropped == 0 || map->count == PCI_INTX_MAP_MAX);
	for (unsigned i = 0; i < map->count; i++) {
		check(map->route[i].intid >= INTID_FIRST_PPI &&
		      map->route[i].intid <= INTID_LAST_SPI);
		check((map->route[i].phys_hi & ~map->mask_phys_hi) == 0);
		check((map->route[i].pin & ~map->mask_pin) == 0);
	}
}

/* The disks' one walk: what the two finders each give (run first). */
static void check_dt_scan(const uint8_t *blob, size_t size)
{
	static struct blk_dt_found found;
	int err = blk_dt_scan(&found, blob, size);

	check(err == virtio_err);
	check(memcmp(&found.mmio, &virtio_found, sizeof(virtio_found)) == 0);
	if (err == 0) {
		check(found.pci_err == pci_err);
		check(memcmp(&found.pci, &pci_found, sizeof(pci_found)) == 0);
	}
}

/* Several properties in one pass: each what fdt_getprop gives. */
static void check_getprops(const struct fdt *fdt, int node_off)
{
	enum { NPROPS = sizeof(probe_props) / sizeof(probe_props[0]) };
	struct fdt_prop props[NPROPS];
	int err = fdt_getprops(fdt, node_off, probe_props, NPROPS, props);

	check(err == 0 || err == -VBLK_EBADDT);
	for (size_t i = 0; i < NPROPS; i++) {
		uint32_t len_bytes = 0;
		const void *value = fdt_getprop(fdt, node_off, probe_props[i], &len_bytes);

		check(props[i].value == value);
		check(value == NULL || props[i].len_bytes == len_bytes);
	}
}

/* A phandle lookup gives a node or a refusal. */
static void check_phandles(const struct fdt *fdt)
{
	static const uint32_t phandles[] = { 0, 1, 2, 0x8000, 0x8002, UINT32_MAX };

	for (size_t i = 0; i < sizeof(phandles) / sizeof(phandles[0]); i++) {
		int node_off = fdt_node_by_phandle(fdt, phandles[i]);

		if (node_off >= 0)
			check(fdt_node_name(fdt, node_off) != NULL);
		else
			check(node_off == -VBLK_ENODEV || node_off == -VBLK_EBADDT);
	}
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
	check_phandles(&fdt);
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
		check_getprops(&fdt, node_off);
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
	check_pci_host(blob, size);
	check_dt_scan(blob, size);
	check_walk(blob, size);
	free(buf);
	return 0;
}
