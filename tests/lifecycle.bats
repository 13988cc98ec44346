#!/usr/bin/env bats
# tend's own lifecycle: shutdown on SIGTERM/SIGINT in reverse order with stop
# timeouts, a clean environment for children, one tend per run directory.

load helpers

setup() { tend_setup; }
teardown() { tend_teardown; }

all_pids() {
	status_json | jq -r '.groups[].processes[] | (.pid // empty), .descendants[]'
}

shutdown_test() {
	local sig=$1
	cat >"$T/logstop.sh" <<'SH'
#!/bin/sh
# Records its name when asked to stop, then exits.
trap 'echo "$1" >> "$2"; exit 0' TERM
sleep 1000 & wait
SH
	chmod +x "$T/logstop.sh"
	conf 10-first.conf <<EOF
group "first" {
	process "a" { command = "$T/logstop.sh first/a $T/stops" }
	process "b" { command = "$T/logstop.sh first/b $T/stops" }
}
EOF
	conf 20-second.conf <<EOF
group "second" {
	process "c" { command = "$T/logstop.sh second/c $T/stops" }
	process "stubborn" { command = "sh -c 'trap \"\" TERM; sleep 1000 & wait'" stop-timeout = 300ms }
}
EOF
	start_tend
	wait_until state_is running first
	wait_until state_is running second
	all_started() { [ "$(all_pids | wc -l)" -ge 8 ]; }
	wait_until all_started
	pids=$(all_pids)
	for p in $pids; do track_pid "$p"; done
	kill "-$sig" "$TEND_PID"
	wait_until gone "$TEND_PID"
	wait_for_exit "$TEND_PID"
	assert_success # exit status 0
	for p in $pids; do gone "$p"; done
	# Reverse order: the second group first, each group's processes last-first.
	[ "$(tr '\n' ' ' <"$T/stops")" = "second/c first/b first/a " ]
	grep -q "second/stubborn: still running 300ms after SIGTERM; sending SIGKILL" "$T/tend.out"
	[ ! -e "$RUN/tend.sock" ]
}

@test "SIGTERM stops every group in reverse order, honours stop-timeout, exits 0" {
	shutdown_test TERM
}

@test "SIGINT does the same" {
	shutdown_test INT
}

@test "children get only stdin/stdout/stderr, no blocked or ignored signals" {
	conf 10-a.conf <<EOF
group "g" { process "p" { command = "sleep 1000" } }
EOF
	start_tend
	wait_until state_is running g p
	pid=$(pid_of g p)
	run ls "/proc/$pid/fd"
	assert_output "$(printf '0\n1\n2')"
	[ "$(readlink "/proc/$pid/fd/0")" = /dev/null ]
	grep -q '^SigBlk:[[:space:]]*0000000000000000$' "/proc/$pid/status"
	grep -q '^SigIgn:[[:space:]]*0000000000000000$' "/proc/$pid/status"
	# Its own session: a terminal's signals meant for tend do not reach it.
	[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ]
}

@test "tend closes the descriptors it inherited (a launching shell's pipe)" {
	conf 10-a.conf <<EOF
group "g" { process "p" { command = "sleep 1000" } }
EOF
	exec 251>"$T/inherited"
	start_tend
	exec 251>&-
	wait_until state_is running g p
	[ -e "/proc/$TEND_PID/fd/0" ]
	[ ! -e "/proc/$TEND_PID/fd/251" ]
	# Nothing tend holds is that file.
	for fd in /proc/"$TEND_PID"/fd/*; do
		[ "$(readlink "$fd")" != "$T/inherited" ]
	done
}

@test "what a process prints goes to its log in the run directory" {
	conf 10-a.conf <<EOF
group "g" { process "talker" { type = oneshot command = "sh -c 'echo to stdout; echo to stderr >&2'" } }
EOF
	start_tend
	wait_until state_is done g talker
	run cat "$RUN/log/g.talker.log"
	assert_line --regexp "^[0-9T:.-]+Z to stdout$"
	assert_line --regexp "^[0-9T:.-]+Z to stderr$"
}

@test "a second tend on the same run directory refuses to start" {
	conf 10-a.conf <<EOF
group "g" { process "p" { command = "sleep 1000" } }
EOF
	start_tend
	run "$TEND" -c "$CONF" -r "$RUN"
	assert_failure 1
	assert_output --partial "another tend runs with this run directory"
	run tctl ping
	assert_success
}

@test "tend is a child subreaper: orphans are adopted and reaped" {
	printf '#!/bin/sh\n(sleep 1000 & echo $! > "$1") \nexec sleep 1000\n' >"$T/orphan.sh"
	chmod +x "$T/orphan.sh"
	conf 10-a.conf <<EOF
group "g" { process "p" { command = "$T/orphan.sh $T/orphan" } }
EOF
	start_tend
	wait_until test -s "$T/orphan"
	orphan=$(cat "$T/orphan")
	track_pid "$orphan"
	parent_is_tend() { [ "$(ps -o ppid= -p "$orphan" | tr -d ' ')" = "$TEND_PID" ]; }
	wait_until parent_is_tend
	kill -TERM "$orphan"
	no_zombie_children() { ! ps -o stat= --ppid "$TEND_PID" | grep -q Z; }
	wait_until gone "$orphan"
	wait_until no_zombie_children
	[ "$(state g p)" = running ]
}

@test "start is refused while tend shuts down, and tend exits with nothing left" {
	# On SIGTERM, slow stays until the test has tried its start ($T/go).
	conf 10-a.conf <<CONF
group "a" { process "slow" { command = "sh -c 'trap \"while [ ! -e $T/go ]; do sleep 0.05; done; exit 0\" TERM; sleep 1000 & echo \$! > $T/leftover; wait'" } }
group "b" { autostart = false process "p" { command = "sleep 1000" } }
CONF
	start_tend
	wait_until state_is running a
	wait_until test -s "$T/leftover"
	leftover=$(cat "$T/leftover")
	track_pid "$leftover"
	kill -TERM "$TEND_PID"
	wait_until state_is stopping a
	run tctl start b
	touch "$T/go"
	assert_failure 1
	assert_output "tendctl: tend is shutting down"
	wait_until gone "$TEND_PID"
	wait_until gone "$leftover"
}

@test "tend started with stdin closed still gives children /dev/null as stdin" {
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "sleep 1000" } }
CONF
	"$TEND" -c "$CONF" -r "$RUN" >"$T/tend.out" 2>&1 <&- &
	TEND_PID=$!
	wait_until tctl ping
	wait_until state_is running g p
	[ "$(readlink "/proc/$(pid_of g p)/fd/0")" = /dev/null ]
}

@test "a run directory that is not privately ours is refused" {
	mkdir -m 0777 "$RUN"
	run "$TEND" -c "$CONF" -r "$RUN"
	assert_failure 1
	assert_output --partial "refusing to use it"
	[ ! -e "$RUN/tend.sock" ]
}

@test "tend.pid is removed when tend exits, and a new tend takes the lock again" {
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "sleep 1000" } }
CONF
	start_tend
	[ "$(cat "$RUN/tend.pid")" = "$TEND_PID" ]
	kill -TERM "$(cat "$RUN/tend.pid")"
	wait_until gone "$TEND_PID"
	wait_for_exit "$TEND_PID"
	assert_success
	[ ! -e "$RUN/tend.pid" ]
	# Started again on the same run directory, it takes the lock as before.
	start_tend
	[ "$(cat "$RUN/tend.pid")" = "$TEND_PID" ]
	run "$TEND" -c "$CONF" -r "$RUN"
	assert_failure 1
	assert_output --partial "another tend runs with this run directory"
}
