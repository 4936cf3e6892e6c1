/* SPDX-License-Identifier: MIT */
/*
 * The feature bits the block driver knows, which of them it accepts, and
 * their names for diagnostics. A bit that is not in this table with
 * `accept` set is never negotiated, whatever the device offers
 * (virtio 1.2 §2.2.1; e.g. RING_RESET, which QEMU 7.2 offers on MMIO
 * without implementing the register it needs).
 */
#include "blk/disk.h"

#include <string.h>

/*
 * The packed ring only where the device's DMA is coherent. A packed
 * descriptor is written by the driver and later by the device, and four
 * of them share a cache line: where the device does not snoop caches,
 * cleaning the slot the driver just filled writes the line's stale copy
 * of a neighbour back over the used descriptor the device wrote there,
 * and that completion is lost (the two event areas share a line too).
 * The split ring keeps what each side writes apart (vring/virtqueue.h),
 * so a non-coherent build drives every device on it.
 */
#ifdef VBLK_NONCOHERENT_DMA
#define BLK_ACCEPTS_PACKED 0
#else
#define BLK_ACCEPTS_PACKED VBLK_RING_PACKED
#endif

struct blk_feature {
	unsigned bit;
	const char *name;
	bool accept;   /* implemented by this driver */
};

static const struct blk_feature blk_features[] = {
	{ VIRTIO_BLK_F_SIZE_MAX, "SIZE_MAX", true },    /* honoured when splitting */
	{ VIRTIO_BLK_F_SEG_MAX, "SEG_MAX", true },
	{ VIRTIO_BLK_F_GEOMETRY, "GEOMETRY", false },
	{ VIRTIO_BLK_F_RO, "RO", true },                /* writes refused locally */
	{ VIRTIO_BLK_F_BLK_SIZE, "BLK_SIZE", true },
	{ VIRTIO_BLK_F_FLUSH, "FLUSH", true },          /* vblk_flush sends T_FLUSH */
	{ VIRTIO_BLK_F_TOPOLOGY, "TOPOLOGY", false },
	{ VIRTIO_BLK_F_CONFIG_WCE, "CONFIG_WCE", false },
	{ VIRTIO_BLK_F_MQ, "MQ", false },               /* one request queue */
	{ VIRTIO_BLK_F_DISCARD, "DISCARD", true },      /* vblk_discard, VBLK_OP_DISCARD */
	{ VIRTIO_BLK_F_WRITE_ZEROES, "WRITE_ZEROES", true }, /* vblk_write_zeroes */
	{ VIRTIO_F_ANY_LAYOUT, "ANY_LAYOUT", true },    /* §6.3: accept if offered */
	{ VIRTIO_F_INDIRECT_DESC, "INDIRECT_DESC", true }, /* blk/device.c, ring_chooses_indirect: when it pays */
	{ VIRTIO_F_EVENT_IDX, "EVENT_IDX", true },
	{ VIRTIO_F_VERSION_1, "VERSION_1", true },      /* virtio_begin_init adds it */
	{ VIRTIO_F_ACCESS_PLATFORM, "ACCESS_PLATFORM", true }, /* plat_virt_to_phys */
	{ VIRTIO_F_RING_PACKED, "RING_PACKED", BLK_ACCEPTS_PACKED }, /* vring/packed.c;
									 modern only */
	{ VIRTIO_F_ORDER_PLATFORM, "ORDER_PLATFORM", false },
	{ VIRTIO_F_RING_RESET, "RING_RESET", false },
};

#define FEATURE_COUNT (sizeof(blk_features) / sizeof(blk_features[0]))

uint64_t blk_driver_features(void)
{
	uint64_t bits = 0;
	for (size_t i = 0; i < FEATURE_COUNT; i++)
		if (blk_features[i].accept)
			bits |= 1ull << blk_features[i].bit;
	return bits;
}

/* Append `word`, after a space unless it is the first, if it fits with
 * its NUL; false if it does not. */
static bool append(char *buf, size_t len, size_t *used, const char *word)
{
	size_t word_len = strlen(word);
	size_t separator = *used > 0 ? 1 : 0;
	if (*used + separator + word_len + 1 > len)
		return false;
	if (separator)
		buf[(*used)++] = ' ';
	memcpy(buf + *used, word, word_len + 1);
	*used += word_len;
	return true;
}

/* Names of the bits set in `features`, space-separated; unknown bits as
 * "bitN". Returns the string length. A short buffer ends the list before
 * the first name that does not fit: listing a later, shorter one instead
 * would misreport the set. */
VBLK_COLD size_t vblk_feature_names(uint64_t features, char *buf, size_t len)
{
	size_t used = 0;
	if (buf == NULL || len == 0)
		return 0;
	buf[0] = '\0';
	for (unsigned bit = 0; bit < 64; bit++) {
		if (!((features >> bit) & 1))
			continue;
		const char *name = NULL;
		for (size_t i = 0; i < FEATURE_COUNT && name == NULL; i++)
			if (blk_features[i].bit == bit)
				name = blk_features[i].name;
		char unknown[8] = "bit";
		if (name == NULL) {
			unknown[3] = (char)('0' + bit / 10);
			unknown[4] = (char)('0' + bit % 10);
			unknown[5] = '\0';
			name = unknown;
		}
		if (!append(buf, len, &used, name))
			break;
	}
	return used;
}
