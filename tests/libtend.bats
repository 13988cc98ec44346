#!/usr/bin/env bats
# libtend as an installed program uses it: `make install` into a staging
# directory, the examples (tools/examples/) built there with pkg-config, and
# run against tend: register, look up and watch the services directory.

load helpers

# Installs once for the file, and builds the examples against what was
# installed: the shared library, and once the static archive.
setup_file() {
	INST=$BATS_FILE_TMPDIR/inst
	EX=$BATS_FILE_TMPDIR/bin
	export INST EX
	mkdir -p "$EX"
	if ! make -C "$TOP" --no-print-directory install DESTDIR="$INST" PREFIX=/usr \
		>"$BATS_FILE_TMPDIR/install.log" 2>&1; then
		cat "$BATS_FILE_TMPDIR/install.log" >&2
		return 1
	fi
	export PKG_CONFIG_PATH=$INST/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$INST
	local ex
	for ex in register_decoupled watch_service lookup_service; do
		# shellcheck disable=SC2046 # pkg-config's output is words
		"${CC:-cc}" -std=c11 -Wall -Wextra -Werror -o "$EX/$ex" \
			"$TOP/tools/examples/$ex.c" $(pkg-config --cflags --libs tend) || return 1
	done
	# shellcheck disable=SC2046
	"${CC:-cc}" -std=c11 -Wall -Wextra -Werror -static -o "$EX/register_static" \
		"$TOP/tools/examples/register_decoupled.c" $(pkg-config --static --cflags --libs tend)
}

setup() {
	tend_setup
	conf 10-g.conf <<CONF
group "g" {
	process "p" { command = "sleep 1000" }
	service "http" { port = 8080  proto = tcp  context = { "path=/" } }
}
CONF
}
teardown() { tend_teardown; }

# An example, run as an installed program runs: the installed libtend.so,
# and this test's tend.
ex() { # ex PROGRAM ARGS...
	local prog=$1
	shift
	TEND_RUNDIR=$RUN LD_LIBRARY_PATH=$INST/usr/lib "$EX/$prog" "$@"
}

@test "make install: the header, a pkg-config file for DESTDIR, libraries exporting tend_* only" {
	[ -f "$INST/usr/include/tend.h" ]
	grep -q 'tend_watch_open' "$INST/usr/include/tend.h"
	grep -qx 'prefix=/usr' "$INST/usr/lib/pkgconfig/tend.pc"
	run pkg-config --cflags --libs tend
	assert_success
	assert_output --partial "-I$INST/usr/include"
	assert_output --partial "-L$INST/usr/lib -ltend"
	# the examples load the installed libtend.so.0
	run env LD_LIBRARY_PATH="$INST/usr/lib" ldd "$EX/watch_service"
	assert_output --partial "libtend.so.0 => $INST/usr/lib/libtend.so.0"
	run nm -D --defined-only "$INST/usr/lib/libtend.so.0"
	assert_line --regexp ' T tend_service_register$'
	assert_line --regexp ' T tend_watch_next$'
	refute_output --regexp ' [A-Za-z] (svc_|libtend_|cmdline_|argv_)'
	# the static one needs no libtend.so
	run readelf -d "$EX/register_static"
	refute_output --partial libtend
}

@test "register_decoupled registers a location that stays after it has exited" {
	start_tend
	run ex register_decoupled cache --host ::1 --port 11211 --proto udp \
		--context "note=a b" --context "it=it's"
	assert_success
	assert_output --regexp '^service cache at \[::1\]:11211/udp index [0-9]+$'
	# run waited for it to exit; the location is there
	run tctl service lookup cache
	assert_success
	assert_output --regexp "^cache \[::1\]:11211/udp index [0-9]+ owner uid $(id -u) decoupled context "
	run tctl service lookup cache --json
	[ "$(jq -r '.locations[0].context.note' <<<"$output")" = "a b" ]
	[ "$(jq -r '.locations[0].context.it' <<<"$output")" = "it's" ]
	[ "$(jq -r '.locations[0].flags[0]' <<<"$output")" = decoupled ]
	# the same, linked with the static archive
	run env TEND_RUNDIR="$RUN" "$EX/register_static" sock --proto unix --path "/tmp/a b.sock"
	assert_success
	run tctl service lookup sock
	assert_output --regexp "^sock '127\.0\.0\.1/unix:/tmp/a b\.sock' index [0-9]+ owner uid [0-9]+ decoupled$"
	# tend's refusal, as it said it
	run ex register_decoupled bad/name --port 1
	assert_failure 1
	assert_output "register_decoupled: a service name is 1 to 64 of A-Z a-z 0-9 _ . -, not starting with -"
	run ex register_decoupled x --proto unix
	assert_failure 1
	assert_output "register_decoupled: a unix socket needs an absolute path"
}

@test "watch_service prints each add, move, update and remove as it happens" {
	start_tend
	sleep 1000 &
	local holder=$!
	track_pid $holder
	# there before the watch: told as an add, before "sync"
	tctl service register web --host 10.0.0.1 --port 80 --proto tcp --pid $holder
	TEND_RUNDIR=$RUN LD_LIBRARY_PATH=$INST/usr/lib "$EX/watch_service" web \
		>"$T/w.txt" 2>"$T/w.err" &
	local watcher=$!
	track_pid $watcher
	wait_until grep -q '^sync ' "$T/w.txt"
	tctl service register other --port 1 --decoupled
	tctl service register web --host ::1 --port 8080 --proto tcp --decoupled
	wait_until grep -q '^add web \[::1\]' "$T/w.txt"
	# the holder's location of web on another host: a move
	tctl service register web --host 10.0.0.2 --port 80 --proto tcp --pid $holder
	wait_until grep -q '^move web' "$T/w.txt"
	# ... then on another port of that host: an update that says where it was
	tctl service register web --host 10.0.0.2 --port 81 --proto tcp --pid $holder
	wait_until grep -q '^update web' "$T/w.txt"
	tctl service deregister web --host ::1
	wait_until grep -q '^remove web \[::1\]' "$T/w.txt"
	# its owner ends: gone too
	kill -KILL $holder
	wait_until grep -q '^remove web 10\.0\.0\.2' "$T/w.txt"
	run cat "$T/w.txt"
	assert_line --index 0 --regexp '^add web 10\.0\.0\.1:80/tcp index [0-9]+$'
	assert_line --index 1 --regexp '^sync [0-9]+$'
	assert_line --index 2 --regexp '^add web \[::1\]:8080/tcp index [0-9]+$'
	assert_line --index 3 --regexp '^move web 10\.0\.0\.1:80/tcp -> 10\.0\.0\.2:80/tcp index [0-9]+$'
	assert_line --index 4 --regexp '^update web 10\.0\.0\.2:80/tcp -> 10\.0\.0\.2:81/tcp index [0-9]+$'
	assert_line --index 5 --regexp '^remove web \[::1\]:8080/tcp index [0-9]+$'
	assert_line --index 6 --regexp '^remove web 10\.0\.0\.2:81/tcp index [0-9]+$'
	[ "${#lines[@]}" -eq 7 ]
	# each change has the next index
	local first
	first=$(sed -n '3s/.* index //p' "$T/w.txt")
	[ "$(sed -n '7s/.* index //p' "$T/w.txt")" -eq $((first + 4)) ]
	# interrupted: it ends cleanly
	kill -INT $watcher
	wait_for_exit $watcher
	assert_success
	[ ! -s "$T/w.err" ]
}

@test "lookup_service prints every location through libtend" {
	start_tend
	wait_until tctl service lookup http
	tctl service register http --host ::1 --port 8443 --proto tcp --decoupled \
		--context "note=a b" --context "q='x'"
	tctl service register http --proto unix --path "/run/it's here.sock" --decoupled
	sleep 1000 &
	local holder=$!
	track_pid $holder
	tctl service register http --host 10.1.2.3 --pid $holder --proxy
	run ex lookup_service http
	assert_success
	assert_line --index 0 "127.0.0.1:8080/tcp owner g/p context path=/"
	assert_line --index 1 "[::1]:8443/tcp owner uid $(id -u), decoupled context note=a b; q='x'"
	assert_line --index 2 "127.0.0.1/unix:/run/it's here.sock owner uid $(id -u), decoupled"
	assert_line --index 3 "10.1.2.3 owner pid $holder proxy"
	[ "${#lines[@]}" -eq 4 ]
	run ex lookup_service nothing
	assert_failure 1
	assert_output "lookup_service: nobody offers nothing"
	run ex lookup_service bad/name
	assert_failure 1
	assert_output "lookup_service: bad service name: bad/name"
}

@test "a watch ends when tend stops, and a refused one at once, with tend's reason" {
	start_tend
	wait_until tctl service lookup http
	run ex watch_service bad/name
	assert_failure 1
	assert_output "watch_service: bad service name"
	TEND_RUNDIR=$RUN LD_LIBRARY_PATH=$INST/usr/lib "$EX/watch_service" http \
		>"$T/w.txt" 2>"$T/w.err" &
	local watcher=$!
	track_pid $watcher
	wait_until grep -q '^sync ' "$T/w.txt"
	kill -TERM "$TEND_PID"
	wait_for_exit $watcher
	assert_failure 1
	run cat "$T/w.err"
	assert_output "watch_service: the watch ended: tend is exiting"
	# the declared location went as tend stopped its process
	run grep -c '^remove http 127\.0\.0\.1:8080/tcp' "$T/w.txt"
	assert_output 1
}
