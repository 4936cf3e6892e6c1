/* SPDX-License-Identifier: MIT */
/*
 * printf-free number output (see rawprint.h).
 */
#include "boot/rawprint.h"

#define HEX_DIGITS_64 16
#define NIBBLE_BITS   4
#define NIBBLE_MASK   0xfu
#define DEC_DIGITS_64 20   /* 18446744073709551615 */

void raw_put_hex(uint64_t value)
{
	static const char digits[] = "0123456789abcdef";

	pl011_puts("0x");
	for (int shift = (HEX_DIGITS_64 - 1) * NIBBLE_BITS; shift >= 0; shift -= NIBBLE_BITS)
		pl011_putc(digits[(value >> shift) & NIBBLE_MASK]);
}

void raw_put_dec(int64_t value)
{
	char text[DEC_DIGITS_64 + 1];
	unsigned pos = sizeof(text);
	/* Negate in unsigned arithmetic: -INT64_MIN does not fit an int64_t. */
	uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;

	text[--pos] = '\0';
	do {
		text[--pos] = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude != 0);
	if (value < 0)
		pl011_putc('-');
	pl011_puts(&text[pos]);
}
