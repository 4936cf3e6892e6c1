/*
 * The virtio-blk device as the specification defines it (virtio 1.2
 * §5.2): feature bits, config space, the request header, types and status
 * values. The driver's own state is in blk/device.h (the device layer),
 * blk/queue.h (the request queue) and blk/disk.h (a disk, both together).
 */
#ifndef VBLK_VIRTIO_BLK_H
#define VBLK_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

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

#endif
