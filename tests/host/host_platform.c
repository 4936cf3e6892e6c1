/* SPDX-License-Identifier: MIT */
/*
 * Host side of plat/platform.h: an MMIO address map of simulated
 * devices and a virtual clock. See host_platform.h for the model.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef VBLK_HOST_NO_CMOCKA
#include <cmocka.h>
#endif

#include "host_platform.h"

struct host_window {
	uintptr_t base;
	uint32_t len_bytes;
	const struct host_mmio_ops *ops;
	void *ctx;
};

/* The whole simulated machine; host_platform_reset() returns it to this. */
static struct host_window windows[HOST_MAX_WINDOWS];
static unsigned window_count;
static uint64_t clock_us;
static uint64_t time_step_us = 1;
static uint64_t relax_count;
static uint64_t relax_limit = HOST_DEFAULT_RELAX_LIMIT;

_Noreturn void host_fail_at(const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
#ifndef VBLK_HOST_NO_CMOCKA
	print_error("ERROR: %s\n", msg);
	_fail(file, line);
#else
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
#endif
	/* _fail() longjmps out of a running test; outside one, stop here. */
	abort();
}

static bool ranges_overlap(uintptr_t a, uint32_t a_len, uintptr_t b, uint32_t b_len)
{
	return a < b + b_len && b < a + a_len;
}

void host_mmio_map(uintptr_t base, uint32_t len_bytes,
		   const struct host_mmio_ops *ops, void *ctx)
{
	if (len_bytes == 0 || ops == NULL || ops->read == NULL || ops->write == NULL)
		host_fail("host_mmio_map(%#lx): empty window or missing ops",
			  (unsigned long)base);
	if (window_count == HOST_MAX_WINDOWS)
		host_fail("host_mmio_map(%#lx): more than %d windows",
			  (unsigned long)base, HOST_MAX_WINDOWS);
	for (unsigned i = 0; i < window_count; i++) {
		if (ranges_overlap(base, len_bytes, windows[i].base, windows[i].len_bytes))
			host_fail("host_mmio_map(%#lx): overlaps the window at %#lx",
				  (unsigned long)base, (unsigned long)windows[i].base);
	}
	windows[window_count++] = (struct host_window){ base, len_bytes, ops, ctx };
}

void host_mmio_unmap(uintptr_t base)
{
	for (unsigned i = 0; i < window_count; i++) {
		if (windows[i].base == base) {
			windows[i] = windows[--window_count];
			return;
		}
	}
}

static struct host_window *find_window(uintptr_t addr)
{
	for (unsigned i = 0; i < window_count; i++) {
		if (addr >= windows[i].base && addr - windows[i].base < windows[i].len_bytes)
			return &windows[i];
	}
	return NULL;
}

bool host_mmio_is_mapped(uintptr_t addr)
{
	return find_window(addr) != NULL;
}

/* On the real machine an access to nothing is a synchronous external
 * abort; here it ends the test with the culprit address. */
static struct host_window *window_for_access(uintptr_t addr, unsigned width_bytes,
					     const char *what)
{
	struct host_window *win = find_window(addr);

	if (width_bytes != 1 && width_bytes != 2 && width_bytes != 4)
		host_fail("MMIO %s of %u bytes at %#lx: no such access width",
			  what, width_bytes, (unsigned long)addr);
	if (win == NULL)
		host_fail("MMIO %s (%u bytes) at %#lx: no device mapped there",
			  what, width_bytes, (unsigned long)addr);
	if (addr - win->base + width_bytes > win->len_bytes)
		host_fail("MMIO %s (%u bytes) at %#lx runs past the window at %#lx",
			  what, width_bytes, (unsigned long)addr, (unsigned long)win->base);
	return win;
}

uint32_t host_mmio_read(uintptr_t addr, unsigned width_bytes)
{
	struct host_window *win = window_for_access(addr, width_bytes, "read");

	return win->ops->read(win->ctx, (uint32_t)(addr - win->base), width_bytes);
}

void host_mmio_write(uintptr_t addr, unsigned width_bytes, uint32_t val)
{
	struct host_window *win = window_for_access(addr, width_bytes, "write");

	win->ops->write(win->ctx, (uint32_t)(addr - win->base), width_bytes, val);
}

#ifdef VBLK_PLAT_VIRT_TO_PHYS
uint64_t plat_virt_to_phys(const void *ptr)
{
	return (uint64_t)(uintptr_t)ptr + HOST_DMA_OFFSET;
}
#endif

#ifdef HOST_SHADOW_DMA
#include <string.h>

#ifndef VBLK_NONCOHERENT_DMA
#error "HOST_SHADOW_DMA models non-coherent DMA: build with VBLK_NONCOHERENT_DMA too"
#endif

#define SHADOW_LINE 64u

/* The program's static memory, as the linker lays out a -no-pie binary. */
extern char __data_start[], _end[];
static uint8_t *shadow;

static uintptr_t shadow_lo(void) { return (uintptr_t)__data_start & ~(uintptr_t)(SHADOW_LINE - 1); }
static uintptr_t shadow_hi(void) { return ((uintptr_t)_end + SHADOW_LINE - 1) & ~(uintptr_t)(SHADOW_LINE - 1); }

static void shadow_fill(void)
{
	size_t bytes = shadow_hi() - shadow_lo();

	if (shadow == NULL) {
		shadow = malloc(bytes);
		if (shadow == NULL)
			abort();
	}
	memset(shadow, 0xa5, bytes);
}

void *host_shadow_ptr(uint64_t phys)
{
	uintptr_t addr = (uintptr_t)(phys - HOST_DMA_OFFSET);

	if (shadow == NULL)
		shadow_fill();
	if (addr < shadow_lo() || addr >= shadow_hi())
		host_fail_at(__FILE__, __LINE__, "DMA address %#llx is not static memory",
			     (unsigned long long)phys);
	return shadow + (addr - shadow_lo());
}

/* The lines of [ptr, ptr + len) inside the shadowed range; false if none. */
static bool shadow_lines(const void *ptr, size_t len_bytes, uintptr_t *first, uintptr_t *end)
{
	uintptr_t addr = (uintptr_t)ptr;

	if (shadow == NULL)
		shadow_fill();
	*first = addr & ~(uintptr_t)(SHADOW_LINE - 1);
	*end = (addr + len_bytes + SHADOW_LINE - 1) & ~(uintptr_t)(SHADOW_LINE - 1);
	if (*first < shadow_lo())
		*first = shadow_lo();
	if (*end > shadow_hi())
		*end = shadow_hi();
	return *first < *end;
}

void plat_dma_clean(const void *ptr, size_t len_bytes)
{
	uintptr_t first, end;

	if (shadow_lines(ptr, len_bytes, &first, &end))
		memcpy(shadow + (first - shadow_lo()), (const void *)first, end - first);
}

void plat_dma_invalidate(const void *ptr, size_t len_bytes)
{
	uintptr_t first, end;

	if (shadow_lines(ptr, len_bytes, &first, &end))
		memcpy((void *)first, shadow + (first - shadow_lo()), end - first);
}
#endif

static void (*clock_hook)(void *);   /* host_set_clock_hook() */
static void *clock_hook_ctx;
static unsigned clock_hook_reads;

uint64_t host_time_us(void)
{
	if (clock_hook != NULL && --clock_hook_reads == 0) {
		void (*hook)(void *) = clock_hook;
		clock_hook = NULL;
		hook(clock_hook_ctx);
	}
	return clock_us;
}

void host_set_clock_hook(void (*hook)(void *), void *ctx, unsigned nth_read)
{
	clock_hook = nth_read > 0 ? hook : NULL;
	clock_hook_ctx = ctx;
	clock_hook_reads = nth_read;
}

static void (*ring_point_hook)(void *);   /* host_set_ring_point_hook() */
static void *ring_point_hook_ctx;
static uint64_t ring_points_unmasked;    /* host_ring_points_unmasked() */
static bool irq_masked;

#ifdef VBLK_HOST_RING_POINTS
void host_ring_point(void)
{
	if (!irq_masked)
		ring_points_unmasked++;
	if (ring_point_hook != NULL)
		ring_point_hook(ring_point_hook_ctx);
}
#endif

void host_forget_hooks_of(const void *ctx)
{
	if (clock_hook != NULL && clock_hook_ctx == ctx)
		clock_hook = NULL;
	if (ring_point_hook != NULL && ring_point_hook_ctx == ctx)
		ring_point_hook = NULL;
}

uint64_t host_ring_points_unmasked(void)
{
	return ring_points_unmasked;
}

void host_set_ring_point_hook(void (*hook)(void *), void *ctx)
{
	ring_point_hook = hook;
	ring_point_hook_ctx = ctx;
}

static uint64_t idle_spins;
static void (*relax_event)(void);   /* host_at_relax() */
static uint64_t relax_event_at;

void host_at_relax(uint64_t relaxes_from_now, void (*event)(void))
{
	relax_event_at = relax_count + relaxes_from_now;
	relax_event = event;
}

void host_cpu_relax(void)
{
	relax_count++;
	idle_spins = 0;
	if (relax_limit != 0 && relax_count > relax_limit)
		host_fail("host_cpu_relax() called %llu times: the driver is spinning "
			  "forever (virtual time %llu us)",
			  (unsigned long long)relax_count, (unsigned long long)clock_us);
	clock_us += time_step_us;
	/* A device's relax may not map or unmap windows, so indexing is stable. */
	for (unsigned i = 0; i < window_count; i++) {
		if (windows[i].ops->relax != NULL)
			windows[i].ops->relax(windows[i].ctx);
	}
	if (relax_event != NULL && relax_count >= relax_event_at) {
		void (*run)(void) = relax_event;
		relax_event = NULL;
		run();
	}
}

static uint64_t idle_count;
static unsigned stalled_idles;   /* host_stall_idles() */

bool host_irq_masked(void)
{
	return irq_masked;
}

plat_irqflags_t host_irq_save(void)
{
	plat_irqflags_t was_masked = irq_masked;
	irq_masked = true;
	return was_masked;
}

void host_irq_restore(plat_irqflags_t flags)
{
	irq_masked = flags != 0;
	/* Unmasking with the line asserted takes the interrupt at once. */
	if (!irq_masked) {
		for (unsigned i = 0; i < window_count; i++) {
			if (windows[i].ops->deliver != NULL)
				windows[i].ops->deliver(windows[i].ctx);
		}
	}
}

/* The "sleep": one step of virtual time with interrupts open, so a device
 * completes and interrupts as it would while the real CPU sits in WFI. It
 * never sleeps past the deadline, and never sleeps at all once it is due. */
void plat_idle(uint64_t deadline_us)
{
	idle_count++;
	if (clock_us >= deadline_us) {
		/* A loop that sleeps with a deadline already past never
		 * relaxes: the clock stands still and the relax limit never
		 * fires, so such sleeps in a row are counted on their own. */
		if (relax_limit != 0 && ++idle_spins > HOST_IDLE_SPIN_LIMIT)
			host_fail("plat_idle() returned at once %llu times in a row: the driver "
				  "is spinning forever (virtual time %llu us)",
				  (unsigned long long)idle_spins, (unsigned long long)clock_us);
		return;
	}
	if (stalled_idles > 0) {
		/* The host descheduled the CPU between the caller's look at
		 * the clock and the sleep, until past the deadline: the device
		 * ran meanwhile, but the CPU, IRQs masked, took nothing, and
		 * plat_idle returns without opening the mask (drivers/timer.c
		 * does not sleep once the deadline has passed). */
		stalled_idles--;
		host_cpu_relax();
		if (clock_us < deadline_us)
			clock_us = deadline_us;
		return;
	}
	plat_irqflags_t flags = host_irq_save();
	irq_masked = false;
	host_cpu_relax();
	host_irq_restore(flags);
}

void host_stall_idles(unsigned count)
{
	stalled_idles = count;
}

uint64_t host_idle_count(void)
{
	return idle_count;
}

void host_set_time_step_us(uint64_t step_us)
{
	time_step_us = step_us;
}

void host_advance_time_us(uint64_t delta_us)
{
	clock_us += delta_us;
}

uint64_t host_relax_count(void)
{
	return relax_count;
}

void host_set_relax_limit(uint64_t max_relaxes)
{
	relax_limit = max_relaxes;
}

void host_platform_reset(void)
{
	irq_masked = false;
	idle_count = 0;
	stalled_idles = 0;
	clock_hook = NULL;
	relax_event = NULL;
	ring_point_hook = NULL;
	ring_points_unmasked = 0;
	while (window_count > 0) {
		struct host_window *last = &windows[window_count - 1];
		unsigned before = window_count;

		if (last->ops->release != NULL)
			last->ops->release(last->ctx);
		if (window_count == before)   /* release did not unmap: do it */
			host_mmio_unmap(last->base);
	}
	clock_us = 0;
	time_step_us = 1;
	relax_count = 0;
	idle_spins = 0;
	relax_limit = HOST_DEFAULT_RELAX_LIMIT;
#ifdef HOST_SHADOW_DMA
	shadow_fill();
#endif
}
