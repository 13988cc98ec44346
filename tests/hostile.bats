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

# measure SECONDS: a client doing `status` again and again meanwhile;
# measured then waits for its figures, prints them, and fails on an error.
measure() { hostile lat.out latency "$1" "$T/lat.ms"; }
measured() {
	wait_until_quiet 60 grep -q "^latency" "$T/lat.out"
	echo "status during the attack: $(cat "$T/lat.out") (ms)" >&3
	grep -q "errors 0$" "$T/lat.out"
}
control_counter() { status_json | jq ".control.$1"; }
counter_at_least() { [ "$(control_counter "$1")" -ge "$2" ]; } # NAME N

@test "a 10 MB line, NUL bytes, invalid UTF-8, thousands of words: refused, counted, others served" {
	start_tend
	measure 3
	run python3 "$TOP/tests/hostile_client.py" "$SOCK" longline 10
	assert_success
	assert_line "long: ERR request longer than 4096 bytes"
	assert_line --regexp "^then: OK tend "
	run python3 "$TOP/tests/hostile_client.py" "$SOCK" garbage
	assert_success
	assert_line "b'sta\\x00tus': ERR bad request: a NUL byte in it (a request is one line of text)"
	# invalid UTF-8 and control characters are not echoed back as they came
	assert_line "b'status \\xff\\xfe\\xc3(': ERR no such group: ???("
	assert_line "b'\\x1b[2J\\x07\\x08 status': ERR usage: unknown command ?[2J?? (tendctl -h lists them)"
	assert_line --regexp "^then: OK tend "
	run python3 "$TOP/tests/hostile_client.py" "$SOCK" words 2000
	assert_success
	assert_line "2000 words: ERR usage: status [--json] [--tenant T] [GROUP]"
	assert_line "4096 words: ERR request longer than 4096 bytes"
	assert_line --regexp "^then: OK tend "
	[ "$(control_counter too_long)" -eq 2 ]
	[ "$(control_counter bad_requests)" -eq 4 ]
	run tctl status
	assert_success
	assert_line --regexp '^control: .* 6 bad requests'
	measured
}

@test "1000 connections at once that never send: root answered, the oldest closed, counted" {
	start_tend
	hostile idle.out idle 1000
	measure 3
	wait_until grep -q ready "$T/idle.out"
	# each connection past the 256 took the slot of the oldest idle one
	wait_until counter_at_least evicted 744
	run tctl status
	assert_success
	assert_line --regexp '^g running'
	measured
	[ "$(control_counter clients)" -le 256 ]
}

@test "events subscribers that never read: dropped, counted, memory given back" {
	start_tend
	hostile subs.out subscribe 5 events
	wait_until grep -q ready "$T/subs.out"
	measure 3
	# each service line is about 1 kB, to each subscriber
	run python3 "$TOP/tests/hostile_client.py" "$SOCK" services 8000
	assert_success
	wait_until counter_at_least dropped_total 1
	wait_until counter_at_least dropped_unread 1
	grep -q "unsent bytes (limit 67108864).*dropped" "$T/tend.out"
	measured
	rss=$(rss_kb)
	echo "RSS with the subscribers dropped: ${rss} kB" >&3
	sanitized || [ "$rss" -lt 50000 ]
}

@test "notify datagrams in a flood from a stranger: dropped, counted, others served" {
	start_tend
	measure 3
	run python3 "$TOP/tests/hostile_client.py" "$RUN/notify" notify 2
	assert_success
	echo "$output" >&3
	dropped() { [ "$(status_json | jq .notify_dropped)" -ge 1000 ]; }
	wait_until dropped
	measured
	run tctl status
	assert_line --regexp '^notify: [0-9]+ datagrams dropped'
}

@test "peer datagrams in a flood: dropped by reason, counted, others served" {
	port=$((20000 + $$ % 20000))
	conf 00-cluster.conf <<CONF
cluster { interface = "lo"  port = $port  heartbeat = 200ms  dead-after = 1s }
CONF
	start_tend
	measure 3
	run python3 "$TOP/tests/hostile_client.py" "127.0.0.1:$port" peer 2
	assert_success
	echo "$output" >&3
	peer_dropped() { [ "$(status_json | jq .peer_dropped)" -ge 1000 ]; }
	wait_until peer_dropped
	measured
	run tctl peers --json
	assert_success
	echo "$output" | jq -e '.dropped.magic > 0 and .dropped.version > 0'
	echo "$output" | jq -c .dropped >&3
}
