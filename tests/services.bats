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
	wait_until grep -qE '^sync |"type":"sync"' "$T/$file"
}

# big_directory: 1200 decoupled locations of about 1 KiB each (1.3 MB of
# text, more than a watch's queue), through one connection; PAD is the
# context value.
big_directory() {
	PAD=$(printf 'x%.0s' {1..1000})
	for i in $(seq 1 1200); do echo "service register big$i --port 1 --context pad=$PAD --decoupled"; done |
		socat - "UNIX-CONNECT:$RUN/tend.sock" >/dev/null
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

@test "an owner's location elsewhere says where it was; the same again changes nothing" {
	start_tend
	sleep 1000 &
	local holder=$!
	track_pid $holder
	watch_into w.txt service m
	tctl watch service m --json >"$T/j.txt" &
	track_pid $!
	wait_until grep -q '"type":"sync"' "$T/j.txt"
	tctl service register m --host 10.0.0.1 --port 53 --proto udp --pid $holder
	# the same host, another port: an update that says where it was, or a
	# watcher could not drop :53
	tctl service register m --host 10.0.0.1 --port 54 --proto udp --pid $holder
	wait_until grep -q '^service update m 10.0.0.1:54/udp' "$T/w.txt"
	run grep '^service update' "$T/w.txt"
	assert_output --regexp "^service update m 10\.0\.0\.1:54/udp index [0-9]+ owner pid $holder from 10\.0\.0\.1:53/udp$"
	# a unix socket's path is quoted after "from" as it is in the location
	tctl service register m --host ::1 --proto unix --path "/tmp/a b'c" --pid $holder
	tctl service register m --proto unix --path "/tmp/a b'c" --pid $holder
	wait_until grep -q "^service move m '127" "$T/w.txt"
	run grep "^service move m '127" "$T/w.txt"
	assert_output --partial " owner pid $holder from '::1/unix:/tmp/a b'\\''c'"
	wait_until grep -q '"path":"/tmp/a b'"'"'c"}' "$T/j.txt"
	run jq -c 'select(.event == "move" or .event == "update") | .from' "$T/j.txt"
	assert_line --index 0 '{"host":"10.0.0.1","port":53,"proto":"udp"}'
	assert_line --index 1 '{"host":"10.0.0.1","port":54,"proto":"udp"}'
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
	# a change before anyone watched is not kept: --since from then is resync
	tctl service register zero --port 9 --decoupled
	watch_into early.txt all --since "$(($(index_now) - 1))"
	run head -1 "$T/early.txt"
	assert_output resync
	# a watcher that saw "one", then lost its connection
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
	# the never-reader's watch is taken: its snapshot waits unread
	unread() { [ "$(ss -x -H | awk -v s="$RUN/tend.sock" '$5 == s {q += $4} END {print q + 0}')" -gt 0 ]; }
	wait_until unread
	for i in $(seq 1 4000); do
		echo "service register flood --port 7 --decoupled --context pad=$(printf '%0100d' $i)"
		echo "service deregister flood"
	done | socat - "UNIX-CONNECT:$RUN/tend.sock" >/dev/null
	wait_until grep -q "told resync and dropped" "$T/tend.out"
	# a reading watcher got every change
	local last
	last=$(index_now)
	wait_until grep -q "index $last " "$T/reader.txt"
	[ "$(grep -cE '^service (add|remove) flood ' "$T/reader.txt")" -eq 8000 ]
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

# ---- services declared in conf.d ----

declared_conf() { # declared_conf CONTEXT-WEIGHT PORT
	conf 20-web.conf <<CONF
group "web" {
	process "srv" {
		command = "sh -c 'while [ ! -e $T/go ]; do sleep 0.02; done; echo ready >&3; exec sleep 1000'"
		ready = "fd:3"
		restart-delay = 10ms
	}
	service "http" { process = "srv"  port = $2  proto = tcp  context = { "path=/", "weight=$1" } }
}
CONF
}

@test "a declared service appears when its process is ready, goes when it is killed, comes back" {
	declared_conf 10 8080
	start_tend
	watch_into w.txt service http
	wait_until state_is starting web srv
	run tctl service lookup http
	assert_failure # started, not ready
	touch "$T/go"
	wait_until grep -q '^service add http' "$T/w.txt"
	run tctl service lookup http
	assert_output --regexp "^http 127.0.0.1:8080/tcp index [0-9]+ owner web/srv context path=/ weight=10$"
	local old
	old=$(pid_of web srv)
	kill -KILL "$old"
	wait_until pid_changed web srv "$old"
	wait_until state_is running web srv
	wait_until has_lines "$T/w.txt" 4
	run grep -E '^service ' "$T/w.txt"
	assert_line --index 0 --partial "service add http 127.0.0.1:8080/tcp"
	assert_line --index 1 --partial "service remove http 127.0.0.1:8080/tcp"
	assert_line --index 2 --partial "service add http 127.0.0.1:8080/tcp"
	[ "${#lines[@]}" -eq 3 ]
	local a b c
	a=$(sed -n 's/.* index \([0-9]*\) .*/\1/p' <<<"${lines[0]}")
	b=$(sed -n 's/.* index \([0-9]*\) .*/\1/p' <<<"${lines[1]}")
	c=$(sed -n 's/.* index \([0-9]*\) .*/\1/p' <<<"${lines[2]}")
	[ "$a" -lt "$b" ] && [ "$b" -lt "$c" ]
}

@test "a reload that changes only a service updates it in place, without a restart" {
	declared_conf 10 8080
	touch "$T/go"
	start_tend
	wait_until tctl service lookup http
	local pid
	pid=$(pid_of web srv)
	watch_into w.txt service http
	declared_conf 20 8081
	run tctl reload
	assert_success
	assert_output --partial "updated web in place"
	wait_until grep -q '^service update' "$T/w.txt"
	run grep '^service update' "$T/w.txt"
	assert_output --regexp "^service update http 127.0.0.1:8081/tcp index [0-9]+ owner web/srv context path=/ weight=20 from 127.0.0.1:8080/tcp$"
	[ "$(pid_of web srv)" = "$pid" ]
	run tctl service lookup http
	assert_output --partial "127.0.0.1:8081/tcp"
	[ "${#lines[@]}" -eq 1 ]
}

@test "a stopped group's services are gone; a bad service block is rejected with file:line" {
	declared_conf 10 8080
	touch "$T/go"
	start_tend
	wait_until tctl service lookup http
	conf 30-bad.conf <<CONF
group "other" {
	process "a" { command = "sleep 1000" }

	service "x" { process = "nope" }
}
CONF
	run tctl reload
	assert_failure
	assert_output --partial "$CONF/30-bad.conf:4:"
	assert_output --partial 'no process "nope"'
	tctl service lookup http
	rm "$CONF/30-bad.conf"
	tctl stop web
	run tctl service lookup http
	assert_failure
}

@test "watch group and host: the snapshot, then the group's states with rising indexes" {
	start_tend
	wait_until state_is running g
	watch_into g.txt group g --json
	watch_into h.txt host 127.0.0.1
	run head -1 "$T/g.txt"
	[ "$(jq -r '[.type, .event, .group] | join(" ")' <<<"$output")" = "group running g" ]
	run tctl watch host not-an-address
	assert_failure
	assert_output --partial "bad host"
	run cat "$T/h.txt"
	assert_line --index 0 "host up 127.0.0.1 index 0"
	assert_line --index 1 --regexp '^sync [0-9]+$'
	tctl restart g
	# (a function: a process substitution would be read once, not on each try)
	running_again() { tail -n +3 "$T/g.txt" | grep -q '"event":"running"'; }
	wait_until running_again
	run jq -r 'select(.type == "group") | .event' "$T/g.txt"
	# a restart goes from stopping straight to starting
	assert_output "$(printf 'running\nstopping\nstarting\nrunning')"
	local idx
	idx=$(jq -r 'select(.type == "group") | .index' "$T/g.txt" | tail -n +2)
	[ "$(sort -n <<<"$idx")" = "$idx" ]
	[ "$(sort -nu <<<"$idx" | wc -l)" -eq 3 ]
	# a service change is not a group's: once the group's next state has
	# come (changes arrive in order), the service's would have too
	tctl service register other --port 1 --decoupled
	tctl stop g
	wait_until grep -q '"event":"stopped"' "$T/g.txt"
	run grep -c service "$T/g.txt"
	assert_output 0
}

@test "proxies, unix sockets and quoting; services-max is enforced" {
	conf 05-system.conf <<CONF
system { services-max = 3 }
CONF
	start_tend
	tctl service register db --proxy --host 10.0.0.7 --port 5432 --proto tcp --decoupled
	tctl service register sock --proto unix --path "/run/my app.sock" --decoupled
	run tctl service list
	assert_line --index 0 --regexp "^db 10.0.0.7:5432/tcp index [0-9]+ owner uid [0-9]+ decoupled proxy$"
	assert_line --index 1 --regexp "^sock '127.0.0.1/unix:/run/my app.sock' index [0-9]+ owner uid [0-9]+ decoupled$"
	run tctl service lookup db --json
	[ "$(jq -c '.locations[0].flags' <<<"$output")" = '["decoupled","proxy"]' ]
	run tctl service lookup sock --json
	[ "$(jq -r '.locations[0].path' <<<"$output")" = "/run/my app.sock" ]
	tctl service register third --port 3 --decoupled
	run tctl service register fourth --port 4 --decoupled
	assert_failure
	assert_output --partial "services-max is 3"
	run tctl service lookup fourth
	assert_failure
}

@test "only the uid that registered a location, or root, may deregister it" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run tend as another user"
	local nobody
	nobody=$(id -u nobody)
	mkdir -p "$RUN"
	chown nobody "$T" "$RUN" "$CONF"
	chmod 755 "$T"
	setpriv --reuid="$nobody" --regid="$(id -g nobody)" --clear-groups "$TEND" -c "$CONF" -r "$RUN" \
		>"$T/tend.out" 2>&1 &
	TEND_PID=$!
	echo "$TEND_PID" >>"$T/tends"
	wait_until tctl ping
	tctl service register rootsvc --port 1 --decoupled
	run setpriv --reuid="$nobody" --regid="$(id -g nobody)" --clear-groups "$TENDCTL" -r "$RUN" \
		service deregister rootsvc
	assert_failure
	assert_output --partial "permission denied: rootsvc was registered by uid 0"
	tctl service lookup rootsvc
	# nor take its place
	run setpriv --reuid="$nobody" --regid="$(id -g nobody)" --clear-groups "$TENDCTL" -r "$RUN" \
		service register rootsvc --port 1 --decoupled
	assert_failure
	assert_output --partial "registered by uid 0"
	setpriv --reuid="$nobody" --regid="$(id -g nobody)" --clear-groups "$TENDCTL" -r "$RUN" \
		service register mine --port 2 --decoupled
	run tctl service deregister mine
	assert_success
	# a uid holds 64 decoupled locations, whichever processes registered them
	for i in $(seq 1 64); do echo "service register d$i --port $i --decoupled"; done |
		setpriv --reuid="$nobody" --regid="$(id -g nobody)" --clear-groups \
			socat - "UNIX-CONNECT:$RUN/tend.sock" >"$T/replies"
	[ "$(grep -c '^OK service' "$T/replies")" -eq 64 ]
	run setpriv --reuid="$nobody" --regid="$(id -g nobody)" --clear-groups "$TENDCTL" -r "$RUN" \
		service register d65 --port 65 --decoupled
	assert_failure
	assert_output --partial "uid $nobody holds 64 decoupled services already"
}

@test "a registration may not take a declared location's place" {
	conf 20-web.conf <<CONF
group "web" {
	process "srv" { command = "sleep 1000" }
	service "http" { process = "srv"  port = 8080  proto = tcp }
}
CONF
	start_tend
	wait_until tctl service lookup http
	run tctl service register http --port 8080 --proto tcp --decoupled
	assert_failure
	assert_output --partial "http at that address is declared by web/srv"
	run tctl service lookup http
	assert_output --regexp "^http 127.0.0.1:8080/tcp index [0-9]+ owner web/srv$"
	# hosts are compared as addresses, not as text
	tctl service register v6 --host 0:0::1 --port 1 --decoupled
	run tctl service lookup v6
	assert_output --partial "v6 [::1]:1 "
	tctl service deregister v6 --host ::1
}

@test "a snapshot larger than the watch queue is sent whole; a dropped watcher gets resync on a line of its own" {
	start_tend
	big_directory
	[ "$(tctl service list --json | jq '.services | length')" -eq 1200 ]
	watch_into big.txt all
	[ "$(grep -c '^service add big' "$T/big.txt")" -eq 1200 ]
	# a watcher that stops reading: its output waits in a FIFO nobody reads
	mkfifo "$T/slow"
	exec {slow}<>"$T/slow"
	# (neither keeps a copy of the FIFO's descriptor: socat's stdout must be
	# its only writer, so that a reader sees its end)
	(echo "$BASHPID" >"$T/holder.pid" && echo "watch service churn" && exec sleep 1000) 3>&- {slow}>&- |
		socat - "UNIX-CONNECT:$RUN/tend.sock" >&$slow 3>&- {slow}>&- &
	track_pid $!
	wait_until test -s "$T/holder.pid"
	track_pid "$(cat "$T/holder.pid")"
	for i in $(seq 1 3000); do
		echo "service register churn --port 7 --decoupled --context pad=$PAD"
		echo "service deregister churn"
	done | socat - "UNIX-CONNECT:$RUN/tend.sock" >/dev/null
	wait_until grep -q "told resync and dropped" "$T/tend.out"
	# now read what it was sent: whole lines, the last one resync. With only
	# a reading end left here, cat ends when socat does, once tend has sent
	# resync and closed the connection.
	exec {rd}<"$T/slow"
	exec {slow}<&-
	timeout 30 cat <&$rd >"$T/slow.txt"
	exec {rd}<&-
	run tail -1 "$T/slow.txt"
	assert_output "> resync"
	run grep -v -E '^> (service (add|remove) churn .*|sync [0-9]+|resync)$' "$T/slow.txt"
	assert_output ""
}

@test "pipelined requests wait while their replies are unread" {
	start_tend
	big_directory
	local before
	before=$(awk '/^VmRSS/ { print $2 }' "/proc/$TEND_PID/status")
	# 300 lists (1.3 MB each) asked for at once by a client that never reads
	(echo "$BASHPID" >"$T/holder.pid" && for i in $(seq 1 300); do echo "service list"; done &&
		exec sleep 1000) 3>&- | socat -u STDIN "UNIX-CONNECT:$RUN/tend.sock" 3>&- &
	track_pid $!
	wait_until test -s "$T/holder.pid"
	track_pid "$(cat "$T/holder.pid")"
	# the first reply is built and waits unread...
	rss_above() { [ "$(awk '/^VmRSS/ { print $2 }' "/proc/$TEND_PID/status")" -gt "$1" ]; }
	wait_until rss_above $((before + 1000))
	# ...tend answers others meanwhile, and holds at most a few replies
	for i in $(seq 1 20); do tctl ping >/dev/null; done
	# a client that sends its last request and shuts down its side while a
	# long reply is still unsent gets every answer
	run bash -c "printf 'service list\nping\n' | socat - UNIX-CONNECT:$RUN/tend.sock | grep -c '^OK'"
	assert_output 2
	# the peak (VmHWM): replies built and dropped at once would not show in RSS
	local peak
	peak=$(awk '/^VmHWM/ { print $2 }' "/proc/$TEND_PID/status")
	echo "RSS $before kB, peak $peak kB" >&2
	# 300 replies built at once would be 390 MB; a few are 4 MB (and what
	# the sanitizer build keeps of freed memory, some 30 MB)
	[ "$peak" -lt $((before + 100 * 1024)) ]
}
