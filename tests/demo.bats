#!/usr/bin/env bats
# `make run`'s demo (tools/demo.sh on the shipped conf.d): it keeps its files
# in its run directory, so that it can be run again, and by another user.

load helpers

setup() { tend_setup; }

teardown() {
	local f pid
	for f in "$T"/*/tend.pid "$T"/*/*/tend.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill -TERM "$pid" 2>/dev/null && wait_until_quiet 10 gone "$pid"
	done
	tend_teardown
}

demo_up() { # RUNDIR: the demo's web group runs and prepare is done
	"$TENDCTL" -r "$1" status --json >"$T/s.json" 2>/dev/null &&
		[ "$(jq -r '.groups[] | select(.name=="web") | .state' "$T/s.json")" = running ] &&
		[ "$(jq -r '.groups[] | select(.name=="web") | .processes[0].state' "$T/s.json")" = done ]
}

@test "the demo keeps its files in its run directory, and another user's demo runs too" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run the second demo as another user"
	[ "$TEND" = "$TOP/tend" ] || skip "the demo runs ./tend"
	cd "$TOP"
	run tools/demo.sh "$T/root-run"
	assert_success
	assert_output --partial "starting tend (system mode)"
	wait_until demo_up "$T/root-run"
	[ "$(cat "$T/root-run/www/index.txt")" = hello ]
	front=$(jq -r '.groups[] | select(.name=="web") | .processes[2].pid' "$T/s.json")
	[ "$(readlink "/proc/$front/cwd")" = "$T/root-run/www" ]
	[ "$(stat -c %a "$T/root-run")" = 711 ]
	# Another user, another run directory: nothing of root's is in its way.
	chmod 0711 "$T"
	mkdir "$T/nobody" && chown nobody "$T/nobody"
	run runuser -u nobody -- tools/demo.sh "$T/nobody/run"
	assert_success
	assert_output --partial "starting tend (user mode)"
	wait_until demo_up "$T/nobody/run"
	[ "$(cat "$T/nobody/run/www/index.txt")" = hello ]
	[ "$(stat -c %U "$T/nobody/run/www/index.txt")" = nobody ]
	run grep -E "web(/[a-z]+)?: .*(failed|Permission denied|cannot)" "$T/nobody/run/tend.out"
	assert_failure 1
}
