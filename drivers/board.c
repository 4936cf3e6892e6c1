/*
 * board_from_fdt(): one walk over the device tree that picks out what the
 * vblk runtime needs (RAM, GIC, PL011, timer PPI) into a struct
 * board_info. The disks are not among them: the library finds those
 * itself (virtio/dt.c).
 *
 * Addresses are decoded with the #address-cells/#size-cells of each node's
 * parent, interrupt specifiers with the arm,gic binding (fdt/walk.c).
 *
 * A relevant node whose properties cannot be decoded (a reg that is not a
 * whole number of entries, a 3-cell address, an interrupt number outside the
 * GIC's range) makes the whole parse fail with -VBLK_EBADDT: a wrong MMIO
 * address is worse than no address. Nodes we do not know are skipped.
 */
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

/* Longest stdout-path (or alias target) we resolve; longer ones are
 * ignored and the first PL011 is used. */
#define STDOUT_PATH_MAX       128u

struct board_walk {
	struct board_info *info;
	int stdout_off;          /* node named by /chosen stdout-path, or < 0 */
	int have_uart;
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
