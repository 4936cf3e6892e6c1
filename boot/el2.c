/* SPDX-License-Identifier: MIT */
/*
 * Whether the EL2 stub (boot/el2_stub.S) is there for rt_enter_el2: the
 * runtime passed through EL2 on its way to EL1 when QEMU started it at
 * EL2 (virtualization=on), or at EL3 on a CPU that has EL2 (start.S's
 * el3_setup goes through el2_setup then).
 */
#include <stdbool.h>
#include <stdint.h>

#include "vblk/runtime.h"
#include "boot/sysreg.h"

bool rt_el2_available(void)
{
	uint64_t pfr0;

	if (rt_boot_el() < 2)
		return false;
	__asm__ volatile("mrs %0, id_aa64pfr0_el1" : "=r"(pfr0));
	return ((pfr0 >> ID_AA64PFR0_EL2_SHIFT) & ((1u << ID_AA64PFR0_FIELD_BITS) - 1)) != 0;
}
