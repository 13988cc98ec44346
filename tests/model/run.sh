#!/usr/bin/env bash
# Checks the SPIN models of the peer protocol (tests/model/*.pml) and prints TAP.
#   run.sh quick   what `make check` runs (well under 3 minutes)
#   run.sh full    `make model`: the larger configurations (tens of minutes, GBs of memory)
# Each configuration is: a model, its -D options, what SPIN must find (none: no error; a
# violation: the model must fail, as paper.pml without tend's changes does), pan's options.
# Everything is built and run in a temporary directory (no trail files in the tree).
set -u
cd "$(dirname "$0")" || exit 1
here=$PWD
which=${1:-quick}

quick=(
	"paper.pml||violation|the paper's bidding: two runners at boot (no hold-off)"
	"paper.pml|-DFIX_HOLDOFF -DLOSSES=2|violation|with tend's hold-off alone: two lost datagrams make two runners (silence as consent)"
	"tend.pml|-DMAXT=2|none|tend's protocol, 3 hosts, two terms each: never two runners"
)
full=(
	"${quick[@]}"
	"paper.pml|-DFIX_HOLDOFF -DFIX_SILENCE -DFIX_TERMS -DLOSSES=1 -DDUPS=1|none|the paper with tend's three changes: never two runners"
	"tend.pml||none|tend's protocol, 3 hosts, four terms: never two runners"
	"tend.pml|-DCRASH|none|a host crashes and restarts: never two runners while connected"
	"tend.pml|-DPULL|none|a card is pulled and re-inserted: never two runners"
	"tend.pml|-DPARTITION|none|a partition heals: one runner within one heartbeat"
	"tend.pml|-DLOSSES=1 -DDUPS=1|none|a lost and a duplicated datagram: never two runners"
)

if ! command -v spin >/dev/null || ! command -v gcc >/dev/null; then
	echo "1..1"
	echo "ok 1 - model # skip spin or gcc is not installed (tools/ensure-deps.sh check)"
	exit 0
fi
case $which in
quick) configs=("${quick[@]}") ;;
full) configs=("${full[@]}") ;;
*) echo "usage: $0 quick|full" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/tend-model.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
echo "1..${#configs[@]}"
n=0 failed=0
for c in "${configs[@]}"; do
	IFS='|' read -r model defs expect what <<<"$c"
	n=$((n + 1))
	dir=$work/$n
	mkdir -p "$dir" && cp "$here/$model" "$dir/"
	# shellcheck disable=SC2086
	if ! (cd "$dir" && spin -a $defs "$model" >spin.out 2>&1 &&
		gcc -O2 -w -DSAFETY -DCOLLAPSE -DMEMLIM=4096 -o pan pan.c >gcc.out 2>&1); then
		echo "not ok $n - $what ($model $defs: does not build)"
		sed 's/^/#   /' "$dir"/spin.out "$dir"/gcc.out 2>/dev/null | head -n 10
		failed=$((failed + 1))
		continue
	fi
	start=$SECONDS
	(cd "$dir" && ./pan -m500000 >pan.out 2>&1)
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.out" | head -n 1)
	stored=$(awk '/states, stored/ { print $1; exit }' "$dir/pan.out")
	incomplete=$(grep -cE 'memory limit|max search depth too small' "$dir/pan.out")
	took=$((SECONDS - start))
	if [ "$expect" = violation ] && [ "${errors:-0}" -gt 0 ]; then
		echo "ok $n - $what ($model $defs: violation found, as expected; ${took}s)"
	elif [ "$expect" = none ] && [ "${errors:-1}" = 0 ] && [ "$incomplete" = 0 ]; then
		echo "ok $n - $what ($model $defs: $stored states, no error; ${took}s)"
	else
		echo "not ok $n - $what ($model $defs: errors ${errors:-?}, $stored states, search incomplete: $incomplete; ${took}s)"
		grep -E 'assertion violated|errors:|memory limit|too small' "$dir/pan.out" | sed 's/^/#   /' | head -n 5
		failed=$((failed + 1))
	fi
done
[ "$failed" -eq 0 ]
