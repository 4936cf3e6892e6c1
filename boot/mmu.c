/* SPDX-License-Identifier: MIT */
/*
 * EL1 identity map with the 4 KiB granule and a 48-bit address space
 * (Arm ARM D8 "The AArch64 Virtual Memory System Architecture"): the
 * tables are built by boot/mmu_tables.c, with the largest blocks each
 * range's alignment allows; this file reads what the CPU offers, programs
 * MAIR, TCR and TTBR0 and turns the MMU on.
 *
 * What is mapped, and why:
 *  - 0 .. 1 GiB, Device-nGnRnE: QEMU virt's devices (flash, GIC, PL011,
 *    RTC, virtio-mmio), the PCI I/O window, the 32-bit PCI memory window
 *    0x1000_0000..0x3efe_ffff and, with highmem=off, the ECAM at
 *    0x3f00_0000. One level-1 block.
 *  - RAM (the DT memory nodes): Normal write-back, executable.
 *  - The board's device regions (drivers/board.h: the PCI host's ECAM and
 *    memory windows, where the library's PCI disks are reached), Device-
 *    nGnRnE, never executable: with highmem (QEMU's default) the ECAM at
 *    256 GiB + 256 MiB (2 MiB blocks) and the 64-bit window at 512 GiB (a
 *    level-1 table of 1 GiB blocks). That window is why the address space
 *    is 48 bits: 39 end at 512 GiB. What lies in the first GiB is mapped
 *    already.
 * A device region is mapped whole or not at all: not if it reaches past
 * the CPU's physical address range (ID_AA64MMFR0_EL1.PARange: 40 bits, 1
 * TiB, on cortex-a53; an output address beyond it would fault), overlaps
 * RAM (whose attributes must not change) or needs more tables than the
 * pool has left. The caller is told which, and says so.
 */
#include "boot/mmu.h"

#include <stdint.h>

#include "boot/mmu_tables.h"
#include "boot/sysreg.h"

/* MAIR_EL1: one byte of attributes per index the descriptors name. */
#define MAIR_DEVICE_nGnRnE 0x00ull        /* no gathering, reordering, early ack */
#define MAIR_NORMAL_WB   0xffull          /* inner+outer write-back, RW-allocate */
#define MAIR_VALUE       ((MAIR_DEVICE_nGnRnE << (8 * MMU_MAIR_IDX_DEVICE)) | \
			  (MAIR_NORMAL_WB << (8 * MMU_MAIR_IDX_NORMAL)))

/* TCR_EL1: TTBR0 walks only (EPD1), 4 KiB granule, tables cached and
 * inner shareable like the memory they live in. IPS is set at run time. */
#define TCR_T0SZ         (64ull - MMU_VA_BITS)
#define TCR_IRGN0_WBWA   (1ull << 8)
#define TCR_ORGN0_WBWA   (1ull << 10)
#define TCR_SH0_INNER    (3ull << 12)
#define TCR_TG0_4K       (0ull << 14)
#define TCR_EPD1         (1ull << 23)
#define TCR_IPS_SHIFT    32
#define TCR_VALUE        (TCR_T0SZ | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | \
			  TCR_TG0_4K | TCR_EPD1)

#define CTR_DMINLINE_SHIFT 16              /* log2(words) of the smallest D-line */
#define CTR_DMINLINE_MASK  0xfu
#define CTR_WORD_BYTES     4u

/* The tables: in .bss, so zero (all entries invalid) before mmu_init. */
static struct mmu_tables tables;

/* Linker symbols: the whole image, code to stack. */
extern char __image_start[], _end[];

/* The CPU's physical address size (ID_AA64MMFR0_EL1.PARange, Arm ARM
 * D17.2.64) as TCR_EL1.IPS encodes it, at most 48 bits: larger ones need
 * FEAT_LPA, and our VA has 48 bits. */
static uint64_t parange(void)
{
	uint64_t mmfr0;

	__asm__ volatile("mrs %0, id_aa64mmfr0_el1" : "=r"(mmfr0));
	uint64_t encoding = mmfr0 & ID_AA64MMFR0_PARANGE_MASK;
	return encoding > PARANGE_48_BITS ? PARANGE_48_BITS : encoding;
}

unsigned mmu_pa_bits(void)
{
	static const unsigned bits_of_parange[PARANGE_48_BITS + 1] = { 32, 36, 40, 42, 44, 48 };

	return bits_of_parange[parange()];
}

/* Invalidate the data cache lines of [start, end) to the point of
 * coherency. We wrote the tables (and everything else so far) with the
 * MMU off, i.e. straight to memory; a stale line left by earlier software
 * must not shadow that once the walker and the CPU read through the cache. */
static void dcache_invalidate(uintptr_t start, uintptr_t end)
{
	uint64_t ctr;
	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	unsigned log2_words = (ctr >> CTR_DMINLINE_SHIFT) & CTR_DMINLINE_MASK;
	uintptr_t line_bytes = (uintptr_t)CTR_WORD_BYTES << log2_words;

	for (uintptr_t addr = start & ~(line_bytes - 1); addr < end; addr += line_bytes)
		__asm__ volatile("dc ivac, %0" : : "r"(addr) : "memory");
	__asm__ volatile("dsb sy" ::: "memory");
}

/* An output address beyond IPS faults; nothing we map lies there. */
static uint64_t tcr_ips(void)
{
	return parange() << TCR_IPS_SHIFT;
}

static void mmu_enable(void)
{
	uint64_t sctlr;

	__asm__ volatile(
		"msr mair_el1, %0\n"
		"msr tcr_el1, %1\n"
		"msr ttbr0_el1, %2\n"
		"isb\n"
		/* No stale translations: nothing was cached with these tables,
		 * but the TLBs' reset contents are UNKNOWN. */
		"tlbi vmalle1\n"
		"dsb nsh\n"
		"ic iallu\n"
		"dsb nsh\n"
		"isb\n"
		: : "r"(MAIR_VALUE), "r"(TCR_VALUE | tcr_ips()), "r"((uintptr_t)tables.l0)
		: "memory");

	__asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
	sctlr |= SCTLR_EL1_M | SCTLR_EL1_C | SCTLR_EL1_I;
	/* The isb makes the next instruction fetch use the new regime. */
	__asm__ volatile("msr sctlr_el1, %0\n isb" : : "r"(sctlr) : "memory");
}

int mmu_init(const struct board_region *ram, unsigned ram_count,
	     const struct board_region *device, unsigned device_count, int *device_result)
{
	int err = mmu_tables_build(&tables, mmu_pa_bits(), ram, ram_count, device,
				   device_count, device_result);

	/* Tables must be in memory before the walker reads them. */
	__asm__ volatile("dsb ish" ::: "memory");
	dcache_invalidate((uintptr_t)__image_start, (uintptr_t)_end);
	mmu_enable();
	return err;
}
