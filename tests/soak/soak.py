#!/usr/bin/env python3
"""The soak (issue 16, part 4): many short-lived processes, reloads and
control clients against one tend, then a look at what tend kept.

soak.py --tend TEND --dir DIR [--groups N] [--restarts N] [--minutes M]
        [--rss-bound KB] [--fd-bound N] [--every S] [--max-seconds S] [--curve]

DIR must be empty (or not exist): conf.d and the run directory go there.
N groups (default 100) each run one process that ends a few milliseconds
after it starts (true, false, a short sleep, a shell that prints and
exits, one killed by a signal), restarted at once, without a restart
limit. Meanwhile:

  - one `events --json` subscriber, connected before any group exists,
    records every exit and every start, by pid;
  - once a second a `reload` request, and a file that adds and removes a
    group "churn" in turn (inotify reloads too);
  - short-lived clients: `status --json`, `events` read for a moment and
    dropped, `logs GROUP`, `logs -f GROUP` read for a moment and dropped,
    `ping`, and one that connects and leaves at once.

It runs until --restarts exits were seen (default 10000) and, with
--minutes, at least that long; --max-seconds stops it earlier (said so),
for a machine too busy to reach the count in time. After a warm-up (a tenth of the target,
at least 200 exits) and at the end, every group is stopped and tend's
open fds and RSS are read with nothing running: the end must be within
--fd-bound fds (default 4) and --rss-bound KiB (default 4096; negative:
not checked) of the warm-up. With nothing running, no child of tend may be left (a zombie
included); every pid started must have exactly one `exited` event, and
one process record in RUNDIR/account; no client may have been refused or
dropped (status --json's "control" counters).

Prints what it measured; with --curve a table, one row per sample (every
--every seconds: default 1, or one twentieth of --minutes): time,
exits seen, exits/s since the last row, fds, RSS (KiB), clients made.
Exit status 0 when every check held, 1 otherwise (each failure said)."""
import argparse
import glob
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

COMMANDS = [
    "/bin/true",
    "/bin/false",
    "/bin/sleep 0.005",
    "/bin/sh -c 'echo out $$; exit 3'",
    "/bin/sh -c 'kill -9 $$'",
]


def log(msg):
    print("soak: " + msg, flush=True)


class Tend:
    def __init__(self, binary, base):
        self.conf = os.path.join(base, "conf.d")
        self.run = os.path.join(base, "run")
        self.sock = os.path.join(self.run, "tend.sock")
        os.makedirs(self.conf)
        self.out = open(os.path.join(base, "tend.out"), "wb")
        self.proc = subprocess.Popen([binary, "-c", self.conf, "-r", self.run],
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.request("ping")
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("tend did not answer ping")
                time.sleep(0.05)

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(self.sock)
        return s

    def request(self, line):
        """Sends one request, returns (data lines, status line)."""
        with self.connect() as s:
            s.sendall(line.encode() + b"\n")
            f = s.makefile("rb")
            data = []
            for raw in f:
                text = raw.decode("utf-8", "replace").rstrip("\n")
                if text.startswith("> "):
                    data.append(text[2:])
                else:
                    return data, text
            return data, "EOF"

    def pipeline(self, lines):
        """Sends the requests at once, returns their status lines."""
        with self.connect() as s:
            s.sendall("".join(line + "\n" for line in lines).encode())
            f = s.makefile("rb")
            status = []
            for raw in f:
                if not raw.startswith(b"> "):
                    status.append(raw.decode("utf-8", "replace").rstrip("\n"))
                    if len(status) == len(lines):
                        break
            return status + ["EOF"] * (len(lines) - len(status))

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def children(self):
        """Processes whose parent is tend: (pid, state)."""
        kids = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                with open(stat) as f:
                    text = f.read()
            except OSError:
                continue
            rest = text[text.rfind(")") + 2:].split()
            if int(rest[1]) == self.proc.pid:
                kids.append((int(stat.split("/")[2]), rest[0]))
        return kids

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


class Subscriber(threading.Thread):
    """`events --json` for the whole run: exits and starts by pid."""

    def __init__(self, tend):
        super().__init__(daemon=True)
        self.sock = tend.connect()
        self.sock.settimeout(None)
        self.sock.sendall(b"events --json\n")
        self.lock = threading.Lock()
        self.exits = {}  # pid: exits seen
        self.live = set()  # started, no exit seen yet
        self.unmatched = []  # exits seen without a start of that pid before
        self.restarted_live = []  # started again before its exit was seen
        self.nexits = 0
        self.ended = None  # why the stream ended, if it did

    def run(self):
        f = self.sock.makefile("rb")
        for raw in f:
            if not raw.startswith(b"> "):
                self.ended = raw.decode("utf-8", "replace").strip()
                return
            ev = json.loads(raw[2:])
            if ev.get("type") != "process" or not ev.get("group", "").startswith("s"):
                continue
            pid = ev.get("pid")
            with self.lock:
                # pids are reused in a long run: an exit matches the
                # start of the same pid before it, once
                if ev["event"] == "exited":
                    self.exits[pid] = self.exits.get(pid, 0) + 1
                    self.nexits += 1
                    if pid in self.live:
                        self.live.remove(pid)
                    else:
                        self.unmatched.append(pid)
                elif ev["event"] in ("started", "restarted"):
                    if pid in self.live:
                        self.restarted_live.append(pid)
                    self.live.add(pid)
        self.ended = "EOF"

    def count(self):
        with self.lock:
            return self.nexits


class Clients(threading.Thread):
    """Connects, streams and disconnects, over and over, until stopped."""

    def __init__(self, tend, groups):
        super().__init__(daemon=True)
        self.tend, self.groups = tend, groups
        self.stopping = threading.Event()
        self.made = 0
        self.errors = []
        self.ping_ms = []  # how long each `ping` took, connection included

    def stream_briefly(self, line, seconds):
        with self.tend.connect() as s:
            s.sendall(line.encode() + b"\n")
            s.settimeout(seconds)
            end = time.monotonic() + seconds
            try:
                while time.monotonic() < end and s.recv(65536):
                    pass
            except socket.timeout:
                pass

    def one(self, rng):
        g = "s%d" % rng.randrange(self.groups)
        kind = rng.randrange(6)
        start = time.monotonic()
        if kind == 0:
            _, st = self.tend.request("status --json")
        elif kind == 1:
            _, st = self.tend.request("logs %s -n 5" % g)
        elif kind == 2:
            _, st = self.tend.request("ping")
            self.ping_ms.append((time.monotonic() - start) * 1000)
        else:
            st = "OK"
            if kind == 3:
                self.stream_briefly("events", rng.uniform(0.01, 0.2))
            elif kind == 4:
                self.stream_briefly("logs %s -f" % g, rng.uniform(0.01, 0.2))
            else:
                self.tend.connect().close()
        if not st.startswith("OK"):
            self.errors.append(st)

    def run(self):
        rng = random.Random(16)
        while not self.stopping.is_set():
            try:
                self.one(rng)
            except OSError as e:
                self.errors.append(repr(e))
            self.made += 1
            self.stopping.wait(0.02)


class Reloader(threading.Thread):
    """A reload a second, half of them changing conf.d."""

    def __init__(self, tend):
        super().__init__(daemon=True)
        self.tend = tend
        self.stopping = threading.Event()
        self.reloads = 0
        self.errors = []

    def run(self):
        churn = os.path.join(self.tend.conf, "90-churn.conf")
        while not self.stopping.wait(1.0):
            if os.path.exists(churn):
                os.unlink(churn)
            else:
                with open(churn, "w") as f:
                    f.write('group "churn" { process "p" { command = "/bin/sleep 1000" } }\n')
            try:
                _, st = self.tend.request("reload")
                if not st.startswith("OK"):
                    self.errors.append(st)
                self.reloads += 1
            except OSError as e:
                self.errors.append(repr(e))
        if os.path.exists(churn):
            os.unlink(churn)
            self.tend.request("reload")


def write_groups(tend, n):
    with open(os.path.join(tend.conf, "50-soak.conf"), "w") as f:
        for i in range(n):
            cmd = COMMANDS[i % len(COMMANDS)].replace('"', '\\"')
            f.write('group "s%d" { process "p" { command = "%s"  restart = always\n'
                    '  restart-window = 0s  restart-delay = %dms  log-size = 64k } }\n'
                    % (i, cmd, 1 + i % 5))


def set_groups(tend, n, verb):
    """VERB --no-wait for every group, pipelined on one connection."""
    lines = ["%s --no-wait s%d" % (verb, i) for i in range(n)]
    for line, st in zip(lines, tend.pipeline(lines)):
        if not st.startswith("OK"):
            raise RuntimeError("%s: %s" % (line, st))


def all_stopped(tend, n):
    data, _ = tend.request("status --json")
    doc = json.loads("\n".join(data))
    states = [g["state"] for g in doc["groups"] if g["name"].startswith("s")]
    return len(states) == n and all(s in ("stopped", "failed") for s in states)


def settled(cond, seconds):
    """Waits up to seconds for cond; whether it came true (no exception)."""
    end = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def wait_for(what, cond, seconds):
    end = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > end:
            raise RuntimeError("timed out after %d s waiting for %s" % (seconds, what))
        time.sleep(0.05)


def quiet_sample(tend, n):
    """Every group stopped, nothing of theirs running: fds and RSS."""
    t = time.monotonic()
    set_groups(tend, n, "stop")
    t1 = time.monotonic()
    wait_for("every group stopped", lambda: all_stopped(tend, n), 60)
    wait_for("tend's children gone", lambda: not tend.children(), 30)
    log("stopping every group took %.1f s (requests %.1f s)" % (time.monotonic() - t, t1 - t))
    time.sleep(0.2)  # a client's connection closing, if one just ended
    return tend.fds(), tend.rss_kb()


def account_records(run):
    per_pid = {}
    for path in glob.glob(os.path.join(run, "account", "*.jsonl")):
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                if r.get("kind") == "process" and (r.get("group") or "").startswith("s"):
                    per_pid[r["pid"]] = per_pid.get(r["pid"], 0) + 1
    return per_pid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tend", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--groups", type=int, default=100)
    ap.add_argument("--restarts", type=int, default=10000)
    ap.add_argument("--minutes", type=float, default=0)
    ap.add_argument("--fd-bound", type=int, default=4)
    ap.add_argument("--rss-bound", type=int, default=4096)
    ap.add_argument("--every", type=float, default=0)
    ap.add_argument("--max-seconds", type=float, default=0)
    ap.add_argument("--curve", action="store_true")
    a = ap.parse_args()
    every = a.every or max(1.0, a.minutes * 60 / 20)
    fails = []

    began = time.monotonic()
    tend = Tend(a.tend, a.dir)
    try:
        sub = Subscriber(tend)
        sub.start()
        write_groups(tend, a.groups)
        _, st = tend.request("reload")
        if not st.startswith("OK"):
            raise RuntimeError("reload: " + st)
        clients = Clients(tend, a.groups)
        reloader = Reloader(tend)
        clients.start()
        reloader.start()

        warm = max(200, a.restarts // 10)
        wait_for("%d exits (warm-up)" % warm, lambda: sub.count() >= warm, 300)
        log("warm-up: %d exits in %.1f s" % (sub.count(), time.monotonic() - began))
        fd0, rss0 = quiet_sample(tend, a.groups)
        log("after warm-up (%d exits), all stopped: %d fds, %d KiB RSS" %
            (sub.count(), fd0, rss0))
        set_groups(tend, a.groups, "start")

        t0, n0 = time.monotonic(), sub.count()
        rows = []
        last_t, last_n = t0, sub.count()
        while True:
            time.sleep(every)
            now, n = time.monotonic(), sub.count()
            rows.append((now - t0, n, (n - last_n) / (now - last_t), tend.fds(),
                         tend.rss_kb(), clients.made, reloader.reloads))
            last_t, last_n = now, n
            if tend.proc.poll() is not None:
                raise RuntimeError("tend exited with status %d" % tend.proc.returncode)
            if n - n0 >= a.restarts and now - t0 >= a.minutes * 60:
                break
            if a.max_seconds and now - t0 >= a.max_seconds:
                # a loaded machine: what was checked is still checked
                log("stopped after --max-seconds %g with %d of %d exits (machine too slow "
                    "or busy)" % (a.max_seconds, n - n0, a.restarts))
                # a tend whose exits stall must not pass for a busy machine
                if n - n0 < a.restarts // 10:
                    fails.append("only %d exits in %g s (at least %d wanted)" %
                                 (n - n0, a.max_seconds, a.restarts // 10))
                break
        clients.stopping.set()
        reloader.stopping.set()
        clients.join()
        reloader.join()
        fd1, rss1 = quiet_sample(tend, a.groups)
        elapsed = time.monotonic() - t0
        log("at the end (%d exits), all stopped: %d fds, %d KiB RSS" %
            (sub.count(), fd1, rss1))

        if a.curve:
            print("%8s %8s %8s %5s %9s %8s %8s" %
                  ("seconds", "exits", "exits/s", "fds", "rss_kb", "clients", "reloads"))
            for r in rows:
                print("%8.1f %8d %8.0f %5d %9d %8d %8d" % r)
        if clients.ping_ms:
            ms = sorted(clients.ping_ms)
            log("ping during the churn: %d, median %.1f ms, max %.1f ms" %
                (len(ms), ms[len(ms) // 2], ms[-1]))
        log("%d exits in %.1f s after warm-up (%.0f/s), %d clients, %d reloads" %
            (rows[-1][1] - n0, elapsed, (rows[-1][1] - n0) / elapsed, clients.made,
             reloader.reloads))

        if fd1 > fd0 + a.fd_bound:
            fails.append("fds grew from %d to %d (bound %d)" % (fd0, fd1, a.fd_bound))
        if a.rss_bound < 0:
            log("RSS not checked (--rss-bound %d)" % a.rss_bound)
        elif rss1 > rss0 + a.rss_bound:
            fails.append("RSS grew from %d to %d KiB (bound %d)" % (rss0, rss1, a.rss_bound))
        kids = tend.children()
        if kids:
            fails.append("tend's children left: %s" % kids[:10])
        # the last exits' events are out before status said stopped; a
        # moment for the stream's reader thread to take them
        # (if some never come, sub.live below says which: every check runs)
        settled(lambda: not sub.live, 10)
        if sub.unmatched:
            fails.append("%d exits in the events without a start of that pid before "
                         "(twice?): %s" % (len(sub.unmatched), sub.unmatched[:10]))
        if sub.restarted_live:
            fails.append("%d pids started again before their exit was seen: %s" %
                         (len(sub.restarted_live), sub.restarted_live[:10]))
        if sub.live:
            fails.append("%d pids started but never seen to exit: %s" %
                         (len(sub.live), sorted(sub.live)[:10]))
        records = account_records(tend.run)
        missing = [p for p, k in sub.exits.items() if records.get(p, 0) < k]
        extra = [p for p, k in records.items() if k > sub.exits.get(p, 0)]
        if missing:
            fails.append("%d exits without an accounting record: %s" %
                         (len(missing), missing[:10]))
        if extra:
            fails.append("%d accounting records not matching one exit: %s" %
                         (len(extra), extra[:10]))
        log("%d exits of %d pids seen in the events; %d accounting records" %
            (sum(sub.exits.values()), len(sub.exits), sum(records.values())))
        # well-behaved clients: none of them refused or dropped by tend
        data, _ = tend.request("status --json")
        control = json.loads("\n".join(data)).get("control", {})
        log("control socket: %s" % json.dumps(control, separators=(",", ":")))
        for k in ("refused_uid", "refused_full", "evicted", "dropped_unread", "dropped_total",
                  "too_long", "bad_requests"):
            if control.get(k):
                fails.append("control.%s is %d: a well-behaved client was refused or dropped" %
                             (k, control[k]))
        for e in clients.errors[:5] + reloader.errors[:5]:
            fails.append("a client got: " + e)
        if sub.ended:
            fails.append("the events stream ended: " + sub.ended)
    except RuntimeError as e:
        fails.append(str(e))
    finally:
        tend.stop()
    # a sanitizer build reports leaks at exit, and runtime errors, here
    with open(os.path.join(a.dir, "tend.out"), errors="replace") as f:
        reports = [line for line in f if "Sanitizer" in line or "runtime error:" in line]
    if reports:
        fails.append("sanitizer reports in tend's output: " + reports[0].strip())
    if tend.proc.returncode not in (0, None):
        fails.append("tend exited with status %d" % tend.proc.returncode)
    for f in fails:
        log("FAILED: " + f)
    if not fails:
        log("ok")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
