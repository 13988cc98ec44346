#!/usr/bin/env bash
# Runs the libFuzzer targets that `make fuzz-build` built, each for SECONDS,
# from its corpus in build/fuzz/NAME.corpus (kept between runs: it grows)
# and its seeds in tests/fuzz/corpus/NAME/, with tests/fuzz/NAME.dict if
# there is one. One TAP line per target: ok when it ran its time with no
# crash, leak, sanitizer report or timeout; otherwise not ok, with the
# reproducer (the input libFuzzer saved) and how to run it again.
# --fresh (make check): start from the seeds alone, in a corpus removed
# afterwards, so that the time stays SECONDS and the seeds' load however
# much the kept corpus has grown (libFuzzer runs a whole corpus first,
# outside its time limit).
# usage: tests/fuzz/run.sh [--fresh] SECONDS [TARGET...]
#        (default: every build/fuzz/fuzz_*)
set -u
cd "$(dirname "$0")/../.." || exit 1
fresh=0
if [[ ${1:-} == --fresh ]]; then
	fresh=1
	shift
fi
seconds=${1:?usage: $0 [--fresh] SECONDS [TARGET...]}
shift
targets=("$@")
if ((${#targets[@]} == 0)); then
	for f in build/fuzz/fuzz_*; do
		[[ -f $f && -x $f ]] && targets+=("${f##*/}")
	done
fi
# In a PID namespace of their own where one can be made: the targets that
# simulate processes then scan a /proc of a few entries (not the machine's),
# and no simulated pid is a real process. A smaller ASan quarantine makes
# the forks of the conf.d reader and of the notify closer cheaper.
isolate=()
if unshare --pid --fork --mount-proc true 2>/dev/null; then
	isolate=(unshare --pid --fork --mount-proc)
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64}
echo "1..${#targets[@]}"
i=0 failed=0
for n in "${targets[@]}"; do
	i=$((i + 1))
	f=build/fuzz/$n
	if [[ ! -x $f ]]; then
		echo "not ok $i - $n: $f is not built (make fuzz-build)"
		failed=$((failed + 1))
		continue
	fi
	corpus=$f.corpus findings=$f.findings log=$f.log
	((fresh)) && corpus=$f.fresh && rm -rf "$corpus"
	mkdir -p "$corpus" "$findings"
	args=(-max_total_time="$seconds" -max_len=4096 -timeout=25 -rss_limit_mb=2048
		-artifact_prefix="$findings/" "$corpus")
	[[ -f tests/fuzz/$n.dict ]] && args=(-dict="tests/fuzz/$n.dict" "${args[@]}")
	[[ -d tests/fuzz/corpus/$n ]] && args+=("tests/fuzz/corpus/$n")
	before=$(ls "$findings" | wc -l)
	"${isolate[@]}" "$f" "${args[@]}" >"$log" 2>&1
	rc=$?
	((fresh)) && rm -rf "$corpus"
	runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log")
	if ((rc == 0)); then
		echo "ok $i - $n: ${runs:-?}, no finding"
		continue
	fi
	failed=$((failed + 1))
	repro=$(ls -t "$findings" | head -1)
	echo "not ok $i - $n: exit status $rc"
	grep -E "ERROR|SUMMARY|^    #[0-9]+ " "$log" |
		grep -vE "fuzzer::|libc\.so|__sanitizer_print|pthread_kill|raise\.c|abort\.c" | head -16 | sed 's/^/# /'
	if [[ -n $repro ]] && (($(ls "$findings" | wc -l) > before)); then
		echo "# reproducer: $findings/$repro"
		echo "# run it again: $f $findings/$repro"
	fi
	echo "# the whole output: $log"
done
((failed == 0))
