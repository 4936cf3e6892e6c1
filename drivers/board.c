/*
 * board_from_fdt(): one walk over the device tree that picks out what vblk
 * and its runtime need (RAM, GIC, PL011, timer PPI, virtio-mmio slots,
 * bootargs) into a struct board_info.
 *
 * Addresses are decoded with the #address-cells/#size-cells of each node's
 * parent (DT spec §2.3.5; 2 and 1 when absent). Interrupt specifiers are the
 * GIC's three cells <type number flags> (arm,gic binding): type 0 is an SPI
 * (INTID 32 + n), type 1 a PPI (INTID 16 + n).
 *
 * A relevant node whose properties cannot be decoded (a reg that is not a
 * whole number of entries, a 3-cell address, an interrupt number outside the
 * GIC's range) makes the whole parse fail with -VBLK_EBADDT: a wrong MMIO
 * address is worse than no address. Nodes we do not know are skipped.
 */
#include <string.h>

#include "vblk/error.h"
#include "drivers/fdt.h"
#include "drivers/board.h"

/* DT spec §2.3.5: defaults when a node has no #address-cells/#size-cells. */
#define DEFAULT_ADDRESS_CELLS 2u
#define DEFAULT_SIZE_CELLS    1u
/* We hold addresses and sizes in 64 bits: at most two cells each. */
#define MAX_ADDR_CELLS        2u
#define MAX_SIZE_CELLS        2u
#define CELLS_INVALID         UINT32_MAX   /* property present but not 1 cell */

/* arm,gic binding: interrupts = <type number flags>. */
#define GIC_IRQ_CELLS         3u
#define GIC_IRQ_TYPE_SPI      0u
#define GIC_IRQ_TYPE_PPI      1u
#define GIC_SPI_BASE_INTID    32u
#define GIC_SPI_COUNT         988u   /* INTIDs 32..1019 */
#define GIC_PPI_BASE_INTID    16u
#define GIC_PPI_COUNT         16u    /* INTIDs 16..31 */

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

#define CHOSEN_NAME           "chosen"

struct bus_cells {
	uint32_t address_cells;
	uint32_t size_cells;
};

/* A decoded reg property: `count` entries of the parent's cell sizes. */
struct reg_view {
	const uint8_t *cells;
	uint32_t count;
	struct bus_cells bus;
};

struct board_walk {
	struct fdt fdt;
	struct board_info *info;
	int stdout_off;          /* node named by /chosen stdout-path, or < 0 */
	int have_uart;
	/* cells[d] = what the node at depth d says about its children */
	struct bus_cells cells[FDT_MAX_DEPTH + 1];
};

static uint32_t cells_prop(const struct fdt *fdt, int node_off, const char *name,
			   uint32_t default_cells)
{
	uint32_t len_bytes;
	const void *value = fdt_getprop(fdt, node_off, name, &len_bytes);

	if (value == NULL)
		return default_cells;
	if (len_bytes != FDT_CELL_BYTES)
		return CELLS_INVALID;
	return fdt_cell32(value, 0);
}

static struct bus_cells node_bus_cells(const struct fdt *fdt, int node_off)
{
	struct bus_cells bus = {
		.address_cells = cells_prop(fdt, node_off, "#address-cells",
					    DEFAULT_ADDRESS_CELLS),
		.size_cells = cells_prop(fdt, node_off, "#size-cells",
					 DEFAULT_SIZE_CELLS),
	};
	return bus;
}

/* A string property equal to `want` (NUL included, as the blob stores it). */
static int prop_is_string(const struct fdt *fdt, int node_off, const char *name,
			  const char *want)
{
	uint32_t len_bytes;
	const char *value = fdt_getprop(fdt, node_off, name, &len_bytes);
	size_t want_bytes = strlen(want) + 1;

	return value != NULL && len_bytes == want_bytes &&
	       memcmp(value, want, want_bytes) == 0;
}

/* DT spec §2.3.4: a node is usable if status is absent, "okay" or "ok". */
static int node_enabled(const struct fdt *fdt, int node_off)
{
	if (fdt_getprop(fdt, node_off, "status", NULL) == NULL)
		return 1;
	return prop_is_string(fdt, node_off, "status", "okay") ||
	       prop_is_string(fdt, node_off, "status", "ok");
}

/* Decode a node's reg with its parent's cell sizes. -VBLK_ENODEV if the
 * node has no reg; -VBLK_EBADDT if it cannot be decoded. */
static int read_reg(const struct fdt *fdt, int node_off, struct bus_cells bus,
		    struct reg_view *reg)
{
	uint32_t len_bytes, entry_bytes;
	const void *value = fdt_getprop(fdt, node_off, "reg", &len_bytes);

	if (value == NULL)
		return -VBLK_ENODEV;
	if (bus.address_cells == 0 || bus.address_cells > MAX_ADDR_CELLS ||
	    bus.size_cells > MAX_SIZE_CELLS)
		return -VBLK_EBADDT;
	entry_bytes = (bus.address_cells + bus.size_cells) * FDT_CELL_BYTES;
	if (len_bytes == 0 || len_bytes % entry_bytes != 0)
		return -VBLK_EBADDT;
	reg->cells = value;
	reg->count = len_bytes / entry_bytes;
	reg->bus = bus;
	return 0;
}

static struct board_region reg_entry(const struct reg_view *reg, uint32_t index)
{
	uint32_t entry_cells = reg->bus.address_cells + reg->bus.size_cells;
	unsigned first = index * entry_cells;
	struct board_region region = {
		.base = fdt_read_cells(reg->cells, first, reg->bus.address_cells),
		.size_bytes = fdt_read_cells(reg->cells,
					     first + reg->bus.address_cells,
					     reg->bus.size_cells),
	};
	return region;
}

/* Decode GIC interrupt specifier `index` of the node's interrupts property.
 * -VBLK_ENODEV if there is none; *intid = 0 for types we do not map
 * (extended SPI/PPI ranges). */
static int read_intid(const struct fdt *fdt, int node_off, uint32_t index,
		      uint32_t *intid, uint32_t *flags)
{
	uint32_t len_bytes, type, number;
	const uint32_t spec_bytes = GIC_IRQ_CELLS * FDT_CELL_BYTES;
	const void *value = fdt_getprop(fdt, node_off, "interrupts", &len_bytes);
	unsigned first = index * GIC_IRQ_CELLS;

	if (value == NULL)
		return -VBLK_ENODEV;
	if (len_bytes == 0 || len_bytes % spec_bytes != 0)
		return -VBLK_EBADDT;
	if (index >= len_bytes / spec_bytes)
		return -VBLK_ENODEV;
	type = fdt_cell32(value, first);
	number = fdt_cell32(value, first + 1);
	*flags = fdt_cell32(value, first + 2);
	*intid = 0;
	if (type == GIC_IRQ_TYPE_SPI) {
		if (number >= GIC_SPI_COUNT)
			return -VBLK_EBADDT;
		*intid = GIC_SPI_BASE_INTID + number;
	} else if (type == GIC_IRQ_TYPE_PPI) {
		if (number >= GIC_PPI_COUNT)
			return -VBLK_EBADDT;
		*intid = GIC_PPI_BASE_INTID + number;
	}
	return 0;
}

/* Like read_intid, but an absent property just means "no interrupt". */
static int read_optional_intid(const struct fdt *fdt, int node_off,
			       uint32_t *intid, uint32_t *flags)
{
	int err = read_intid(fdt, node_off, 0, intid, flags);

	if (err == -VBLK_ENODEV) {
		*intid = 0;
		*flags = 0;
		return 0;
	}
	return err;
}

static int add_memory(struct board_info *info, const struct fdt *fdt,
		      int node_off, struct bus_cells bus)
{
	struct reg_view reg;
	int err = read_reg(fdt, node_off, bus, &reg);

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
		   int node_off, struct bus_cells bus, int version)
{
	struct reg_view reg;
	int err;

	if (info->gic_version != 0)
		return 0;           /* keep the first GIC */
	err = read_reg(fdt, node_off, bus, &reg);
	if (err < 0)
		return -VBLK_EBADDT;
	if (reg.count <= GIC_REG_CPU_OR_REDIST)
		return -VBLK_EBADDT;
	info->gic_version = version;
	info->gic_dist = reg_entry(&reg, GIC_REG_DIST);
	info->gic_cpu = reg_entry(&reg, GIC_REG_CPU_OR_REDIST);
	return 0;
}

static int add_uart(struct board_walk *walk, int node_off, struct bus_cells bus)
{
	struct reg_view reg;
	uint32_t intid, flags;
	int err;

	/* First PL011 in DT order, unless stdout-path names another one. */
	if (walk->have_uart && node_off != walk->stdout_off)
		return 0;
	err = read_reg(&walk->fdt, node_off, bus, &reg);
	if (err < 0)
		return -VBLK_EBADDT;
	err = read_optional_intid(&walk->fdt, node_off, &intid, &flags);
	if (err < 0)
		return err;
	walk->info->uart_base = reg_entry(&reg, 0).base;
	walk->info->uart_intid = intid;
	walk->have_uart = 1;
	return 0;
}

static int add_timer(struct board_info *info, const struct fdt *fdt, int node_off)
{
	uint32_t intid, flags;
	int err;

	if (info->timer_virt_intid != 0)
		return 0;
	err = read_intid(fdt, node_off, TIMER_VIRT_IRQ_INDEX, &intid, &flags);
	if (err < 0)
		return -VBLK_EBADDT;
	info->timer_virt_intid = intid;
	info->timer_virt_flags = flags;
	return 0;
}

static int add_virtio(struct board_info *info, const struct fdt *fdt,
		      int node_off, struct bus_cells bus)
{
	struct board_virtio_mmio *slot;
	struct reg_view reg;
	struct board_region region;
	uint32_t intid, flags;
	int err;

	if (info->virtio_count >= BOARD_MAX_VIRTIO)
		return 0;           /* keep the first ones */
	err = read_reg(fdt, node_off, bus, &reg);
	if (err < 0)
		return -VBLK_EBADDT;
	err = read_optional_intid(fdt, node_off, &intid, &flags);
	if (err < 0)
		return err;
	region = reg_entry(&reg, 0);
	slot = &info->virtio[info->virtio_count++];
	slot->base = region.base;
	slot->size_bytes = region.size_bytes;
	slot->intid = intid;
	slot->irq_flags = flags;
	slot->dma_coherent = fdt_getprop(fdt, node_off, "dma-coherent", NULL) != NULL;
	return 0;
}

static int read_chosen(struct board_info *info, const struct fdt *fdt, int node_off)
{
	uint32_t len_bytes;
	const char *bootargs = fdt_getprop(fdt, node_off, "bootargs", &len_bytes);

	if (bootargs == NULL)
		return 0;
	/* Handed out as a C string: it must end inside its property. */
	if (memchr(bootargs, '\0', len_bytes) == NULL)
		return -VBLK_EBADDT;
	info->bootargs = bootargs;
	return 0;
}

static int visit_node(struct board_walk *walk, int node_off, int depth)
{
	const struct fdt *fdt = &walk->fdt;
	struct board_info *info = walk->info;
	struct bus_cells bus = walk->cells[depth - 1];
	const char *name = fdt_node_name(fdt, node_off);

	if (name == NULL)
		return -VBLK_EBADDT;
	if (depth == 1 && strncmp(name, CHOSEN_NAME, sizeof(CHOSEN_NAME)) == 0)
		return read_chosen(info, fdt, node_off);
	if (!node_enabled(fdt, node_off))
		return 0;
	if (prop_is_string(fdt, node_off, "device_type", "memory"))
		return add_memory(info, fdt, node_off, bus);
	if (fdt_is_compatible(fdt, node_off, "arm,gic-v3"))
		return add_gic(info, fdt, node_off, bus, GIC_VERSION_3);
	if (fdt_is_compatible(fdt, node_off, "arm,cortex-a15-gic") ||
	    fdt_is_compatible(fdt, node_off, "arm,gic-400"))
		return add_gic(info, fdt, node_off, bus, GIC_VERSION_2);
	if (fdt_is_compatible(fdt, node_off, "arm,pl011"))
		return add_uart(walk, node_off, bus);
	if (fdt_is_compatible(fdt, node_off, "arm,armv8-timer"))
		return add_timer(info, fdt, node_off);
	if (fdt_is_compatible(fdt, node_off, "virtio,mmio"))
		return add_virtio(info, fdt, node_off, bus);
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

static int walk_tree(struct board_walk *walk)
{
	int node_off = fdt_root(&walk->fdt);
	int depth = 0;
	int err;

	if (node_off < 0)
		return node_off;
	walk->stdout_off = find_stdout(&walk->fdt);
	if (walk->stdout_off == -VBLK_EBADDT)
		return -VBLK_EBADDT;
	walk->cells[0] = node_bus_cells(&walk->fdt, node_off);
	/* fdt_next_node bounds depth by FDT_MAX_DEPTH and the walk by the
	 * size of the structure block. */
	for (;;) {
		node_off = fdt_next_node(&walk->fdt, node_off, &depth);
		if (node_off <= 0)
			return node_off;
		walk->cells[depth] = node_bus_cells(&walk->fdt, node_off);
		err = visit_node(walk, node_off, depth);
		if (err < 0)
			return err;
	}
}

int board_from_fdt(struct board_info *info, const void *dtb, size_t max_bytes)
{
	struct board_walk walk;
	int err;

	if (info == NULL)
		return -VBLK_EINVAL;
	memset(info, 0, sizeof(*info));
	memset(&walk, 0, sizeof(walk));
	walk.info = info;
	err = fdt_open(&walk.fdt, dtb, max_bytes);
	if (err == 0)
		err = walk_tree(&walk);
	if (err < 0)
		memset(info, 0, sizeof(*info));
	return err;
}
