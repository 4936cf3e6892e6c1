# SPDX-License-Identifier: MIT
"""tools/gdb/vblk_structs.py: reading vblk's structures from gdb, for
vblk.py's commands (tools/gdb/vblk.py) and its ring printers
(vblk_rings.py): a field by name or an error that names the struct and
the field, the table of attached disks, feature and descriptor flag
names, output.

Apart from the commands because both they and the ring printers need it,
and it knows nothing of what they print.
"""

import gdb

DESC_F_NEXT = 1
DESC_F_WRITE = 2
DESC_F_INDIRECT = 4


class VblkError(gdb.GdbError):
    pass


def field_names(t):
    """The fields of struct or union type t by name, those of its anonymous
    members too (gdb finds them by name, as C does)."""
    if t.code not in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
        return []
    names = []
    for f in t.fields():
        if f.name:
            names.append(f.name)
        else:
            names.extend(field_names(f.type.strip_typedefs()))
    return names


def field(val, name):
    """val[name], or a clear error naming the struct and the field."""
    t = val.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_PTR:
        val = val.dereference()
        t = val.type.strip_typedefs()
    names = field_names(t)
    if name not in names:
        raise VblkError("vblk.py: %s has no field '%s' (it has: %s); the driver's structs "
                        "changed: update tools/gdb/ (vblk.py, vblk_rings.py)" % (t, name, ", ".join(names)))
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
