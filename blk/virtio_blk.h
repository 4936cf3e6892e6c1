/*
 * virtio-blk device definitions (virtio 1.2 §5.2) and the driver's per-disk
 * state. Internal to blk/: applications use include/vblk/vblk.h.
 */
#ifndef VBLK_VIRTIO_BLK_H
#define VBLK_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio/virtio.h"
#include "vblk/bio.h"
#include "vblk/vblk.h"
#include "vring/virtqueue.h"

/* Feature bits (virtio 1.2 §5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX   1
#define VIRTIO_BLK_F_SEG_MAX    2
#define VIRTIO_BLK_F_GEOMETRY   4
#define VIRTIO_BLK_F_RO         5
#define VIRTIO_BLK_F_BLK_SIZE   6
#define VIRTIO_BLK_F_FLUSH      9
#define VIRTIO_BLK_F_TOPOLOGY   10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ         12
#define VIRTIO_BLK_F_DISCARD    13
#define VIRTIO_BLK_F_WRITE_ZEROES 14
#define VIRTIO_F_ANY_LAYOUT     27  /* legacy transport bit (§6.3) */

/* Config space offsets (struct virtio_blk_config, §5.2.4). */
#define VIRTIO_BLK_CFG_CAPACITY  0x00  /* le64, 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX  0x08  /* le32, if SIZE_MAX */
#define VIRTIO_BLK_CFG_SEG_MAX   0x0c  /* le32, if SEG_MAX */
#define VIRTIO_BLK_CFG_BLK_SIZE  0x14  /* le32, if BLK_SIZE */

/* Request types and status values (§5.2.6). */
#define VIRTIO_BLK_T_IN     0u
#define VIRTIO_BLK_T_OUT    1u
#define VIRTIO_BLK_T_FLUSH  4u
#define VIRTIO_BLK_T_GET_ID 8u

#define VIRTIO_BLK_S_OK     0u
#define VIRTIO_BLK_S_IOERR  1u
#define VIRTIO_BLK_S_UNSUPP 2u

#define VIRTIO_BLK_ID_BYTES 20u

/* The device-readable header that starts every request (§5.2.6). */
struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* Does the device write the data buffers of a request of this type? */
static inline bool blk_type_device_writes(uint32_t type)
{
	return type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * A request: one or more bios for adjacent sectors, sent as one descriptor
 * chain. The parts the device reads or writes (header, status, and the
 * indirect table when the chain goes through one) live here, in static
 * memory, so they outlive the submitter's stack frame. Header and status
 * share the first cache line, which the CPU leaves alone while the device
 * owns the request; the driver-private fields start on the next line,
 * because the CPU writes some of them (list links) meanwhile, and where
 * DMA is not coherent a dirty line holding the status would be written
 * back over the byte the device wrote.
 *
 * The data descriptors are the bios' segments in order, with physically
 * contiguous neighbours coalesced and anything longer than size_max cut
 * (blk/merge.c keeps `sg` in step with that).
 */
struct blk_sg_state {
	uint32_t ndescs;          /* data descriptors so far */
	uint64_t end_phys;        /* where the last one ends */
	uint32_t last_bytes;      /* length of the last one */
};

struct blk_req {
	struct virtio_blk_req_hdr hdr;                /* device reads */
	uint8_t status;                               /* device writes */
	/* Driver-private, from the next cache line on. */
	uint32_t type VBLK_ALIGNED; /* VIRTIO_BLK_T_* */
	uint64_t sector;
	uint32_t data_bytes;      /* a read's used.len must be this + 1 */
	struct blk_sg_state sg;
	struct vblk_bio *bio_head, *bio_tail;   /* merged bios, sector order */
	struct blk_req *next;     /* pending list or free list */
	uint16_t nbios;
	/* Device reads, while an indirect chain is in flight (request.c). */
	struct vring_desc table[VBLK_INDIRECT_MAX] VBLK_ALIGNED;
} VBLK_ALIGNED;

_Static_assert(offsetof(struct blk_req, status) < VBLK_DMA_ALIGN &&
		       offsetof(struct blk_req, type) == VBLK_DMA_ALIGN,
	       "header and status share the first cache line, nothing else does");

/* A direct chain needs at least two ring descriptors (a FLUSH: header and
 * status), so this many can be in flight. Indirect chains need one each,
 * but every request also carries a table: more requests would cost more
 * static memory than the ring they could fill is worth. */
#define BLK_MAX_REQS (VBLK_QUEUE_SIZE / 2)

/* A plug holds back at most this many requests before dispatching anyway
 * (so a long burst still streams; Linux's plug limit is of the same size). */
#define BLK_PLUG_MAX_REQS 32

struct blk_req_list {
	struct blk_req *head, *tail;
};

struct blk_bio_list {
	struct vblk_bio *head, *tail;
};

/*
 * The device layer's state: everything the ring and the device touch, and
 * what the device told us. blk/disk.c sets it up and resets it,
 * blk/request.c turns requests into chains and back; the queue above
 * asks for those through functions and reads only `ready` and the
 * limits.
 */
struct blk_dev {
	/* Ring memory first: it must be 4 KiB aligned. */
	uint8_t ring_mem[VRING_MEM_BYTES(VBLK_QUEUE_SIZE)] __attribute__((aligned(VRING_ALIGN_BYTES)));
	struct virtqueue vq;
	struct blk_req reqs[BLK_MAX_REQS];
	struct blk_req *free_reqs;       /* unused requests */

	uint8_t id_buf[VIRTIO_BLK_ID_BYTES] VBLK_ALIGNED; /* GET_ID answer */

	struct virtio_dev vdev;    /* the transport */
	struct vblk_info info;
	uint32_t max_req_bytes;   /* bytes of data one request may carry */
	uint32_t max_data_segs;   /* data descriptors one request may use */
	uint32_t seg_bytes_max;   /* bytes per data descriptor */
	bool ready;               /* DRIVER_OK reached and not broken */
	const char *broken_reason;
	int broken_err;           /* what the bios in flight were told then */
	bool held;                /* a reset did not complete: the device may
				     still use the ring, the requests and the
				     buffers of what was in flight, so none of
				     it is touched or reused until a reset
				     completes (VBLK_EHELD) */
	uint64_t status_checked_us;      /* last look for DEVICE_NEEDS_RESET */
	struct blk_dev_counts {          /* its part of vblk_stats */
		uint64_t notifications, coalesced_segs, bad_interrupts;
	} counts;
	struct vring_buf chain_bufs[VBLK_QUEUE_SIZE]; /* dispatch scratch */
};

/* The queue layer's state (blk/queue.c, blk/wait.c): bios, the requests
 * they form before they reach the ring, plugging, waiting, statistics. */
struct blk_queue {
	struct blk_req_list pending;     /* formed, not yet in the ring (FIFO) */
	unsigned npending;
	struct blk_bio_list waiting;     /* bios with no free request yet */
	unsigned in_flight;              /* requests in the ring */
	bool plugged;
	bool completing;                 /* running callbacks: don't dispatch */
	struct vblk_bio *finishing;      /* bios of a completed request whose
					    callbacks have yet to run */
	bool use_irq;
	bool irq_quiet;                  /* a wait polls: device interrupts off */
	bool irq_unheard;                /* a sleep ended with the used-buffer bit
					    up and no handler run (blk/wait.c) */
	uint64_t irq_unheard_handled;    /* stats.interrupts at that moment */
	uint32_t timeout_us;
	uint64_t progress_us;            /* last completion, or first dispatch
					    into an idle ring (timeouts) */
	struct vblk_stats stats;
};

struct vblk_disk {
	struct blk_dev dev;       /* first: its ring memory is 4 KiB aligned */
	struct blk_queue queue;
};

/* blk/disk.c: one disk on its device. */
int blk_disk_setup(struct vblk_disk *disk, uint64_t mmio_base, uint32_t intid, bool irq_edge);
int blk_disk_init(struct vblk_disk *disk);
int blk_disk_reset(struct vblk_disk *disk, int reason);
void blk_disk_break(struct vblk_disk *disk, int reason, const char *why);
void blk_disk_stop_broken_queue(struct vblk_disk *disk);
void blk_config_changed(struct vblk_disk *disk);

/* What a queue call returned: if the device broke the protocol under it
 * (-VBLK_EBROKEN), stop the disk, which completes every queued bio. The
 * queue never stops the disk itself: it is the layer below. Inline: it
 * follows every queue call. */
static inline int blk_disk_broken_by_queue(struct vblk_disk *disk, int err)
{
	if (err == -VBLK_EBROKEN)
		blk_disk_stop_broken_queue(disk);
	return err;
}

/* blk/table.c: the table of disks. */
struct vblk_disk *blk_table_slot(unsigned index);
bool blk_table_is_attached(const struct vblk_disk *disk);
unsigned blk_table_add(struct vblk_disk *disk);
void blk_table_forget_all(void);
bool blk_disk_holds_bio(const struct vblk_bio *bio);

/* Can the disk take I/O? -VBLK_EINVAL for NULL, -VBLK_EBROKEN once it
 * has been stopped, -VBLK_ESTATE before attach or after shutdown. Inline:
 * every API call starts with it. */
static inline int blk_check_disk(const struct vblk_disk *disk)
{
	if (disk == NULL)
		return -VBLK_EINVAL;
	if (!disk->dev.ready)
		return disk->dev.broken_reason ? -VBLK_EBROKEN : -VBLK_ESTATE;
	return 0;
}

/* blk/features.c */
uint64_t blk_driver_features(void);

/* blk/merge.c: which bio joins which request. */
void blk_sg_add_bio(struct blk_sg_state *sg, const struct vblk_bio *bio, uint32_t seg_bytes_max);
void blk_req_init(struct blk_req *req, struct vblk_bio *bio, uint32_t seg_bytes_max);
bool blk_try_merge(struct vblk_disk *disk, struct blk_req *req, struct vblk_bio *bio);

/* blk/device.c: the device layer, everything that touches the ring. */
void blk_dev_init_reqs(struct blk_dev *dev);
int blk_dev_start(struct blk_dev *dev, struct blk_req *req, unsigned queued_behind);
void blk_dev_kick(struct blk_dev *dev);
int blk_dev_result(struct blk_dev *dev, const struct blk_req *req, uint32_t used_len);
struct blk_req *blk_dev_detach(struct blk_dev *dev);
void blk_dev_irq_off(struct blk_dev *dev);
bool blk_dev_irq_on(struct blk_dev *dev);
bool blk_dev_needs_reset(struct blk_dev *dev);
bool blk_dev_used_bit_up(struct blk_dev *dev);
void blk_dev_ack_used_bit(struct blk_dev *dev);
int blk_dev_take_interrupt(struct blk_dev *dev, uint32_t *bits);

/* The device layer's small steps, inline: each runs once per request.
 * A request slot from the free list, and back. */
static inline struct blk_req *blk_dev_alloc_req(struct blk_dev *dev)
{
	struct blk_req *req = dev->free_reqs;
	if (req)
		dev->free_reqs = req->next;
	return req;
}

static inline void blk_dev_free_req(struct blk_dev *dev, struct blk_req *req)
{
	req->bio_head = req->bio_tail = NULL;
	req->next = dev->free_reqs;
	dev->free_reqs = req;
}

/* Take one completed request from the used ring. Returns 1 with the
 * request and its result (blk_dev_result), 0 if none is ready, or
 * -VBLK_EBROKEN if the device wrote something impossible. */
static inline int blk_dev_harvest(struct blk_dev *dev, struct blk_req **req, int *result)
{
	void *token;
	uint32_t used_len;

	int got = vq_harvest(&dev->vq, &token, &used_len);
	if (got == 1) {
		*req = token;
		*result = blk_dev_result(dev, *req, used_len);
	}
	return got;
}

/* blk/submit.c */
int blk_check_range(const struct vblk_disk *disk, uint64_t sector, uint64_t nsectors);
int blk_submit_checked(struct vblk_disk *disk, struct vblk_bio *bio);

/* blk/queue.c. Those returning int report a device that broke the
 * protocol with -VBLK_EBROKEN (the queue is then marked broken, and the
 * caller stops the disk: blk_disk_broken_by_queue). */
void blk_queue_init(struct vblk_disk *disk);
int blk_queue_bio(struct vblk_disk *disk, struct vblk_bio *bio);
int blk_queue_run(struct vblk_disk *disk);
int blk_queue_complete(struct vblk_disk *disk);
void blk_queue_fail_all(struct vblk_disk *disk, int reason, int in_flight_reason);
bool blk_queue_holds(const struct vblk_disk *disk, const struct vblk_bio *bio);
bool blk_queue_empty(const struct vblk_disk *disk);

#endif
