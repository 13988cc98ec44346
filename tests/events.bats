#!/usr/bin/env bats
# tendctl events: one line per event, as it happens, in order.

load helpers

setup() {
	tend_setup
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "sleep 1000" restart-delay = 10ms } }
group "marker" { autostart = false  process "m" { command = "sleep 1000" } }
CONF
}
teardown() { tend_teardown; }

# Subscribes in the background, writing to $T/$1, and returns once the
# subscription demonstrably works (a start of group "marker" shows up).
subscribe() {
	local file=$1
	shift
	tctl events "$@" >"$T/$file" 2>"$T/$file.err" &
	track_pid $!
	marker_seen() {
		tctl restart --no-wait marker >/dev/null # events every time
		grep -q 'marker' "$T/$file"
	}
	wait_until marker_seen
}

@test "a kill shows as exited, then restarted, then running, in order" {
	start_tend
	wait_until state_is running g p
	subscribe events.txt
	old=$(pid_of g p)
	kill -KILL "$old"
	wait_until grep -q "process g/p running" "$T/events.txt"
	run grep -E ' process g/p ' "$T/events.txt"
	assert_line --index 0 --regexp "^[0-9T:.-]+Z process g/p exited pid $old \(killed by SIGKILL\)"
	assert_line --index 1 --partial "process g/p backoff"
	assert_line --index 2 --regexp "process g/p restarted pid [0-9]+ restarts 1"
	assert_line --index 3 --partial "process g/p running"
}

@test "events --json: one object per line, group state changes included" {
	start_tend
	wait_until state_is running g
	subscribe events.json --json
	run tctl stop g
	assert_success
	wait_until grep -q '"type":"group","event":"stopped","group":"g"' "$T/events.json"
	# Every line is valid JSON with the common fields.
	jq -e -s 'all(.[]; has("time") and has("type") and has("event"))' "$T/events.json"
	run jq -r -s 'map(select(.group=="g")) | map(.event) | join(" ")' "$T/events.json"
	assert_output "stopping stopping exited stopped stopped"
	run jq -r -s 'map(select(.event=="exited" and .group=="g")) | .[0].signal' "$T/events.json"
	assert_output 15
}

@test "the stream ends cleanly when tend exits" {
	start_tend
	subscribe events.txt
	pid=$(tail -n 1 "$T/pids")
	kill -TERM "$TEND_PID"
	wait_until gone "$pid"
	wait_for_exit "$pid"
	assert_success
	grep -q "tend is exiting" "$T/events.txt"
}

@test "events rejects unknown arguments" {
	start_tend
	run tctl events --yaml
	assert_failure 2
}
