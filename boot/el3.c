/* SPDX-License-Identifier: MIT */
/*
 * The one thing done in C at EL3 (QEMU `-machine virt,secure=on`, ELF
 * boot): give the GIC's interrupts to the Non-secure side before
 * boot/start.S drops to Non-secure EL2/EL1.
 *
 * Out of reset every interrupt is Group 0, Secure: Non-secure EL1 could
 * neither configure nor take any of them, and only the Secure side can
 * change an interrupt's group (IHI0048B §4.3.4, IHI0069 "Interrupt
 * grouping"). Where the GIC is comes from the device tree, so this parses
 * it, into a board_info on the stack: the MMU is off and .bss is not yet
 * cleared, so nothing here may rely on static data. rt_start() parses the
 * tree again at EL1 for itself.
 *
 * Nothing else stays at EL3: no vectors, no interrupts routed there
 * (SCR_EL3.IRQ/FIQ = 0).
 */
#include "boot/boot.h"
#include "boot/rawprint.h"
#include "drivers/board.h"
#include "drivers/gic.h"

void rt_el3_setup(uint64_t entry_x0)
{
	struct board_info board;
	const struct gic_ops *gic;
	const void *dtb;
	size_t dtb_bytes;

	dtb = boot_locate_dtb(entry_x0, &dtb_bytes);
	if (dtb == NULL || board_from_fdt(&board, dtb, dtb_bytes) < 0)
		return;         /* rt_start() will say what is wrong with it */
	gic = gic_ops_for(&board);
	if (gic == NULL)
		return;
	gic->secure_init(&board);
}
