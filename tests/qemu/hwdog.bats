#!/usr/bin/env bats
# The hardware watchdog (system { watchdog-device ... }): tend as PID 1 of a
# QEMU guest with QEMU's i6300esb, whose action is to power the guest off.
# The cloud kernel has no i6300esb driver: the guest boots the generic
# kernel (make kernel-generic), once, with the normal image plus
# tests/qemu/hwdog-image (watchdog-timeout = 10s, and a group that loads
# the driver) and, as /init, build/hooks/tend: tend with the test-only
# `watchdog device hold`, which stops the pings as a hung tend would.
# QEMU's QMP WATCHDOG event (tests/qemu/qmp_events.py) says that the
# watchdog ended the guest, and when.

load qemu

TIMEOUT=10 # the image's watchdog-timeout, seconds

setup_file() {
	qemu_available
	local d=$BATS_FILE_TMPDIR kdir=$REPO/build/kernel-generic
	[ -r "$kdir/vmlinuz" ] || skip "no generic kernel (it has the i6300esb driver): run make kernel-generic"
	[ -x "$REPO/build/hooks/tend" ] || skip "no test build of tend: run make build/hooks/tend"
	command -v jq >/dev/null || skip "jq is not installed"
	command -v python3 >/dev/null || skip "python3 is not installed"
	qemu-system-x86_64 -device help 2>&1 | grep -q '"i6300esb"' ||
		skip "this QEMU has no i6300esb device"
	# -action (QEMU >= 6.0), else the older -watchdog-action.
	local action="-action watchdog=poweroff"
	qemu-system-x86_64 -action help >/dev/null 2>&1 || action="-watchdog-action poweroff"
	mkdir -p "$d/tree"
	cp -a "$REPO/tests/qemu/hwdog-image/." "$d/tree/"
	strip --strip-debug -o "$d/tree/init" "$REPO/build/hooks/tend"
	"$REPO/initramfs/overlay.sh" --kernel-dir "$kdir" --modules i6300esb \
		"$d/overlay.cpio.gz" "$d/tree" 2>"$d/overlay.err" ||
		{ cat "$d/overlay.err" >&2; return 1; }
	cat "$REPO/build/initramfs.cpio.gz" "$d/overlay.cpio.gz" >"$d/image.cpio.gz"
	QMP=$d/qmp EVENTS=$d/events
	# --reboot: the second test reboots the guest.
	vm_boot "$d/vm" --reboot --kernel "$kdir/vmlinuz" --initrd "$d/image.cpio.gz" \
		--qemu "-device i6300esb $action -qmp unix:$QMP,server=on,wait=off"
	python3 "$REPO/tests/qemu/qmp_events.py" "$QMP" "$EVENTS" 30 3>&- &
	echo $! >"$d/qmp_events.pid"
	export QMP EVENTS
	boot_ready 1
}

# boot_ready N: the Nth boot's console shell is ready. The driver's group
# may end after the shell prompted: once the shell has prompted, Enter
# gives a prompt after "startup finished", which vm_ready waits for.
boot_ready() {
	local n=$1 end=$((SECONDS + BOOT_DEADLINE))
	until console_text | awk -v n="$n" '/tend: console\/shell: started/ { seen++ }
			seen >= n && /guest# / { found = 1 } END { exit !found }'; do
		[ $SECONDS -lt $end ] || { console_end "no prompt of boot $n"; return 1; }
		sleep 0.1
	done
	console_wait 'tend: startup finished: ' "$BOOT_DEADLINE" "$n"
	type_line ''
	vm_ready 'guest# ' "$n"
}

teardown_file() {
	vm_kill
	local pid
	pid=$(cat "$BATS_FILE_TMPDIR/qmp_events.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
}

setup() {
	qemu_available
	vm_alive || skip "the guest is not running (an earlier test ended it)"
}

no_watchdog_event() {
	[ "$(jq -c 'select(.event == "WATCHDOG")' "$EVENTS" 2>/dev/null)" = "" ]
}

# The device's view, in $output; $status is tendctl's.
device_json() { guest 'tendctl watchdog device --json'; }

# device_wait JQ-CONDITION SECONDS: until the view satisfies it.
device_wait() {
	local cond=$1 end=$((SECONDS + $2))
	while :; do
		device_json
		printf '%s\n' "$output" | jq -e "$cond" >/dev/null 2>&1 && return 0
		[ $SECONDS -lt $end ] || { echo "# not /$cond/ within $2s: $output" >&3; return 1; }
		sleep 1
	done
}

@test "tend opens the i6300esb once its driver is loaded, and pings it: the guest stays up past the timeout" {
	# The driver is loaded by a group, after tend started: tend tries again.
	device_wait '.state == "pinging"' 60
	printf '%s\n' "$output" | jq -e --argjson t "$TIMEOUT" '
		.device == "/dev/watchdog" and .identity == "i6300ESB timer" and
		.timeout_s == $t and .requested_timeout_s == $t and
		.ping_interval_ms == $t * 500 and (.options | index("magicclose")) != null and
		.error == null'
	console_wait 'tend: error: hardware watchdog /dev/watchdog: cannot open it: No such file' 1
	console_wait 'tend: hardware watchdog /dev/watchdog \(i6300ESB timer\): timeout 10s' 1
	# Four pings at 5 s: 15 s and more since it was opened, 1.5 timeouts.
	device_wait '.pings >= 4' 60
	vm_alive
	no_watchdog_event
	guest 'tendctl watchdog device'
	assert_line 'state pinging'
	assert_line --regexp '^timeout 10s \(asked 10s\), pinged every 5000ms$'
}

@test "at the machine's end tend sets the shutdown timeout and stops pinging; the guest reboots" {
	type_line 'tendctl reboot'
	console_wait 'tend: hardware watchdog /dev/watchdog: 600s for the rest of the shutdown, no more pings' 60
	console_wait 'reboot: Restarting system' 60
	boot_ready 2
	# A clean reboot (QEMU's RESET event), not the watchdog's; and the new
	# boot's tend opens it again.
	run jq -e 'select(.event == "RESET")' "$EVENTS"
	assert_success
	no_watchdog_event
	device_wait '.state == "pinging"' 60
}

@test "a tend that stops pinging has QEMU power the guest off within the timeout" {
	guest 'tendctl watchdog device hold && tendctl watchdog device --json'
	assert_equal "$status" 0
	local now_ms ago
	now_ms=$(($(date +%s%N) / 1000000))
	ago=$(printf '%s\n' "${lines[-1]}" | jq -e '.last_ping_ms_ago')
	printf '%s\n' "${lines[-1]}" | jq -e '.state == "held"'
	# The last ping, on the host's clock (a little late by the console's delay).
	local last_ping_ms=$((now_ms - ago))
	local end=$((SECONDS + TIMEOUT + 30))
	while vm_alive && [ $SECONDS -lt $end ]; do sleep 0.1; done
	run vm_alive
	assert_failure
	# QEMU ended for its watchdog (not a panic, not a poweroff of tend's).
	# The event file may hold the earlier boot's RESET already: wait for
	# this one's WATCHDOG event itself (qmp_events.py writes it as it comes).
	local i
	for i in $(seq 50); do
		jq -e 'select(.event == "WATCHDOG")' "$EVENTS" >/dev/null 2>&1 && break
		sleep 0.1
	done
	run jq -e 'select(.event == "WATCHDOG") | .data.action == "poweroff"' "$EVENTS"
	assert_success
	local fired_ms
	fired_ms=$(jq -e 'select(.event == "WATCHDOG") |
		.timestamp.seconds * 1000 + (.timestamp.microseconds / 1000 | floor)' "$EVENTS")
	local took=$((fired_ms - last_ping_ms))
	echo "# hardware watchdog (timeout ${TIMEOUT}s): QEMU powered off ${took}ms after the last ping" >&3
	run bash -c "tr -d '\r' <'$VM_DIR/console' | grep -c -e 'Kernel panic' -e 'tend: power off'"
	assert_output 0
	# Within the timeout, plus a margin for a loaded machine; and not much
	# before it (the console's delay makes the last ping's estimate late,
	# so the figure errs short).
	[ "$took" -ge $(((TIMEOUT - 3) * 1000)) ]
	[ "$took" -le $(((TIMEOUT + 5) * 1000)) ]
}
