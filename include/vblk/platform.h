/* SPDX-License-Identifier: MIT */
/*
 * What vblk needs from the platform it runs on, as a firmware author sees
 * it: the hooks libvblk.a calls and you may provide or replace, and the
 * DMA alignment your buffers keep. The vblk runtime provides all of them;
 * firmware with its own boot code gets working defaults from libvblk.a
 * and overrides what its platform needs:
 *
 *  - plat_virt_to_phys(): without a 1:1 map, build the library with
 *    -DVBLK_PLAT_VIRT_TO_PHYS and define it;
 *  - plat_dma_clean()/plat_dma_invalidate(): with -DVBLK_NONCOHERENT_DMA,
 *    weak aarch64 versions in libvblk.a (plat/dma.c), replaceable;
 *  - plat_idle(): a weak fallback that only spins (plat/idle.c); provide
 *    a real sleep if you take the disk's interrupt.
 *
 * How the library itself touches hardware (MMIO accessors, barriers, the
 * generic timer, IRQ masking) is internal: plat/platform.h.
 */
#ifndef VBLK_PLATFORM_H
#define VBLK_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Legacy virtio is guest-endian and modern virtio is little-endian; on a
 * little-endian CPU the two agree, so ring and config fields need no
 * byte swapping (virtio 1.2 §2.7.3 legacy note, §4.2.4).
 */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vblk supports little-endian CPUs only"
#endif

/* Buffers handed to the device must start on this boundary (one cache line
 * on Cortex-A53/A57/A72: non-coherent DMA maintains whole lines, and a line
 * shared with other data would be corrupted by an invalidate). A CPU with
 * longer lines needs it raised (-DVBLK_DMA_ALIGN=128): a power of 2. */
#ifndef VBLK_DMA_ALIGN
#define VBLK_DMA_ALIGN 64u
#endif
#if (VBLK_DMA_ALIGN & (VBLK_DMA_ALIGN - 1)) != 0 || VBLK_DMA_ALIGN < 64
#error "VBLK_DMA_ALIGN must be a power of 2, at least 64"
#endif

/* Physical address the device must be given for a CPU pointer. The vblk
 * runtime maps RAM 1:1; firmware with another map builds the library with
 * -DVBLK_PLAT_VIRT_TO_PHYS and defines this function itself (on the host,
 * tests/host/host_platform.c then moves every DMA address by
 * HOST_DMA_OFFSET and the fake device moves it back, so an address that
 * skipped the translation points nowhere). */
#ifndef VBLK_PLAT_VIRT_TO_PHYS
static inline uint64_t plat_virt_to_phys(const void *ptr)
{
	return (uint64_t)(uintptr_t)ptr;
}
#else
uint64_t plat_virt_to_phys(const void *ptr);
#endif

/*
 * Cache maintenance around DMA. QEMU's virt machine marks virtio-mmio
 * `dma-coherent`, so by default these do nothing. Define
 * VBLK_NONCOHERENT_DMA for a platform whose device does not snoop caches:
 * libvblk.a then carries weak aarch64 versions (plat/dma.c:
 * clean, or clean and invalidate, by data cache line to the point of
 * coherency, then dsb), which firmware may replace; a host test built so
 * supplies its own, modelling a cache (tests/host/test_noncoherent.c).
 * Such a build drives every disk on the split ring: the packed ring's
 * driver and device write the same cache lines (docs/design.md, "Caches").
 */
#ifdef VBLK_NONCOHERENT_DMA
void plat_dma_clean(const void *ptr, size_t len_bytes);      /* CPU -> device */
void plat_dma_invalidate(const void *ptr, size_t len_bytes); /* device -> CPU */
#else
static inline void plat_dma_clean(const void *ptr, size_t len_bytes)
{
	(void)ptr; (void)len_bytes;
}
static inline void plat_dma_invalidate(const void *ptr, size_t len_bytes)
{
	(void)ptr; (void)len_bytes;
}
#endif

/*
 * Sleep until an interrupt or until the generic timer's virtual counter,
 * in microseconds (CNTVCT_EL0 over CNTFRQ_EL0, the library's clock),
 * reaches deadline_us, whichever comes first; it may also return early
 * for no reason, so callers loop on their own condition. Called with IRQs
 * masked (PSTATE.I): the interrupt that ends the sleep is taken inside, after
 * the CPU wakes and before plat_idle returns, so no wake-up is lost between
 * the caller's check and the sleep (WFI wakes on a pending interrupt even
 * while it is masked).
 *
 * It can be called inside an interrupt handler (a bio callback that
 * waits: vblk/bio.h forbids it but does not refuse it), where the
 * interrupt being handled still holds the GIC's running priority: a
 * `wfi` there is ended by nothing of that priority, so return at once
 * (the caller's loop then looks at the ring itself).
 *
 * The vblk runtime implements it with the generic timer and `wfi`
 * (drivers/timer.c). libvblk.a carries a weak fallback that only relaxes
 * the CPU, for firmware that runs vblk polled without interrupts; firmware
 * that takes interrupts itself should provide its own.
 */
void plat_idle(uint64_t deadline_us);

/*
 * How the library prints, when it is asked to: vblk_dump() (vblk.h) and,
 * in a build with -DVBLK_TRACE=1 (`make TRACE=1`), one line per step of
 * every request (plat/trace.h). The library has no console of its own:
 * it calls this printf-like hook. The vblk runtime defines it as printf
 * (drivers/print.c); libvblk.a carries a weak fallback that prints
 * nothing (plat/print.c), so firmware that wants the output defines its
 * own. It may be called from the disk's interrupt handler.
 */
int vblk_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif

#endif
