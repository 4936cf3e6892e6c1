/* SPDX-License-Identifier: MIT */
/*
 * labs/lab.h: what every lab (docs/labs/) is given, so that the exercise
 * is the ring and nothing else. Your lab file includes it and builds on
 * the vblk runtime (make lab1 does `make APP=labs/lab1.c`): main() runs at
 * EL1 with the MMU on, printf on the console, the GIC set up.
 *
 * Here: the virtio-mmio registers (virtio 1.2 §4.2.2) and the split ring's
 * layout (§2.7), a queue of LAB_QSIZE entries in static memory, finding
 * the disk, the status/feature handshake, barriers, and the lines the
 * checker reads (lab_report_sector). Not here, on purpose: setting up the
 * queue, building a chain, publishing it, notifying, harvesting: your
 * part, one lab at a time.
 *
 * The disk is QEMU's virtio-blk-device on virtio-mmio version 2 (modern:
 * `-global virtio-mmio.force-legacy=false`, as tools/lab-check.sh boots
 * it). QEMU's `virt` has 32 virtio-mmio slots at 0x0a000000, 0x200 apart,
 * slot n raising SPI 16+n (GIC INTID 48+n); the first -device is put in
 * the last slot.
 */
#ifndef VBLK_LABS_LAB_H
#define VBLK_LABS_LAB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vblk/platform.h"
#include "vblk/runtime.h"

/* ---- virtio-mmio registers (§4.2.2), offsets from the slot's base ---- */
#define REG_MAGIC            0x000u /* "virt" */
#define REG_VERSION          0x004u /* 2: modern */
#define REG_DEVICE_ID        0x008u /* 2: block */
#define REG_DEVICE_FEATURES  0x010u
#define REG_DEVICE_FEATURES_SEL 0x014u
#define REG_DRIVER_FEATURES  0x020u
#define REG_DRIVER_FEATURES_SEL 0x024u
#define REG_QUEUE_SEL        0x030u
#define REG_QUEUE_NUM_MAX    0x034u
#define REG_QUEUE_NUM        0x038u
#define REG_QUEUE_READY      0x044u
#define REG_QUEUE_NOTIFY     0x050u
#define REG_INTERRUPT_STATUS 0x060u
#define REG_INTERRUPT_ACK    0x064u
#define REG_STATUS           0x070u
#define REG_QUEUE_DESC_LOW   0x080u
#define REG_QUEUE_DESC_HIGH  0x084u
#define REG_QUEUE_DRIVER_LOW 0x090u /* the available ring */
#define REG_QUEUE_DRIVER_HIGH 0x094u
#define REG_QUEUE_DEVICE_LOW 0x0a0u /* the used ring */
#define REG_QUEUE_DEVICE_HIGH 0x0a4u
#define REG_CONFIG           0x100u /* virtio-blk: le64 capacity first */

#define MMIO_MAGIC 0x74726976u
#define MMIO_FIRST 0x0a000000u
#define MMIO_SLOT_BYTES 0x200u
#define MMIO_SLOTS 32u
#define MMIO_INTID_FIRST 48u

/* Device status bits (§2.1). */
#define STATUS_ACKNOWLEDGE 1u
#define STATUS_DRIVER      2u
#define STATUS_DRIVER_OK   4u
#define STATUS_FEATURES_OK 8u
#define STATUS_FAILED      128u

/* InterruptStatus bits (§4.2.2). */
#define INT_USED_BUFFER   1u
#define INT_CONFIG_CHANGE 2u

/* ---- the split ring (§2.7) ----------------------------------------------- */
#define LAB_QSIZE 8u   /* a power of 2, at most QueueNumMax */

#define VIRTQ_DESC_F_NEXT  1u
#define VIRTQ_DESC_F_WRITE 2u  /* the device writes this buffer */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[LAB_QSIZE];
	uint16_t used_event;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[LAB_QSIZE];
	uint16_t avail_event;
};

/* ---- a virtio-blk request (§5.2.6) ------------------------------------- */
#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_S_OK 0u
#define VIRTIO_BLK_S_IOERR 1u
#define VIRTIO_BLK_S_UNSUPP 2u
#define SECTOR_BYTES 512u

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* ---- the lab's device and its queue ------------------------------------ */
struct lab_dev {
	uintptr_t base;      /* the slot's registers */
	unsigned slot;
	unsigned intid;      /* GIC INTID of the slot */
	/* The ring, shared with the device (alignment: §2.7). */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	/* Driver-private. */
	uint16_t avail_idx;  /* the next avail.idx to publish (your shadow) */
	uint16_t last_used;  /* the next used entry to look at */
	unsigned chains;     /* chains made available so far (the checker reads it) */
	/* One request's header and status, the device reads/writes them. */
	struct virtio_blk_req_hdr hdr __attribute__((aligned(64)));
	uint8_t status __attribute__((aligned(64)));
};

static struct virtq_desc lab_desc[LAB_QSIZE] __attribute__((aligned(16)));
/* The avail ring, followed by entries that name no descriptor (0xffff):
 * a device that was not told the ring holds LAB_QSIZE entries (QueueNum)
 * takes it for a longer one, reads past the end once the index passes
 * LAB_QSIZE, finds an impossible head there and stops, rather than
 * reading whatever happens to follow (lab 1's check relies on it). */
static struct {
	struct virtq_avail avail;
	uint16_t past_the_end[4 * LAB_QSIZE];
} lab_avail_area __attribute__((aligned(2)));
static struct virtq_used lab_used __attribute__((aligned(4)));

/* ---- registers and barriers ------------------------------------------------ */
static inline uint32_t mmio_read(const struct lab_dev *dev, uint32_t reg)
{
	uint32_t val = *(volatile uint32_t *)(dev->base + reg);
	__asm__ volatile("dmb oshld" ::: "memory");
	return val;
}

static inline void mmio_write(const struct lab_dev *dev, uint32_t reg, uint32_t val)
{
	/* Everything stored to the ring before is visible to the device
	 * before it sees this register write (e.g. QueueNotify). */
	__asm__ volatile("dmb oshst" ::: "memory");
	*(volatile uint32_t *)(dev->base + reg) = val;
}

/* Kept a function of its own at -O2, so gdb can stop in it and show its
 * arguments (docs/labs/README.md, "Your ring under gdb"). */
#define LAB_DEBUGGABLE __attribute__((noinline))

/* Ring stores before the store that publishes them (§2.7.13.3.1). */
static inline void lab_wmb(void) { __asm__ volatile("dmb ishst" ::: "memory"); }
/* used.idx before the used entries it covers (§2.7.14). */
static inline void lab_rmb(void) { __asm__ volatile("dmb ishld" ::: "memory"); }

static inline uint16_t lab_read16(const volatile uint16_t *p) { return *p; }

/* ---- finding the disk and the handshake (§3.1.1) -------------------------- */

/* The first modern virtio-mmio block device: 0, or -1 (said why). */
static inline int lab_find_disk(struct lab_dev *dev)
{
	memset(dev, 0, sizeof(*dev));
	for (unsigned slot = 0; slot < MMIO_SLOTS; slot++) {
		dev->base = MMIO_FIRST + slot * MMIO_SLOT_BYTES;
		if (mmio_read(dev, REG_MAGIC) != MMIO_MAGIC || mmio_read(dev, REG_DEVICE_ID) != 2)
			continue;
		if (mmio_read(dev, REG_VERSION) != 2) {
			printf("lab: slot %u is a legacy (version 1) device: boot QEMU with "
			       "-global virtio-mmio.force-legacy=false\n", slot);
			return -1;
		}
		dev->slot = slot;
		dev->intid = MMIO_INTID_FIRST + slot;
		dev->desc = lab_desc;
		dev->avail = &lab_avail_area.avail;
		memset(lab_avail_area.past_the_end, 0xff, sizeof(lab_avail_area.past_the_end));
		dev->used = &lab_used;
		printf("lab: virtio-mmio slot %u @ 0x%08lx: block device, INTID %u\n", slot,
		       (unsigned long)dev->base, dev->intid);
		return 0;
	}
	printf("lab: no virtio-blk disk found\n");
	return -1;
}

/* Reset, ACKNOWLEDGE, DRIVER, accept VERSION_1 only (bit 32), FEATURES_OK.
 * The queue comes next (your setup_queue), then lab_driver_ok. */
static inline int lab_handshake(struct lab_dev *dev)
{
	mmio_write(dev, REG_STATUS, 0);
	while (mmio_read(dev, REG_STATUS) != 0)
		;
	mmio_write(dev, REG_STATUS, STATUS_ACKNOWLEDGE);
	mmio_write(dev, REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
	mmio_write(dev, REG_DEVICE_FEATURES_SEL, 1);
	if (!(mmio_read(dev, REG_DEVICE_FEATURES) & 1u)) {
		printf("lab: the device does not offer VERSION_1\n");
		return -1;
	}
	mmio_write(dev, REG_DRIVER_FEATURES_SEL, 0);
	mmio_write(dev, REG_DRIVER_FEATURES, 0);
	mmio_write(dev, REG_DRIVER_FEATURES_SEL, 1);
	mmio_write(dev, REG_DRIVER_FEATURES, 1u); /* VERSION_1 */
	mmio_write(dev, REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
	if (!(mmio_read(dev, REG_STATUS) & STATUS_FEATURES_OK)) {
		printf("lab: the device refused our features\n");
		return -1;
	}
	return 0;
}

static inline void lab_driver_ok(struct lab_dev *dev)
{
	mmio_write(dev, REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK |
					    STATUS_DRIVER_OK);
}

/* ---- what the checker reads ----------------------------------------------- */

/* FNV-1a over a sector: tools/lab-check.sh computes the same on the host. */
static inline uint32_t lab_fnv1a(const uint8_t *buf, uint32_t len)
{
	uint32_t hash = 2166136261u;
	for (uint32_t i = 0; i < len; i++)
		hash = (hash ^ buf[i]) * 16777619u;
	return hash;
}

static inline void lab_report_sector(uint64_t sector, const uint8_t *buf)
{
	printf("lab: sector %llu fnv1a %08lx\n", (unsigned long long)sector,
	       (unsigned long)lab_fnv1a(buf, SECTOR_BYTES));
}

/* A TODO left as shipped: say which (once: the first one met is the one
 * to do next), and give the status main returns for it, 3. */
static inline int lab_not_done(const char *what)
{
	static bool said;

	if (!said)
		printf("lab: not done: %s\n", what);
	said = true;
	return 3;
}

/* One chain as `make TRACE=1 run` prints the library's, to compare. */
static inline void lab_trace_chain(const struct lab_dev *dev, uint16_t head)
{
	uint16_t i = head;
	printf("[lab]  chain       head %u:", head);
	for (unsigned n = 0; n < LAB_QSIZE; n++) {
		const struct virtq_desc *d = &dev->desc[i];
		printf("%s #%u %luB %c", n ? " ->" : "", i, (unsigned long)d->len,
		       d->flags & VIRTQ_DESC_F_WRITE ? 'W' : 'R');
		if (!(d->flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d->next;
	}
	printf("\n");
}

/* Sleep until *count reaches `want` or `timeout_us` pass (an interrupt
 * handler moves it). IRQs are masked around the check and the sleep, so
 * an interrupt between them still wakes the sleep (plat_idle). */
static inline bool lab_wait_count(volatile unsigned *count, unsigned want, uint64_t timeout_us)
{
	uint64_t deadline = rt_time_us() + timeout_us;
	bool reached;

	for (;;) {
		__asm__ volatile("msr daifset, #2" ::: "memory");
		reached = *count >= want;
		if (!reached && rt_time_us() < deadline)
			plat_idle(deadline);
		__asm__ volatile("msr daifclr, #2" ::: "memory");
		if (reached || rt_time_us() >= deadline)
			return *count >= want;
	}
}

#endif
