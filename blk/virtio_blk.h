/*
 * virtio-blk device definitions (virtio 1.2 §5.2) and the driver's per-disk
 * state. Internal to blk/: applications use include/vblk/vblk.h.
 */
#ifndef VBLK_VIRTIO_BLK_H
#define VBLK_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio_mmio.h"
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

/* The largest number of data buffers one request may use: every chain also
 * needs a header and a status descriptor. */
#define BLK_MAX_DATA_SEGS (VBLK_QUEUE_SIZE - 2)

/*
 * One request in flight: the parts of it the device reads or writes live
 * here, in static memory, so they outlive the caller's stack frame. The
 * status byte has a cache line of its own (it is device-written; see
 * VBLK_DMA_ALIGN).
 */
struct blk_req {
	struct virtio_blk_req_hdr hdr;                /* device reads */
	uint8_t status VBLK_ALIGNED;                  /* device writes */
	/* Driver-private. */
	uint32_t data_bytes;   /* data length: a read's used.len must be this + 1 */
	bool in_use;
	bool done;
	int result;            /* 0 or -VBLK_E*, valid once done */
} VBLK_ALIGNED;

/* Each chain needs at least two descriptors, so this many can be in flight. */
#define BLK_MAX_REQS (VBLK_QUEUE_SIZE / 2)

struct vblk_disk {
	/* Ring memory first: it must be 4 KiB aligned. */
	uint8_t ring_mem[VRING_MEM_BYTES(VBLK_QUEUE_SIZE)] __attribute__((aligned(VRING_ALIGN_BYTES)));
	struct virtqueue vq;
	struct blk_req reqs[BLK_MAX_REQS];

	uint8_t id_buf[VIRTIO_BLK_ID_BYTES] VBLK_ALIGNED; /* GET_ID answer */

	struct virtio_mmio_dev dev;
	struct vblk_info info;
	uint32_t max_req_bytes;   /* bytes of data one request may carry */
	uint32_t max_data_segs;   /* data descriptors one request may use */
	uint32_t seg_bytes_max;   /* bytes per data descriptor */
	uint32_t timeout_us;
	bool ready;               /* DRIVER_OK reached and not broken */
	const char *broken_reason;
};

/* blk/disk.c */
int blk_disk_setup(struct vblk_disk *disk, uint64_t mmio_base, uint32_t intid);
void blk_disk_break(struct vblk_disk *disk, int reason, const char *why);

/* blk/features.c */
uint64_t blk_driver_features(void);

/* blk/request.c: build, submit and complete one request. */
struct blk_req *blk_req_alloc(struct vblk_disk *disk);
void blk_req_free(struct vblk_disk *disk, struct blk_req *req);
int blk_req_submit(struct vblk_disk *disk, struct blk_req *req, uint32_t type, uint64_t sector,
		   uintptr_t data, uint32_t data_bytes);
void blk_kick(struct vblk_disk *disk);
int blk_poll(struct vblk_disk *disk);
int blk_wait(struct vblk_disk *disk, struct blk_req *req);

#endif
