#!/usr/bin/env python3
"""Hostile clients for tests/hostile.bats and tests/bench/hostile.sh.

hostile_client.py SOCKET pipeline N      N `status --json` sent, never read
hostile_client.py SOCKET subscribe N REQ N connections send REQ, never read
hostile_client.py SOCKET idle N [HALF]   N connections, silent (or half a request)
hostile_client.py SOCKET refused         one connection: what tend says, and when
hostile_client.py SOCKET longline MB     one line of MB MiB, then `ping` on the
                                         same connection: prints both answers
hostile_client.py SOCKET garbage         lines with NUL bytes, invalid UTF-8,
                                         control characters: prints each answer
hostile_client.py SOCKET words N         `status` with N more words, then N
                                         words in a line over the limit
hostile_client.py NOTIFY notify SECONDS  datagrams to tend's NOTIFY_SOCKET from
                                         a stranger, as fast as it can
hostile_client.py HOST:PORT peer SECONDS UDP datagrams to a cluster port:
                                         garbage, and headers that look right
hostile_client.py SOCKET services N     N services registered and removed, each
                                         with 1000 bytes of context: events to
                                         stream (replies read, in batches)
hostile_client.py SOCKET latency SECONDS [FILE]
                                         `status` on a new connection, again and
                                         again: prints "latency N median MS max MS
                                         errors E"; FILE gets every figure (ms)

The flooding modes print "ready" once their connections are made, then
hold them until killed; idle mode then prints "closed K" for each change
in how many of its connections tend has closed. The floods print what they
sent when their time is up."""
import os
import random
import select
import socket
import statistics
import struct
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


def answer(f):
    """Data lines and the status line of one reply."""
    lines = []
    for raw in f:
        text = raw.decode("utf-8", "replace").rstrip("\n")
        lines.append(text)
        if not text.startswith("> "):
            break
    return lines


def longline(path, mib):
    s = connect(path)
    f = s.makefile("rb")
    chunk = b"x" * (1 << 20)
    for _ in range(mib):
        s.sendall(chunk)
    s.sendall(b"\nping\n")
    print("long: %s" % answer(f)[-1])
    print("then: %s" % answer(f)[-1])


def garbage(path):
    s = connect(path)
    f = s.makefile("rb")
    lines = [b"sta\0tus", b"\0\0\0", b"status \xff\xfe\xc3\x28", b"\xc0\xaf\xed\xa0\x80",
             b"logs \x80\x81/\x82", b"\x1b[2J\x07\x08 status", b"'unterminated", b"$'\\x00'"]
    for line in lines:
        s.sendall(line + b"\n")
        print("%r: %s" % (line, answer(f)[-1]))
    s.sendall(b"ping\n")
    print("then: %s" % answer(f)[-1])


def words(path, n):
    s = connect(path)
    f = s.makefile("rb")
    s.sendall(b"status" + b" w" * n + b"\n")
    print("%d words: %s" % (n, answer(f)[-1]))
    s.sendall(b"status" + b" w" * 4096 + b"\n")
    print("4096 words: %s" % answer(f)[-1])
    s.sendall(b"ping\n")
    print("then: %s" % answer(f)[-1])


def notify_flood(path, seconds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setblocking(False)
    msgs = [b"READY=1", b"WATCHDOG=1", b"STATUS=" + b"\xff" * 200, b"MAINPID=1", b"x" * 4000]
    sent = full = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            s.sendto(msgs[sent % len(msgs)], path)
            sent += 1
        except BlockingIOError:
            full += 1
            select.select([], [s], [], 0.01)
        except OSError:
            time.sleep(0.001)
    print("sent %d datagrams (%d times the socket was full)" % (sent, full))


def peer_flood(where, seconds):
    host, port = where.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rng = random.Random(16)
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        kind = sent % 4
        body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 200)))
        if kind == 1:  # the magic, a wrong version
            body = struct.pack(">HB", 0x5444, 9) + body
        elif kind >= 2:  # the magic and the version: the rest decides
            body = struct.pack(">HB", 0x5444, 1) + body
        try:
            s.sendto(body, (host, int(port)))
            sent += 1
        except OSError:
            time.sleep(0.001)
    print("sent %d datagrams" % sent)


def services(path, n):
    s = connect(path)
    f = s.makefile("rb")
    ctx = "k=" + "v" * 990
    done = 0
    while done < n:
        batch = min(100, n - done)
        s.sendall("".join("service register x%d --port 1 --context %s --decoupled\n"
                          "service deregister x%d\n" % (i, ctx, i)
                          for i in range(done, done + batch)).encode())
        for _ in range(2 * batch):
            answer(f)
        done += batch
    print("registered and removed %d services" % n)


def latency(path, seconds, out):
    figures, errors = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        try:
            with connect(path) as s:
                s.settimeout(10)
                s.sendall(b"status\n")
                status = answer(s.makefile("rb"))
                if not status or not status[-1].startswith("OK"):
                    errors += 1
        except OSError:
            errors += 1
        figures.append((time.monotonic() - start) * 1000)
        time.sleep(0.005)
    if out:
        with open(out, "w") as f:
            f.write("".join("%.3f\n" % x for x in figures))
    print("latency %d median %.2f max %.2f errors %d" %
          (len(figures), statistics.median(figures) if figures else 0,
           max(figures) if figures else 0, errors))


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
    elif mode == "longline":
        longline(path, int(sys.argv[3]))
    elif mode == "garbage":
        garbage(path)
    elif mode == "words":
        words(path, int(sys.argv[3]))
    elif mode == "notify":
        notify_flood(path, float(sys.argv[3]))
    elif mode == "peer":
        peer_flood(path, float(sys.argv[3]))
    elif mode == "services":
        services(path, int(sys.argv[3]))
    elif mode == "latency":
        latency(path, float(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        sys.exit("unknown mode " + mode)


main()
