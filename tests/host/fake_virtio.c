/* SPDX-License-Identifier: MIT */
/*
 * The fake virtio-mmio block device: creation, knobs, rule violations and
 * inspection. The device's behaviour lives in fake_virtio_regs.c,
 * fake_virtio_cfg.c, fake_virtio_ring.c and fake_virtio_blk.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_virtio_internal.h"

#define DEFAULT_QUEUE_NUM_MAX    1024u  /* QEMU virtio-mmio, any queue-size */
#define DEFAULT_CAPACITY_SECTORS 2048u  /* 1 MiB */
#define DEFAULT_SEG_MAX          254u   /* QEMU: queue-size 256 - 2 */
#define DEFAULT_CONFIG_BYTES     0x3cu  /* QEMU 7.2 with write-zeroes on */
#define QEMU_MAX_DISCARD_SECTORS 4194303u

/* ---- rules ---------------------------------------------------------- */

static void record_violation(struct fake_virtio *fv, const char *rule,
			     const char *fmt, va_list args)
{
	char text[sizeof(fv->violations[0])];
	int prefix = snprintf(text, sizeof(text), "%s: ", rule);

	vsnprintf(text + prefix, sizeof(text) - (size_t)prefix, fmt, args);
	if (fv->violation_count < FAKE_MAX_VIOLATIONS)
		memcpy(fv->violations[fv->violation_count], text, sizeof(text));
	fv->violation_count++;
	if (fv->fail_fast)
		host_fail("fake virtio @%#lx: %s", (unsigned long)fv->base, text);
}

/* The driver broke a rule; the device carries on. */
void fake_violation(struct fake_virtio *fv, const char *rule, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	record_violation(fv, rule, fmt, args);
	va_end(args);
}

/* The driver broke a rule the device cannot work around. Like QEMU's
 * virtio_error(): a VERSION_1 device sets DEVICE_NEEDS_RESET and raises a
 * config interrupt (virtio 1.2 §2.1.2); every device stops using its rings
 * until it is reset. */
void fake_device_error(struct fake_virtio *fv, const char *rule, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	record_violation(fv, rule, fmt, args);
	va_end(args);
	fake_virtio_needs_reset(fv);
}

void fake_virtio_needs_reset(struct fake_virtio *fv)
{
	fv->broken = true;
	if (fake_is_legacy(fv))
		return;
	fv->status |= STATUS_DEVICE_NEEDS_RESET;
	fake_config_changed(fv);
}

unsigned fake_virtio_violation_count(const struct fake_virtio *fv)
{
	return fv->violation_count;
}

const char *fake_virtio_violation(const struct fake_virtio *fv, unsigned index)
{
	if (index >= fv->violation_count || index >= FAKE_MAX_VIOLATIONS)
		return NULL;
	return fv->violations[index];
}

bool fake_virtio_has_violation(const struct fake_virtio *fv, const char *rule_id)
{
	size_t len = strlen(rule_id);

	for (unsigned i = 0; i < fv->violation_count && i < FAKE_MAX_VIOLATIONS; i++) {
		if (strncmp(fv->violations[i], rule_id, len) == 0 &&
		    fv->violations[i][len] == ':')
			return true;
	}
	return false;
}

void fake_virtio_clear_violations(struct fake_virtio *fv)
{
	fv->violation_count = 0;
}

void fake_virtio_assert_clean(const struct fake_virtio *fv)
{
	char list[1024] = "";
	size_t used = 0;

	if (fv->violation_count == 0)
		return;
	for (unsigned i = 0; i < fv->violation_count && i < FAKE_MAX_VIOLATIONS; i++) {
		int n = snprintf(list + used, sizeof(list) - used, "\n  %s", fv->violations[i]);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			break;
		used += (size_t)n;
	}
	host_fail("fake virtio @%#lx: %u rule violation(s):%s",
		  (unsigned long)fv->base, fv->violation_count, list);
}

void fake_virtio_set_fail_fast(struct fake_virtio *fv, bool fail_fast)
{
	fv->fail_fast = fail_fast;
}

/* ---- small helpers for the other files ------------------------------ */

const char *fake_rule(const struct fake_virtio *fv, const char *mmio_rule, const char *pci_rule)
{
	return fv->pci != NULL ? pci_rule : mmio_rule;
}

bool fake_knob_fire(struct fake_knob *knob)
{
	if (!knob->armed)
		return false;
	if (knob->skip > 0) {
		knob->skip--;
		return false;
	}
	if (!knob->sticky)
		knob->armed = false;
	return true;
}

static void knob_arm(struct fake_knob *knob, enum fake_virtio_shot shot)
{
	knob->armed = true;
	knob->sticky = (shot == FAKE_STICKY);
	knob->skip = 0;
}

bool fake_is_legacy(const struct fake_virtio *fv)
{
	return fv->opts.version == 1;
}

bool fake_offered(const struct fake_virtio *fv, unsigned bit)
{
	return (fv->opts.features >> bit) & 1u;
}

/* Negotiated = accepted by the driver; before the features are fixed
 * (FEATURES_OK, legacy DRIVER_OK) what the driver has written so far. */
bool fake_negotiated(const struct fake_virtio *fv, unsigned bit)
{
	uint64_t features = fv->accepted_features ? fv->accepted_features
						  : fv->driver_features;
	return (features >> bit) & 1u;
}

void fake_raise_interrupt(struct fake_virtio *fv, uint32_t bits)
{
	if (fv->pci != NULL)
		bits &= PCI_ISR_BITS;
	fv->interrupt_status |= bits;
	if (bits & INT_USED_BUFFER)
		fv->stats.used_irqs++;
}

/* Configuration changed (virtio 1.2 §2.5, §4.2.3.4): a new generation, and
 * once the driver is running, a config interrupt. QEMU sets the used-buffer
 * bit too (InterruptStatus reads 0x3, QEMU-FACTS.md / FAULTS.md §4).
 * QEMU 7.2 bumps the generation only after DRIVER_OK; the spec (§2.5) wants
 * it on every change, and a torn read during init must be detectable, so
 * the fake always bumps it. */
void fake_config_changed(struct fake_virtio *fv)
{
	fv->config_generation++;
	if (!(fv->status & STATUS_DRIVER_OK))
		return;
	fv->interrupt_status |= INT_CONFIG_CHANGE | INT_USED_BUFFER;
	fv->stats.config_irqs++;
}

/* Only the first FAKE_DISK_BACKED_MAX_SECTORS are kept in memory, so a
 * test can announce a 2 TiB disk. */
void fake_resize_disk(struct fake_virtio *fv, uint64_t capacity_sectors)
{
	uint64_t backed = capacity_sectors < FAKE_DISK_BACKED_MAX_SECTORS
				  ? capacity_sectors : FAKE_DISK_BACKED_MAX_SECTORS;
	uint64_t old_bytes = fv->disk_sectors * FAKE_SECTOR_BYTES;
	uint64_t new_bytes = backed * FAKE_SECTOR_BYTES;
	uint8_t *disk = realloc(fv->disk, new_bytes ? new_bytes : 1);

	if (disk == NULL)
		host_fail("fake virtio: cannot allocate a %llu-sector disk",
			  (unsigned long long)backed);
	if (new_bytes > old_bytes)
		memset(disk + old_bytes, 0, new_bytes - old_bytes);
	fv->disk = disk;
	fv->disk_sectors = backed;
	fv->opts.capacity_sectors = capacity_sectors;
}

/* ---- creation ------------------------------------------------------- */

void fake_virtio_default_opts(struct fake_virtio_opts *opts, uint32_t version)
{
	*opts = (struct fake_virtio_opts){
		.magic = FAKE_MAGIC,
		.version = version,
		.device_id = FAKE_DEVICE_ID_BLOCK,
		.vendor_id = FAKE_VENDOR_QEMU,
		.features = version == 1 ? FAKE_FEATURES_QEMU_LEGACY
					 : FAKE_FEATURES_QEMU_MODERN,
		.queue_num_max = DEFAULT_QUEUE_NUM_MAX,
		.capacity_sectors = DEFAULT_CAPACITY_SECTORS,
		.seg_max = DEFAULT_SEG_MAX,
		.geo_cylinders = 2, .geo_heads = 16, .geo_sectors = 63,
		.blk_size_bytes = FAKE_SECTOR_BYTES,
		.writeback = 1,
		.num_queues = 1,
		.max_discard_sectors = QEMU_MAX_DISCARD_SECTORS,
		.max_discard_seg = 1,
		.discard_sector_alignment = 8,
		.max_write_zeroes_sectors = QEMU_MAX_DISCARD_SECTORS,
		.max_write_zeroes_seg = 1,
		.config_bytes = DEFAULT_CONFIG_BYTES,
		.serial = "fake-virtio-blk",
	};
}

static void fake_release(void *ctx)
{
	fake_virtio_destroy(ctx);
}

static void fake_relax(void *ctx)
{
	fake_ring_relax(ctx);
}

static void fake_deliver(void *ctx)
{
	fake_ring_deliver_interrupt(ctx);
}

static const struct host_mmio_ops fake_mmio_ops = {
	.read = fake_regs_read,
	.write = fake_regs_write,
	.relax = fake_relax,
	.deliver = fake_deliver,
	.release = fake_release,
};

struct fake_virtio *fake_virtio_alloc(const struct fake_virtio_opts *opts)
{
	struct fake_virtio *fv = calloc(1, sizeof(*fv));

	if (fv == NULL)
		host_fail("fake virtio: out of memory");
	if (opts != NULL)
		fv->opts = *opts;
	else
		fake_virtio_default_opts(&fv->opts, 2);
	fv->completion = FAKE_COMPLETE_IMMEDIATE;
	fv->order = FAKE_ORDER_FIFO;
	fake_resize_disk(fv, fv->opts.capacity_sectors);
	return fv;
}

struct fake_virtio *fake_virtio_create_at(uintptr_t base, const struct fake_virtio_opts *opts)
{
	struct fake_virtio *fv = fake_virtio_alloc(opts);

	fv->base = base;
	host_mmio_map(base, FAKE_VIRTIO_WINDOW_BYTES, &fake_mmio_ops, fv);
	return fv;
}

struct fake_virtio *fake_virtio_create(const struct fake_virtio_opts *opts)
{
	for (unsigned slot = 0; slot < FAKE_VIRTIO_SLOTS; slot++) {
		uintptr_t base = FAKE_VIRTIO_BASE0 + slot * FAKE_VIRTIO_WINDOW_BYTES;
		if (!host_mmio_is_mapped(base))
			return fake_virtio_create_at(base, opts);
	}
	host_fail("fake virtio: all %u slots are taken", FAKE_VIRTIO_SLOTS);
}

void fake_virtio_destroy(struct fake_virtio *fv)
{
	if (fv == NULL)
		return;
	if (fv->pci == NULL)   /* a PCI device's BARs belong to its function */
		host_mmio_unmap(fv->base);
	fake_virtio_at_cancel(fv);
	/* Its hooks, even if a recycled slot left them set with none armed. */
	host_forget_hooks_of(fv);
	fake_queue_stop(fv);
	free(fv->disk);
	free(fv);
}

uintptr_t fake_virtio_base(const struct fake_virtio *fv)
{
	return fv->base;
}

struct fake_virtio_opts *fake_virtio_opts(struct fake_virtio *fv)
{
	return &fv->opts;
}

/* ---- knobs ---------------------------------------------------------- */

void fake_virtio_set_completion(struct fake_virtio *fv, enum fake_virtio_completion mode,
				unsigned defer_steps)
{
	fv->completion = mode;
	fv->defer_steps = defer_steps;
}

void fake_virtio_set_order(struct fake_virtio *fv, enum fake_virtio_order order, uint32_t seed)
{
	fv->order = order;
	fv->rng_state = seed ? seed : 1;  /* xorshift must not start at 0 */
}

unsigned fake_virtio_complete_all(struct fake_virtio *fv)
{
	return fake_virtio_complete_some(fv, ~0u);
}

unsigned fake_virtio_complete_some(struct fake_virtio *fv, unsigned max)
{
	fake_ring_take_avail(fv);
	return fake_ring_complete(fv, max, false);
}

unsigned fake_virtio_pending(const struct fake_virtio *fv)
{
	return fv->queue.npending;
}

void fake_virtio_set_poll_avail(struct fake_virtio *fv, bool poll)
{
	fv->poll_avail = poll;
}

static struct fake_status_fault *free_status_fault(struct fake_virtio *fv)
{
	for (unsigned i = 0; i < FAKE_MAX_STATUS_FAULTS; i++) {
		if (!fv->status_faults[i].knob.armed)
			return &fv->status_faults[i];
	}
	host_fail("fake virtio: more than %d status faults armed", FAKE_MAX_STATUS_FAULTS);
}

void fake_virtio_fail_request(struct fake_virtio *fv, unsigned nth, uint8_t status,
			      enum fake_virtio_shot shot)
{
	struct fake_status_fault *fault = free_status_fault(fv);

	*fault = (struct fake_status_fault){ .countdown = nth ? nth - 1 : 0, .status = status };
	knob_arm(&fault->knob, shot);
}

void fake_virtio_fail_sector(struct fake_virtio *fv, uint64_t sector, uint8_t status,
			     enum fake_virtio_shot shot)
{
	struct fake_status_fault *fault = free_status_fault(fv);

	*fault = (struct fake_status_fault){ .by_sector = true, .sector = sector, .status = status };
	knob_arm(&fault->knob, shot);
}

void fake_virtio_corrupt_used(struct fake_virtio *fv, enum fake_virtio_used_fault fault,
			      enum fake_virtio_shot shot)
{
	fv->used_fault = fault;
	knob_arm(&fv->used_fault_knob, shot);
	fv->used_fault_knob.armed = (fault != FAKE_USED_OK);
}

void fake_virtio_corrupt_used_after(struct fake_virtio *fv, enum fake_virtio_used_fault fault,
				    unsigned skip)
{
	fake_virtio_corrupt_used(fv, fault, FAKE_ONCE);
	fv->used_fault_knob.skip = skip;
}

void fake_virtio_refuse_features_ok(struct fake_virtio *fv, enum fake_virtio_shot shot)
{
	knob_arm(&fv->refuse_features_ok, shot);
}

void fake_virtio_set_reset_delay(struct fake_virtio *fv, unsigned reads)
{
	fv->reset_delay_reads = reads;
}

void fake_virtio_finish_reset(struct fake_virtio *fv)
{
	fv->reset_reads_left = 0;
}

void fake_virtio_keep_queue_in_use(struct fake_virtio *fv, bool in_use)
{
	fv->queue_reads_in_use = in_use;
}

void fake_virtio_resize(struct fake_virtio *fv, uint64_t capacity_sectors)
{
	fake_resize_disk(fv, capacity_sectors);
	fake_config_changed(fv);
}

void fake_virtio_tear_capacity_read(struct fake_virtio *fv, uint64_t new_capacity_sectors)
{
	fv->tear_capacity = true;
	fv->tear_capacity_to = new_capacity_sectors;
}

void fake_virtio_resize_before_driver_ok(struct fake_virtio *fv, uint64_t capacity_sectors)
{
	fv->resize_before_driver_ok = true;
	fv->resize_before_driver_ok_to = capacity_sectors;
}

void fake_virtio_resize_after_gen_reads(struct fake_virtio *fv, unsigned nth,
					uint64_t capacity_sectors)
{
	fv->resize_after_gen_reads = nth;
	fv->resize_after_gen_reads_to = capacity_sectors;
	fv->resize_more_gen_reads = 0;
}

void fake_virtio_resize_after_gen_reads_repeat(struct fake_virtio *fv, unsigned nth, unsigned more,
					       uint64_t capacity_sectors)
{
	fake_virtio_resize_after_gen_reads(fv, nth, capacity_sectors);
	fv->resize_more_gen_reads = more;
}

/* ---- interrupts ----------------------------------------------------- */

void fake_virtio_raise_interrupt_bits(struct fake_virtio *fv, uint32_t bits)
{
	fake_raise_interrupt(fv, bits);
}

void fake_virtio_at_status_read(struct fake_virtio *fv, unsigned nth,
				void (*event)(struct fake_virtio *fv))
{
	struct fake_at_slot *slot = &fv->at_slots[FAKE_AT_MAX];

	*slot = (struct fake_at_slot){
		.armed = event != NULL && nth != 0, .left = nth, .seq = fv->at_seq++,
		.at = { .kind = FAKE_AT_INTERRUPT_STATUS_READ, .nth = nth, .event = FAKE_EVENT_CALL },
		.call0 = event,
	};
}

void fake_interrupt_status_read(struct fake_virtio *fv)
{
	fake_at_access(fv, FAKE_AT_INTERRUPT_STATUS_READ);
}

/* ---- device events at a chosen access ------------------------------- */

/* Is an event armed at accesses of `kind`? The clock and the ring points
 * are seen through host hooks, set only while one is. */
static bool kind_armed(const struct fake_virtio *fv, enum fake_virtio_access_kind kind)
{
	for (unsigned i = 0; i <= FAKE_AT_MAX; i++) {
		if (fv->at_slots[i].armed && fv->at_slots[i].at.kind == kind)
			return true;
	}
	return false;
}

/* The clock hook fires once: it is set again while a clock event is
 * armed, so that every read is counted. */
static void at_clock_read(void *ctx)
{
	struct fake_virtio *fv = ctx;

	fake_at_access(fv, FAKE_AT_CLOCK_READ);
	if (kind_armed(fv, FAKE_AT_CLOCK_READ))
		host_set_clock_hook(at_clock_read, fv, 1);
	fake_at_access_end(fv);
}

/* Every ring point is counted while an event at one is armed; the hook goes
 * once none is. */
static void at_ring_point(void *ctx)
{
	struct fake_virtio *fv = ctx;

	fake_at_access(fv, FAKE_AT_RING_POINT);
	if (!kind_armed(fv, FAKE_AT_RING_POINT))
		host_set_ring_point_hook(NULL, NULL);
	fake_at_access_end(fv);
}

unsigned fake_virtio_at_access(struct fake_virtio *fv, const struct fake_virtio_at *at)
{
	unsigned use = 0;

	for (unsigned i = 0; i < FAKE_AT_MAX; i++) {
		if (!fv->at_slots[i].armed) {
			use = i;
			break;
		}
		if (fv->at_slots[i].seq < fv->at_slots[use].seq)
			use = i;
	}
	fv->at_slots[use] = (struct fake_at_slot){
		.armed = at->nth != 0 && at->kind < FAKE_AT_KIND_COUNT && at->event < FAKE_EVENT_COUNT,
		.left = at->nth, .seq = fv->at_seq++, .at = *at,
	};
	if (kind_armed(fv, FAKE_AT_CLOCK_READ))
		host_set_clock_hook(at_clock_read, fv, 1);
	if (kind_armed(fv, FAKE_AT_RING_POINT))
		host_set_ring_point_hook(at_ring_point, fv);
	return use;
}

void fake_virtio_at_cancel(struct fake_virtio *fv)
{
	if (kind_armed(fv, FAKE_AT_CLOCK_READ))
		host_set_clock_hook(NULL, NULL, 0);
	if (kind_armed(fv, FAKE_AT_RING_POINT))
		host_set_ring_point_hook(NULL, NULL);
	for (unsigned i = 0; i <= FAKE_AT_MAX; i++)
		fv->at_slots[i].armed = false;
}

unsigned fake_virtio_at_fired(const struct fake_virtio *fv)
{
	return fv->at_fired;
}

static bool running(const struct fake_virtio *fv)
{
	return (fv->status & STATUS_DRIVER_OK) && !fv->broken && fv->queue.ready;
}

static void complete_in_order(struct fake_virtio *fv, enum fake_virtio_order order, unsigned max)
{
	enum fake_virtio_order was = fv->order;

	fv->order = order;
	fake_virtio_complete_some(fv, max);
	fv->order = was;
}

static void run_at_event(struct fake_virtio *fv, const struct fake_at_slot *slot)
{
	const struct fake_virtio_at *at = &slot->at;

	fv->at_fired++;
	switch (at->event) {
	case FAKE_EVENT_COMPLETE_OLDEST:
	case FAKE_EVENT_COMPLETE_NEWEST:
	case FAKE_EVENT_COMPLETE_ALL:
	case FAKE_EVENT_COMPLETE_ALL_REVERSED:
		if (!running(fv))
			break;
		complete_in_order(fv,
				  at->event == FAKE_EVENT_COMPLETE_OLDEST ||
					  at->event == FAKE_EVENT_COMPLETE_ALL
					  ? FAKE_ORDER_FIFO : FAKE_ORDER_REVERSED,
				  at->event == FAKE_EVENT_COMPLETE_OLDEST ||
					  at->event == FAKE_EVENT_COMPLETE_NEWEST ? 1u : ~0u);
		break;
	case FAKE_EVENT_RESIZE:
		/* As QMP's block_resize: at any time (before DRIVER_OK the
		 * generation moves, and no interrupt is raised). */
		fake_virtio_resize(fv, at->arg);
		break;
	case FAKE_EVENT_RAISE_BITS:
		if (running(fv))
			fake_raise_interrupt(fv, (uint32_t)at->arg);
		break;
	case FAKE_EVENT_NEEDS_RESET:
		if (running(fv))
			fake_virtio_needs_reset(fv);
		break;
	case FAKE_EVENT_FINISH_RESET:
		fake_virtio_finish_reset(fv);
		break;
	case FAKE_EVENT_STALL_RESET:
		if (fv->reset_reads_left > 0)
			fv->reset_reads_left += (unsigned)at->arg;
		else
			fv->reset_delay_reads = (unsigned)at->arg;
		break;
	case FAKE_EVENT_CALL:
		if (slot->call0 != NULL)
			slot->call0(fv);
		else if (at->call != NULL)
			at->call(fv, at->ctx);
		break;
	case FAKE_EVENT_COUNT:
		break;
	}
	if (at->take_irq)
		fv->at_take_irq = true;
}

void fake_at_access(struct fake_virtio *fv, enum fake_virtio_access_kind kind)
{
	for (unsigned i = 0; i <= FAKE_AT_MAX; i++) {
		struct fake_at_slot *slot = &fv->at_slots[i];
		if (!slot->armed || slot->at.kind != kind || --slot->left != 0)
			continue;
		slot->armed = false;
		struct fake_at_slot fired = *slot;   /* the event may arm another */
		run_at_event(fv, &fired);
	}
}

void fake_at_access_end(struct fake_virtio *fv)
{
	if (fv->at_take_irq) {
		fv->at_take_irq = false;
		fake_ring_deliver_interrupt(fv);
	}
}

void fake_virtio_stick_interrupt_bits(struct fake_virtio *fv, uint32_t bits)
{
	fv->stuck_interrupt_bits = bits;
	fake_raise_interrupt(fv, bits);
}

bool fake_virtio_irq_pending(const struct fake_virtio *fv)
{
	return fv->interrupt_status != 0;
}

uint32_t fake_virtio_interrupt_status(const struct fake_virtio *fv)
{
	return fv->interrupt_status;
}

void fake_virtio_set_irq_hook(struct fake_virtio *fv, fake_virtio_irq_hook hook, void *ctx)
{
	fv->irq_hook = hook;
	fv->irq_hook_ctx = ctx;
}

/* ---- inspection ----------------------------------------------------- */

const struct fake_virtio_stats *fake_virtio_stats(const struct fake_virtio *fv)
{
	return &fv->stats;
}

unsigned fake_virtio_status_writes(const struct fake_virtio *fv, const uint8_t **writes)
{
	*writes = fv->status_trace;
	return fv->status_trace_len;
}

uint32_t fake_virtio_status(const struct fake_virtio *fv)
{
	return fv->status;
}

uint64_t fake_virtio_accepted_features(const struct fake_virtio *fv)
{
	return fv->accepted_features;
}

const struct fake_virtio_chain *fake_virtio_last_chain(const struct fake_virtio *fv)
{
	return &fv->last_chain;
}

unsigned fake_virtio_reg_trace(const struct fake_virtio *fv,
			       const struct fake_virtio_access **trace)
{
	*trace = fv->reg_trace;
	return fv->reg_trace_len;
}

void fake_virtio_clear_reg_trace(struct fake_virtio *fv)
{
	fv->reg_trace_len = 0;
}

bool fake_virtio_queue_ready(const struct fake_virtio *fv)
{
	return fv->queue.ready;
}

bool fake_virtio_broken(const struct fake_virtio *fv)
{
	return fv->broken;
}

uint8_t *fake_virtio_disk(struct fake_virtio *fv)
{
	return fv->disk;
}

uint64_t fake_virtio_disk_bytes(const struct fake_virtio *fv)
{
	return fv->disk_sectors * FAKE_SECTOR_BYTES;
}
