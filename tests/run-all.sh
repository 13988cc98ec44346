#!/usr/bin/env bash
# Runs every test suite that `make check` built and sums them up. Suites, in order:
#   layers    tools/layers.sh            the layering check: includes and calls go down
#                                        the layers, no cycle (README "Layout")
#   unit      build/unit/test_*          cmocka binaries, TAP output
#   san       build/san/unit/test_*      the same built with ASan+UBSan
#   valgrind  build/unit/test_*          under valgrind; each binary is ONE test
#   bats      tests/*.bats               bats --tap
#   bats-san  tests/*.bats               again, against build/san/tend (ASan+UBSan): any
#                                        sanitizer report, leaks at exit included, fails the test
#   model     tests/model/run.sh quick   the SPIN models of the peer protocol (the small
#                                        configurations; `make model` runs the large ones)
#   fuzz      tests/fuzz/run.sh 20       each libFuzzer target (build/fuzz/fuzz_*) for
#                                        TEND_FUZZ_SECONDS (default 20) from its corpus; a
#                                        finding fails and names its reproducer
#   qemu      tests/qemu/*.bats          bats --tap (boots QEMU guests; slow)
#   lint      make lint-cppcheck, make lint-tidy, make clang: one test per tool (each
#                                        passes with no finding; README "Static analysis")
# Choose suites with TEND_TESTS (default: all), e.g. TEND_TESTS="unit bats" tests/run-all.sh.
# TEND_TEST_TIMEOUT bounds each unit binary in seconds (default 600).
# A program that exits non-zero without reporting a "not ok" (a crash, a sanitizer report
# after the tests) counts as one more failure. The last line is always
# "N passed, N failed, N skipped"; the exit status is 1 if anything failed or nothing ran.
set -u
shopt -s nullglob lastpipe
exec </dev/null
cd "$(dirname "$0")/.." || exit 1

suites=${TEND_TESTS:-layers unit san valgrind model lint fuzz bats bats-san qemu}
limit=${TEND_TEST_TIMEOUT:-600}
passed=0 failed=0 skipped=0
failures=() skips=()
export CMOCKA_MESSAGE_OUTPUT=TAP

header() { printf '\n=== %s ===\n' "$*"; }

fail() { # NAME: one failure that no TAP line reported
	failed=$((failed + 1))
	failures+=("$1")
}

# Counts one TAP line; returns 2 for a failed test, 1 for a line that is no result.
tap_line() { # WHERE LINE
	local desc lc
	[[ $2 =~ ^(not )?ok( [0-9]+)?( .*)?$ ]] || return 1
	desc=${BASH_REMATCH[3]# }
	desc=${desc#- }
	desc=${desc:-(unnamed)}
	lc=${desc,,}
	if [[ $lc == *"# skip"* || $lc == *"# todo"* ]]; then
		skipped=$((skipped + 1))
		skips+=("$1: $desc")
	elif [[ -n ${BASH_REMATCH[1]} ]]; then
		fail "$1: $desc"
		return 2
	else
		passed=$((passed + 1))
	fi
	return 0
}

# Runs a TAP producer, echoing its output and counting its results.
run_tap() { # SUITE NAME COMMAND...
	local suite=$1 name=$2 line rc saw_fail=0
	shift 2
	"$@" 2>&1 | while IFS= read -r line || [[ -n $line ]]; do
		printf '%s\n' "$line"
		tap_line "$suite: $name" "$line"
		[[ $? -eq 2 ]] && saw_fail=1
	done
	rc=${PIPESTATUS[0]}
	if ((rc != 0 && !saw_fail)); then
		echo "# $name exited with status $rc without reporting a failed test"
		fail "$suite: $name (exit status $rc$( ((rc == 124)) && echo ', timed out'))"
	fi
}

# 0 if LeakSanitizer can run here (it cannot under ptrace, e.g. strace or gdb).
lsan_works() {
	local d rc
	d=$(mktemp -d) || return 1
	printf 'int main(void) { return 0; }\n' >"$d/p.c"
	if "${CC:-cc}" -fsanitize=address -o "$d/p" "$d/p.c" 2>/dev/null; then
		ASAN_OPTIONS=detect_leaks=1 "$d/p" >/dev/null 2>&1
		rc=$?
	else # no compiler: guess from whether we are traced
		rc=$(awk '/^TracerPid:/ { print ($2 != 0) }' /proc/self/status)
	fi
	rm -rf "$d"
	return "$rc"
}

suite_layers() { run_tap layers layers.sh tools/layers.sh; }

suite_unit() {
	local b
	for b in build/unit/test_*; do
		[[ -f $b && -x $b ]] || continue
		echo "--- $b"
		run_tap unit "${b##*/}" timeout -k 10 "$limit" "$b"
	done
}

suite_san() {
	local b leaks=1
	if ! lsan_works; then
		leaks=0
		echo "# note: LeakSanitizer cannot run here (ptrace?); running with detect_leaks=0"
	fi
	for b in build/san/unit/test_*; do
		[[ -f $b && -x $b ]] || continue
		echo "--- $b"
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=$leaks" \
			UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1" \
			run_tap san "${b##*/}" timeout -k 10 "$limit" "$b"
	done
}

suite_valgrind() {
	local b rc name line
	command -v valgrind >/dev/null || {
		fail "valgrind: valgrind is not installed"
		return
	}
	for b in build/unit/test_*; do
		[[ -f $b && -x $b ]] || continue
		name="valgrind ${b##*/}"
		echo "--- $name"
		timeout -k 10 "$limit" valgrind -q --leak-check=full \
			--errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$b" 2>&1 |
			sed 's/^/    /' # indented: these TAP lines are not counted again
		rc=${PIPESTATUS[0]}
		# One TAP line of our own: passed iff valgrind exited 0.
		if ((rc == 0)); then line="ok - $name"; else line="not ok - $name (exit status $rc)"; fi
		echo "$line"
		tap_line valgrind "$line"
	done
}

run_bats() { # SUITE FILES...
	local suite=$1
	shift
	if (($# == 0)); then
		echo "(no .bats files)"
	elif ! command -v bats >/dev/null; then
		fail "$suite: bats is not installed"
	else
		run_tap "$suite" bats bats --tap "$@"
	fi
}

suite_bats() { run_bats bats tests/*.bats; }
suite_bats-san() {
	local leaks=1
	lsan_works || leaks=0
	TEND_BIN=$PWD/build/san/tend ASAN_OPTIONS="detect_leaks=$leaks" \
		UBSAN_OPTIONS=print_stacktrace=1 run_bats bats-san tests/*.bats
}
suite_qemu() { run_bats qemu tests/qemu/*.bats; }
suite_model() { run_tap model model tests/model/run.sh quick; }
suite_fuzz() {
	local f built=0
	for f in build/fuzz/fuzz_*; do
		[[ -f $f && -x $f ]] && built=1
	done
	if ((!built)); then
		fail "fuzz: no fuzz target is built (make fuzz-build)"
		return
	fi
	run_tap fuzz run.sh tests/fuzz/run.sh --fresh "${TEND_FUZZ_SECONDS:-20}"
}

# One make target as one test: ok when it exits 0. What it prints (the findings, less
# the commands and the names of the files checked) is shown indented, and its time.
make_test() { # SUITE NAME TARGET
	local line rc start=$SECONDS
	make --no-print-directory -s -j2 "$3" 2>&1 | grep -v -e '^clang-tidy [^ ]*$' -e '^cppcheck ([0-9]* files)$' | sed 's/^/    /'
	rc=${PIPESTATUS[0]}
	if ((rc == 0)); then
		line="ok - $2 ($((SECONDS - start)) s)"
	else
		line="not ok - $2 (make $3: exit status $rc)"
	fi
	echo "$line"
	tap_line "$1" "$line"
}

suite_lint() {
	make_test lint "cppcheck: no finding" lint-cppcheck
	make_test lint "clang-tidy: no finding" lint-tidy
	make_test lint "clang -Wall -Wextra -Werror builds tend, tendctl, libtend, unit tests" clang
}

for s in $suites; do
	case $s in
	layers | unit | san | valgrind | model | lint | fuzz | bats | bats-san | qemu)
		header "$s"
		"suite_$s"
		;;
	*) fail "unknown suite '$s' in TEND_TESTS (layers unit san valgrind model lint fuzz bats bats-san qemu)" ;;
	esac
done

header summary
if ((${#skips[@]})); then
	echo "skipped:"
	printf '  %s\n' "${skips[@]}"
fi
if ((${#failures[@]})); then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
fi
total=$((passed + failed + skipped))
((total == 0)) && echo "nothing ran: build the tests first (make unit) or check TEND_TESTS"
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0 && total > 0))
