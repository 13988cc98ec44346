# Helpers for the QEMU boot tests: boot the initramfs (initramfs/boot.sh),
# read the serial console, type into the guest's console shell.
#
# The guest runs tend as PID 1 with initramfs/conf.d; its console shell is
# the group "console". Every guest command goes through guest(): it types
# the command followed by an end marker whose number the shell computes, so
# the typed (echoed) line never matches what the test waits for.

bats_load_library bats-support
bats_load_library bats-assert

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BOOT_DEADLINE=${TEND_QEMU_BOOT_DEADLINE:-120} # seconds, TCG on 2 loaded cores

# Skips unless the machine can boot the image at all.
qemu_available() {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
	[ -r "$REPO/build/kernel/vmlinuz" ] || skip "no kernel: run make kernel"
	[ -r "$REPO/build/initramfs.cpio.gz" ] || skip "no image: run make initramfs"
}

# vm_boot DIR [boot.sh options]: boots a guest whose console is DIR/console
# (output) and DIR/input (a FIFO). Sets VM_DIR and VM_PID.
vm_boot() {
	VM_DIR=$1
	shift
	mkdir -p "$VM_DIR"
	"$REPO/initramfs/boot.sh" --log "$VM_DIR/console" --input "$VM_DIR/input" \
		--pidfile "$VM_DIR/qemu.pid" "$@" 3>&-
	VM_PID=$(cat "$VM_DIR/qemu.pid")
	export VM_DIR VM_PID
}

# Ends the guest's QEMU (ours, by pid) if it still runs.
vm_kill() {
	[ -n "${VM_PID:-}" ] || return 0
	kill -KILL "$VM_PID" 2>/dev/null || true
	local i
	for i in $(seq 50); do
		kill -0 "$VM_PID" 2>/dev/null || return 0
		sleep 0.1
	done
}

vm_alive() { kill -0 "$VM_PID" 2>/dev/null; }

# The console without carriage returns.
console_text() { tr -d '\r' <"$VM_DIR/console"; }

# console_end WHY: says WHY and shows the console's last lines (test output).
console_end() {
	echo "# $1; console's end:" >&3
	console_text | tail -n 30 | sed 's/^/#   /' >&3
}

# console_wait ERE [SECONDS] [COUNT]: waits until the console has COUNT
# (default 1) lines matching ERE. Fails, showing the console's end, if the
# deadline passes or QEMU ends first.
console_wait() {
	local re=$1 limit=${2:-60} count=${3:-1}
	local end=$((SECONDS + limit))
	while :; do
		if [ "$(console_text | grep -Ec -- "$re")" -ge "$count" ]; then
			return 0
		fi
		if ! vm_alive; then
			[ "$(console_text | grep -Ec -- "$re")" -ge "$count" ] && return 0
			console_end "QEMU ended before the console showed /$re/"
			sed 's/^/#   qemu: /' "$VM_DIR/console.qemu-stderr" >&3 2>/dev/null
			return 1
		fi
		if [ $SECONDS -ge $end ]; then
			console_end "no /$re/ on the console within ${limit}s"
			return 1
		fi
		sleep 0.1
	done
}

# vm_ready [PROMPT-ERE] [BOOT]: waits for the BOOTth boot's (default 1)
# "startup finished" and then for a console shell prompt printed after it:
# input typed before the shell reads its terminal can be lost.
vm_ready() {
	local prompt=${1:-'guest# '} boot=${2:-1}
	console_wait 'tend: startup finished: ' "$BOOT_DEADLINE" "$boot"
	local end=$((SECONDS + 30))
	until console_text | awk -v n="$boot" -v re="$prompt" \
		'/tend: startup finished: / { seen++ } seen >= n && $0 ~ re { found = 1 } END { exit !found }'; do
		if [ $SECONDS -ge $end ]; then
			console_end "no prompt /$prompt/ after boot $boot"
			return 1
		fi
		sleep 0.1
	done
}

# vm_poweroff: types `tendctl poweroff` and waits (60 s at most) until
# QEMU has exited by itself, as it does when the guest powers off.
vm_poweroff() {
	type_line 'tendctl poweroff' || return 1
	local end=$((SECONDS + 60))
	while vm_alive; do
		[ $SECONDS -lt $end ] || { console_end "QEMU still runs 60s after tendctl poweroff"; return 1; }
		sleep 0.2
	done
}

# type_line TEXT: types TEXT and Enter on the guest's console. The FIFO is
# opened read-write: opening it write-only would block forever once QEMU,
# its only reader, is gone.
type_line() {
	vm_alive || { echo "# QEMU is not running" >&3; return 1; }
	printf '%s\n' "$1" 1<>"$VM_DIR/input"
}

# guest COMMAND [SECONDS]: runs COMMAND in the guest's console shell and
# waits for it to finish. Its output lines (prefixed "@N@ " in the guest so
# they stand apart from kernel messages and the echo) are in $output, its
# exit status in $status (busybox sh has no PIPESTATUS: the status travels
# as a last line of its own).
guest() {
	local cmd=$1 limit=${2:-30}
	# Numbered across tests (each runs in its own subshell): in a file.
	local n=$(($(cat "$VM_DIR/step" 2>/dev/null || echo 0) + 1))
	echo "$n" >"$VM_DIR/step"
	# The markers' numbers are computed in the guest: the echoed command
	# line (which the shell may wrap anywhere) shows "$((...))", never the
	# result.
	type_line "{ $cmd ; echo \"@rc=\$?\"; } 2>&1 | sed \"s/^/@\$((1000+$n))@ /\"; echo \"@@end \$((1000+$n))\"" ||
		return 1
	console_wait "^@@end $((1000 + n))\$" "$limit" || return 1
	local all
	all=$(console_text | sed -n "s/^@$((1000 + n))@ //p")
	status=$(printf '%s\n' "$all" | sed -n 's/^@rc=//p' | tail -n 1)
	output=$(printf '%s\n' "$all" | grep -v '^@rc=' || true)
	[ -n "$status" ] || status=255
	lines=()
	[ -z "$output" ] || mapfile -t lines <<<"$output"
}
