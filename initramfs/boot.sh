#!/bin/sh
# Boots the tend initramfs under QEMU: interactively on this terminal (make boot), or for
# tests with the serial console on a FIFO (input) and a file (output).
# usage: initramfs/boot.sh [--kernel FILE] [--initrd FILE] [--log FILE --input FIFO]
#                          [--pidfile FILE] [--reboot] [--append WORDS] [--qemu WORDS]
# With --log, QEMU's own messages go to FILE.qemu-stderr. With --pidfile (and --log) QEMU
# runs in the background and the script returns at once; otherwise the script becomes QEMU
# (exec), so its pid and exit status are QEMU's. --qemu adds options to QEMU's command line
# (words split at blanks: devices, a monitor; tests/qemu/cluster.bash uses it).
# Env TEND_QEMU_ACCEL=kvm|tcg skips the probe.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kernel=$top/build/kernel/vmlinuz
initrd=$top/build/initramfs.cpio.gz
log="" input="" pidfile="" reboot=-no-reboot append="" extra=""
usage() { sed -n '/^# usage:/,/^[^#]/s/^# \{0,1\}//p' "$0" | head -n 2 >&2; exit 2; }
while [ $# -gt 0 ]; do
	[ "$1" = --reboot ] && { reboot=""; shift; continue; }
	[ $# -ge 2 ] || usage # every other option takes a value
	case $1 in
	--kernel) kernel=$2 ;;
	--initrd) initrd=$2 ;;
	--log) log=$2 ;;
	--input) input=$2 ;;
	--pidfile) pidfile=$2 ;;
	--append) append=$2 ;;
	--qemu) extra=$2 ;;
	*) usage ;;
	esac
	shift 2
done
case "${log:+L}${input:+I}" in L | I) echo "tend: --log and --input go together" >&2; exit 2 ;; esac
for f in "$kernel" "$initrd"; do
	[ -r "$f" ] || { echo "tend: $f is missing (make kernel initramfs)" >&2; exit 1; }
done

base="-m 256M -smp 1 -display none -monitor none -nodefaults"

# KVM here may be a nested hypervisor on which the guest hangs right after the
# decompressor. Boot the kernel alone (no initrd: it panics at once, panic=-1 and
# -no-reboot then end QEMU) and use KVM only if that finishes within 4 s with the
# kernel's own messages on the console. The answer is cached in build/qemu-accel.
probe_kvm() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	plog=$(mktemp)
	ok=1
	# shellcheck disable=SC2086
	timeout -k 1 4 qemu-system-x86_64 $base -accel kvm -serial "file:$plog" -no-reboot \
		-kernel "$kernel" -append "console=ttyS0 panic=-1" </dev/null >/dev/null 2>&1 &&
		grep -q -e "Kernel panic" -e "Linux version" "$plog" && ok=0
	rm -f "$plog"
	return $ok
}
cache=$top/build/qemu-accel
accel=${TEND_QEMU_ACCEL:-}
case $accel in
kvm | tcg) why="TEND_QEMU_ACCEL" ;;
"")
	if [ -s "$cache" ]; then
		accel=$(cat "$cache") why="cached in $cache"
	else
		if probe_kvm; then accel=kvm; else accel=tcg; fi
		mkdir -p "$(dirname "$cache")" && echo "$accel" >"$cache"
		why="probed, cached in $cache"
	fi ;;
*) echo "tend: TEND_QEMU_ACCEL must be kvm or tcg" >&2; exit 2 ;;
esac
echo "tend: QEMU accelerator $accel ($why)" >&2

cmdline="console=ttyS0 panic=-1 printk.time=1 loglevel=4${append:+ $append}"
# shellcheck disable=SC2086
set -- qemu-system-x86_64 $base -accel "$accel" $reboot -kernel "$kernel" -initrd "$initrd" \
	-append "$cmdline" $extra

if [ -z "$log" ]; then
	# Interactive: the console (and QEMU's monitor behind Ctrl-A C) on this terminal.
	echo "tend: quit QEMU with Ctrl-A X; in the guest, 'tendctl poweroff' powers it off" >&2
	[ -n "$pidfile" ] && echo $$ >"$pidfile"
	exec "$@" -serial mon:stdio
fi

# Non-interactive: the FIFO is opened read-write, so QEMU never reads EOF when a writer
# closes it. fd 3 is closed so a bats test does not wait for QEMU to end.
[ -p "$input" ] || mkfifo "$input"
if [ -n "$pidfile" ]; then
	"$@" -serial stdio 0<>"$input" >"$log" 2>"$log.qemu-stderr" 3>&- &
	echo $! >"$pidfile"
	exit 0
fi
exec "$@" -serial stdio 0<>"$input" >"$log" 2>"$log.qemu-stderr" 3>&-
