/*
 * vblk error codes.
 *
 * Every vblk function that can fail returns 0 (or a count) on success and a
 * negative code from this table on failure: `return -VBLK_ERANGE;`.
 * A function that fails changes nothing: no descriptor is exposed to the
 * device and no caller-visible state moves.
 */
#ifndef VBLK_ERROR_H
#define VBLK_ERROR_H

enum vblk_error {
	VBLK_OK = 0,
	VBLK_EINVAL = 1,   /* bad argument: NULL pointer, count 0, unknown op  */
	VBLK_ERANGE = 2,   /* sector range reaches past the capacity (or wraps) */
	VBLK_EALIGN = 3,   /* buffer not VBLK_DMA_ALIGN-aligned, or sector range
			      not a whole number of logical blocks             */
	VBLK_ETOOBIG = 4,  /* more bytes or segments than one request carries  */
	VBLK_EROFS = 5,    /* write or flush to a read-only disk               */
	VBLK_EIO = 6,      /* the device reported VIRTIO_BLK_S_IOERR           */
	VBLK_EUNSUPP = 7,  /* the device reported VIRTIO_BLK_S_UNSUPP, or the
			      feature was not negotiated                       */
	VBLK_ETIMEDOUT = 8, /* the device did not answer in time; the device is
			       reset so no buffer stays exposed to it (a
			       write may still have reached the disk: QEMU
			       finishes what it holds while it resets)        */
	VBLK_ENODEV = 9,   /* no such device, or the slot is empty/not blk     */
	VBLK_EBROKEN = 10, /* the device broke a rule (bad used id/len/idx,
			      unknown status, NEEDS_RESET); reset to recover   */
	VBLK_EFEATURES = 11, /* the device refused our features (FEATURES_OK
				did not stick) or lacks a required one         */
	VBLK_EAGAIN = 12,  /* no free descriptors right now; try again later   */
	VBLK_ENOMEM = 13,  /* a compile-time table (disks, queue) is full      */
	VBLK_EBADDT = 14,  /* the device tree blob is malformed                */
	VBLK_ESTATE = 15,  /* call not valid in this state (e.g. before init)  */
	VBLK_ECANCELED = 16, /* the disk was reset or shut down while the bio
				was queued; it never completed                 */
	VBLK_ERROR_COUNT
};

/* A short English description of a (positive or negative) error code. */
const char *vblk_strerror(int err);

#endif
