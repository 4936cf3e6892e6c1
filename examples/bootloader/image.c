/* SPDX-License-Identifier: MIT */
/*
 * The arm64 Image header and the placement of what the bootloader loads
 * (Linux Documentation/arch/arm64/booting.rst):
 *  - the kernel at a 2 MiB-aligned base plus the header's text_offset,
 *    with image_size bytes from there its own (the file plus .bss);
 *  - the initrd anywhere in RAM the kernel can map, here just after it;
 *  - the device tree 8-byte aligned, at most 2 MiB, here after the initrd.
 * Each region is placed upwards, clear of what must not be overwritten
 * while we run (the bootloader itself, the tree we were given).
 */
#include <stddef.h>
#include <string.h>

#include "vblk/error.h"
#include "bootloader.h"

/* Header fields (booting.rst, "Call the kernel image"), little-endian. */
#define HDR_TEXT_OFFSET   8u
#define HDR_IMAGE_SIZE   16u
#define HDR_FLAGS        24u
#define HDR_MAGIC        56u
#define IMAGE_MAGIC      0x644d5241u   /* "ARM\x64" */
#define FLAG_BE          0x1u          /* bit 0: big-endian kernel */
/* A kernel older than v3.17 says image_size 0 and text_offset may be
 * anything; booting.rst: assume 0x80000 then. */
#define OLD_TEXT_OFFSET  0x80000u

#define KERNEL_ALIGN     (2u * MIB)
#define DATA_ALIGN       4096u         /* initrd and tree on their own pages */

static uint64_t le64(const uint8_t *bytes)
{
	uint64_t value = 0;

	for (unsigned i = 0; i < 8; i++)
		value |= (uint64_t)bytes[i] << (8 * i);
	return value;
}

int arm64_image_parse(const uint8_t *header, uint64_t file_bytes, struct arm64_image *image)
{
	if ((uint32_t)le64(header + HDR_MAGIC) != IMAGE_MAGIC)
		return -VBLK_EINVAL;
	image->text_offset = le64(header + HDR_TEXT_OFFSET);
	image->image_size = le64(header + HDR_IMAGE_SIZE);
	image->flags = le64(header + HDR_FLAGS);
	if (image->image_size == 0) {
		image->text_offset = OLD_TEXT_OFFSET;
		image->image_size = file_bytes;
	}
	if ((image->flags & FLAG_BE) != 0 || image->text_offset % 4096u != 0)
		return -VBLK_EINVAL;
	return 0;
}

/* PE/COFF (Microsoft's PE format): the MS-DOS header's e_lfanew gives
 * the PE signature's offset; the COFF file header follows the signature,
 * the optional header follows that, then the section table. Offsets from
 * the signature, and within one section header. */
#define DOS_HEADER_BYTES        0x40u
#define DOS_E_LFANEW            0x3cu
#define PE_SIGNATURE_BYTES      4u
#define PE_NUMBER_OF_SECTIONS   (PE_SIGNATURE_BYTES + 2u)
#define PE_SIZE_OF_OPT_HEADER   (PE_SIGNATURE_BYTES + 16u)
#define PE_HEADERS_BYTES        (PE_SIGNATURE_BYTES + 20u)  /* + the COFF file header */
#define SECTION_HEADER_BYTES    40u
#define SECTION_SIZE_OF_RAW     16u   /* SizeOfRawData */
#define SECTION_POINTER_TO_RAW  20u   /* PointerToRawData */

static uint32_t le_bytes(const uint8_t *bytes, unsigned count)
{
	uint32_t value = 0;

	for (unsigned i = 0; i < count; i++)
		value |= (uint32_t)bytes[i] << (8 * i);
	return value;
}

/*
 * An EFI-stub Image is a PE/COFF file too ("MZ" first, the PE header's
 * offset at 0x3c; Microsoft's PE format): the end of its last section's
 * raw data is the file's length, which the arm64 header does not give
 * (its image_size counts .bss, not the file). 0 when the first
 * `header_bytes` hold no such header or not its whole section table.
 */
uint64_t arm64_image_file_bytes(const uint8_t *header, uint32_t header_bytes)
{
	if (header_bytes < DOS_HEADER_BYTES || header[0] != 'M' || header[1] != 'Z')
		return 0;
	uint64_t pe = le_bytes(header + DOS_E_LFANEW, 4);
	if (pe + PE_HEADERS_BYTES > header_bytes ||
	    memcmp(header + pe, "PE\0\0", PE_SIGNATURE_BYTES) != 0)
		return 0;
	uint32_t nsections = le_bytes(header + pe + PE_NUMBER_OF_SECTIONS, 2);
	uint64_t table = pe + PE_HEADERS_BYTES + le_bytes(header + pe + PE_SIZE_OF_OPT_HEADER, 2);
	if (table + (uint64_t)SECTION_HEADER_BYTES * nsections > header_bytes)
		return 0;
	uint64_t end = 0;
	for (uint32_t i = 0; i < nsections; i++) {
		const uint8_t *section = header + table + SECTION_HEADER_BYTES * i;
		uint64_t raw_end = (uint64_t)le_bytes(section + SECTION_POINTER_TO_RAW, 4) +
				   le_bytes(section + SECTION_SIZE_OF_RAW, 4);
		if (raw_end > end)
			end = raw_end;
	}
	return end;
}

static uint64_t align_up(uint64_t value, uint64_t align)
{
	return (value + align - 1) & ~(align - 1);
}

/* The first `align`-aligned address at or above `from` where `bytes` fit
 * below ram_end without touching a reserved region; 0 if none. Each pass
 * either settles or moves past one region, so it ends. */
static uint64_t place(uint64_t from, uint64_t bytes, uint64_t align, uint64_t ram_end,
		      const struct boot_region *reserved, unsigned nreserved)
{
	uint64_t at = align_up(from, align);

	for (unsigned pass = 0; pass <= nreserved; pass++) {
		bool moved = false;

		if (at < from || bytes > ram_end || at > ram_end - bytes)
			return 0;
		for (unsigned i = 0; i < nreserved; i++) {
			const struct boot_region *r = &reserved[i];

			if (r->bytes != 0 && at < r->base + r->bytes && r->base < at + bytes) {
				at = align_up(r->base + r->bytes, align);
				moved = true;
			}
		}
		if (!moved)
			return at;
	}
	return 0;
}

int boot_plan_make(struct boot_plan *plan, uint64_t from, uint64_t ram_end,
		   const struct boot_region *reserved, unsigned nreserved,
		   const struct arm64_image *image, uint64_t kernel_load_bytes,
		   uint64_t initrd_bytes, uint64_t dtb_bytes)
{
	/* What the kernel owns: image_size, or what we load if that is more
	 * (a load rounded up to whole blocks), from text_offset on. */
	uint64_t kernel_size =
		kernel_load_bytes > image->image_size ? kernel_load_bytes : image->image_size;
	uint64_t next;

	memset(plan, 0, sizeof(*plan));
	/* A header whose text_offset and size pass 2^64 describes no kernel;
	 * their wrapped sum would plan a region shorter than the load, over
	 * whatever lies after it (this bootloader, say). */
	if (kernel_size > UINT64_MAX - image->text_offset)
		return -VBLK_ERANGE;
	uint64_t kernel_bytes = image->text_offset + kernel_size;
	plan->kernel_base = place(from & ~(uint64_t)(KERNEL_ALIGN - 1), kernel_bytes,
				  KERNEL_ALIGN, ram_end, reserved, nreserved);
	if (plan->kernel_base == 0)
		return -VBLK_ERANGE;
	plan->kernel_entry = plan->kernel_base + image->text_offset;
	next = plan->kernel_base + kernel_bytes;
	if (initrd_bytes != 0) {
		plan->initrd.base = place(next, initrd_bytes, DATA_ALIGN, ram_end, reserved,
					  nreserved);
		plan->initrd.bytes = initrd_bytes;
		if (plan->initrd.base == 0)
			return -VBLK_ERANGE;
		next = plan->initrd.base + initrd_bytes;
	}
	plan->dtb.base = place(next, dtb_bytes, DATA_ALIGN, ram_end, reserved, nreserved);
	plan->dtb.bytes = dtb_bytes;
	return plan->dtb.base == 0 ? -VBLK_ERANGE : 0;
}
