/* SPDX-License-Identifier: MIT */
/*
 * ARM PL011 UART, polled (PrimeCell UART PL011 TRM, ARM DDI 0183).
 *
 * QEMU's model ignores the baud rate and never holds bytes back, but the
 * init sequence is the one the TRM asks of real hardware (§3.3.8 "Control
 * Register"): disable, let the transmitter drain, flush the FIFOs, program,
 * enable. Every wait is bounded, so a missing or stuck UART loses output
 * instead of hanging the program.
 */
#include "drivers/pl011.h"

#include <stdbool.h>

#include "plat/platform.h"

/* Register offsets. */
#define UART_DR     0x00    /* data: write to send, read to receive */
#define UART_FR     0x18    /* flags */
#define UART_IBRD   0x24    /* integer baud divisor */
#define UART_FBRD   0x28    /* fractional baud divisor, 1/64 units */
#define UART_LCR_H  0x2c    /* line control; writing it latches IBRD/FBRD */
#define UART_CR     0x30    /* control */
#define UART_IMSC   0x38    /* interrupt mask set/clear */
#define UART_ICR    0x44    /* interrupt clear */

#define FR_BUSY     (1u << 3)   /* transmitting (FIFO or shift register) */
#define FR_RXFE     (1u << 4)   /* receive FIFO empty */
#define FR_TXFF     (1u << 5)   /* transmit FIFO full */

#define LCR_H_FEN      (1u << 4)   /* FIFOs enabled */
#define LCR_H_WLEN_8   (3u << 5)   /* 8 data bits; no parity, 1 stop bit */

#define CR_UARTEN   (1u << 0)
#define CR_TXE      (1u << 8)
#define CR_RXE      (1u << 9)

#define ICR_ALL     0x7ffu      /* every interrupt source */
#define DR_DATA     0xffu       /* received byte; bits 11:8 are error flags */

/* QEMU virt's DT gives the UART a 24 MHz apb_pclk. Divisor in 1/64 units:
 * UARTCLK / (16 * baud) * 64, rounded (TRM §3.3.6). */
#define PL011_CLOCK_HZ  24000000u
#define PL011_BAUD      115200u
#define PL011_DIV_X64   ((4u * PL011_CLOCK_HZ + PL011_BAUD / 2) / PL011_BAUD)
#define PL011_FBRD_BITS 6

/* How long to poll a flag before giving up: far longer than a byte takes
 * at 115200 baud on any real UART, and QEMU never sets the flags at all. */
#define PL011_MAX_SPINS 1000000u

/* Starts at QEMU's UART so output works before pl011_init(). */
static uintptr_t uart_base = PL011_QEMU_VIRT_BASE;

static uint32_t read_reg(unsigned offset)
{
	return plat_mmio_read32(uart_base + offset);
}

static void write_reg(unsigned offset, uint32_t val)
{
	plat_mmio_write32(uart_base + offset, val);
}

/* Poll until none of `flags` is set in FR; false if that never happened. */
static bool wait_flags_clear(uint32_t flags)
{
	for (unsigned spins = 0; spins < PL011_MAX_SPINS; spins++) {
		if ((read_reg(UART_FR) & flags) == 0)
			return true;
		plat_cpu_relax();
	}
	return false;
}

void pl011_init(uintptr_t base)
{
	pl011_flush();                  /* finish what the old setup was sending */
	uart_base = base;

	write_reg(UART_CR, 0);
	wait_flags_clear(FR_BUSY);
	write_reg(UART_LCR_H, 0);       /* FEN = 0 flushes both FIFOs */
	write_reg(UART_IMSC, 0);        /* polled: no interrupt sources */
	write_reg(UART_ICR, ICR_ALL);
	write_reg(UART_IBRD, PL011_DIV_X64 >> PL011_FBRD_BITS);
	write_reg(UART_FBRD, PL011_DIV_X64 & ((1u << PL011_FBRD_BITS) - 1));
	write_reg(UART_LCR_H, LCR_H_WLEN_8 | LCR_H_FEN);
	write_reg(UART_CR, CR_UARTEN | CR_TXE | CR_RXE);
}

static void put_byte(char c)
{
	if (wait_flags_clear(FR_TXFF))
		write_reg(UART_DR, (uint8_t)c);
}

void pl011_putc(char c)
{
	if (c == '\n')
		put_byte('\r');
	put_byte(c);
}

void pl011_puts(const char *str)
{
	while (*str)
		pl011_putc(*str++);
}

int pl011_getc(void)
{
	if (read_reg(UART_FR) & FR_RXFE)
		return -1;
	return (int)(read_reg(UART_DR) & DR_DATA);
}

void pl011_flush(void)
{
	wait_flags_clear(FR_BUSY);
}
