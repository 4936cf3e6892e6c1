/* SPDX-License-Identifier: MIT */
/*
 * The bootloader (`make bootloader`): boots arm64 Linux from a GPT disk.
 *
 *   qemu-system-aarch64 -machine virt -cpu cortex-a53 -m 512M -nographic \
 *       -semihosting-config enable=on,target=native \
 *       -kernel build/bootloader.elf -drive file=boot.img,if=virtio,format=raw
 *
 * (tools/mkbootdisk.sh makes boot.img from a kernel Image and an initrd.)
 * Steps, each timed: find the disks; find the first with a partition
 * labelled "kernel" (and "initrd", "cmdline"); read the kernel's Image
 * header; plan where the kernel, the initrd and the device tree go; load
 * them; write /chosen; shut the disks down; clean what we wrote to the
 * point of coherency and enter the kernel, at EL2 if we were started
 * there (the runtime's EL2 stub), else at EL1, MMU and caches off.
 * Anything missing or failing: a message and exit status 1.
 */
#include <stdio.h>
#include <string.h>

#include "vblk/error.h"
#include "vblk/runtime.h"
#include "bootloader.h"

extern char __image_start[], _end[];   /* the runtime's link map */

/* The Image's first bytes: its header, and an EFI stub's section table. */
#define HEADER_READ_BYTES 4096u
static uint8_t header_block[64 * 1024] VBLK_ALIGNED;
static char cmdline[CMDLINE_MAX_BYTES];

static uint64_t step_start_us;
static unsigned disk_intid;      /* registered for the boot disk, or 0 */

static void step_done(const char *what)
{
	uint64_t now = rt_time_us();

	printf("bootloader: %s in %llu us\n", what, (unsigned long long)(now - step_start_us));
	step_start_us = now;
}

static int fail(const char *what, int err)
{
	printf("bootloader: %s: %s\n", what, vblk_strerror(err));
	return 1;
}

/* Completions by interrupt when the GIC lets us: the loads sleep in wfi. */
static void use_interrupts(struct vblk_disk *disk)
{
	const struct vblk_info *info = vblk_disk_info(disk);

	if (rt_irq_register(info->intid, info->irq_edge, vblk_irq_handler, disk) == 0) {
		disk_intid = info->intid;
		vblk_use_interrupts(disk, true);
	}
}

static int read_image_header(const struct boot_disk *boot, struct arm64_image *image)
{
	/* The first 4 KiB, or one block if blocks are larger: the arm64
	 * header and an EFI stub's PE/COFF section table. */
	uint32_t block = vblk_disk_info(boot->disk)->block_size_bytes;
	uint64_t want = block > HEADER_READ_BYTES ? block : HEADER_READ_BYTES;

	if (want > sizeof(header_block)) {
		printf("bootloader: logical blocks of %u bytes: this bootloader reads at most %u\n",
		       (unsigned)block, (unsigned)sizeof(header_block));
		return 1;
	}
	if (want > part_bytes(&boot->kernel))
		want = part_bytes(&boot->kernel);   /* whole blocks: the partition's own */
	int err = vblk_part_read(&boot->kernel, 0, header_block, (uint32_t)(want / VBLK_SECTOR_SIZE));
	if (err)
		return fail("reading the kernel's header", err);
	if (want < ARM64_IMAGE_HEADER_BYTES ||
	    arm64_image_parse(header_block, part_bytes(&boot->kernel), image) != 0) {
		printf("bootloader: partition \"kernel\" holds no arm64 Image "
		       "(no ARM\\x64 magic, or big-endian)\n");
		return 1;
	}
	uint64_t file_bytes = arm64_image_file_bytes(header_block, (uint32_t)want);
	if (file_bytes > part_bytes(&boot->kernel)) {
		printf("bootloader: partition \"kernel\" holds %llu bytes of a %llu-byte Image "
		       "(its PE/COFF header says): truncated\n",
		       (unsigned long long)part_bytes(&boot->kernel), (unsigned long long)file_bytes);
		return 1;
	}
	printf("kernel: arm64 Image, text_offset 0x%llx, image_size %llu bytes, flags 0x%llx\n",
	       (unsigned long long)image->text_offset, (unsigned long long)image->image_size,
	       (unsigned long long)image->flags);
	return 0;
}

static int plan(const struct boot_disk *boot, const struct arm64_image *image,
		uint64_t kernel_bytes, uint32_t dtb_copy, uint32_t dtb_total,
		struct boot_plan *where)
{
	const struct boot_region reserved[] = {
		{ (uint64_t)__image_start, (uint64_t)(_end - __image_start) },
		{ (uint64_t)rt_dtb(), dtb_total },
	};
	const unsigned nreserved = sizeof(reserved) / sizeof(reserved[0]);
	uint64_t initrd = boot->has_initrd ? part_bytes(&boot->initrd) : 0;
	int err = boot_plan_make(where, (uint64_t)__image_start, rt_ram_end((uint64_t)_end),
				 reserved, nreserved, image, load_span(&boot->kernel, kernel_bytes),
				 initrd, dtb_copy);

	if (err) {
		/* (Not vblk_strerror's text: -VBLK_ERANGE speaks of sectors.) */
		printf("bootloader: no room in RAM below 0x%llx for the kernel (%llu bytes at "
		       "text_offset 0x%llx), the initrd (%llu bytes) and the device tree\n",
		       (unsigned long long)rt_ram_end((uint64_t)_end),
		       (unsigned long long)image->image_size,
		       (unsigned long long)image->text_offset, (unsigned long long)initrd);
		return 1;
	}
	printf("plan: kernel @ 0x%llx, initrd @ 0x%llx (%llu bytes), device tree @ 0x%llx\n",
	       (unsigned long long)where->kernel_entry, (unsigned long long)where->initrd.base,
	       (unsigned long long)where->initrd.bytes, (unsigned long long)where->dtb.base);
	return 0;
}

static int load(const struct boot_disk *boot, const struct boot_plan *where,
		uint64_t kernel_bytes)
{
	int err = load_partition(&boot->kernel, (void *)where->kernel_entry, kernel_bytes);

	if (err)
		return fail("loading the kernel", err);
	step_done("kernel loaded");
	if (boot->has_initrd) {
		err = load_partition(&boot->initrd, (void *)where->initrd.base, where->initrd.bytes);
		if (err)
			return fail("loading the initrd", err);
		step_done("initrd loaded");
	}
	return 0;
}

_Noreturn static void enter_kernel(const struct boot_plan *where, uint64_t loaded_end)
{
	bool el2 = rt_el2_available();

	printf("bootloader: entering the kernel at 0x%llx at EL%u, %llu us after reset\n",
	       (unsigned long long)where->kernel_entry, el2 ? 2u : 1u,
	       (unsigned long long)rt_time_us());
	boot_clean_dcache_poc(where->kernel_base, loaded_end);
	boot_clean_dcache_poc(where->dtb.base, where->dtb.base + where->dtb.bytes);
	if (el2)
		rt_enter_el2(where->kernel_entry, where->dtb.base);
	boot_enter_el1(where->kernel_entry, where->dtb.base);
}

/* Block devices the probe found but did not attach: more than the disk
 * pool holds (QEMU numbers disks from the last -device, so a boot disk
 * given first is the one left out), or a device that failed. Said
 * before "nothing to boot", which would otherwise hide the disk that
 * holds the kernel. */
static void report_unused_disks(void)
{
	const struct vblk_probe_entry *entries;
	unsigned count = vblk_probe_report(&entries);

	for (unsigned i = 0; i < count; i++) {
		const struct vblk_probe_entry *entry = &entries[i];

		if (entry->device_id != VBLK_DEVICE_ID_BLOCK || entry->result == 0)
			continue;
		if (entry->transport == VBLK_TRANSPORT_PCI)
			printf("bootloader: the disk at PCI %02x:%02x.%u is not used: %s\n",
			       (unsigned)entry->pci.bus, (unsigned)entry->pci.dev,
			       (unsigned)entry->pci.fn, vblk_strerror(entry->result));
		else
			printf("bootloader: the disk at virtio-mmio 0x%08llx is not used: %s\n",
			       (unsigned long long)entry->mmio_base, vblk_strerror(entry->result));
	}
}

int main(void)
{
	struct boot_disk boot;
	struct arm64_image image = { 0 };   /* -flto: GCC cannot see read_image_header set it */
	struct boot_plan where;
	uint32_t dtb_total, dtb_copy;
	uint64_t kernel_bytes;
	int ndisks, err;

	step_start_us = rt_time_us();
	printf("vblk bootloader: started at EL%u, device tree at %p\n", rt_boot_el(), rt_dtb());
	ndisks = vblk_init_from_dt(rt_dtb(), rt_dtb_max_bytes());
	if (ndisks <= 0) {
		printf("bootloader: no disk (attach one: -drive file=boot.img,if=virtio,format=raw)\n");
		return 1;
	}
	step_done("disks found");
	if (find_boot_disk(&boot) != 0) {
		report_unused_disks();
		printf("bootloader: no disk has a GPT partition labelled \"kernel\": nothing to boot\n");
		return 1;
	}
	step_done("partition table read");
	use_interrupts(boot.disk);
	if (read_image_header(&boot, &image) != 0)
		return 1;
	err = read_cmdline(&boot, cmdline);
	if (err == -VBLK_ETOOBIG) {
		printf("bootloader: the \"cmdline\" partition holds more than %u bytes of text\n",
		       CMDLINE_MAX_BYTES - 1);
		return 1;
	}
	if (err)
		return fail("reading the \"cmdline\" partition", err);
	printf("command line: \"%s\"%s\n", cmdline, boot.has_cmdline ? " (partition)" : "");
	err = dtb_sizes(rt_dtb(), rt_dtb_max_bytes(), &dtb_total, &dtb_copy);
	if (err)
		return fail("the device tree we were given", err);

	/* The file is at most image_size (which adds .bss), and the
	 * partition may be larger than the file. */
	kernel_bytes = part_bytes(&boot.kernel);
	if (kernel_bytes > image.image_size)
		kernel_bytes = image.image_size;
	if (plan(&boot, &image, kernel_bytes, dtb_copy, dtb_total, &where) != 0)
		return 1;
	if (load(&boot, &where, kernel_bytes) != 0)
		return 1;
	err = write_chosen((void *)where.dtb.base, where.dtb.bytes, rt_dtb(), dtb_total, cmdline,
			   where.initrd);
	if (err)
		return fail("writing /chosen", err);
	step_done("device tree written");

	err = vblk_shutdown();
	if (disk_intid != 0)
		rt_irq_unregister(disk_intid);
	if (err)
		return fail("shutting the disks down", err);
	enter_kernel(&where, boot.has_initrd ? where.initrd.base + where.initrd.bytes
					     : where.kernel_entry + load_span(&boot.kernel,
									      kernel_bytes));
}
