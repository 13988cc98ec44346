#!/usr/bin/env bats
# The control socket and tendctl: the contract in DESIGN.md, and clients that
# misbehave without hurting tend.

load helpers

setup() {
	tend_setup
	conf 10-a.conf <<EOF
group "web" {
	process "db" { command = "sleep 1000" }
	process "app" { command = "sh -c 'sleep 1000 & exec sleep 1001'" }
}
process "solo" { command = "sleep 1002" }
EOF
}
teardown() { tend_teardown; }

sock() { echo "$RUN/tend.sock"; }

@test "status --json follows the contract" {
	start_tend
	wait_until state_is running web
	run status_json
	assert_success
	echo "$output" | jq -e '.groups | length == 2'
	echo "$output" | jq -e '.groups[] | select(.name=="web")
		| (.state == "running") and (.tenant == "default")
		  and (.processes | map(.name) == ["db","app"])'
	echo "$output" | jq -e '.groups[] | select(.name=="local") | .processes[0].name == "solo"'
	echo "$output" | jq -e '[.groups[].processes[]
		| (.pid|type) == "number" and (.state == "running") and (.restarts == 0)
		  and (.descendants|type) == "array"] | all'
	# app's forked sleep is listed as its descendant
	app_has_child() { [ "$(status_json | jq '.groups[0].processes[1].descendants | length')" = 1 ]; }
	wait_until app_has_child
}

@test "status GROUP and the text tree" {
	start_tend
	wait_until state_is running web
	run tctl status web
	assert_success
	assert_line --index 0 "web running"
	assert_output --partial "db"
	refute_output --partial "solo"
	run tctl status
	assert_output --regexp "app +running +pid [0-9]+ +up "
	assert_output --regexp "\+ [0-9]+ sleep"
	assert_output --partial "tracking: "
}

@test "unknown names get a clear error and exit status 1; bad usage exits 2" {
	start_tend
	run tctl stop nosuch
	assert_failure 1
	assert_output "tendctl: no such group: nosuch"
	run tctl start web/nosuch
	assert_failure 1
	assert_output "tendctl: no such process: web/nosuch"
	run tctl status nosuch
	assert_failure 1
	run tctl start
	assert_failure 2
	assert_output --partial "usage:"
	run tctl frobnicate
	assert_failure 2
	run "$TENDCTL"
	assert_failure 2
}

@test "tendctl without a running tend says so" {
	run "$TENDCTL" -r "$T/nothing-here" status
	assert_failure 1
	assert_output --partial "cannot connect"
}

@test "TEND_RUNDIR selects the instance for tendctl" {
	start_tend
	TEND_RUNDIR=$RUN run "$TENDCTL" status web
	assert_success
	assert_line --index 0 --partial "web"
}

@test "the socket is mode 0600, the run directory and its logs 0711 (enter, not list)" {
	start_tend
	[ "$(stat -c %a "$(sock)")" = 600 ]
	[ "$(stat -c %a "$RUN")" = 711 ]
	[ "$(stat -c %a "$RUN/log")" = 711 ]
	[ "$(stat -c %a "$RUN/log/tend.log")" = 600 ]
	[ "$(stat -c %a "$RUN/notify")" = 666 ]
}

@test "a request from another uid is refused" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	start_tend
	# Open the path so that only tend's own check stands in the way.
	chmod 0755 "$T" "$RUN"
	chmod 0666 "$(sock)"
	# tend answers at once and closes: the client only reads (a write could find it closed)
	run setpriv --reuid=65534 --regid=65534 --clear-groups socat -t 5 -u "UNIX-CONNECT:$(sock)" - </dev/null
	assert_output --partial "ERR permission denied"
	refute_output --partial "web"
	grep -q "control: uid 65534 (pid [0-9]*): permission denied.*refused (1 so far)" "$T/tend.out"
}

@test "garbage requests get errors; tend stays up" {
	start_tend
	run socat -t 5 - "UNIX-CONNECT:$(sock)" < <(printf 'bogus\n\x01\xff\xfe\n"unbalanced\nping\n')
	assert_line --index 0 --partial "ERR"
	assert_line --index 1 --partial "ERR"
	assert_line --index 2 "ERR bad request: unterminated double quote"
	assert_line --index 3 --partial "OK tend"
	run tctl ping
	assert_success
}

@test "a request with a NUL byte is refused as such; the connection goes on" {
	start_tend
	run socat -t 5 - "UNIX-CONNECT:$(sock)" < <(printf 'sta\000tus\n\000\nping\n')
	assert_line --index 0 "ERR bad request: a NUL byte in it (a request is one line of text)"
	assert_line --index 1 "ERR bad request: a NUL byte in it (a request is one line of text)"
	assert_line --index 2 --partial "OK tend"
}

@test "a 1 MB request line is refused without hurting tend" {
	start_tend
	run socat -t 5 - "UNIX-CONNECT:$(sock)" < <(head -c 1048576 /dev/zero | tr '\0' 'a'; echo; echo ping)
	assert_line --index 0 "ERR request longer than 4096 bytes"
	assert_line --index 1 --partial "OK tend" # the same connection goes on
	run tctl status web
	assert_success
}

@test "a client that never reads does not block tend" {
	start_tend
	wait_until state_is running web
	# 20000 status requests whose replies are never read (socat -u only writes).
	yes 'status --json' | head -n 20000 >"$T/requests"
	# socat reads the requests, then its input stays open (fd 8 of this
	# test) so that it keeps the connection without reading a reply.
	exec 8> >(socat -u - "UNIX-CONNECT:$(sock)")
	slow=$!
	track_pid "$slow"
	# In the background: tend stops taking requests while 1 MiB of replies
	# waits unread, so the writer is held up there, not tend.
	cat "$T/requests" >&8 &
	track_pid $!
	# Wait until tend has taken requests in: the unread replies pile up.
	replies_piled_up() { [ "$(ss -x -H | awk -v s="$(sock)" '$5 == s {q += $4} END {print q + 0}')" -gt 100000 ]; }
	wait_until replies_piled_up
	# tend keeps answering others, and supervising.
	for _ in 1 2 3; do
		run tctl status web
		assert_success
	done
	old=$(pid_of web db)
	kill -KILL "$old"
	wait_until pid_changed web db "$old"
	kill "$slow" 2>/dev/null || true
}

@test "a client that disconnects while waiting for a start does no harm" {
	# first ends only once the client is gone and tend has dropped it ($T/go).
	conf 10-a.conf <<EOF
group "slow" {
	autostart = false
	process "first" { type = oneshot command = "sh -c 'while [ ! -e $T/go ]; do sleep 0.05; done'" }
	process "second" { command = "sleep 1000" }
}
EOF
	start_tend
	"$TENDCTL" -r "$RUN" start slow & # not tctl: $! must be tendctl itself
	client=$!
	track_pid "$client"
	wait_until state_is starting slow # the start is taken: its reply waits
	kill -TERM "$client"
	wait_for_exit "$client"
	assert_failure 143 # killed while it waited, not answered
	# tend has seen the hangup and closed its end.
	no_connection() { [ -z "$(ss -x -H | awk -v s="$(sock)" '$5 == s')" ]; }
	wait_until no_connection
	touch "$T/go"
	wait_until state_is running slow
	run tctl ping
	assert_success
}

@test "start waits until the group runs; --no-wait does not" {
	conf 10-a.conf <<EOF
group "slow" {
	autostart = false
	process "first" { type = oneshot command = "sh -c 'while [ ! -e $T/go ]; do sleep 0.05; done'" }
	process "second" { command = "sleep 1000" }
}
EOF
	# first finishes once $T/go exists: a start that waits needs it before,
	# one that does not wait leaves the group starting until it is made.
	start_tend
	touch "$T/go"
	run tctl start slow
	assert_success
	[ "$(state slow second)" = running ]
	run tctl stop slow
	assert_success
	[ "$(state slow)" = stopped ]
	rm "$T/go"
	run tctl start --no-wait slow
	assert_success
	[ "$(state slow)" = starting ]
	[ "$(state slow first)" = starting ]
	touch "$T/go"
	wait_until state_is running slow
}

@test "requests queued behind a waiting start run after it, in order, and take effect" {
	conf 10-a.conf <<CONF
group "g" {
	autostart = false
	process "a" { type = oneshot command = "sleep 0.5" }
	process "b" { command = "sleep 1000" }
	process "c" { command = "sleep 1000" }
}
CONF
	start_tend
	run socat -t 10 - "UNIX-CONNECT:$(sock)" < <(printf 'start g\nstop g\n')
	assert_line --index 0 "OK group g running"
	assert_line --index 1 "OK group g stopped"
	[ "$(state g)" = stopped ]
	[ "$(state g c)" = stopped ]
}

@test "a stop that is overridden by a start is answered, not left waiting" {
	# On SIGTERM, slow stays until the test has sent its start ($T/go).
	conf 10-a.conf <<CONF
group "g" { process "slow" { command = "sh -c 'trap \"while [ ! -e $T/go ]; do sleep 0.05; done; exit 0\" TERM; sleep 1000 & wait'" } }
CONF
	start_tend
	wait_until state_is running g
	tctl stop g >"$T/stop.out" 2>&1 &
	stopper=$!
	wait_until state_is stopping g
	run tctl start --no-wait g
	touch "$T/go"
	assert_success
	wait_until gone "$stopper"
	wait_for_exit "$stopper"
	assert_failure 1
	grep -q "group g was started again before it stopped" "$T/stop.out"
}

@test "a half-closed client gets its deferred reply and then end of file" {
	conf 10-a.conf <<CONF
group "g" { autostart = false process "p" { command = "sleep 1000" } }
CONF
	start_tend
	# socat would wait 20 s for tend to close if it did not.
	SECONDS=0
	run socat -t 20 - "UNIX-CONNECT:$(sock)" <<<"start g"
	assert_output "OK group g running"
	[ "$SECONDS" -lt 10 ]
}
