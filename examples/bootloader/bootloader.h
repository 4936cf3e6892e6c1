/* SPDX-License-Identifier: MIT */
/*
 * examples/bootloader: a small bootloader on the vblk runtime that loads
 * arm64 Linux from a GPT disk and starts it (issue 20).
 *
 *   main.c      the steps, their timings and messages
 *   find.c      the first disk whose GPT has a partition labelled "kernel"
 *   load.c      reading a partition into RAM with the asynchronous API
 *   image.c     the arm64 Image header and where everything goes in RAM
 *   chosen.c    the device tree handed on: a copy with /chosen filled in
 *   handover.S  cache maintenance, and entering the kernel at EL1
 */
#ifndef BOOTLOADER_H
#define BOOTLOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "vblk/gpt.h"
#include "vblk/vblk.h"

#define MIB (1024u * 1024u)

/* ---- find.c ---- */
struct boot_disk {
	struct vblk_disk *disk;
	unsigned index;                  /* vblk_disk(index) */
	struct vblk_part kernel, initrd, cmdline;
	bool has_initrd, has_cmdline;
	bool gpt_from_backup;            /* the primary table was defective */
};

/* 0, or -VBLK_ENODEV when no disk holds a partition labelled "kernel"
 * (each disk's reason is printed). */
int find_boot_disk(struct boot_disk *found);

/* ---- load.c ---- */
/* Read the first `bytes` of a partition (rounded up to its disk's logical
 * block) to `dest`, 64-byte aligned, with several large bios in flight.
 * 0 or a vblk error. */
int load_partition(const struct vblk_part *part, void *dest, uint64_t bytes);
uint64_t part_bytes(const struct vblk_part *part);
/* The bytes load_partition writes for `bytes`: a whole number of blocks. */
uint64_t load_span(const struct vblk_part *part, uint64_t bytes);

/* ---- image.c ---- */
#define ARM64_IMAGE_HEADER_BYTES 64u

/* The arm64 Image header (Linux Documentation/arch/arm64/booting.rst). */
struct arm64_image {
	uint64_t text_offset;   /* from a 2 MiB-aligned base */
	uint64_t image_size;    /* bytes from the start the kernel uses, .bss included */
	uint64_t flags;
};
/* 0, or -VBLK_EINVAL for no "ARM\x64" magic or a big-endian kernel. */
int arm64_image_parse(const uint8_t *header, uint64_t file_bytes, struct arm64_image *image);
/* The file's length by an EFI-stub Image's PE/COFF section table in the
 * first `header_bytes`; 0 when they hold none (or not all of it). */
uint64_t arm64_image_file_bytes(const uint8_t *header, uint32_t header_bytes);

struct boot_region {
	uint64_t base, bytes;
};

/* Where the kernel, the initrd and the device tree go: in that order,
 * upwards from the 2 MiB below `from`, clear of `reserved` (the
 * bootloader itself, the device tree it was given), below ram_end. */
struct boot_plan {
	uint64_t kernel_base;    /* 2 MiB aligned */
	uint64_t kernel_entry;   /* kernel_base + text_offset */
	struct boot_region initrd, dtb;
};
/* 0, or -VBLK_ERANGE if they do not fit in RAM. */
int boot_plan_make(struct boot_plan *plan, uint64_t from, uint64_t ram_end,
		   const struct boot_region *reserved, unsigned nreserved,
		   const struct arm64_image *image, uint64_t kernel_load_bytes,
		   uint64_t initrd_bytes, uint64_t dtb_bytes);

/* ---- chosen.c ---- */
/* The command line: the `cmdline` partition's text if there is one, else
 * BOOT_CMDLINE (build time). 0, -VBLK_ETOOBIG for a text of
 * CMDLINE_MAX_BYTES or more, or a vblk error. */
#define CMDLINE_MAX_BYTES 2048u   /* arm64 Linux's COMMAND_LINE_SIZE */
int read_cmdline(const struct boot_disk *boot, char *cmdline);

/* The device tree's totalsize, and the bytes its copy gets: that with
 * room for our edits. -VBLK_EBADDT, or -VBLK_ETOOBIG past 2 MiB. */
int dtb_sizes(const void *dtb, uint64_t max_bytes, uint32_t *total_bytes,
	      uint32_t *copy_bytes);

/* Copy the tree to `dest` (dest_bytes owned) and set /chosen: bootargs,
 * and linux,initrd-start/-end, both 0 when initrd.bytes is 0 (so an
 * initrd the tree already named, QEMU's -initrd, is not taken). */
int write_chosen(void *dest, uint64_t dest_bytes, const void *dtb, uint32_t dtb_total,
		 const char *cmdline, struct boot_region initrd);

/* ---- handover.S ---- */
void boot_clean_dcache_poc(uint64_t start, uint64_t end);
_Noreturn void boot_enter_el1(uint64_t entry, uint64_t dtb);

#endif
