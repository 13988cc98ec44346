#!/bin/sh
# Builds a bootable initramfs with tend as /init: busybox for a shell and tools, tend and
# tendctl with any shared libraries they link, and the guest's conf.d from initramfs/conf.d.
# The staging directory build/initramfs-root is made afresh each time (it takes a second).
# usage: initramfs/build.sh OUTPUT.cpio.gz   (run after `make`: it packs ./tend and ./tendctl)
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTPUT.cpio.gz" >&2; exit 2; }
case $1 in /*) out=$1 ;; *) out=$PWD/$1 ;; esac
top=$(cd "$(dirname "$0")/.." && pwd)
stage=$top/build/initramfs-root
for f in "$top/tend" "$top/tendctl" /bin/busybox; do
	[ -x "$f" ] || { echo "tend: $f is missing (make all; apt-get install busybox-static)" >&2; exit 1; }
done
# The dynamic busybox package would need its libraries in the image too.
if ldd /bin/busybox >/dev/null 2>&1; then
	echo "tend: /bin/busybox is dynamically linked; install busybox-static" >&2
	exit 1
fi

rm -rf "$stage"
mkdir -p "$stage" && cd "$stage"
mkdir -p bin etc/tend/conf.d proc sys dev run tmp root usr
chmod 1777 tmp
chmod 0700 root

# busybox-static is one static binary: a symlink per applet, all in /bin. /sbin and /usr/*
# point there too so absolute paths such as /sbin/poweroff or /usr/bin/env also work.
cp /bin/busybox bin/busybox
for a in $(bin/busybox --list); do
	[ -e "bin/$a" ] || ln -s busybox "bin/$a"
done
ln -s bin sbin
ln -s ../bin usr/bin
ln -s ../bin usr/sbin

# tend is static (unless built with STATIC=0) and tendctl dynamic: copy every library
# ldd names, and the ELF interpreter, to the same path in the image (following the
# host's /lib64 symlinks). ldd names nothing for a static binary.
# Without their debug information: the image is loaded into the guest's memory whole.
strip --strip-debug -o init "$top/tend"
strip --strip-debug -o bin/tendctl "$top/tendctl"
for lib in $(ldd "$top/tend" "$top/tendctl" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\// && $i !~ /:$/) print $i }' | sort -u); do
	mkdir -p ".$(dirname "$lib")"
	cp -L "$lib" ".$lib"
done

cp "$top"/initramfs/conf.d/*.conf etc/tend/conf.d/
echo "root:x:0:0:root:/root:/bin/sh" >etc/passwd
echo "root:x:0:" >etc/group

# The kernel opens /dev/console for /init before anything is mounted; only root can
# make the node. Without it tend opens the console itself once devtmpfs is mounted.
if [ "$(id -u)" -eq 0 ]; then mknod -m 0600 dev/console c 5 1; fi

# -R 0:0: the guest's files belong to root even when a user builds the image.
find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9 >"$out.tmp"
mv "$out.tmp" "$out"
echo "tend: $out: $(wc -c <"$out") bytes" >&2
