/* SPDX-License-Identifier: MIT */
/*
 * What the library tells the compiler about its own code, beyond C11.
 * GCC and Clang both take these; each says why a function is marked.
 */
#ifndef VBLK_PLAT_COMPILER_H
#define VBLK_PLAT_COMPILER_H

/*
 * A function off every request's path: it runs once per disk (set-up,
 * reset, shutdown) or only when something went wrong (a device that broke
 * the protocol, a timeout). The compiler then optimises it for size, even
 * in an -O2 build, keeps it in .text.unlikely away from the hot code, and
 * takes a branch that leads to a call of it as the unlikely one, so the
 * request path falls straight through. Nothing it does changes: only how
 * its instructions are chosen and laid out.
 */
#define VBLK_COLD __attribute__((cold))

/* A function with more than one caller whose body should exist once: at
 * -O2 the compiler may copy part of it into each caller (partial
 * inlining), which buys nothing where the call is not on a hot path. */
#define VBLK_NOINLINE __attribute__((noinline))

#endif
