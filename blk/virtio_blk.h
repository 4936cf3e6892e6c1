/* SPDX-License-Identifier: MIT */
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
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS    0x24  /* le32, if DISCARD */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG        0x28  /* le32, if DISCARD */
#define VIRTIO_BLK_CFG_DISCARD_ALIGNMENT      0x2c  /* le32 sectors, if DISCARD */
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS 0x30 /* le32, if WRITE_ZEROES */
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG   0x34  /* le32, if WRITE_ZEROES */
#define VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP 0x38  /* u8, if WRITE_ZEROES */

/* Request types and status values (§5.2.6). */
#define VIRTIO_BLK_T_IN     0u
#define VIRTIO_BLK_T_OUT    1u
#define VIRTIO_BLK_T_FLUSH  4u
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_T_DISCARD 11u
#define VIRTIO_BLK_T_WRITE_ZEROES 13u

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

/* The data of a DISCARD or WRITE_ZEROES request: an array of these,
 * device-readable, little-endian on modern devices (§5.2.6). `flags` has
 * one defined bit, unmap, which only WRITE_ZEROES may set (§5.2.6.1);
 * the rest are reserved and zero. */
struct virtio_blk_range_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

#define VIRTIO_BLK_WZ_F_UNMAP 1u

_Static_assert(sizeof(struct virtio_blk_range_seg) == 16, "§5.2.6: 16-byte segments");

/* A request whose data is a range of sectors, not memory (§5.2.6)? */
static inline bool blk_type_is_range(uint32_t type)
{
	/* 11 or 13, in one test: it runs on every request. */
	_Static_assert(VIRTIO_BLK_T_WRITE_ZEROES - VIRTIO_BLK_T_DISCARD == 2, "11 and 13");
	return ((type - VIRTIO_BLK_T_DISCARD) & ~2u) == 0;
}

#endif
