#!/usr/bin/env bats
# Heartbeat watchdogs: libtend's mmap'ed kick (build/heartbeat, the example
# in tools/examples/heartbeat.c) and sd_notify's WATCHDOG=1.

load helpers

HEARTBEAT=$TOP/build/heartbeat

# A witness: a process whose watchdog (TIMEOUT) expires again and again.
# Each of its restarts proves that one more TIMEOUT has passed, so a test
# can wait for timeouts to pass as for any event, not by the clock.
witness() { # witness TIMEOUT
	cat <<CONF
group "witness" {
    process "w" {
        command        = "$HEARTBEAT --hang-after 0"
        watchdog       = $1
        restart-delay  = 0ms
        restart-window = 0s
    }
}
CONF
}

# timeouts_pass N: waits until the witness has expired N more times.
timeouts_pass() {
	local target=$(($(restarts_of witness w) + $1))
	wait_until restarted_at_least witness w "$target"
}

setup() {
	[ -x "$HEARTBEAT" ] || skip "build/heartbeat is not built (make)"
	tend_setup
}
teardown() {
	tend_teardown
}

@test "a process that stops kicking is killed with SIGABRT and restarted; its last state text is logged" {
	conf 10-a.conf <<CONF
process "beat" {
    command       = "$HEARTBEAT --interval 50 --hang-after 5 --state working"
    watchdog      = 500ms
    restart-delay = 100ms
}
CONF
	start_tend
	first=$(pid_of local beat)
	wait_until pid_changed local beat "$first"
	grep -q "local/beat: watchdog: no heartbeat within 500ms" "$T/tend.out"
	grep -Eq 'local/beat: last state "hung after 5 kicks"; sending SIGABRT' \
		"$T/tend.out"
	grep -Eq 'local/beat: killed by SIGABRT.*counts as a failure' "$T/tend.out"
	gone "$first"
	[ "$(restarts_of local beat)" -ge 1 ]
	# The watchdog is also in status, with the declared timeout.
	[ "$(status_json | jq '.groups[0].processes[0].watchdog.timeout_ms')" = 500 ]
}

@test "a process that kicks faithfully runs on, and its state text shows in status" {
	conf 10-a.conf <<CONF
process "beat" { command = "$HEARTBEAT --interval 50 --state serving"  watchdog = 1s }
CONF
	start_tend
	pid=$(pid_of local beat)
	# Three timeouts' worth of kicks, counted by the process itself.
	ticks_past() { [[ $(process_field local beat status) =~ ^serving\ ([0-9]+)$ ]] && ((BASH_REMATCH[1] >= 60)); }
	wait_until ticks_past
	[ "$(pid_of local beat)" = "$pid" ]
	[ "$(restarts_of local beat)" = 0 ]
	run ! grep -q 'watchdog: no heartbeat' "$T/tend.out"
	run tctl status
	assert_output --regexp 'beat +running .*"serving [0-9]+"'
}

@test "a watchdog suspended by the process itself is left alone" {
	conf 10-a.conf <<CONF
process "beat" { command = "$HEARTBEAT --interval 50 --suspend-after 3"  watchdog = 300ms }
CONF
	witness 300ms >"$CONF/20-witness.conf"
	start_tend
	pid=$(pid_of local beat)
	suspended() { [ "$(process_field local beat watchdog | jq .suspended)" = true ]; }
	wait_until suspended
	# It kicks no more; three timeouts pass with it alive and not restarted.
	timeouts_pass 3
	[ "$(pid_of local beat)" = "$pid" ]
	run ! grep -q 'local/beat: watchdog: no heartbeat' "$T/tend.out"
}

@test "tendctl watchdog suspend prevents the kill; resume lets the watchdog act again" {
	conf 10-a.conf <<CONF
process "beat" { command = "$HEARTBEAT --interval 50 --hang-after 2000000"  watchdog = 300ms }
process "other" { command = "sleep 1000" }
CONF
	witness 300ms >"$CONF/20-witness.conf"
	start_tend
	run tctl watchdog suspend local/beat
	assert_success
	assert_output --partial "watchdog of local/beat suspended"
	pid=$(pid_of local beat)
	# Stop the process as a debugger would: no kicks while stopped.
	kill -STOP "$pid"
	timeouts_pass 3
	[ "$(pid_of local beat)" = "$pid" ]
	run tctl status
	assert_output --regexp 'beat +running .* watchdog suspended'
	kill -CONT "$pid"
	run tctl watchdog resume local/beat
	assert_success
	# Resumed and kicking again: it still runs two timeouts later.
	timeouts_pass 2
	[ "$(pid_of local beat)" = "$pid" ]
	# Resumed, a stopped process is now a hung one.
	kill -STOP "$pid"
	wait_until pid_changed local beat "$pid"
	grep -q 'local/beat: watchdog: no heartbeat within 300ms' "$T/tend.out"
	# Errors.
	run tctl watchdog suspend local/other
	assert_failure
	assert_output --partial "local/other has no watchdog"
	run tctl watchdog pause local/beat
	assert_failure
	assert_output --partial "usage: watchdog suspend|resume GROUP/PROCESS"
	run tctl watchdog suspend local/nope
	assert_failure
	assert_output --partial "no such process"
}

@test "the process ends itself when its tend is killed with SIGKILL" {
	# heartbeat runs under sh so that its exit status can be seen; its
	# stderr goes to a file, since tend (the log's reader) will be gone.
	conf 10-a.conf <<CONF
process "beat" {
    command  = "sh -c '$HEARTBEAT --interval 20 2>$T/beat.err; echo \$? >$T/beat.status'"
    watchdog = 1s
}
CONF
	start_tend
	wait_until grep -q 'local/beat: started' "$T/tend.out"
	# -x: the whole command line, not the sh -c wrapper that contains it
	wait_until pgrep -xf "$HEARTBEAT --interval 20"
	beat=$(pgrep -xf "$HEARTBEAT --interval 20")
	track_pid "$beat"
	kill -KILL "$TEND_PID"
	wait "$TEND_PID" 2>/dev/null || true
	TEND_PID=
	# Its next check (at most a second later) finds tend gone: exit 70.
	wait_until test -s "$T/beat.status"
	[ "$(cat "$T/beat.status")" = 70 ]
	grep -q "libtend: tend (pid [0-9]*) is gone; ending this process" "$T/beat.err"
	gone "$beat"
}

@test "sd_notify WATCHDOG=1 keeps a process alive; WATCHDOG=trigger and silence do not" {
	conf 10-a.conf <<CONF
process "kicker" {
    command  = "sh -c 'while [ ! -e $T/stop ]; do systemd-notify --pid=\$\$ WATCHDOG=1; sleep 0.1; done; exec sleep 1000'"
    watchdog = 1s
    restart  = never
}
process "trigger" {
    command  = "sh -c 'while [ ! -e $T/trigger ]; do sleep 0.05; done; systemd-notify --pid=\$\$ WATCHDOG=trigger; exec sleep 1000'"
    restart  = never
}
CONF
	witness 1s >"$CONF/20-witness.conf"
	start_tend
	pid=$(pid_of local kicker)
	# Kicks for longer than the timeout, then silence: failed (restart = never).
	timeouts_pass 2
	[ "$(pid_of local kicker)" = "$pid" ]
	touch "$T/stop"
	wait_until state_is failed local kicker
	grep -q 'local/kicker: watchdog: no heartbeat within 1s' "$T/tend.out"
	# A process without a declared watchdog can still ask to be treated as hung.
	touch "$T/trigger"
	wait_until state_is failed local trigger
	grep -q 'local/trigger: watchdog: it asked to be treated as hung (WATCHDOG=trigger)' "$T/tend.out"
}

@test "the watchdog page cannot be shrunk by the process (tend would crash reading it)" {
	conf 10-a.conf <<CONF
process "a" {
    command  = "sh -c 'truncate -s 0 \$TEND_WATCHDOG 2>$T/trunc.err; echo \$? > $T/rc; exec $HEARTBEAT --interval 50'"
    watchdog = 1s
}
CONF
	witness 1s >"$CONF/20-witness.conf"
	start_tend
	wait_until test -s "$T/rc"
	[ "$(cat "$T/rc")" != 0 ]
	grep -q 'Operation not permitted' "$T/trunc.err" # the seal, not some other failure
	# tend has read the page since (its timer fires each second):
	timeouts_pass 2
	run tctl status
	assert_success
	assert_output --regexp 'a +running'
	[ "$(restarts_of local a)" = 0 ]
	kill -0 "$TEND_PID"
}
