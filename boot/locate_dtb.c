/* SPDX-License-Identifier: MIT */
/*
 * Where the device tree is: x0 of an Image boot, else the start of RAM
 * where QEMU copies it for an ELF boot, and only a believable blob there
 * (x0 an aligned address in RAM, FDT magic, a sane size, not inside our
 * own image).
 *
 * Apart from the runtime's bring-up (boot/rt.c) because three callers at
 * three moments need it: EL3 before the drop to Non-secure (boot/el3.c),
 * the RAM check before .bss is zeroed (boot/ram_check.c), and rt_start().
 * So it uses no static data.
 */
#include <stdbool.h>

#include "boot/boot.h"
#include "drivers/pl011.h"
#include "fdt/fdt.h"

/* Where QEMU copies the DTB for an ELF boot: the start of RAM. */
#define RT_DTB_ELF_ADDR      0x40000000u
/* QEMU virt's RAM starts there (linker.ld's RAM_BASE); below 1 TiB on
 * its CPUs with 40-bit physical addresses (cortex-a53, -a57, -a72), the
 * bound kept for all. The boot protocol puts the DTB in RAM on an 8-byte
 * boundary (Linux's Documentation/arch/arm64/booting.rst). Where RAM
 * ends is in the DTB itself, so an address past it cannot be told from
 * one inside before reading. */
#define RT_RAM_BASE          0x40000000ull
#define RT_RAM_LIMIT         (1ull << 40)
#define RT_DTB_ALIGN         8u
/* A DTB is at least its 40-byte header (DT spec v0.4 §5.2) and at most
 * 2 MiB (Linux arm64 booting.rst; QEMU's is 1 MiB). Keep in step with
 * DTB_MAX_BYTES in start.S. */
#define RT_DTB_MIN_BYTES     40u
#define RT_DTB_MAX_BYTES     0x200000u
#define FDT_TOTALSIZE_CELL   1             /* header word: totalsize */

/* Linker symbols: the whole image, code to stack. */
extern char __image_start[], _end[];

static bool overlaps_image(uintptr_t start, size_t len_bytes)
{
	return start < (uintptr_t)_end && start + len_bytes > (uintptr_t)__image_start;
}

/* A believable DTB at `addr`: FDT magic, a sane totalsize, and not inside
 * our own image. Returns its size, or 0 (saying why if `report`). */
static size_t dtb_size_at(uintptr_t addr, bool report)
{
	const void *blob = (const void *)addr;

	if (addr == 0 || fdt_cell32(blob, 0) != FDT_MAGIC)
		return 0;
	uint32_t total_bytes = fdt_cell32(blob, FDT_TOTALSIZE_CELL);
	if (total_bytes < RT_DTB_MIN_BYTES || total_bytes > RT_DTB_MAX_BYTES) {
		if (report)
			pl011_puts("vblk: DTB with implausible totalsize ignored\n");
		return 0;
	}
	if (overlaps_image(addr, total_bytes)) {
		if (report)
			pl011_puts("vblk: DTB overlapping the image ignored\n");
		return 0;
	}
	return total_bytes;
}

/*
 * Can x0 be a DTB at all? A loader that does not follow the arm64 boot
 * protocol leaves something else there: U-Boot's `go`, `bootelf` and
 * standalone `bootm` pass argc (1 for `bootm ADDR`). Read as an address,
 * that is flash, and with secure=on Secure flash, which a Non-secure
 * read takes as a synchronous external abort; a misaligned address
 * faults with the MMU off. Only an aligned address from RAM's base up is
 * read (a loader that passes a pointer past the end of RAM is not told
 * apart: see RT_RAM_LIMIT).
 */
static bool could_be_dtb(uint64_t entry_x0)
{
	return entry_x0 >= RT_RAM_BASE && entry_x0 < RT_RAM_LIMIT &&
	       entry_x0 % RT_DTB_ALIGN == 0;
}

static const void *locate_dtb(uint64_t entry_x0, size_t *len_bytes, bool report)
{
	*len_bytes = 0;
	if (could_be_dtb(entry_x0) && (*len_bytes = dtb_size_at((uintptr_t)entry_x0, report)) != 0)
		return (const void *)(uintptr_t)entry_x0;
	if ((*len_bytes = dtb_size_at(RT_DTB_ELF_ADDR, report)) != 0)
		return (const void *)(uintptr_t)RT_DTB_ELF_ADDR;
	return NULL;
}

const void *boot_locate_dtb(uint64_t entry_x0, size_t *len_bytes)
{
	return locate_dtb(entry_x0, len_bytes, true);
}

const void *boot_locate_dtb_quietly(uint64_t entry_x0, size_t *len_bytes)
{
	return locate_dtb(entry_x0, len_bytes, false);
}
