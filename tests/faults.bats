#!/usr/bin/env bats
# Real faults (issue 16, part 2; the seam's simulated ones are in
# tests/unit/test_fault_recovery.c): a run directory that fills up, a user
# out of processes (RLIMIT_NPROC), tend stopped for ten seconds. tend keeps
# supervising, says what went wrong once, and recovers by itself.

load helpers

setup() { tend_setup; }
teardown() {
	# The tmpfs (first test) comes off once tend, which holds files in it, is gone.
	if [ -n "${TEND_PID:-}" ] && kill -0 "$TEND_PID" 2>/dev/null; then
		kill -CONT "$TEND_PID" 2>/dev/null
		kill -TERM "$TEND_PID" 2>/dev/null
		wait_until_quiet 10 gone "$TEND_PID" || kill -KILL "$TEND_PID" 2>/dev/null
		wait "$TEND_PID" 2>/dev/null || true
	fi
	if [ -n "${TMPFS:-}" ]; then
		umount "$TMPFS" 2>/dev/null || umount -l "$TMPFS"
	fi
	tend_teardown
}

said_times() { # said_times TEXT: how many lines of tend's output hold TEXT
	grep -cF -- "$1" "$T/tend.out" || true
}
said() { [ "$(said_times "$1")" -ge 1 ]; }
log_has() { grep -q -- "$2" "$RUN/log/$1.log" 2>/dev/null; }
account_has() { cat "$RUN"/account/*.jsonl 2>/dev/null | grep -c "\"process\":\"$1\"" | grep -qx "$2"; }
runs_with_new_pid() { # GROUP PROCESS OLDPID: running, with another pid
	state_is running "$1" "$2" && pid_changed "$1" "$2" "$3"
}

@test "a run directory on a full 1 MiB tmpfs: tend, status and other groups go on; logging resumes" {
	[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
	mkdir -p "$RUN"
	mount -t tmpfs -o size=1m,mode=0700 tend-fault "$RUN"
	TMPFS=$RUN
	# flood/f writes 2 MB of lines at once, then a tick every 100 ms.
	conf 10-a.conf <<'CONF'
group "flood" { process "f" { command = "sh -c 'head -c 2000000 /dev/zero | tr \"\\\\0\" x | fold -w 99; while sleep 0.1; do echo tick; done'" } }
group "other" { process "o" { command = "sh -c 'echo hello; exec sleep 1000'"  restart-delay = 10ms } }
CONF
	start_tend
	wait_until said "flood/f: cannot write its log"
	run df --output=avail "$RUN"
	assert_line --index 1 --regexp '^ *0$'
	# The disk is full: tend still answers, and another group restarts normally.
	run tctl status
	assert_success
	o=$(pid_of other o)
	kill "$o"
	wait_until runs_with_new_pid other o "$o"
	run tctl status other
	assert_success
	assert_output --partial running
	# Space again (the flood's log emptied): its ticks are written, tend says
	# how many lines were lost, once; o's exit record, kept meanwhile, is written
	# along with the next one.
	: >"$RUN/log/flood.f.log"
	wait_until said "flood/f: writing its log again;"
	wait_until log_has flood.f tick
	[ "$(said_times "flood/f: cannot write its log")" = 1 ]
	[ "$(said_times "flood/f: writing its log again;")" = 1 ]
	o=$(pid_of other o)
	kill "$o"
	wait_until runs_with_new_pid other o "$o"
	wait_until account_has o 2
}

@test "RLIMIT_NPROC reached in user mode: the start that fails is said once, retried, and works when processes end" {
	[ "$(id -u)" = 0 ] || skip "running tend as another user with its own process limit needs root"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	# A uid of its own (no other process counts against its limit): tend and
	# four processes are five; a sixth cannot be made.
	local uid=$((300000 + $$ % 100000))
	conf 10-a.conf <<'CONF'
group "fill" {
	process "p1" { command = "sleep 1000" }
	process "p2" { command = "sleep 1000" }
	process "p3" { command = "sleep 1000" }
	process "p4" { command = "sleep 1000" }
}
group "late" { process "l" { command = "sleep 1000"  restart-delay = 100ms } }
CONF
	chown -R "$uid:$uid" "$T"
	chmod 0755 "$T"
	prlimit --nproc=5:5 setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		"$TEND" -c "$CONF" -r "$RUN" >"$T/tend.out" 2>&1 &
	TEND_PID=$!
	echo "$TEND_PID" >>"$T/tends"
	wait_until tctl ping
	wait_until said "late/l: cannot start sleep: Resource temporarily unavailable"
	wait_until state_is running fill
	run state late l
	assert_output backoff
	# It backs off: a few retries later, still one message.

	run tctl stop fill/p4
	assert_success
	wait_until state_is running late l
	[ "$(said_times "late/l: cannot start")" = 1 ]
	[ "$(said_times "late/l: started after")" = 1 ]
	run tctl status --json
	assert_success
	[ "$(process_field late l restarts)" = 0 ]
}

@test "tend stopped for 10 s and continued: what was due happens once, no restart storm" {
	# w exits once, then runs: tend is stopped during its restart-delay.
	# tick exits every second; steady never exits.
	conf 10-a.conf <<CONF
group "g" {
	process "steady" { command = "sleep 1000" }
	process "w" { command = "sh -c 'test -e $T/once && exec sleep 1000; touch $T/once; exit 1'"  restart-delay = 2s }
	process "tick" { command = "sh -c 'sleep 1; exit 0'"  restart = always  restart-delay = 100ms  restart-limit = 1000 }
}
CONF
	start_tend
	wait_until state_is backoff g w
	local tick=$(pid_of g tick) steady=$(pid_of g steady)
	local ticks=$(restarts_of g tick)
	kill -STOP "$TEND_PID"
	sleep 10 # the fault itself: tend stopped for 10 s
	kill -CONT "$TEND_PID"
	wait_until state_is running g w
	wait_until runs_with_new_pid g tick "$tick"
	# tick exited once while tend was stopped (it was not restarted, so it
	# could not exit again): one restart. w's delay was over: one restart.
	[ "$(restarts_of g tick)" -le $((ticks + 2)) ]
	[ "$(restarts_of g w)" = 1 ]
	[ "$(restarts_of g steady)" = 0 ]
	[ "$(pid_of g steady)" = "$steady" ]
	run tctl status
	assert_success
}
