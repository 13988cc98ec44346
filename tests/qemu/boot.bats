#!/usr/bin/env bats
# One guest, booted once for this file: tend as PID 1 of a real Linux
# kernel under QEMU, with the image's conf.d (initramfs/conf.d). The tests
# run in order on that guest; the last one powers it off.

load qemu

setup_file() {
	qemu_available
	vm_boot "$BATS_FILE_TMPDIR/vm"
	vm_ready
}

teardown_file() {
	vm_kill
}

setup() {
	qemu_available
	vm_alive || skip "the guest is not running (an earlier test ended it)"
}

# Seconds since boot in a console line "[  12.345678] ..."
console_time() { sed -nE 's/^\[ *([0-9]+\.[0-9]+)\].*/\1/p' | head -n 1; }

@test "tend is PID 1 and every autostart group runs; boot-to-ready time" {
	guest 'tendctl ping'
	assert_equal "$status" 0
	assert_output --regexp 'pid 1 mode pid1'
	guest 'readlink /proc/1/exe'
	assert_output "/init"
	run bash -c "tr -d '\r' <'$VM_DIR/console' | grep 'tend: startup finished'"
	assert_output --partial "startup finished: 3 of 3 autostart groups running"
	# Kernel start is 0.000000 on the console; tend's lines carry the same clock.
	local ready
	ready=$(printf '%s\n' "$output" | console_time)
	[ -n "$ready" ]
	echo "# boot-to-ready: ${ready}s (kernel start to all autostart groups running)" >&3
	guest 'grep -E "^Vm(RSS|HWM)" /proc/1/status | tr -s " \t" " " | tr "\n" " "; echo'
	echo "# tend (PID 1) memory after boot: $output" >&3
	guest 'tendctl status --json'
	# With cgroup2 mounted by tend, whole trees are tracked by cgroup.
	printf '%s\n' "$output" | jq -e '.tracking == "cgroup"'
	printf '%s\n' "$output" | jq -e '[.groups[] | select(.name == "syslog" or .name == "demo" or .name == "console") | .state] == ["running","running","running"]'
}

@test "the early mounts exist" {
	guest 'cat /proc/mounts'
	assert_equal "$status" 0
	assert_line --regexp '^proc /proc proc '
	assert_line --regexp '^sysfs /sys sysfs '
	assert_line --regexp '^cgroup2 /sys/fs/cgroup cgroup2 '
	assert_line --regexp '^devtmpfs /dev devtmpfs '
	assert_line --regexp '^devpts /dev/pts devpts '
	assert_line --regexp '^tmpfs /dev/shm tmpfs '
	assert_line --regexp '^tmpfs /run tmpfs '
}

@test "lo is up with 127.0.0.1, brought up by tend, and the hostname is set" {
	guest 'ip -o link show lo'
	assert_output --regexp '<LOOPBACK,UP,LOWER_UP>'
	guest 'ip -o addr show lo'
	assert_output --partial '127.0.0.1/8'
	guest 'ping -c 1 -W 2 127.0.0.1 >/dev/null && echo reachable'
	assert_output reachable
	guest 'hostname'
	assert_output tend-guest
	run bash -c "tr -d '\r' <'$VM_DIR/console' | grep -c 'tend: brought up lo'"
	assert_output 1
}

# worker_field FIELD: demo/worker's FIELD in the guest's status.
worker_field() {
	guest 'tendctl status --json demo'
	printf '%s\n' "$output" | jq -r ".groups[0].processes[] | select(.name == \"worker\") | .$1"
}

@test "a killed process is restarted with a new pid" {
	old=$(worker_field pid)
	[ "$old" -gt 1 ]
	guest "kill -KILL $old"
	assert_equal "$status" 0
	local end=$((SECONDS + 30)) new
	while :; do
		new=$(worker_field pid)
		[ "$new" != "$old" ] && [ "$new" != null ] && break
		[ $SECONDS -lt $end ] || fail "demo/worker still has pid $new"
		sleep 0.2
	done
	[ "$(worker_field state)" = running ]
	[ "$(worker_field restarts)" -ge 1 ]
	guest "test -d /proc/$old && echo exists || echo gone"
	assert_output gone
}

@test "an orphaned zombie that no group owns is reaped by PID 1" {
	# The subshell exits at once: its sleep is orphaned to PID 1. Once it
	# is killed it is a zombie until PID 1 reaps it.
	guest '(sleep 1000 >/dev/null 2>&1 & echo $! >/run/orphan)'
	guest 'cat /run/orphan'
	orphan=$output
	[ "$orphan" -gt 1 ]
	guest "grep PPid /proc/$orphan/status"
	assert_output --regexp 'PPid:[[:space:]]+1$'
	guest "kill $orphan"
	assert_equal "$status" 0
	# Gone means reaped: a zombie keeps its /proc entry (state Z).
	local end=$((SECONDS + 20))
	while :; do
		guest "cat /proc/$orphan/stat 2>/dev/null | cut -d' ' -f3 || true"
		[ -z "$output" ] && break
		[ $SECONDS -lt $end ] || fail "pid $orphan still exists (state $output)"
		sleep 0.5
	done
}

@test "tendctl poweroff stops every group, ends every process, unmounts, powers off" {
	vm_poweroff
	run console_text
	assert_line --regexp 'tend: control: poweroff'
	assert_line --regexp 'tend: group console: stopped'
	assert_line --regexp 'tend: group demo: stopped'
	assert_line --regexp 'tend: group syslog: stopped'
	assert_line --regexp 'tend: all groups stopped'
	assert_line --regexp 'tend: sending SIGTERM to every process left'
	assert_line --regexp 'tend: syncing filesystems'
	assert_line --regexp 'tend: unmounting [0-9]+ filesystems'
	assert_line --regexp 'tend: no filesystem is left read-write'
	assert_line --regexp 'tend: poweroff$'
	assert_line --regexp 'reboot: Power down'
	refute_line --regexp 'stays mounted read-write'
	# The console shell ignores SIGTERM: the SIGHUP tend also sends ends it.
	refute_line --regexp 'console/shell: still running .* sending SIGKILL'
	# Groups stop in reverse order of declaration (files 10-syslog, 20-demo, 30-console).
	order=$(console_text | grep -oE 'tend: group [a-z]+: stopped' | awk '{print $3}' | tr -d ':' | tr '\n' ' ')
	assert_equal "$order" "console demo syslog "
}
