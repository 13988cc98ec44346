#!/usr/bin/env bats
# The services directory: register, look up, watch; coupling to the owner.

load helpers

setup() {
	tend_setup
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "sleep 1000" } }
CONF
}
teardown() { tend_teardown; }

# A process that outlives tendctl and owns what it registered: a shell
# that registers, says so in $T/$1.ready, then waits to be killed.
owner() { # owner NAME [register args...]
	local name=$1
	shift
	bash -c '"$@" && touch "$0.ready" && exec sleep 1000' "$T/$name" \
		"$TENDCTL" -r "$RUN" service register "$name" "$@" &
	track_pid $!
	OWNER_PID=$!
	wait_until test -e "$T/$name.ready"
}

# Watches in the background into $T/$1 (more args: what to watch) until
# the "sync" line shows the snapshot is complete.
watch_into() {
	local file=$1
	shift
	tctl watch "$@" >"$T/$file" 2>"$T/$file.err" &
	track_pid $!
	wait_until grep -q '^sync ' "$T/$file"
}

index_now() {
	tctl service list --json | jq .index
}

@test "a registered service is coupled to the process that registered it" {
	start_tend
	watch_into w.txt service web
	owner web --port 8080 --proto tcp --context path=/ --context "note=a b"
	run tctl service lookup web
	assert_success
	assert_output --regexp "^web 127\.0\.0\.1:8080/tcp index [0-9]+ owner pid $OWNER_PID context path=/ 'note=a b'$"
	run tctl service lookup web --json
	assert_success
	[ "$(jq -r '.locations[0].owner.pid' <<<"$output")" = "$OWNER_PID" ]
	[ "$(jq -r '.locations[0].context.note' <<<"$output")" = "a b" ]
	[ "$(jq -r '.locations[0].flags[0]' <<<"$output")" = coupled ]
	kill -KILL "$OWNER_PID"
	wait_until grep -q '^service remove web' "$T/w.txt"
	run tctl service lookup web
	assert_failure
	assert_output --partial "no such service: web"
	run grep '^service' "$T/w.txt"
	assert_line --index 0 --partial "service add web 127.0.0.1:8080/tcp"
	assert_line --index 1 --partial "service remove web 127.0.0.1:8080/tcp"
	[ "${#lines[@]}" -eq 2 ]
}

@test "a decoupled service stays after the process that registered it is gone" {
	start_tend
	bash -c '"$@"' _ "$TENDCTL" -r "$RUN" service register cache --host ::1 --port 11211 --proto udp --decoupled
	run tctl service lookup cache
	assert_success
	assert_output --regexp "^cache \[::1\]:11211/udp index [0-9]+ owner uid $(id -u) decoupled$"
	run tctl service deregister cache
	assert_success
	assert_output --partial "1 location(s) of cache removed"
	run tctl service lookup cache
	assert_failure
}

@test "tendctl couples a registration to its parent; --pid to another process" {
	start_tend
	sleep 1000 &
	local holder=$!
	track_pid $holder
	tctl service register a --port 1 --pid $holder
	run tctl service lookup a --json
	[ "$(jq -r '.locations[0].owner.pid' <<<"$output")" = "$holder" ]
	# tendctl's parent here is this test's shell, which outlives it
	tctl service register b --port 2
	run tctl service lookup b --json
	[ "$(jq -r '.locations[0].owner.pid' <<<"$output")" = "$$" ]
	kill -KILL $holder
	wait_until_quiet 10 bash -c "! '$TENDCTL' -r '$RUN' service lookup a"
	run tctl service lookup a
	assert_failure
	tctl service lookup b
}

@test "a registration for a process that already ended leaves nothing behind" {
	start_tend
	sleep 0 &
	local dead=$!
	wait $dead
	local before
	before=$(index_now)
	run tctl service register x --port 1 --pid $dead
	assert_failure
	assert_output --partial "process $dead"
	[ "$(index_now)" = "$before" ]
	run tctl service lookup x
	assert_failure
}

@test "bad requests get an error and change nothing" {
	start_tend
	tctl service register keep --port 9 --decoupled
	local before
	before=$(index_now)
	for args in "bad/name --port 1" "n --host example.org" "n --host 1.2.3.4.5" "n --port 0" \
		"n --port 65536" "n --proto sctp" "n --proto unix --port 3" "n --proto unix --path rel" \
		"n --path /x --proto tcp" "n --context novalue" "n --context =v" \
		"n --pid 1 --decoupled" "n --proxy" "n --proxy --host 127.0.0.1"; do
		# shellcheck disable=SC2086
		run tctl service register $args
		[ "$status" -ne 0 ] || { echo "accepted: $args" >&2; false; }
		[[ $output == tendctl:* ]] || { echo "no error for: $args: $output" >&2; false; }
	done
	run tctl service register n --context "k=$(printf 'x%.0s' {1..1030})"
	assert_failure
	assert_output --partial "longer than 1024 bytes"
	run tctl service register n $(for i in {1..17}; do echo --context k$i=v; done)
	assert_failure
	assert_output --partial "more than 16"
	run tctl service deregister nothing
	assert_failure
	assert_output --partial "no such service: nothing"
	run tctl service bogus
	assert_failure
	[ "$(index_now)" = "$before" ]
	run tctl service list
	assert_output --regexp "^keep 127.0.0.1:9 index [0-9]+ owner uid [0-9]+ decoupled$"
	tctl ping
}

@test "an owner's location at another place is a move from there; the same again changes nothing" {
	start_tend
	sleep 1000 &
	local holder=$!
	track_pid $holder
	watch_into w.txt service m
	tctl watch service m --json >"$T/j.txt" &
	track_pid $!
	wait_until grep -q '"type":"sync"' "$T/j.txt"
	tctl service register m --host 10.0.0.1 --port 53 --proto udp --pid $holder
	# the same host, another port: a move too, or a watcher could not drop :53
	tctl service register m --host 10.0.0.1 --port 54 --proto udp --pid $holder
	wait_until grep -q '^service move m 10.0.0.1:54/udp' "$T/w.txt"
	run grep '^service move' "$T/w.txt"
	assert_output --regexp "^service move m 10\.0\.0\.1:54/udp index [0-9]+ owner pid $holder from 10\.0\.0\.1:53/udp$"
	# a unix socket's path is quoted after "from" as it is in the location
	tctl service register m --host ::1 --proto unix --path "/tmp/a b'c" --pid $holder
	tctl service register m --proto unix --path "/tmp/a b'c" --pid $holder
	wait_until grep -q "^service move m '127" "$T/w.txt"
	run grep "^service move m '127" "$T/w.txt"
	assert_output --partial " owner pid $holder from '::1/unix:/tmp/a b'\\''c'"
	wait_until grep -q '"path":"/tmp/a b'"'"'c"}' "$T/j.txt"
	run jq -c 'select(.event == "move") | .from' "$T/j.txt"
	assert_line --index 0 '{"host":"10.0.0.1","port":53,"proto":"udp"}'
	assert_line --index 2 '{"host":"::1","proto":"unix","path":"/tmp/a b'"'"'c"}'
	# the same again: no change, and tend tells the index it has
	local index
	index=$(index_now)
	run tctl service register m --proto unix --path "/tmp/a b'c" --pid $holder
	assert_success
	assert_output --regexp " index $index$"
	[ "$(index_now)" = "$index" ]
}

@test "a client holds at most 64 services" {
	start_tend
	sleep 1000 &
	local holder=$!
	track_pid $holder
	for i in $(seq 1 64); do echo "service register s$i --port $i --pid $holder"; done |
		socat - "UNIX-CONNECT:$RUN/tend.sock" >"$T/replies"
	[ "$(grep -c '^OK service' "$T/replies")" -eq 64 ]
	run tctl service register s65 --port 65 --pid $holder
	assert_failure
	assert_output --partial "holds 64 services already"
	kill -KILL $holder
	wait_until_quiet 10 bash -c "'$TENDCTL' -r '$RUN' service list | grep -q 'no services'"
	tctl service list | grep -q 'no services'
}

@test "watch --since after a reconnect gives exactly the missed changes, resync when too old" {
	start_tend
	tctl service register one --port 1 --decoupled
	local seen
	seen=$(index_now)
	tctl service register two --port 2 --decoupled
	tctl service deregister one
	watch_into since.txt all --since "$seen"
	run cat "$T/since.txt"
	assert_line --index 0 --regexp "^service add two 127.0.0.1:2 index $((seen + 1)) "
	assert_line --index 1 --regexp "^service remove one 127.0.0.1:1 index $((seen + 2)) "
	assert_line --index 2 "sync $((seen + 2))"
	[ "${#lines[@]}" -eq 3 ]
	# push the change past what tend keeps (4096): one connection, pipelined
	for i in $(seq 1 2100); do
		echo "service register churn --port 7 --decoupled"
		echo "service deregister churn"
	done | socat - "UNIX-CONNECT:$RUN/tend.sock" >/dev/null
	watch_into old.txt all --since "$seen"
	run cat "$T/old.txt"
	assert_line --index 0 resync
	assert_line --partial "service add two 127.0.0.1:2 index $((seen + 1))"
	assert_line "sync $(index_now)"
	refute_line --partial churn
	# from the future (another tend's index): resync too
	watch_into future.txt all --since 99999999
	run head -1 "$T/future.txt"
	assert_output resync
}

@test "a watcher that never reads is told resync and dropped; tend goes on" {
	start_tend
	# a client that asks to watch and never reads its socket
	(echo "$BASHPID" >"$T/never.pid" && echo "watch all" && exec sleep 1000) 3>&- |
		socat -u STDIN "UNIX-CONNECT:$RUN/tend.sock" 3>&- &
	track_pid $!
	wait_until test -s "$T/never.pid"
	track_pid "$(cat "$T/never.pid")"
	watch_into reader.txt all
	for i in $(seq 1 4000); do
		echo "service register flood --port 7 --decoupled --context pad=$(printf '%0100d' $i)"
		echo "service deregister flood"
	done | socat - "UNIX-CONNECT:$RUN/tend.sock" >/dev/null
	wait_until grep -q "told resync and dropped" "$T/tend.out"
	# a reading watcher got every change
	local last
	last=$(index_now)
	wait_until grep -q "index $last " "$T/reader.txt"
	tctl ping
}

@test "the events stream shows service changes" {
	start_tend
	tctl events >"$T/ev.txt" &
	track_pid $!
	wait_until_quiet 10 bash -c "'$TENDCTL' -r '$RUN' restart g >/dev/null; grep -q 'group g' '$T/ev.txt'"
	tctl service register ev --port 5 --decoupled
	wait_until grep -q 'service add ev' "$T/ev.txt"
	run grep 'service add ev' "$T/ev.txt"
	assert_output --regexp "^[0-9T:.-]+Z service add ev 127.0.0.1:5 index [0-9]+ owner uid [0-9]+ decoupled$"
}
