# The floor: tests/bench/floor_sup.c, posix_spawn and a signalfd, nothing else.
floor_available() { [ -x "$BIN/floor_sup" ]; }
floor_conf() { :; }
floor_argv() { ARGV=("$BIN/floor_sup" "${3:-1}" "$(bench_prog "$2")"); }
floor_stop() { echo sig:TERM; }
floor_note() { echo "floor: tests/bench/floor_sup.c; posix_spawn, signalfd, restarts at once, no limit; SIGTERM stops all; a subreaper"; }
