# supervisord (Debian's supervisor): one [program:x] per service, defaults
# except autorestart=true; minfds raised for 1000 services (each has pipes
# and AUTO log files in DIR/log). Its loop wakes once a second (poll with a
# 1 s timeout; SIGCHLD does not cut it short), and acts on an exit then: a
# restart takes up to 1 s. A process that exits before startsecs (1 s) is a
# failed start, retried after 1, 2, 3 s, and FATAL after startretries (3). Stop: SIGTERM (it stops its
# programs, one group at a time, then exits).
supervisord_available() { command -v supervisord >/dev/null; }
supervisord_conf() {
	local dir=$1 n=$2 kind=$3 i
	mkdir -p "$dir/log"
	{
		printf '[supervisord]\nnodaemon=true\nlogfile=%s/supervisord.log\npidfile=%s/supervisord.pid\nchildlogdir=%s/log\nminfds=%d\nminprocs=%d\n' \
			"$dir" "$dir" "$dir" $((n * 8 + 1024)) $((n * 2 + 200))
		if [ "$kind" = idle ]; then
			for ((i = 0; i < n; i++)); do
				printf '[program:s%d]\ncommand=%s s%d\nautorestart=true\n' "$i" "$BIN/bench_idle" "$i"
			done
		else
			printf '[program:%s]\ncommand=%s\nautorestart=true\n' "$kind" "$(bench_prog "$kind")"
		fi
	} >"$dir/supervisord.conf"
}
supervisord_argv() {
	ARGV=(supervisord -n -c "$1/supervisord.conf")
	[ "$2" != storm ] || bench_pid1
}
supervisord_stop() { [ "$2" = storm ] && echo sig:KILL || echo sig:TERM; }
supervisord_note() { echo "supervisord $(dpkg-query -W -f='${Version}' supervisor): one Python process; acts on exits at its 1 s loop tick; after startsecs=1 s of running a restart is immediate, else backoff 1,2,3 s and FATAL after startretries=3; SIGTERM stops all"; }
