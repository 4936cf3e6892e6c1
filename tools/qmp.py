#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tools/qmp.py SOCKET COMMAND [JSON_ARGUMENTS]: run one QMP command.

Connects to QEMU's QMP unix socket (-qmp unix:SOCKET,server=on,wait=off),
leaves capabilities negotiation mode, sends COMMAND with the arguments and
prints the reply. Exit status 0 if QEMU answered {"return": ...}, 1 on an
error reply, 2 on a connection or usage problem. Standard library only.
"""
import json
import socket
import sys
import time

CONNECT_TRIES = 50          # QEMU may not be listening yet
CONNECT_PAUSE_S = 0.1
REPLY_TIMEOUT_S = 10


def connect(path):
    for _ in range(CONNECT_TRIES):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            sock.settimeout(REPLY_TIMEOUT_S)
            return sock
        except OSError:
            sock.close()
            time.sleep(CONNECT_PAUSE_S)
    raise OSError(f"cannot connect to {path}")


def replies(sock):
    """Yield each JSON message QEMU sends, one per line."""
    pending = b""
    while True:
        while b"\n" not in pending:
            chunk = sock.recv(4096)
            if not chunk:
                return
            pending += chunk
        line, pending = pending.split(b"\n", 1)
        if line.strip():
            yield json.loads(line)


def execute(sock, messages, command, arguments=None):
    """Send one command; return its reply, skipping asynchronous events."""
    request = {"execute": command}
    if arguments is not None:
        request["arguments"] = arguments
    sock.sendall(json.dumps(request).encode() + b"\n")
    for message in messages:
        if "event" not in message:
            return message
    raise OSError("QEMU closed the connection")


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    try:
        arguments = json.loads(argv[3]) if len(argv) == 4 else None
        sock = connect(argv[1])
        messages = replies(sock)
        next(messages)                       # the greeting
        execute(sock, messages, "qmp_capabilities")
        reply = execute(sock, messages, argv[2], arguments)
    except (OSError, ValueError, StopIteration) as err:
        print(f"qmp: {err}", file=sys.stderr)
        return 2
    print(json.dumps(reply))
    return 0 if "return" in reply else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
