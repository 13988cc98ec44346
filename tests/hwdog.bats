#!/usr/bin/env bats
# The hardware watchdog's options, `tendctl watchdog device`, and what tend
# does with a device it cannot open or cannot set, without a real device
# (tests/qemu/hwdog.bats has QEMU's i6300esb). As root (system mode) tend
# uses the device; in user mode it ignores it.

load helpers

setup() {
	tend_setup
}
teardown() { namespace_teardown; }

device_json() { tctl watchdog device --json; }
device_is() { [ "$(device_json | jq -r .state)" = "$1" ]; }
pings_at_least() { [ "$(device_json | jq .pings)" -ge "$1" ]; }

@test "bad hardware watchdog options are reported as file:line and tend does not start" {
	conf 00-system.conf <<'CONF'
system {
    watchdog-device  = "dev/watchdog"
    watchdog-timeout = 1500ms
}
CONF
	run "$TEND" --check -c "$CONF"
	assert_failure
	assert_line "$CONF/00-system.conf:2: watchdog-device: invalid value \"dev/watchdog\" (an absolute path, as /dev/watchdog)"
	assert_line "$CONF/00-system.conf:3: watchdog-timeout: invalid value \"1500ms\" (whole seconds from 2s to 1h, as 30s or 2m)"
	conf 00-system.conf <<'CONF'
system { watchdog-device = "/dev/watchdog"  watchdog-timeout = 1m  watchdog-shutdown-timeout = 30s }
CONF
	run "$TEND" --check -c "$CONF"
	assert_failure
	assert_line "$CONF/00-system.conf:1: watchdog-shutdown-timeout (30s) must be at least watchdog-timeout (60s): the shutdown is not pinged"
	conf 00-system.conf <<'CONF'
system { watchdog-timeout = 10s }
CONF
	run "$TEND" --check -c "$CONF"
	assert_failure
	assert_line "$CONF/00-system.conf:1: watchdog-timeout and watchdog-shutdown-timeout need watchdog-device"
}

@test "watchdog device without one configured: state off" {
	conf 10-a.conf <<<'process "a" { command = "/bin/sleep 1000" }'
	start_tend
	run tctl watchdog device
	assert_success
	assert_line "device none"
	assert_line "state off"
	run device_json
	assert_success
	printf '%s\n' "$output" | jq -e '.device == null and .state == "off" and .pings == 0 and
		.timeout_s == null and .last_ping_ms_ago == null and .error == null'
	run tctl watchdog device --bogus
	assert_failure
	assert_output --partial "usage: watchdog device [--json]"
	# Only test builds know `hold`.
	run tctl watchdog device hold
	assert_failure
}

@test "a device that is not there is reported once, tend runs on, and opens it once it is there" {
	[ "$(id -u)" -eq 0 ] || skip "tend uses the hardware watchdog only as root (user mode ignores it)"
	local dev=$T/watchdog
	conf 00-system.conf <<CONF
system { watchdog-device = "$dev"  watchdog-timeout = 2s }
CONF
	conf 10-a.conf <<<'process "a" { command = "/bin/sleep 1000" }'
	start_tend
	wait_until device_is failed
	device_json | jq -e --arg d "$dev" '.device == $d and
		(.error | startswith("cannot open it: No such file or directory; tend runs on without it"))'
	[ "$(state local a)" = running ]
	# /dev/null stands for a driver that knows no ioctl: tend finds it at
	# its next try, cannot set its timeout, and pings it with write(2)
	# every second, the interval for a timeout it cannot know.
	ln -s /dev/null "$dev"
	wait_until device_is pinging
	wait_until pings_at_least 2
	device_json | jq -e '.timeout_s == null and .ping_interval_ms == 1000 and .identity == null and
		(.error | contains("its timeout is unknown: pinging every 1000ms"))'
	[ "$(grep -c 'cannot open it' "$T/tend.out")" -eq 1 ]
	run tctl watchdog device
	assert_line "state pinging"
}

@test "a reload applies the hardware watchdog: another device, then none" {
	[ "$(id -u)" -eq 0 ] || skip "tend uses the hardware watchdog only as root (user mode ignores it)"
	ln -s /dev/null "$T/one"
	ln -s /dev/null "$T/two"
	conf 00-system.conf <<CONF
system { watchdog-device = "$T/one"  watchdog-timeout = 2s }
CONF
	start_tend
	wait_until device_is pinging
	conf 00-system.conf <<CONF
system { watchdog-device = "$T/two"  watchdog-timeout = 4s  watchdog-shutdown-timeout = 8s }
CONF
	run tctl reload
	assert_success
	device_json | jq -e --arg d "$T/two" '.device == $d and .state == "pinging" and
		.requested_timeout_s == 4 and .shutdown_timeout_s == 8'
	grep -q "hardware watchdog $T/one closed (another device is configured)" "$T/tend.out"
	conf 00-system.conf <<<'system { }'
	run tctl reload
	assert_success
	device_json | jq -e '.device == null and .state == "off"'
	grep -q "hardware watchdog $T/two closed (no longer configured)" "$T/tend.out"
}

@test "as PID 1, the machine's end sets the shutdown timeout and stops the pings, without closing the device" {
	[ "$(id -u)" -eq 0 ] || skip "needs root for PID namespaces"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	local dev=$T/watchdog
	ln -s /dev/null "$dev"
	conf 00-system.conf <<CONF
system { watchdog-device = "$dev"  watchdog-timeout = 2s  watchdog-shutdown-timeout = 4s }
CONF
	conf 10-a.conf <<<'process "a" { command = "/bin/sleep 1000" }'
	# PID 1 of a namespace: reboot(2) ends it with SIGINT (power off).
	unshare --pid --fork --mount --mount-proc --uts --net "$TEND" -c "$CONF" -r "$RUN" \
		>"$T/tend.out" 2>&1 &
	UNSHARE_PID=$!
	wait_until tctl ping
	TEND_PID=$(pgrep -P "$UNSHARE_PID")
	wait_until device_is pinging
	run tctl poweroff
	assert_success
	wait_until gone "$UNSHARE_PID"
	UNSHARE_PID=
	# In order: the groups stopped (pinged meanwhile), then the shutdown
	# timeout (/dev/null takes none) and no more pings, then the
	# last steps; never a close.
	run grep -n -e 'all groups stopped' -e "hardware watchdog $dev: no more pings" \
		-e 'sending SIGTERM to every process left' "$T/tend.out"
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	assert_line --index 0 --partial 'all groups stopped'
	assert_line --index 1 --partial 'no more pings'
	assert_line --index 2 --partial 'sending SIGTERM'
	grep -q "setting the shutdown timeout to 4s: Inappropriate ioctl for device; its timeout is unknown" "$T/tend.out"
	run grep -c "hardware watchdog $dev closed" "$T/tend.out"
	assert_output 0
}

@test "a FIFO or a regular file at the device's path is refused without blocking tend" {
	[ "$(id -u)" -eq 0 ] || skip "tend uses the hardware watchdog only as root (user mode ignores it)"
	mkfifo "$T/fifo"
	: >"$T/file"
	conf 00-system.conf <<CONF
system { watchdog-device = "$T/fifo"  watchdog-timeout = 2s }
CONF
	start_tend
	wait_until device_is failed
	device_json | jq -e '.error | startswith("cannot open it: not a watchdog (not a character device, or no driver)")'
	conf 00-system.conf <<CONF
system { watchdog-device = "$T/file"  watchdog-timeout = 2s }
CONF
	run tctl reload
	assert_success
	device_json | jq -e --arg d "$T/file" '.device == $d and .state == "failed" and
		(.error | startswith("cannot open it: not a watchdog"))'
	[ "$(stat -c %s "$T/file")" -eq 0 ]
}

@test "in user mode watchdog-device is ignored, saying so once" {
	[ "$(id -u)" -eq 0 ] || skip "runs tend as another user (nobody) to be in user mode"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	conf 00-system.conf <<'CONF'
system { watchdog-device = "/dev/watchdog" }
CONF
	conf 10-a.conf <<<'process "a" { command = "/bin/sleep 1000" }'
	chmod 0755 "$T" "$CONF"
	mkdir -m 0700 "$RUN" && chown 65534:65534 "$RUN"
	setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/nonexistent \
		"$TEND" -c "$CONF" -r "$RUN" >"$T/tend.out" 2>&1 &
	TEND_PID=$!
	echo "$TEND_PID" >>"$T/tends"
	wait_until tctl ping
	run tctl ping
	assert_output --partial "mode user"
	device_json | jq -e '.device == null and .state == "off" and
		.error == "ignored: only tend as root (PID 1 or system mode) uses it"'
	run tctl reload
	assert_success
	[ "$(grep -c 'watchdog-device /dev/watchdog ignored: only tend as root' "$T/tend.out")" -eq 1 ]
}
