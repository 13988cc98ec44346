#!/bin/sh
# Loads the modules of /etc/modules.load in order (initramfs/overlay.sh wrote it).
while read -r m; do
	insmod "$m" || exit 1
done </etc/modules.load
