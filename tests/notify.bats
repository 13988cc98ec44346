#!/usr/bin/env bats
# sd_notify compatibility (NOTIFY_SOCKET) and readiness: `ready = notify`,
# `ready = fd:N`, ready-timeout, with Debian's own systemd-notify and
# redis-server as the processes.

load helpers

setup() {
	tend_setup
}
teardown() {
	tend_teardown
}

@test "systemd-notify --ready gates the next process of a group; STATUS= is shown" {
	conf 10-a.conf <<CONF
group "g" {
    process "a" {
        command = "sh -c 'while [ ! -e $T/go ]; do sleep 0.05; done; systemd-notify --ready --status=\"serving on 8080\"; exec sleep 1000'"
        ready   = notify
    }
    process "b" { command = "sleep 1000" }
}
CONF
	start_tend
	wait_until state_is starting g a
	# a runs but has not said it is ready: b must not start.
	[ "$(pid_of g a)" != null ]
	ready_is g a false
	[ "$(state g b)" = stopped ]
	run tctl status
	assert_output --regexp 'a +starting .* not ready'
	touch "$T/go"
	wait_until state_is running g b
	ready_is g a true
	[ "$(process_field g a status)" = "serving on 8080" ]
	# tend's log: a was ready before b started.
	ready_line=$(grep -n 'g/a: ready' "$T/tend.out" | cut -d: -f1)
	b_line=$(grep -n 'g/b: started' "$T/tend.out" | cut -d: -f1)
	[ "$ready_line" -lt "$b_line" ]
	run tctl status
	assert_output --regexp 'a +running .* ready "serving on 8080"'
}

@test "systemd-notify's barrier is answered: it exits 0 at once instead of timing out" {
	# systemd-notify sends BARRIER=1 with a file descriptor and waits (5 s,
	# then fails) until the receiver closes it.
	conf 10-a.conf <<CONF
process "n" {
    command = "sh -c 'systemd-notify STATUS=hello && touch $T/notified'"
    type    = oneshot
    restart = never
}
CONF
	start_tend
	wait_until state_is done local n
	[ -e "$T/notified" ]
	# Done in less than systemd-notify's barrier timeout.
	grep -q 'local/n: exited 0' "$T/tend.out"
}

@test "a datagram from a process outside the tree is dropped and counted" {
	conf 10-a.conf <<CONF
process "a" { command = "sleep 1000"  ready = notify  ready-timeout = 1h }
CONF
	start_tend
	wait_until state_is starting local a
	dropped_is 0
	# socat is the test's child, not tend's: it may not speak for a.
	printf 'READY=1' | socat -u - UNIX-SENDTO:"$RUN/notify"
	printf 'READY=1\000garbage' | socat -u - UNIX-SENDTO:"$RUN/notify"
	wait_until dropped_is 2
	[ "$(state local a)" = starting ]
	ready_is local a false
	run tctl status
	assert_output --partial "notify: 2 datagrams dropped"
	run tctl ping
	assert_success
}

@test "a member of the tree that is not the main process may notify, even orphaned; a datagram with a NUL is dropped" {
	# The senders are socat, kept alive by a pipe that stays open: tend
	# looks a sender up when it reads the datagram, and a sender that has
	# already exited cannot be placed (see README). The second one is a
	# grandchild whose parent left it behind: its parent chain no longer
	# leads to the main process, its cgroup (or session and tag) still does.
	conf 10-a.conf <<CONF
process "a" {
    command = "sh -c '(printf \"READY=1\\\\000x\"; sleep 30) | socat -u - UNIX-SENDTO:\$NOTIFY_SOCKET & while [ ! -e $T/go ]; do sleep 0.05; done; (sh -c \"(printf READY=1; sleep 30) | socat -u - UNIX-SENDTO:\$NOTIFY_SOCKET\" &); exec sleep 1000'"
    ready   = notify
}
CONF
	start_tend
	wait_until dropped_is 1
	[ "$(state local a)" = starting ]
	touch "$T/go"
	wait_until state_is running local a
	dropped_is 1
}

@test "ready = fd:N: a newline on fd N makes the process ready" {
	conf 10-a.conf <<CONF
group "g" {
    process "a" {
        command = "sh -c 'while [ ! -e $T/go ]; do sleep 0.05; done; printf \"up\\\\n\" >&5; exec sleep 1000'"
        ready   = "fd:5"
    }
    process "b" { command = "sleep 1000" }
}
CONF
	start_tend
	wait_until state_is starting g a
	[ "$(state g b)" = stopped ]
	touch "$T/go"
	wait_until state_is running g b
	ready_is g a true
}

@test "not ready within ready-timeout: ended, counted as a failure, restarted" {
	conf 10-a.conf <<CONF
process "slow" {
    command       = "sleep 1000"
    ready         = notify
    ready-timeout = 300ms
    restart-delay = 100ms
    restart-limit = 100
}
CONF
	start_tend
	first=$(pid_of local slow)
	wait_until pid_changed local slow "$first"
	grep -q 'local/slow: not ready within 300ms (ready-timeout); ending it as failed' "$T/tend.out"
	grep -q 'local/slow: killed by SIGTERM (ended by tend: counts as a failure)' "$T/tend.out"
	[ "$(restarts_of local slow)" -ge 1 ]
	gone "$first"
}

@test "EXTEND_TIMEOUT_USEC= gives more time to become ready" {
	conf 10-a.conf <<CONF
process "a" {
    command       = "sh -c 'systemd-notify EXTEND_TIMEOUT_USEC=5000000; while [ ! -e $T/go ]; do sleep 0.05; done; systemd-notify --ready; exec sleep 1000'"
    ready         = notify
    ready-timeout = 1s
}
group "witness" {
    process "w" { command = "sleep 1000"  ready = notify  ready-timeout = 1s  restart-delay = 0ms }
}
CONF
	start_tend
	wait_until state_is starting local a
	# The witness, started with it and never ready, is ended after 1 s: by
	# then a's declared ready-timeout has passed too. Still starting.
	wait_until restarted_at_least witness w 1
	[ "$(state local a)" = starting ]
	[ "$(restarts_of local a)" = 0 ]
	touch "$T/go"
	wait_until state_is running local a
}

@test "a real daemon: redis-server --supervised systemd is ready only once it says so" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	conf 10-a.conf <<CONF
group "cache" {
    process "redis" {
        command = "redis-server --port 0 --unixsocket $T/redis.sock --supervised systemd --daemonize no --save '' --dir $T"
        ready   = notify
    }
    process "client" { command = "sh -c 'test -S $T/redis.sock && exec sleep 1000'"  restart-limit = 0 }
}
CONF
	start_tend
	wait_until state_is running cache client
	ready_is cache redis true
	# The client checked the socket when it started: redis was serving then.
	[ "$(restarts_of cache client)" = 0 ]
	[ -n "$(process_field cache redis status)" ]
	grep -q 'cache/redis: ready' "$T/tend.out"
}

@test "ready and watchdog options are checked" {
	conf 10-a.conf <<CONF
process "a" { command = "x"  ready = "fd:2" }
process "b" { command = "x"  ready = sometimes }
process "c" { command = "x"  watchdog = 5 }
process "d" { command = "x"  type = oneshot  ready = notify }
CONF
	run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_output --partial '10-a.conf:1: ready: invalid value "fd:2" (none, notify or fd:N with N from 3 to 1023)'
	assert_output --partial '10-a.conf:2: ready: invalid value "sometimes"'
	assert_output --partial '10-a.conf:3: watchdog: invalid value "5"'
	assert_output --partial '10-a.conf:4: process "d": ready applies to longrun processes'
}

@test "the environment: NOTIFY_SOCKET for every process, WATCHDOG_USEC/PID and TEND_WATCHDOG with a watchdog; inherited ones replaced" {
	conf 10-a.conf <<CONF
process "plain" { command = "sh -c 'env > $T/plain.env; exec sleep 1000'" }
process "watched" {
    command  = "sh -c 'env > $T/watched.env; echo \$\$ > $T/watched.pid; exec sleep 1000'"
    watchdog = 300ms
    restart  = never
}
CONF
	NOTIFY_SOCKET=/inherited WATCHDOG_USEC=1 WATCHDOG_PID=1 TEND_WATCHDOG=/inherited start_tend
	wait_until test -s "$T/watched.pid"
	wait_until test -s "$T/plain.env"
	grep -qx "NOTIFY_SOCKET=$RUN/notify" "$T/plain.env"
	run ! grep -q '^WATCHDOG_\|^TEND_WATCHDOG=' "$T/plain.env"
	grep -qx "NOTIFY_SOCKET=$RUN/notify" "$T/watched.env"
	grep -qx "WATCHDOG_USEC=300000" "$T/watched.env"
	grep -qx "WATCHDOG_PID=$(cat "$T/watched.pid")" "$T/watched.env"
	grep -Eqx "TEND_WATCHDOG=/proc/self/fd/[0-9]+" "$T/watched.env"
	[ "$(grep -c '^NOTIFY_SOCKET=' "$T/watched.env")" = 1 ]
}

@test "MAINPID=: a forking daemon's child becomes the main process; its exit is seen" {
	# The shell forks the real service, names it, waits until tend took
	# it over, then exits 0: the child goes on as the main process.
	conf 10-a.conf <<CONF
process "forking" {
    command = "sh -c 'echo \$\$ > $T/shell; sleep 1000 & echo \$! > $T/child; systemd-notify --pid=\$\$ MAINPID=\$! READY=1; while [ ! -e $T/go ]; do sleep 0.05; done; exit 0'"
    ready   = notify
    restart = on-failure
}
CONF
	start_tend
	wait_until test -s "$T/child"
	shell=$(cat "$T/shell") # written before $T/child
	child=$(cat "$T/child")
	track_pid "$child"
	main_is_child() { [ "$(pid_of local forking)" = "$child" ]; }
	wait_until main_is_child
	grep -q "local/forking: main process is now $child (MAINPID)" "$T/tend.out"
	touch "$T/go" # the shell exits: not the main process any more
	# Once the shell has exited (a zombie counts: the child was re-parented
	# to tend as the shell exited), tend can reap the child: kill it only then.
	wait_until gone "$shell"
	wait_until grep -q 'local/forking: ready' "$T/tend.out"
	[ "$(state local forking)" = running ]
	[ "$(pid_of local forking)" = "$child" ]
	kill -KILL "$child"
	# The new main's death is its death: on-failure restarts it.
	wait_until pid_changed local forking "$child"
	grep -q "local/forking: killed by SIGKILL" "$T/tend.out"
}

@test "MAINPID=: a main process that another reaped ends with its status unknown, and restarts" {
	# The shell names its child, then kills and reaps it itself: tend sees
	# the pid go but cannot learn how it ended.
	conf 10-a.conf <<CONF
process "forking" {
    command = "sh -c 'sleep 1000 & c=\$!; echo \$c > $T/child; systemd-notify --pid=\$\$ MAINPID=\$c READY=1; while [ ! -e $T/go ]; do sleep 0.05; done; kill \$c; wait \$c; exec sleep 1000'"
    ready   = notify
    restart = on-failure
}
CONF
	start_tend
	wait_until test -s "$T/child"
	child=$(cat "$T/child")
	track_pid "$child"
	main_is_child() { [ "$(pid_of local forking)" = "$child" ]; }
	wait_until main_is_child
	touch "$T/go"
	wait_until grep -q "local/forking: main process $child ended and was reaped by another; its status is unknown" "$T/tend.out"
	run process_field local forking last_exit_unknown
	assert_output true
	run process_field local forking last_exit_status
	assert_output null
	# An unknown end counts as a failure: on-failure restarts it.
	restarted_once() { [ "$(restarts_of local forking)" -ge 1 ]; }
	wait_until restarted_once
}

@test "MAINPID= naming a process outside the tree is refused" {
	sleep 1000 &
	outsider=$!
	track_pid "$outsider"
	conf 10-a.conf <<CONF
process "a" { command = "sh -c 'systemd-notify --pid=\$\$ MAINPID=$outsider; exec sleep 1000'" }
CONF
	start_tend
	wait_until dropped_is 1
	[ "$(pid_of local a)" != "$outsider" ]
}

@test "a process running as another user reaches NOTIFY_SOCKET and becomes ready" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run a process as another user"
	chmod 0711 "$T" # mktemp made it 0700: nobody else could enter the run directory's parent
	conf 10-a.conf <<CONF
process "a" {
    command       = "setpriv --reuid=nobody --regid=nogroup --clear-groups -- sh -c 'systemd-notify --ready; exec sleep 1000'"
    ready         = notify
    ready-timeout = 1h
}
CONF
	start_tend
	wait_until ready_is local a true
	[ "$(ps -o uid= -p "$(pid_of local a)" | tr -d ' ')" = "$(id -u nobody)" ]
	dropped_is 0
	# The run directory may be entered, not listed; the control socket stays
	# tend's, and so does this log (the process changed user by itself).
	[ "$(stat -c %a "$RUN")" = 711 ]
	[ "$(stat -c %a "$RUN/tend.sock")" = 600 ]
	[ "$(stat -c %a "$RUN/log")" = 711 ]
	run runuser -u nobody -- ls "$RUN/log"
	assert_failure
}

@test "a ready-timeout says when the process could not reach NOTIFY_SOCKET" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run a process as another user"
	# $T stays 0700: nobody cannot enter it, so not the run directory below it.
	conf 10-a.conf <<CONF
process "a" {
    command       = "setpriv --reuid=nobody --regid=nogroup --clear-groups -- sh -c 'systemd-notify --ready; exec sleep 1000'"
    ready         = notify
    ready-timeout = 1s
    restart       = never
}
CONF
	start_tend
	wait_until state_is failed local a
	grep -q "local/a: not ready within 1s (ready-timeout)" "$T/tend.out"
	grep -q "local/a: it runs as uid $(id -u nobody), which cannot reach NOTIFY_SOCKET $RUN/notify" "$T/tend.out"
}

@test "MAINPID= naming the main process itself is no change and not dropped" {
	# haproxy -Ws says MAINPID=<its own pid> with READY=1 at every start.
	conf 10-a.conf <<CONF
process "a" {
    command = "sh -c 'systemd-notify --pid=\$\$ MAINPID=\$\$ READY=1; exec sleep 1000'"
    ready   = notify
}
CONF
	start_tend
	wait_until ready_is local a true
	[ "$(state local a)" = running ]
	dropped_is 0
	run grep -c "main process is now" "$T/tend.out"
	assert_output 0
}

@test "WATCHDOG_USEC= gives a process without a declared watchdog one" {
	conf 10-a.conf <<CONF
process "a" {
    command = "sh -c 'systemd-notify --pid=\$\$ WATCHDOG_USEC=300000; exec sleep 1000'"
    restart = never
}
CONF
	start_tend
	wait_until state_is failed local a
	grep -q 'local/a: watchdog: no heartbeat within 300ms' "$T/tend.out"
}

@test "ready = fd:N closed without a newline: never ready, ready-timeout applies" {
	conf 10-a.conf <<CONF
process "a" {
    command       = "sh -c 'printf nonewline >&4; exec 4>&-; exec sleep 1000'"
    ready         = "fd:4"
    ready-timeout = 500ms
    restart       = never
}
CONF
	start_tend
	wait_until state_is failed local a
	grep -q 'local/a: not ready within 500ms' "$T/tend.out"
}

@test "ancestry tracking: an orphan of the tree may notify; a forged TEND_PROCESS tag in another session may not" {
	conf 10-a.conf <<CONF
group "v" { process "victim" { command = "sleep 1000"  ready = notify  ready-timeout = 1h } }
process "member" {
    command = "sh -c '(sh -c \"(printf READY=1; sleep 30) | socat -u - UNIX-SENDTO:\$NOTIFY_SOCKET\" &); exec sleep 1000'"
    ready   = notify
}
process "forger" {
    command = "sh -c '(setsid env TEND_PROCESS=v/victim sh -c \"(printf READY=1; sleep 30) | socat -u - UNIX-SENDTO:\$NOTIFY_SOCKET\" &); exec sleep 1000'"
}
CONF
	start_tend --tracking=ancestry
	wait_until state_is running local member
	wait_until dropped_is 1
	[ "$(state v victim)" = starting ]
}

@test "STATUS= bytes that are not UTF-8 are replaced: status --json stays valid JSON" {
	# \377 is never UTF-8; \303\251 is "é".
	printf '%s\n' '#!/bin/sh' \
		'systemd-notify --status="$(printf "bad \377 caf\303\251")"' \
		'exec sleep 1000' >"$T/say.sh"
	conf 10-a.conf <<CONF
process "n" { command = "sh $T/say.sh" }
CONF
	start_tend
	has_said_something() { [ "$(process_field local n status)" != null ]; }
	wait_until has_said_something
	# Python's json rejects invalid UTF-8 where jq lets it through.
	status_as_python_reads_it() {
		tctl status --json | python3 -c 'import json, sys
d = json.loads(sys.stdin.buffer.read())
print(d["groups"][0]["processes"][0]["status"])'
	}
	run status_as_python_reads_it
	assert_success
	assert_output "bad $(printf '\357\277\275') café"
}

@test "descriptors that come with datagrams are closed, without a fork for pipes and sockets" {
	conf 10-a.conf <<CONF
process "a" { command = "sleep 1000" }
CONF
	start_tend
	wait_until state_is running local a
	before=$(ls "/proc/$TEND_PID/fd" | wc -l)
	# strace counts the processes tend makes while the datagrams arrive.
	strace -f -qq -e trace=clone,clone3,fork,vfork -o "$T/forks" -p "$TEND_PID" &
	echo "$!" >>"$T/pids"
	STRACE_PID=$!
	wait_until grep -q '^TracerPid:[[:space:]]*[1-9]' "/proc/$TEND_PID/status"
	run python3 "$BATS_TEST_DIRNAME/send_fds.py" "$RUN/notify" 500
	assert_success
	assert_output closed
	wait_until dropped_is 500 # the test is no process of tend's
	kill "$STRACE_PID"
	wait "$STRACE_PID" || true
	[ "$(grep -cE 'clone|fork' "$T/forks")" -eq 0 ]
	[ "$(ls "/proc/$TEND_PID/fd" | wc -l)" -eq "$before" ]
}

@test "a flood from a stranger does not crowd out a member of the tree" {
	# The sender is socat, the main process's child (systemd-notify, as
	# root, would send in its parent's name): tend must look it up. It is
	# kept alive by its input until tend has read the datagram.
	printf '%s\n' '#!/bin/sh' "while [ ! -e '$T/go' ]; do sleep 0.05; done" \
		'(printf READY=1; sleep 30) | socat -u - UNIX-SENDTO:"$NOTIFY_SOCKET" &' \
		'exec sleep 1000' >"$T/member.sh"
	conf 10-a.conf <<CONF
process "a" { command = "sh $T/member.sh"  ready = notify  ready-timeout = 1h }
CONF
	start_tend
	wait_until state_is starting local a
	# The test's own python is nobody's: it floods until told to stop.
	python3 -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
while not os.path.exists(sys.argv[2]):
    try:
        s.sendto(b"READY=1", sys.argv[1])
    except OSError:
        pass' "$RUN/notify" "$T/stop" &
	echo "$!" >>"$T/pids"
	flooded() { [ "$(status_json | jq .notify_dropped)" -gt 200 ]; }
	wait_until flooded
	touch "$T/go"
	wait_until state_is running local a
	ready_is local a true
	touch "$T/stop"
}
