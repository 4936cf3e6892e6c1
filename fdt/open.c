/* SPDX-License-Identifier: MIT */
/*
 * Opening a blob (Devicetree Specification v0.4 §5.2): the header checked
 * against the size the caller knows, and the blocks against the header.
 * What is inside the structure block is checked by every reader that
 * walks it (fdt/struct.c).
 */
#include "vblk/error.h"
#include "fdt/fdt.h"
#include "fdt/header.h"
#include "fdt/token.h"

/* Smallest structure block: FDT_BEGIN_NODE, the root's empty name padded
 * to one word, FDT_END_NODE, FDT_END. */
#define FDT_MIN_STRUCT_BYTES (4u * FDT_TOKEN_BYTES)

uint32_t fdt_cell32(const void *cells, unsigned index)
{
	return fdt_be32((const uint8_t *)cells + (size_t)index * FDT_CELL_BYTES);
}

/* Cells beyond the low two are shifted out: callers check ncells first. */
uint64_t fdt_read_cells(const void *cells, unsigned index, unsigned ncells)
{
	uint64_t value = 0;

	for (unsigned i = 0; i < ncells; i++)
		value = value << 32 | fdt_cell32(cells, index + i);
	return value;
}

/* Version 16 has no size_dt_struct: bound the structure block by the
 * strings block if that follows it, else by totalsize. The walk itself
 * stops at FDT_END. */
static int v16_struct_bytes(const struct fdt *fdt, uint32_t *struct_bytes)
{
	uint32_t end_off = fdt->total_bytes;

	if (fdt->struct_off > end_off)
		return -VBLK_EBADDT;
	if (fdt->strings_off > fdt->struct_off && fdt->strings_off < end_off)
		end_off = fdt->strings_off;
	*struct_bytes = (end_off - fdt->struct_off) & ~(FDT_TOKEN_BYTES - 1);
	return 0;
}

/* Blocks inside totalsize, clear of the header, the structure block
 * token-aligned (DT spec §5.4) and big enough for an empty root. */
static int check_blocks(const struct fdt *fdt, uint32_t rsvmap_off)
{
	if (fdt->struct_off % FDT_TOKEN_BYTES != 0 ||
	    fdt->struct_bytes % FDT_TOKEN_BYTES != 0 ||
	    fdt->struct_bytes < FDT_MIN_STRUCT_BYTES)
		return -VBLK_EBADDT;
	if (fdt->struct_off < HDR_BYTES_V16 || fdt->strings_off < HDR_BYTES_V16 ||
	    rsvmap_off < HDR_BYTES_V16 || rsvmap_off > fdt->total_bytes)
		return -VBLK_EBADDT;
	if (!fdt_in_block(fdt->struct_off, fdt->struct_bytes, fdt->total_bytes) ||
	    !fdt_in_block(fdt->strings_off, fdt->strings_bytes, fdt->total_bytes))
		return -VBLK_EBADDT;
	return 0;
}

int fdt_open(struct fdt *fdt, const void *blob, size_t max_bytes)
{
	const uint8_t *bytes = blob;
	struct fdt checked;
	uint32_t version, last_comp;
	int err;

	if (fdt == NULL)
		return -VBLK_EINVAL;
	/* Enough for the fields every accepted version has (v16). */
	if (blob == NULL || max_bytes < HDR_BYTES_V16 ||
	    fdt_be32(bytes + HDR_MAGIC) != FDT_MAGIC)
		return -VBLK_EBADDT;

	checked.blob = bytes;
	checked.total_bytes = fdt_be32(bytes + HDR_TOTALSIZE);
	version = fdt_be32(bytes + HDR_VERSION);
	last_comp = fdt_be32(bytes + HDR_LAST_COMP);
	if (checked.total_bytes > max_bytes ||
	    checked.total_bytes > FDT_MAX_TOTAL_BYTES)
		return -VBLK_EBADDT;
	if (version < FDT_FIRST_VERSION || last_comp > FDT_NEWEST_COMPAT ||
	    last_comp > version)
		return -VBLK_EBADDT;
	if (checked.total_bytes < (version >= FDT_VERSION_STRUCT_SIZE ?
				   HDR_BYTES_V17 : HDR_BYTES_V16))
		return -VBLK_EBADDT;

	checked.struct_off = fdt_be32(bytes + HDR_OFF_DT_STRUCT);
	checked.strings_off = fdt_be32(bytes + HDR_OFF_DT_STRINGS);
	checked.strings_bytes = fdt_be32(bytes + HDR_SIZE_DT_STRINGS);
	if (version >= FDT_VERSION_STRUCT_SIZE)
		checked.struct_bytes = fdt_be32(bytes + HDR_SIZE_DT_STRUCT);
	else if (v16_struct_bytes(&checked, &checked.struct_bytes) < 0)
		return -VBLK_EBADDT;
	err = check_blocks(&checked, fdt_be32(bytes + HDR_OFF_MEM_RSVMAP));
	if (err < 0)
		return err;

	*fdt = checked;
	return 0;
}
