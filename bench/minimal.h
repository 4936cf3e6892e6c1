/* SPDX-License-Identifier: MIT */
/*
 * The minimal guest: the fastest virtio-blk driver a guest can be, as the
 * yardstick vblk is measured against (bench/yardstick.c, shared/PEERS.md).
 *
 * It takes over a disk vblk found (same device, same QEMU process), with
 * its own tiny ring in its own static memory: a hand-coded reset and
 * initialisation, one pre-built 3-descriptor chain, and per request only
 * the sector into the header, avail.idx + 1, the notify register, and a
 * wait on used.idx, spinning or sleeping in `wfi` on the disk's interrupt.
 * No validation, no queue, no timeout (tools/bench.sh bounds the run).
 *
 * At depth N (up to MINIMAL_MAX_DEPTH) the same with N pre-built chains,
 * each with its own header, status byte and buffer: per request the
 * sector into its header and its head into the avail ring; per wake-up
 * the used entries read (their ids name the chains) and every completed
 * chain put back at once, then one avail.idx store and one notify for all
 * of them, so N stay in flight.
 *
 * It reaches the device through what the public API tells: a virtio-mmio
 * disk's register window (vblk_info.mmio_base, legacy or modern), and for
 * a virtio-pci disk the CPU address of its BAR4 from the probe report,
 * inside which QEMU 7.2 puts the common configuration at +0, the ISR at
 * +0x1000 and the notify area at +0x3000 with a multiplier of 4: the
 * minimal guest knows its machine rather than walking the capabilities.
 *
 * vblk's memory is never touched. The caller hands the device back with
 * minimal_detach() (a reset) and then vblk_reset(), which initialises it
 * again from scratch.
 */
#ifndef BENCH_MINIMAL_H
#define BENCH_MINIMAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vblk/vblk.h"

#define MINIMAL_MAX_DEPTH 32u   /* chains in flight at most; a power of 2 */

enum minimal_wait {
	MINIMAL_SPIN,    /* read used.idx in a loop; the device does not interrupt */
	MINIMAL_SLEEP,   /* wfi until the disk's interrupt, IRQs masked in between */
	MINIMAL_SLEEP_DEADLINE, /* the same through plat_idle() with a deadline
				   2 ms on (a clock read and the timer armed
				   and disarmed per sleep), as vblk sleeps */
};

/* Where the device's registers are, for the transport it is on. */
struct minimal_regs {
	enum vblk_transport transport;
	uint32_t mmio_version;       /* virtio-mmio: 1 legacy, 2 modern */
	uintptr_t base;              /* virtio-mmio window, or PCI common config */
	uintptr_t notify;            /* the address a notification is written to */
	uintptr_t isr;               /* interrupt status: read (and ack) it */
};

/* Find the registers of `disk` (attached by vblk): 0, or -VBLK_ENODEV
 * when the public API does not say where they are. */
int minimal_find_regs(const struct vblk_disk *disk, struct minimal_regs *regs);

/* Reset the device and initialise it with the minimal guest's ring (FLUSH
 * negotiated, so QEMU keeps its write cache on, as for vblk), sized for
 * `max_depth` chains (1..MINIMAL_MAX_DEPTH: 4 descriptors at depth 1, 128
 * at depth 32); on PCI this also finds regs->notify. 0, -VBLK_EINVAL for
 * a depth out of range, -VBLK_EHELD if the reset does not complete, or
 * -VBLK_EBROKEN if the device refuses. */
int minimal_attach(struct minimal_regs *regs, unsigned max_depth);

/* Pre-build the chain for requests of `op` on `len_bytes` of `buf`, waited
 * for in the given way. */
void minimal_prepare(enum vblk_op op, void *buf, uint32_t len_bytes, enum minimal_wait wait);

/* Pre-build `depth` chains (at most the attached max_depth) for requests
 * of `op` on `len_bytes` each, chain s on bufs + s * len_bytes, waited
 * for in the given way. Nothing may be in flight. */
void minimal_prepare_depth(enum vblk_op op, uint8_t *bufs, uint32_t len_bytes, unsigned depth,
			   enum minimal_wait wait);

/* One request at `sector`, returned from once the device has used it
 * (after minimal_prepare). */
void minimal_io(uint64_t sector);

/* After minimal_prepare_depth: every chain sent at next_sector(), each
 * sent again at a new next_sector() as soon as it is seen completed,
 * until the clock (read every 8 completions) passes `deadline_us`; then
 * the rest waited for. Returns the requests completed. */
uint64_t minimal_stream(uint64_t (*next_sector)(void), uint64_t deadline_us);

/* The status bytes of each chain's last request, or-ed (0: all
 * VIRTIO_BLK_S_OK). */
uint8_t minimal_last_status(void);

/* The disk's interrupt while the minimal guest owns it: acknowledge it.
 * ctx: the struct minimal_regs given to minimal_attach. */
void minimal_irq_handler(void *ctx);

/* Reset the device, so it lets go of the minimal guest's ring (nothing
 * before the first minimal_attach). 0, or -VBLK_EHELD if the reset does
 * not complete. */
int minimal_detach(void);

#endif
