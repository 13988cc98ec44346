#!/usr/bin/env bats
# Reboot and the emergency fallback, each on a guest of its own.

load qemu

setup() {
	qemu_available
}

teardown() {
	vm_kill
}

@test "tendctl reboot stops everything and the machine boots again" {
	# --reboot: QEMU restarts the guest instead of exiting.
	vm_boot "$BATS_TEST_TMPDIR/vm" --reboot
	vm_ready
	type_line 'tendctl reboot'
	console_wait 'reboot: Restarting system' 60
	# A new kernel, a new PID 1: tend mounts /proc a second time.
	console_wait 'tend: mounted proc on /proc' "$BOOT_DEADLINE" 2
	vm_ready 'guest# ' 2 # a prompt of the second boot, not a late one of the first
	run console_text
	assert_line --regexp 'tend: control: reboot'
	assert_line --regexp 'tend: all groups stopped'
	assert_line --regexp 'tend: no filesystem is left read-write'
	assert_line --regexp 'tend: reboot$'
	# The second boot is a whole new one: power it off for good.
	vm_poweroff
	run console_text
	assert_line --regexp 'reboot: Power down'
}

@test "unusable declarations at boot: the emergency shell runs on the console until they are fixed" {
	# KEY=VALUE words the kernel does not know reach PID 1 as environment
	# variables; bare words ("single") reach it as arguments, which PID 1
	# ignores (it must not exit over them).
	vm_boot "$BATS_TEST_TMPDIR/vm" --append "TEND_CONFDIR=/etc/tend/missing TEND_EMERGENCY_SHELL=/bin/sh single"
	console_wait 'tend: error: /etc/tend/missing: declarations are unusable; running the emergency shell' \
		"$BOOT_DEADLINE"
	vm_ready '/ # '
	run console_text
	assert_line --regexp 'tend: warning: ignoring arguments it does not understand'
	assert_line --partial 'it does not exist: create it, then run tendctl reload'
	guest 'tendctl status --json'
	assert_equal "$status" 0
	printf '%s\n' "$output" | jq -e '[.groups[].name] == ["emergency"]'
	guest 'readlink /proc/self/fd/0'
	assert_output /dev/console
	# Repair: give tend its declarations and ask it to read them. The reply
	# may not arrive: the reload ends this emergency shell (and tendctl).
	type_line 'mkdir -p /etc/tend/missing && cp /etc/tend/conf.d/*.conf /etc/tend/missing/ && tendctl reload'
	console_wait 'tend: reload: 3 added, 0 restarted, 0 updated in place, 1 removed' 60
	console_wait 'tend: group console: running' 60
	console_wait 'guest# ' 30
	guest 'tendctl status --json'
	printf '%s\n' "$output" | jq -e '[.groups[] | .name + "=" + .state] == ["syslog=running","demo=running","console=running"]'
	vm_poweroff
}
