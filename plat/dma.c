/* SPDX-License-Identifier: MIT */
/*
 * Cache maintenance around DMA for a platform whose devices do not snoop
 * the CPU's data caches: build the library with -DVBLK_NONCOHERENT_DMA.
 * QEMU's virt machine is coherent and needs none of it (platform.h then
 * makes both calls no-ops). Weak, so firmware with its own cache code
 * replaces them.
 *
 * Who calls what (include/vblk/platform.h): before the device reads
 * memory the CPU wrote (descriptors, avail ring, request headers, data to
 * write) the driver cleans it, writing dirty lines back to where the
 * device reads; before the CPU reads memory the device wrote (used ring,
 * status byte, data read) it invalidates it, dropping copies the CPU may
 * have fetched meanwhile, speculatively or not. Read buffers are cleaned
 * before they are given to the device too, so no dirty line can be
 * evicted over the device's data later.
 *
 * Every line is maintained by virtual address to the point of coherency
 * (`dc cvac`, `dc civac`; Arm ARM D7.5, "data cache maintenance
 * instructions"), and a `dsb sy` waits for all of them to finish before
 * the caller goes on to publish an index or notify the device.
 *
 * A buffer's ends are VBLK_DMA_ALIGN-aligned (64 bytes), which is one
 * line on the Cortex-A53/A57/A72; on a CPU with longer lines, raise
 * VBLK_DMA_ALIGN to the line size, or a neighbour sharing a line could
 * be written back over data the device wrote.
 */
#include "plat/platform.h"

#if defined(__aarch64__) && !defined(VBLK_HOST) && defined(VBLK_NONCOHERENT_DMA)

/* The smallest data cache line of the CPU's caches: CTR_EL0.DminLine is
 * log2 of it in 4-byte words. Stepping by it reaches every line. */
static uintptr_t dcache_line_bytes(void)
{
	uint64_t ctr;

	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	return (uintptr_t)4 << ((ctr >> 16) & 0xf);
}

enum dcache_op { DCACHE_CLEAN, DCACHE_CLEAN_INVALIDATE };

/* Every line of [ptr, ptr + len_bytes), then a dsb so that all of it has
 * finished before the caller publishes an index or reads the data. */
static void dcache_by_line(const void *ptr, size_t len_bytes, enum dcache_op op)
{
	uintptr_t line = dcache_line_bytes();
	uintptr_t addr = (uintptr_t)ptr & ~(line - 1), end = (uintptr_t)ptr + len_bytes;

	for (; addr < end; addr += line) {
		if (op == DCACHE_CLEAN)
			__asm__ volatile("dc cvac, %0" : : "r"(addr) : "memory");
		else
			__asm__ volatile("dc civac, %0" : : "r"(addr) : "memory");
	}
	__asm__ volatile("dsb sy" : : : "memory");
}

__attribute__((weak)) void plat_dma_clean(const void *ptr, size_t len_bytes)
{
	dcache_by_line(ptr, len_bytes, DCACHE_CLEAN);
}

/* Clean and invalidate rather than invalidate alone, which would drop a
 * dirty line's stores. The driver gives the device only lines it cleaned
 * and does not write while the device owns them (a request's header and
 * status have their own line, buffers are VBLK_DMA_ALIGN-aligned): so the
 * clean writes nothing back, and cannot overwrite what the device wrote. */
__attribute__((weak)) void plat_dma_invalidate(const void *ptr, size_t len_bytes)
{
	dcache_by_line(ptr, len_bytes, DCACHE_CLEAN_INVALIDATE);
}

#endif
