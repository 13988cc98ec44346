# The QEMU tier of the cluster tests (tests/qemu/cluster.bats): QC_N guests
# (TEND_QEMU_CLUSTER_GUESTS, default 3), each a QEMU with tend as PID 1, on one Ethernet segment:
# `-netdev socket,mcast=...` behaves like a hub. The QEMUs run inside a
# network namespace of this run's own, so parallel runs do not hear each
# other. Everything started is removed by qc_teardown, also after a failure.
#
# The image is the normal one (build/initramfs.cpio.gz) with a second cpio
# archive appended (initramfs/overlay.sh): the virtio modules of the cloud
# kernel and tests/qemu/cluster-image/ (a cluster section, the negotiable
# group "db", a reporter). Guest i gets tend_id=10.88.0.i and
# tend_addr=10.88.0.i/24 on its kernel command line, which the cluster
# section reads as "$tend_id" and "$tend_addr".
#
# Per guest i, in $QC_DIR/gI: console (the serial console, as qemu.bash's
# helpers read it), monitor (QEMU's HMP monitor, a unix socket) and report:
# the guest writes a JSON line every 250-500 ms to a virtio console that QEMU
# writes to this file (report.sh in the image says what it holds). The
# checks read the last complete line: no typing into a shell, no echo.

QC_NET=10.88.0
QC_DIR=${BATS_FILE_TMPDIR:-} # every phase of a bats file sees the same one
QC_N=${TEND_QEMU_CLUSTER_GUESTS:-3}
QC_MODULES="virtio_pci virtio_net virtio_console"

# Why the cluster tier cannot run here, or nothing when it can.
qc_unsupported() {
	command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 is not installed"; return; }
	[ -r "$REPO/build/kernel/vmlinuz" ] || { echo "no kernel: run make kernel"; return; }
	[ -r "$REPO/build/initramfs.cpio.gz" ] || { echo "no image: run make initramfs"; return; }
	[ "$(id -u)" -eq 0 ] || { echo "needs root (a network namespace for the guests' segment)"; return; }
	local t
	for t in ip socat jq modprobe depmod; do
		PATH=$PATH:/usr/sbin:/sbin command -v $t >/dev/null || { echo "$t is not installed"; return; }
	done
	local probe="tdqprobe$$"
	ip netns add "$probe" 2>/dev/null || { echo "cannot create network namespaces"; return; }
	ip netns del "$probe"
}

# qc_setup: the namespace, the image, and QC_N guests booting (not waited for).
qc_setup() {
	QC_NS="tdq$$"
	# Any port would do inside our own namespace; one per run all the same.
	QC_PORT=$((20000 + $$ % 20000))
	echo "$QC_NS" >"$QC_DIR/netns"
	ip netns add "$QC_NS"
	ip -n "$QC_NS" link set lo up
	"$REPO/initramfs/overlay.sh" --modules "$QC_MODULES" "$QC_DIR/overlay.cpio.gz" \
		"$REPO/tests/qemu/cluster-image" 2>"$QC_DIR/overlay.err" ||
		{ cat "$QC_DIR/overlay.err" >&2; return 1; }
	cat "$REPO/build/initramfs.cpio.gz" "$QC_DIR/overlay.cpio.gz" >"$QC_DIR/image.cpio.gz"
	local i
	for ((i = 1; i <= QC_N; i++)); do
		qc_boot "$i"
	done
}

qc_mac() { printf '52:54:00:88:00:%02x' "$1"; }

# The NIC as device_add takes it (and as the command line has it).
qc_nic() { echo "virtio-net-pci,netdev=n0,id=nic0,mac=$(qc_mac "$1"),romfile="; }

# qc_boot I: guest I's QEMU, in the background; its pid in $QC_DIR/gI/qemu.pid.
# romfile= : no option ROM (the PXE ROM is not installed without recommends).
qc_boot() {
	local i=$1 d=$QC_DIR/g$1
	mkdir -p "$d"
	ip netns exec "$QC_NS" "$REPO/initramfs/boot.sh" --initrd "$QC_DIR/image.cpio.gz" \
		--log "$d/console" --input "$d/input" --pidfile "$d/qemu.pid" \
		--append "tend_id=$QC_NET.$i tend_addr=$QC_NET.$i/24" \
		--qemu "-monitor unix:$d/monitor,server=on,wait=off
			-netdev socket,id=n0,mcast=230.0.0.1:$QC_PORT,localaddr=127.0.0.1
			-device $(qc_nic "$i")
			-device virtio-serial-pci,id=vser -chardev file,id=report,path=$d/report
			-device virtconsole,chardev=report" 3>&- 2>"$d/boot.err" ||
		{ cat "$d/boot.err" >&2; return 1; }
	cat "$d/qemu.pid" >>"$QC_DIR/qemu-pids"
}

# Alive and not a zombie (an orphaned QEMU waits for init to reap it).
qc_pid_alive() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# Every QEMU started (by pid), then the namespace; safe to call twice.
qc_teardown() {
	local pid i
	[ -n "${QC_DIR:-}" ] || return 0
	if [ -f "$QC_DIR/qemu-pids" ]; then
		while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$QC_DIR/qemu-pids"
		while read -r pid; do
			for i in $(seq 50); do
				qc_pid_alive "$pid" || break
				sleep 0.1
			done
		done <"$QC_DIR/qemu-pids"
	fi
	if [ -f "$QC_DIR/netns" ]; then
		ip netns del "$(cat "$QC_DIR/netns")" 2>/dev/null || true
	fi
	rm -f "$QC_DIR/netns" "$QC_DIR/qemu-pids"
}

# use_guest I: points qemu.bash's console helpers (console_wait, guest) at guest I.
# shellcheck disable=SC2034 # VM_DIR and VM_PID are qemu.bash's
use_guest() {
	VM_DIR=$QC_DIR/g$1
	VM_PID=$(cat "$VM_DIR/qemu.pid")
}

# qc_alive I: guest I's QEMU runs.
qc_alive() { qc_pid_alive "$(cat "$QC_DIR/g$1/qemu.pid")"; }

# hmp I COMMAND: COMMAND in guest I's QEMU monitor (HMP); its answer, with
# the monitor's echo and escape sequences, in $output. Fails when the
# monitor cannot be reached or answers "Error: ...". HMP answers at once:
# socat waits 1 s for it after sending the command.
hmp() {
	local raw
	raw=$(printf '%s\n' "$2" | timeout 10 socat -t 1 - "UNIX-CONNECT:$QC_DIR/g$1/monitor") ||
		{ output="cannot reach guest $1's monitor"; return 1; }
	output=$(printf '%s\n' "$raw" | tr -d '\r' | sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/\x1b[^[]//g')
	[[ $output != *Error* ]]
}

# report I: the last complete report line of guest I (JSON), or nothing.
report() {
	tail -n 3 "$QC_DIR/g$1/report" 2>/dev/null | jq -c -R 'fromjson? // empty' 2>/dev/null |
		tail -n 1
}

# rq I FILTER: jq -r FILTER on guest I's last report ("" when there is none).
rq() { report "$1" | jq -r "$2" 2>/dev/null; }

db_state() { rq "$1" '.status.groups[] | select(.name == "db") | .state'; }
db_owner() { rq "$1" '.status.groups[] | select(.name == "db") | .owner'; }
link_of() { rq "$1" '.peers.link'; }
alive_peers() { rq "$1" '[.peers.peers[] | select(.state == "alive") | .id] | sort | join(" ")'; }
peer_state() { rq "$1" ".peers.peers[] | select(.id == \"$2\") | .state"; }

# The guests (numbers) where db is running or starting, space-separated.
# shellcheck disable=SC2120 # callers in cluster.bats pass guests
runners() { # [GUESTS...]
	local i s out="" hosts=("$@")
	[ ${#hosts[@]} -gt 0 ] || mapfile -t hosts < <(seq 1 "$QC_N")
	for i in "${hosts[@]}"; do
		s=$(db_state "$i")
		[ "$s" = running ] || [ "$s" = starting ] && out="$out $i"
	done
	echo "${out# }"
}

runners_are() { # GUESTS...: exactly those run db
	# shellcheck disable=SC2119
	[ "$(runners)" = "$*" ]
}

# The ids (10.88.0.N) of every guest but those named.
others_ids() { # EXCEPT...
	local i out=""
	for ((i = 1; i <= QC_N; i++)); do
		[[ " $* " == *" $i "* ]] || out="$out $QC_NET.$i"
	done
	echo "${out# }"
}

# qc_wait SECONDS COMMAND...: until COMMAND succeeds; 1 when SECONDS pass.
qc_wait() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

# steady_for SECONDS COMMAND...: COMMAND holds in every sample (every 0.3 s)
# for SECONDS; prints the first sample where it did not and fails.
steady_for() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $end ]; do
		# shellcheck disable=SC2119
		"$@" || { echo "# not steady: '$*' failed; runners: $(runners)" >&2; return 1; }
		sleep 0.3
	done
}

# For a failed test: what each guest said last, and its console's end.
qc_dump() {
	local i
	for ((i = 1; i <= QC_N; i++)); do
		echo "--- guest $i ($QC_NET.$i):" >&2
		report "$i" | jq -c '{n, uptime, eth0,
			db: (.status.groups[]? | select(.name == "db") | {state, owner, term}),
			link: .peers.link, peers: [.peers.peers[]? | {id, state, runs}],
			groups: .peers.groups}' 2>/dev/null | sed 's/^/  report: /' >&2
		tr -d '\r' <"$QC_DIR/g$i/console" 2>/dev/null | grep -E 'tend: |virtio|eth0' |
			tail -n 15 | sed 's/^/  /' >&2
	done
}
