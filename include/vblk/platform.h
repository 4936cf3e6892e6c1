/*
 * The thin platform layer: every access vblk makes to hardware goes through
 * this header. Two implementations live here side by side:
 *
 *  - aarch64 (the boot image, and firmware that links libvblk.a): real MMIO
 *    loads/stores, `dmb` barriers, the generic timer, identity-mapped DMA
 *    addresses and optional cache maintenance;
 *  - the host build (VBLK_HOST, used by the unit tests and fuzzers): MMIO
 *    goes to a fake virtio device written in C, time is a virtual clock, and
 *    "waiting" lets the fake device run.
 *
 * The ring, transport and block code above this header are portable C11
 * and never contain inline assembly.
 */
#ifndef VBLK_PLATFORM_H
#define VBLK_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Legacy virtio is guest-endian and modern virtio is little-endian; on a
 * little-endian CPU the two agree, so ring and config fields need no
 * byte swapping (virtio 1.2 §2.7.3 legacy note, §4.2.4).
 */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "vblk supports little-endian CPUs only");

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

#if defined(__aarch64__) && !defined(VBLK_HOST)

/* ---- aarch64 --------------------------------------------------------- */

/*
 * MMIO accessors. The device is in Device-nGnRnE memory, so the access
 * itself is not reordered with other device accesses; the barriers order it
 * against Normal memory (the rings):
 *  - before a write: everything we stored to the rings must be visible to
 *    the device before it sees the register write (e.g. QueueNotify);
 *  - after a read: later loads from the rings must not be satisfied before
 *    the register read (e.g. InterruptStatus, then the used ring).
 * These match what Linux's writel()/readl() do on arm64.
 */
static inline uint32_t plat_mmio_read32(uintptr_t addr)
{
	uint32_t val;
	__asm__ volatile("ldr %w0, [%1]" : "=r"(val) : "r"(addr) : "memory");
	__asm__ volatile("dmb oshld" ::: "memory");
	return val;
}

static inline uint16_t plat_mmio_read16(uintptr_t addr)
{
	uint16_t val;
	__asm__ volatile("ldrh %w0, [%1]" : "=r"(val) : "r"(addr) : "memory");
	__asm__ volatile("dmb oshld" ::: "memory");
	return val;
}

static inline uint8_t plat_mmio_read8(uintptr_t addr)
{
	uint8_t val;
	__asm__ volatile("ldrb %w0, [%1]" : "=r"(val) : "r"(addr) : "memory");
	__asm__ volatile("dmb oshld" ::: "memory");
	return val;
}

static inline void plat_mmio_write32(uintptr_t addr, uint32_t val)
{
	__asm__ volatile("dmb oshst" ::: "memory");
	__asm__ volatile("str %w0, [%1]" : : "r"(val), "r"(addr) : "memory");
}

static inline void plat_mmio_write8(uintptr_t addr, uint8_t val)
{
	__asm__ volatile("dmb oshst" ::: "memory");
	__asm__ volatile("strb %w0, [%1]" : : "r"(val), "r"(addr) : "memory");
}

/*
 * Ring barriers (virtio 1.2 §2.7.13.3.1, §2.7.13.4.1, §2.7.14). Without
 * VIRTIO_F_ORDER_PLATFORM the device is a coherent observer in the
 * inner-shareable domain, so the inner-shareable `dmb` variants suffice.
 */
static inline void plat_wmb(void) { __asm__ volatile("dmb ishst" ::: "memory"); }
static inline void plat_rmb(void) { __asm__ volatile("dmb ishld" ::: "memory"); }
static inline void plat_mb(void)  { __asm__ volatile("dmb ish" ::: "memory"); }

/* Monotonic time from the generic timer's virtual counter. */
static inline uint64_t plat_counter(void)
{
	uint64_t ticks;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(ticks) :: "memory");
	return ticks;
}

static inline uint64_t plat_counter_hz(void)
{
	uint64_t hz;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(hz));
	return hz;
}

static inline uint64_t plat_time_us(void)
{
	uint64_t ticks = plat_counter(), hz = plat_counter_hz();
	/* Split so ticks * 1e6 cannot overflow for any realistic uptime. */
	return (ticks / hz) * 1000000u + (ticks % hz) * 1000000u / hz;
}

/*
 * Called inside every polling loop. `wfe` lets real hardware doze until
 * the next event; QEMU and KVM return from it at once, and under QEMU it
 * costs nothing measurable (4 KiB reads at depth 1: 53.3 us waiting in
 * `wfe`, 53.0 us spinning bare, means of 8 alternating runs). On hardware
 * it needs the generic timer's event stream, which the vblk runtime turns
 * on (boot/rt.c) and firmware with its own boot code must too, or build
 * with -DVBLK_RELAX_YIELD.
 */
static inline void plat_cpu_relax(void)
{
#ifdef VBLK_RELAX_YIELD
	__asm__ volatile("yield" ::: "memory");
#else
	__asm__ volatile("wfe" ::: "memory");
#endif
}

/* Mask IRQs on this CPU (PSTATE.I), returning the previous DAIF. */
typedef uint64_t plat_irqflags_t;

static inline plat_irqflags_t plat_irq_save(void)
{
	plat_irqflags_t daif;
	__asm__ volatile("mrs %0, daif\n\tmsr daifset, #2" : "=r"(daif) :: "memory");
	return daif;
}

static inline void plat_irq_restore(plat_irqflags_t daif)
{
	__asm__ volatile("msr daif, %0" :: "r"(daif) : "memory");
}

#else

/* ---- host (unit tests, fuzzers) -------------------------------------- */

/* Implemented by tests/host/host_platform.c: they route register accesses
 * to the fake virtio device and keep a virtual clock. */
uint32_t host_mmio_read(uintptr_t addr, unsigned width_bytes);
void host_mmio_write(uintptr_t addr, unsigned width_bytes, uint32_t val);
uint64_t host_time_us(void);
void host_cpu_relax(void);

static inline uint32_t plat_mmio_read32(uintptr_t addr) { return host_mmio_read(addr, 4); }
static inline uint16_t plat_mmio_read16(uintptr_t addr) { return (uint16_t)host_mmio_read(addr, 2); }
static inline uint8_t plat_mmio_read8(uintptr_t addr) { return (uint8_t)host_mmio_read(addr, 1); }
static inline void plat_mmio_write32(uintptr_t addr, uint32_t val) { host_mmio_write(addr, 4, val); }
static inline void plat_mmio_write8(uintptr_t addr, uint8_t val) { host_mmio_write(addr, 1, val); }

static inline void plat_wmb(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
static inline void plat_rmb(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void plat_mb(void)  { __atomic_thread_fence(__ATOMIC_SEQ_CST); }


static inline uint64_t plat_time_us(void) { return host_time_us(); }
static inline void plat_cpu_relax(void) { host_cpu_relax(); }

/* A simulated PSTATE.I: while set, host_platform delivers no interrupt. */
typedef unsigned plat_irqflags_t;
plat_irqflags_t host_irq_save(void);
void host_irq_restore(plat_irqflags_t flags);
static inline plat_irqflags_t plat_irq_save(void) { return host_irq_save(); }
static inline void plat_irq_restore(plat_irqflags_t flags) { host_irq_restore(flags); }

#endif

/* ---- both ------------------------------------------------------------ */

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
 * libvblk.a then carries weak aarch64 versions (drivers/plat_dma.c:
 * clean, or clean and invalidate, by data cache line to the point of
 * coherency, then dsb), which firmware may replace; a host test built so
 * supplies its own, modelling a cache (tests/host/test_noncoherent.c).
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
 * Sleep until an interrupt or until plat_time_us() reaches deadline_us,
 * whichever comes first; it may also return early for no reason, so
 * callers loop on their own condition. Called with IRQs masked
 * (plat_irq_save): the interrupt that ends the sleep is taken inside, after
 * the CPU wakes and before plat_idle returns, so no wake-up is lost between
 * the caller's check and the sleep (WFI wakes on a pending interrupt even
 * while it is masked).
 *
 * The vblk runtime implements it with the generic timer and `wfi`
 * (drivers/timer.c). libvblk.a carries a weak fallback that only relaxes
 * the CPU, for firmware that runs vblk polled without interrupts; firmware
 * that takes interrupts itself should provide its own.
 */
void plat_idle(uint64_t deadline_us);

#endif
