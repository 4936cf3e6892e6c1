# SPDX-License-Identifier: MIT
"""tools/gdb/vblk_rings.py: the split and the packed ring as vblk-ring and
vblk-chain print them (tools/gdb/vblk.py): indices, wrap counters and
event areas, each chain in flight walked from the driver's own links,
indirect tables, the last used entries.

Apart from the commands because it is the virtqueue in the words of the
virtio 1.2 spec (§2.7 split, §2.8 packed), one printer per ring format,
and knows nothing of disks or queues beyond the completion count.
"""

import gdb

from vblk_structs import DESC_F_INDIRECT, DESC_F_NEXT, enum_name, field, flag_names, num, out

PACKED_F_AVAIL = 1 << 7
PACKED_F_USED = 1 << 15
EVENT_FLAGS = {0: "ENABLE", 1: "DISABLE", 2: "DESC"}

vq_disk = [None]   # the disk vblk-ring describes (its completion count)


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
    if num(vq, "num_parked"):
        out("    %d of the free descriptors parked in request slots' frames" % num(vq, "num_parked"))
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
    # Only entries the driver harvested since the ring was set up (its
    # last_used counts them from 0, up to 65535): the rest were never
    # written, or not since a reset zeroed them.
    last_n = min(last_n, last_used)
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

def packed_batch_slots(vq):
    """Slots the batch not yet published took (vqp_batch_slots): from its
    head to next_avail, the whole ring when they meet; 0 when no batch is
    open (its head's flags, never 0, are held while one is)."""
    if not num(vq, "batch_head_flags"):
        return 0
    head, nxt = num(vq, "batch_head"), num(vq, "next_avail")
    return nxt - head if nxt > head else nxt + num(vq, "num") - head


def packed_flags(vq, slot):
    """A slot's flags as the driver means them: a batch head not yet
    published keeps its flags in the driver's private copy."""
    if num(vq, "batch_head_flags") and num(vq, "batch_head") == slot:
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
                       packed_batch_slots(vq)))
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
