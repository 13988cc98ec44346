#!/usr/bin/env bash
# `make bench BENCH_ONLY=hostile` (issue 16.5; README "Hostile clients"):
# how long `status` takes while each attack of tests/hostile.bats goes on.
# One tend (./tend, or TEND) on a conf.d with 100 groups and a cluster
# section on loopback; for each attack a client does `status` on a new
# connection every 5 ms for BENCH_HOSTILE_SECONDS (default 5) while the
# attack runs, then the attack is ended and the figures printed: requests
# answered, median, 99th percentile and the largest (ms), errors, and the
# counter that shows the offender was dropped or limited, and the CPU time
# tend itself spent meanwhile (ms: the machine's load does not change it).
# Asserts nothing.
#   tests/bench/hostile.sh [ATTACK...]   (default: all; names in the table)
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
TEND=${TEND:-$ROOT/tend}
SECONDS_EACH=${BENCH_HOSTILE_SECONDS:-5}
CLIENT="python3 $ROOT/tests/hostile_client.py"
W=$(mktemp -d /tmp/tend-hostile.XXXXXX)
RUN=$W/run
SOCK=$RUN/tend.sock
PORT=$((20000 + $$ % 20000))
PIDS=()
TEND_PID=

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	[ -n "$TEND_PID" ] && kill -TERM "$TEND_PID" 2>/dev/null && wait "$TEND_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

mkdir -p "$W/conf.d"
{
	echo "cluster { interface = \"lo\"  port = $PORT  heartbeat = 200ms  dead-after = 1s }"
	for i in $(seq 100); do echo "group \"g$i\" { process \"p\" { command = \"sleep 100000\" } }"; done
	# output for `logs -f` subscribers, only during that attack: tend's
	# copying it to the log costs what the other rows should not show
	echo 'group "noise" { autostart = false  process "yes" { command = "yes 0123456789012345678901234567890123456789" } }'
} >"$W/conf.d/10-bench.conf"
"$TEND" -c "$W/conf.d" -r "$RUN" >"$W/tend.out" 2>&1 &
TEND_PID=$!
for _ in $(seq 200); do "$ROOT/tendctl" -r "$RUN" ping >/dev/null 2>&1 && break; sleep 0.05; done

bg() { "$@" >>"$W/attack.out" 2>&1 & PIDS+=($!); }
forever() { while :; do "$@" >/dev/null 2>&1; done; }
json() { "$ROOT/tendctl" -r "$RUN" status --json; }
# tend's own CPU time (user + system, clock ticks): what an attack costs
# it, whatever else the machine runs
tend_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$TEND_PID/stat"; }

# The attacks: each starts in the background and goes on until ended.
attack_none() { :; }
attack_longline() { bg forever $CLIENT "$SOCK" longline 10; }
attack_garbage() { bg forever $CLIENT "$SOCK" garbage; }
attack_words() { bg forever $CLIENT "$SOCK" words 2000; }
attack_idle1000() { bg $CLIENT "$SOCK" idle 1000; }
attack_half1000() { bg $CLIENT "$SOCK" idle 1000 half; }
attack_pipeline() { bg $CLIENT "$SOCK" pipeline 9000; }
attack_events() {
	bg $CLIENT "$SOCK" subscribe 20 events
	bg forever $CLIENT "$SOCK" services 2000
}
attack_noise() { "$ROOT/tendctl" -r "$RUN" start noise >/dev/null; } # no attack: logsf's load alone
attack_logsf() {
	"$ROOT/tendctl" -r "$RUN" start noise >/dev/null
	bg $CLIENT "$SOCK" subscribe 20 "logs -f noise"
}
attack_notify() { bg $CLIENT "$RUN/notify" notify 100000; }
attack_peer() { bg $CLIENT "127.0.0.1:$PORT" peer 100000; }

counter() { # what shows the offender was limited, after the attack
	case $1 in
	longline | words) json | jq -r '"too_long \(.control.too_long)"' ;;
	garbage) json | jq -r '"bad_requests \(.control.bad_requests)"' ;;
	idle1000 | half1000) json | jq -r '"evicted \(.control.evicted)"' ;;
	pipeline | events | logsf) json | jq -r '"dropped_total \(.control.dropped_total) dropped_unread \(.control.dropped_unread)"' ;;
	notify) json | jq -r '"notify_dropped \(.notify_dropped)"' ;;
	peer) json | jq -r '"peer_dropped \(.peer_dropped)"' ;;
	*) echo - ;;
	esac
}

ATTACKS=${*:-none longline garbage words idle1000 half1000 pipeline events noise logsf notify peer}
printf '%-9s %8s %9s %9s %9s %6s %8s  %s\n' attack requests median_ms p99_ms max_ms errors tend_cpu counter
for a in $ATTACKS; do
	"attack_$a"
	sleep 0.5 # the attack under way
	cpu0=$(tend_cpu_ticks)
	$CLIENT "$SOCK" latency "$SECONDS_EACH" "$W/$a.ms" >"$W/$a.lat"
	cpu_ms=$((($(tend_cpu_ticks) - cpu0) * 1000 / $(getconf CLK_TCK)))
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
	case $a in noise | logsf) "$ROOT/tendctl" -r "$RUN" stop noise >/dev/null ;; esac
	errors=$(awk '{print $NF}' "$W/$a.lat")
	sort -n "$W/$a.ms" | awk -v a="$a" -v e="$errors" -v c="$(counter "$a")" -v cpu="$cpu_ms" \
		'{ v[NR] = $1 } END { p = int(NR * 0.99); if (p < 1) p = 1
		printf "%-9s %8d %9.2f %9.2f %9.2f %6s %6sms  %s\n", a, NR, v[int((NR + 1) / 2)], v[p], v[NR], e, cpu, c }'
	sleep 1 # dropped connections closed, memory given back
done
echo "tend: $(grep VmRSS "/proc/$TEND_PID/status" | awk '{print $2, $3}') RSS at the end; load average $(cut -d' ' -f1-3 /proc/loadavg)"
