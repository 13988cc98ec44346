#!/usr/bin/env bats
# Tenant limits enforced by the kernel: tend as PID 1 of a QEMU guest owns
# a pure cgroup v2 hierarchy with every controller, enables them below its
# cgroup and writes each tenant's limits to /sys/fs/cgroup/tend-1/TENANT.
# One guest for the file, the normal image plus tests/qemu/limits-image
# (initramfs/overlay.sh): tenant "small" (memory-max = 32M) with group
# "hog" (dd with a 64 MB buffer) and tenant "few" (pids-max = 20) with
# group "bomb" (a fork bomb under a parent that stays).

load qemu

setup_file() {
	qemu_available
	command -v jq >/dev/null || skip "jq is not installed"
	local d=$BATS_FILE_TMPDIR
	"$REPO/initramfs/overlay.sh" "$d/overlay.cpio.gz" "$REPO/tests/qemu/limits-image" 2>"$d/overlay.err" ||
		{ cat "$d/overlay.err" >&2; return 1; }
	cat "$REPO/build/initramfs.cpio.gz" "$d/overlay.cpio.gz" >"$d/image.cpio.gz"
	vm_boot "$d/vm" --initrd "$d/image.cpio.gz"
	vm_ready
}

teardown_file() {
	vm_kill
}

setup() {
	qemu_available
	vm_alive || skip "the guest is not running (an earlier test ended it)"
}

CG=/sys/fs/cgroup/tend-1

@test "tend enables the controllers below its cgroup and writes each tenant's limits" {
	guest "cat $CG/cgroup.subtree_control"
	assert_output --regexp 'cpu'
	assert_output --regexp 'memory'
	assert_output --regexp 'pids'
	# A tenant's cgroup is made when its first group starts.
	guest 'tendctl start hog; tendctl start bomb'
	guest "cat $CG/small/memory.max $CG/small/memory.high $CG/small/cpu.weight $CG/few/pids.max"
	assert_equal "${lines[*]}" "33554432 67108864 50 20"
	guest 'tendctl tenants --json'
	printf '%s\n' "$output" | jq -e '[.tenants[] | select(.name == "small" or .name == "few") |
		.limits[] | .state] | length == 4 and all(. == "applied")'
	run bash -c "tr -d '\r' <'$VM_DIR/console' | grep -c 'cannot apply'"
	assert_output 0
}

@test "memory-max: a process that allocates 64 MB in a 32 MB tenant is killed by the OOM killer, and tend says so" {
	# hog started above; dd ends at its first 64 MB read.
	guest 'tendctl status --json hog'
	local i
	for i in $(seq 60); do
		printf '%s\n' "$output" | jq -e '.groups[0].processes[0].last_signal == 9' >/dev/null && break
		sleep 0.5
		guest 'tendctl status --json hog'
	done
	printf '%s\n' "$output" | jq -e '.groups[0].processes[0] | .last_signal == 9 and .pid == null'
	guest "grep oom_kill $CG/small/memory.events"
	assert_output --regexp '^oom_kill [1-9]'
	console_wait 'hog/dd: .*killed by SIGKILL' 10
	guest "cat $CG/small/memory.peak 2>/dev/null || cat $CG/small/memory.max"
	echo "# tenant small: memory.peak (or max) $output bytes; memory.max 33554432" >&3
}

@test "pids-max: a fork bomb in a tenant of 20 stops at 20 processes" {
	# The failed forks are counted in pids.events: of the tenant's cgroup
	# (Linux >= 6.2), or of the forking task's nearest cgroup with the
	# controller, the group's (before).
	local i
	for i in $(seq 60); do
		guest "cat $CG/few/pids.events $CG/few/bomb/pids.events"
		[[ "$output" =~ max\ [1-9] ]] && break
		sleep 0.5
	done
	assert_line --regexp '^max [1-9]'
	guest "cat $CG/few/pids.current"
	[ "$output" -le 20 ]
	guest "cat $CG/few/pids.peak 2>/dev/null || echo none"
	local peak=$output
	[ "$peak" = none ] || [ "$peak" -eq 20 ]
	# Every process of the tenant's cgroups, counted: the bomb's parent and
	# its sleepers (the bomb itself ended when fork failed).
	guest "cat $CG/few/bomb/*/cgroup.procs | wc -l; cat /run/bomb.count"
	[ "${lines[0]}" -le 20 ]
	[ "${lines[0]}" -ge 18 ]
	[ "${lines[1]}" -le 19 ]
	echo "# fork bomb under pids-max = 20: peak $peak, ${lines[0]} processes left, ${lines[1]} forked by the bomb" >&3
	guest 'tendctl stop bomb'
	guest "cat $CG/few/pids.current"
	assert_output 0
}

@test "a reload writes changed limits to the live cgroup" {
	guest "sed -i 's/pids-max = 20/pids-max = 40/; s/memory-max = 32M/memory-max = 48M/' /etc/tend/conf.d/50-limits.conf && tendctl reload"
	assert_equal "$status" 0
	guest "cat $CG/few/pids.max $CG/small/memory.max"
	assert_equal "${lines[*]}" "40 50331648"
	# The groups were not restarted for it: the hog's exit is still its last.
	guest 'tendctl status --json hog'
	printf '%s\n' "$output" | jq -e '.groups[0].processes[0].last_signal == 9'
}

@test "a tenant's cgroup goes with its last group" {
	guest "rm /etc/tend/conf.d/50-limits.conf && tendctl reload"
	guest "ls $CG"
	refute_output --partial small
	refute_output --partial few
	vm_poweroff
}
