#!/usr/bin/env bats
# Captured output: every line timestamped in RUNDIR/log/GROUP.PROCESS.log,
# kept across restarts, rotated by size, shown and followed by tendctl logs.

load helpers

setup() { tend_setup; }
teardown() { tend_teardown; }

log_has() { grep -q -- "$2" "$RUN/log/$1.log" 2>/dev/null; }

@test "logs hold what a process printed, with timestamps, across restarts" {
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "sh -c 'echo run \$\$; echo oops >&2; exec sleep 1000'" restart-delay = 10ms } }
CONF
	start_tend
	wait_until state_is running g p
	first=$(pid_of g p)
	wait_until log_has g.p "run $first"
	kill "$first"
	wait_until pid_changed g p "$first"
	second=$(pid_of g p)
	wait_until log_has g.p "run $second"
	run tctl logs g/p -n 10
	assert_success
	assert_line --index 0 --regexp "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z run $first$"
	assert_line --index 1 --regexp "Z oops$"
	assert_line --index 2 --regexp "Z run $second$"
}

@test "logs GROUP merges the group's processes by time and names them; -n limits" {
	conf 10-a.conf <<CONF
group "g" {
	process "one" { type = oneshot command = "sh -c 'echo first; echo second'" }
	process "two" { command = "sh -c 'echo third; exec sleep 1000'" }
}
CONF
	start_tend
	wait_until log_has g.two third
	run tctl logs g
	assert_line --index 0 --regexp "Z one: first$"
	assert_line --index 1 --regexp "Z one: second$"
	assert_line --index 2 --regexp "Z two: third$"
	run tctl logs g -n 1
	assert_output --regexp "Z two: third$"
	run tctl logs g/nosuch
	assert_failure 1
	run tctl logs g -n many
	assert_failure 2
}

@test "logs rotate at log-size and keep log-keep old files" {
	conf 10-a.conf <<CONF
group "g" { process "chatty" {
	type = oneshot
	command = "sh -c 'i=0; while [ \$i -lt 2000 ]; do echo line \$i; i=\$((i+1)); done'"
	log-size = 8k
	log-keep = 2
} }
CONF
	start_tend
	wait_until state_is done g chatty
	wait_until log_has g.chatty "line 1999"
	[ -f "$RUN/log/g.chatty.log.1" ]
	[ -f "$RUN/log/g.chatty.log.2" ]
	[ ! -e "$RUN/log/g.chatty.log.3" ]
	for f in "$RUN"/log/g.chatty.log*; do
		[ "$(stat -c %s "$f")" -le 8192 ]
	done
}

@test "logs -f follows new lines as they are written" {
	mkfifo "$T/fifo"
	conf 10-a.conf <<CONF
group "g" {
	process "echoer" { command = "sh -c 'echo ready; while :; do read l < $T/fifo && echo \"got \$l\"; done'" }
	process "quiet" { command = "sleep 1000" }
}
CONF
	start_tend
	wait_until log_has g.echoer ready
	tctl logs g/echoer -f -n 1 >"$T/follow" 2>&1 &
	track_pid $!
	tctl logs g -f -n 1 >"$T/follow-group" 2>&1 &
	track_pid $!
	# The tail comes first, in the same reply that starts following.
	wait_until grep -q "ready" "$T/follow"
	wait_until grep -q "echoer: ready" "$T/follow-group"
	echo one >"$T/fifo"
	wait_until grep -q "got one" "$T/follow"
	wait_until grep -q "echoer: got one" "$T/follow-group"
	echo two >"$T/fifo"
	wait_until grep -q "got two" "$T/follow"
	[ "$(grep -c got "$T/follow")" -eq 2 ]
}

@test "lines without a newline, binary data and a 10 MB burst do not break tend or other logs" {
	conf 10-a.conf <<CONF
group "g" {
	process "flood" { type = oneshot command = "sh -c 'head -c 10485760 /dev/urandom; printf tail-without-newline'" log-size = 1M log-keep = 1 }
	process "steady" { command = "sh -c 'i=0; while [ \$i -lt 200 ]; do echo steady \$i; i=\$((i+1)); done; exec sleep 1000'" }
}
CONF
	start_tend
	wait_until log_has g.steady "steady 199"
	wait_until state_is done g flood
	[ "$(grep -c 'steady' "$RUN/log/g.steady.log")" -eq 200 ]
	run tctl ping
	assert_success
	run tctl stop g
	assert_success
	grep -q "tail-without-newline" "$RUN/log/g.flood.log"
	[ "$(stat -c %s "$RUN/log/g.flood.log")" -le 1048576 ]
}

@test "tend's own messages go to RUNDIR/log/tend.log too" {
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "sleep 1000" } }
CONF
	start_tend
	wait_until state_is running g
	grep -Eq "^[0-9T:.-]+Z group g: running$" "$RUN/log/tend.log"
}

@test "a line cut at 4096 bytes whose newline comes later adds no empty line" {
	# The newline is written only once tend has logged the 4096-byte piece.
	cat >"$T/cut.sh" <<'SH'
#!/bin/sh
head -c 4096 /dev/zero | tr '\0' x
while [ ! -e "$1" ]; do sleep 0.05; done
echo
echo after
exec sleep 1000
SH
	chmod +x "$T/cut.sh"
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "$T/cut.sh $T/go" } }
CONF
	start_tend
	piece_logged() { [ "$(cut -c 26- "$RUN/log/g.p.log")" = "$(head -c 4096 /dev/zero | tr '\0' x)" ]; }
	wait_until piece_logged
	touch "$T/go"
	wait_until log_has g.p after
	run --keep-empty-lines cut -c 26- "$RUN/log/g.p.log"
	assert_line --index 0 "$(head -c 4096 /dev/zero | tr '\0' x)"
	assert_line --index 1 "after"
}

@test "a removed log directory is made again" {
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "sh -c 'echo one; read x < $T/fifo; echo two; exec sleep 1000'" } }
CONF
	mkfifo "$T/fifo"
	start_tend
	wait_until log_has g.p one
	rm -rf "$RUN/log"
	run tctl restart g # the log file is opened again with the new run
	assert_success
	wait_until log_has g.p one
}

@test "logs -f of a group goes on when a reload replaces the group" {
	mkfifo "$T/fifo"
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "sh -c 'echo ready; while :; do read l < $T/fifo && echo \"got \$l\"; done'" } }
CONF
	start_tend
	wait_until log_has g.p ready
	tctl logs g -f -n 1 >"$T/follow" 2>&1 &
	track_pid $!
	wait_until grep -q "p: ready" "$T/follow"
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "sh -c 'echo renewed; while :; do read l < $T/fifo && echo \"new \$l\"; done'" } }
CONF
	run tctl reload
	assert_success
	wait_until grep -q "p: renewed" "$T/follow"
	echo x >"$T/fifo"
	wait_until grep -q "p: new x" "$T/follow"
}

# tend keeps only the read end of each log pipe (proclog.c): the write end is
# the process's. Counted as the pipes tend holds for 20 more services (pipes
# only: a control connection not yet closed is a socket).
fd_count() { find "/proc/$TEND_PID/fd" -lname 'pipe:*' | wc -l; }
pipes_are() { [ "$(fd_count)" -eq "$1" ]; }
@test "tend holds one descriptor per service for its output, not two" {
	conf 10-a.conf <<CONF
group "g" { process "p0" { command = "sleep 1000" } }
CONF
	start_tend
	wait_until state_is running g p0
	base=$(fd_count)
	{
		echo 'group "g" {'
		for i in $(seq 0 20); do echo "  process \"p$i\" { command = \"sleep 1000\" }"; done
		echo '}'
	} >"$CONF/10-a.conf"
	run tctl reload
	assert_success
	wait_until state_is running g p20
	# The rewrite also wakes the conf.d watch: its reader's pipe is open
	# for a moment after the reload that tctl waited for.
	wait_until pipes_are "$((base + 20))"
}

# A leftover of one run that ignores SIGTERM, the next run, and that run's
# last line without a newline: all reach the one log.
@test "a leftover of the last run and the next run both reach the log" {
	cat >"$T/p.sh" <<'SH'
#!/bin/sh
n=$(cat "$1" 2>/dev/null || echo 0); echo $((n + 1)) >"$1"
if [ "$n" = 0 ]; then
	# the first run leaves a writer behind that ignores SIGTERM (tend
	# sends SIGTERM at the exit: it waits until the trap is set)
	sh -c 'trap "" TERM; echo "leftover $$"; echo $$ >"$0.ready"; exec sleep 1000' "$1" &
	while [ ! -s "$1.ready" ]; do sleep 0.01; done
	echo "first run"
	exit 1
fi
echo "run $((n + 1))"
printf 'no newline'
exec sleep 1000
SH
	chmod +x "$T/p.sh"
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "$T/p.sh $T/count" restart-delay = 300ms stop-timeout = 300ms } }
CONF
	start_tend
	wait_until log_has g.p "leftover "
	leftover=$(sed -n 's/.*leftover \([0-9]*\)$/\1/p' "$RUN/log/g.p.log")
	track_pid "$leftover"
	wait_until log_has g.p "run 2"
	wait_until gone "$leftover" # SIGKILLed with the restart
	run tctl stop g
	assert_success
	wait_until log_has g.p "Z no newline$"
	run grep -c . "$RUN/log/g.p.log"
	assert_output 4 # leftover, first run, run 2, no newline
}

# When the last writer of a pipe goes (here a oneshot's leftover, after the
# oneshot itself is done), tend writes what it left without a newline.
@test "the last unfinished line is written once every writer of the pipe is gone" {
	conf 10-a.conf <<CONF
group "g" { process "once" {
	type = oneshot
	command = "sh -c '(while [ ! -e $T/go ]; do sleep 0.01; done; printf tail) & echo started'"
} }
CONF
	start_tend
	wait_until state_is done g once
	wait_until log_has g.once "started"
	touch "$T/go"
	wait_until log_has g.once "Z tail$"
}

@test "logs of a group or process a reload removed still shows what it printed" {
	conf 10-a.conf <<CONF
group "old" {
	process "one" { command = "sh -c 'echo from one; exec sleep 1000'" }
	process "two" { command = "sh -c 'echo from two; exec sleep 1000'" }
}
group "old.x" { process "y" { command = "sh -c 'echo from x.y; exec sleep 1000'" } }
group "kept" {
	process "a" { command = "sh -c 'echo from a; exec sleep 1000'" }
	process "b" { command = "sh -c 'echo from b; exec sleep 1000'" }
}
CONF
	start_tend
	wait_until log_has old.one "from one"
	wait_until log_has old.two "from two"
	wait_until log_has old.x.y "from x.y"
	wait_until log_has kept.b "from b"
	conf 10-a.conf <<CONF
group "old.x" { process "y" { command = "sh -c 'echo from x.y; exec sleep 1000'" } }
group "kept" { process "a" { command = "sh -c 'echo from a; exec sleep 1000'" } }
CONF
	run tctl reload
	assert_success
	run tctl logs old
	assert_success
	assert_line --regexp "Z one: from one$"
	assert_line --regexp "Z two: from two$"
	# old.x is another group, still declared: its file is not old's
	refute_line --partial "from x.y"
	run tctl logs old/two
	assert_success
	assert_output --regexp "Z from two$"
	run tctl logs kept/b
	assert_success
	assert_output --regexp "Z from b$"
	run tctl logs old -f
	assert_success
	assert_line --regexp "Z one: from one$"
	assert_line --index 2 "old is not declared (a reload removed it): no new lines will come"
	run tctl logs nothing
	assert_failure 1
	assert_output "tendctl: no such group: nothing"
	run tctl logs kept/nothing
	assert_failure 1
	assert_output "tendctl: no such process: kept/nothing"
}

@test "a FIFO made at a log's path blocks neither tend nor tendctl logs; lost lines are reported" {
	# The process makes a FIFO where its log is to be, then prints: tend
	# must not wait for a reader that never comes.
	printf '%s\n' '#!/bin/sh' "mkfifo '$RUN/log/g.p.log'" \
		"while :; do echo line; sleep 0.05; done" >"$T/fifo.sh"
	conf 10-a.conf <<CONF
group "g" { process "p" { command = "sh $T/fifo.sh" } }
CONF
	start_tend
	wait_until grep -q 'g/p: cannot write its log .*g.p.log (No such device or address)' "$T/tend.out"
	run timeout 10 "$TENDCTL" -r "$RUN" status
	assert_success
	# tendctl logs does not open the FIFO for reading and wait.
	# It shows no lines (nothing was written), and at once.
	run timeout 10 "$TENDCTL" -r "$RUN" logs g/p
	assert_success
	assert_output ""
	# A regular file again: logging resumes, and tend says how much was lost.
	rm "$RUN/log/g.p.log"
	wait_until grep -q 'g/p: writing its log again; [0-9]* line(s) were lost' "$T/tend.out"
	wait_until log_has g.p line
	[ -f "$RUN/log/g.p.log" ]
}
