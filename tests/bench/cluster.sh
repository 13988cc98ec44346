#!/usr/bin/env bash
# make bench's cluster scenario (issue 14, section 7): failover of a
# negotiable group in the netns set-up of the cluster tests (tests/cluster.bash:
# each tend PID 1 of its own PID namespace in its own network namespace, veth
# to a bridge), heartbeat 200ms and dead-after 600ms, and keepalived's VRRP
# failover in the same set-up beside it.
#
#   death    SIGKILL of the owner's tend -> the group's process running on
#            another host
#   link     the owner's cable pulled (its bridge port set down, as `ip -n BR
#            link set pI down` does, by `bench_cluster link`: its eth0 loses
#            carrier) -> running on another host; and the
#            fenced host's own reaction: link down -> its copy got SIGTERM
#   release  `tendctl release GROUP` on the owner -> running on another host
#   bandwidth  16 hosts, each declaring the same 100 negotiable groups:
#            heartbeat datagrams and bytes per second, per host and in all
#   keepalived  3 keepalived (VRRPv3 advert_int 0.2 s, and VRRPv2 at its
#            default 1 s): SIGKILL of the MASTER's whole namespace -> the new
#            MASTER's notify_master script runs
#
# The clock: tests/bench/bench_cluster.c. The group's process is
# `bench_cluster stamp`, which writes CLOCK_MONOTONIC first thing in main();
# the kill, the link change and the release each take CLOCK_MONOTONIC right
# before their system call (no fork or exec in between). There is no time
# namespace, so all namespaces share that clock: the differences are exact to
# the microsecond; only the wait for the result is polled, not its time.
#
# usage: tests/bench/cluster.sh SAMPLES NOTES   (tests/bench/run.sh calls it)
#   appends "scenario<TAB>metric<TAB>supervisor<TAB>value" lines to SAMPLES and
#   notes to NOTES; prints progress and a table of its own (also written to
#   build/bench/cluster.md).
# environment:
#   BENCH_CLUSTER_RUNS=30          runs of each failover measurement (BENCH_QUICK: 5)
#   BENCH_CLUSTER_BW_SECONDS=20    the bandwidth window (BENCH_QUICK: 5)
#   BENCH_CLUSTER_PARTS="death link release bandwidth keepalived"
#   BENCH_KEEP=1                   keep the work directory
set -eu
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=$ROOT/build/bench
TEND=$ROOT/tend
TENDCTL=$ROOT/tendctl
SAMPLES=${1:-/dev/null}
NOTES=${2:-/dev/null}
q() { if [ "${BENCH_QUICK:-0}" = 1 ]; then echo "$1"; else echo "$2"; fi; }
RUNS=${BENCH_CLUSTER_RUNS:-$(q 5 30)}
BW_S=${BENCH_CLUSTER_BW_SECONDS:-$(q 5 20)}
PARTS=${BENCH_CLUSTER_PARTS:-death link release bandwidth keepalived}
HB=200
DEAD=600
DEADLINE=20 # seconds, for wait_until (tests/helpers.bash's meaning)
SCEN="cluster (heartbeat ${HB}ms, dead-after ${DEAD}ms)"

note() { echo "note: $*"; echo "$*" >>"$NOTES"; }
record() { [ -n "$4" ] && printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$SAMPLES" || true; }
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

# what tests/cluster.bash takes from tests/helpers.bash
# shellcheck source=tests/wait.bash
. "$ROOT/tests/wait.bash" # wait_until_quiet, alive, gone
wait_until() {
	wait_until_quiet "$DEADLINE" "$@" && return 0
	echo "cluster: timed out after ${DEADLINE}s waiting for: $*" >&2
	return 1
}
# shellcheck source=tests/cluster.bash
. "$ROOT/tests/cluster.bash"

why=$(cluster_unsupported)
if [ -n "$why" ]; then
	note "cluster: skipped: $why"
	exit 0
fi
for f in "$TEND" "$TENDCTL" "$BIN/bench_cluster"; do
	[ -x "$f" ] || { echo "cluster: $f missing: build first (make bench)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/tend-bench-cluster.XXXXXX)
KEEP=${BENCH_KEEP:-0}
TS=() # every part's T: torn down on exit, whatever happened
cleanup() {
	local t
	for t in "${TS[@]}"; do
		T=$t
		cluster_teardown 2>/dev/null || true
	done
	if [ "$KEEP" = 1 ]; then echo "cluster: work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# new_part NAME: a fresh T (and netns prefix) for one set-up
new_part() {
	T=$WORK/$1
	mkdir -p "$T"
	TS+=("$T")
	# shellcheck disable=SC2034 # tests/cluster.bash names the namespaces with it
	BATS_TEST_NUMBER=${#TS[@]}
}

# ---- statistics ----
# stats FILE: "N MEDIAN P99 MIN MAX" of the numbers in FILE (one a line)
stats() {
	sort -g "$1" | awk '{ v[NR] = $1 } END {
		if (!NR) { print "0 - - - -"; exit }
		m = v[int((NR + 1) / 2)]; i = int(NR * 0.99 + 0.999999); if (i < 1) i = 1
		printf "%d %.1f %.1f %.1f %.1f\n", NR, m, v[i], v[1], v[NR] }'
}
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'; }

# ---- the tend cluster ----
HOSTS=3
tend_conf() { # I: cluster section and the group "db" whose process stamps
	local i=$1
	cluster_conf "$i" cluster.conf <<CONF
cluster { interface = "eth0"  port = 7700  heartbeat = ${HB}ms  dead-after = ${DEAD}ms }
CONF
	cluster_conf "$i" db.conf <<CONF
group "db" {
	negotiable = true
	process "db" { command = "$BIN/bench_cluster stamp $T/stamps h$i" }
}
CONF
}
tend_pid() { local u; u=$(cat "$T/h$1/pid"); awk '{ print $1 }' "/proc/$u/task/$u/children" 2>/dev/null; }

# settled OWNER: every host up (not fenced, hold-off over), N-1 peers alive,
# and the same owner of db, OWNER's address; OWNER runs it.
settled() {
	local r=$1 i j
	[ "$(group_state_on "$r" db)" = running ] || return 1
	for ((i = 1; i <= HOSTS; i++)); do
		j=$(hctl "$i" peers --json 2>/dev/null) || return 1
		jq -e --arg o "$CL_NET.$r" --argjson n $((HOSTS - 1)) \
			'.link == "up" and ([.peers[] | select(.state == "alive")] | length) == $n and
			 (.groups[] | select(.name == "db") | .owner) == $o' <<<"$j" >/dev/null || return 1
	done
}
# the one runner of db (fails unless exactly one)
the_runner() {
	local r
	r=$(runners db)
	[ "$(wc -w <<<"$r")" -eq 1 ] && echo "$r"
}
# lines of the stamps file after line N0 matching WHAT (start|stop), as "TAG NS"
stamps_after() { tail -n +"$(($1 + 1))" "$T/stamps" 2>/dev/null | awk -v w="$2" '$1 == w { print $2, $3 }'; }
# first_start_elsewhere N0 R: waits (10 s) for a start on a host other than R; prints "hS NS"
first_start_elsewhere() {
	local i
	for ((i = 0; i < 500; i++)); do
		out=$(stamps_after "$1" start | awk -v r="h$2" '$1 != r' | sort -k2,2n | head -n 1)
		[ -n "$out" ] && { echo "$out"; return 0; }
		sleep 0.02
	done
	return 1
}
# the monotonic time (ns) of a log line in host I's tend.out, the first after NS matching RE
log_time_after() { # I NS RE
	awk -v t="$2" -v re="$3" '
		match($0, /^\[ *[0-9]+\.[0-9]+\]/) {
			s = substr($0, 2, RLENGTH - 2); gsub(/ /, "", s); split(s, a, ".")
			ns = a[1] * 1e9 + a[2] * 1e3
			if (ns >= t && $0 ~ re) { printf "%.0f\n", ns; exit }
		}' "$T/h$1/tend.out"
}

start_tend_cluster() {
	new_part "$1"
	cluster_setup "$HOSTS"
	local i
	for ((i = 1; i <= HOSTS; i++)); do tend_conf "$i"; done
	for ((i = 1; i <= HOSTS; i++)); do cluster_start "$i"; done
	wait_until eval 'r=$(the_runner) && settled "$r"' || { cluster_dump; return 1; }
}

# one_run KIND: one failover of KIND (death|link|release) from the settled
# cluster; appends a line to $T/runs.tsv and brings the old owner back as a
# watcher. Columns: kind, old owner, new owner, then ms after the action:
# running elsewhere, the new owner logs the old one down (death, link), the
# new owner logs "this host runs it", the old owner's copy gets SIGTERM
# (link: fenced; release: stopped by the release), the old owner logs the
# link lost (link) or the release request's answer (release). "-": none.
one_run() {
	local kind=$1 r n0 t0 reply=- s ts stop out dn own lost=-
	r=$(the_runner) || return 1
	settled "$r" || wait_until settled "$r" || { cluster_dump; return 1; }
	sleep "0.$((RANDOM % 200 + 100))" # any phase against the heartbeats
	n0=$(wc -l <"$T/stamps")
	case $kind in
	death) t0=$("$BIN/bench_cluster" kill "$(tend_pid "$r")") ;;
	link) t0=$("$BIN/bench_cluster" link "${CL_P}br" "p$r" down) ;;
	release) read -r t0 reply < <("$BIN/bench_cluster" release "$T/h$r/run" db) ;;
	esac
	out=$(first_start_elsewhere "$n0" "$r") || { echo "  $kind: no start elsewhere" >&2; cluster_dump; return 1; }
	read -r s ts <<<"$out"
	s=${s#h}
	# the new owner's own story, from its log (monotonic time, as PID 1)
	dn=$(log_time_after "$s" "$t0" "host $CL_NET.$r down")
	own=$(log_time_after "$s" "$t0" "cluster: db: this host runs it")
	stop=$(stamps_after "$n0" stop | awk -v h="h$r" '$1 == h { print $2; exit }')
	case $kind in
	death)
		wait_until_quiet 10 gone "$(cat "$T/h$r/pid")"
		cluster_start "$r"
		;;
	link)
		lost=$(log_time_after "$r" "$t0" "link eth0 lost")
		[ -z "$lost" ] || lost=$(ms "$t0" "$lost")
		"$BIN/bench_cluster" link "${CL_P}br" "p$r" up >/dev/null
		;;
	release)
		reply=$(awk -v u="$reply" 'BEGIN { printf "%.3f", u / 1000 }')
		hctl "$r" start db >/dev/null # the old owner may bid again (it yielded)
		;;
	esac
	t_run=$(ms "$t0" "$ts")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$r" "$s" "$t_run" "${dn:+$(ms "$t0" "$dn")}" \
		"${own:+$(ms "$t0" "$own")}" "${stop:+$(ms "$t0" "$stop")}" "$( [ "$kind" = link ] && echo "$lost" || echo "$reply")" |
		sed 's/\t\t/\t-\t/g; s/\t\t/\t-\t/g; s/\t$/\t-/' >>"$T/runs.tsv"
	tail -n 1 "$T/runs.tsv" | awk -F'\t' '{
		printf "  %-7s host %s -> %s in %8.3f ms", $1, $2, $3, $4
		if ($5 != "-") printf "; host down seen %.3f", $5
		if ($6 != "-") printf "; \"runs it\" %.3f", $6
		if ($7 != "-") printf "; old copy SIGTERM %.3f", $7
		if ($1 == "link" && $8 != "-") printf "; fenced (log) %.3f", $8
		if ($1 == "release" && $8 != "-") printf "; release answered %.3f", $8
		print "" }'
	wait_until eval 'settled "$s"' || { cluster_dump; return 1; }
}

summary_line() { # LABEL FILE GOAL
	local n m p lo hi
	read -r n m p lo hi < <(stats "$2")
	printf '  %-66s n=%-3s median %7s ms  p99 %7s ms  (min %s, max %s)  %s\n' "$1" "$n" "$m" "$p" "$lo" "$hi" "${3:+goal: $3}"
	printf '| %s | %s | %s | %s | %s–%s | %s |\n' "$1" "$m" "$p" "$n" "$lo" "$hi" "$3" >>"$TABLE"
}
# col KIND N: column N of runs.tsv for KIND, "-" left out, into $T/col
col() { awk -F'\t' -v k="$1" -v c="$2" '$1 == k && $c != "-" { print $c }' "$FO/runs.tsv" >"$FO/col"; }
# summarize KIND N LABEL GOAL METRIC: a summary line and a sample per run
summarize() {
	col "$1" "$2"
	[ -s "$FO/col" ] || return 0
	summary_line "$3" "$FO/col" "$4"
	while read -r v; do record "$SCEN" "$5" tend "$v"; done <"$FO/col"
}

mkdir -p build/bench
TABLE=$WORK/table.md
printf '| measurement (tend: heartbeat %d ms, dead-after %d ms) | median ms | p99 ms | runs | min–max ms | goal |\n| --- | ---: | ---: | ---: | ---: | --- |\n' "$HB" "$DEAD" >"$TABLE"

if part death || part link || part release; then
	echo "== cluster: 3 tends, failover of one negotiable group, $RUNS runs each"
	start_tend_cluster failover
	FO=$T
	: >"$FO/runs.tsv"
	for kind in death link release; do
		part "$kind" || continue
		for ((run = 1; run <= RUNS; run++)); do
			one_run "$kind" || { KEEP=1; exit 1; }
		done
	done
	echo
	# race KIND: the runs in which the bidding needed a retry (README,
	# Benchmarks): the new owner ran it over 25 ms after it saw the host down
	race() {
		local n
		n=$(awk -F'\t' -v k="$1" '$1 == k && $5 != "-" && $6 != "-" && $6 - $5 > 25' "$FO/runs.tsv" | wc -l)
		echo "  $1: in $n of $RUNS runs the new owner ran it more than 25 ms after it saw the host down (a bid retry)"
		printf '| ... runs in which the new owner ran it > 25 ms after it saw the host down (a bid retry) | %s of %s | | | | |\n' "$n" "$RUNS" >>"$TABLE"
	}
	if part death; then
		summarize death 4 "silent death: SIGKILL of the owner's tend -> running elsewhere" "< 700 ms (3 heartbeats + 100 ms)" \
			"silent death: ms until running elsewhere"
		summarize death 5 "... SIGKILL -> the new owner logs the host down" "" "silent death: ms until the new owner logs the host down"
		summarize death 6 "... SIGKILL -> the new owner logs 'this host runs it'" "" "silent death: ms until the new owner logs 'this host runs it'"
		race death
	fi
	if part link; then
		summarize link 4 "link loss: owner's link down -> running elsewhere" "< 250 ms" "link loss: ms until running elsewhere"
		summarize link 5 "... link down -> the new owner logs the host down" "" "link loss: ms until the new owner logs the host down"
		summarize link 6 "... link down -> the new owner logs 'this host runs it'" "" "link loss: ms until the new owner logs 'this host runs it'"
		race link
		summarize link 8 "... link down -> the old owner logs 'link eth0 lost' (fenced)" "" "link loss: ms until the old owner is fenced (its log)"
		summarize link 7 "... link down -> the fenced owner's copy gets SIGTERM" "" "link loss: ms until the fenced owner's copy gets SIGTERM"
	fi
	if part release; then
		summarize release 4 "planned handover: tendctl release -> running elsewhere" "< 50 ms" "handover: ms until running elsewhere"
		summarize release 8 "... release -> the request answered" "" "handover: ms until the release request is answered"
		summarize release 7 "... release -> the copy on the old owner gets SIGTERM" "" "handover: ms until the copy there gets SIGTERM"
		summarize release 6 "... release -> the new owner logs 'this host runs it'" "" "handover: ms until the new owner logs 'this host runs it'"
		n=$(awk -F'\t' '$1 == "release" && $4 > 100' "$FO/runs.tsv" | wc -l)
		echo "  release: $n of $RUNS handovers took more than 100 ms"
		printf '| ... handovers over 100 ms | %s of %s | | | | |\n' "$n" "$RUNS" >>"$TABLE"
	fi
	cluster_teardown
fi

# ---- heartbeat bandwidth: 16 hosts, the same 100 negotiable groups on each ----
if part bandwidth; then
	BW_HOSTS=16
	NG=100
	echo "== cluster: bandwidth of heartbeats, $BW_HOSTS tends, $NG negotiable groups declared on each, ${BW_S} s window"
	new_part bandwidth
	cluster_setup "$BW_HOSTS"
	for ((i = 1; i <= BW_HOSTS; i++)); do
		cluster_conf "$i" cluster.conf <<CONF
cluster { interface = "eth0"  port = 7700  heartbeat = ${HB}ms  dead-after = ${DEAD}ms }
CONF
		# each group prefers one host (g001 host 1, g002 host 2, ...): with
		# every host bidding at once, prefer spreads the groups
		for ((g = 1; g <= NG; g++)); do
			printf 'group "g%03d" { negotiable = true  prefer = { "%s.%d" }  process "p" { command = "/bin/sleep 1000000" } }\n' \
				"$g" "$CL_NET" $(((g - 1) % BW_HOSTS + 1))
		done | cluster_conf "$i" groups.conf
	done
	# all at once (cluster_start waits for each): their hold-offs end together
	for ((i = 1; i <= BW_HOSTS; i++)); do
		ip netns exec "${CL_P}h$i" unshare --pid --fork --kill-child --mount --mount-proc \
			"$TEND" -c "$T/h$i/conf.d" -r "$T/h$i/run" --tracking=ancestry >"$T/h$i/tend.out" 2>&1 &
		echo $! >"$T/h$i/pid"
		echo $! >>"$T/cluster-pids"
	done
	for ((i = 1; i <= BW_HOSTS; i++)); do wait_until hctl "$i" ping || exit 1; done
	# steady: every host up with 15 peers alive, every group owned by one
	# host that every host names, and run there
	all_placed() {
		local i
		for ((i = 1; i <= BW_HOSTS; i++)); do hctl "$i" peers --json >"$T/peers.$i" || return 1; done
		jq -s -e --argjson n $((BW_HOSTS - 1)) --argjson g "$NG" '
			all(.[]; .link == "up" and ([.peers[] | select(.state == "alive")] | length) == $n) and
			([.[] | .groups[] | select(.state == "runs-here")] | length) == $g and
			([.[] | .groups[] | .owner] | map(select(. == null)) | length) == 0 and
			([.[] | .groups[] | "\(.name) \(.owner)"] | unique | length) == $g' "$T"/peers.* >/dev/null
	}
	wait_until all_placed || { echo "  the groups did not settle" >&2; KEEP=1; exit 1; }
	sleep 2
	all_placed || echo "  warning: placement changed during the settling" >&2
	dist=$(for ((i = 1; i <= BW_HOSTS; i++)); do
		jq '[.groups[] | select(.state == "runs-here")] | length' "$T/peers.$i"
	done | sort -n | uniq -c | awk '{ printf "%s%d host%s with %d", (NR > 1 ? ", " : ""), $1, ($1 > 1 ? "s" : ""), $2 }')
	echo "  groups per host: $dist"
	# nftables counters on the bridge: what each port receives from its
	# host, UDP to the cluster port only (bridge family: the byte count is
	# the IP packet, from its header; UDP payload = bytes - 28 per datagram)
	{
		echo "table bridge tdbw {"
		echo "  chain pre { type filter hook prerouting priority 0; policy accept;"
		for ((i = 1; i <= BW_HOSTS; i++)); do echo "    iifname \"p$i\" udp dport 7700 counter"; done
		echo "  }"
		echo "}"
	} | ip netns exec "${CL_P}br" nft -f -
	snap() { # FILE: per host "I packets bytes sent received cpu_ns"
		local i cnt
		cnt=$(ip netns exec "${CL_P}br" nft -j list table bridge tdbw |
			jq -r '.nftables[] | select(.rule) | .rule | [(.expr[0].match.right), (.expr[] | select(.counter) | .counter | .packets, .bytes)] | @tsv')
		for ((i = 1; i <= BW_HOSTS; i++)); do
			printf '%d %s %s %s\n' "$i" "$(awk -v p="p$i" '$1 == p { print $2, $3 }' <<<"$cnt")" \
				"$(hctl "$i" peers --json | jq -r '"\(.sent) \(.received)"')" \
				"$(awk '{ print $1 }' "/proc/$(tend_pid "$i")/schedstat")"
		done >"$1"
	}
	snap "$T/bw.0"
	t0=$("$BIN/bench_cluster" now)
	sleep "$BW_S"
	snap "$T/bw.1"
	t1=$("$BIN/bench_cluster" now)
	join "$T/bw.0" "$T/bw.1" | awk -v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')" '
		{ printf "%d %.2f %.1f %.2f %.2f %.3f\n", $1, ($7 - $2) / s, ($8 - $3) / s, ($9 - $4) / s, ($10 - $5) / s, ($11 - $6) / s / 1e6 }' >"$T/bw.rates"
	# per host: nft datagrams/s, nft bytes/s, tend's sent/s, received/s, CPU ms/s
	echo "  per host (host: datagrams/s bytes/s sent/s received/s, tend's CPU ms per s):"
	awk '{ printf "    h%-2d %6.2f dg/s %8.1f B/s   sent %6.2f/s received %7.2f/s   cpu %.3f ms/s\n", $1, $2, $3, $4, $5, $6 }' "$T/bw.rates"
	for col in 2 3 5 6; do awk -v c=$col '{ print $c }' "$T/bw.rates" >"$T/bw.col$col"; done
	read -r _ dg_med _ dg_min dg_max < <(stats "$T/bw.col2")
	read -r _ b_med _ b_min b_max < <(stats "$T/bw.col3")
	read -r _ rx_med _ _ _ < <(stats "$T/bw.col5")
	read -r _ cpu_med _ cpu_min cpu_max < <(stats "$T/bw.col6")
	seg_dg=$(awk '{ s += $2 } END { printf "%.1f", s }' "$T/bw.rates")
	seg_b=$(awk '{ s += $3 } END { printf "%.0f", s }' "$T/bw.rates")
	BWS="cluster heartbeats, $BW_HOSTS hosts, $NG groups"
	record "$BWS" "datagrams/s sent per host (median)" tend "$dg_med"
	record "$BWS" "bytes/s sent per host (median)" tend "$b_med"
	record "$BWS" "datagrams/s on the segment" tend "$seg_dg"
	record "$BWS" "bytes/s on the segment" tend "$seg_b"
	record "$BWS" "datagrams/s received per host (median)" tend "$rx_med"
	record "$BWS" "tend CPU ms/s per host (median)" tend "$cpu_med"
	echo "  per host: $dg_med datagrams/s ($dg_min-$dg_max), $b_med bytes/s ($b_min-$b_max); received $rx_med datagrams/s"
	echo "  the segment: $seg_dg datagrams/s, $seg_b bytes/s (IP bytes, as each host sends them; the bridge floods each to the 15 others)"
	echo "  tend's CPU per host: $cpu_med ms/s median ($cpu_min-$cpu_max)"
	printf '| heartbeats, %d hosts x %d groups (%s): datagrams/s per host, median (min–max) | %s (%s–%s) | | | | |\n' \
		"$BW_HOSTS" "$NG" "$dist" "$dg_med" "$dg_min" "$dg_max" >>"$TABLE"
	printf '| ... bytes/s per host (IP), median (min–max) | %s (%s–%s) | | | | |\n' "$b_med" "$b_min" "$b_max" >>"$TABLE"
	printf '| ... the whole segment: datagrams/s, bytes/s | %s, %s | | | | |\n' "$seg_dg" "$seg_b" >>"$TABLE"
	printf '| ... each tend: datagrams/s received, CPU ms/s (median) | %s, %s | | | | |\n' "$rx_med" "$cpu_med" >>"$TABLE"
	cluster_teardown
fi

# ---- keepalived beside it: VRRP failover in the same set-up ----
# ka_conf I VERSION ADVERT: host I's keepalived.conf. All start BACKUP with
# nopreempt (a restarted host does not take the VIP back, as tend's
# negotiable groups are not taken back), priorities 100, 99, 98: the best
# backup's timer (3 x advert + skew, skew = (256 - priority) x advert / 256)
# runs out first, so one backup takes over, not two at once.
ka_conf() {
	cat >"$T/h$1/keepalived.conf" <<CONF
global_defs {
	router_id h$1
	vrrp_version $2
	script_user root
	enable_script_security
}
vrrp_instance VI {
	state BACKUP
	nopreempt
	interface eth0
	virtual_router_id 77
	priority $((101 - $1))
	advert_int $3
	virtual_ipaddress {
		$CL_NET.100/24
	}
	notify_master "$BIN/bench_cluster note $T/notify master h$1"
	notify_backup "$BIN/bench_cluster note $T/notify backup h$1"
}
CONF
}
# ka_start I: keepalived (VRRP only, not forking) as PID 1 of a PID
# namespace in host I's network namespace, with a /run of its own
ka_start() {
	ip netns exec "${CL_P}h$1" unshare --pid --fork --kill-child --mount --mount-proc \
		sh -c 'mount -t tmpfs tmpfs /run && exec keepalived --dont-fork --log-console --log-detail --vrrp -f "$1"' \
		sh "$T/h$1/keepalived.conf" >"$T/h$1/keepalived.out" 2>&1 &
	echo $! >"$T/h$1/pid"
	echo $! >>"$T/cluster-pids"
}
# the host that holds the VIP (fails unless exactly one)
vip_holder() {
	local i out=""
	for ((i = 1; i <= 3; i++)); do
		ip -n "${CL_P}h$i" -4 addr show dev eth0 | grep -q "$CL_NET.100/" && out="$out $i"
	done
	[ "$(wc -w <<<"$out")" -eq 1 ] && echo "${out# }"
}
# last_state I: master or backup, host I's last notify
ka_state() { awk -v h="h$1" '$2 == h { s = $1 } END { print s }' "$T/notify" 2>/dev/null; }
# one VIP holder, MASTER by its last notify, and no notify for a second (a
# backup that went MASTER for a moment and back is not always notified back)
ka_settled() {
	local r
	r=$(vip_holder) || return 1
	[ "$(ka_state "$r")" = master ] || return 1
	[ $(($(date +%s) - $(stat -c %Y "$T/notify"))) -ge 2 ]
}

if part keepalived; then
	if ! command -v keepalived >/dev/null; then
		note "keepalived: not installed, its VRRP failover not measured (apt-get install --no-install-recommends keepalived)"
	else
		kav=$(keepalived --version 2>&1 | head -n 1)
		for variant in "3 0.2" "2 1"; do
			read -r ver adv <<<"$variant"
			label="keepalived VRRPv$ver advert_int ${adv}s"
			echo "== cluster: $kav, VRRPv$ver advert_int ${adv} s, 3 hosts: SIGKILL of the MASTER's namespace -> new MASTER's notify_master, $RUNS runs"
			new_part "keepalived-v$ver"
			cluster_setup 3
			: >"$T/notify"
			for i in 1 2 3; do ka_conf "$i" "$ver" "$adv"; done
			for i in 1 2 3; do ka_start "$i"; done
			wait_until ka_settled || { echo "  keepalived did not settle" >&2; tail -n 20 "$T"/h*/keepalived.out >&2; KEEP=1; exit 1; }
			: >"$T/ka.ms"
			for ((run = 1; run <= RUNS; run++)); do
				r=$(vip_holder)
				sleep "0.$((RANDOM % 500 + 200))"
				n0=$(wc -l <"$T/notify")
				upid=$(cat "$T/h$r/pid")
				t0=$("$BIN/bench_cluster" kill "$(awk '{ print $1 }' "/proc/$upid/task/$upid/children")")
				out=""
				for ((w = 0; w < 1000; w++)); do
					out=$(tail -n +"$((n0 + 1))" "$T/notify" | awk -v r="h$r" '$1 == "master" && $2 != r { print $2, $3; exit }')
					[ -z "$out" ] || break
					sleep 0.02
				done
				[ -n "$out" ] || { echo "  no new MASTER" >&2; tail -n 20 "$T"/h*/keepalived.out >&2; KEEP=1; exit 1; }
				read -r s ts <<<"$out"
				v=$(ms "$t0" "$ts")
				echo "$v" >>"$T/ka.ms"
				record "$SCEN" "silent death: ms until running elsewhere" "keepalived-v$ver-${adv}s" "$v"
				echo "  run $run: master h$r killed -> $s MASTER in $v ms"
				wait_until_quiet 10 gone "$upid"
				ka_start "$r"
				wait_until eval 'tail -n +'"$((n0 + 1))"' "$T/notify" | grep -q "^backup h'"$r"' " && ka_settled' ||
					{ echo "  keepalived did not settle" >&2; KEEP=1; exit 1; }
			done
			summary_line "$label: SIGKILL of the MASTER's namespace -> new MASTER's notify_master" "$T/ka.ms" \
				"$([ "$ver" = 3 ] && echo "(VRRP bound: 3 x 200 ms + skew 122 ms = 722 ms)" || echo "(VRRP bound: 3 x 1 s + skew 609 ms = 3609 ms)")"
			cluster_teardown
		done
	fi
fi

echo
echo "goals (issue 14): silent death < 3 heartbeats + 100 ms (about 700 ms); link loss < 250 ms; planned handover < 50 ms"
cat "$TABLE"
cp "$TABLE" build/bench/cluster.md
