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

/* Blob header and structure-block tokens (Devicetree Specification v0.4
 * §5.2, §5.4.1). All values in the blob are big-endian. */
#define FDT_MAGIC          0xd00dfeedu
#define FDT_BEGIN_NODE     0x1u
#define FDT_END_NODE       0x2u
#define FDT_PROP           0x3u
#define FDT_NOP            0x4u
#define FDT_END            0x9u
#define FDT_TOKEN_BYTES    4u
#define FDT_CELL_BYTES     4u

/* Deepest node (root = depth 0) the walker accepts; a deeper tree is
 * treated as malformed, which bounds every depth-indexed table. */
#define FDT_MAX_DEPTH      64

struct fdt {
	const uint8_t *blob;
	uint32_t total_bytes;      /* header totalsize, checked <= max_bytes */
	uint32_t struct_off, struct_bytes;
	uint32_t strings_off, strings_bytes;
};

/* Validate the header of the blob at `blob` (at most max_bytes readable).
 * Returns 0, -VBLK_EBADDT, or -VBLK_EINVAL if fdt is NULL; on failure *fdt
 * is unchanged. The blob may sit at any byte address. */
int fdt_open(struct fdt *fdt, const void *blob, size_t max_bytes);

/* Node walk. Offsets are byte offsets of FDT_BEGIN_NODE tokens inside the
 * structure block; the root node is at offset fdt_root(). fdt_next_node()
 * returns the next node in document order (and its depth relative to the
 * root = 0), 0 at the end, or -VBLK_EBADDT.
 * *depth is in/out: on entry the depth of node_off (0 for the root, or the
 * value the previous call returned), on return the depth of the new node.
 * depth may be NULL when node_off is the root. Reaching the end of the root
 * node also checks that FDT_END follows, so a walk to 0 has seen a complete,
 * balanced structure block. */
int fdt_root(const struct fdt *fdt);
int fdt_next_node(const struct fdt *fdt, int node_off, int *depth);
const char *fdt_node_name(const struct fdt *fdt, int node_off);

/* Property value of a node (NULL if absent; -VBLK_EBADDT cases also NULL).
 * *len_bytes receives the value length (len_bytes may be NULL; it is left
 * unchanged when NULL is returned). The value may sit at any address: read
 * cells with fdt_cell32()/fdt_read_cells(), never through a uint32_t *. */
const void *fdt_getprop(const struct fdt *fdt, int node_off, const char *name,
			uint32_t *len_bytes);

/* Find a node by absolute path ("/chosen", "/intc@8000000"); <0 if absent
 * (-VBLK_ENODEV), or -VBLK_EBADDT. A component without a unit address
 * ("/memory") also matches a node that has one ("memory@40000000"). */
int fdt_path_offset(const struct fdt *fdt, const char *path);

/* Does the node's "compatible" string list contain `compat`? */
bool fdt_is_compatible(const struct fdt *fdt, int node_off, const char *compat);

/* Big-endian cell readers (DTB cells are big-endian). */
uint32_t fdt_cell32(const void *cells, unsigned index);
uint64_t fdt_read_cells(const void *cells, unsigned index, unsigned ncells);

#endif
