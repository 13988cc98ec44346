#!/bin/sh
# Installs the Debian packages that building or testing tend needs, if any are missing.
# As root it runs apt-get; otherwise it names the packages and fails, so nothing half-works.
# usage: tools/ensure-deps.sh build|check|fuzz|boot|bench
set -u
build="gcc make pkg-config libconfuse-dev libnl-3-dev libnl-route-3-dev libseccomp-dev libsodium-dev"
check="$build libcmocka-dev bats bats-support bats-assert bats-file valgrind iproute2 procps jq socat util-linux qemu-system-x86 busybox-static cpio kmod systemd redis-server spin nftables python3 strace cppcheck clang-tidy clang libclang-rt-14-dev"
# (check: cppcheck, clang-tidy and clang for make lint and make clang, clang and its
# runtime for the fuzz targets; make check runs all three.)
fuzz="$build clang libclang-rt-14-dev"
# make initramfs / kernel / boot: build tend, pack busybox into a cpio, run QEMU (kmod:
# depmod and modprobe, for the modules the cluster's QEMU tests pack).
boot="$build qemu-system-x86 busybox-static cpio kmod"
# make bench: the peer supervisors (issue 6). runit, not runit-init, and daemontools,
# not daemontools-run: none may replace the machine's init (--no-install-recommends
# keeps runit's "runit-run | runit-init" out). finit is left out: it only runs as
# PID 1 and its bootstrap works on the host (tests/bench/run.sh says why); dinit is
# not in Debian 12.
# keepalived: VRRP failover beside tend's in the cluster scenario; it is run only
# inside the benchmark's network namespaces, with a configuration of its own (Debian
# ships none, so its service does not start by itself).
bench="$build runit s6 daemontools tini supervisor valgrind jq procps util-linux linux-perf iproute2 nftables keepalived"
case "${1:-build}" in
build) want=$build ;;
check) want=$check ;;
fuzz) want=$fuzz ;;
boot) want=$boot ;;
bench) want=$bench ;;
*) echo "usage: $0 build|check|fuzz|boot|bench" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "tend: missing packages:$missing" >&2
	echo "tend: install them with: sudo apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
echo "tend: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
	echo "tend: apt-get could not install:$missing" >&2
	exit 1
}
