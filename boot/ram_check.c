/* SPDX-License-Identifier: MIT */
/*
 * Does the image fit in RAM? rt_check_ram() asks before start.S zeroes
 * .bss, and keeps the board it parsed for rt_start() (boot_early_board).
 *
 * Apart from the bring-up (boot/rt.c) because it runs under rules of its
 * own: on the early stack, before .bss is zeroed and perhaps with part of
 * it outside RAM, so nothing here or below it may use static data in
 * .bss.
 */
#include <stdbool.h>

#include "boot/boot.h"
#include "boot/rawprint.h"
#include "drivers/board.h"
#include "drivers/pl011.h"

/* rt_check_ram()'s reading of the device tree, kept for rt_start(): it
 * runs before .bss is zeroed, so this lives in .data (the loader wrote
 * it), and parsing the tree once instead of twice saves a third of the
 * time before main() (docs/performance.md, "Boot"). `blob` NULL: none. */
static struct {
	const void *blob;
	size_t blob_bytes;
	struct board_info board;
} early __attribute__((section(".data.rt_early")));

/* Linker symbols: the whole image, code to stack. */
extern char __image_start[], _end[];

#define RT_RAM_EXIT_STATUS   1     /* as a main() that failed */
#define MIB_SHIFT            20
#define MIB_BYTES            (UINT64_C(1) << MIB_SHIFT)

/* The end of the RAM that holds `addr`: the DT memory range it lies in,
 * and any that follow on without a gap (QEMU gives each NUMA node its
 * own); 0 if no range holds it. */
static uint64_t ram_end_from(const struct board_info *info, uint64_t addr)
{
	uint64_t end = 0;
	bool grew = true;

	for (unsigned i = 0; i < info->memory_count; i++) {
		const struct board_region *range = &info->memory[i];

		if (addr >= range->base && addr - range->base < range->size_bytes)
			end = range->base + range->size_bytes;
	}
	while (end != 0 && grew) {
		grew = false;
		for (unsigned i = 0; i < info->memory_count; i++) {
			if (info->memory[i].base == end) {
				end += info->memory[i].size_bytes;
				grew = true;
			}
		}
	}
	return end;
}

/*
 * Does the image fit in RAM, .bss and the boot stack included? start.S asks
 * before it zeroes .bss: one that runs past the end of RAM (a large
 * VBLK_QUEUE_SIZE or VBLK_MAX_DISKS, a program's big static array, too
 * small a -m) would end in a data abort that names nothing. QEMU refuses
 * only an image larger than all of RAM, though it loads it 2 MiB in.
 *
 * This runs on the early stack (linker.ld), with nothing in .bss zeroed
 * and part of it perhaps not in RAM, so neither it nor what it calls uses
 * static data there: the DTB lookup and board_from_fdt() keep to the
 * stack; the UART's base and semihosting's state live in .data; the PSCI
 * conduit is read for the exit, not kept (boot_exit_early). Without a DTB or a memory node holding the
 * image there is nothing to check against: it returns, and rt_start() says
 * what is wrong with the DTB.
 */
void rt_check_ram(uint64_t entry_x0)
{
	struct board_info *info = &early.board;
	size_t blob_bytes;
	const void *blob = boot_locate_dtb_quietly(entry_x0, &blob_bytes);
	uint64_t start = (uintptr_t)__image_start, end = (uintptr_t)_end, ram_end;

	early.blob = NULL;
	if (blob == NULL || board_from_fdt(info, blob, blob_bytes) < 0)
		return;
	early.blob = blob;
	early.blob_bytes = blob_bytes;
	ram_end = ram_end_from(info, start);
	if (ram_end == 0 || end <= ram_end)
		return;
	if (info->uart_base != 0)
		pl011_init((uintptr_t)info->uart_base);
	pl011_puts("vblk: image needs ");
	raw_put_dec((end - start + MIB_BYTES - 1) >> MIB_SHIFT);
	pl011_puts(" MiB of RAM from ");
	raw_put_hex(start);
	pl011_puts(", machine has ");
	raw_put_dec((ram_end - start) >> MIB_SHIFT);
	pl011_puts(" MiB there (RAM ends at ");
	raw_put_hex(ram_end);
	pl011_puts("): give it more memory, or the image less .bss\n");
	boot_exit_early(RT_RAM_EXIT_STATUS, blob, blob_bytes);
}

uint64_t boot_ram_end(const struct board_info *info, uint64_t addr)
{
	return ram_end_from(info, addr);
}

const struct board_info *boot_early_board(const void *blob, size_t blob_bytes)
{
	if (blob == NULL || blob != early.blob || blob_bytes != early.blob_bytes)
		return NULL;
	return &early.board;
}
