/* SPDX-License-Identifier: MIT */
/*
 * The thin platform layer, as the library sees it: every access vblk makes
 * to hardware goes through this header (internal: applications include
 * vblk/vblk.h, and firmware authors find the hooks they may provide in
 * vblk/platform.h, which this header includes). Two implementations live
 * here side by side:
 *
 *  - aarch64 (the boot image, and firmware that links libvblk.a): real MMIO
 *    loads/stores, `dmb` barriers, the generic timer, IRQ masking;
 *  - the host build (VBLK_HOST, used by the unit tests and fuzzers): MMIO
 *    goes to a fake virtio device written in C, time is a virtual clock, and
 *    "waiting" lets the fake device run.
 *
 * The ring, transport and block code above this header are portable C11
 * and never contain inline assembly.
 */
#ifndef VBLK_PLAT_PLATFORM_H
#define VBLK_PLAT_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "plat/compiler.h"
#include "vblk/platform.h"

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

static inline void plat_mmio_write16(uintptr_t addr, uint16_t val)
{
	__asm__ volatile("dmb oshst" ::: "memory");
	__asm__ volatile("strh %w0, [%1]" : : "r"(val), "r"(addr) : "memory");
}

static inline void plat_mmio_write8(uintptr_t addr, uint8_t val)
{
	__asm__ volatile("dmb oshst" ::: "memory");
	__asm__ volatile("strb %w0, [%1]" : : "r"(val), "r"(addr) : "memory");
}

/*
 * A register write that later loads from the rings must not overtake: the
 * barrier above orders only what comes before a write (the store may
 * still be on its way to the device while a later load of Normal memory
 * is satisfied). Used after InterruptACK, whose clearing a bit must reach
 * the device before the ring is looked at (virtio/mmio.c).
 */
static inline void plat_mmio_write_done(void)
{
	__asm__ volatile("dmb osh" ::: "memory");
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
static inline void plat_mmio_write16(uintptr_t addr, uint16_t val) { host_mmio_write(addr, 2, val); }
static inline void plat_mmio_write8(uintptr_t addr, uint8_t val) { host_mmio_write(addr, 1, val); }

static inline void plat_mmio_write_done(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
/* With VBLK_HOST_RING_POINTS (the unit tests and fuzzers; not the
 * instruction counts of tools/ring-cost.sh) each ring barrier, and each
 * plat_dma_store16 below, is also a point where the fake device may act,
 * as a device running beside the CPU could between the accesses the
 * barrier orders, or just before the store (tests/host/fake_virtio.h,
 * FAKE_AT_RING_POINT). */
#ifdef VBLK_HOST_RING_POINTS
void host_ring_point(void);
#else
/* Nothing at all, not an empty function: built -O0 -fno-inline
 * (tools/walk-count.sh), that would be one call more on every barrier
 * and one platform primitive more on the walk of a read. */
#define host_ring_point() ((void)0)
#endif
static inline void plat_wmb(void) { host_ring_point(); __atomic_thread_fence(__ATOMIC_RELEASE); }
static inline void plat_rmb(void) { host_ring_point(); __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void plat_mb(void)  { host_ring_point(); __atomic_thread_fence(__ATOMIC_SEQ_CST); }

static inline uint64_t plat_time_us(void) { return host_time_us(); }
static inline void plat_cpu_relax(void) { host_cpu_relax(); }

/* A simulated PSTATE.I: while set, host_platform delivers no interrupt. */
typedef unsigned plat_irqflags_t;
plat_irqflags_t host_irq_save(void);
void host_irq_restore(plat_irqflags_t flags);
static inline plat_irqflags_t plat_irq_save(void) { return host_irq_save(); }
static inline void plat_irq_restore(plat_irqflags_t flags) { host_irq_restore(flags); }

#endif

/* A register of 1, 2 or 4 bytes at its own width (virtio 1.2 §4.1.3.1,
 * §4.2.2.2: config fields are read at theirs), for transports whose
 * fields come in all three. */
static inline uint32_t plat_mmio_read_sized(uintptr_t addr, unsigned width_bytes)
{
	if (width_bytes == 1)
		return plat_mmio_read8(addr);
	if (width_bytes == 2)
		return plat_mmio_read16(addr);
	return plat_mmio_read32(addr);
}

static inline void plat_mmio_write_sized(uintptr_t addr, unsigned width_bytes, uint32_t val)
{
	if (width_bytes == 1)
		plat_mmio_write8(addr, (uint8_t)val);
	else if (width_bytes == 2)
		plat_mmio_write16(addr, (uint16_t)val);
	else
		plat_mmio_write32(addr, val);
}

/*
 * A 16-bit field of ring memory the device reads or writes concurrently
 * (split: the indices and flags; packed: the descriptors' flags). `volatile`
 * makes the compiler emit exactly one access of exactly this width, so an
 * index is never torn or kept in a register across a poll loop; the
 * barriers in the callers order them. When DMA is not coherent
 * (VBLK_NONCOHERENT_DMA) the device sees memory, not our cache: a field
 * it reads is cleaned after we store it, our copy of a field it writes is
 * invalidated before we load it (without that, a poll loop could read a
 * cached used.idx forever). Both are no-ops on coherent platforms such as
 * QEMU virt.
 */
static inline void plat_dma_store16(uint16_t *field, uint16_t val)
{
#ifdef VBLK_HOST_RING_POINTS
	host_ring_point();
#endif
	*(volatile uint16_t *)field = val;
	plat_dma_clean(field, sizeof(*field));
}

static inline uint16_t plat_dma_load16(const uint16_t *field)
{
	plat_dma_invalidate(field, sizeof(*field));
	return *(const volatile uint16_t *)field;
}

#endif
