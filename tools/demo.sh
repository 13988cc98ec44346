#!/bin/sh
# `make run`: start tend in user mode on the shipped conf.d and show its status.
# usage: tools/demo.sh RUNDIR
set -u
rundir=$1
tendctl="./tendctl -r $rundir"
if $tendctl ping >/dev/null 2>&1; then
	echo "tend is already running with run directory $rundir:"
else
	mkdir -p "$rundir"
	echo "starting tend: ./tend -c conf.d -r $rundir (its messages go to $rundir/tend.out)"
	nohup ./tend -c conf.d -r "$rundir" >"$rundir/tend.out" 2>&1 </dev/null &
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
cat <<MSG

Try:  ./tendctl -r $rundir status --json
      ./tendctl -r $rundir restart web
      ./tendctl -r $rundir stop flaky/steady
      ./tendctl -r $rundir logs web          (what the processes printed)
      ./tendctl -r $rundir events            (changes as they happen)
Stop: kill \$(cat $rundir/tend.pid)
MSG
