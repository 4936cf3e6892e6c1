/* SPDX-License-Identifier: MIT */
/*
 * Finding partitions in a table already read: by their slot in the
 * array, by name (the UTF-16 label of §5.3.3, compared with ASCII) and by
 * type GUID; and the names of the defects a copy can have.
 */
#include <string.h>

#include "vblk/gpt.h"

#define ASCII_LIMIT 0x80u

const struct vblk_gpt_part *vblk_gpt_entry(const struct vblk_gpt *gpt, uint32_t entry_index)
{
	if (!gpt)
		return NULL;
	for (uint32_t i = 0; i < gpt->nparts; i++)
		if (gpt->parts[i].entry_index == entry_index)
			return &gpt->parts[i];
	return NULL;
}

/* Unit for unit: a code unit beyond ASCII equals no byte of `name`, and
 * a byte beyond ASCII in `name` (UTF-8, Latin-1) equals no unit. The
 * label ends at its first 0 unit or after all 36. */
static bool name_is(const struct vblk_gpt_part *part, const char *name)
{
	uint32_t i = 0;

	for (; i < VBLK_GPT_NAME_UNITS && part->name[i]; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == 0 || c >= ASCII_LIMIT || part->name[i] != c)
			return false;
	}
	return name[i] == '\0';
}

const struct vblk_gpt_part *vblk_gpt_find_name(const struct vblk_gpt *gpt, const char *name)
{
	if (!gpt || !name || !name[0])
		return NULL;
	for (uint32_t i = 0; i < gpt->nparts; i++)
		if (name_is(&gpt->parts[i], name))
			return &gpt->parts[i];
	return NULL;
}

const struct vblk_gpt_part *vblk_gpt_find_type(const struct vblk_gpt *gpt,
					       const struct vblk_guid *type)
{
	if (!gpt || !type)
		return NULL;
	for (uint32_t i = 0; i < gpt->nparts; i++)
		if (memcmp(gpt->parts[i].type.bytes, type->bytes, sizeof(type->bytes)) == 0)
			return &gpt->parts[i];
	return NULL;
}

size_t vblk_gpt_name_ascii(const struct vblk_gpt_part *part, char *buf, size_t len)
{
	size_t units = 0;

	if (!part)
		return 0;
	while (units < VBLK_GPT_NAME_UNITS && part->name[units])
		units++;
	for (size_t i = 0; buf && len > 0 && i < len - 1 && i < units; i++)
		buf[i] = part->name[i] < ASCII_LIMIT ? (char)part->name[i] : '?';
	if (buf && len > 0)
		buf[units < len - 1 ? units : len - 1] = '\0';
	return units;
}

static const char *const defect_names[VBLK_GPT_DEFECT_COUNT] = {
	[VBLK_GPT_SOUND] = "sound",
	[VBLK_GPT_NOT_CHECKED] = "not checked",
	[VBLK_GPT_READ_FAILED] = "could not be read",
	[VBLK_GPT_NO_SIGNATURE] = "no \"EFI PART\" signature",
	[VBLK_GPT_HEADER_SIZE] = "header size out of range",
	[VBLK_GPT_HEADER_CRC] = "header CRC wrong",
	[VBLK_GPT_MY_LBA] = "header not where it says it is",
	[VBLK_GPT_ALTERNATE_LBA] = "other header's LBA off the disk",
	[VBLK_GPT_USABLE_RANGE] = "usable range empty, off the disk or over a header",
	[VBLK_GPT_ENTRY_SIZE] = "entry size not 128 x 2^n",
	[VBLK_GPT_ARRAY_TOO_BIG] = "partition array too large",
	[VBLK_GPT_ARRAY_BOUNDS] = "partition array off the disk or over the usable range",
	[VBLK_GPT_ARRAY_CRC] = "partition array CRC wrong",
	[VBLK_GPT_PART_RANGE] = "a partition outside the usable range or ending before it starts",
	[VBLK_GPT_PART_OVERLAP] = "two partitions overlap",
	[VBLK_GPT_TOO_MANY_PARTS] = "more partitions than vblk keeps",
	[VBLK_GPT_MISMATCH] = "backup describes another table",
	[VBLK_GPT_NOT_AT_END] = "backup not at the disk's last block",
};

const char *vblk_gpt_defect_name(enum vblk_gpt_defect defect)
{
	if ((unsigned)defect >= VBLK_GPT_DEFECT_COUNT)
		return "unknown defect";
	return defect_names[defect];
}
