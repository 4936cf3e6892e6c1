/* SPDX-License-Identifier: MIT */
/*
 * Editing the device tree a loader hands on (a bootloader's /chosen).
 *
 * The blob is edited in place, in the `max_bytes` bytes the caller owns
 * at `blob`: it grows (totalsize, the structure and strings blocks) as
 * an edit needs and never past that bound. Before anything is written the
 * whole blob is checked; an edit either completes or changes nothing.
 *
 *   static uint8_t dt[64 * 1024];        // a copy of the tree, with room
 *   vblk_fdt_add_node(dt, sizeof(dt), "/chosen");
 *   vblk_fdt_set_string(dt, sizeof(dt), "/chosen", "bootargs", "console=ttyAMA0");
 *
 * Errors: -VBLK_EBADDT for a malformed blob (or one whose totalsize
 * exceeds max_bytes); -VBLK_EUNSUPP for a valid blob the writer does not
 * edit (version 16, or blocks in another order than dtc writes them:
 * header, memory reservation map, structure, strings); -VBLK_ENOSPC when
 * the result would not fit in max_bytes; -VBLK_ENODEV when `path` names
 * no node; -VBLK_EINVAL for a NULL or empty argument, a path not starting
 * with '/', or a name or value lying inside the blob itself.
 */
#ifndef VBLK_FDT_EDIT_H
#define VBLK_FDT_EDIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The blob's totalsize, once its header is checked against max_bytes;
 * or -VBLK_EBADDT. What to copy when moving a tree. */
int vblk_fdt_total_bytes(const void *blob, size_t max_bytes);

/* Add the node `path` ("/chosen") under its parent, which must exist;
 * 0 also if the node is already there. Its last component is compared
 * exactly: "/memory" adds a node "memory" beside "memory@40000000" (which
 * "/memory" names for vblk_fdt_set_prop until then, and no longer after). */
int vblk_fdt_add_node(void *blob, size_t max_bytes, const char *path);

/* Set property `name` of node `path` to `len_bytes` of `value`, replacing
 * an old value of any length or adding the property. */
int vblk_fdt_set_prop(void *blob, size_t max_bytes, const char *path, const char *name,
		      const void *value, uint32_t len_bytes);

/* The same with a string (its NUL included, as the tree stores it) or a
 * 64-bit number (two big-endian cells: "linux,initrd-start"). */
int vblk_fdt_set_string(void *blob, size_t max_bytes, const char *path, const char *name,
			const char *value);
int vblk_fdt_set_u64(void *blob, size_t max_bytes, const char *path, const char *name,
		     uint64_t value);

#ifdef __cplusplus
}
#endif

#endif
