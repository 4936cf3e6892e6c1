/*
 * A small flattened-device-tree (DTB) reader.
 *
 * It never trusts the blob: fdt_open() checks the header against the size
 * the caller knows, and every walk re-checks each offset and length against
 * the structure block, so a malformed blob yields -VBLK_EBADDT, never a read
 * out of bounds. No allocation, no libfdt.
 */
#ifndef VBLK_FDT_H
#define VBLK_FDT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct fdt {
	const uint8_t *blob;
	uint32_t total_bytes;      /* header totalsize, checked <= max_bytes */
	uint32_t struct_off, struct_bytes;
	uint32_t strings_off, strings_bytes;
};

/* Validate the header of the blob at `blob` (at most max_bytes readable). */
int fdt_open(struct fdt *fdt, const void *blob, size_t max_bytes);

/* Node walk. Offsets are byte offsets of FDT_BEGIN_NODE tokens inside the
 * structure block; the root node is at offset fdt_root(). fdt_next_node()
 * returns the next node in document order (and its depth relative to the
 * root = 0), 0 at the end, or -VBLK_EBADDT. */
int fdt_root(const struct fdt *fdt);
int fdt_next_node(const struct fdt *fdt, int node_off, int *depth);
const char *fdt_node_name(const struct fdt *fdt, int node_off);

/* Property value of a node (NULL if absent; -VBLK_EBADDT cases also NULL).
 * *len_bytes receives the value length. */
const void *fdt_getprop(const struct fdt *fdt, int node_off, const char *name,
			uint32_t *len_bytes);

/* Find a node by absolute path ("/chosen", "/intc@8000000"); <0 if absent. */
int fdt_path_offset(const struct fdt *fdt, const char *path);

/* Does the node's "compatible" string list contain `compat`? */
bool fdt_is_compatible(const struct fdt *fdt, int node_off, const char *compat);

/* Big-endian cell readers (DTB cells are big-endian). */
uint32_t fdt_cell32(const void *cells, unsigned index);
uint64_t fdt_read_cells(const void *cells, unsigned index, unsigned ncells);

#endif
