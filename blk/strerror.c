/* SPDX-License-Identifier: MIT */
/* The table behind vblk_strerror(): one line per code of vblk/error.h. */
#include "vblk/error.h"

static const char *const messages[VBLK_ERROR_COUNT] = {
	[VBLK_OK] = "success",
	[VBLK_EINVAL] = "invalid argument",
	[VBLK_ERANGE] = "sector range beyond the disk's capacity",
	[VBLK_EALIGN] = "buffer or sector range not aligned",
	[VBLK_ETOOBIG] = "too large for one request",
	[VBLK_EROFS] = "disk is read-only",
	[VBLK_EIO] = "device reported an I/O error",
	[VBLK_EUNSUPP] = "operation not supported by the device",
	[VBLK_ETIMEDOUT] = "device did not answer in time",
	[VBLK_ENODEV] = "no such device",
	[VBLK_EBROKEN] = "device misbehaved; reset it to recover",
	[VBLK_EFEATURES] = "device refused the driver's features",
	[VBLK_ENOMEM] = "no memory left (disk pool or table full)",
	[VBLK_EBADDT] = "malformed device tree",
	[VBLK_ESTATE] = "not valid in this state",
	[VBLK_ECANCELED] = "canceled by a disk reset or shutdown",
	[VBLK_EBUSY] = "bio already submitted and not yet completed",
	[VBLK_EHELD] = "device did not reset: it may still use the buffers",
	[VBLK_EBADGPT] = "malformed GUID partition table",
	[VBLK_ENOGPT] = "no GUID partition table on the disk",
	[VBLK_ENOSPC] = "no room left within the buffer's bound",
	[VBLK_EFAULT] = "buffer outside the memory the device may use",
};

const char *vblk_strerror(int err)
{
	/* Range-check before negating: -INT_MIN is not an int. */
	if (err <= -VBLK_ERROR_COUNT || err >= VBLK_ERROR_COUNT)
		return "unknown error";
	const char *message = messages[err < 0 ? -err : err];
	return message ? message : "unknown error";
}
