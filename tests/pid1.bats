#!/usr/bin/env bats
# tend as PID 1, in a fresh PID and mount namespace (unshare). There,
# reboot(2) ends the namespace's init with SIGHUP (reboot) or SIGINT (power
# off, halt) instead of touching the machine, which the test observes as
# unshare's exit status; filesystems belong to the host and are left alone.
# The namespace has its own hostname and network too (--uts --net), so PID 1
# setting the hostname and bringing up lo touch nothing outside it.

load helpers

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for PID namespaces"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	tend_setup
	cat >"$T/stopper.sh" <<'SH'
#!/bin/sh
trap 'echo "$1" >> "$2"; exit 0' TERM
sleep 1000 & wait
SH
	chmod +x "$T/stopper.sh"
	conf 10-a.conf <<CONF
group "first" { process "x" { command = "$T/stopper.sh first $T/stops" } }
group "second" { process "y" { command = "$T/stopper.sh second $T/stops" } }
CONF
}
teardown() { namespace_teardown; }

NAMESPACES=(--pid --fork --mount --mount-proc --uts --net)

# Starts tend as PID 1 of a new namespace; TEND_PID is tend's pid out here.
start_pid1() { # start_pid1 [OUTPUT]: tend's stdout and stderr (default $T/tend.out)
	unshare "${NAMESPACES[@]}" "$TEND" -c "$CONF" -r "$RUN" >"${1:-$T/tend.out}" 2>&1 &
	UNSHARE_PID=$!
	wait_until tctl ping
	TEND_PID=$(pgrep -P "$UNSHARE_PID")
	wait_until state_is running second
}

# ends_with STATUS: unshare (and so tend, PID 1) ended with that status.
ends_with() {
	wait_until gone "$UNSHARE_PID"
	wait_for_exit "$UNSHARE_PID"
	[ "$status" -eq "$1" ]
	UNSHARE_PID=
}

@test "tend knows it is PID 1" {
	start_pid1
	run tctl ping
	assert_output --regexp "pid 1 mode pid1"
}

@test "tendctl poweroff stops groups in reverse order, then powers off (SIGINT from reboot(2))" {
	start_pid1
	run tctl poweroff
	assert_success
	ends_with 130
	[ "$(tr '\n' ' ' <"$T/stops")" = "second first " ]
	grep -q "sending SIGTERM to every process left" "$T/tend.out"
	grep -q "syncing filesystems" "$T/tend.out"
	grep -q "filesystems are the host's, left alone" "$T/tend.out"
}

@test "tendctl reboot reboots (SIGHUP from reboot(2))" {
	start_pid1
	run tctl reboot
	assert_success
	ends_with 129
}

@test "signals: SIGTERM reboots, SIGUSR1 halts, SIGUSR2 powers off" {
	start_pid1
	kill -TERM "$TEND_PID"
	ends_with 129
	rm -f "$T/stops"
	start_pid1
	kill -USR1 "$TEND_PID"
	ends_with 130
	grep -q "received SIGUSR1: halt" "$T/tend.out"
	start_pid1
	kill -USR2 "$TEND_PID"
	ends_with 130
	grep -q "received SIGUSR2: poweroff" "$T/tend.out"
}

@test "PID 1 reaps orphaned children once they exit" {
	conf 20-b.conf <<CONF
group "orphaner" { process "o" { command = "sh -c '(sleep 0.2 &) ; exec sleep 1000'" } }
CONF
	start_pid1
	wait_until state_is running orphaner
	no_zombies() { ! ps -o stat= --ppid "$TEND_PID" | grep -q Z; }
	wait_until no_zombies
	[ "$(state orphaner o)" = running ]
}

@test "PID 1 with invalid declarations keeps running and starts them once fixed" {
	conf 10-a.conf <<CONF
group "first" { process "x" { command = "sleep 1000" bogus = 1 } }
CONF
	rm -f "$CONF/20-b.conf"
	unshare "${NAMESPACES[@]}" "$TEND" -c "$CONF" -r "$RUN" >"$T/tend.out" 2>&1 &
	UNSHARE_PID=$!
	wait_until tctl ping
	TEND_PID=$(pgrep -P "$UNSHARE_PID")
	grep -q "running no group until they are fixed" "$T/tend.out"
	conf 10-a.conf <<CONF
group "first" { process "x" { command = "sleep 1000" } }
CONF
	run tctl reload
	assert_success
	wait_until state_is running first
}

@test "PID 1 brings up lo, sets the hostname from system { } and logs with boot time" {
	conf 00-system.conf <<CONF
system { hostname = "tend-test-$$" }
CONF
	start_pid1
	run nsenter -t "$TEND_PID" -u hostname
	assert_output "tend-test-$$"
	[ "$(hostname)" != "tend-test-$$" ]
	run nsenter -t "$TEND_PID" -n ip -o link show lo
	assert_output --regexp "<LOOPBACK,UP,LOWER_UP>"
	run nsenter -t "$TEND_PID" -n ip -o addr show lo
	assert_output --partial "127.0.0.1/8"
	grep -q "brought up lo" "$T/tend.out"
	grep -q "hostname is tend-test-$$" "$T/tend.out"
	grep -Eq '^\[ *[0-9]+\.[0-9]{6}\] tend: startup finished: 2 of 2 autostart groups running' \
		"$T/tend.out"
}

@test "a reload as PID 1 applies a new hostname" {
	start_pid1
	old=$(nsenter -t "$TEND_PID" -u hostname)
	conf 00-system.conf <<CONF
system { hostname = "renamed-$$" }
CONF
	run tctl reload
	assert_success
	run nsenter -t "$TEND_PID" -u hostname
	assert_output "renamed-$$"
	# before: the name the namespace was made with, the host's, which stays
	assert_equal "$old" "$(hostname)"
}

@test "PID 1 does not block on a console that takes no more output (Ctrl-S)" {
	# tend's stderr is a FIFO whose reader never reads: once it is full, a
	# blocking write would stop PID 1, as a console stopped with Ctrl-S does.
	mkfifo "$T/console"
	sleep 1000 <"$T/console" &
	track_pid $!
	start_pid1 "$T/console"
	# Restarts log lines (tend.log has each line the console was sent):
	# request them until the console was sent twice what the FIFO holds.
	local i=0
	while [ "$(stat -c %s "$RUN/log/tend.log")" -le 131072 ]; do
		i=$((i + 1))
		[ "$i" -le 5000 ] || fail "tend.log did not grow past 128 KiB"
		timeout 10 "$TENDCTL" -r "$RUN" restart --no-wait second >/dev/null || fail "request $i hung"
	done
	run timeout 10 "$TENDCTL" -r "$RUN" ping
	assert_success
	wait_until state_is running second
	grep -q 'restart second' "$RUN/log/tend.log"
}

@test "reboot, poweroff and halt are refused when tend is not PID 1" {
	unset UNSHARE_PID
	start_tend
	run tctl poweroff
	assert_failure 1
	assert_output --partial "not PID 1"
	run tctl ping
	assert_success
}
