/* SPDX-License-Identifier: MIT */
/*
 * A program with 96 MiB of .bss, as an APP (make APP=tests/qemu/big_bss.c):
 * the QEMU configurations ram_* boot it on machines with too little RAM,
 * where the runtime must refuse it before zeroing .bss, with a message and
 * exit status 1, and with enough RAM, where it runs: the array reads as
 * zero at both ends and its last byte can be written.
 */
#include <stdint.h>
#include <stdio.h>

#define BIG_BSS_BYTES (63u << 20)

static volatile uint8_t big[BIG_BSS_BYTES];

int main(void)
{
	if (big[0] != 0 || big[BIG_BSS_BYTES - 1] != 0) {
		printf("big_bss: .bss not zeroed\n");
		return 1;
	}
	big[BIG_BSS_BYTES - 1] = 1;
	if (big[BIG_BSS_BYTES - 1] != 1) {
		printf("big_bss: the last byte of .bss does not keep a write\n");
		return 1;
	}
	printf("big_bss: %u MiB of .bss zeroed and writable\n", BIG_BSS_BYTES >> 20);
	return 0;
}
