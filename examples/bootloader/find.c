/* SPDX-License-Identifier: MIT */
/*
 * Which disk to boot: the first, in vblk's disk order (MMIO by address,
 * then PCI by bus), whose GUID partition table holds a partition
 * labelled "kernel"; from the same table, optionally "initrd" and
 * "cmdline". The table is read by the library (vblk/gpt.h), which falls
 * back to the backup copy when the primary is defective.
 */
#include <stdio.h>

#include "vblk/error.h"
#include "bootloader.h"

static struct vblk_gpt gpt;   /* ~34 KiB: the table and its read buffer */

static bool open_named(struct vblk_part *part, struct vblk_disk *disk, const char *name)
{
	const struct vblk_gpt_part *entry = vblk_gpt_find_name(&gpt, name);

	return entry != NULL && vblk_part_open(part, disk, &gpt, entry) == 0;
}

static void print_part(const char *name, const struct vblk_part *part)
{
	printf("  %-8s sectors %llu..%llu (%llu KiB)\n", name,
	       (unsigned long long)part->first_sector,
	       (unsigned long long)(part->first_sector + part->nsectors - 1),
	       (unsigned long long)(part->nsectors / 2));
}

/* Does disk `index` hold a bootable table? Says why not. */
static bool try_disk(unsigned index, struct boot_disk *found)
{
	struct vblk_disk *disk = vblk_disk(index);
	int err = vblk_gpt_read_disk(disk, &gpt);

	if (err) {
		printf("disk %u: no usable GPT: %s\n", index, vblk_strerror(err));
		if (err == -VBLK_EBADGPT)
			printf("  primary table: %s; backup table: %s\n",
			       vblk_gpt_defect_name(gpt.primary_defect),
			       vblk_gpt_defect_name(gpt.backup_defect));
		return false;
	}
	/* One copy is damaged or misplaced: boot from the other, and say so (a
	 * partitioning tool repairs it: gdisk's verify and write, sgdisk -e). */
	if (gpt.from_backup)
		printf("disk %u: primary GPT damaged (%s), reading the backup\n", index,
		       vblk_gpt_defect_name(gpt.primary_defect));
	else if (gpt.backup_defect != VBLK_GPT_SOUND)
		printf("disk %u: backup GPT needs repair (%s), reading the primary\n", index,
		       vblk_gpt_defect_name(gpt.backup_defect));
	if (!open_named(&found->kernel, disk, "kernel")) {
		printf("disk %u: GPT with %u partition(s), none labelled \"kernel\"\n", index,
		       (unsigned)gpt.nparts);
		return false;
	}
	found->disk = disk;
	found->index = index;
	found->gpt_from_backup = gpt.from_backup;
	found->has_initrd = open_named(&found->initrd, disk, "initrd");
	found->has_cmdline = open_named(&found->cmdline, disk, "cmdline");
	printf("disk %u: GPT (%s) with %u partition(s)\n", index,
	       gpt.from_backup ? "backup copy: the primary is defective" : "primary",
	       (unsigned)gpt.nparts);
	if (gpt.from_backup)
		printf("  primary table: %s\n", vblk_gpt_defect_name(gpt.primary_defect));
	print_part("kernel", &found->kernel);
	if (found->has_initrd)
		print_part("initrd", &found->initrd);
	if (found->has_cmdline)
		print_part("cmdline", &found->cmdline);
	return true;
}

int find_boot_disk(struct boot_disk *found)
{
	unsigned count = (unsigned)vblk_disk_count();

	for (unsigned index = 0; index < count; index++) {
		if (try_disk(index, found))
			return 0;
	}
	return -VBLK_ENODEV;
}
