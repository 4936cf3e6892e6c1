# SPDX-License-Identifier: MIT
"""tools/gdb/vblk.py: gdb commands that print a vblk disk's virtqueue in
the words of docs/design.md and the virtio 1.2 spec (make debug loads it;
docs/debug.md shows a session).

  vblk-disks                 the attached disks
  vblk-ring [DISK] [N]       one disk's queue and ring: transport and
                             features negotiated, pending requests and
                             waiting bios, requests in flight, and
                             split ring: avail idx and the driver's shadow,
                               used idx and last_used, each chain in
                               flight walked from its head (addr, len,
                               flags NEXT/WRITE/INDIRECT, next; an
                               indirect table's entries), the last N used
                               entries (id, len)
                             packed ring: the wrap counters, next_avail and
                               last_used, the buffer IDs in flight, the
                               slots in the device's hands, the last used
                               descriptors
  vblk-chain HEAD [DISK]     one split chain (or packed slot) in full

DISK is an index into the table of attached disks (default 0) or an
expression that is a struct vblk_disk pointer. N defaults to 4.

The commands read the driver's own structures (blk/disk.h, blk/queue.h,
blk/device.h, vring/virtqueue.h, vring/packed.h, vring/ring.h) by field
name. If a field they need is gone (the structs changed), they stop with
an error naming the struct and the field: update this file, never guess.
"""

import gdb

LAST_USED_DEFAULT = 4
vq_disk = [None]   # the disk vblk-ring describes (its completion count)

DESC_F_NEXT = 1
DESC_F_WRITE = 2
DESC_F_INDIRECT = 4
PACKED_F_AVAIL = 1 << 7
PACKED_F_USED = 1 << 15
EVENT_FLAGS = {0: "ENABLE", 1: "DISABLE", 2: "DESC"}
VIRTIO_BLK_TYPES = {0: "read", 1: "write", 4: "flush", 8: "get-id", 11: "discard",
                    13: "write-zeroes"}


class VblkError(gdb.GdbError):
    pass


def field(val, name):
    """val[name], or a clear error naming the struct and the field."""
    t = val.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_PTR:
        val = val.dereference()
        t = val.type.strip_typedefs()
    names = [f.name for f in t.fields()] if t.code in (gdb.TYPE_CODE_STRUCT,
                                                      gdb.TYPE_CODE_UNION) else []
    if name not in names:
        raise VblkError("vblk.py: %s has no field '%s' (it has: %s); the driver's structs "
                        "changed: update tools/gdb/vblk.py" % (t, name, ", ".join(names)))
    return val[name]


def num(val, name=None):
    return int(field(val, name) if name else val)


def enum_name(val):
    """The enumerator's name of an enum value (VRING_SPLIT...)."""
    text = str(val)
    return text


def static_symbol(name, file_suffix):
    """A file-static variable of the image, by name and source file."""
    for sym in gdb.lookup_static_symbols(name):
        if sym.symtab is not None and sym.symtab.filename.endswith(file_suffix):
            return sym.value()
    raise VblkError("vblk.py: no static '%s' in %s: is the image built with -g, and is "
                    "it vblk's?" % (name, file_suffix))


def attached_disks():
    count = int(static_symbol("disk_count", "blk/table.c"))
    table = static_symbol("attached", "blk/table.c")
    return [table[i] for i in range(count)]


def disk_from_arg(arg):
    arg = arg.strip()
    if arg == "" or arg.isdigit():
        index = int(arg or "0")
        disks = attached_disks()
        if index >= len(disks):
            raise VblkError("vblk.py: no disk %d: %d attached (has vblk_init_from_dt or "
                            "vblk_attach run yet?)" % (index, len(disks)))
        return disks[index]
    val = gdb.parse_and_eval(arg)
    if val.type.strip_typedefs().code != gdb.TYPE_CODE_PTR:
        val = val.address
    return val


def feature_names(bits):
    names = []
    try:
        table = static_symbol("blk_features", "blk/features.c")
        known = {}
        for i in range(table.type.range()[1] + 1):
            known[num(table[i], "bit")] = field(table[i], "name").string()
    except (VblkError, gdb.error):
        known = {}
    for bit in range(64):
        if bits & (1 << bit):
            names.append(known.get(bit, "bit%d" % bit))
    return " ".join(names) or "(none)"


def flag_names(flags):
    names = [n for bit, n in ((DESC_F_NEXT, "NEXT"), (DESC_F_WRITE, "WRITE"),
                              (DESC_F_INDIRECT, "INDIRECT")) if flags & bit]
    return "|".join(names) or "-"


def out(text=""):
    gdb.write(text + "\n")


# ---- the disk and its queue ---------------------------------------------

def describe_device(disk):
    dev = field(disk, "dev")
    info = field(dev, "info")
    transport = enum_name(field(info, "transport"))
    if transport.endswith("PCI"):
        pci = field(info, "pci")
        where = "virtio-pci %02x:%02x.%d" % (num(pci, "bus"), num(pci, "dev"), num(pci, "fn"))
    else:
        where = "virtio-mmio @ 0x%x (%s)" % (
            num(info, "mmio_base"), "legacy" if num(info, "mmio_version") == 1 else "modern")
    ready = bool(field(dev, "ready"))
    out("disk %s: %s, %d sectors, queue size %d, %s" % (
        disk, where, num(info, "capacity_sectors"), num(info, "queue_size"),
        "ready" if ready else "NOT ready"))
    reason = field(dev, "broken_reason")
    if int(reason) != 0:
        out("  broken: %s" % reason.string())
    out("  features negotiated: %s" % feature_names(num(info, "features")))


def req_line(req):
    rtype = num(req, "type")
    return "%s sector %d, %d bytes, %d bio(s)" % (
        VIRTIO_BLK_TYPES.get(rtype, "type %d" % rtype), num(req, "sector"),
        num(req, "data_bytes"), num(req, "nbios"))


def walk_list(head, link="next", limit=4096):
    items = []
    while int(head) != 0 and len(items) < limit:
        items.append(head)
        head = field(head, link)
    return items


def describe_queue(disk, tokens_in_flight):
    q = field(disk, "queue")
    pending = walk_list(field(field(q, "pending"), "head"))
    waiting = walk_list(field(field(q, "waiting"), "head"))
    out("  queue: %d request(s) pending (not yet in the ring), %d bio(s) waiting for a "
        "request, %s, %s" % (len(pending), len(waiting),
                             "plugged" if bool(field(q, "plugged")) else "not plugged",
                             "interrupts" if bool(field(q, "use_irq")) else "polled"))
    for req in pending:
        out("    pending request %s: %s" % (req, req_line(req)))
    for bio in waiting:
        out("    waiting bio %s: op %s sector %d" % (bio, field(bio, "op"), num(bio, "sector")))
    req_type = gdb.lookup_type("struct blk_req").pointer()
    for token in tokens_in_flight:
        req = token.cast(req_type)
        out("    in-flight request %s: %s" % (req, req_line(req)))
    counts = field(field(disk, "dev"), "counts")
    stats = field(q, "stats")
    out("  stats: %d request(s), %d notification(s), %d interrupt(s), %d completion(s)" % (
        num(counts, "requests"), num(counts, "notifications"), num(stats, "interrupts"),
        num(counts, "completions")))


# ---- the split ring -------------------------------------------------------

def table_of(token):
    """The indirect table of the request a token stands for."""
    req = token.cast(gdb.lookup_type("struct blk_req").pointer())
    return field(req, "table")


def split_desc_line(desc, index, label="desc"):
    flags = num(desc, "flags")
    text = "      %s %d: addr 0x%x len %d flags %s" % (label, index, num(desc, "addr"),
                                                    num(desc, "len"), flag_names(flags))
    if flags & DESC_F_NEXT:
        text += " next %d" % num(desc, "next")
    return text


def describe_split_chain(vq, head, token):
    chain = field(vq, "chain")[head]
    ndescs = num(chain, "ndescs")
    out("    head %d: %d descriptor(s), device may write %d bytes, token %s" % (
        head, ndescs, num(chain, "writable_bytes"), field(chain, "token")))
    index, nxt, qnum = head, field(vq, "next"), num(vq, "num")
    for _ in range(ndescs):
        if index >= qnum:
            out("      (index %d out of range: stop)" % index)
            break
        desc = field(vq, "desc")[index]
        out(split_desc_line(desc, index))
        if num(desc, "flags") & DESC_F_INDIRECT:
            table = table_of(field(chain, "token"))
            for t in range(num(desc, "len") // 16):
                out("  " + split_desc_line(field(table[t], "split"), t, "table"))
        index = int(nxt[index])   # the driver's own link, not the device-visible one


def describe_split(vq, last_n):
    qnum = num(vq, "num")
    avail, used = field(vq, "avail"), field(vq, "used")
    used_idx = num(used, "idx")
    last_used = num(vq, "last_used_idx")
    out("  split ring: %d descriptors, %d free (free head %d), %d chain(s) in flight%s%s%s" % (
        qnum, num(vq, "num_free"), num(vq, "free_head"), num(vq, "in_flight"),
        ", EVENT_IDX" if bool(field(vq, "event_idx")) else "",
        ", INDIRECT_DESC" if bool(field(vq, "indirect")) else "",
        ", BROKEN: %s" % field(vq, "broken_reason").string() if bool(field(vq, "broken"))
        else ""))
    out("    avail idx %d (driver's shadow %d, published %d), flags 0x%x, used_event %d" % (
        num(avail, "idx"), num(vq, "avail_idx"), num(vq, "published_idx"),
        num(avail, "flags"), int(field(vq, "used_event").dereference())))
    out("    used idx %d (last_used %d, %d to harvest), flags 0x%x, avail_event %d" % (
        used_idx, last_used, (used_idx - last_used) & 0xffff, num(used, "flags"),
        int(field(vq, "avail_event").dereference())))
    tokens = []
    chains = field(vq, "chain")
    out("  chains in flight:" if num(vq, "in_flight") else "  no chain in flight")
    for head in range(qnum):
        token = field(chains[head], "token")
        if int(token) != 0:
            tokens.append(token)
            describe_split_chain(vq, head, token)
    # Only entries the driver harvested: the counter bounds them.
    last_n = min(last_n, num(field(field(field(vq_disk[0], "dev"), "counts"), "completions")))
    if last_n:
        out("  last %d used entries (newest first):" % last_n)
        ring = field(used, "ring")
        for i in range(1, min(last_n, qnum) + 1):
            pos = (last_used - i) & 0xffff
            elem = ring[pos & (qnum - 1)]
            out("    used[%d] (idx %d): id %d len %d" % (pos & (qnum - 1), pos,
                                                         num(elem, "id"), num(elem, "len")))
    return tokens


# ---- the packed ring ------------------------------------------------------

def packed_flags(vq, slot):
    """A slot's flags as the driver means them: a batch head not yet
    published keeps its flags in the driver's private copy."""
    if num(vq, "batch_slots") and num(vq, "batch_head") == slot:
        return num(vq, "batch_head_flags"), True
    return num(field(vq, "desc")[slot], "flags"), False


def packed_slot_line(vq, slot):
    desc = field(vq, "desc")[slot]
    flags, held = packed_flags(vq, slot)
    return "    slot %d: id %d addr 0x%x len %d flags %s AVAIL=%d USED=%d%s" % (
        slot, num(desc, "id"), num(desc, "addr"), num(desc, "len"), flag_names(flags),
        1 if flags & PACKED_F_AVAIL else 0, 1 if flags & PACKED_F_USED else 0,
        " (held until publish)" if held else "")


def describe_packed(vq, last_n):
    qnum = num(vq, "num")
    busy = qnum - num(vq, "num_free")
    out("  packed ring: %d slots, %d free, %d chain(s) in flight%s%s%s" % (
        qnum, num(vq, "num_free"), num(vq, "in_flight"),
        ", EVENT_IDX" if bool(field(vq, "event_idx")) else "",
        ", INDIRECT_DESC" if bool(field(vq, "indirect")) else "",
        ", BROKEN: %s" % field(vq, "broken_reason").string() if bool(field(vq, "broken"))
        else ""))
    out("    driver: next_avail %d, avail wrap counter %d, %d slot(s) added and not yet "
        "published" % (num(vq, "next_avail"), int(bool(field(vq, "avail_wrap"))),
                       num(vq, "batch_slots")))
    out("    device: last_used %d, used wrap counter %d" % (
        num(vq, "last_used"), int(bool(field(vq, "used_wrap")))))
    drv, devev = field(vq, "driver"), field(vq, "device")
    out("    driver event %s off_wrap 0x%x; device event %s off_wrap 0x%x" % (
        EVENT_FLAGS.get(num(drv, "flags"), "?"), num(drv, "off_wrap"),
        EVENT_FLAGS.get(num(devev, "flags"), "?"), num(devev, "off_wrap")))
    tokens = []
    chains = field(vq, "chain")
    ids = []
    for bid in range(qnum):
        token = field(chains[bid], "token")
        if int(token) != 0:
            tokens.append(token)
            ids.append("%d (%d slot(s), may write %d bytes)" % (
                bid, num(chains[bid], "nslots"), num(chains[bid], "writable_bytes")))
    out("  buffer IDs in flight: %s" % (", ".join(ids) or "none"))
    if busy:
        out("  slots in the device's hands, from last_used:")
    slot = num(vq, "last_used")
    for _ in range(busy):
        out(packed_slot_line(vq, slot))
        desc = field(vq, "desc")[slot]
        flags, _held = packed_flags(vq, slot)
        bid = num(desc, "id")
        if flags & DESC_F_INDIRECT and bid < qnum and int(field(chains[bid], "token")):
            table = table_of(field(chains[bid], "token"))
            for t in range(num(desc, "len") // 16):
                entry = field(table[t], "packed")
                out("      table %d: addr 0x%x len %d flags %s" % (
                    t, num(entry, "addr"), num(entry, "len"), flag_names(num(entry, "flags"))))
        slot = 0 if slot + 1 == qnum else slot + 1
    last_n = min(last_n, num(field(field(field(vq_disk[0], "dev"), "counts"), "completions")))
    if last_n:
        out("  used descriptors just before last_used (newest first):")
        # A chain's used descriptor sits in its first slot: they are as
        # far apart as their chains were long.
        shown = 0
        for i in range(1, qnum + 1):
            if shown == last_n:
                break
            slot = (num(vq, "last_used") + qnum - i) % qnum
            desc = field(vq, "desc")[slot]
            flags = num(desc, "flags")
            if bool(flags & PACKED_F_AVAIL) == bool(flags & PACKED_F_USED):
                out("    slot %d: id %d len %d (wrap %d)" % (
                    slot, num(desc, "id"), num(desc, "len"), 1 if flags & PACKED_F_USED else 0))
                shown += 1
    return tokens


def ring_of(disk):
    ring = field(field(disk, "dev"), "ring")
    fmt = enum_name(field(ring, "format"))
    q = field(ring, "q")
    if fmt.endswith("PACKED"):
        return "packed", field(q, "packed")
    return "split", field(q, "split")


# ---- the commands -----------------------------------------------------------

class VblkDisks(gdb.Command):
    """vblk-disks: the disks vblk has attached, by index."""

    def __init__(self):
        super().__init__("vblk-disks", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        disks = attached_disks()
        out("%d disk(s) attached" % len(disks))
        for i, disk in enumerate(disks):
            kind, _vq = ring_of(disk)
            info = field(field(disk, "dev"), "info")
            out("  disk %d: %s, %d sectors, %s ring" % (i, disk, num(info, "capacity_sectors"),
                                                      kind))


class VblkRing(gdb.Command):
    """vblk-ring [DISK] [N]: a disk's queue and virtqueue (docs/debug.md).
DISK: index of an attached disk (default 0) or a struct vblk_disk *
expression; N: how many used entries to show (default 4)."""

    def __init__(self):
        super().__init__("vblk-ring", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        last_n = LAST_USED_DEFAULT
        if len(words) >= 2 and words[-1].isdigit():
            last_n = int(words.pop())
        disk = disk_from_arg(" ".join(words))
        describe_device(disk)
        kind, vq = ring_of(disk)
        if int(field(vq, "desc")) == 0:
            out("  the ring is not laid out yet")
            return
        vq_disk[0] = disk
        tokens = describe_packed(vq, last_n) if kind == "packed" else describe_split(vq, last_n)
        describe_queue(disk, tokens)


class VblkChain(gdb.Command):
    """vblk-chain HEAD [DISK]: one split chain from its head (or one packed slot)."""

    def __init__(self):
        super().__init__("vblk-chain", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if not words:
            raise VblkError("usage: vblk-chain HEAD [DISK]")
        head = int(words[0], 0)
        disk = disk_from_arg(" ".join(words[1:]))
        kind, vq = ring_of(disk)
        if head >= num(vq, "num"):
            raise VblkError("vblk-chain: %d is past the ring's %d entries" % (head, num(vq, "num")))
        if kind == "packed":
            out(packed_slot_line(vq, head))
        else:
            token = field(field(vq, "chain")[head], "token")
            if int(token) == 0:
                out("    head %d: not a chain in flight (vblk-ring lists those)" % head)
            else:
                describe_split_chain(vq, head, token)


VblkDisks()
VblkRing()
VblkChain()
