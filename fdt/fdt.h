/* SPDX-License-Identifier: MIT */
/*
 * A small flattened-device-tree (DTB) reader, in the library (libvblk.a)
 * and used by the runtime too.
 *
 * It never trusts the blob: fdt_open() checks the header against the size
 * the caller knows, and every walk re-checks each offset and length against
 * the structure block, so a malformed blob yields -VBLK_EBADDT, never a read
 * out of bounds. No allocation, no libfdt.
 *
 *   open.c    the header and the blocks (fdt_open), cell readers
 *   struct.c  the structure block's tokens, the node-by-node walk
 *   prop.c    property lookup: several properties in one pass
 *   find.c    a node by path or by phandle
 *   walk.c    fdt_scan/fdt_walk: every node, its properties read once
 *   decode.c  status, reg, GIC interrupt specifiers
 *   write.c   editing a blob in place (edit.c: by path, for loaders)
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

/* One property's value as a lookup found it: value NULL if the node has
 * no such property. The value may sit at any address (see below). */
struct fdt_prop {
	const uint8_t *value;
	uint32_t len_bytes;
};

/* Several properties of a node in one pass over its properties: props[i]
 * gets the first property named names[i]. Returns 0; -VBLK_EBADDT (every
 * props[i] absent) if node_off is not a node or a property up to its
 * first subnode cannot be read; -VBLK_EINVAL for NULL names or props,
 * or 255 names or more. */
int fdt_getprops(const struct fdt *fdt, int node_off, const char *const names[],
		 unsigned count, struct fdt_prop props[]);

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

/* The node whose "phandle" (or older "linux,phandle") property is one
 * cell equal to `phandle` (DT spec v0.4 §2.3.3), the first in document
 * order; -VBLK_ENODEV if none is, or for 0 and 0xffffffff, which name no
 * node; -VBLK_EBADDT if the walk meets a malformed structure block. */
int fdt_node_by_phandle(const struct fdt *fdt, uint32_t phandle);

/* Phandles a walk has passed (fdt_scan reading "phandle" and
 * "linux,phandle"), so that a lookup after it needs no walk of its own.
 * fdt_phandles_note() keeps each node's phandles, the first node of each
 * only, as fdt_node_by_phandle would find it; fdt_phandles_find() answers
 * from the table when it can: a phandle it holds, or none at all once
 * fdt_phandles_done() says a walk of the whole tree has noted every node
 * and the table did not overflow. Otherwise it searches as
 * fdt_node_by_phandle does. */
#define FDT_PHANDLES_KEPT 16

struct fdt_phandles {
	uint32_t phandle[FDT_PHANDLES_KEPT];
	int node_off[FDT_PHANDLES_KEPT];
	unsigned count;
	bool overflow;          /* a phandle was not kept */
	bool complete;          /* every node of the tree was noted */
};

void fdt_phandles_note(struct fdt_phandles *known, int node_off,
		       const struct fdt_prop *phandle, const struct fdt_prop *linux_phandle);
void fdt_phandles_done(struct fdt_phandles *known);
int fdt_phandles_find(const struct fdt_phandles *known, const struct fdt *fdt,
		      uint32_t phandle);

/* Does the node's "compatible" string list contain `compat`? */
bool fdt_is_compatible(const struct fdt *fdt, int node_off, const char *compat);
/* The same for a "compatible" value already looked up (absent: false). */
bool fdt_compat_has(const struct fdt_prop *compatible, const char *compat);

/* Big-endian cell readers (DTB cells are big-endian). */
uint32_t fdt_cell32(const void *cells, unsigned index);
uint64_t fdt_read_cells(const void *cells, unsigned index, unsigned ncells);

/* ---- nodes decoded (fdt/walk.c, fdt/decode.c) ------------------------
 * What every reader of a tree needs beyond the blob: a walk that knows the
 * cells each node's parent gives it, and the decoders of the properties
 * they all read. The library finds virtio-mmio nodes (virtio/dt.c) and
 * the PCI host (pci/dt.c) with them, in one walk (blk/dt_scan.c), the
 * vblk runtime its RAM, GIC, UART and timer (drivers/board.c); the
 * library and the runtime each walk the tree for themselves, and each
 * decodes only its own nodes, so a node one cannot decode never fails
 * the other. */

/* The #address-cells and #size-cells a node gives its children (DT spec
 * §2.3.5: 2 and 1 when absent; FDT_CELLS_INVALID when the property is not
 * one cell, which fdt_read_reg then refuses). */
#define FDT_CELLS_INVALID  UINT32_MAX

struct fdt_bus {
	uint32_t address_cells;
	uint32_t size_cells;
};

/* One node as fdt_scan hands it to its visitor. */
struct fdt_node {
	int off;                      /* its FDT_BEGIN_NODE */
	int depth;                    /* the root 0, its children 1 */
	struct fdt_bus bus;           /* the cells its parent gives it (the
					 root: 2 and 1) */
	struct fdt_bus children;      /* the cells it gives its children (its
					 own #address-cells/#size-cells, as
					 above: 2 and 1 when absent) */
	const struct fdt_prop *prop;  /* prop[i]: names[i] of the scan */
};

/* A negative return ends the scan with that code; FDT_SCAN_STOP ends it
 * early, the rest of the tree unread, and fdt_scan returns it. */
typedef int fdt_node_fn(void *ctx, const struct fdt *fdt, const struct fdt_node *node);
#define FDT_SCAN_STOP      1
#define FDT_SCAN_MAX_PROPS 8

/* Visit every node of an opened blob, the root first, in document order,
 * reading each node's properties once: node->prop holds those named in
 * names[0..count) (count <= FDT_SCAN_MAX_PROPS; the names distinct, as
 * a name repeated in the list is given to its first index only;
 * #address-cells and #size-cells may be among them). Returns 0 once the walk
 * has reached the end of a complete, balanced structure block;
 * -VBLK_EBADDT for a malformed one (also after some nodes were visited);
 * -VBLK_EINVAL for bad arguments; or what `visit` ended it with. */
int fdt_scan(const struct fdt *fdt, const char *const names[], unsigned count,
	     fdt_node_fn *visit, void *ctx);

/* Called for every node below the root, in document order, with its depth
 * (the root's children are at 1) and the cells its parent gives it. A
 * negative return ends the walk with that code. */
typedef int fdt_visit_fn(void *ctx, const struct fdt *fdt, int node_off, int depth,
			 struct fdt_bus bus);

/* Visit every node of an opened blob. Returns 0 once the walk has reached
 * the end of a complete, balanced structure block; -VBLK_EBADDT for a
 * malformed one (also after some nodes were visited); or the first
 * negative code `visit` returned. */
int fdt_walk(const struct fdt *fdt, fdt_visit_fn *visit, void *ctx);

/* DT spec §2.3.4: a node is usable if status is absent or "okay"; "ok",
 * which the spec does not list, is taken too, as Linux takes it. */
bool fdt_node_enabled(const struct fdt *fdt, int node_off);
bool fdt_status_okay(const struct fdt_prop *status);

/* A string property equal to `want` (NUL included, as the blob stores it). */
bool fdt_prop_is_string(const struct fdt *fdt, int node_off, const char *name,
			const char *want);

/* A node's reg, decoded with the cells its parent gives it: `count`
 * entries of (address, size). We hold addresses and sizes in 64 bits, so
 * at most two cells each. */
struct fdt_reg {
	const uint8_t *cells;
	uint32_t count;
	struct fdt_bus bus;
};

struct fdt_region {
	uint64_t base;
	uint64_t size_bytes;
};

/* -VBLK_ENODEV if the node has no reg; -VBLK_EBADDT if it cannot be
 * decoded (no address cells or more than two, more than two size cells,
 * empty, or not a whole number of entries). */
int fdt_read_reg(const struct fdt *fdt, int node_off, struct fdt_bus bus,
		 struct fdt_reg *reg);
/* The same for a reg value already looked up. */
int fdt_decode_reg(const struct fdt_prop *reg_prop, struct fdt_bus bus, struct fdt_reg *reg);

/* Entry `index` (below reg->count) of a decoded reg. */
struct fdt_region fdt_reg_entry(const struct fdt_reg *reg, uint32_t index);

/* Interrupt specifier `index` of the node's interrupts property in the
 * arm,gic binding's three cells <type number flags>: type 0 is an SPI
 * (INTID 32 + n, n < 988), type 1 a PPI (INTID 16 + n, n < 16); other
 * types (extended ranges) give *intid = 0. *flags is the third cell.
 * -VBLK_ENODEV if there is no such specifier; -VBLK_EBADDT if the property
 * is not whole specifiers or the number is outside its range. */
int fdt_gic_interrupt(const struct fdt *fdt, int node_off, uint32_t index,
		      uint32_t *intid, uint32_t *flags);
/* The same for an interrupts value already looked up. */
int fdt_decode_gic_interrupt(const struct fdt_prop *interrupts, uint32_t index,
			     uint32_t *intid, uint32_t *flags);

#define FDT_GIC_IRQ_CELLS  3u

/* One such specifier, FDT_GIC_IRQ_CELLS cells at `cells` from any
 * property (an interrupt-map entry's parent specifier): the same
 * decoding, -VBLK_EBADDT for a number outside its range. */
int fdt_gic_specifier(const void *cells, uint32_t *intid, uint32_t *flags);

/* The trigger in a GIC specifier's flags (bits [3:0]: 1 edge rising, 2
 * edge falling, 4 level high, 8 level low; on GICv2 bits [15:8] of a
 * PPI's are a CPU mask). */
#define FDT_GIC_EDGE_RISING   0x1u
#define FDT_GIC_EDGE_FALLING  0x2u

static inline bool fdt_gic_irq_is_edge(uint32_t flags)
{
	return (flags & (FDT_GIC_EDGE_RISING | FDT_GIC_EDGE_FALLING)) != 0;
}

/* ---- editing a blob in place (fdt/write.c) ---------------------------
 * For a loader that hands the tree on (examples/bootloader: /chosen). The
 * blob is checked whole before anything is written: a header fdt_open()
 * accepts, version 17 (size_dt_struct), the blocks in the order dtc
 * writes them (header, memory reservation map, structure, strings) without
 * overlap, and a structure block a walk reads to FDT_END; otherwise
 * -VBLK_EBADDT (-VBLK_EUNSUPP for a version-16 blob or blocks in another
 * order, which are valid but which this writer does not move). An edit moves
 * what follows its point (the rest of the structure block, the strings)
 * and grows totalsize up to `max_bytes`, the bytes the caller owns at
 * `blob`; it never shrinks totalsize (bytes an edit frees at the end are
 * zeroed). -VBLK_ENOSPC if the result would not fit: then, as on every
 * error, not a byte has changed. `value` and `name` must not lie inside
 * the blob (-VBLK_EINVAL). Node offsets move: find nodes again after an
 * edit. */

/* Set property `name` of the node at node_off to len_bytes of `value`,
 * replacing its old value (longer or shorter) or adding it as the node's
 * first property; a new name is appended to the strings block unless the
 * block already holds it (as a whole string or the tail of one). */
int fdt_set_prop(void *blob, size_t max_bytes, int node_off, const char *name,
		 const void *value, uint32_t len_bytes);

/* Add an empty child `name` (no '/', 1 to FDT_MAX_NAME_BYTES bytes) to
 * the node at parent_off, after its properties. Returns the new node's
 * offset, or that of a child already named exactly `name` (nothing is
 * written then); -VBLK_EUNSUPP for a parent at FDT_MAX_DEPTH, whose
 * child the reader would refuse. */
int fdt_add_subnode(void *blob, size_t max_bytes, int parent_off, const char *name);

#define FDT_MAX_NAME_BYTES 255u

#endif
