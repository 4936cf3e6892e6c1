/* SPDX-License-Identifier: MIT */
/*
 * board_from_fdt(): one walk over the device tree that picks out what the
 * vblk runtime needs (RAM, GIC, PL011, timer PPI, the address windows of a
 * PCI host) into a struct board_info. The disks are not among them: the
 * library finds those itself (virtio/dt.c, pci/).
 *
 * Addresses are decoded with the #address-cells/#size-cells of each node's
 * parent, interrupt specifiers with the arm,gic binding (fdt/decode.c).
 *
 * A relevant node whose properties cannot be decoded (a reg that is not a
 * whole number of entries, a 3-cell address, an interrupt number outside the
 * GIC's range) makes the whole parse fail with -VBLK_EBADDT: a wrong MMIO
 * address is worse than no address. Nodes we do not know are skipped.
 * The PCI host is the exception: its windows are only mapped, for the
 * library, which reads the node itself and refuses a broken one (pci/dt.c);
 * so a node we cannot decode adds no windows and fails nothing, and the
 * runtime still boots for the library's virtio-mmio disks.
 */
#include <stdbool.h>
#include <string.h>

#include "vblk/error.h"
#include "fdt/fdt.h"
#include "drivers/board.h"

/* arm,armv8-timer: interrupts are secure phys, non-secure phys, virtual,
 * hypervisor, in that order; we want the virtual timer. */
#define TIMER_VIRT_IRQ_INDEX  2u

/* board_info.gic_version values. */
#define GIC_VERSION_2         2
#define GIC_VERSION_3         3

/* GIC reg entries, in binding order. */
#define GIC_REG_DIST          0u
#define GIC_REG_CPU_OR_REDIST 1u

/* pci-host-ecam-generic (Linux's host-generic-pci binding, on the IEEE
 * 1275 PCI bus binding §2.2.1): a ranges entry is a PCI address of 3
 * cells (phys.hi bits [25:24] its space), a CPU address in the parent's
 * cells and a size of 2 cells. */
#define PCI_ADDRESS_CELLS     3u
#define PCI_SIZE_CELLS        2u
#define PCI_SPACE_SHIFT       24
#define PCI_SPACE_MASK        0x3u
#define PCI_SPACE_MEM32       2u
#define PCI_SPACE_MEM64       3u
#define PCI_MAX_PARENT_CELLS  2u       /* CPU addresses held in 64 bits */

/* Longest stdout-path (or alias target) we resolve; longer ones are
 * ignored and the first PL011 is used. */
#define STDOUT_PATH_MAX       128u

struct board_walk {
	struct board_info *info;
	int stdout_off;          /* node named by /chosen stdout-path, or < 0 */
	int have_uart;
	bool have_pci;           /* the first enabled PCI host was seen */
};

static struct board_region reg_entry(const struct fdt_reg *reg, uint32_t index)
{
	struct fdt_region region = fdt_reg_entry(reg, index);

	return (struct board_region){ region.base, region.size_bytes };
}

static int add_memory(struct board_info *info, const struct fdt *fdt,
		      int node_off, struct fdt_bus bus)
{
	struct fdt_reg reg;
	int err = fdt_read_reg(fdt, node_off, bus, &reg);

	if (err == -VBLK_ENODEV)
		return 0;
	if (err < 0)
		return err;
	for (uint32_t i = 0; i < reg.count; i++) {
		struct board_region region = reg_entry(&reg, i);

		if (region.base + region.size_bytes < region.base)
			return -VBLK_EBADDT;   /* range wraps around */
		if (region.size_bytes == 0 || info->memory_count >= BOARD_MAX_MEMORY)
			continue;
		info->memory[info->memory_count++] = region;
	}
	return 0;
}

static int add_gic(struct board_info *info, const struct fdt *fdt,
		   int node_off, struct fdt_bus bus, int version)
{
	struct fdt_reg reg;
	int err;

	if (info->gic_version != 0)
		return 0;           /* keep the first GIC */
	err = fdt_read_reg(fdt, node_off, bus, &reg);
	if (err < 0)
		return -VBLK_EBADDT;
	if (reg.count <= GIC_REG_CPU_OR_REDIST)
		return -VBLK_EBADDT;
	info->gic_version = version;
	info->gic_dist = reg_entry(&reg, GIC_REG_DIST);
	info->gic_cpu = reg_entry(&reg, GIC_REG_CPU_OR_REDIST);
	return 0;
}

static int add_uart(struct board_walk *walk, const struct fdt *fdt, int node_off,
		    struct fdt_bus bus)
{
	struct fdt_reg reg;
	int err;

	/* First PL011 in DT order, unless stdout-path names another one. */
	if (walk->have_uart && node_off != walk->stdout_off)
		return 0;
	err = fdt_read_reg(fdt, node_off, bus, &reg);
	if (err < 0)
		return -VBLK_EBADDT;
	walk->info->uart_base = fdt_reg_entry(&reg, 0).base;
	walk->have_uart = 1;
	return 0;
}

static int add_timer(struct board_info *info, const struct fdt *fdt, int node_off)
{
	uint32_t intid, flags;
	int err;

	if (info->timer_virt_intid != 0)
		return 0;
	err = fdt_gic_interrupt(fdt, node_off, TIMER_VIRT_IRQ_INDEX, &intid, &flags);
	if (err < 0)
		return -VBLK_EBADDT;
	info->timer_virt_intid = intid;
	info->timer_virt_flags = flags;
	return 0;
}

static bool own_cells_are(const struct fdt *fdt, int node_off, const char *name,
			  uint32_t want)
{
	uint32_t len_bytes;
	const void *value = fdt_getprop(fdt, node_off, name, &len_bytes);

	return value != NULL && len_bytes == FDT_CELL_BYTES && fdt_cell32(value, 0) == want;
}

static bool region_wraps(struct board_region region)
{
	return region.size_bytes != 0 && region.base + (region.size_bytes - 1) < region.base;
}

/* The first window of `space` in the host's ranges into *window (size 0
 * if there is none). -VBLK_EBADDT if ranges is not whole entries or an
 * entry wraps. */
static int pci_window(const struct fdt *fdt, int node_off, struct fdt_bus parent,
		      uint32_t space, struct board_region *window)
{
	unsigned entry_cells = PCI_ADDRESS_CELLS + parent.address_cells + PCI_SIZE_CELLS;
	uint32_t entry_bytes = entry_cells * FDT_CELL_BYTES, len_bytes;
	const uint8_t *value = fdt_getprop(fdt, node_off, "ranges", &len_bytes);

	*window = (struct board_region){ 0, 0 };
	if (value == NULL)
		return 0;                /* no windows: the ECAM alone */
	if (len_bytes % entry_bytes != 0)
		return -VBLK_EBADDT;
	for (uint32_t at = 0; at < len_bytes; at += entry_bytes) {
		const uint8_t *entry = value + at;
		struct board_region found = {
			.base = fdt_read_cells(entry, PCI_ADDRESS_CELLS, parent.address_cells),
			.size_bytes = fdt_read_cells(entry, PCI_ADDRESS_CELLS + parent.address_cells,
						     PCI_SIZE_CELLS),
		};

		if (region_wraps(found))
			return -VBLK_EBADDT;
		if ((fdt_cell32(entry, 0) >> PCI_SPACE_SHIFT & PCI_SPACE_MASK) == space &&
		    found.size_bytes != 0 && window->size_bytes == 0)
			*window = found;
	}
	return 0;
}

/* The regions of one PCI host into `device` (at most BOARD_MAX_DEVICE):
 * how many, or -VBLK_EBADDT. */
static int pci_regions(const struct fdt *fdt, int node_off, struct fdt_bus parent,
		       struct board_region device[BOARD_MAX_DEVICE])
{
	static const uint32_t spaces[] = { PCI_SPACE_MEM32, PCI_SPACE_MEM64 };
	struct fdt_reg reg;
	int count = 0;

	if (!own_cells_are(fdt, node_off, "#address-cells", PCI_ADDRESS_CELLS) ||
	    !own_cells_are(fdt, node_off, "#size-cells", PCI_SIZE_CELLS) ||
	    parent.address_cells == 0 || parent.address_cells > PCI_MAX_PARENT_CELLS ||
	    fdt_read_reg(fdt, node_off, parent, &reg) < 0)
		return -VBLK_EBADDT;
	device[count] = reg_entry(&reg, 0);
	if (device[count].size_bytes == 0 || region_wraps(device[count]))
		return -VBLK_EBADDT;
	count++;
	for (unsigned i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		if (pci_window(fdt, node_off, parent, spaces[i], &device[count]) < 0)
			return -VBLK_EBADDT;
		if (device[count].size_bytes != 0)
			count++;
	}
	return count;
}

/* The first enabled host only, as the library takes it; all its regions
 * or none. */
static int add_pci_host(struct board_walk *walk, const struct fdt *fdt, int node_off,
			struct fdt_bus bus)
{
	struct board_region device[BOARD_MAX_DEVICE];
	int count;

	if (walk->have_pci)
		return 0;
	walk->have_pci = true;
	count = pci_regions(fdt, node_off, bus, device);
	if (count < 0)
		return 0;           /* not ours to refuse: see the header */
	memcpy(walk->info->device, device, (size_t)count * sizeof(device[0]));
	walk->info->device_count = (unsigned)count;
	return 0;
}

static int visit_node(void *ctx, const struct fdt *fdt, int node_off, int depth,
		      struct fdt_bus bus)
{
	struct board_walk *walk = ctx;
	struct board_info *info = walk->info;

	(void)depth;
	if (!fdt_node_enabled(fdt, node_off))
		return 0;
	if (fdt_prop_is_string(fdt, node_off, "device_type", "memory"))
		return add_memory(info, fdt, node_off, bus);
	if (fdt_is_compatible(fdt, node_off, "arm,gic-v3"))
		return add_gic(info, fdt, node_off, bus, GIC_VERSION_3);
	if (fdt_is_compatible(fdt, node_off, "arm,cortex-a15-gic") ||
	    fdt_is_compatible(fdt, node_off, "arm,gic-400"))
		return add_gic(info, fdt, node_off, bus, GIC_VERSION_2);
	if (fdt_is_compatible(fdt, node_off, "arm,pl011"))
		return add_uart(walk, fdt, node_off, bus);
	if (fdt_is_compatible(fdt, node_off, "arm,armv8-timer"))
		return add_timer(info, fdt, node_off);
	if (fdt_is_compatible(fdt, node_off, "pci-host-ecam-generic"))
		return add_pci_host(walk, fdt, node_off, bus);
	return 0;
}

/* Copy a string property into buf, stopping at ':' (stdout-path options
 * such as "serial0:115200n8", DT spec §3.6). */
static int copy_path(char *buf, const char *value, uint32_t len_bytes)
{
	uint32_t path_len = 0;

	while (path_len < len_bytes && value[path_len] != '\0' &&
	       value[path_len] != ':')
		path_len++;
	if (path_len == len_bytes || path_len >= STDOUT_PATH_MAX)
		return -VBLK_ENODEV;   /* unterminated or too long: ignore */
	memcpy(buf, value, path_len);
	buf[path_len] = '\0';
	return 0;
}

/* The node /chosen stdout-path names (directly or through /aliases), or a
 * negative code: -VBLK_ENODEV if there is none we can use. */
static int find_stdout(const struct fdt *fdt)
{
	char path[STDOUT_PATH_MAX];
	uint32_t len_bytes;
	const char *value;
	int chosen, aliases, err;

	chosen = fdt_path_offset(fdt, "/chosen");
	if (chosen < 0)
		return chosen;
	value = fdt_getprop(fdt, chosen, "stdout-path", &len_bytes);
	if (value == NULL)
		value = fdt_getprop(fdt, chosen, "linux,stdout-path", &len_bytes);
	if (value == NULL)
		return -VBLK_ENODEV;
	err = copy_path(path, value, len_bytes);
	if (err < 0)
		return err;
	if (path[0] != '/') {
		/* An alias name: /aliases maps it to a full path. */
		aliases = fdt_path_offset(fdt, "/aliases");
		if (aliases < 0)
			return aliases;
		value = fdt_getprop(fdt, aliases, path, &len_bytes);
		if (value == NULL)
			return -VBLK_ENODEV;
		err = copy_path(path, value, len_bytes);
		if (err < 0)
			return err;
		if (path[0] != '/')
			return -VBLK_ENODEV;
	}
	return fdt_path_offset(fdt, path);
}

int board_from_fdt(struct board_info *info, const void *dtb, size_t max_bytes)
{
	struct board_walk walk = { .info = info };
	struct fdt fdt;
	int err;

	if (info == NULL)
		return -VBLK_EINVAL;
	memset(info, 0, sizeof(*info));
	err = fdt_open(&fdt, dtb, max_bytes);
	if (err == 0) {
		walk.stdout_off = find_stdout(&fdt);
		if (walk.stdout_off == -VBLK_EBADDT)
			err = -VBLK_EBADDT;
	}
	if (err == 0)
		err = fdt_walk(&fdt, visit_node, &walk);
	if (err < 0)
		memset(info, 0, sizeof(*info));
	return err;
}
