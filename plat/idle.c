/* SPDX-License-Identifier: MIT */
/*
 * The fallback plat_idle() for firmware that links libvblk.a and runs it
 * polled, without an interrupt controller: it cannot sleep (nothing would
 * wake it), so it returns after a CPU relax hint and the caller polls
 * again. The vblk runtime replaces it with a real sleep (drivers/timer.c).
 */
#include "plat/platform.h"

#if defined(__aarch64__) && !defined(VBLK_HOST)
__attribute__((weak)) void plat_idle(uint64_t deadline_us)
{
	(void)deadline_us;
	plat_cpu_relax();
}
#endif
