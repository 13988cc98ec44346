# runit: runsvdir DIR starts one runsv per service directory. runsv restarts
# a service at once unless its ./run ran under 1 s, then waits out that
# second (built in; no setting). runsvdir rescans DIR every 5 s. Stop: SIGHUP
# to runsvdir, which sends TERM to every runsv (each stops its service and
# exits) and exits itself: what runit's stage 3 does.
runit_available() { command -v runsvdir >/dev/null; }
runit_conf() { bench_svdirs "$@"; }
runit_argv() {
	ARGV=(runsvdir "$1/sv")
	[ "$2" != storm ] || bench_pid1
}
runit_stop() { [ "$2" = storm ] && echo sig:KILL || echo sig:HUP; }
runit_note() { echo "runit $(dpkg-query -W -f='${Version}' runit): runsvdir + one runsv per service; restart at once, but not sooner than 1 s after the last start (fixed); SIGHUP to runsvdir stops all"; }
