# Shared by the adapters (sourced by tests/bench/run.sh). An adapter NAME.sh
# defines, for the supervisor NAME:
#   NAME_available      exit 0 if it can run here (else say why on stdout)
#   NAME_conf DIR N KIND  declare N services of KIND in DIR: idle (bench_idle,
#                       ids s0..sN-1), crash (one bench_crash), storm (one bench_storm)
#   NAME_argv DIR KIND N  set ARGV: the supervisor in the foreground
#   NAME_stop DIR KIND  print how to stop it: sig:NAME or a shell command
#                       (SUP_PID is the supervisor's pid), as bench_drive -S takes
#   NAME_note           one line: restart minimum, limits, how it is stopped
#   NAME_after DIR      optional: clean up after a run (tend: its cgroups)
# Services run our static programs directly (no shell in between) so that
# every supervisor execs the same single file per start.

# The program for a kind of service.
bench_prog() {
	case $1 in
	idle) echo "$BIN/bench_idle" ;; crash) echo "$BIN/bench_crash" ;; storm) echo "$BIN/bench_storm" ;;
	esac
}

# Service directories (runit, s6, daemontools): DIR/sv/NAME/run is a symlink
# to the program; bench_idle takes its id from the directory name, which
# is its working directory when the supervisor runs ./run.
bench_svdirs() {
	local dir=$1 n=$2 kind=$3 prog i
	prog=$(bench_prog "$kind")
	mkdir -p "$dir/sv"
	if [ "$kind" = idle ]; then
		for ((i = 0; i < n; i++)); do
			mkdir "$dir/sv/s$i" && ln -s "$prog" "$dir/sv/s$i/run"
		done
	else
		mkdir "$dir/sv/$kind" && ln -s "$prog" "$dir/sv/$kind/run"
	fi
}

# runit, s6, daemontools and supervisord reap orphans only as PID 1: for the
# reap storm they run as PID 1 of a PID namespace (--kill-child: the whole
# namespace dies with unshare, which is how it is stopped). tend, tini -s and
# the floor are subreapers and run as they are.
bench_pid1() {
	ARGV=(unshare --pid --fork --mount --mount-proc --kill-child -- "${ARGV[@]}")
}
