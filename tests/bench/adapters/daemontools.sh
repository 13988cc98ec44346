# daemontools: svscan DIR starts one supervise per service directory and
# rescans every 5 s. supervise sleeps 1 s after every start (fixed), so a
# service that dies within a second waits for it. Stop: daemontools has no
# "stop all": SIGTERM to svscan (so it starts nothing again), then
# svc -dx on every service (supervise stops it and exits).
daemontools_available() { command -v svscan >/dev/null && command -v svc >/dev/null; }
daemontools_conf() { bench_svdirs "$@"; }
daemontools_argv() {
	ARGV=(svscan "$1/sv")
	[ "$2" != storm ] || bench_pid1
}
daemontools_stop() { [ "$2" = storm ] && echo sig:KILL || echo "kill -TERM \$SUP_PID; svc -dx $1/sv/*"; }
daemontools_note() { echo "daemontools $(dpkg-query -W -f='${Version}' daemontools): svscan + one supervise per service; supervise sleeps 1 s after each start (fixed); stop: SIGTERM to svscan, then svc -dx on each service"; }
