/* SPDX-License-Identifier: MIT */
/*
 * vblk error codes.
 *
 * Every vblk function that can fail returns 0 (or a count) on success and a
 * negative code from this table on failure: `return -VBLK_ERANGE;`.
 * A call refused for its arguments or the disk's state changes nothing: no
 * descriptor is exposed to the device and no caller-visible state moves.
 *
 * A request the device accepted and then failed is another matter. A
 * failed write (-VBLK_EIO, -VBLK_ETIMEDOUT, -VBLK_EBROKEN, -VBLK_EHELD,
 * and -VBLK_ECANCELED for one the device held when it was reset)
 * may have reached the disk in part or in whole: QEMU writing a qcow2
 * image onto a filesystem that runs out of space stores some sectors and
 * reports the request failed. After a failed write, treat the range as
 * holding old data, new data or a mix, and write it again.
 */
#ifndef VBLK_ERROR_H
#define VBLK_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum vblk_error {
	VBLK_OK = 0,
	VBLK_EINVAL = 1,   /* bad argument: NULL pointer, count 0, unknown op  */
	VBLK_ERANGE = 2,   /* sector range reaches past the capacity (or wraps) */
	VBLK_EALIGN = 3,   /* buffer not VBLK_DMA_ALIGN-aligned, or sector range
			      not a whole number of logical blocks (a discard:
			      of discard_sector_alignment either)            */
	VBLK_ETOOBIG = 4,  /* more bytes or segments than one request carries  */
	VBLK_EROFS = 5,    /* write, flush, discard or write-zeroes to a
			      read-only disk                                  */
	VBLK_EIO = 6,      /* the device reported VIRTIO_BLK_S_IOERR (a write
			      may have changed part of its range)            */
	VBLK_EUNSUPP = 7,  /* the device reported VIRTIO_BLK_S_UNSUPP, or the
			      feature was not negotiated                       */
	VBLK_ETIMEDOUT = 8, /* the device did not answer in time; the device is
			       reset so no buffer stays exposed to it (a
			       write may still have reached the disk: QEMU
			       finishes what it holds while it resets). Bios
			       queued behind it, never sent, end so too     */
	VBLK_ENODEV = 9,   /* no such device, or the slot is empty/not blk     */
	VBLK_EBROKEN = 10, /* the device broke a rule (bad used id/len/idx,
			      unknown status, NEEDS_RESET); reset to recover   */
	VBLK_EFEATURES = 11, /* the device refused our features (FEATURES_OK
				did not stick) or lacks a required one         */
	/* 12 is not used (it was a ring's internal "no room now") */
	VBLK_ENOMEM = 13,  /* no memory left: the disk pool or a table is full */
	VBLK_EBADDT = 14,  /* the device tree blob is malformed                */
	VBLK_ESTATE = 15,  /* call not valid in this state (e.g. before init)  */
	VBLK_ECANCELED = 16, /* the disk was reset or shut down while the bio
				was queued or with the device: not done by
				vblk, but a write the device held may have
				reached the disk (QEMU finishes what it holds
				before its reset completes)                   */
	VBLK_EBUSY = 17,   /* vblk_submit of a bio that vblk holds already
			      (queued or in flight): refused, nothing changed */
	VBLK_EHELD = 18,   /* the device did not confirm its reset (Status
			      never read back 0), so it may still read or
			      write this bio's buffers: do NOT reuse or free
			      them. The disk is dead and its memory set
			      aside; a vblk_reset that completes (or a later
			      probe whose reset of that device completes)
			      is what hands the buffers back to you.         */
	VBLK_EBADGPT = 19, /* the GUID partition table is malformed: neither
			      the primary nor the backup passed every check
			      (vblk/gpt.h says which check each one failed)   */
	VBLK_ENOGPT = 20,  /* the disk holds no GPT: no protective MBR
			      (UEFI 2.10 §5.2.3) in its first block           */
	VBLK_ENOSPC = 21,  /* no room: the edit would make the device tree
			      larger than the bound its caller gave           */
	VBLK_EFAULT = 22,  /* a buffer outside the memory the device may use
			      (vblk_set_dma_ranges): nothing was sent        */
	VBLK_ERROR_COUNT
};

/* A short English description of a (positive or negative) error code. */
const char *vblk_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
