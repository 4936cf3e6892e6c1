/* SPDX-License-Identifier: MIT */
/*
 * The vblk runtime (include/vblk/runtime.h): from start.S to main(), and
 * what the program may ask about its boot afterwards (rt_board, rt_dtb,
 * rt_boot_times, ...).
 *
 * Around it: rt_check_ram() runs first, called by start.S before it zeroes
 * .bss, since the image must fit in the RAM the device tree describes
 * (boot/ram_check.c); the device tree is found by boot/locate_dtb.c; the
 * run ends in boot/exit.c (rt_exit: the disks shut down, then QEMU told).
 *
 * rt_start() runs once, at EL1 with the MMU off:
 *   1. find the device tree: x0 of an Image boot, else the start of RAM
 *      where QEMU copies it for an ELF boot;
 *   2. parse it into `board` (RAM, UART, GIC, timer, the PCI host's
 *      windows) and find the PSCI method (the disks' nodes are the
 *      library's: vblk_init_from_dt);
 *   3. identity-map RAM and devices, the PCI windows among them, and turn
 *      the MMU and caches on (boot/mmu.h; a window left unmapped is
 *      reported, and a PCI disk behind it cannot be used);
 *   4. take over the PL011 (stdio goes there, see drivers/console.c);
 *   5. set up the GIC and the timer and unmask IRQs (drivers/irq.c,
 *      drivers/timer.c), if the device tree names a GIC;
 *   6. run main() and exit with its status.
 */
#include <stdbool.h>

#include "boot/boot.h"
#include "boot/mmu.h"
#include "boot/rawprint.h"
#include "boot/sysreg.h"
#include "drivers/board.h"
#include "drivers/console.h"
#include "drivers/irq.h"
#include "drivers/pl011.h"
#include "drivers/semihosting.h"
#include "vblk/error.h"
#include "plat/platform.h"
#include "vblk/runtime.h"
#include "vblk/vblk.h"

/* Without a device tree: QEMU virt's default 128 MiB at 0x40000000. */
#define RT_FALLBACK_RAM_BASE  0x40000000u
#define RT_FALLBACK_RAM_BYTES (128u << 20)

#define RT_STRINGIFY_(x)     #x
#define RT_STRINGIFY(x)      RT_STRINGIFY_(x)

static struct board_info board;
static const void *dtb;
static size_t dtb_bytes;
static unsigned started_el;
static struct rt_boot_times boot_times;

static void find_dtb(uint64_t entry_x0, uint64_t dtb_lost)
{
	if (dtb_lost != 0) {
		pl011_puts("vblk: the DTB at ");
		raw_put_hex(dtb_lost);
		pl011_puts(" lay where .bss goes (loader ignored image_size?):"
			   " running without it\n");
	}
	dtb = boot_locate_dtb(entry_x0, &dtb_bytes);
}

/*
 * plat_cpu_relax() waits in `wfe`. Under QEMU and KVM that returns at
 * once (both treat it as a yield of the vCPU, which leaves the host's CPUs
 * to the device emulation a poll is waiting for). On hardware nothing
 * wakes it when a device writes memory, so turn on the generic timer's
 * event stream: an event every 2^(EVNTI+1) counter ticks bounds the wait
 * (about 1 us at QEMU's 62.5 MHz, EVNTI 5).
 */
#define RT_EVENT_STREAM_BIT 5u

static void start_event_stream(void)
{
	uint64_t cntkctl;

	__asm__ volatile("mrs %0, cntkctl_el1" : "=r"(cntkctl));
	cntkctl &= ~(uint64_t)CNTKCTL_EVNTI_MASK;
	cntkctl |= CNTKCTL_EVNTEN | (RT_EVENT_STREAM_BIT << CNTKCTL_EVNTI_SHIFT);
	__asm__ volatile("msr cntkctl_el1, %0\n\tisb" :: "r"(cntkctl) : "memory");
}

/* The GIC, then the timer plat_idle() sleeps on; IRQs are unmasked only
 * once the GIC is set up, every interrupt disabled. Without a GIC the
 * program runs polled, IRQs masked. */
static void start_interrupts(void)
{
	int err = irq_init(&board);

	if (err < 0) {
		if (board.gic_version != 0) {
			pl011_puts("vblk: GIC not usable (");
			pl011_puts(vblk_strerror(err));
			pl011_puts("): running without interrupts\n");
		}
		return;
	}
	if (timer_init(&board) < 0)
		pl011_puts("vblk: the virtual timer's interrupt does not arrive:"
			   " plat_idle() polls\n");
	__asm__ volatile("msr daifclr, #" RT_STRINGIFY(DAIF_CLR_IRQ) ::: "memory");
}

/* Say why a device region of the board (a PCI window) stays unmapped:
 * the library's accesses there would fault. */
static void report_unmapped(const struct board_region *region, int err)
{
	if (err == 0)
		return;
	pl011_puts("vblk: device region ");
	raw_put_hex(region->base);
	pl011_puts(" (");
	raw_put_hex(region->size_bytes);
	pl011_puts(" bytes) not mapped: ");
	if (err == -VBLK_ERANGE) {
		pl011_puts("beyond the CPU's ");
		raw_put_dec(mmu_pa_bits());
		pl011_puts("-bit physical addresses\n");
	} else if (err == -VBLK_ENOMEM) {
		pl011_puts("page table pool exhausted\n");
	} else {
		pl011_puts("empty, wrapping or overlapping RAM\n");
	}
}

/* The disks may be given buffers in RAM only (vblk_set_dma_ranges): a
 * pointer elsewhere, into flash or a device's registers, is refused with
 * -VBLK_EFAULT instead of reaching QEMU. */
static void give_dma_ranges(const struct board_region *ram, unsigned ram_count)
{
	struct vblk_dma_range ranges[VBLK_MAX_DMA_RANGES];

	_Static_assert(BOARD_MAX_MEMORY <= VBLK_MAX_DMA_RANGES, "every RAM region a range");
	for (unsigned i = 0; i < ram_count; i++)
		ranges[i] = (struct vblk_dma_range){ ram[i].base, ram[i].size_bytes };
	if (vblk_set_dma_ranges(ranges, ram_count) < 0)
		pl011_puts("vblk: RAM regions not usable as DMA ranges: buffers go unchecked\n");
}

static void map_memory(void)
{
	int device_result[BOARD_MAX_DEVICE];
	static const struct board_region fallback = {
		.base = RT_FALLBACK_RAM_BASE, .size_bytes = RT_FALLBACK_RAM_BYTES,
	};
	const struct board_region *ram = board.memory;
	unsigned ram_count = board.memory_count;

	if (ram_count == 0) {
		pl011_puts("vblk: no RAM in a DT: mapping QEMU virt's default"
			   " 128 MiB at 0x40000000\n");
		ram = &fallback;
		ram_count = 1;
	}
	if (mmu_init(ram, ram_count, board.device, board.device_count, device_result) < 0)
		pl011_puts("vblk: page table pool exhausted: some RAM is not mapped\n");
	give_dma_ranges(ram, ram_count);
	for (unsigned i = 0; i < board.device_count; i++)
		report_unmapped(&board.device[i], device_result[i]);
}

/* Counter ticks in microseconds, as plat_time_us() reads them. */
static uint64_t ticks_to_us(uint64_t ticks)
{
	uint64_t hz = plat_counter_hz();
	return (ticks / hz) * 1000000u + (ticks % hz) * 1000000u / hz;
}

_Noreturn void rt_start(uint64_t entry_x0, unsigned boot_el, uint64_t dtb_lost,
			uint64_t entry_ticks, uint64_t zeroing_ticks)
{
	boot_times.entry_us = ticks_to_us(entry_ticks);
	boot_times.zeroing_us = ticks_to_us(zeroing_ticks);
	boot_times.c_us = plat_time_us();
	started_el = boot_el;
	find_dtb(entry_x0, dtb_lost);
	const struct board_info *parsed = boot_early_board(dtb, dtb_bytes);
	if (parsed != NULL) {
		board = *parsed;          /* the same blob, parsed already */
		boot_find_psci(dtb, dtb_bytes);
	} else if (dtb != NULL) {
		if (board_from_fdt(&board, dtb, dtb_bytes) < 0)
			pl011_puts("vblk: malformed device tree ignored\n");
		boot_find_psci(dtb, dtb_bytes);
	}
	boot_times.dt_us = plat_time_us();
	map_memory();
	boot_times.mmu_us = plat_time_us();
	pl011_init(board.uart_base != 0 ? (uintptr_t)board.uart_base : PL011_QEMU_VIRT_BASE);
	console_init();
	start_event_stream();
	start_interrupts();
	boot_times.main_us = plat_time_us();
	rt_exit(main());
}

const struct rt_boot_times *rt_boot_times(void)
{
	return &boot_times;
}

const void *rt_dtb(void)
{
	return dtb;
}

size_t rt_dtb_max_bytes(void)
{
	return dtb_bytes;
}

const struct board_info *rt_board(void)
{
	return &board;
}

uint64_t rt_ram_end(uint64_t addr)
{
	return boot_ram_end(&board, addr);
}

unsigned rt_boot_el(void)
{
	return started_el;
}

uint64_t rt_time_us(void)
{
	return plat_time_us();
}

int rt_cmdline(char *buf, size_t len)
{
	return semihosting_get_cmdline(buf, len);
}

int rt_semihosting_enabled(void)
{
	return semihosting_available();
}
