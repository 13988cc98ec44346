#!/usr/bin/env bats
# A reload is read while tend goes on (issue 16, item 0.3): the conf.d
# reader is waited for from the event loop, triggers during a reload make
# one more after it, and `tendctl reload` answers when its reload is over.
# The reader is made slow by a real conf.d of many groups (made invalid by a
# last file, so that applying it costs nothing and every reload reads it all).

load helpers

# tend built with AddressSanitizer (TEND_BIN=build/san/tend) reads 4 times
# slower: fewer groups keep each reload within the tests' deadlines.
sanitized() { nm "$TEND" 2>/dev/null | grep -q ' __asan_init$'; }
if sanitized; then BIG_GROUPS=10000; else BIG_GROUPS=40000; fi

setup() {
	tend_setup
	conf 10-g.conf <<CONF
group "g" { process "p" { command = "sleep 1001" } }
group "marker" { process "p" { command = "sleep 1002" } }
CONF
}
teardown() { tend_teardown; }

# Reloads that tend finished (applied or rejected), and those it began.
reloads() { grep -c -E '^tend: (reload: [0-9]+ added|error: reload: .*nothing changed)' "$T/tend.out" || true; }
readings() { grep -c '^tend: reload: reading ' "$T/tend.out" || true; }
more_reloads_than() { [ "$(reloads)" -gt "$1" ]; }
more_readings_than() { [ "$(readings)" -gt "$1" ]; }

# BIG_GROUPS groups in 100 files made in $T/stage, then the last file,
# which is invalid (a group without processes).
stage_big_conf() {
	mkdir -p "$T/stage"
	awk -v n="$BIG_GROUPS" -v dir="$T/stage" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "group \"big%d\" {\n  autostart = false\n  process \"p\" { command = \"sleep 1\" }\n}\n", i \
				>(dir "/50-" int(i * 100 / n) ".conf")
	}'
	printf 'group "bad" {\n}\n' >"$T/stage/90-bad.conf"
}

@test "a process exit is handled while a large conf.d is being read" {
	start_tend
	wait_until state_is running g p
	subscribe_events() {
		tctl events >"$T/events.txt" 2>"$T/events.err" &
		track_pid $!
		marker_seen() {
			tctl restart --no-wait marker >/dev/null
			grep -q 'marker' "$T/events.txt"
		}
		wait_until marker_seen
	}
	subscribe_events
	old=$(pid_of g p)
	stage_big_conf
	n=$(reloads)
	mv "$T"/stage/*.conf "$CONF"/ # conf.d changed: a reload follows
	wait_until grep -q "conf.d changed; reloading" "$T/tend.out"
	kill -KILL "$old"
	wait_until pid_changed g p "$old"
	wait_until more_reloads_than "$n"
	# In the order tend did them: the exit and the restart, then the reload.
	run grep -n -E 'process g/p (exited|restarted)|reload rejected' "$T/events.txt"
	assert_line --index 0 --partial "process g/p exited pid $old"
	assert_line --index 1 --partial "process g/p restarted"
	assert_line --index 2 --partial "reload rejected"
}

@test "reloads asked for during one make one more, and every tendctl reload gets its report" {
	stage_big_conf
	start_tend
	mv "$T"/stage/*.conf "$CONF"/
	wait_until more_reloads_than 0 # the one conf.d's change made
	n=$(reloads)
	r=$(readings)
	tctl reload >"$T/r1" 2>&1 &
	p1=$!
	wait_until more_readings_than "$r"
	tctl reload >"$T/r2" 2>&1 &
	p2=$!
	tctl reload >"$T/r3" 2>&1 &
	p3=$!
	kill -HUP "$TEND_PID"
	for p in $p1 $p2 $p3; do
		s=0
		wait "$p" || s=$?
		assert_equal "$s" 1
	done
	# The one under way, then one more for the three asked for meanwhile.
	assert_equal "$(readings)" $((r + 2))
	assert_equal "$(reloads)" $((n + 2))
	for f in r1 r2 r3; do
		run cat "$T/$f"
		assert_line --index 0 "$CONF/90-bad.conf:1: group \"bad\" has no processes"
		assert_line "tendctl: declarations are invalid; nothing changed"
	done
	tctl ping # still there, still answering
}

@test "a group too large to pass from the reader names the limit" {
	if sanitized; then
		skip "libconfuse grows a string 32 bytes at a time and under ASan every realloc copies: 17 MiB take minutes (test_config_pack checks the limit)"
	fi
	start_tend
	head -c $((17 << 20)) /dev/zero | tr '\0' x >"$T/long"
	{
		printf 'group "huge" { process "p" { command = "sleep '
		cat "$T/long"
		printf '" } }\n'
	} >"$T/huge.conf"
	mv "$T/huge.conf" "$CONF/30-huge.conf"
	run tctl reload
	assert_failure 1
	assert_line --index 0 "$CONF/30-huge.conf:1: group \"huge\" takes 17 MiB once read; a group may take at most 16 MiB"
	assert_line "tendctl: declarations are invalid; nothing changed"
	tctl ping
}

@test "a reload under way when tend stops is abandoned, and its reader ended" {
	stage_big_conf
	start_tend
	r=$(readings)
	mv "$T"/stage/*.conf "$CONF"/
	wait_until more_readings_than "$r"
	reader=$(sed -n 's/^tend: reload: reading .* (reader pid \([0-9]*\))$/\1/p' "$T/tend.out" | tail -1)
	[ -n "$reader" ]
	kill -TERM "$TEND_PID"
	s=0
	wait "$TEND_PID" || s=$?
	assert_equal "$s" 0
	run alive "$reader"
	assert_failure
	run grep -c 'reload: abandoned, tend is' "$T/tend.out"
	assert_output 1
}

@test "tendctl add, which tend waits for, takes files of 256 KiB at most" {
	start_tend
	awk 'BEGIN { for (i = 0; i < 6000; i++)
		printf "group \"add%d\" { process \"p\" { command = \"sleep 1000\" } }\n", i }' >"$T/many.conf"
	[ "$(stat -c %s "$T/many.conf")" -gt $((256 << 10)) ]
	run tctl add "$T/many.conf"
	assert_failure 1
	assert_line --index 0 "$T/many.conf:0: larger than 256 KiB; tendctl add takes smaller files (put large declarations in conf.d)"
	head -c $((200 << 10)) "$T/many.conf" | sed '$d' >"$T/some.conf"
	run tctl add "$T/some.conf"
	assert_success
}
