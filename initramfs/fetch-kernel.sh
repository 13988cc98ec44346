#!/bin/sh
# Fetches the Debian cloud kernel into OUTDIR without installing it, so that no
# initramfs hooks run and the host's /boot is left alone. The cloud flavour has the
# serial console (8250) and everything the normal image uses built in: it needs no
# modules. The virtio drivers (virtio_pci, virtio_net, virtio_console) are modules;
# initramfs/overlay.sh packs them for the cluster's QEMU tests, from OUTDIR/root,
# whose modules.dep this script makes with depmod (kmod) when it is installed.
# usage: initramfs/fetch-kernel.sh OUTDIR   -> OUTDIR/vmlinuz, OUTDIR/version, OUTDIR/root/
# Env TEND_KERNEL_META names another metapackage: linux-image-amd64 (the generic kernel,
# make kernel-generic) has the i6300esb watchdog driver as a module, which the cloud
# kernel lacks (tests/qemu/hwdog.bats).
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
[ -e "$out/vmlinuz" ] && exit 0 # idempotent: already fetched

# The metapackage names the current ABI (linux-image-6.1.0-NN-cloud-amd64); ask apt
# rather than hard-code it. Refresh the package lists only if apt does not know it.
meta=${TEND_KERNEL_META:-linux-image-cloud-amd64}
refresh() { # only root may refresh the package lists
	if [ "$(id -u)" -ne 0 ]; then
		echo "tend: apt's package lists are missing or stale: run sudo apt-get update" >&2
		exit 1
	fi
	apt-get update -qq
}
if ! apt-cache show "$meta" >/dev/null 2>&1; then
	echo "tend: $meta unknown to apt, refreshing the package lists" >&2
	refresh
fi
versioned() {
	apt-cache depends "$meta" | sed -n 's/^ *|\{0,1\}Depends: \(linux-image-[^ ]*\).*/\1/p' | head -n 1
}
pkg=$(versioned)
[ -n "$pkg" ] || { echo "tend: cannot find the package $meta depends on" >&2; exit 1; }

mkdir -p "$out"
# apt-get download as root drops to the _apt user and warns when it cannot write the
# current directory, so download in a fresh directory that _apt owns.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
echo "tend: downloading $pkg" >&2
if ! (cd "$tmp" && apt-get download -q "$pkg"); then
	# Stale package lists name a version the mirror no longer has.
	echo "tend: download failed; refreshing the package lists and trying again" >&2
	refresh
	pkg=$(versioned)
	(cd "$tmp" && apt-get download -q "$pkg")
fi
rm -rf "$out/root"
dpkg -x "$tmp"/"$pkg"_*.deb "$out/root"
mv "$tmp"/"$pkg"_*.deb "$out/"

set -- "$out"/root/boot/vmlinuz-*
kernel=$1
[ -f "$kernel" ] || { echo "tend: $pkg has no /boot/vmlinuz-*" >&2; exit 1; }
basename "$kernel" | sed 's/^vmlinuz-//' >"$out/version"
if PATH=$PATH:/usr/sbin:/sbin command -v depmod >/dev/null; then
	PATH=$PATH:/usr/sbin:/sbin depmod -b "$out/root" "$(cat "$out/version")"
fi
# Written last: its presence means the fetch is complete.
cp "$kernel" "$out/vmlinuz"
echo "tend: kernel $(cat "$out/version") in $out/vmlinuz" >&2
