#!/bin/sh
# Builds an extra cpio archive to append to the tend initramfs: the kernel accepts
# concatenated archives as one initrd, later files replacing earlier ones, so
#   cat build/initramfs.cpio.gz OVERLAY.cpio.gz >IMAGE.cpio.gz
# is the normal image plus the overlay, and the normal image stays as it is.
# The overlay holds the files of TREE (e.g. etc/tend/conf.d/*.conf; a *.conf symlink to
# /dev/null masks the image's file of that name) and, with --modules, the kernel modules
# MODS and every module they depend on, from the kernel that fetch-kernel.sh unpacked
# (the Debian cloud kernel has virtio, virtio_net, virtio_console as modules), at
# /lib/modules/KVER/..., and /etc/modules.load: their paths in the guest, one a line, in
# the order `modprobe --show-depends` gives (dependencies first) — what busybox insmod
# needs, as the guest has no modprobe database:
#   while read -r m; do insmod "$m"; done </etc/modules.load
# usage: initramfs/overlay.sh [--kernel-dir DIR] [--modules "MOD ..."] OUTPUT.cpio.gz [TREE]
#        (DIR: what fetch-kernel.sh made, default build/kernel; needs kmod's depmod, modprobe)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$top/build/kernel mods=""
usage() { sed -n '/^# usage:/,/^[^#]/s/^# \{0,1\}//p' "$0" | head -n 2 >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--kernel-dir) [ $# -ge 2 ] || usage; kdir=$2; shift 2 ;;
	--modules) [ $# -ge 2 ] || usage; mods=$2; shift 2 ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || [ $# -eq 2 ] || usage
case $kdir in /*) ;; *) kdir=$PWD/$kdir ;; esac # modprobe prints absolute paths
case $1 in /*) out=$1 ;; *) out=$PWD/$1 ;; esac
tree=${2:-}
[ -z "$tree" ] || [ -d "$tree" ] || { echo "tend: $tree is not a directory" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
[ -z "$tree" ] || cp -a "$tree"/. "$stage"/

if [ -n "$mods" ]; then
	PATH=$PATH:/usr/sbin:/sbin
	for t in depmod modprobe; do
		command -v $t >/dev/null || { echo "tend: $t is missing (apt-get install kmod)" >&2; exit 1; }
	done
	[ -r "$kdir/version" ] || { echo "tend: no kernel in $kdir (make kernel)" >&2; exit 1; }
	kver=$(cat "$kdir/version")
	root=$kdir/root
	# fetch-kernel.sh runs depmod; a kernel fetched before it did gets it here, once
	# (under a lock: two test runs may get here together).
	if [ ! -s "$root/lib/modules/$kver/modules.dep" ]; then
		(
			flock 9
			[ -s "$root/lib/modules/$kver/modules.dep" ] || depmod -b "$root" "$kver"
		) 9>"$kdir/.depmod.lock"
	fi
	mkdir -p "$stage/etc"
	: >"$stage/etc/modules.load"
	for m in $mods; do
		modprobe -d "$root" -S "$kver" --show-depends "$m" >"$stage/deps" ||
			{ echo "tend: no module $m in $kver" >&2; exit 1; }
		# "insmod PATH" lines, dependencies first; "builtin NAME" needs nothing.
		# shellcheck disable=SC2013 # paths without blanks (kernel module paths)
		for ko in $(awk '$1 == "insmod" { print $2 }' "$stage/deps"); do
			case $ko in "$root"/*) ;; *) echo "tend: $ko is outside $root" >&2; exit 1 ;; esac
			guest=${ko#"$root"}
			grep -qxF "$guest" "$stage/etc/modules.load" && continue
			mkdir -p "$stage$(dirname "$guest")"
			cp "$ko" "$stage$guest"
			echo "$guest" >>"$stage/etc/modules.load"
		done
	done
	rm -f "$stage/deps"
fi

# Without "." itself: its entry would set the mode of the guest's /.
cd "$stage"
find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9 >"$out.tmp"
mv "$out.tmp" "$out"
echo "tend: $out: $(wc -c <"$out") bytes" >&2
