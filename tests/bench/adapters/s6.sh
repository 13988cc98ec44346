# s6: s6-svscan DIR starts one s6-supervise per service directory. It refuses
# services beyond its maximum (-c), so -c is set to twice the services asked
# for. s6-supervise restarts a service 1 s after it went down (2.11: fixed,
# whatever its uptime; a ./finish script can only add). Stop: s6-svscanctl -t (s6-svscan brings every
# service down, the s6-supervise processes exit, then it exits).
s6_available() { command -v s6-svscan >/dev/null; }
s6_conf() { bench_svdirs "$@"; }
s6_argv() {
	local n
	n=$(find "$1/sv" -mindepth 1 -maxdepth 1 -type d | wc -l)
	ARGV=(s6-svscan -c $((n * 2 > 1000 ? n * 2 : 1000)) "$1/sv")
	[ "$2" != storm ] || bench_pid1
}
s6_stop() { [ "$2" = storm ] && echo sig:KILL || echo "s6-svscanctl -t $1/sv"; }
s6_note() { echo "s6 $(dpkg-query -W -f='${Version}' s6): s6-svscan -c max(2N,1000) + one s6-supervise per service; restart 1 s after each death (fixed); s6-svscanctl -t stops all"; }
# Each service has its own s6-supervise, whose 1 s delay no other restart can
# shorten: the restart benchmark may space its kills instead of waiting.
s6_pipeline_kills() { :; }
