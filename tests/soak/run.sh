#!/usr/bin/env bash
# The soak (README "Soak"): tests/soak/soak.py against one tend, in a
# temporary directory removed afterwards. Used by tests/soak.bats and by
# `make soak SOAK_MINUTES=N` (which prints the curve).
#   tests/soak/run.sh [TEND] [soak.py options...]
# TEND defaults to ./tend; a sanitizer build (a path with /san/) keeps its
# freed memory in ASan's quarantine, so RSS is not bounded there (said so).
set -u
cd "$(dirname "$0")/../.." || exit 1
tend=${1:-$PWD/tend}
shift
extra=()
case $tend in
*/san/*)
	echo "soak: $tend is built with ASan: freed memory stays in its quarantine, so RSS is not checked"
	extra+=(--rss-bound -1)
	;;
esac
dir=$(mktemp -d "${TMPDIR:-/tmp}/tend-soak.XXXXXX") || exit 1
python3 tests/soak/soak.py --tend "$tend" --dir "$dir/t" "${extra[@]}" "$@"
rc=$?
if ((rc != 0)) && [ -f "$dir/t/tend.out" ]; then
	echo "--- the last lines of tend's output:"
	tail -n 30 "$dir/t/tend.out"
fi
rm -rf "$dir"
exit "$rc"
