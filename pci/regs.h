/* SPDX-License-Identifier: MIT */
/*
 * PCI configuration space as the specifications lay it out: the offsets,
 * bits and codes pci/ reads and writes. Definitions only.
 *
 *   PCI Local Bus 3.0 §6.1 (the type 0 header), §6.2.5 (BARs);
 *   PCI-to-PCI Bridge Architecture 1.2 §3.2 (the type 1 header);
 *   PCI Express Base 4.0 §7.2.2 (ECAM).
 */
#ifndef VBLK_PCI_REGS_H
#define VBLK_PCI_REGS_H

/* ECAM (PCIe 4.0 §7.2.2, Table 7-1): 4 KiB of configuration space per
 * function, address bits [27:20] the bus, [19:15] the device, [14:12]
 * the function, [11:0] the register. */
#define PCI_CFG_SPACE_BYTES     4096u
#define PCI_ECAM_BUS_SHIFT      20
#define PCI_ECAM_DEV_SHIFT      15
#define PCI_ECAM_FN_SHIFT       12
#define PCI_ECAM_BUS_BYTES      (1u << PCI_ECAM_BUS_SHIFT)   /* 1 MiB */
#define PCI_DEVS_PER_BUS        32u
#define PCI_FNS_PER_DEV         8u
#define PCI_BUSES_MAX           256u

/* Both header types (PCI 3.0 §6.1). */
#define PCI_VENDOR_ID           0x00u   /* 16 bits; 0xffff: no function */
#define PCI_DEVICE_ID           0x02u
#define PCI_COMMAND             0x04u   /* 16 bits */
#define PCI_STATUS              0x06u
#define PCI_CLASS_REVISION      0x08u   /* [31:8] class code, [7:0] revision */
#define PCI_HEADER_TYPE         0x0eu   /* 8 bits */
#define PCI_BAR0                0x10u
/* Base address register `i` (0-5), 32 bits each (PCI 3.0 §6.2.5.1). */
#define PCI_BAR(i)              (PCI_BAR0 + 4u * (i))
#define PCI_INTERRUPT_PIN       0x3du   /* 8 bits: 0 none, 1-4 INTA#-INTD# */
#define PCI_VENDOR_NONE         0xffffu

/* Command register bits (PCI 3.0 §6.2.2). */
#define PCI_COMMAND_IO          0x0001u
#define PCI_COMMAND_MEMORY      0x0002u
#define PCI_COMMAND_MASTER      0x0004u
#define PCI_COMMAND_INTX_DISABLE 0x0400u  /* set: INTx# never asserted */

/* Status register (§6.2.3): bit 4 says the capability list exists. */
#define PCI_STATUS_CAP_LIST     0x0010u

/* The capability list (§6.7): its first pointer at 0x34, entries in
 * [0x40, 0x100), each an ID byte and the next entry's offset. */
#define PCI_CAP_POINTER         0x34u   /* 8 bits */
#define PCI_CFG_HEADER_BYTES    0x40u   /* capabilities start above it */
#define PCI_CFG_LEGACY_BYTES    0x100u  /* ...and end below it */
#define PCI_CAP_ID              0x0u    /* in an entry: its ID */
#define PCI_CAP_NEXT            0x1u    /* the next entry, 0 the last */
#define PCI_CAP_ID_MSI          0x05u
#define PCI_CAP_ID_VENDOR       0x09u
#define PCI_CAP_ID_MSIX         0x11u

/* MSI and MSI-X (§6.8.1.3, §6.8.2.3): Message Control, 16 bits at +2 in
 * either capability, holds the enable bit; with it set the function
 * signals by message and must not use INTx# (§6.8). */
#define PCI_MSI_CONTROL         0x2u
#define PCI_MSI_CONTROL_ENABLE  0x0001u
#define PCI_MSIX_CONTROL_ENABLE 0x8000u

/* Interrupt Pin (PCI 3.0 §6.2.4): which INTx# the function uses; values
 * above 4 are reserved. */
#define PCI_INTX_PIN_NONE       0u
#define PCI_INTX_PIN_A          1u
#define PCI_INTX_PIN_D          4u
#define PCI_INTX_PINS           4u

/* Header Type: bits [6:0] the layout, bit 7 a multi-function device
 * (PCI 3.0 §6.2.1: function 0's bit 7 says whether functions 1-7 may
 * exist). */
#define PCI_HEADER_LAYOUT_MASK  0x7fu
#define PCI_HEADER_MULTI_FN     0x80u
#define PCI_HEADER_NORMAL       0u      /* type 0: an endpoint, 6 BARs */
#define PCI_HEADER_BRIDGE       1u      /* type 1: PCI-to-PCI, 2 BARs */
#define PCI_BARS_NORMAL         6u
#define PCI_BARS_BRIDGE         2u

/* Base Address Registers (PCI 3.0 §6.2.5.1). Bit 0 says I/O (1) or
 * memory (0); a memory BAR's bits [2:1] its type (00 32-bit, 10 64-bit,
 * the next BAR holding the upper half) and bit 3 prefetchable. */
#define PCI_BAR_SPACE_IO        0x1u
#define PCI_BAR_MEM_TYPE_MASK   0x6u
#define PCI_BAR_MEM_TYPE_32     0x0u
#define PCI_BAR_MEM_TYPE_64     0x4u
#define PCI_BAR_MEM_PREFETCH    0x8u
#define PCI_BAR_MEM_ADDR_MASK   0xfffffff0u
#define PCI_BAR_IO_ADDR_MASK    0xfffffffcu

/* Type 1 header (PCI-to-PCI Bridge 1.2 §3.2.5). */
#define PCI_PRIMARY_BUS         0x18u   /* 8 bits each: primary, */
#define PCI_SECONDARY_BUS       0x19u   /* secondary, */
#define PCI_SUBORDINATE_BUS     0x1au   /* subordinate */
#define PCI_IO_BASE             0x1cu   /* 8 bits each */
#define PCI_IO_LIMIT            0x1du
#define PCI_MEMORY_BASE         0x20u   /* 16 bits each: [15:4] = */
#define PCI_MEMORY_LIMIT        0x22u   /* address [31:20] */
#define PCI_PREF_MEMORY_BASE    0x24u   /* the same, bits [3:0] = 1 */
#define PCI_PREF_MEMORY_LIMIT   0x26u   /* for a 64-bit window */
#define PCI_PREF_BASE_UPPER32   0x28u
#define PCI_PREF_LIMIT_UPPER32  0x2cu
#define PCI_IO_BASE_UPPER16     0x30u
#define PCI_IO_LIMIT_UPPER16    0x32u
#define PCI_BRIDGE_WINDOW_SHIFT 20      /* memory windows: 1 MiB units */
#define PCI_BRIDGE_WINDOW_BYTES (1u << PCI_BRIDGE_WINDOW_SHIFT)
#define PCI_PREF_RANGE_64       0x1u

#endif
