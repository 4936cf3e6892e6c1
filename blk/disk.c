/* SPDX-License-Identifier: MIT */
/*
 * One disk's life on its device: initialisation (the virtio-blk config
 * space, §5.2.4, the limits a request must respect, the queue), reset,
 * and stopping it when it misbehaves. The table of disks and the calls
 * that find them are in blk/disks.c.
 */
#include "blk/disk.h"

#include <string.h>

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* A request needs three descriptors (header, one data, status), and a
 * split ring's size is a power of 2: four is its smallest. A packed ring
 * of three would do, but one rule is simpler and no device is refused
 * for it that QEMU can make (its queue-size is a power of 2 above 2). */
#define MIN_QUEUE_SIZE 4u

struct blk_config {
	uint64_t capacity_sectors;
	uint32_t size_max_bytes;
	uint32_t seg_max;
	uint32_t block_size_bytes;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
};

/* The fields we negotiated, and only those (§2.5.1: a field exists only
 * if its feature bit is offered); virtio_read_config keeps them whole. */
static void read_config_fields(struct virtio_dev *dev, void *snapshot)
{
	struct blk_config *cfg = snapshot;

	cfg->block_size_bytes = VBLK_SECTOR_SIZE;
	cfg->capacity_sectors = virtio_config_read64(dev, VIRTIO_BLK_CFG_CAPACITY);
	if (virtio_has_feature(dev, VIRTIO_BLK_F_SIZE_MAX))
		cfg->size_max_bytes = virtio_config_read32(dev, VIRTIO_BLK_CFG_SIZE_MAX);
	if (virtio_has_feature(dev, VIRTIO_BLK_F_SEG_MAX))
		cfg->seg_max = virtio_config_read32(dev, VIRTIO_BLK_CFG_SEG_MAX);
	if (virtio_has_feature(dev, VIRTIO_BLK_F_BLK_SIZE))
		cfg->block_size_bytes = virtio_config_read32(dev, VIRTIO_BLK_CFG_BLK_SIZE);
	if (virtio_has_feature(dev, VIRTIO_BLK_F_DISCARD)) {
		cfg->max_discard_sectors = virtio_config_read32(dev, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS);
		cfg->max_discard_seg = virtio_config_read32(dev, VIRTIO_BLK_CFG_MAX_DISCARD_SEG);
		cfg->discard_sector_alignment =
			virtio_config_read32(dev, VIRTIO_BLK_CFG_DISCARD_ALIGNMENT);
	}
	if (virtio_has_feature(dev, VIRTIO_BLK_F_WRITE_ZEROES)) {
		cfg->max_write_zeroes_sectors =
			virtio_config_read32(dev, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS);
		cfg->max_write_zeroes_seg = virtio_config_read32(dev, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG);
		cfg->write_zeroes_may_unmap =
			virtio_config_read8(dev, VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP);
	}
}

static int read_config(struct virtio_dev *dev, struct blk_config *cfg)
{
	return virtio_read_config(dev, read_config_fields, cfg, sizeof(*cfg));
}

static bool is_power_of_2(uint64_t val)
{
	return val != 0 && (val & (val - 1)) == 0;
}

/* The device's values are checked, not trusted: a block size that is not a
 * power of 2 of at least one sector cannot describe a disk. */
static int check_config(const struct blk_config *cfg)
{
	if (!is_power_of_2(cfg->block_size_bytes) || cfg->block_size_bytes < VBLK_SECTOR_SIZE)
		return -VBLK_EBROKEN;
	return 0;
}

static uint32_t gcd_u32(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t rest = a % b;
		a = b;
		b = rest;
	}
	return a;
}

/*
 * How a DISCARD or WRITE_ZEROES request must be cut (virtio 1.2 §5.2.4,
 * §5.2.6.1): segments of at most `max_sectors` (0: no limit given, as
 * Linux reads it) in whole units of `align_sectors`, at most `max_seg` of
 * them (0: no limit given; never more than the request slot holds). A
 * limit that leaves no whole unit makes the command unusable: max_segs 0,
 * as without the feature.
 */
static void set_range_limits(struct blk_range_limits *limits, bool negotiated,
			     uint32_t max_sectors, uint32_t max_seg, uint32_t align_sectors)
{
	*limits = (struct blk_range_limits){ 0 };
	if (!negotiated)
		return;
	uint32_t per_seg = max_sectors ? max_sectors : UINT32_MAX;
	per_seg -= per_seg % align_sectors;
	if (per_seg == 0)
		return;
	limits->seg_sectors = per_seg;
	limits->max_segs = max_seg ? min_u32(max_seg, BLK_RANGE_SEGS_MAX) : BLK_RANGE_SEGS_MAX;
	limits->align_sectors = align_sectors;
}

/* A discard keeps to discard_sector_alignment and to the logical block,
 * so to their least common multiple; a write-zeroes to the block. */
static void set_discard_limits(struct vblk_disk *disk, const struct blk_config *cfg)
{
	uint32_t block_sectors = cfg->block_size_bytes / VBLK_SECTOR_SIZE;
	uint32_t dsa = cfg->discard_sector_alignment ? cfg->discard_sector_alignment : 1;
	uint64_t discard_align = (uint64_t)dsa / gcd_u32(dsa, block_sectors) * block_sectors;

	set_range_limits(&disk->dev.discard,
			 virtio_has_feature(&disk->dev.vdev, VIRTIO_BLK_F_DISCARD) &&
				 discard_align <= UINT32_MAX,
			 cfg->max_discard_sectors, cfg->max_discard_seg, (uint32_t)discard_align);
	set_range_limits(&disk->dev.write_zeroes,
			 virtio_has_feature(&disk->dev.vdev, VIRTIO_BLK_F_WRITE_ZEROES),
			 cfg->max_write_zeroes_sectors, cfg->max_write_zeroes_seg, block_sectors);
}

/*
 * How a request must be cut: at most max_data_segs data descriptors
 * (seg_max; 0 is read as 1, as Linux does), each of at most seg_bytes_max
 * bytes (size_max, when offered), at most VBLK_MAX_REQUEST_BYTES, and a
 * whole number of logical blocks.
 *
 * Indirect descriptors do not raise the segment limit: a chain may not be
 * longer than the queue size even inside an indirect table (virtio 1.2
 * §2.7.5.3.1 states the rule there), and a chain longer than the table
 * goes into the ring directly. So queue_size - 2 holds with or without
 * them; what they change is how many ring descriptors a request takes.
 */
static int set_limits(struct vblk_disk *disk, const struct blk_config *cfg, uint16_t queue_size)
{
	uint32_t segs = queue_size - 2u;
	if (virtio_has_feature(&disk->dev.vdev, VIRTIO_BLK_F_SEG_MAX))
		segs = min_u32(segs, cfg->seg_max ? cfg->seg_max : 1);
	disk->dev.max_data_segs = segs;

	disk->dev.seg_bytes_max = VBLK_MAX_REQUEST_BYTES;
	if (virtio_has_feature(&disk->dev.vdev, VIRTIO_BLK_F_SIZE_MAX) && cfg->size_max_bytes != 0)
		disk->dev.seg_bytes_max = min_u32(disk->dev.seg_bytes_max, cfg->size_max_bytes);

	uint64_t max_bytes = (uint64_t)segs * disk->dev.seg_bytes_max;
	if (max_bytes > VBLK_MAX_REQUEST_BYTES)
		max_bytes = VBLK_MAX_REQUEST_BYTES;
	max_bytes -= max_bytes % cfg->block_size_bytes;
	if (max_bytes == 0)
		return -VBLK_EUNSUPP;  /* not even one block fits a request */
	disk->dev.max_req_bytes = (uint32_t)max_bytes;
	set_discard_limits(disk, cfg);
	return 0;
}

/* The largest power of 2 not above `val` (0 for 0). */
static uint32_t round_down_pow2(uint32_t val)
{
	uint32_t pow = 1;
	if (val == 0)
		return 0;
	while (pow <= val / 2)
		pow *= 2;
	return pow;
}

/*
 * The ring's size: the device's maximum, at most VBLK_QUEUE_SIZE. A split
 * ring's size is a power of 2 (§2.7: the free-running 16-bit indices,
 * taken mod the size, then stay continuous where they wrap at 65536); a
 * packed ring's need not be (§2.8, PK-2 of docs/conformance.md).
 */
static uint32_t queue_num(struct blk_dev *dev, enum vring_format format)
{
	uint32_t offered = virtio_queue_max(&dev->vdev, 0);
	if (format == VRING_SPLIT)
		offered = round_down_pow2(offered);
	return min_u32(offered, VBLK_QUEUE_SIZE);
}

static int setup_queue(struct vblk_disk *disk, uint16_t *queue_size)
{
	struct blk_dev *dev = &disk->dev;
	enum vring_format format =
		virtio_has_feature(&dev->vdev, VIRTIO_F_RING_PACKED) ? VRING_PACKED : VRING_SPLIT;
	uint32_t num = queue_num(dev, format);
	if (num < MIN_QUEUE_SIZE)
		return -VBLK_ENODEV;

	int err = vring_init(&dev->ring, format, disk->ring_mem, sizeof(disk->ring_mem),
			     (uint16_t)num, virtio_has_feature(&dev->vdev, VIRTIO_F_EVENT_IDX));
	if (err)
		return err;
	vring_use_indirect(&dev->ring, virtio_has_feature(&dev->vdev, VIRTIO_F_INDIRECT_DESC));
	/* Polled until vblk_use_interrupts() asks for interrupts; a reset
	 * keeps the mode the caller chose (a new ring asks for them). */
	if (!disk->queue.use_irq)
		vring_disable_interrupts(&dev->ring);

	const void *desc, *driver, *device;
	vring_areas(&dev->ring, &desc, &driver, &device);
	struct virtio_queue_addrs addrs = {
		.desc = plat_virt_to_phys(desc),
		.driver = plat_virt_to_phys(driver),
		.device = plat_virt_to_phys(device),
	};
	*queue_size = (uint16_t)num;
	return virtio_queue_enable(&dev->vdev, 0, (uint16_t)num, &addrs);
}

static void fill_transport(struct vblk_info *info, const struct virtio_dev *vdev)
{
	if (vdev->transport == VIRTIO_TRANSPORT_PCI) {
		info->transport = VBLK_TRANSPORT_PCI;
		info->pci = (struct vblk_pci_address){ vdev->regs.pci.bus, vdev->regs.pci.dev,
						       vdev->regs.pci.fn };
	} else {
		info->transport = VBLK_TRANSPORT_MMIO;
		info->mmio_version = vdev->regs.mmio.version;
		info->mmio_base = vdev->regs.mmio.base;
	}
}

static void fill_info(struct vblk_disk *disk, const struct blk_config *cfg, uint16_t queue_size)
{
	struct vblk_info *info = &disk->dev.info;
	info->capacity_sectors = cfg->capacity_sectors;
	info->block_size_bytes = cfg->block_size_bytes;
	info->seg_max = cfg->seg_max;
	info->size_max_bytes = cfg->size_max_bytes;
	info->read_only = virtio_has_feature(&disk->dev.vdev, VIRTIO_BLK_F_RO);
	info->has_flush = virtio_has_feature(&disk->dev.vdev, VIRTIO_BLK_F_FLUSH);
	info->has_discard = virtio_has_feature(&disk->dev.vdev, VIRTIO_BLK_F_DISCARD);
	info->max_discard_sectors = cfg->max_discard_sectors;
	info->max_discard_seg = cfg->max_discard_seg;
	info->discard_sector_alignment = cfg->discard_sector_alignment;
	info->has_write_zeroes = virtio_has_feature(&disk->dev.vdev, VIRTIO_BLK_F_WRITE_ZEROES);
	info->max_write_zeroes_sectors = cfg->max_write_zeroes_sectors;
	info->max_write_zeroes_seg = cfg->max_write_zeroes_seg;
	info->write_zeroes_may_unmap = cfg->write_zeroes_may_unmap != 0;
	info->features = disk->dev.vdev.features;
	fill_transport(info, &disk->dev.vdev);
	info->queue_size = queue_size;
	info->ring_packed = vring_is_packed(&disk->dev.ring);
}

/* The capacity as the device says it now; kept as it was if the
 * configuration cannot be read whole (virtio_read_config). */
static void reread_capacity(struct vblk_disk *disk)
{
	struct blk_config cfg;

	if (read_config(&disk->dev.vdev, &cfg) == 0)
		disk->dev.info.capacity_sectors = cfg.capacity_sectors;
}

/* Everything between the reset and DRIVER_OK (§3.1.1 steps 2-7):
 * ACKNOWLEDGE, DRIVER and the features (virtio_begin_init), then the
 * block device's own config, queue and limits. */
static int configure(struct vblk_disk *disk)
{
	struct blk_config cfg = { 0 };
	uint16_t queue_size = 0;

	int err = virtio_begin_init(&disk->dev.vdev, blk_driver_features());
	if (!err)
		err = read_config(&disk->dev.vdev, &cfg);
	if (!err)
		err = check_config(&cfg);
	if (!err)
		err = setup_queue(disk, &queue_size);
	if (!err)
		err = set_limits(disk, &cfg, queue_size);
	if (!err)
		fill_info(disk, &cfg, queue_size);
	return err;
}

/*
 * Reset the device and complete every queued bio: those in flight with
 * `reason` once the reset is confirmed (Status reads back 0: virtio 1.2
 * §2.4.2; the device has then let go of every buffer, §3.3.1), the rest
 * with `reason` anyway. If the reset is not confirmed, the device may
 * still read and write what it was given: the bios in flight complete
 * with -VBLK_EHELD, and the disk is `held`: its ring, its requests and
 * those buffers are neither touched nor reused until a reset completes.
 * Nothing but the Status register is touched meanwhile (RST-1).
 */
int blk_disk_reset(struct vblk_disk *disk, int reason)
{
	disk->dev.ready = false;
	int err = virtio_reset(&disk->dev.vdev);
	disk->dev.held = err != 0;
	if (disk->dev.held && disk->dev.broken_reason == NULL) {
		/* Stopped, as a broken disk is: vblk_shutdown reports it
		 * (finish_disk, blk/disks.c: a disk with a cache that can no
		 * longer be flushed), not an earlier break's error. Not
		 * -VBLK_EHELD: by then the shutdown's own reset says whether
		 * the device still holds memory. */
		disk->dev.broken_reason = "device did not reset";
		disk->dev.broken_err = -VBLK_EBROKEN;
	}
	blk_queue_fail_all(&disk->queue, reason, disk->dev.held ? -VBLK_EHELD : reason);
	return disk->dev.held ? -VBLK_EHELD : 0;
}

/*
 * The initialisation sequence of virtio 1.2 §3.1.1: reset
 * (blk_disk_reset), then configure (ACKNOWLEDGE, DRIVER and the features
 * in virtio_begin_init, then the device's config and queue), DRIVER_OK
 * (virtio_finish_init). Any failure after the reset sets FAILED.
 */
int blk_disk_init(struct vblk_disk *disk)
{
	/* Bios still queued from before are canceled. */
	int err = blk_disk_reset(disk, -VBLK_ECANCELED);
	if (err)
		return err;
	memset(disk->dev.reqs, 0, sizeof(disk->dev.reqs));
	blk_dev_init_reqs(&disk->dev);
	blk_queue_init(&disk->queue);
	err = configure(disk);
	if (err) {
		virtio_fail(&disk->dev.vdev);
		/* Stopped, as a broken disk is: calls answer -VBLK_EBROKEN,
		 * vblk_reset may try again, and vblk_shutdown reports the
		 * disk (-VBLK_ESTATE would say it had been forgotten). A
		 * failed attach frees the slot, and this with it. */
		disk->dev.broken_reason = "initialisation failed";
		disk->dev.broken_err = -VBLK_EBROKEN;
		return err;
	}
	/* From DRIVER_OK until the disk is ready, with IRQs masked: a
	 * configuration change in between interrupts only once the disk is
	 * ready, when the handler reads the capacity again (one taken before
	 * would find the disk not ready and be dropped). */
	plat_irqflags_t flags = plat_irq_save();
	virtio_finish_init(&disk->dev.vdev);
	/* A resize between configure()'s read and DRIVER_OK may notify no
	 * one (QEMU sends no configuration change notification before
	 * DRIVER_OK): read the capacity again, now that any later change
	 * interrupts or is found by a wait's look. */
	reread_capacity(disk);
	disk->dev.broken_reason = NULL;
	disk->dev.broken_err = 0;
	disk->dev.ready = true;
	plat_irq_restore(flags);
	return 0;
}

int blk_disk_setup(struct vblk_disk *disk, const struct virtio_dev *probed, uint32_t intid,
		   bool irq_edge)
{
	disk->dev.vdev = *probed;
	disk->queue.dev = &disk->dev;
	disk->queue.timeout_us = VBLK_TIMEOUT_US;
	disk->dev.info = (struct vblk_info){ .intid = intid, .irq_edge = irq_edge };
	disk->queue.use_irq = false;
	disk->queue.learn = (struct blk_wait_learn){ 0 };
	disk->queue.stats = (struct vblk_stats){ 0 };
	disk->dev.counts = (struct blk_dev_counts){ 0 };
	disk->dev.broken_reason = NULL;
	int err = blk_disk_init(disk);
	/* A device that does not reset before it ever saw this slot's
	 * memory holds none of it: the slot stays free. */
	disk->dev.held = false;
	return err;
}

/*
 * Stop using a disk that misbehaved or stopped answering. The device is
 * reset first, so it lets go of every buffer (virtio 1.2 §3.3.1), and only
 * then is every queued bio completed with `reason`: nothing the caller
 * still owns is written after it is told "failed" (blk_disk_reset says what
 * happens when the reset does not complete).
 */
void blk_disk_break(struct vblk_disk *disk, int reason, const char *why)
{
	disk->dev.broken_reason = why;
	disk->dev.broken_err = reason;
	vring_set_broken(&disk->dev.ring, why);
	blk_disk_reset(disk, reason);
}

void blk_disk_stop_broken_ring(struct vblk_disk *disk)
{
	const char *why = vring_broken_reason(&disk->dev.ring);
	blk_disk_break(disk, -VBLK_EBROKEN, why ? why : "ring broken");
}

/*
 * The device changed its configuration (a configuration change
 * notification, virtio 1.2 §2.3; e.g. the disk was resized): read the
 * capacity again. Requests still in the queue are checked against it
 * when they leave (blk/queue.c); those already in the ring were valid
 * when sent and are the device's to refuse.
 */
void blk_config_changed(struct vblk_disk *disk)
{
	disk->queue.stats.config_changes++;
	reread_capacity(disk);
}
