#!/usr/bin/env bash
# The reload scenario of make bench (issue 16, item 0.3): how long reading a
# large conf.d takes, and whether tend answers while a reload reads one.
#   1. `tend --check` on N groups (BENCH_RELOAD_SIZES, default 5000 10000
#      20000 40000), all in one file and spread over 100 files: wall and
#      CPU ms (the reader's; --check reads conf.d as a reload does), median
#      of BENCH_RELOAD_RUNS (default 3).
#   2. `tendctl ping` round trips while a reload reads the largest conf.d
#      (made invalid by its last file, so nothing is applied): tend answers
#      within milliseconds; before, it answered once the reader was done.
# usage: tests/bench/reload.sh SAMPLES NOTES (from tests/bench/run.sh:
# BENCH_ONLY=reload make bench), or alone with no arguments (prints only).
# TEND=path/to/tend measures another build (the one before, for instance).
set -eu
cd "$(dirname "$0")/../.."
ROOT=$PWD
TEND=${TEND:-$ROOT/tend}
TENDCTL=$ROOT/tendctl
SAMPLES=${1:-/dev/null}
NOTES=${2:-/dev/null}
SIZES=${BENCH_RELOAD_SIZES:-5000 10000 20000 40000}
RUNS=${BENCH_RELOAD_RUNS:-3}
WORK=$(mktemp -d /tmp/tend-bench-reload.XXXXXX)
TEND_PID=
cleanup() {
	[ -n "$TEND_PID" ] && kill -TERM "$TEND_PID" 2>/dev/null && wait "$TEND_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

record() { printf 'reload\t%s\ttend\t%s\n' "$1" "$2" >>"$SAMPLES"; }
med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# gen DIR N FILES: N groups over FILES files
gen() {
	rm -rf "$1"
	mkdir -p "$1"
	awk -v n="$2" -v files="$3" -v dir="$1" 'BEGIN {
		per = int((n + files - 1) / files)
		for (i = 0; i < n; i++)
			printf "group \"g%d\" {\n  autostart = false\n  process \"p\" { command = \"/bin/sleep 1000\" }\n}\n", i \
				>(dir "/" sprintf("%05d", int(i / per)) ".conf")
	}'
}

# check_ms DIR: "wall_ms cpu_ms" of one tend --check
check_ms() {
	/usr/bin/time -o "$WORK/time" -f '%e %U %S' "$TEND" --check -c "$1" >/dev/null 2>&1 || true
	awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$WORK/time"
}

echo "  tend --check (reads conf.d as a reload does): median of $RUNS, ms"
printf '    %-8s %-22s %-22s\n' groups "one file: wall / CPU" "100 files: wall / CPU"
for n in $SIZES; do
	line=$(printf '%-8s' "$n")
	for files in 1 100; do
		gen "$WORK/conf" "$n" "$files"
		: >"$WORK/wall"
		: >"$WORK/cpu"
		for _ in $(seq 1 "$RUNS"); do
			read -r w c < <(check_ms "$WORK/conf")
			echo "$w" >>"$WORK/wall"
			echo "$c" >>"$WORK/cpu"
		done
		w=$(med <"$WORK/wall")
		c=$(med <"$WORK/cpu")
		where=$([ "$files" = 1 ] && echo "one file" || echo "100 files")
		record "check ms, $n groups in $where (wall)" "$w"
		record "check ms, $n groups in $where (CPU)" "$c"
		line="$line $(printf '%-22s' "$w / $c")"
	done
	echo "    $line"
done

# 2. ping during a reload of the largest conf.d
n=${SIZES##* }
mkdir -p "$WORK/d/conf.d" "$WORK/d/stage"
echo 'group "g" { process "p" { command = "/bin/sleep 1000" } }' >"$WORK/d/conf.d/00-g.conf"
gen "$WORK/d/stage" "$n" 100
printf 'group "bad" {\n}\n' >"$WORK/d/stage/99999-bad.conf"
"$TEND" -c "$WORK/d/conf.d" -r "$WORK/d/run" >"$WORK/d/tend.out" 2>&1 &
TEND_PID=$!
for _ in $(seq 1 100); do "$TENDCTL" -r "$WORK/d/run" ping >/dev/null 2>&1 && break; sleep 0.1; done
mv "$WORK/d/stage/"*.conf "$WORK/d/conf.d/"
"$TENDCTL" -r "$WORK/d/run" reload >/dev/null 2>&1 &
reload=$!
: >"$WORK/pings"
start=$(date +%s%N)
while kill -0 "$reload" 2>/dev/null; do
	t0=$(date +%s%N)
	"$TENDCTL" -r "$WORK/d/run" ping >/dev/null
	echo $((($(date +%s%N) - t0) / 1000000)) >>"$WORK/pings"
done
wait "$reload" || true
total=$((($(date +%s%N) - start) / 1000000))
p=$(med <"$WORK/pings")
max=$(sort -n "$WORK/pings" | tail -n 1)
record "ping ms during a reload of $n groups (median)" "$p"
record "ping ms during a reload of $n groups (max)" "$max"
record "reload ms, $n groups (tendctl reload)" "$total"
echo "  during a reload of $n groups ($total ms until tendctl reload answered): $(wc -l <"$WORK/pings") pings, median $p ms, max $max ms"
echo "reload: tend --check medians of $RUNS; pings while tendctl reload of $n groups ran" >>"$NOTES"
