/* SPDX-License-Identifier: MIT */
/*
 * The vblk runtime (include/vblk/runtime.h): from start.S to main() and
 * back out to QEMU.
 *
 * rt_check_ram() runs first, called by start.S before it zeroes .bss: the
 * image must fit in the RAM the device tree describes.
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
#include <string.h>

#include "boot/boot.h"
#include "boot/mmu.h"
#include "boot/rawprint.h"
#include "boot/sysreg.h"
#include "drivers/board.h"
#include "drivers/irq.h"
#include "drivers/pl011.h"
#include "drivers/semihosting.h"
#include "fdt/fdt.h"
#include "vblk/error.h"
#include "plat/platform.h"
#include "vblk/runtime.h"
#include "vblk/vblk.h"

/* Where QEMU copies the DTB for an ELF boot: the start of RAM. */
#define RT_DTB_ELF_ADDR      0x40000000u
/* A DTB is at least its 40-byte header (DT spec v0.4 §5.2) and at most
 * 2 MiB (Linux arm64 booting.rst; QEMU's is 1 MiB). Keep in step with
 * DTB_MAX_BYTES in start.S. */
#define RT_DTB_MIN_BYTES     40u
#define RT_DTB_MAX_BYTES     0x200000u
#define FDT_TOTALSIZE_CELL   1             /* header word: totalsize */

/* Without a device tree: QEMU virt's default 128 MiB at 0x40000000. */
#define RT_FALLBACK_RAM_BASE  0x40000000u
#define RT_FALLBACK_RAM_BYTES (128u << 20)

#define RT_STRINGIFY_(x)     #x
#define RT_STRINGIFY(x)      RT_STRINGIFY_(x)

/* PSCI 0.2+ SYSTEM_OFF, SMC32 function ID (Arm DEN 0022, "SYSTEM_OFF"). */
#define PSCI_FN_SYSTEM_OFF   0x84000008u

enum psci_conduit { PSCI_NONE, PSCI_HVC, PSCI_SMC };

static struct board_info board;
static const void *dtb;
static size_t dtb_bytes;
static unsigned started_el;
static enum psci_conduit psci;
static struct rt_boot_times boot_times;

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

static const void *locate_dtb(uint64_t entry_x0, size_t *len_bytes, bool report)
{
	if ((*len_bytes = dtb_size_at((uintptr_t)entry_x0, report)) != 0)
		return (const void *)(uintptr_t)entry_x0;
	if ((*len_bytes = dtb_size_at(RT_DTB_ELF_ADDR, report)) != 0)
		return (const void *)(uintptr_t)RT_DTB_ELF_ADDR;
	return NULL;
}

const void *boot_locate_dtb(uint64_t entry_x0, size_t *len_bytes)
{
	return locate_dtb(entry_x0, len_bytes, true);
}

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

/* How PSCI is called here: the /psci node's "method" (QEMU: "hvc", or
 * "smc" with virtualization=on). SYSTEM_OFF needs PSCI 0.2 or later. */
static enum psci_conduit psci_from_dt(const void *blob, size_t blob_bytes)
{
	struct fdt fdt;
	uint32_t len_bytes;
	int node;

	if (blob == NULL || fdt_open(&fdt, blob, blob_bytes) < 0)
		return PSCI_NONE;
	node = fdt_path_offset(&fdt, "/psci");
	if (node < 0 || !(fdt_is_compatible(&fdt, node, "arm,psci-0.2") ||
			  fdt_is_compatible(&fdt, node, "arm,psci-1.0")))
		return PSCI_NONE;
	const char *method = fdt_getprop(&fdt, node, "method", &len_bytes);
	if (method == NULL || len_bytes != sizeof("hvc"))
		return PSCI_NONE;
	if (memcmp(method, "hvc", sizeof("hvc")) == 0)
		return PSCI_HVC;
	if (memcmp(method, "smc", sizeof("smc")) == 0)
		return PSCI_SMC;
	return PSCI_NONE;
}

/* One SMCCC call with x0 = function ID through `insn` (hvc or smc); the
 * callee may clobber x0-x17 (SMCCC v1.0). */
#define SMCCC_CALL(insn, x0)                                                  \
	__asm__ volatile(insn " #0" : "+r"(x0) : : "x1", "x2", "x3", "x4", "x5", \
			 "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",   \
			 "x14", "x15", "x16", "x17", "memory")

/* PSCI SYSTEM_OFF; QEMU then exits (with status 0). Returns only if there
 * is no PSCI or the call failed. */
static void psci_system_off(enum psci_conduit conduit)
{
	register uint64_t x0 __asm__("x0") = PSCI_FN_SYSTEM_OFF;

	if (conduit == PSCI_HVC)
		SMCCC_CALL("hvc", x0);
	else if (conduit == PSCI_SMC)
		SMCCC_CALL("smc", x0);
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
	for (unsigned i = 0; i < board.device_count; i++)
		report_unmapped(&board.device[i], device_result[i]);
}

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

/* rt_exit() before .bss is zeroed: no disks to shut down, the conduit
 * passed in, the same words on the console without semihosting. */
static _Noreturn void exit_before_bss(int status, enum psci_conduit conduit)
{
	pl011_flush();
	semihosting_exit(status);       /* returns only without semihosting */
	pl011_puts("vblk: exit status ");
	raw_put_dec(status);
	pl011_puts(conduit != PSCI_NONE ? " (no semihosting: PSCI SYSTEM_OFF)\n"
					: " (no semihosting, no PSCI: CPU parked)\n");
	pl011_flush();
	psci_system_off(conduit);
	rt_park();
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
 * conduit is passed, not kept. Without a DTB or a memory node holding the
 * image there is nothing to check against: it returns, and rt_start() says
 * what is wrong with the DTB.
 */
void rt_check_ram(uint64_t entry_x0)
{
	struct board_info *info = &early.board;
	size_t blob_bytes;
	const void *blob = locate_dtb(entry_x0, &blob_bytes, false);
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
	exit_before_bss(RT_RAM_EXIT_STATUS, psci_from_dt(blob, blob_bytes));
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
	if (dtb != NULL && dtb == early.blob && dtb_bytes == early.blob_bytes) {
		board = early.board;      /* the same blob, parsed already */
		psci = psci_from_dt(dtb, dtb_bytes);
	} else if (dtb != NULL) {
		if (board_from_fdt(&board, dtb, dtb_bytes) < 0)
			pl011_puts("vblk: malformed device tree ignored\n");
		psci = psci_from_dt(dtb, dtb_bytes);
	}
	boot_times.dt_us = plat_time_us();
	map_memory();
	boot_times.mmu_us = plat_time_us();
	pl011_init(board.uart_base != 0 ? (uintptr_t)board.uart_base : PL011_QEMU_VIRT_BASE);
	start_event_stream();
	start_interrupts();
	boot_times.main_us = plat_time_us();
	rt_exit(main());
}

const struct rt_boot_times *rt_boot_times(void)
{
	return &boot_times;
}

_Noreturn void rt_park(void)
{
	for (;;)
		__asm__ volatile("msr daifset, #0xf\n wfi" ::: "memory");
}

_Noreturn void rt_halt(int status)
{
	semihosting_exit(status);
	psci_system_off(psci);
	rt_park();
}

/* Exit status of a program whose disks could not be shut down cleanly
 * (a flush failed: its writes may not be durable) though main() said 0. */
#define RT_SHUTDOWN_EXIT_STATUS 1

/*
 * The disks first: vblk_shutdown waits for queued I/O and flushes every
 * disk with a write cache, or writes a program believed done can be lost
 * when QEMU exits (a qcow2 image keeps them in its cache).
 */
_Noreturn void rt_exit(int status)
{
	int err = vblk_shutdown();

	if (err) {
		pl011_puts("vblk: disks not shut down cleanly at exit: ");
		pl011_puts(vblk_strerror(err));
		pl011_putc('\n');
		if (status == 0)
			status = RT_SHUTDOWN_EXIT_STATUS;
	}
	rt_exit_now(status);
}

_Noreturn void rt_exit_now(int status)
{
	pl011_flush();
	if (!semihosting_available()) {
		/* QEMU cannot learn the status: say it on the console. */
		pl011_puts("vblk: exit status ");
		raw_put_dec(status);
		pl011_puts(psci != PSCI_NONE ? " (no semihosting: PSCI SYSTEM_OFF)\n"
					     : " (no semihosting, no PSCI: CPU parked)\n");
		pl011_flush();
	}
	rt_halt(status);
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
	return ram_end_from(&board, addr);
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
