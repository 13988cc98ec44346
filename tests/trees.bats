#!/usr/bin/env bats
# Whole trees: stopping a process ends every descendant, however it got away,
# with cgroup tracking (root, writable cgroup2) and with ancestry tracking.

load helpers

setup() { tend_setup; }
teardown() { tend_teardown; }

# A process whose descendants try every way out: a plain child, a child in a
# new process group, a grandchild in a new session, and a double-forked
# grandchild (re-parented to tend once its parent exits). Each writes its
# pid to $T/escapees.
escapees_conf() {
	cat >"$T/tree.sh" <<'SH'
#!/bin/sh
out=$1
sleep 1001 & echo $! >>"$out"
setsid sh -c 'sleep 1002 & echo $! >>"$1"; wait' sh "$out" &
(sh -c 'sleep 1003 & echo $! >>"$1"' sh "$out" &)
perl -e 'setpgrp(0,0); exec qw(sleep 1004)' & echo $! >>"$out"
exec sleep 1000
SH
	chmod +x "$T/tree.sh"
	conf 10-trees.conf <<EOF
group "g" {
	process "tree" { command = "$T/tree.sh $T/escapees" }
	process "bystander" { command = "sleep 1005" }
}
EOF
}

escapees_running() {
	[ -f "$T/escapees" ] && [ "$(wc -l <"$T/escapees")" -eq 4 ] || return 1
	while read -r pid; do alive "$pid" || return 1; done <"$T/escapees"
}

all_escapees_gone() {
	while read -r pid; do gone "$pid" || return 1; done <"$T/escapees"
}

descendants_listed() {
	local listed
	listed=$(status_json | jq -r '.groups[] | select(.name=="g") | .processes[]
		| select(.name=="tree") | .descendants[]')
	for pid in $(cat "$T/escapees"); do
		echo "$listed" | grep -qx "$pid" || return 1
	done
}

check_whole_tree_stop() {
	escapees_conf
	start_tend "$@"
	wait_until escapees_running
	while read -r pid; do track_pid "$pid"; done <"$T/escapees"
	# The double-forked one is an orphan now: tend (a subreaper) adopted it.
	wait_until descendants_listed
	bystander=$(pid_of g bystander)
	run tctl stop g/tree
	assert_success
	all_escapees_gone
	alive "$bystander"
	[ "$(state g tree)" = stopped ]
}

@test "ancestry tracking: stopping a process ends double-forked, setsid and setpgid descendants" {
	command -v perl >/dev/null || skip "perl is not installed (used to call setpgid)"
	check_whole_tree_stop --tracking=ancestry
	run tctl status
	assert_output --partial "tracking: ancestry"
}

@test "cgroup tracking: stopping a process ends double-forked, setsid and setpgid descendants" {
	command -v perl >/dev/null || skip "perl is not installed (used to call setpgid)"
	cgroup_v2_writable || skip "no writable cgroup v2 hierarchy here (needs root and a cgroup2 mount)"
	check_whole_tree_stop --tracking=cgroup
	run tctl status
	assert_output --partial "tracking: cgroup"
	# Each process has its own cgroup below tend's.
	root=$(tctl status | sed -n 's/^tracking: cgroup //p')
	[ -d "$root/default/g/bystander" ]
	grep -qx "$(pid_of g bystander)" "$root/default/g/bystander/cgroup.procs"
}

@test "cgroup tracking: tend removes its cgroups when it exits" {
	cgroup_v2_writable || skip "no writable cgroup v2 hierarchy here (needs root and a cgroup2 mount)"
	conf 10-a.conf <<EOF
group "g" { process "p" { command = "sleep 1000" } }
EOF
	start_tend --tracking=cgroup
	root=$(tctl status | sed -n 's/^tracking: cgroup //p')
	[ -d "$root" ]
	kill -TERM "$TEND_PID"
	wait_until gone "$TEND_PID"
	[ ! -d "$root" ]
}

@test "a process that exits leaves no descendants behind when it is restarted" {
	# The leftover is a shell in a session of its own, so that only the
	# TEND_PROCESS tag in its environment ties it to leaky, with a sleep
	# below it. It writes both pids once it runs there and has forked the
	# sleep; leaky exits only then, not while the shell may still be in
	# leaky's session or in the middle of its exec (no environment to read).
	cat >"$T/leaky.sh" <<'SH'
#!/bin/sh
setsid sh -c 'sleep 1000 & echo $$ $! >>"$1"; wait' sh "$1" &
while [ ! -s "$1" ]; do sleep 0.05; done
exit 1
SH
	chmod +x "$T/leaky.sh"
	conf 10-a.conf <<EOF
group "g" {
	process "leaky" { command = "$T/leaky.sh $T/leftover" restart-limit = 0 }
}
EOF
	start_tend --tracking=ancestry
	wait_until state_is failed g leaky
	read -r shell sleeper <"$T/leftover"
	track_pid "$shell"
	track_pid "$sleeper"
	wait_until gone "$shell"
	wait_until gone "$sleeper"
}

@test "the group's whole tree is gone after tendctl stop GROUP" {
	cat >"$T/a.sh" <<'SH'
#!/bin/sh
setsid sh -c 'sleep 1000 & echo $! >>"$1"' sh "$1" &
exec sleep 1000
SH
	cat >"$T/b.sh" <<'SH'
#!/bin/sh
sleep 1000 & echo $! >>"$1"
exec sleep 1000
SH
	chmod +x "$T/a.sh" "$T/b.sh"
	conf 10-a.conf <<EOF
group "g" {
	process "a" { command = "$T/a.sh $T/gc" }
	process "b" { command = "$T/b.sh $T/gc" }
}
EOF
	start_tend
	wait_until has_lines "$T/gc" 2
	while read -r pid; do track_pid "$pid"; done <"$T/gc"
	run tctl stop g
	assert_success
	while read -r pid; do gone "$pid"; done <"$T/gc"
}

# descendants_of GROUP PROCESS: the pids status lists under it, one per line
descendants_of() {
	status_json | jq -r --arg g "$1" --arg p "$2" \
		'.groups[] | select(.name==$g) | .processes[] | select(.name==$p) | .descendants[]'
}
lists() { descendants_of "$1" "$2" | grep -qx "$3"; } # lists GROUP PROCESS PID

@test "kill-mode = main leaves what the main process started (a session) running and listed" {
	conf 10-a.conf <<EOF
group "g" {
	process "sshd" {
		command      = "sh -c 'sleep 1000 & echo \$! >> $T/sessions; exec sleep 1000'"
		kill-mode    = main
		restart-delay = 10ms
	}
}
EOF
	start_tend
	wait_until has_lines "$T/sessions" 1
	first=$(sed -n 1p "$T/sessions")
	track_pid "$first"
	wait_until lists g sshd "$first"
	old=$(pid_of g sshd)
	kill -KILL "$old"
	wait_until pid_changed g sshd "$old"
	wait_until has_lines "$T/sessions" 2
	second=$(sed -n 2p "$T/sessions")
	track_pid "$second"
	alive "$first"
	wait_until lists g sshd "$first"
	run tctl stop g
	assert_success
	[ "$(state g sshd)" = stopped ]
	alive "$first"
	alive "$second"
	lists g sshd "$first"
	lists g sshd "$second"
}

sshd_conf() { # sshd_conf VERSION
	conf 10-a.conf <<EOF
group "g" {
	process "sshd" {
		command     = "sh -c 'sleep 1000 & echo \$! >> $T/sessions; exec sleep 1000'"
		kill-mode   = main
		environment = { "V=$1" }
	}
}
EOF
}

@test "cgroup tracking: what kill-mode = main left is moved aside, not shared with a new declaration" {
	cgroup_v2_writable || skip "no writable cgroup v2 hierarchy here (needs root and a cgroup2 mount)"
	sshd_conf 1
	start_tend --tracking=cgroup
	root=$(tctl status | sed -n 's/^tracking: cgroup //p')
	wait_until has_lines "$T/sessions" 1
	first=$(sed -n 1p "$T/sessions")
	track_pid "$first"
	old=$(pid_of g sshd)
	sshd_conf 2
	run tctl reload
	assert_success
	wait_until pid_changed g sshd "$old"
	wait_until has_lines "$T/sessions" 2
	track_pid "$(sed -n 2p "$T/sessions")"
	new=$(pid_of g sshd)
	alive "$first"
	# The new declaration's cgroup holds its own processes only.
	[ "$(sed -n 's/^0:://p' "/proc/$new/cgroup")" != "$(sed -n 's/^0:://p' "/proc/$first/cgroup")" ]
	[ -n "$root" ]
	grep -qx "$new" "$root/default/g/sshd/cgroup.procs"
	run ! grep -qx "$first" "$root/default/g/sshd/cgroup.procs"
	grep -qx "$first" "$root/default/g/sshd.left-1/cgroup.procs"
	# status lists the new session, and not the one left behind
	wait_until lists g sshd "$(sed -n 2p "$T/sessions")"
	run ! lists g sshd "$first"
	grep -q "g/sshd: what it left running stays, in cgroup $root/default/g/sshd.left-1" "$T/tend.out"
}

@test "kill-mode = mixed asks the main process alone, then ends the whole tree" {
	# The child says so if it is ever asked (SIGTERM); killed, it cannot.
	cat >"$T/child.sh" <<'SH'
#!/bin/sh
trap 'echo child >> "$1"; exit 0' TERM
# (wait, not a foreground sleep: the trap runs the moment TERM comes)
while :; do sleep 1 & wait $!; done
SH
	chmod +x "$T/child.sh"
	# The main takes a moment to exit when asked: a child asked too would
	# have the time to say so before the SIGKILL that follows the main's end.
	conf 10-a.conf <<EOF
group "g" {
	process "pg" {
		command   = "sh -c 'trap \"echo term >> $T/got; sleep 0.2; exit 0\" TERM; $T/child.sh $T/got & echo \$! > $T/child; wait'"
		kill-mode = mixed
	}
}
EOF
	start_tend
	wait_until test -s "$T/child"
	child=$(cat "$T/child")
	track_pid "$child"
	run tctl stop g
	assert_success
	[ "$(state g pg)" = stopped ]
	gone "$child"
	# Only the main process was asked (the shell's trap ran once), and
	# its child was killed, not asked (its trap never ran): SIGKILL once
	# the main had gone.
	[ "$(cat "$T/got")" = term ]
	grep -q "g/pg: main process gone; SIGKILL to the rest of its tree (kill-mode = mixed)" "$T/tend.out"
}

# The probe of issue 16: each service costs tend a pipe and a log file, so
# 20 of them under `ulimit -n 40` leave it without descriptors. It must
# still read the trees (it keeps two in reserve), never take one it could
# not read for empty, and say which logs it cannot write.
check_stop_out_of_descriptors() {
	mkdir "$T/started"
	for i in $(seq 1 20); do
		conf "$i.conf" <<CONF
group "g$i" { process "p" { command = "sh -c 'echo \$\$ >$T/started/$i; echo hello; exec sleep 1000'" } }
CONF
	done
	(
		ulimit -n 40
		exec "$TEND" -c "$CONF" -r "$RUN" "$@"
	) >"$T/tend.out" 2>&1 &
	TEND_PID=$!
	echo "$TEND_PID" >>"$T/tends"
	all_started() { [ "$(ls "$T/started" | wc -l)" -eq 20 ]; }
	wait_until all_started
	for f in "$T"/started/*; do track_pid "$(cat "$f")"; done
	wait_until grep -q 'cannot write its log .*(Too many open files)' "$T/tend.out"
	kill -TERM "$TEND_PID"
	wait_for_exit "$TEND_PID"
	[ "$status" -eq 0 ]
	for f in "$T"/started/*; do
		wait_until gone "$(cat "$f")"
	done
	! grep -q 'giving up' "$T/tend.out"
}

@test "out of descriptors, a stop still ends every tree (ancestry)" {
	check_stop_out_of_descriptors --tracking=ancestry
}

@test "out of descriptors, a stop still ends every tree (cgroup)" {
	cgroup_v2_writable || skip "no writable cgroup v2 hierarchy here"
	check_stop_out_of_descriptors --tracking=cgroup
}
