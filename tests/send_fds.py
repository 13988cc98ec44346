#!/usr/bin/env python3
"""send_fds.py SOCKET N: sends N notify datagrams to SOCKET, each carrying
a pipe's read end and a socket pair's end (what BARRIER=1 and most senders
pass), then checks that the receiver closed every pipe end it was given:
a write into each pipe fails with EPIPE once its read end is gone."""
import array
import os
import socket
import sys
import time

path, n = sys.argv[1], int(sys.argv[2])
out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
writers = []
for i in range(n):
    r, w = os.pipe()
    a, b = socket.socketpair()
    fds = array.array("i", [r, a.fileno()])
    out.sendmsg([b"STATUS=fd test"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds.tobytes())], 0, path)
    os.close(r)
    a.close()
    b.close()
    if i % 50 == 0:
        writers.append(w)  # a few, to see their read ends closed
    else:
        os.close(w)
# The receiver closes what it got when it reads the datagram: wait (bounded)
# until every kept pipe has lost its reader.
deadline = time.monotonic() + 20
for w in writers:
    while True:
        try:
            os.write(w, b"x")
        except BrokenPipeError:
            break
        if time.monotonic() > deadline:
            sys.exit("a pipe end sent with a datagram was never closed")
        time.sleep(0.01)
print("closed")
