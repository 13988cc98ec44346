#!/usr/bin/env bats
# tend itself dies (SIGKILL) and is started again on the same run
# directory: system { on-restart = stop } ends what the dead tend left,
# on-restart = adopt takes it over without starting a duplicate. Both tree
# tracking modes; cgroup mode also removes the dead tend's cgroups.

load helpers

setup() {
	tend_setup
	# A number no other test runs: the processes of this test are counted
	# by their command line (read only; they are ended by pid).
	MARK=$((200000 + RANDOM))
}
teardown() { tend_teardown; }

# cgroup tracking needs a writable cgroup2 hierarchy (root).
need_cgroup() { cgroup_v2_writable || skip "no writable cgroup2 hierarchy on this machine"; }

# declare_group ON_RESTART [PREFIX]: one group "g" whose process forks a
# child (run as PREFIX sleep ...: "setsid " leaves the session) and waits.
declare_group() {
	conf a.conf <<-END
		system { on-restart = $1 }
		group "g" {
		    process "p" {
		        command = "sh -c '${2:-}sleep $MARK & exec sleep $((MARK + 1))'"
		        restart-delay = 10ms
		    }
		}
	END
}

# The pids of this test's processes (both sleeps), by command line.
marked() { pgrep -f "^sleep ($MARK|$((MARK + 1)))\$" | sort; }
marked_count() { [ "$(marked | wc -l)" -eq "$1" ]; }

# SIGKILL to this test's tend; its processes are recorded for teardown.
kill_tend() {
	marked >>"$T/pids"
	kill -KILL "$TEND_PID"
	wait "$TEND_PID" 2>/dev/null || true
	TEND_PID=
}

restart_tend() {
	mv "$T/tend.out" "$T/tend.out.1"
	start_tend "$@"
	wait_until state_is running g p
	marked >>"$T/pids"
}

the_cgroup_dir() { # the_cgroup_dir TEND_PID: its tend-PID directory
	local mnt
	mnt=$(awk '$3=="cgroup2"{print $2; exit}' /proc/self/mounts)
	echo "$mnt$(sed -n 's/^0:://p' /proc/self/cgroup | sed 's|/$||')/tend-$1"
}

# The child leaves the session: found by its parent (ancestry tracking),
# or in the dead tend's cgroup.
check_stop() {
	declare_group stop "setsid "
	start_tend "$@"
	wait_until state_is running g p
	wait_until marked_count 2
	old_main=$(pid_of g p)
	old=$(marked)
	old_tend=$TEND_PID
	kill_tend
	restart_tend "$@"
	for pid in $old; do wait_until gone "$pid"; done
	run pid_of g p
	refute_output "$old_main"
	wait_until marked_count 2 # the new copy only: no duplicate
	run grep -c "ending what dead tend $old_tend left running (on-restart = stop)" "$T/tend.out"
	assert_output 1
}

@test "on-restart = stop, ancestry tracking: what a killed tend left is ended, one new copy runs" {
	check_stop --tracking=ancestry
}

@test "on-restart = stop, cgroup tracking: what a killed tend left is ended, its cgroup removed" {
	need_cgroup
	check_stop --tracking=cgroup
	old_dir=$(the_cgroup_dir "$old_tend")
	[ ! -d "$old_dir" ]
	grep -q "removed cgroup $old_dir of dead tend" "$T/tend.out"
}

restarted_once() { [ "$(restarts_of g p)" -ge 1 ] && pid_changed g p "$main"; }

check_adopt() {
	declare_group adopt
	start_tend "$@"
	wait_until state_is running g p
	wait_until marked_count 2
	main=$(pid_of g p)
	old=$(marked)
	kill_tend
	restart_tend "$@"
	# The same processes run, taken over: no second copy was started.
	assert_equal "$(pid_of g p)" "$main"
	assert_equal "$(process_field g p adopted)" true
	assert_equal "$(marked)" "$old"
	grep -q "g/p: adopted pid $main" "$T/tend.out"
	tctl status g | grep -q "pid $main .* adopted"
	# Its end is seen (not tend's child: status unknown) and the restart
	# policy applies.
	kill -TERM "$main"
	wait_until restarted_once
	assert_equal "$(process_field g p adopted)" false
	assert_equal "$(process_field g p last_exit_unknown)" true
	marked >>"$T/pids"
	# the adopted tree's child went with it; one new copy runs
	wait_until marked_count 2
}

@test "on-restart = adopt, ancestry tracking: the same processes run on, and restart per policy" {
	check_adopt --tracking=ancestry
}

@test "on-restart = adopt, cgroup tracking: adopted processes move to the new tend's cgroup" {
	need_cgroup
	check_adopt --tracking=cgroup
	for pid in $(marked); do
		grep -q "tend-$TEND_PID/default/g/p\$" "/proc/$pid/cgroup"
	done
	[ ! -d "$(the_cgroup_dir "$(head -1 "$T/tends")")" ]
}

@test "on-restart = adopt: a group no longer declared is ended" {
	declare_group adopt
	start_tend --tracking=ancestry
	wait_until marked_count 2
	old=$(marked)
	kill_tend
	conf a.conf <<-END
		system { on-restart = adopt }
		group "other" { process "q" { command = "sleep 1000" } }
	END
	mv "$T/tend.out" "$T/tend.out.1"
	start_tend --tracking=ancestry
	for pid in $old; do wait_until gone "$pid"; done
	grep -q "group g: ending what dead tend .* left running (no longer declared)" "$T/tend.out"
}

@test "on-restart = adopt: stopping an adopted group ends its whole tree" {
	declare_group adopt
	start_tend --tracking=ancestry
	wait_until marked_count 2
	old=$(marked)
	kill_tend
	restart_tend --tracking=ancestry
	run tctl stop g
	assert_success
	for pid in $old; do wait_until gone "$pid"; done
	assert_equal "$(state g)" stopped
}

@test "a cut or foreign state file is ignored with a message" {
	declare_group adopt
	mkdir -p "$RUN"
	chmod 0700 "$RUN"
	printf 'tend-state 1\ntend 1 1\nboot x\nproc 1 0 1 0 default g p\n' >"$RUN/tend.state"
	start_tend --tracking=ancestry
	wait_until state_is running g p
	grep -q "tend.state: cut short: no end line after line 4; ignored" "$T/tend.out"
	marked >>"$T/pids"
	kill -TERM "$TEND_PID"
	wait "$TEND_PID" || true
	TEND_PID=
	# A file of another boot names pid 1: never touched.
	printf 'tend-state 1\ntend 1 1\nboot x\nproc 1 0 1 0 default g p\nend 1\n' >"$RUN/tend.state"
	mv "$T/tend.out" "$T/tend.out.1"
	start_tend --tracking=ancestry
	grep -q "tend.state is from an earlier boot; ignored" "$T/tend.out"
	marked >>"$T/pids"
}

@test "cgroup tracking: empty cgroups of killed tends are removed at start, a live tend's are kept" {
	need_cgroup
	# A tend that dies with nothing running leaves an empty tend-PID.
	mkdir -p "$T/dead/conf.d" "$T/live/conf.d"
	"$TEND" -c "$T/dead/conf.d" -r "$T/dead/run" --tracking=cgroup >"$T/dead.out" 2>&1 &
	dead=$!
	echo "$dead" >>"$T/tends"
	wait_until "$TENDCTL" -r "$T/dead/run" ping
	kill -KILL "$dead"
	wait "$dead" 2>/dev/null || true
	[ -d "$(the_cgroup_dir "$dead")" ]
	"$TEND" -c "$T/live/conf.d" -r "$T/live/run" --tracking=cgroup >"$T/live.out" 2>&1 &
	live=$!
	echo "$live" >>"$T/tends"
	wait_until "$TENDCTL" -r "$T/live/run" ping
	# Another tend (the second already swept) leaves a live tend's alone.
	start_tend --tracking=cgroup
	[ ! -d "$(the_cgroup_dir "$dead")" ]
	[ -d "$(the_cgroup_dir "$live")" ]
	cat "$T/live.out" "$T/tend.out" |
		grep -q "removed cgroup $(the_cgroup_dir "$dead") of a tend that is gone"
	run grep "tend-$live" "$T/tend.out"
	assert_output ""
	kill -TERM "$live"
	wait "$live" || true
}

# start_user_tend: this test's tend as user nobody (user mode), conf.d and
# run directory its own.
start_user_tend() {
	if [ "$CONF" != "$T/u/conf.d" ]; then
		chmod 0755 "$T"
		mkdir -p "$T/u"
		cp -r "$CONF" "$T/u/conf.d"
		chown -R nobody "$T/u"
		CONF=$T/u/conf.d
		RUN=$T/u/run
	fi
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		"$TEND" -c "$CONF" -r "$RUN" >"$T/tend.out" 2>&1 &
	TEND_PID=$!
	echo "$TEND_PID" >>"$T/tends"
	wait_until tctl ping
}

@test "user mode: a tend run by an ordinary user adopts what its dead predecessor left" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run tend as user nobody"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	declare_group adopt
	start_user_tend
	wait_until state_is running g p
	wait_until marked_count 2
	main=$(pid_of g p)
	old=$(marked)
	kill_tend
	mv "$T/tend.out" "$T/tend.out.1"
	start_user_tend
	wait_until state_is running g p
	grep -q "running in user mode" "$T/tend.out"
	assert_equal "$(pid_of g p)" "$main"
	assert_equal "$(process_field g p adopted)" true
	assert_equal "$(marked)" "$old"
	kill -TERM "$main"
	wait_until restarted_once
	marked >>"$T/pids"
	wait_until marked_count 2
}

@test "a process that asked for PR_SET_PDEATHSIG ends with tend; adopt then starts a new copy" {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	setpriv --pdeathsig TERM true 2>/dev/null || skip "this setpriv has no --pdeathsig"
	conf a.conf <<-END2
		system { on-restart = adopt }
		group "g" { process "p" { command = "setpriv --pdeathsig KILL sleep $MARK" } }
	END2
	start_tend --tracking=ancestry
	wait_until state_is running g p
	main=$(pid_of g p)
	kill_tend
	wait_until gone "$main" # the kernel ended it when its parent, tend, died
	restart_tend --tracking=ancestry
	run pid_of g p
	refute_output "$main"
	assert_equal "$(process_field g p adopted)" false
	grep -q "group g: ending what dead tend .* left running (its main process is gone)" \
		"$T/tend.out"
}

@test "user mode: on-restart = stop ends what a dead tend of an ordinary user left" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run tend as user nobody"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	declare_group stop
	start_user_tend
	wait_until marked_count 2
	old=$(marked)
	kill_tend
	mv "$T/tend.out" "$T/tend.out.1"
	start_user_tend
	for pid in $old; do wait_until gone "$pid"; done
	wait_until marked_count 2
	marked >>"$T/pids"
}
