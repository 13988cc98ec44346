#!/usr/bin/env bats
# Supervision: start order, restarts, restart windows, critical and dependent.

load helpers

setup() { tend_setup; }
teardown() { tend_teardown; }

@test "a killed process comes back with a new pid" {
	conf 10-a.conf <<EOF
group "g" { process "sleeper" { command = "sleep 1000" restart-delay = 10ms } }
EOF
	start_tend
	wait_until state_is running g sleeper
	old=$(pid_of g sleeper)
	kill -KILL "$old"
	wait_until pid_changed g sleeper "$old"
	new=$(pid_of g sleeper)
	alive "$new"
	gone "$old"
	[ "$(restarts_of g sleeper)" = 1 ]
	grep -q "g/sleeper: killed by SIGKILL" "$T/tend.out"
}

@test "processes start in declaration order; a oneshot finishes before the next starts" {
	conf 10-a.conf <<EOF
group "g" {
	process "first"  { type = oneshot  command = "sh -c 'while [ ! -e $T/go ]; do sleep 0.05; done; echo first >> $T/order'" }
	process "second" { command = "sh -c 'echo second >> $T/order; exec sleep 1000'" }
	process "third"  { command = "sh -c 'echo third >> $T/order; exec sleep 1000'" }
}
EOF
	start_tend
	# While the oneshot runs, nothing after it has been started (tend would
	# have started them together with it, in the same step).
	wait_until state_is starting g first
	[ "$(state g second)" = stopped ]
	[ "$(state g third)" = stopped ]
	[ ! -e "$T/order" ]
	touch "$T/go"
	wait_until state_is running g
	wait_until has_lines "$T/order" 3
	# The oneshot finished (wrote its line) before anything else started.
	[ "$(head -n 1 "$T/order")" = first ]
	[ "$(state g first)" = done ]
	# The others were started in declaration order (their own output may
	# interleave: they run side by side once started).
	run grep -o -E 'g/(first|second|third): started' "$T/tend.out"
	assert_output "$(printf 'g/first: started\ng/second: started\ng/third: started')"
}

@test "more than restart-limit exits inside restart-window mark a process failed" {
	conf 10-a.conf <<EOF
group "g" {
	process "crash" { command = "sh -c 'echo run >> $T/runs; exit 3'"
		restart-limit = 2  restart-window = 1m  restart-delay = 10ms }
	process "other" { command = "sleep 1000" }
}
EOF
	start_tend
	wait_until state_is failed g crash
	[ "$(wc -l <"$T/runs")" = 3 ] # the first run and two restarts
	[ "$(restarts_of g crash)" = 2 ]
	[ "$(state g)" = running ] # not critical: the group stays up
	[ "$(state g other)" = running ]
	grep -q "g/crash: unstable" "$T/tend.out"
	# tendctl start gives it a fresh window.
	run tctl start --no-wait g/crash
	assert_success
	wait_until has_lines "$T/runs" 4
}

@test "an unstable critical process takes its group down and marks it failed" {
	conf 10-a.conf <<EOF
group "g" {
	process "helper" { command = "sleep 1000" }
	process "db" { command = "sh -c 'exit 1'" critical = true restart-limit = 1 restart-delay = 10ms }
}
group "bystander" { process "b" { command = "sleep 1000" } }
EOF
	start_tend
	wait_until state_is running bystander
	bystander=$(pid_of bystander b)
	wait_until state_is failed g
	[ "$(state g helper)" = stopped ]
	[ "$(state g db)" = failed ]
	[ "$(pid_of g helper)" = null ]
	[ "$(pid_of bystander b)" = "$bystander" ]
	grep -q "critical process db failed" "$T/tend.out"
	# It stays down until asked; asked, it starts again (and fails again).
	run tctl start g
	assert_success
	wait_until state_is failed g
	grep -c "critical process db failed" "$T/tend.out" | grep -qx 2
}

@test "a dependent process's failure restarts its group in order" {
	conf 10-a.conf <<EOF
group "g" {
	process "a" { command = "sh -c 'echo a >> $T/order; exec sleep 1000'" }
	process "b" { command = "sh -c 'echo b >> $T/order; exec sleep 1000'" dependent = true restart-delay = 10ms }
	process "c" { command = "sh -c 'echo c >> $T/order; exec sleep 1000'" }
}
EOF
	start_tend
	wait_until state_is running g
	wait_until has_lines "$T/order" 3
	a=$(pid_of g a)
	c=$(pid_of g c)
	kill -TERM "$(pid_of g b)"
	wait_until pid_changed g a "$a"
	wait_until state_is running g
	wait_until has_lines "$T/order" 6
	run grep -o -E 'g/[abc]: started' "$T/tend.out"
	assert_output "$(printf 'g/%s: started\n' a b c a b c)"
	gone "$a"
	gone "$c"
	grep -q "dependent process b exited; restarting the group" "$T/tend.out"
}

@test "restart policies: on-failure leaves a clean exit alone, never restarts nothing" {
	conf 10-a.conf <<EOF
group "g" {
	process "clean" { command = "true" restart = on-failure }
	process "never" { command = "false" restart = never }
	process "keep"  { command = "sleep 1000" }
}
EOF
	start_tend
	wait_until state_is stopped g clean
	wait_until state_is failed g never
	[ "$(restarts_of g clean)" = 0 ]
	[ "$(restarts_of g never)" = 0 ]
	[ "$(state g keep)" = running ]
}

@test "command quoting, working directory and environment reach the process" {
	mkdir "$T/work dir"
	conf 10-a.conf <<EOF
group "g" {
	process "env" {
		type = oneshot
		command = "sh -c 'pwd > out; echo \"\$GREETING\" >> out; echo \"\$TEND_PROCESS\" >> out; echo \"\$HOME\" >> out'"
		directory = "$T/work dir"
		environment = { "GREETING=hello world" }
	}
}
EOF
	HOME=/home/tend-test start_tend
	wait_until state_is done g env
	run cat "$T/work dir/out"
	assert_line --index 0 "$T/work dir"
	assert_line --index 1 "hello world"
	assert_line --index 2 "g/env"
	assert_line --index 3 "/home/tend-test"
}

@test "a command that does not exist is reported and the process fails" {
	conf 10-a.conf <<EOF
group "g" { process "ghost" { command = "/nonexistent/daemon --fg" restart-limit = 1 restart-delay = 10ms } }
EOF
	start_tend
	wait_until state_is failed g ghost
	grep -q "g/ghost: cannot start /nonexistent/daemon: No such file or directory" "$T/tend.out"
	run tctl status g
	assert_output --partial "cannot start: No such file or directory"
}

@test "stopping and starting one process leaves the rest of its group alone" {
	conf 10-a.conf <<EOF
group "g" {
	process "a" { command = "sleep 1000" }
	process "b" { command = "sleep 1000" }
}
EOF
	start_tend
	wait_until state_is running g
	a=$(pid_of g a)
	b=$(pid_of g b)
	run tctl stop g/b
	assert_success
	gone "$b"
	[ "$(state g b)" = stopped ]
	[ "$(pid_of g a)" = "$a" ]
	run tctl start g/b
	assert_success
	[ "$(state g b)" = running ]
	run tctl restart g/a
	assert_success
	gone "$a"
	[ "$(state g a)" = running ]
}

@test "autostart = false groups wait for tendctl start" {
	conf 10-a.conf <<EOF
group "later" { autostart = false  process "p" { command = "sleep 1000" } }
EOF
	start_tend
	[ "$(state later)" = stopped ]
	run tctl start later
	assert_success
	[ "$(state later p)" = running ]
	run tctl stop later
	assert_success
	[ "$(state later)" = stopped ]
	[ "$(pid_of later p)" = null ]
}

@test "top-level processes run in the reserved group local" {
	conf 10-a.conf <<EOF
process "solo" { command = "sleep 1000" }
EOF
	start_tend
	wait_until state_is running local solo
	[ "$(status_json | jq -r '.groups[0].name')" = local ]
}

@test "user, group and supplementary-groups: the process runs with them and can notify" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run a process as another user"
	chmod 0711 "$T" # the run directory's parent: nobody must reach NOTIFY_SOCKET
	conf 10-a.conf <<EOF
group "g" {
	user = "nobody"
	process "web" {
		command              = "sh -c 'systemd-notify --ready; exec sleep 1000'"
		ready                = notify
		ready-timeout        = 1h
		supplementary-groups = { "daemon" }
	}
	process "helper" { command = "sleep 1001"  group = "daemon" }
	process "admin"  { command = "sleep 1002"  user = "root" }
}
EOF
	start_tend
	wait_until state_is running g
	[ "$(process_field g web ready)" = true ]
	ids() { awk '/^(Uid|Gid|Groups):/ { $1 = ""; print }' "/proc/$1/status" | tr -s ' \t' ' ' | sed 's/^ //'; }
	run ids "$(pid_of g web)"
	assert_line --index 0 "65534 65534 65534 65534"
	assert_line --index 1 "65534 65534 65534 65534"
	assert_line --index 2 "1"
	run ids "$(pid_of g helper)"
	assert_line --index 0 "65534 65534 65534 65534"
	assert_line --index 1 "1 1 1 1"
	run ids "$(pid_of g admin)"
	assert_line --index 0 "0 0 0 0"
	# tend still writes their logs (as root), and stops them as usual.
	[ "$(stat -c %U "$RUN/log")" = root ]
	pids="$(pid_of g web) $(pid_of g helper) $(pid_of g admin)"
	run tctl stop g
	assert_success
	for p in $pids; do gone "$p"; done
}
