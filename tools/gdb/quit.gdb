# SPDX-License-Identifier: MIT
# tools/gdb/quit.gdb: loaded by tools/debug.sh for `make debug`. Quitting
# gdb detaches from QEMU's stub, and a detached guest runs on until
# debug.sh stops QEMU a moment later: the demo, say, gets to write its
# scratch region on DISK= and is stopped before it restores it. So quit
# kills the guest first (nothing to kill once it has exited).
define hook-quit
  set confirm off
  python
try:
    if gdb.selected_inferior().pid:
        gdb.execute("kill")
except gdb.error:
    pass
  end
end
