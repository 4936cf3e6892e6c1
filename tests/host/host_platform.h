/* SPDX-License-Identifier: MIT */
/*
 * The simulated machine the host unit tests run the driver on.
 *
 * plat/platform.h (host variant) sends every register access of the
 * driver to host_mmio_read()/host_mmio_write(), asks host_time_us() for the
 * time and calls host_cpu_relax() inside every polling loop. This file is
 * the other side of those four functions:
 *
 *  - an address map of MMIO windows. Each window belongs to a simulated
 *    device (the fake virtio device, later perhaps a fake GIC) and is never
 *    dereferenced: an access is a function call into the device model. An
 *    access that hits no window fails the running test at once, naming the
 *    address, because on the real machine it is a synchronous abort;
 *  - a virtual clock: it stands still until the driver relaxes, and every
 *    host_cpu_relax() moves it one step (1 µs unless a test changes it).
 *    So a timeout of T µs costs T / step relaxes, and tests are exact and
 *    independent of the host's speed;
 *  - host_cpu_relax() also lets every device run (complete deferred
 *    requests, poll its rings, deliver interrupts): that is where the
 *    "other side of the bus" makes progress while the driver waits.
 *
 * Memory the driver hands to a device (rings, buffers) is ordinary host
 * memory: plat_virt_to_phys() is the identity on the host, so a device
 * model turns a 64-bit "physical" address back into a pointer
 * (host_dma_ptr). A test built with VBLK_PLAT_VIRT_TO_PHYS gets a
 * translation that adds HOST_DMA_OFFSET instead, as firmware whose RAM is
 * not mapped 1:1 would have: an address the driver forgot to translate
 * then points nowhere.
 */
#ifndef VBLK_TESTS_HOST_PLATFORM_H
#define VBLK_TESTS_HOST_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plat/platform.h"

/* What a device model does when the driver touches its window. `offset`
 * is relative to the window base; the platform has already checked that
 * the access lies inside the window and that width is 1, 2 or 4. */
struct host_mmio_ops {
	uint32_t (*read)(void *ctx, uint32_t offset, unsigned width_bytes);
	void (*write)(void *ctx, uint32_t offset, unsigned width_bytes, uint32_t val);
	void (*relax)(void *ctx);   /* optional: on every host_cpu_relax() */
	void (*deliver)(void *ctx); /* optional: the CPU just unmasked IRQs;
				       raise a pending interrupt now */
	void (*release)(void *ctx); /* optional: host_platform_reset() frees the
				       device; must call host_mmio_unmap()  */
};

#define HOST_MAX_WINDOWS 64

/* DMA addresses: "physical" = host pointer + HOST_DMA_OFFSET. 1 TiB keeps a
 * legacy 32-bit QueuePFN (4 KiB pages, up to 16 TiB) able to name the
 * rings of a -no-pie binary. */
#ifdef VBLK_PLAT_VIRT_TO_PHYS
#define HOST_DMA_OFFSET 0x10000000000ull
#else
#define HOST_DMA_OFFSET 0ull
#endif

/* What a device model reads or writes for a DMA address. */
#ifdef HOST_SHADOW_DMA
/*
 * A platform whose DMA does not snoop the CPU's caches, for the whole
 * driver (built with VBLK_NONCOHERENT_DMA as well): devices read and write
 * a shadow of the program's static memory ("memory"), the CPU its own
 * ("the cache"). host_platform.c's plat_dma_clean copies whole 64-byte
 * lines from the CPU's copy to the shadow, plat_dma_invalidate from the
 * shadow to the CPU's copy (dropping whatever the CPU wrote there and did
 * not clean, stricter than a clean-and-invalidate); nothing else moves
 * data between them. DMA memory must be static (.data/.bss): a device
 * address outside fails the test. host_platform_reset fills the shadow
 * with 0xa5, memory nobody cleaned to.
 */
void *host_shadow_ptr(uint64_t phys);
static inline void *host_dma_ptr(uint64_t phys)
{
	return host_shadow_ptr(phys);
}
#else
static inline void *host_dma_ptr(uint64_t phys)
{
	return (void *)(uintptr_t)(phys - HOST_DMA_OFFSET);
}
#endif

/* Map a device at [base, base + len_bytes). Overlapping an existing window
 * or a full map fails the test (it is a bug in the test). */
void host_mmio_map(uintptr_t base, uint32_t len_bytes,
		   const struct host_mmio_ops *ops, void *ctx);
/* Remove the window starting at base (no-op if none). */
void host_mmio_unmap(uintptr_t base);
bool host_mmio_is_mapped(uintptr_t addr);

/* Virtual clock. */
void host_set_time_step_us(uint64_t step_us);  /* per host_cpu_relax(); default 1 */
void host_advance_time_us(uint64_t delta_us);  /* jump without running devices */
/* The next `count` plat_idle() calls find the CPU stalled past their
 * deadline: the devices run, IRQs stay masked, nothing is taken. */
void host_stall_idles(unsigned count);
/* Once: the `nth_read`-th clock read from now first runs hook(ctx) (a
 * stall of the CPU, say: the hook advances the time and lets devices run
 * before the driver sees the time). */
void host_set_clock_hook(void (*hook)(void *), void *ctx, unsigned nth_read);
/* Every ring barrier (plat_wmb, plat_rmb, plat_mb) and every
 * plat_dma_store16 (built with VBLK_HOST_RING_POINTS) first runs
 * hook(ctx), until cleared (NULL): the fake device acting between the
 * accesses a barrier orders, or just before the store. */
void host_set_ring_point_hook(void (*hook)(void *), void *ctx);
/* Ring points reached with IRQs open, so far. Outside a disk's set-up
 * (the interrupt handler leaves a disk that is not ready alone), each is
 * a race with the handler, which works on the same ring. */
uint64_t host_ring_points_unmasked(void);
/* Clear the clock and ring point hooks whose ctx is `ctx` (a device
 * going away). */
void host_forget_hooks_of(const void *ctx);
uint64_t host_relax_count(void);               /* host_cpu_relax() calls so far */
/* Run `event` once, at the `relaxes_from_now`-th host_cpu_relax() from now
 * (0: the next), after the devices' own relax: the device or the host
 * acting while the driver is inside a call (a resize, a completion).
 * NULL cancels; host_platform_reset forgets it. */
void host_at_relax(uint64_t relaxes_from_now, void (*event)(void));

/* A driver loop that relaxes this many times without end is a hang: the
 * test fails instead of spinning forever. Default HOST_DEFAULT_RELAX_LIMIT
 * (100 s of virtual time at the default step). 0 disables the check. */
#define HOST_DEFAULT_RELAX_LIMIT 100000000ull
void host_set_relax_limit(uint64_t max_relaxes);
/* So many plat_idle() calls in a row that return at once (their deadline
 * has passed) without a relax between them are a hang as well: such a
 * loop stops the clock. Checked while the relax limit is on. */
#define HOST_IDLE_SPIN_LIMIT 1000000ull

/* The simulated PSTATE.I behind plat_irq_save()/plat_irq_restore(). A
 * device model delivers an interrupt (calls its hook) only while it is
 * clear. plat_idle() clears it for one relax step, like the driver's sleep
 * does on the real CPU. */
bool host_irq_masked(void);
uint64_t host_idle_count(void);                /* plat_idle() calls so far */

/* Back to a fresh machine: release (free) every device that has a release
 * op, unmap the rest, clock to 0, step 1 µs, default relax limit. Call it
 * in each test's teardown. */
void host_platform_reset(void);

/* Fail the running cmocka test with a formatted message (abort() outside a
 * test, or when built with VBLK_HOST_NO_CMOCKA, e.g. for a fuzzer). */
#define host_fail(...) host_fail_at(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void host_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
