/* SPDX-License-Identifier: MIT */
/*
 * The PCI host bridge of QEMU virt: the ECAM "pci-host-ecam-generic" host
 * (Documentation/devicetree/bindings/pci/host-generic-pci.yaml).
 *
 *   dt.c      the host from the device tree: ECAM window, bus range, the
 *             ranges windows BARs are placed in
 *   ecam.c    configuration space through ECAM, every access checked
 *             against the window
 *   enum.c    every bus from the first, through PCI-to-PCI bridges
 *             (pcie-root-port): bus numbers, each function recorded
 *   bar.c     BAR sizing, and pci_enable for a function a driver will use
 *   assign.c  BARs placed in the windows, bridge windows opened around them
 *   dt_intx.c the host node's interrupt-map, for INTx routing
 *   cap.c     the capability list, walked without trusting it
 *   intx.c    which GIC interrupt a function's INTx pin reaches, and
 *             INTx turned back on where firmware turned it off
 *
 * With -kernel and no firmware nobody has assigned a BAR on virt, so the
 * library does it (QEMU-FACTS: every BAR unassigned, decoding off). A
 * function whose decoding firmware already turned on is kept as it is.
 * Nothing is enabled but what pci_enable is asked for.
 */
#ifndef VBLK_PCI_PCI_H
#define VBLK_PCI_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci/regs.h"

/* Static tables: functions kept, bridges followed deep. */
#ifndef PCI_MAX_FUNCTIONS
#define PCI_MAX_FUNCTIONS 64
#endif
#ifndef PCI_MAX_BRIDGE_DEPTH
#define PCI_MAX_BRIDGE_DEPTH 8
#endif

/* One window of the host's ranges: PCI bus addresses [pci_base,
 * pci_base + size_bytes) appear to the CPU at cpu_base. size 0: absent. */
struct pci_window {
	uint64_t pci_base;
	uint64_t cpu_base;
	uint64_t size_bytes;
};

/*
 * INTx routing: the host node's interrupt-map as far as it leads to an Arm
 * GIC (Documentation/devicetree/bindings/pci/pci.txt; Open Firmware
 * Recommended Practice: Interrupt Mapping 0.9; DT spec v0.4 §2.4.3).
 *
 * Supported: entries of 3 child address cells and 1 interrupt cell (the
 * pin), whose interrupt parent is a GIC ("arm,gic-v3", "arm,gic-400",
 * "arm,cortex-a15-gic", with "interrupt-controller" and #interrupt-cells
 * = 3) with any #address-cells (absent: 0): an SPI or a PPI, its trigger.
 * Entries to any other parent (another nexus, a GIC with other cells) or
 * to a GIC number outside the SPI/PPI ranges are skipped, and so are
 * entries whose masked phys.mid/phys.lo are not 0 (no function's
 * configuration address matches them). An absent interrupt-map-mask
 * matches every bit (as Linux reads it). A map that cannot be read
 * whole (a truncated entry, a phandle naming no node, a parent without
 * #interrupt-cells, a mask not 4 cells, #interrupt-cells of the host not
 * 1, parents that need more than 16 searches of the tree: more than 4
 * distinct ones named in turn) is empty, with status -VBLK_EBADDT: INTx
 * is then unknown and a driver polls. It never fails pci_dt_find_host.
 */
#ifndef PCI_INTX_MAP_MAX
#define PCI_INTX_MAP_MAX 64        /* QEMU virt's map has 16 */
#endif

/* A function whose configuration address is phys_hi (bus << 16 | dev << 11
 * | fn << 8) raising pin (1-4: INTA-INTD), both masked with the map's
 * mask, interrupts the GIC at intid. */
struct pci_intx_route {
	uint32_t phys_hi;
	uint32_t pin;
	uint32_t intid;            /* GIC INTID: 32 + n for SPI n */
	bool edge;                 /* false: level (what INTx is, PCI 3.0 §2.2.6) */
};

struct pci_intx_map {
	int status;                /* 0 read; -VBLK_ENODEV no interrupt-map;
				      -VBLK_EBADDT unreadable: count 0 */
	uint32_t mask_phys_hi;     /* interrupt-map-mask cells 0 and 3 */
	uint32_t mask_pin;
	unsigned count;            /* routes kept, in the map's order */
	unsigned skipped;          /* entries not to a GIC or never matching */
	unsigned dropped;          /* GIC entries past the table */
	struct pci_intx_route route[PCI_INTX_MAP_MAX];
};

struct pci_host {
	uint64_t ecam_base;        /* CPU address of bus_first's config space */
	uint64_t ecam_size_bytes;
	uint8_t bus_first, bus_last;  /* those the ECAM window holds */
	struct pci_window io;      /* not used for BARs (reported) */
	struct pci_window mem32;   /* 32-bit memory, below 4 GiB */
	struct pci_window mem64;   /* 64-bit memory: prefetchable BARs */
	struct pci_intx_map intx;  /* zeroed: no route known */
};

struct pci_bdf {
	uint8_t bus, dev, fn;
};

/* ---- the host from a device tree (dt.c) ---------------------------- */

/* The first enabled "pci-host-ecam-generic" node of the DTB. Returns 0;
 * -VBLK_ENODEV if there is none; -VBLK_EINVAL for a NULL host;
 * -VBLK_EBADDT, *host zeroed, if the blob is malformed or the node cannot
 * be decoded (reg, bus-range, ranges, #address-cells other than 3). The
 * interrupt-map is read into host->intx as above; whatever it holds, the
 * result is that of the rest of the node. */
int pci_dt_find_host(struct pci_host *host, const void *dtb, size_t max_bytes);

/* For a walk (fdt_scan) that looks for other nodes as well: is the node,
 * with the compatible and status properties the walk read, an enabled
 * "pci-host-ecam-generic" below the root? And the host from such a node
 * (only its offset, depth and cells are read), decoded as above: 0, or
 * -VBLK_EBADDT with *host zeroed. The interrupt-map's parents are looked
 * up in `known` (fdt_phandles_find), or searched for if it is NULL. */
struct fdt;
struct fdt_node;
struct fdt_prop;
struct fdt_phandles;
bool pci_dt_is_host(const struct fdt_node *node, const struct fdt_prop *compatible,
		    const struct fdt_prop *status);
int pci_dt_read_host(struct pci_host *host, const struct fdt *fdt, const struct fdt_node *node,
		     const struct fdt_phandles *known);

/* ---- configuration space (ecam.c) ----------------------------------- */

/* Check a host description: an ECAM window of at least one bus, buses in
 * order; bus_last is lowered to what the window holds. 0 or -VBLK_EINVAL. */
int pci_host_check(struct pci_host *host);

/* The CPU address of bdf's configuration space, or 0 outside the window:
 * what tells one function from another across hosts. */
uint64_t pci_config_space(const struct pci_host *host, struct pci_bdf bdf);

/* Config reads and writes at 1, 2 or 4 bytes, naturally aligned, offset
 * below 4096, on a bus inside [bus_first, bus_last], dev < 32, fn < 8:
 * else -VBLK_ERANGE (-VBLK_EINVAL for a misaligned offset) and nothing
 * is accessed. */
int pci_cfg_read(const struct pci_host *host, struct pci_bdf bdf, uint32_t offset,
		 unsigned width_bytes, uint32_t *val);
int pci_cfg_write(const struct pci_host *host, struct pci_bdf bdf, uint32_t offset,
		  unsigned width_bytes, uint32_t val);

/* The same, for callers that already know the address is inside: a
 * refused read gives all ones, as a master abort does (PCI 3.0 §6.1),
 * and a refused write is dropped. */
uint32_t pci_cfg_rd(const struct pci_host *host, struct pci_bdf bdf, uint32_t offset,
		    unsigned width_bytes);
void pci_cfg_wr(const struct pci_host *host, struct pci_bdf bdf, uint32_t offset,
		unsigned width_bytes, uint32_t val);

/* ---- what enumeration found (enum.c, bar.c, assign.c) --------------- */

enum pci_bar_kind {
	PCI_BAR_UNUSED = 0,    /* not implemented, or the upper half of a 64-bit BAR */
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,
};

struct pci_bar {
	enum pci_bar_kind kind;
	bool prefetchable;
	uint64_t size_bytes;   /* a power of 2 */
	uint64_t pci_addr;     /* as the BAR holds it */
	uint64_t cpu_addr;     /* where the CPU reaches it */
	/* 0 assigned (or kept); -VBLK_ENOMEM no room in the windows;
	 * -VBLK_EUNSUPP an I/O BAR (not assigned: no I/O window is used);
	 * -VBLK_EBROKEN an absurd size (not a contiguous mask, or past the
	 * address space); -VBLK_ESTATE not assigned yet. */
	int status;
};

struct pci_function {
	struct pci_bdf bdf;
	uint16_t vendor_id, device_id;
	uint32_t class_code;      /* 24 bits: base class, subclass, prog-if */
	uint8_t header_type;      /* bits [6:0] of the register */
	int parent;               /* index of the bridge above, -1 on bus_first */
	bool firmware_assigned;   /* decoding was on: BARs kept as they were */
	unsigned nbars;           /* 6, or 2 for a bridge */
	struct pci_bar bar[PCI_BARS_NORMAL];
	/* A bridge (header type 1): the buses behind it, 0 and 0 if it was
	 * not followed (too deep, or no bus number left), and its windows
	 * (base > limit: closed). */
	uint8_t secondary_bus, subordinate_bus;
	uint64_t mem_base, mem_limit, pref_base, pref_limit;
	int status;               /* 0, or why a bridge was not followed */
};

struct pci_scan {
	struct pci_host host;
	struct pci_function fn[PCI_MAX_FUNCTIONS];
	unsigned count;
	unsigned dropped;         /* functions past the table, not recorded */
	uint8_t last_bus;         /* highest bus number handed out */
};

/* Walk every bus from host->bus_first (checked with pci_host_check),
 * number the buses behind bridges depth-first, record and size every
 * function (enum.c), then assign BARs and program the bridges' windows
 * (assign.c). Functions with decoding on are kept as they are and nothing
 * new overlaps their BARs. Decoding stays off everywhere else. Returns
 * the number of functions recorded; -VBLK_EINVAL for a bad host or NULL.
 * Per-BAR and per-bridge problems are in each entry's status. */
int pci_scan(struct pci_scan *scan, const struct pci_host *host);

/* After a scan whose table overflowed (scan->dropped > 0), the functions
 * it left out, so a driver can say which device it could not reach: each
 * call gives the next one present on the buses the scan numbered and not
 * in the table (walk zeroed to start), in bus order; false at the end,
 * and at once if nothing was dropped. Config reads only. */
struct pci_unrecorded_walk {
	unsigned next;
};
bool pci_next_unrecorded(const struct pci_scan *scan, struct pci_unrecorded_walk *walk,
			 struct pci_bdf *bdf);

/* The two halves, for tests: pci_enumerate records and sizes, and
 * pci_assign places the BARs and opens the bridge windows. */
int pci_enumerate(struct pci_scan *scan, const struct pci_host *host);
void pci_assign(struct pci_scan *scan);

/* Size function fn's BARs from its config space (bar.c). */
void pci_size_bars(const struct pci_host *host, struct pci_function *fn);

/* Read the function at bdf into *fn: its IDs, class and header type
 * only, parent -1, nothing sized (pci_identify); or that and its BARs
 * sized, `parent` as in struct pci_function (pci_read_function). Nothing
 * is enabled. */
void pci_identify(const struct pci_host *host, struct pci_bdf bdf, struct pci_function *fn);
void pci_read_function(const struct pci_host *host, struct pci_bdf bdf, int parent,
		       struct pci_function *fn);

/* For a function whose BARs firmware placed, whether it left decoding on
 * or off: take each memory BAR it kept (decoding on) or that holds a
 * nonzero address as assigned, at that address (CPU address = PCI
 * address, as on QEMU virt). */
void pci_use_bars_as_set(struct pci_function *fn);

/* Turn on memory decoding and bus mastering on this one function, not
 * on bridges above it (firmware's): -VBLK_ESTATE if a memory BAR is
 * unassigned. */
int pci_enable_function(const struct pci_host *host, const struct pci_function *fn);

/* Turn on memory decoding and bus mastering for function `index`, and on
 * the bridges above it so its BARs and its DMA are forwarded. Returns 0;
 * -VBLK_EINVAL for a bad index; -VBLK_ESTATE if one of its memory BARs
 * is unassigned (it would decode at whatever address it holds). */
int pci_enable(struct pci_scan *scan, unsigned index);

/* ---- capabilities (cap.c) --------------------------------------------- */

/* A walk of the capability list (PCI 3.0 §6.7), zeroed to start. Each
 * pci_cap_next steps to the next entry: true with pos its offset, false
 * at the end. The list is the device's: the walk ends at a pointer
 * outside [0x40, 0x100) and after 48 entries (a loop), and never reads
 * outside the function's first 256 bytes. */
struct pci_cap_walk {
	uint32_t pos;
	unsigned hops;
};
bool pci_cap_next(const struct pci_host *host, struct pci_bdf bdf, struct pci_cap_walk *walk);

/* The offset of the function's first capability with this ID, or 0. */
uint32_t pci_find_cap(const struct pci_host *host, struct pci_bdf bdf, uint8_t cap_id);

/* ---- INTx (intx.c) ---------------------------------------------------- */

/* The GIC interrupt function `index` raises on its INTx pin: its Interrupt
 * Pin register, swizzled at every bridge up to the root bus
 * (PCI-to-PCI Bridge 1.2 §9.1), looked up with the root-bus ancestor's
 * address in scan->host.intx. Returns 0 with *intid and *edge; -VBLK_EINVAL
 * for a NULL argument, an index past the table or a parent link that does
 * not lead up; -VBLK_ENODEV if the function has no pin (0, or a reserved
 * value) or no route matches (no map, an empty one, or none for it). */
int pci_intx(const struct pci_scan *scan, unsigned index, uint32_t *intid, bool *edge);

/* Let the function interrupt on its INTx pin: clear Interrupt Disable in
 * Command and the enable bit of its MSI and MSI-X capabilities, which
 * firmware may have left set (with either on, a function must not use
 * INTx: PCI 3.0 §6.8). Nothing else changes. */
void pci_use_intx(const struct pci_host *host, struct pci_bdf bdf);

/* The index of the first function with these IDs from `start`, or -1. */
int pci_find(const struct pci_scan *scan, uint16_t vendor_id, uint16_t device_id,
	     unsigned start);

#endif
