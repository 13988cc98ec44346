#!/usr/bin/env bats
# tendctl run: a command launched as a transient group of its own, removed
# once it has ended; and the views of status: trees by ppid, adopted
# orphans, tenants.

load helpers

setup() {
	tend_setup
	conf 10-base.conf <<CONF
group "base" { process "p" { command = "sleep 1000" } }
CONF
}
teardown() { tend_teardown; }

groups_now() { status_json | jq -r '[.groups[].name] | join(",")'; }
has_group() { status_json | jq -e --arg g "$1" 'any(.groups[]; .name == $g)'; }
no_group() { ! has_group "$1"; }

# tree_pids GROUP: every pid of the tree of the group's first process,
# with "a" after an adopted one ("123a 456").
tree_pids() {
	status_json | jq -r --arg g "$1" '.groups[] | select(.name==$g) | .processes[0].tree
		| [.[] | recurse(.children[]) | "\(.pid)\(if .adopted then "a" else "" end)"] | join(" ")'
}

# pids_adopted GROUP FILE: each pid in FILE is in the group's tree, adopted.
pids_adopted() {
	local tree pid
	tree=" $(tree_pids "$1") "
	while read -r pid; do [[ $tree == *" ${pid}a "* ]] || return 1; done <"$2"
}

all_alive() { while read -r pid; do alive "$pid" || return 1; done <"$1"; }
all_gone() { while read -r pid; do gone "$pid" || return 1; done <"$1"; }

# UProcman's "detached fork" test app: a nohup'ed child in the background,
# then exec setsid (which forks, since tend made the script a process
# group leader: the script's pid exits at once). Both record their pids.
detached_fork_app() {
	cat >"$T/detach.sh" <<'SH'
#!/bin/sh
nohup sleep 1000 >/dev/null 2>&1 &
echo $! >>"$1"
exec setsid sh -c 'echo $$ >>"$1"; exec sleep 1001' sh "$1"
SH
	chmod +x "$T/detach.sh"
}

check_detached_fork() {
	detached_fork_app
	start_tend "$@"
	run tctl run --tenant acme -- "$T/detach.sh" "$T/pids.detached"
	assert_success
	assert_output run-1
	wait_until has_lines "$T/pids.detached" 2
	while read -r pid; do track_pid "$pid"; done <"$T/pids.detached"
	wait_until all_alive "$T/pids.detached"
	# the script itself exited 0; what it left is the group's tree
	wait_until state_is stopped run-1 detach.sh
	wait_until pids_adopted run-1 "$T/pids.detached"
	run tctl status --tenant acme
	assert_success
	assert_line --index 0 "run-1 running transient tenant acme"
	for pid in $(cat "$T/pids.detached"); do
		assert_line "    + $pid sleep (adopted)"
	done
	[ "$(status_json | jq -r '.groups[] | select(.name=="run-1") | .tenant')" = acme ]
	run tctl stop run-1
	assert_success
	all_gone "$T/pids.detached"
	wait_until no_group run-1
	[ "$(groups_now)" = base ]
}

@test "run of a detached fork shows both processes in the tenant's tree; stop leaves nothing (ancestry)" {
	check_detached_fork --tracking=ancestry
}

@test "run of a detached fork shows both processes in the tenant's tree; stop leaves nothing (cgroup)" {
	cgroup_v2_writable || skip "no writable cgroup v2 hierarchy here (needs root and a cgroup2 mount)"
	check_detached_fork --tracking=cgroup
}

@test "a command that starts a child and kills itself leaves the child listed as adopted under its group" {
	# UProcman's "zombie" test app
	cat >"$T/zombie.sh" <<'SH'
#!/bin/sh
sleep 1000 &
echo $! >"$1"
kill -KILL $$
SH
	chmod +x "$T/zombie.sh"
	start_tend
	run tctl run --tenant beta --group z -- "$T/zombie.sh" "$T/child"
	assert_success
	assert_output z
	wait_until test -s "$T/child"
	track_pid "$(cat "$T/child")"
	wait_until state_is failed z zombie.sh
	[ "$(process_field z zombie.sh last_signal)" = 9 ]
	[ "$(process_field z zombie.sh pid)" = null ]
	wait_until pids_adopted z "$T/child"
	local child
	child=$(cat "$T/child")
	status_json | jq -e --argjson c "$child" '.groups[] | select(.name=="z") | .processes[0]
		| (.descendants == [$c]) and (.tree[0].ppid != $c) and .tree[0].comm == "sleep"'
	run tctl status z
	assert_output --partial "+ $child sleep (adopted)"
	alive "$child"
	run tctl stop z
	assert_success
	gone "$child"
	wait_until no_group z
}

@test "run --wait exits with the command's status: 0, 3, 128 + a signal" {
	start_tend
	run tctl run --wait -- true
	assert_success
	assert_line --index 0 run-1
	assert_line --index 1 "run-1 exited 0"
	run tctl run --wait -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	assert_line "run-2 exited 3"
	run tctl run --wait -- sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	assert_line "run-3 killed by SIGTERM"
	run tctl run --wait -- sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
	# a run that another client stops: ended by SIGTERM
	"$TENDCTL" -r "$RUN" run --wait --group long -- sleep 1000 >"$T/long.out" 2>&1 &
	local waiter=$!
	wait_until has_group long
	run tctl stop long
	assert_success
	wait_for_exit "$waiter"
	[ "$status" -eq 143 ]
	grep -qx "long killed by SIGTERM" "$T/long.out"
	tctl ping
}

@test "runs are named run-1, run-2, ... and a name that exists is refused" {
	start_tend
	run tctl run -- sleep 1000
	assert_output run-1
	run tctl run -- sleep 1001
	assert_output run-2
	run tctl status
	assert_line "run-1 running transient"
	assert_line "run-2 running transient"
	assert_line --partial "  sleep            running   pid"
	[ "$(status_json | jq -r '[.groups[] | select(.transient) | .name] | join(",")')" = run-1,run-2 ]
	run tctl run --group run-2 -- true
	assert_failure 1
	assert_output --partial "group run-2 exists"
	run tctl run --group base -- true
	assert_failure 1
	assert_output --partial "group base exists"
	# a name taken by hand is skipped; numbers are not used again
	run tctl run --group run-3 -- sleep 1002
	assert_output run-3
	run tctl stop run-1
	assert_success
	wait_until no_group run-1
	run tctl run -- sleep 1003
	assert_output run-4
	[ "$(groups_now)" = base,run-2,run-3,run-4 ]
}

@test "--restart on-failure restarts a failing command; never (the default) does not" {
	start_tend
	mkdir "$T/work"
	cd "$T/work"
	# fails the first time, succeeds the second
	run tctl run --wait --restart on-failure -- sh -c 'test -e again && exit 0; touch again; exit 4'
	assert_success
	[ -e "$T/work/again" ]
	grep -q "run-1/sh: exited 4" "$T/tend.out"
	grep -q "run-1/sh: exited 0" "$T/tend.out"
	rm "$T/work/again"
	run tctl run --wait -- sh -c 'test -e again && exit 0; touch again; exit 4'
	[ "$status" -eq 4 ]
	# always: restarted after a success too (the third run stays), until stopped
	run tctl run --restart always --group loop -- \
		sh -c 'echo x >>runs; [ "$(wc -l <runs)" -ge 3 ] && exec sleep 1000; exit 0'
	assert_success
	wait_until has_lines "$T/work/runs" 3
	[ "$(restarts_of loop sh)" -eq 2 ]
	run tctl stop loop
	assert_success
	wait_until no_group loop
}

@test "a transient run disappears from status once it has ended, after its exit event" {
	start_tend
	"$TENDCTL" -r "$RUN" events >"$T/events" 2>&1 &
	local ev=$!
	track_pid "$ev"
	# the subscription works once a run of its own shows up
	marker_seen() {
		tctl run -- true >/dev/null
		grep -q 'run-' "$T/events"
	}
	wait_until marker_seen
	run tctl run --group quick -- sh -c 'exit 0'
	assert_success
	wait_until no_group quick
	wait_until grep -q "group quick stopped" "$T/events"
	# the exit came before the group stopped and went
	local exited stopped
	exited=$(grep -n "process quick/sh exited" "$T/events" | cut -d: -f1)
	stopped=$(grep -n "group quick stopped" "$T/events" | cut -d: -f1)
	[ -n "$exited" ] && [ "$exited" -lt "$stopped" ]
	grep -q "group quick: ended; removed" "$T/tend.out"
	kill "$ev"
	# a run whose leftovers live on stays until they end
	run tctl run --group lingering -- \
		sh -c "(while [ ! -e '$T/release' ]; do sleep 0.05; done) & exit 0"
	assert_success
	wait_until state_is stopped lingering sh
	[ "$(status_json | jq '.groups[] | select(.name=="lingering") | .processes[0].descendants | length')" -ge 1 ]
	has_group lingering
	touch "$T/release"
	wait_until no_group lingering
	[ "$(groups_now)" = base ]
}

@test "status groups by tenant when there are several; --tenant filters" {
	start_tend
	run tctl status
	refute_output --partial "tenant "
	run tctl run --tenant acme --group a1 -- sleep 1000
	assert_success
	run tctl run --tenant zeta --group z1 -- sleep 1001
	run tctl run --tenant acme --group a2 -- sleep 1002
	run tctl status
	assert_success
	# default first, then by name; each tenant's groups under it
	[ "$(echo "$output" | grep -E '^(tenant |[a-z0-9]+ (running|stopped))' | cut -d' ' -f1,2 | tr '\n' ,)" = \
		"tenant default:,base running,tenant acme:,a1 running,a2 running,tenant zeta:,z1 running," ]
	run tctl status --tenant acme
	assert_success
	refute_output --partial "tenant acme:"
	assert_line --index 0 "a1 running transient tenant acme"
	refute_output --partial "z1"
	refute_output --partial "base"
	[ "$(tctl status --json --tenant acme | jq -r '[.groups[].name] | join(",")')" = a1,a2 ]
	[ "$(status_json | jq -c '.tenants')" = \
		'[{"name":"default","groups":["base"]},{"name":"acme","groups":["a1","a2"]},{"name":"zeta","groups":["z1"]}]' ]
	[ "$(tctl status --json --tenant=zeta | jq -c '[.tenants, [.groups[].name]]')" = \
		'[[{"name":"zeta","groups":["z1"]}],["z1"]]' ]
	run tctl status --tenant acme a1
	assert_success
	run tctl status --tenant acme z1
	assert_failure 1
	assert_output --partial "not tenant acme's"
	run tctl status --tenant nobody
	assert_success
	assert_output --partial "tracking:"
	run tctl status --tenant 'a/b'
	assert_failure 1
}

@test "a process's descendants are a tree by parent" {
	conf 20-tree.conf <<CONF
group "t" {
	process "top" { command = "sh -c 'sh -c \"sleep 1000 & echo \\\\\$! >$T/gc; wait\" & echo \$! >$T/c; wait'" }
}
CONF
	start_tend
	wait_until test -s "$T/gc"
	wait_until test -s "$T/c"
	local c gc
	c=$(cat "$T/c")
	gc=$(cat "$T/gc")
	run tctl status t
	assert_line "    + $c sh"
	assert_line "      + $gc sleep"
	status_json | jq -e --argjson c "$c" --argjson gc "$gc" '.groups[] | select(.name=="t")
		| .processes[0] | .tree == [{"pid":$c,"ppid":.pid,"comm":"sh","adopted":false,
		  "children":[{"pid":$gc,"ppid":$c,"comm":"sleep","adopted":false,"children":[]}]}]
		  and .descendants == [$c,$gc]'
}

@test "run arguments keep spaces, quotes and newlines; directory and environment" {
	start_tend
	mkdir -p "$T/here dir"
	cd "$T/here dir"
	run tctl run --wait --env 'GREETING=hello  world' --group args -- \
		sh -c 'printf "[%s]\n" "$@" >args.out; pwd >>args.out; echo "$GREETING" >>args.out' sh \
		'a b' "it's" '"dq"' $'two\nlines' '' '$HOME' '\x'
	assert_success
	printf '%s\n' '[a b]' "[it's]" '["dq"]' '[two' 'lines]' '[]' '[$HOME]' '[\x]' \
		"$T/here dir" 'hello  world' >"$T/want"
	diff "$T/want" "$T/here dir/args.out"
	# --directory elsewhere, relative to tendctl's
	mkdir "$T/other"
	run tctl run --wait --directory ../other -- sh -c 'pwd >where'
	assert_success
	[ "$(cat "$T/other/where")" = "$T/other" ]
}

@test "bad run requests are errors and tend stays up" {
	start_tend
	run tctl run
	assert_failure 2
	assert_output --partial "usage: run"
	run tctl run --bogus -- true
	assert_failure 2
	run tctl run --restart sometimes -- true
	assert_failure 1
	assert_output --partial "bad --restart sometimes"
	run tctl run --tenant 'a b' -- true
	assert_failure 1
	assert_output --partial "invalid tenant name"
	run tctl run --group local -- true
	assert_failure 1
	run tctl run --env '=x' -- true
	assert_failure 1
	assert_output --partial "bad --env"
	run tctl run --directory /nonexistent/dir -- true
	assert_failure 1
	assert_output --partial "cannot start"
	run tctl run --restart always -- "$T/no such command"
	assert_failure 1
	assert_output --partial "cannot start $T/no such command: No such file or directory"
	# nothing is left of them, and the daemon answers
	wait_until_quiet 5 bash -c "[ \"\$('$TENDCTL' -r '$RUN' status --json | jq '.groups | length')\" = 1 ]"
	[ "$(groups_now)" = base ]
	# a raw request with an unterminated $' quote
	run bash -c "printf '%s\n' \"run -- echo \\\$'x\" | socat - UNIX-CONNECT:$RUN/tend.sock"
	assert_output --partial "ERR bad request: unterminated \$' quote"
	tctl ping
}

@test "run --wait is answered when tend shuts down" {
	start_tend
	"$TENDCTL" -r "$RUN" run --wait --group w -- sleep 1000 >"$T/w.out" 2>&1 &
	local waiter=$!
	wait_until state_is running w sleep
	kill -TERM "$TEND_PID"
	wait_for_exit "$waiter"
	[ "$status" -eq 143 ]
	grep -qx "w killed by SIGTERM" "$T/w.out"
	wait_until gone "$TEND_PID"
}

@test "logs -f of a run ends when the run has ended" {
	start_tend
	mkdir "$T/work"
	cd "$T/work"
	run tctl run --group lf -- sh -c 'echo hello; while [ ! -e go ]; do sleep 0.05; done; echo bye'
	assert_success
	"$TENDCTL" -r "$RUN" logs -f lf >"$T/follow" 2>&1 &
	local follower=$!
	track_pid "$follower"
	wait_until grep -q "hello" "$T/follow"
	touch go
	wait_for_exit "$follower"
	assert_success
	grep -q "sh: .*bye" "$T/follow"
	grep -qx "group lf has ended" "$T/follow"
}
