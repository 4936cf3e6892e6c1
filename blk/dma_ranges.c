/* SPDX-License-Identifier: MIT */
/*
 * The memory a device may be given: the platform's RAM, as the
 * application (or the vblk runtime, from the device tree) tells vblk with
 * vblk_set_dma_ranges. A buffer the device cannot reach is refused before
 * it goes near a ring (-VBLK_EFAULT): QEMU takes an address outside its
 * RAM as a broken driver, gives up on the device or, on a packed ring,
 * never finishes the notification, and an address in a device's
 * registers would have the disk's data written into them.
 *
 * Until ranges are given, every address is taken: vblk cannot know the
 * memory map of firmware that does not say it.
 */
#include "blk/check.h"

#include "plat/platform.h"

static struct vblk_dma_range ranges[VBLK_MAX_DMA_RANGES];
static unsigned range_count;

int vblk_set_dma_ranges(const struct vblk_dma_range *given, unsigned count)
{
	if (count > VBLK_MAX_DMA_RANGES || (count > 0 && given == NULL))
		return -VBLK_EINVAL;
	for (unsigned i = 0; i < count; i++) {
		/* Empty, or wrapping past the top of the address space. */
		if (given[i].size_bytes == 0 || given[i].base + given[i].size_bytes - 1 < given[i].base)
			return -VBLK_EINVAL;
	}
	/* The checks read the table with IRQs masked (vblk_submit) or from
	 * a callback in the disk's interrupt: change it likewise. */
	plat_irqflags_t flags = plat_irq_save();
	for (unsigned i = 0; i < count; i++)
		ranges[i] = given[i];
	range_count = count;
	plat_irq_restore(flags);
	return 0;
}

/* The range that holds byte `addr`, or NULL. */
static const struct vblk_dma_range *range_holding(uint64_t addr)
{
	for (unsigned i = 0; i < range_count; i++) {
		if (addr >= ranges[i].base && addr - ranges[i].base < ranges[i].size_bytes)
			return &ranges[i];
	}
	return NULL;
}

/*
 * Every byte of the buffer in some range. Usually one holds it all; a
 * buffer across the border of two ranges that touch (RAM the device tree
 * gives in two pieces) is walked range by range.
 */
bool blk_dma_reachable(const void *buf, uint64_t len_bytes)
{
	uint64_t addr = plat_virt_to_phys(buf);

	if (range_count == 0)
		return true;
	if (len_bytes == 0 || len_bytes - 1 > UINT64_MAX - addr)
		return false;   /* nothing, or past the top of the address space */
	for (;;) {
		const struct vblk_dma_range *range = range_holding(addr);
		if (range == NULL)
			return false;
		uint64_t left_in_range = range->size_bytes - (addr - range->base);
		if (len_bytes <= left_in_range)
			return true;
		addr += left_in_range;
		len_bytes -= left_in_range;
	}
}
