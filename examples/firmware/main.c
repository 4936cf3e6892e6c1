/* SPDX-License-Identifier: MIT */
/*
 * A firmware with its own boot code (start.S, firmware.ld) that uses vblk
 * as its storage layer: it links build/libvblk.a alone, without the vblk
 * runtime (no console driver, no GIC, no MMU set-up; the waits poll), and
 * talks to the outside world through semihosting.
 *
 * The MMU stays off, so every data access is Device-nGnRnE memory: QEMU
 * does not mind, hardware is slow and faults on unaligned accesses there.
 * libvblk is built with -mstrict-align and Debian's picolibc copies byte
 * by byte; a real firmware turns the MMU and caches on first, as the vblk
 * runtime does (boot/mmu.c).
 *
 * What it does, as firmware might with a boot header it keeps two copies
 * of: read the disk's first 4 KiB, write them to its last 4 KiB, flush,
 * and read that copy back to check it. Build and run:
 *
 *   make firmware
 *   qemu-system-aarch64 -machine virt -cpu cortex-a53 -nographic \
 *     -semihosting-config enable=on,target=native -kernel build/firmware.elf \
 *     -drive if=none,id=d0,format=raw,file=disk.img -device virtio-blk-device,drive=d0
 */
#include <stdint.h>
#include <string.h>

#include "vblk/vblk.h"

#define DTB_ADDR      0x40000000u   /* where QEMU puts the device tree */
#define DTB_MAX_BYTES 0x100000u     /* all of RAM below this image */
#define COPY_BYTES    4096u

static uint8_t header[COPY_BYTES] VBLK_ALIGNED;
static uint8_t copy[COPY_BYTES] VBLK_ALIGNED;

/* firmware.ld: where the buffers above (and libvblk's memory) live. */
extern uint8_t __bss_start[], __bss_end[];

/* ---- semihosting (Arm's "Semihosting for AArch32 and AArch64") ------ */

#define SYS_WRITE0 0x04
#define SYS_EXIT   0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static uint64_t semihosting(uint64_t op, const void *param)
{
	register uint64_t x0 __asm__("x0") = op;
	register const void *x1 __asm__("x1") = param;
	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	return x0;
}

static void put(const char *text)
{
	semihosting(SYS_WRITE0, text);
}

static void put_u64(uint64_t value)
{
	char digits[21];
	char *end = &digits[sizeof(digits) - 1];

	*end = '\0';
	do {
		*--end = (char)('0' + value % 10);
		value /= 10;
	} while (value != 0);
	put(end);
}

/* Called by start.S with main's return value; never returns. */
void fw_exit(int status)
{
	uint64_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint64_t)status };
	for (;;)
		semihosting(SYS_EXIT, block);
}

/* ---- the firmware ---------------------------------------------------- */

static int failed(const char *step, int err)
{
	put("firmware: ");
	put(step);
	put(" failed: ");
	put(vblk_strerror(err));
	put("\n");
	return 1;
}

int main(void)
{
	/* The disk may only be handed our own buffers: a stray pointer is
	 * then -VBLK_EFAULT, not a device QEMU gives up on. */
	const struct vblk_dma_range bss = {
		(uintptr_t)__bss_start, (uint64_t)(__bss_end - __bss_start),
	};
	int err = vblk_set_dma_ranges(&bss, 1);
	if (err < 0)
		return failed("setting the DMA ranges", err);

	int ndisks = vblk_init_from_dt((const void *)(uintptr_t)DTB_ADDR, DTB_MAX_BYTES);
	if (ndisks < 0)
		return failed("reading the device tree", ndisks);
	if (ndisks == 0) {
		put("firmware: no virtio-blk disk\n");
		return 1;
	}

	struct vblk_disk *disk = vblk_disk(0);
	uint64_t capacity = vblk_capacity(disk);
	uint32_t sectors = COPY_BYTES / VBLK_SECTOR_SIZE;
	put("firmware: disk 0 has ");
	put_u64(capacity);
	put(" sectors\n");
	if (capacity < 2u * sectors) {
		put("firmware: disk 0 is smaller than two copies\n");
		return 1;
	}

	/* Block-size alignment: the copy goes to the last whole 4 KiB. */
	uint64_t copy_sector = (capacity - sectors) / sectors * sectors;
	err = vblk_read(disk, 0, header, sectors);
	if (err)
		return failed("reading the header", err);
	err = vblk_write(disk, copy_sector, header, sectors);
	if (err)
		return failed("writing the copy", err);
	err = vblk_flush(disk);
	if (err)
		return failed("flushing", err);
	err = vblk_read(disk, copy_sector, copy, sectors);
	if (err)
		return failed("reading the copy back", err);
	if (memcmp(header, copy, COPY_BYTES) != 0) {
		put("firmware: the copy read back differs\n");
		return 1;
	}

	put("firmware: first 4 KiB copied to sector ");
	put_u64(copy_sector);
	put(" and checked\n");
	vblk_shutdown();   /* hand the devices over reset, as a loader would */
	return 0;
}
