#!/usr/bin/env python3
"""Writes every QMP event of a QEMU to a file, one JSON object a line, until
QEMU ends. usage: qmp_events.py SOCKET OUTPUT [SECONDS-TO-WAIT-FOR-THE-SOCKET]

tests/qemu/hwdog.bats: QEMU's WATCHDOG event (with its action and QEMU's
timestamp of it) is how the test knows that the watchdog ended the guest,
and when."""
import json
import socket
import sys
import time


def connect(path, limit):
    end = time.monotonic() + limit
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() >= end:
                raise
            time.sleep(0.05)


def main():
    path, out = sys.argv[1], sys.argv[2]
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 10
    s = connect(path, limit)
    f = s.makefile("rwb", buffering=0)
    f.readline()  # the greeting
    f.write(b'{"execute": "qmp_capabilities"}\n')
    with open(out, "a", encoding="utf-8") as log:
        for line in f:
            msg = json.loads(line)
            if "event" in msg:
                log.write(json.dumps(msg) + "\n")
                log.flush()


if __name__ == "__main__":
    main()
