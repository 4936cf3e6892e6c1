/* SPDX-License-Identifier: MIT */
/*
 * vblk/fdt_edit.h: the device-tree writer (fdt/write.c) by path, for
 * applications, which see node offsets nowhere else.
 */
#include <string.h>

#include "vblk/error.h"
#include "vblk/fdt_edit.h"
#include "fdt/fdt.h"

/* Longest path vblk_fdt_add_node splits (its parent is copied). */
#define PARENT_PATH_MAX_BYTES 256u

int vblk_fdt_total_bytes(const void *blob, size_t max_bytes)
{
	struct fdt fdt;
	int err = fdt_open(&fdt, blob, max_bytes);

	return err < 0 ? err : (int)fdt.total_bytes;
}

static int node_at(const void *blob, size_t max_bytes, const char *path)
{
	struct fdt fdt;
	int err;

	if (blob == NULL || path == NULL || path[0] != '/')
		return -VBLK_EINVAL;
	err = fdt_open(&fdt, blob, max_bytes);
	if (err < 0)
		return err;
	return fdt_path_offset(&fdt, path);
}

int vblk_fdt_add_node(void *blob, size_t max_bytes, const char *path)
{
	char parent[PARENT_PATH_MAX_BYTES];
	const char *name;
	size_t parent_len;
	int parent_off, err;

	if (path == NULL || path[0] != '/')
		return -VBLK_EINVAL;
	name = strrchr(path, '/') + 1;
	parent_len = (size_t)(name - path);
	if (parent_len >= sizeof(parent))
		return -VBLK_EINVAL;
	memcpy(parent, path, parent_len);
	parent[parent_len] = '\0';
	parent_off = node_at(blob, max_bytes, parent);
	if (parent_off < 0)
		return parent_off;
	err = fdt_add_subnode(blob, max_bytes, parent_off, name);
	return err < 0 ? err : 0;
}

int vblk_fdt_set_prop(void *blob, size_t max_bytes, const char *path, const char *name,
		      const void *value, uint32_t len_bytes)
{
	int node_off = node_at(blob, max_bytes, path);

	if (node_off < 0)
		return node_off;
	return fdt_set_prop(blob, max_bytes, node_off, name, value, len_bytes);
}

int vblk_fdt_set_string(void *blob, size_t max_bytes, const char *path, const char *name,
			const char *value)
{
	if (value == NULL)
		return -VBLK_EINVAL;
	return vblk_fdt_set_prop(blob, max_bytes, path, name, value,
				 (uint32_t)strlen(value) + 1);
}

int vblk_fdt_set_u64(void *blob, size_t max_bytes, const char *path, const char *name,
		     uint64_t value)
{
	uint8_t cells[8];

	for (unsigned i = 0; i < sizeof(cells); i++)
		cells[i] = (uint8_t)(value >> (56 - 8 * i));
	return vblk_fdt_set_prop(blob, max_bytes, path, name, cells, sizeof(cells));
}
