#!/bin/sh
# `make run`: start tend on the shipped conf.d and show its status. As an
# ordinary user tend runs in user mode (trees tracked by ancestry, unless a
# writable cgroup2 hierarchy is there); as root in system mode (cgroups).
# tend runs in its run directory, where the demo's processes keep their
# files (conf.d/10-web.conf), so the demo leaves nothing anywhere else and
# another user's demo does not collide with it.
# usage: tools/demo.sh RUNDIR
set -u
top=$(pwd)
case $1 in /*) rundir=$1 ;; *) rundir=$top/$1 ;; esac
tendctl="$top/tendctl -r $rundir"
if $tendctl ping >/dev/null 2>&1; then
	echo "tend is already running with run directory $rundir:"
else
	# The mode tend gives a run directory it makes (README "The run directory").
	mkdir -p "$(dirname "$rundir")" && mkdir -m 0711 -p "$rundir" || exit 1
	mode=$( [ "$(id -u)" -eq 0 ] && echo "system mode" || echo "user mode")
	echo "starting tend ($mode) in $rundir: $top/tend -c $top/conf.d -r $rundir"
	echo "(its messages go to $rundir/tend.out)"
	(cd "$rundir" && exec nohup "$top/tend" -c "$top/conf.d" -r "$rundir" >tend.out 2>&1 </dev/null) &
	# Wait for the control socket to answer, then for the groups to settle.
	i=0
	until $tendctl ping >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 50 ]; then
			echo "tend did not come up; its output:" >&2
			cat "$rundir/tend.out" >&2
			exit 1
		fi
		sleep 0.1
	done
	$tendctl start web >/dev/null 2>&1 || true
fi
$tendctl status
echo
$tendctl service list
cat <<MSG

Try:  ./tendctl -r $rundir status --json
      ./tendctl -r $rundir restart web
      ./tendctl -r $rundir stop flaky/steady
      ./tendctl -r $rundir logs web          (what the processes printed)
      ./tendctl -r $rundir events            (changes as they happen)
      ./tendctl -r $rundir watch service http   (the service, then each change)
Stop: kill \$(cat $rundir/tend.pid)
MSG
