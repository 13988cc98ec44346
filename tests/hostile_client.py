#!/usr/bin/env python3
"""Hostile control clients for tests/hostile.bats.

hostile_client.py SOCKET pipeline N      N `status --json` sent, never read
hostile_client.py SOCKET subscribe N REQ N connections send REQ, never read
hostile_client.py SOCKET idle N [HALF]   N connections, silent (or half a request)
hostile_client.py SOCKET refused         one connection: what tend says, and when

The flooding modes print "ready" once their connections are made, then
hold them until killed; idle mode then prints "closed K" for each change
in how many of its connections tend has closed."""
import select
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def hold():
    sys.stdout.flush()
    while True:
        time.sleep(3600)


def pipeline(path, n):
    s = connect(path)
    s.setblocking(False)
    data = b"status --json\n" * n
    sent = 0
    deadline = time.monotonic() + 5
    while sent < len(data) and time.monotonic() < deadline:
        try:
            sent += s.send(data[sent:])
        except BlockingIOError:
            select.select([], [s], [], 0.1)
    print("ready sent %d requests" % (sent // len(b"status --json\n")))
    hold()


def subscribe(path, n, request):
    conns = []
    for _ in range(n):
        s = connect(path)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(request.encode() + b"\n")
        conns.append(s)
    print("ready")
    hold()


def idle(path, n, half):
    conns = []
    for _ in range(n):
        s = connect(path)
        if half:
            s.sendall(b"sta")
        conns.append(s)
    print("ready")
    sys.stdout.flush()
    closed, last = set(), -1
    while len(closed) < n:
        ready, _, _ = select.select([s for s in conns if s not in closed], [], [], 30)
        for s in ready:
            try:
                if not s.recv(4096):
                    closed.add(s)
            except ConnectionResetError:
                closed.add(s)
        if len(closed) != last:
            last = len(closed)
            print("closed %d" % last)
            sys.stdout.flush()
    hold()


def refused(path):
    start = time.monotonic()
    s = connect(path)
    got = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    print("%s after %.3f s" % (got.decode().strip(), time.monotonic() - start))


def main():
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "pipeline":
        pipeline(path, int(sys.argv[3]))
    elif mode == "subscribe":
        subscribe(path, int(sys.argv[3]), sys.argv[4])
    elif mode == "idle":
        idle(path, int(sys.argv[3]), len(sys.argv) > 4)
    elif mode == "refused":
        refused(path)


main()
