# Shared by the bats tests: run real tend instances in a temporary directory
# and wait for what they report, with a deadline, never for the clock alone.

bats_load_library bats-support
bats_load_library bats-assert

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
bats_require_minimum_version 1.5.0 # run ! CMD
TEND=${TEND_BIN:-$TOP/tend} # TEND_BIN: run the tests against another build
TENDCTL=$TOP/tendctl
DEADLINE=${TEND_TEST_DEADLINE:-15}
# shellcheck source=tests/wait.bash
. "$TOP/tests/wait.bash" # wait_until_quiet, alive, gone

# A fresh conf.d and run dir per test.
tend_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/tend-test.XXXXXX")
	CONF=$T/conf.d
	RUN=$T/run
	mkdir -p "$CONF"
	TEND_PID=
}

# Stops the tend of this test (by pid) and anything the test recorded in
# $T/pids, then removes the directory. Runs even when the test failed.
tend_teardown() {
	if [ -n "${TEND_PID:-}" ] && kill -0 "$TEND_PID" 2>/dev/null; then
		kill -TERM "$TEND_PID" 2>/dev/null
		wait_until_quiet 10 gone "$TEND_PID" || kill -KILL "$TEND_PID" 2>/dev/null
		wait "$TEND_PID" 2>/dev/null || true
	fi
	if [ -f "$T/pids" ]; then
		while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$T/pids"
	fi
	remove_tend_cgroups
	# Under a sanitizer build, any report (a leak at exit too) fails the test.
	local report=0
	if [ -f "$T/tend.out" ] && grep -Eq 'Sanitizer|runtime error:' "$T/tend.out"; then
		echo "--- sanitizer report in tend's output:" >&2
		cat "$T/tend.out" >&2
		report=1
	fi
	[ -d "$T" ] && rm -rf "$T"
	return $report
}

# For tests that run tend as PID 1 of a namespace (unshare, $UNSHARE_PID):
# tend first (by pid: PID 1 of the namespace, which ends everything in it),
# then unshare, which would otherwise leave the namespace running.
namespace_teardown() {
	local rc=0
	tend_teardown || rc=$?
	if [ -n "${UNSHARE_PID:-}" ]; then
		kill -KILL "$UNSHARE_PID" 2>/dev/null
		wait "$UNSHARE_PID" 2>/dev/null
	fi
	return $rc
}

# tend removes its cgroups (cgroup tracking) when it exits, but not one that
# still held processes kill-mode = main left running, nor when the test
# killed it with SIGKILL or it crashed: what is left in the cgroup of a tend
# this test started ($T/tends) and that is gone was started by the test, and
# is killed with cgroup.kill; then the directories go once they are empty.
remove_tend_cgroups() {
	local mnt own dir pid
	mnt=$(awk '$3=="cgroup2"{print $2; exit}' /proc/self/mounts)
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	[ -n "$mnt" ] && [ -f "$T/tends" ] || return 0
	while read -r pid; do
		dir="$mnt${own%/}/tend-$pid"
		[ -d "$dir" ] || continue
		if ! kill -0 "$pid" 2>/dev/null && [ -w "$dir/cgroup.kill" ]; then
			echo 1 >"$dir/cgroup.kill" 2>/dev/null || true
		fi
		wait_until_quiet 5 remove_empty_dirs "$dir" || echo "could not remove $dir" >&2
	done <"$T/tends"
}
remove_empty_dirs() {
	find "$1" -depth -type d -exec rmdir {} + 2>/dev/null
	[ ! -d "$1" ]
}

conf() { # conf NAME <<EOF ... : writes conf.d/NAME
	cat >"$CONF/$1"
}

tctl() {
	"$TENDCTL" -r "$RUN" "$@"
}

# Starts tend in the background and waits until its socket answers.
start_tend() {
	"$TEND" -c "$CONF" -r "$RUN" "$@" >"$T/tend.out" 2>&1 &
	TEND_PID=$!
	echo "$TEND_PID" >>"$T/tends"
	wait_until tctl ping
}

# wait_until CMD...: retries CMD until it succeeds or $DEADLINE seconds pass.
wait_until() {
	wait_until_quiet "$DEADLINE" "$@" && return 0
	echo "timed out after ${DEADLINE}s waiting for: $*" >&2
	[ -f "$T/tend.out" ] && { echo "--- tend output:" >&2; tail -n 40 "$T/tend.out" >&2; }
	return 1
}


status_json() {
	tctl status --json
}

# state GROUP [PROCESS]
state() {
	if [ $# -eq 1 ]; then
		status_json | jq -r --arg g "$1" '.groups[] | select(.name==$g) | .state'
	else
		status_json | jq -r --arg g "$1" --arg p "$2" \
			'.groups[] | select(.name==$g) | .processes[] | select(.name==$p) | .state'
	fi
}

# pid_of GROUP PROCESS: the main pid, or "null"
pid_of() {
	status_json | jq -r --arg g "$1" --arg p "$2" \
		'.groups[] | select(.name==$g) | .processes[] | select(.name==$p) | .pid'
}

# process_field GROUP PROCESS FIELD: one field of the process in status --json.
process_field() {
	status_json | jq -r --arg g "$1" --arg p "$2" --arg f "$3" \
		'.groups[] | select(.name==$g) | .processes[] | select(.name==$p) | .[$f]'
}

ready_is() { [ "$(process_field "$1" "$2" ready)" = "$3" ]; } # GROUP PROCESS true|false

dropped_is() { [ "$(status_json | jq .notify_dropped)" = "$1" ]; } # notify datagrams dropped

# restarted_at_least GROUP PROCESS N: the process restarted N times or more.
# With a witness (a process whose watchdog or ready-timeout expires), this
# is how a test knows that a timeout has passed without watching the clock.
restarted_at_least() { [ "$(restarts_of "$1" "$2")" -ge "$3" ]; }

restarts_of() {
	status_json | jq -r --arg g "$1" --arg p "$2" \
		'.groups[] | select(.name==$g) | .processes[] | select(.name==$p) | .restarts'
}

state_is() { # state_is WANT GROUP [PROCESS]
	local want=$1
	shift
	[ "$(state "$@")" = "$want" ]
}

pid_changed() { # pid_changed GROUP PROCESS OLDPID
	local now
	now=$(pid_of "$1" "$2")
	[ "$now" != null ] && [ "$now" != "$3" ]
}


# wait_for_exit PID: waits for a child of the test's shell and sets $status
# to its exit status (and $output empty), for assert_success and
# assert_failure. Not `run wait PID`: run's subshell cannot reap a child
# that dies only after it was forked, and bash then reports 255.
wait_for_exit() {
	status=0
	output=
	wait "$1" || status=$?
}

# Remembers pids a test created, so teardown can end them if the test fails.
track_pid() {
	echo "$1" >>"$T/pids"
}

# Whether this machine lets us create cgroup v2 directories (root, writable cgroup2).
cgroup_v2_writable() {
	[ "$(id -u)" -eq 0 ] || return 1
	local mnt own dir
	mnt=$(awk '$3=="cgroup2"{print $2; exit}' /proc/self/mounts)
	[ -n "$mnt" ] || return 1
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	dir="$mnt${own%/}/tend-probe-$$"
	mkdir "$dir" 2>/dev/null || return 1
	rmdir "$dir"
}

# has_lines FILE N: FILE exists and has at least N lines (evaluated on every try).
has_lines() {
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}
