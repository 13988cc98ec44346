#!/usr/bin/env bats
# Hostile control clients (issue 16, 0.4-0.6): tend bounds what each client
# and all of them can make it hold, and keeps answering everyone else.

load helpers

setup() {
	tend_setup
	command -v python3 >/dev/null || skip "python3 is not installed"
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "sleep 1000" } }
CONF
	SOCK=$RUN/tend.sock
}
teardown() { tend_teardown; }

hostile() { # hostile OUT ARGS...: a client in the background, output in $T/OUT
	local out=$1
	shift
	python3 "$TOP/tests/hostile_client.py" "$SOCK" "$@" >"$T/$out" 2>"$T/$out.err" &
	track_pid $!
}

sanitized() { case $TEND in */san/*) return 0 ;; esac; return 1; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$TEND_PID/status"; }

@test "pipelined status requests never read: bounded memory, others answered" {
	# 300 groups: each answer is tens of kB, 9000 of them would be gigabytes
	for i in $(seq 300); do
		echo "group \"idle$i\" { autostart = false  process \"p\" { command = \"sleep 1\" } }"
	done >"$CONF/30-many.conf"
	start_tend
	wait_until state_is running g
	before=$(rss_kb)
	hostile pipe.out pipeline 9000
	wait_until grep -q ready "$T/pipe.out"
	run tctl status
	assert_success
	assert_line --regexp '^g running'
	echo "status --json: $(status_json | wc -c) bytes" >&3
	after=$(rss_kb)
	echo "RSS before ${before} kB, after ${after} kB" >&3
	[ $((after - before)) -lt 102400 ]
}

@test "subscribers that never read: the one holding most dropped, counted" {
	conf 20-noise.conf <<CONF
group "noise" { process "yes" { command = "yes 0123456789012345678901234567890123456789" } }
CONF
	start_tend
	wait_until state_is running noise
	hostile subs.out subscribe 12 "logs -f noise"
	wait_until grep -q ready "$T/subs.out"
	wait_until_quiet 60 grep -q "unsent bytes (limit 67108864).*dropped" "$T/tend.out"
	run tctl status
	assert_success
	rss=$(rss_kb)
	echo "RSS with the subscribers dropped: ${rss} kB" >&3
	# Under ASan freed memory stays in its quarantine (256 MB): no bound to check.
	sanitized || [ "$rss" -lt 200000 ]
}

@test "300 idle connections: root still answered, idle ones closed after the timeout" {
	start_tend
	# a subscriber sent its request: it is not idle however long it listens
	tctl events >"$T/events.out" 2>&1 &
	subscriber=$!
	track_pid $subscriber
	hostile idle.out idle 300 half
	wait_until grep -q ready "$T/idle.out"
	run tctl status
	assert_success
	assert_line --regexp '^g running'
	grep -q "too many connections: an idle one closed by tend" "$T/idle.out.err" ||
		grep -q "^closed [1-9]" "$T/idle.out" # the oldest gave root its slot
	wait_until_quiet 30 grep -q "^closed 300$" "$T/idle.out"
	grep -q "sent no request for 10 s; closed" "$T/tend.out"
	alive "$subscriber"
	tctl restart --no-wait g
	wait_until grep -q "process g/p " "$T/events.out"
}

@test "a tenant's user: at most 64 connections, the rest told at once" {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	[ -x /usr/bin/python3 ] || skip "no system python3 for user nobody"
	[ "$(id -u)" -eq 0 ] || skip "needs root for a tenant's user"
	conf 05-tenant.conf <<CONF
tenant "t" { user = "nobody" }
CONF
	start_tend
	chmod 755 "$T" "$RUN"
	setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 \
		"$TOP/tests/hostile_client.py" "$SOCK" idle 100 >"$T/idle.out" 2>&1 &
	track_pid $!
	wait_until grep -q ready "$T/idle.out"
	# the 36 past the limit are closed at once, not after the idle timeout
	wait_until_quiet 5 grep -q "^closed 36$" "$T/idle.out"
	grep -q "too many connections from this uid; refused" "$T/tend.out"
	run tctl ping
	assert_success
}

@test "a refused uid is told at once and closed, taking no slot" {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	[ -x /usr/bin/python3 ] || skip "no system python3 for user nobody"
	[ "$(id -u)" -eq 0 ] || skip "needs root to run a client as nobody"
	start_tend
	chmod 755 "$T" "$RUN"
	chmod 666 "$SOCK"
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
		/usr/bin/python3 "$TOP/tests/hostile_client.py" "$SOCK" refused
	assert_success
	assert_output --regexp "^ERR permission denied: this uid may not use tend's control socket after 0\.[0-9]+ s$"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$TENDCTL" -r "$RUN" ping
	assert_failure
	assert_output --partial "permission denied: this uid may not use tend's control socket"
	# 300 of them at once leave every slot free for root.
	for _ in $(seq 300); do
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			/usr/bin/python3 "$TOP/tests/hostile_client.py" "$SOCK" refused >/dev/null 2>&1 &
		track_pid $!
	done
	wait_until grep -q "refused (256 so far)" "$T/tend.out"
	run tctl status
	assert_success
	assert_line --regexp '^g running'
}
