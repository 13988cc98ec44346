# tend: one conf.d file per service, each its own group (as a conf.d is meant
# to be used). restart-delay 0ms and no restart window for the idle services,
# so that the restart latency is tend's own; the crash loop keeps the defaults
# (100 ms delay, 5 exits in 30 s, then failed). Stopped with SIGTERM.
tend_available() { [ -x "$ROOT/tend" ] && [ -x "$ROOT/tendctl" ]; }
tend_conf() {
	local dir=$1 n=$2 kind=$3 i
	mkdir -p "$dir/conf.d"
	if [ "$kind" = idle ]; then
		for ((i = 0; i < n; i++)); do
			printf 'group "s%d" {\n    process "p" {\n        command = "%s s%d"\n        restart-delay = 0ms\n        restart-window = 0s\n    }\n}\n' \
				"$i" "$BIN/bench_idle" "$i" >"$dir/conf.d/s$i.conf"
		done
	elif [ "$kind" = chain ]; then
		# each group requires the one before it (make bench's chain scenario)
		for ((i = 0; i < n; i++)); do
			printf 'group "s%d" {\n    %s\n    process "p" {\n        command = "%s s%d"\n    }\n}\n' \
				"$i" "$( ((i)) && printf 'requires = { "s%d" }' $((i - 1)))" "$BIN/bench_idle" "$i" \
				>"$dir/conf.d/s$i.conf"
		done
	elif [ "$kind" = crash-nolimit ]; then
		printf 'process "crash" {\n    command = "%s"\n    restart-delay = 0ms\n    restart-window = 0s\n}\n' \
			"$BIN/bench_crash" >"$dir/conf.d/crash.conf"
	else
		printf 'process "%s" { command = "%s" }\n' "$kind" "$(bench_prog "$kind")" >"$dir/conf.d/$kind.conf"
	fi
}
tend_argv() { ARGV=("$ROOT/tend" -q -c "$1/conf.d" -r "$1/run"); }
tend_stop() { echo sig:TERM; }
tend_note() { echo "tend: restart-delay 0ms here (default 100ms), restart-limit 5 in 30s by default then failed; SIGTERM to stop; a subreaper; cgroup tracking (root)"; }
# A tend that was killed leaves its cgroups (tend-PID/GROUP/PROCESS): remove
# the ones of the tend this run started, deepest first.
tend_after() {
	local pid cg
	pid=$(sed -n 's/^sup_pid=//p' "$1/out" 2>/dev/null)
	cg=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	[ -n "$pid" ] && [ -n "$cg" ] && [ -d "$cg/tend-$pid" ] || return 0
	find "$cg/tend-$pid" -depth -type d -exec rmdir {} + 2>/dev/null || true
}
