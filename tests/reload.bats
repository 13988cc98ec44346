#!/usr/bin/env bats
# Reload: conf.d edits are followed (inotify, SIGHUP, tendctl reload); only
# what changed is touched; invalid declarations change nothing.

load helpers

setup() {
	tend_setup
	conf 10-a.conf <<CONF
group "a" { process "p" { command = "sleep 1001" } }
CONF
	conf 20-b.conf <<CONF
group "b" { process "p" { command = "sleep 1002" } }
CONF
}
teardown() { tend_teardown; }

# Reloads that tend finished (applied or rejected), from its log.
reloads() { grep -c -E '^tend: (reload: [0-9]+ added|error: reload: .*nothing changed)' "$T/tend.out" || true; }
more_reloads_than() { [ "$(reloads)" -gt "$1" ]; }

start_both() {
	start_tend
	wait_until state_is running a
	wait_until state_is running b
	a=$(pid_of a p)
	b=$(pid_of b p)
}

@test "editing a file restarts only the changed group" {
	start_both
	n=$(reloads)
	conf 20-b.conf <<CONF
group "b" { process "p" { command = "sleep 2002" } }
CONF
	wait_until more_reloads_than "$n"
	wait_until pid_changed b p "$b"
	wait_until state_is running b
	[ "$(pid_of a p)" = "$a" ]
	gone "$b"
	grep -q "restarting b with its new declaration" "$T/tend.out" ||
		grep -q "1 restarted" "$T/tend.out"
}

@test "adding a file starts its group; removing one stops its group's whole tree" {
	start_both
	n=$(reloads)
	conf 30-c.conf <<CONF
group "c" { process "p" { command = "sh -c 'sleep 1003 & echo \$! > $T/child; exec sleep 1004'" } }
CONF
	wait_until more_reloads_than "$n"
	wait_until state_is running c
	wait_until test -s "$T/child"
	child=$(cat "$T/child")
	track_pid "$child"
	n=$(reloads)
	rm "$CONF/30-c.conf"
	wait_until more_reloads_than "$n"
	no_group_c() { [ -z "$(status_json | jq -r '.groups[] | select(.name=="c") | .name')" ]; }
	wait_until no_group_c
	wait_until gone "$child"
	[ "$(pid_of a p)" = "$a" ]
	[ "$(pid_of b p)" = "$b" ]
}

@test "an invalid edit changes nothing and says path:line; fixing it applies" {
	start_both
	run tctl reload
	assert_success
	n=$(reloads)
	conf 20-b.conf <<CONF
group "b" {
	process "p" { command = "sleep 2002"
		restart-delay = soon }
}
CONF
	run tctl reload
	assert_failure 1
	assert_line --index 0 --partial "$CONF/20-b.conf:3: restart-delay: invalid value"
	assert_line "tendctl: declarations are invalid; nothing changed"
	grep -q "reload: $CONF/20-b.conf:3: " "$T/tend.out"
	[ "$(pid_of a p)" = "$a" ]
	[ "$(pid_of b p)" = "$b" ]
	# The edit's own reload (inotify) is over too: it would otherwise
	# read the fix below and leave tendctl reload nothing to restart.
	wait_until more_reloads_than $((n + 1))
	conf 20-b.conf <<CONF
group "b" { process "p" { command = "sleep 2002" } }
CONF
	run tctl reload
	assert_success
	assert_output --partial "1 restarted"
	wait_until pid_changed b p "$b"
	[ "$(pid_of a p)" = "$a" ]
}

@test "an edit written to a temporary file and renamed into place is seen" {
	start_both
	n=$(reloads)
	printf 'group "b" { process "p" { command = "sleep 3002" } }\n' >"$CONF/.20-b.conf.tmp"
	mv "$CONF/.20-b.conf.tmp" "$CONF/20-b.conf"
	wait_until more_reloads_than "$n"
	wait_until pid_changed b p "$b"
	[ "$(pid_of a p)" = "$a" ]
}

@test "a renamed file with the same declarations changes nothing" {
	start_both
	run tctl reload
	assert_success
	mv "$CONF/20-b.conf" "$CONF/15-b.conf"
	run tctl reload
	assert_success
	assert_output "reload applied: 0 added, 0 restarted, 0 updated in place, 0 removed, 2 unchanged"
	[ "$(pid_of a p)" = "$a" ]
	[ "$(pid_of b p)" = "$b" ]
}

@test "a change of restart settings only is applied in place" {
	start_both
	conf 20-b.conf <<CONF
group "b" { process "p" { command = "sleep 1002" restart-limit = 1 restart-delay = 10ms } }
CONF
	run tctl reload
	assert_success
	assert_output --partial "1 updated in place"
	[ "$(pid_of b p)" = "$b" ]
	# The new limit applies: two quick exits make it unstable.
	kill "$b"
	wait_until pid_changed b p "$b"
	kill "$(pid_of b p)"
	wait_until state_is failed b p
}

@test "SIGHUP reloads" {
	start_both
	conf 30-c.conf <<CONF
group "c" { process "p" { command = "sleep 1005" } }
CONF
	n=$(reloads)
	kill -HUP "$TEND_PID"
	wait_until more_reloads_than "$n"
	wait_until state_is running c
}

@test "a burst of edits is coalesced into few reloads and ends in the last state" {
	start_both
	n=$(reloads)
	for i in $(seq 1 30); do
		printf 'group "b" { process "p" { command = "sleep %d" } }\n' $((5000 + i)) >"$CONF/20-b.conf"
	done
	wait_until more_reloads_than "$n"
	last_applied() { [ "$(ps -o args= -p "$(pid_of b p)")" = "sleep 5030" ]; }
	wait_until last_applied
	[ $(($(reloads) - n)) -lt 10 ]
	[ "$(pid_of a p)" = "$a" ]
}

@test "a group stopped by hand stays stopped when its declaration changes" {
	start_both
	run tctl stop b
	assert_success
	conf 20-b.conf <<CONF
group "b" { process "p" { command = "sleep 6002" } }
CONF
	run tctl reload
	assert_success
	wait_until state_is stopped b
	[ "$(pid_of b p)" = null ]
	run tctl start b
	assert_success
	[ "$(ps -o args= -p "$(pid_of b p)")" = "sleep 6002" ]
}

@test "a removed group that is still stopping is listed as retiring" {
	# On SIGTERM, b/p stays until the test has seen b retiring ($T/go).
	conf 20-b.conf <<CONF
group "b" { process "p" { command = "sh -c 'trap \"while [ ! -e $T/go ]; do sleep 0.05; done; exit 0\" TERM; sleep 1000 & wait'" } }
CONF
	start_both
	rm "$CONF/20-b.conf"
	run tctl reload
	assert_success
	run status_json
	touch "$T/go"
	echo "$output" | jq -e '.retiring[0].name == "b" and .retiring[0].state == "stopping"'
	echo "$output" | jq -e '[.groups[].name] == ["a"]'
	empty_retiring() { [ "$(status_json | jq '.retiring | length')" = 0 ]; }
	wait_until empty_retiring
	gone "$b"
}

@test "a start after a stop still waits for the old declaration; two never share a cgroup" {
	cgroup_v2_writable || skip "needs root and a writable cgroup2 hierarchy"
	# On SIGTERM the old declaration's process stays until the test has
	# seen the new one held back ($T/go), then ends.
	conf 30-g.conf <<CONF
group "g" { process "p" { command = "sh -c 'trap \"while [ ! -e $T/go ]; do sleep 0.05; done; exit 0\" TERM; sleep 1000 & wait'" } }
CONF
	start_tend --tracking=cgroup
	wait_until state_is running g p
	old=$(pid_of g p)
	conf 30-g.conf <<CONF
group "g" { process "p" { command = "sh -c 'trap \"while [ ! -e $T/go ]; do sleep 0.05; done; exit 0\" TERM; sleep 1000 & wait'" environment = { "V=2" } } }
CONF
	run tctl reload
	assert_success
	run tctl stop g
	assert_success
	assert_output --partial "group g will not start"
	run tctl start g
	assert_success
	assert_output --partial "group g starts once its old declaration stopped"
	run tctl restart g
	assert_success
	assert_output --partial "group g starts once its old declaration stopped"
	grep -q "control: stop g" "$T/tend.out"
	# Held back: not started while the old one still runs in g's cgroup.
	[ "$(pid_of g p)" = null ]
	status_json | jq -e '.retiring[0].name == "g" and .retiring[0].state == "stopping"'
	alive "$old"
	touch "$T/go"
	wait_until state_is running g p
	new=$(pid_of g p)
	wait_until gone "$old"
	empty_retiring() { [ "$(status_json | jq '.retiring | length')" = 0 ]; }
	wait_until empty_retiring
	# The new declaration was started once, after the old one had gone.
	[ "$(pid_of g p)" = "$new" ]
	[ "$(restarts_of g p)" = 0 ]
	run tctl status --json g
	echo "$output" | jq -e --argjson old "$old" '.groups[0].processes[0].descendants | index($old) == null'
	# Never side by side: the old declaration was gone before the new one's
	# process started (its only start).
	gone_at=$(grep -n "^tend: group g: gone$" "$T/tend.out" | cut -d: -f1)
	started_at=$(grep -n "^tend: g/p: started (pid $new)$" "$T/tend.out" | cut -d: -f1)
	[ -n "$gone_at" ]
	[ -n "$started_at" ]
	[ "$gone_at" -lt "$started_at" ]
}

@test "a reload while an autostart group is still starting does not crash tend" {
	# "slow" never says it is ready, so startup has not finished when the
	# reload replaces group a.
	conf 30-slow.conf <<CONF
group "slow" { process "p" { command = "sleep 1000"  ready = notify  ready-timeout = 1h } }
CONF
	start_tend
	wait_until state_is running a
	wait_until state_is starting slow
	old=$(pid_of a p)
	conf 10-a.conf <<CONF
group "a" { process "p" { command = "sleep 1001" environment = { "V=2" } } }
CONF
	run tctl reload
	assert_success
	assert_output --partial "1 restarted"
	wait_until pid_changed a p "$old"
	wait_until state_is running a
	run tctl ping
	assert_success
	alive "$TEND_PID"
}

@test "a file rewritten in place without pause is not read empty by the forced reload" {
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "sleep 1000" } }
CONF
	start_tend
	wait_until state_is running g p
	pid=$(pid_of g p)
	# Truncate, write 20 ms later, again, for longer than the 2 s after
	# which a reload is forced while conf.d is still changing. One python
	# process, not a fork per step: the file must not stay empty for the
	# 100 ms of quiet after which an empty file is taken as meant; and
	# ahead of the other processes (root may raise its priority) for the
	# same reason.
	priority=()
	[ "$(id -u)" -eq 0 ] && priority=(nice -n -10)
	"${priority[@]}" python3 - "$CONF/10-a.conf" <<'PY'
import sys, time
path = sys.argv[1]
content = open(path, "rb").read()
end = time.monotonic() + 4
while time.monotonic() < end:
    with open(path, "wb") as f:
        f.flush()
        time.sleep(0.02)
        f.write(content)
PY
	wait_until grep -q 'conf.d: 10-a.conf is empty while conf.d is being written' "$T/tend.out"
	wait_until grep -q 'reload: .*unchanged' "$T/tend.out"
	[ "$(pid_of g p)" = "$pid" ]
	! grep -q 'group g: stopping' "$T/tend.out"
}
