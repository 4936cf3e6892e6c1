/* SPDX-License-Identifier: MIT */
/*
 * The device tree the kernel gets: a copy of the one QEMU gave us, moved
 * to where the plan says (clear of the kernel, the initrd and ourselves),
 * with /chosen set (Linux Documentation/devicetree/bindings/chosen.txt):
 * bootargs, and linux,initrd-start / linux,initrd-end (the end exclusive;
 * both 0 when there is no initrd). The copy gets room for those edits; the writer
 * (vblk/fdt_edit.h) grows the blob within it.
 */
#include <stdio.h>
#include <string.h>

#include "vblk/error.h"
#include "vblk/fdt_edit.h"
#include "bootloader.h"

#ifndef BOOT_CMDLINE
#define BOOT_CMDLINE "console=ttyAMA0"   /* make bootloader BOOT_CMDLINE="..." */
#endif

/* Room for our edits: bootargs, two 8-byte properties, their names and
 * /chosen itself, with a margin. */
#define DT_EDIT_ROOM (CMDLINE_MAX_BYTES + 1024u)
/* booting.rst: the tree must not exceed 2 MiB. */
#define DT_MAX_BYTES (2u * MIB)

static uint8_t cmdline_block[4096] VBLK_ALIGNED;

/* The partition's text up to its first NUL, line breaks as spaces,
 * trailing white space dropped. */
static int cmdline_from_part(const struct vblk_part *part, char *cmdline)
{
	uint64_t bytes = part_bytes(part);
	uint32_t block = vblk_disk_info(part->disk)->block_size_bytes;
	size_t len = 0;
	int err;

	if (bytes > sizeof(cmdline_block))
		bytes = sizeof(cmdline_block);
	bytes = bytes / block * block;
	if (bytes == 0)
		return -VBLK_ERANGE;
	err = vblk_part_read(part, 0, cmdline_block, (uint32_t)(bytes / VBLK_SECTOR_SIZE));
	if (err)
		return err;
	while (len < bytes && cmdline_block[len] != '\0') {
		if (len == CMDLINE_MAX_BYTES - 1)
			return -VBLK_ETOOBIG;
		char c = (char)cmdline_block[len];
		cmdline[len++] = c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
	}
	while (len > 0 && cmdline[len - 1] == ' ')
		len--;
	cmdline[len] = '\0';
	return 0;
}

int read_cmdline(const struct boot_disk *boot, char *cmdline)
{
	_Static_assert(sizeof(BOOT_CMDLINE) <= CMDLINE_MAX_BYTES, "BOOT_CMDLINE too long");
	if (boot->has_cmdline)
		return cmdline_from_part(&boot->cmdline, cmdline);
	memcpy(cmdline, BOOT_CMDLINE, sizeof(BOOT_CMDLINE));
	return 0;
}

int dtb_sizes(const void *dtb, uint64_t max_bytes, uint32_t *total_bytes,
	      uint32_t *copy_bytes)
{
	int total = vblk_fdt_total_bytes(dtb, max_bytes);

	if (total < 0)
		return total;
	if ((uint64_t)total + DT_EDIT_ROOM > DT_MAX_BYTES)
		return -VBLK_ETOOBIG;
	*total_bytes = (uint32_t)total;
	*copy_bytes = (uint32_t)total + DT_EDIT_ROOM;
	return 0;
}

int write_chosen(void *dest, uint64_t dest_bytes, const void *dtb, uint32_t dtb_total,
		 const char *cmdline, struct boot_region initrd)
{
	int err;

	memcpy(dest, dtb, dtb_total);
	memset((uint8_t *)dest + dtb_total, 0, dest_bytes - dtb_total);
	err = vblk_fdt_add_node(dest, dest_bytes, "/chosen");
	if (!err)
		err = vblk_fdt_set_string(dest, dest_bytes, "/chosen", "bootargs", cmdline);
	/* Without an initrd both are 0, which Linux takes as none: the tree
	 * QEMU wrote may name its own -initrd's memory, which the plan did
	 * not keep clear and the kernel may now lie over. */
	uint64_t start = initrd.bytes != 0 ? initrd.base : 0;
	uint64_t end = initrd.bytes != 0 ? initrd.base + initrd.bytes : 0;
	if (!err)
		err = vblk_fdt_set_u64(dest, dest_bytes, "/chosen", "linux,initrd-start", start);
	if (!err)
		err = vblk_fdt_set_u64(dest, dest_bytes, "/chosen", "linux,initrd-end", end);
	return err;
}
