/*
 * Finding and initialising virtio-blk disks: the device status sequence of
 * virtio 1.2 §3.1.1, the block config space (§5.2.4) and the limits a
 * request must respect.
 */
#include "blk/virtio_blk.h"

#include <string.h>

#include "drivers/board.h"
#include "virtio/mmio.h"

/* The virtio-blk framing needs a header, one data and a status descriptor. */
#define MIN_QUEUE_SIZE 4u

/* Each disk's static memory (ring, requests), and the disks attached now,
 * in the order vblk_disk() numbers them. A slot is free when it is not
 * attached and not `held` (its device never confirmed a reset). */
static struct vblk_disk slots[VBLK_MAX_DISKS];
static struct vblk_disk *attached[VBLK_MAX_DISKS];
static unsigned disk_count;

static struct vblk_probe_entry probe_entries[BOARD_MAX_VIRTIO];
static unsigned probe_count;

struct blk_config {
	uint64_t capacity_sectors;
	uint32_t size_max_bytes;
	uint32_t seg_max;
	uint32_t block_size_bytes;
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

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
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
	if (virtio_has_feature(&disk->vdev, VIRTIO_BLK_F_SEG_MAX))
		segs = min_u32(segs, cfg->seg_max ? cfg->seg_max : 1);
	disk->max_data_segs = segs;

	disk->seg_bytes_max = VBLK_MAX_REQUEST_BYTES;
	if (virtio_has_feature(&disk->vdev, VIRTIO_BLK_F_SIZE_MAX) && cfg->size_max_bytes != 0)
		disk->seg_bytes_max = min_u32(disk->seg_bytes_max, cfg->size_max_bytes);

	uint64_t max_bytes = (uint64_t)segs * disk->seg_bytes_max;
	if (max_bytes > VBLK_MAX_REQUEST_BYTES)
		max_bytes = VBLK_MAX_REQUEST_BYTES;
	max_bytes -= max_bytes % cfg->block_size_bytes;
	if (max_bytes == 0)
		return -VBLK_EUNSUPP;  /* not even one block fits a request */
	disk->max_req_bytes = (uint32_t)max_bytes;
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

static int setup_queue(struct vblk_disk *disk, uint16_t *queue_size)
{
	uint32_t offered = round_down_pow2(virtio_queue_max(&disk->vdev, 0));
	uint32_t num = min_u32(offered, VBLK_QUEUE_SIZE);
	if (num < MIN_QUEUE_SIZE)
		return -VBLK_ENODEV;

	int err = vq_init(&disk->vq, disk->ring_mem, sizeof(disk->ring_mem), (uint16_t)num,
			  virtio_has_feature(&disk->vdev, VIRTIO_F_EVENT_IDX));
	if (err)
		return err;
	vq_use_indirect(&disk->vq, virtio_has_feature(&disk->vdev, VIRTIO_F_INDIRECT_DESC));
	/* Polled until vblk_use_interrupts() asks for interrupts; a reset
	 * keeps the mode the caller chose (a new ring asks for them). */
	if (!disk->use_irq)
		vq_disable_interrupts(&disk->vq);

	struct virtio_queue_addrs addrs = {
		.desc = plat_virt_to_phys(disk->vq.desc),
		.driver = plat_virt_to_phys(disk->vq.avail),
		.device = plat_virt_to_phys(disk->vq.used),
	};
	*queue_size = (uint16_t)num;
	return virtio_queue_enable(&disk->vdev, 0, (uint16_t)num, &addrs);
}

static void fill_info(struct vblk_disk *disk, const struct blk_config *cfg, uint16_t queue_size)
{
	struct vblk_info *info = &disk->info;
	info->capacity_sectors = cfg->capacity_sectors;
	info->block_size_bytes = cfg->block_size_bytes;
	info->seg_max = cfg->seg_max;
	info->size_max_bytes = cfg->size_max_bytes;
	info->read_only = virtio_has_feature(&disk->vdev, VIRTIO_BLK_F_RO);
	info->has_flush = virtio_has_feature(&disk->vdev, VIRTIO_BLK_F_FLUSH);
	info->features = disk->vdev.features;
	info->mmio_version = disk->vdev.regs.mmio.version;
	info->mmio_base = disk->vdev.regs.mmio.base;
	info->queue_size = queue_size;
}

/* Everything between DRIVER and DRIVER_OK: features, config, queue. */
static int configure(struct vblk_disk *disk)
{
	struct blk_config cfg;
	uint16_t queue_size = 0;

	int err = virtio_begin_init(&disk->vdev, blk_driver_features());
	if (!err)
		err = read_config(&disk->vdev, &cfg);
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
static int reset_device(struct vblk_disk *disk, int reason)
{
	disk->ready = false;
	int err = virtio_reset(&disk->vdev);
	disk->held = err != 0;
	if (disk->held && disk->broken_reason == NULL)
		disk->broken_reason = "device did not reset";
	blk_queue_fail_all(disk, reason, disk->held ? -VBLK_EHELD : reason);
	return disk->held ? -VBLK_EHELD : 0;
}

/*
 * The initialisation sequence of virtio 1.2 §3.1.1: reset, then
 * ACKNOWLEDGE, DRIVER and the features (virtio_begin_init), device setup
 * (configure), DRIVER_OK. Any failure after the reset sets FAILED.
 */
static int init_device(struct vblk_disk *disk)
{
	/* Bios still queued from before are canceled. */
	int err = reset_device(disk, -VBLK_ECANCELED);
	if (err)
		return err;
	memset(disk->reqs, 0, sizeof(disk->reqs));
	blk_queue_init(disk);
	err = configure(disk);
	if (err) {
		virtio_fail(&disk->vdev);
		return err;
	}
	virtio_finish_init(&disk->vdev);
	disk->broken_reason = NULL;
	disk->ready = true;
	return 0;
}

int blk_disk_setup(struct vblk_disk *disk, uint64_t mmio_base, uint32_t intid, bool irq_edge)
{
	int err = virtio_mmio_probe(&disk->vdev, (uintptr_t)mmio_base);
	if (err)
		return err;
	if (disk->vdev.device_id != VIRTIO_ID_BLOCK)
		return -VBLK_ENODEV;
	disk->timeout_us = VBLK_TIMEOUT_US;
	disk->info = (struct vblk_info){ .intid = intid, .irq_edge = irq_edge };
	disk->use_irq = false;
	disk->stats = (struct vblk_stats){ 0 };
	disk->broken_reason = NULL;
	err = init_device(disk);
	/* A device that does not reset before it ever saw this slot's
	 * memory holds none of it: the slot stays free. */
	disk->held = false;
	return err;
}

/*
 * Stop using a disk that misbehaved or stopped answering. The device is
 * reset first, so it lets go of every buffer (virtio 1.2 §3.3.1), and only
 * then is every queued bio completed with `reason`: nothing the caller
 * still owns is written after it is told "failed" (reset_device says what
 * happens when the reset does not complete).
 */
void blk_disk_break(struct vblk_disk *disk, int reason, const char *why)
{
	disk->broken_reason = why;
	disk->broken_err = reason;
	vq_set_broken(&disk->vq, why);
	reset_device(disk, reason);
}

/*
 * The device changed its configuration (virtio 1.2 §2.5.2, e.g. the disk
 * was resized): read the capacity again. Requests still in the queue are
 * checked against it when they leave (blk/queue.c); those already in the
 * ring were valid when sent and are the device's to refuse.
 */
void blk_config_changed(struct vblk_disk *disk)
{
	struct blk_config cfg;

	disk->stats.config_changes++;
	if (read_config(&disk->vdev, &cfg) == 0)
		disk->info.capacity_sectors = cfg.capacity_sectors;
}

static void record_probe(uint64_t base, const struct virtio_dev *dev, int result)
{
	if (probe_count < BOARD_MAX_VIRTIO)
		probe_entries[probe_count++] = (struct vblk_probe_entry){
			.mmio_base = base,
			.version = dev->regs.mmio.version,
			.device_id = dev->device_id,
			.result = result,
		};
}

/* Is `disk` one of the disks attached now? A pointer kept across
 * vblk_shutdown() is not: its device is no longer ours to restart. */
static bool is_attached(const struct vblk_disk *disk)
{
	for (unsigned i = 0; i < disk_count; i++) {
		if (attached[i] == disk)
			return true;
	}
	return false;
}

static bool base_attached(uint64_t mmio_base)
{
	for (unsigned i = 0; i < disk_count; i++) {
		if (attached[i]->vdev.regs.mmio.base == mmio_base)
			return true;
	}
	return false;
}

/* Does any attached disk hold `bio` (queued, in flight, being completed)?
 * bio->owner says which disk to ask; it is only a hint, since a bio the
 * caller did not zero may hold anything there. */
bool blk_disk_holds_bio(const struct vblk_bio *bio)
{
	for (unsigned i = 0; i < disk_count; i++) {
		if (attached[i] == bio->owner)
			return blk_queue_holds(attached[i], bio);
	}
	return false;
}

static bool slot_free(const struct vblk_disk *slot)
{
	return !slot->held && !is_attached(slot);
}

/* Ask the device of a held slot that is no disk any more to reset once
 * more: if it does now, it has let go of the slot's memory. */
static bool reclaim(struct vblk_disk *slot)
{
	if (slot->held && !is_attached(slot) && virtio_reset(&slot->vdev) == 0)
		slot->held = false;
	return !slot->held;
}

/* A free slot; if there is none, one whose device resets now. */
static struct vblk_disk *free_slot(void)
{
	for (unsigned i = 0; i < VBLK_MAX_DISKS; i++) {
		if (slot_free(&slots[i]))
			return &slots[i];
	}
	for (unsigned i = 0; i < VBLK_MAX_DISKS; i++) {
		if (slots[i].held && !is_attached(&slots[i]) && reclaim(&slots[i]))
			return &slots[i];
	}
	return NULL;
}

/* The disk table is full: identify the device (reading its ID registers
 * changes nothing) so the probe report still shows the slot, and leave it
 * alone. A disk there is refused with -VBLK_ENOMEM (raise VBLK_MAX_DISKS). */
static int report_no_room(uint64_t mmio_base)
{
	struct virtio_dev dev;

	int err = virtio_mmio_probe(&dev, (uintptr_t)mmio_base);
	if (!err)
		err = dev.device_id == VIRTIO_ID_BLOCK ? -VBLK_ENOMEM : -VBLK_ENODEV;
	record_probe(mmio_base, &dev, err);
	return err;
}

/* No virtio-mmio window sits at 0 (QEMU virt has flash there): it is an
 * address that was never set. Registers are 32 bits wide and naturally
 * aligned (virtio 1.2 §4.2.2.2), so a window off a 4-byte boundary is a
 * wrong address too: reading it would fault. */
static bool plausible_window(uint64_t mmio_base)
{
	return mmio_base != 0 && mmio_base % sizeof(uint32_t) == 0;
}

static int attach(uint64_t mmio_base, uint32_t intid, bool irq_edge)
{
	if (!plausible_window(mmio_base)) {
		/* A device tree's bad address: shown in the report, not read. */
		record_probe(mmio_base, &(struct virtio_dev){ .regs.mmio.base = mmio_base },
			     -VBLK_EINVAL);
		return -VBLK_EINVAL;
	}
	/* Initialising a device that is a disk already would reset it and
	 * pull its ring from under that disk. */
	if (base_attached(mmio_base))
		return -VBLK_ESTATE;
	struct vblk_disk *disk = free_slot();
	if (disk == NULL)
		return report_no_room(mmio_base);
	int err = blk_disk_setup(disk, mmio_base, intid, irq_edge);
	record_probe(mmio_base, &disk->vdev, err);
	if (err)
		return err;
	attached[disk_count] = disk;
	return (int)disk_count++;
}

int vblk_attach(uint64_t mmio_base, uint32_t intid)
{
	/* A bad argument changes nothing, not even the probe report. */
	if (!plausible_window(mmio_base))
		return -VBLK_EINVAL;
	return attach(mmio_base, intid, false);
}

int vblk_init_from_dt(const void *dtb, size_t dtb_max_bytes)
{
	static struct board_info board;

	if (dtb == NULL)
		return -VBLK_EINVAL;
	int err = board_from_fdt(&board, dtb, dtb_max_bytes);
	if (err)
		return err;
	vblk_shutdown();
	for (unsigned i = 0; i < board.virtio_count; i++)
		attach(board.virtio[i].base, board.virtio[i].intid,
		       board_irq_is_edge(board.virtio[i].irq_flags));
	return (int)disk_count;
}

/*
 * Finish with one disk: let what is queued complete, make completed
 * writes durable (a device with FLUSH may hold them in a volatile cache,
 * virtio 1.2 §5.2.6.2), then reset. A disk that is broken already has
 * nothing left to wait for or flush.
 */
static int finish_disk(struct vblk_disk *disk)
{
	int err = 0;

	if (disk->ready) {
		vblk_drain(disk);
		if (!disk->ready)
			err = disk->broken_err;   /* it broke or timed out meanwhile */
		else if (disk->info.has_flush && !disk->info.read_only)
			err = vblk_flush(disk);
	}
	int reset_err = reset_device(disk, -VBLK_ECANCELED);
	return err ? err : reset_err;
}

int vblk_shutdown(void)
{
	int first_err = 0;

	for (unsigned i = 0; i < disk_count; i++) {
		int err = finish_disk(attached[i]);
		if (first_err == 0)
			first_err = err;
		attached[i]->broken_reason = NULL;  /* forgotten, not broken: ESTATE */
	}
	disk_count = 0;
	probe_count = 0;
	/* Devices that still hold memory of ours, from this shutdown or an
	 * earlier one, are asked again: the caller is about to hand memory
	 * on, and should know if some of it is not free. */
	for (unsigned i = 0; i < VBLK_MAX_DISKS; i++) {
		if (slots[i].held && !reclaim(&slots[i]) && first_err == 0)
			first_err = -VBLK_EHELD;
	}
	return first_err;
}

unsigned vblk_probe_report(const struct vblk_probe_entry **entries)
{
	if (entries)
		*entries = probe_entries;
	return probe_count;
}

unsigned vblk_disk_count(void)
{
	return disk_count;
}

struct vblk_disk *vblk_disk(unsigned index)
{
	return index < disk_count ? attached[index] : NULL;
}

const struct vblk_info *vblk_disk_info(const struct vblk_disk *disk)
{
	return disk ? &disk->info : NULL;
}

uint64_t vblk_capacity(const struct vblk_disk *disk)
{
	return disk ? disk->info.capacity_sectors : 0;
}

void vblk_set_timeout_us(struct vblk_disk *disk, uint32_t timeout_us)
{
	if (disk)
		disk->timeout_us = timeout_us ? timeout_us : VBLK_TIMEOUT_US;
}

int vblk_reset(struct vblk_disk *disk)
{
	if (disk == NULL)
		return -VBLK_EINVAL;
	if (!is_attached(disk))
		return -VBLK_ESTATE;
	return init_device(disk);
}
