/* SPDX-License-Identifier: MIT */
/*
 * ARM PL011 UART: the console of QEMU `virt` (0x09000000, from the DT's
 * arm,pl011 node). Polled only; one UART per image.
 *
 * Output works before pl011_init(): QEMU leaves the UART enabled, and the
 * driver starts out pointing at PL011_QEMU_VIRT_BASE, so the exception
 * handler can always print.
 */
#ifndef VBLK_PL011_H
#define VBLK_PL011_H

#include <stdint.h>

#define PL011_QEMU_VIRT_BASE 0x09000000u

/* Take over the UART at `base`: 115200 8N1 with FIFOs, TX and RX on,
 * interrupts masked. Waits for pending output to drain first. */
void pl011_init(uintptr_t base);

/* Write one byte, waiting while the TX FIFO is full; "\n" is sent as
 * "\r\n" so a terminal returns to column 0. */
void pl011_putc(char c);

/* Write a NUL-terminated string with pl011_putc(). */
void pl011_puts(const char *str);

/* The next received byte, or -1 if none is waiting (never blocks). */
int pl011_getc(void);

/* Wait until every byte written so far has left the transmitter. */
void pl011_flush(void);

#endif
