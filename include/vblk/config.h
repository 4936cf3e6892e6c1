/* SPDX-License-Identifier: MIT */
/*
 * Compile-time configuration. Every table vblk uses is static and sized
 * here; override a value with -D when building the library, e.g.
 * `make EXTRA_CFLAGS=-DVBLK_QUEUE_SIZE=64`.
 */
#ifndef VBLK_CONFIG_H
#define VBLK_CONFIG_H

/* Block devices the library can drive at once, if the pool below holds
 * them: each costs a pointer here until it is attached. */
#ifndef VBLK_MAX_DISKS
#define VBLK_MAX_DISKS 8
#endif

/* Static memory for the disks attached at once (their rings, request
 * slots and indirect tables): a disk takes one piece of
 * sizeof(struct vblk_disk) bytes when it is attached, 24 KiB with
 * the defaults below (vblk_disk_bytes() says), and gives it back at
 * vblk_shutdown(). A disk that finds the pool used up is not attached
 * (-VBLK_ENOMEM). The default holds four default disks; docs/design.md
 * ("Memory") lists what each value below costs. */
#ifndef VBLK_POOL_BYTES
#define VBLK_POOL_BYTES (96u * 1024)
#endif

/* Descriptors per virtqueue: a power of 2, at most 32768 (virtio 1.2
 * §2.7). The device may offer fewer (QueueNumMax); then its value is used,
 * rounded down to a power of 2 for a split ring. 128 holds 32 requests
 * of one data buffer each as direct chains (3 descriptors each). */
#ifndef VBLK_QUEUE_SIZE
#define VBLK_QUEUE_SIZE 128
#endif

/* Request slots per disk (at most VBLK_QUEUE_SIZE / 2 are used): requests
 * in flight at once. Each costs 256 bytes at the default VBLK_DMA_ALIGN
 * (a larger alignment grows it: the header and status sit on lines of
 * their own); requests beyond these wait in the queue, merging with
 * their neighbours. */
#ifndef VBLK_MAX_REQS
#define VBLK_MAX_REQS 32
#endif

/* Use the packed virtqueue (virtio 1.2 §2.8) when a modern device offers
 * VIRTIO_F_RING_PACKED (QEMU: packed=on); 0 keeps every disk on the split
 * ring. Legacy devices always use the split ring, and so does a build with
 * VBLK_NONCOHERENT_DMA (vblk/platform.h: the packed ring's two sides
 * write the same cache lines). 0 or 1. */
#ifndef VBLK_RING_PACKED
#define VBLK_RING_PACKED 1
#endif

/* Entries in each indirect descriptor table (virtio 1.2 §2.7.5.3, used
 * when the device offers VIRTIO_F_INDIRECT_DESC): a chain of header +
 * data + status of at most this many descriptors can take one ring
 * descriptor instead of one each; longer chains go into the ring
 * directly. 32 holds a 64 KiB bio in scattered 4 KiB pages (18) with room
 * to merge. At least 3 (header, one data buffer, status). */
#ifndef VBLK_INDIRECT_MAX
#define VBLK_INDIRECT_MAX 32
#endif

/* Indirect tables per disk, of 16 * VBLK_INDIRECT_MAX bytes each (512 with
 * the defaults): the first this many request slots have one. The driver
 * takes a table only when the ring is short of descriptors (blk/device.c,
 * use_indirect); a slot without one then waits for ring space instead.
 * At least 1. */
#ifndef VBLK_INDIRECT_TABLES
#define VBLK_INDIRECT_TABLES 4
#endif

/* Largest read or write request the driver builds, in bytes; larger I/O
 * is split. It bounds the time one such request holds the device (a
 * DISCARD or WRITE_ZEROES carries no data: the device's max_*_sectors
 * bound those). A whole number of
 * sectors; a disk whose logical block is larger than it cannot be
 * attached (-VBLK_EUNSUPP: not one block fits a request), so keep it at
 * 4 KiB or more for 4K-sector disks. */
#ifndef VBLK_MAX_REQUEST_BYTES
#define VBLK_MAX_REQUEST_BYTES (4u * 1024 * 1024)
#endif

/* Default per-request timeout (vblk_set_timeout_us changes it per disk). */
#ifndef VBLK_TIMEOUT_US
#define VBLK_TIMEOUT_US 10000000u
#endif

/* A device reset (Status written 0) that has not read back 0 after this
 * long has failed (virtio 1.2 §2.4.2 gives no bound; a working device
 * takes microseconds). The disk is then dead and its memory set aside
 * (VBLK_EHELD in vblk/error.h). */
#ifndef VBLK_RESET_TIMEOUT_US
#define VBLK_RESET_TIMEOUT_US 1000000u
#endif

/* While requests are in flight, a wait reads the device's Status at most
 * this often to notice DEVICE_NEEDS_RESET (virtio 1.2 §2.1.2) without an
 * interrupt: a device that gave up on a request fails it within this
 * time, not after the whole timeout. At least 1. */
#ifndef VBLK_STATUS_CHECK_US
#define VBLK_STATUS_CHECK_US 1000u
#endif

/* In interrupt mode a wait either polls with the device's interrupts off
 * (a fast device is found sooner by looking than by waking up) and then
 * sleeps, or sleeps at once: each disk learns which way its device is
 * served faster, and how long to poll, from twice its usual answer time,
 * at least this long after the last completion or dispatch and at most
 * 1 ms (blk/spin_or_sleep.c; docs/design.md). 0: always sleep. */
#ifndef VBLK_IRQ_POLL_US
#define VBLK_IRQ_POLL_US 60u
#endif

/* With requests in flight and no completion for this long, a wait
 * notifies the device again (blk/device.c: blk_dev_renotify says which
 * lost notification this rescues), and again each time this much more
 * passes without one. At least 1. */
#ifndef VBLK_RENOTIFY_US
#define VBLK_RENOTIFY_US 100000u
#endif

/* In interrupt mode a wait sleeps at most this long before it looks at
 * the used ring itself: an interrupt that never arrives (misrouted, or an
 * edge lost by the platform) then costs this much latency, not a timeout. */
#ifndef VBLK_IRQ_RECHECK_US
#define VBLK_IRQ_RECHECK_US 2000u
#endif

#if (VBLK_QUEUE_SIZE & (VBLK_QUEUE_SIZE - 1)) != 0 || VBLK_QUEUE_SIZE < 4 || VBLK_QUEUE_SIZE > 32768
#error "VBLK_QUEUE_SIZE must be a power of 2 between 4 and 32768"
#endif

#if VBLK_MAX_DISKS < 1
#error "VBLK_MAX_DISKS must be at least 1"
#endif

#if VBLK_MAX_REQS < 1
#error "VBLK_MAX_REQS must be at least 1"
#endif

#if VBLK_INDIRECT_TABLES < 1
#error "VBLK_INDIRECT_TABLES must be at least 1"
#endif

/* One 512-byte sector at least; at most 2 GiB, so that a request with its
 * header and status stays below the 2^32 bytes a chain may hold (virtio
 * 1.2 §2.7.5.2). */
#if VBLK_MAX_REQUEST_BYTES < 512 || VBLK_MAX_REQUEST_BYTES > 0x80000000 || \
	VBLK_MAX_REQUEST_BYTES % 512 != 0
#error "VBLK_MAX_REQUEST_BYTES must be a multiple of 512 between 512 and 2 GiB"
#endif

/* Kept per disk in 32 bits (vblk_set_timeout_us): about 71 minutes. */
#if VBLK_TIMEOUT_US < 1 || VBLK_TIMEOUT_US > 0xffffffff
#error "VBLK_TIMEOUT_US must be between 1 and 2^32 - 1 microseconds"
#endif

/* A switch: any other value would be taken as 1. */
#if VBLK_RING_PACKED != 0 && VBLK_RING_PACKED != 1
#error "VBLK_RING_PACKED must be 0 or 1"
#endif

/* Compared with elapsed microseconds (blk/wait.c, blk/api.c): 0 would
 * make those comparisons always true, which -Wextra rejects. */
#if VBLK_STATUS_CHECK_US < 1
#error "VBLK_STATUS_CHECK_US must be at least 1 microsecond"
#endif

#if VBLK_RENOTIFY_US < 1
#error "VBLK_RENOTIFY_US must be at least 1 microsecond"
#endif

#if VBLK_INDIRECT_MAX < 3 || VBLK_INDIRECT_MAX > 32768
#error "VBLK_INDIRECT_MAX must be between 3 and 32768"
#endif

#endif
