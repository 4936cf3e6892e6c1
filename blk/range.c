/* SPDX-License-Identifier: MIT */
/*
 * The chain of a DISCARD or WRITE_ZEROES request (virtio 1.2 §5.2.6),
 * for blk_dev_start (blk/device.c). Such a request carries no memory: its
 * one data descriptor is the request's own segment array, which the
 * device reads:
 *
 *   desc 0   header {type, 0, sector 0}             16 bytes, device reads
 *   desc 1   {le64 sector, le32 num_sectors,        16 bytes per segment,
 *             le32 flags} x nsegs                   device reads
 *   desc 2   status                                 1 byte, device writes
 *
 * Apart from the read/write path, as a further command with a chain of
 * its own would be.
 */
#include "blk/range.h"

#include "vblk/platform.h"

/*
 * A DISCARD's or WRITE_ZEROES's run of sectors as the device reads it:
 * segments of at most the device's max_*_sectors, each a whole number of
 * alignment units (the limit is), no more than max_*_seg of them (merging
 * kept the run within that), all with the request's flags: unmap only on
 * WRITE_ZEROES, reserved bits zero (§5.2.6.1; a device fails any other
 * flag, §5.2.6.2). Returns how many.
 */
static unsigned fill_ranges(struct blk_req *req, uint32_t seg_sectors)
{
	uint64_t sector = req->sector, left = req->nsectors;
	unsigned nranges = 0;

	while (left > 0 && nranges < BLK_RANGE_SEGS_MAX) {
		uint32_t take = left < seg_sectors ? (uint32_t)left : seg_sectors;
		req->ranges[nranges++] = (struct virtio_blk_range_seg){
			.sector = sector, .num_sectors = take,
			.flags = req->type == VIRTIO_BLK_T_WRITE_ZEROES ? req->range_flags : 0,
		};
		sector += take;
		left -= take;
	}
	return nranges;
}

/* The chain of a DISCARD or WRITE_ZEROES: header, its segment array
 * (filled here), status. Returns 3, the buffers written to `bufs`. */
unsigned blk_range_map_chain(struct blk_req *req, uint32_t seg_sectors, struct vring_buf *bufs)
{
	unsigned nranges = fill_ranges(req, seg_sectors);

	bufs[0] = (struct vring_buf){ plat_virt_to_phys(&req->hdr), sizeof(req->hdr), false };
	bufs[1] = (struct vring_buf){ plat_virt_to_phys(req->ranges),
				      nranges * (uint32_t)sizeof(req->ranges[0]), false };
	bufs[2] = (struct vring_buf){ plat_virt_to_phys(&req->status), 1, true };
	return 3;
}
