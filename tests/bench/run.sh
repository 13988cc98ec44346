#!/usr/bin/env bash
# make bench (issue 6): tend against the peer supervisors Debian has (runit,
# s6, daemontools, supervisord, tini) and against the floor (the least a
# supervisor can do, tests/bench/floor_*.c), measured side by side in one run
# on this machine. Runs alternate (tend, floor, runit, ..., tend, floor, ...)
# so that drift in the machine hits every supervisor alike; the table shows
# medians and the ratio tend/peer; build/bench/results.json has every sample.
#
# usage: tests/bench/run.sh   (after the build; `make bench` does both)
# environment (defaults; BENCH_QUICK=1 gives a short smoke run):
#   BENCH_RUNS=5            runs of each scenario per supervisor
#   BENCH_N=1000            services of the large start/stop
#   BENCH_KILLS=200         SIGKILLs per restart-latency run
#   BENCH_IDLE_SECONDS=30   idle window; BENCH_IDLE_RUNS=2
#   BENCH_CRASH_SECONDS=10  crash-loop window
#   BENCH_STORM_N=10000     orphans of the reap storm; BENCH_STORM_RUNS=3
#   BENCH_ONLY="tend floor" only these supervisors
#   BENCH_SCENARIOS="floor start restart idle crash storm tend chain services profile seccomp cluster reload"
#   BENCH_LOOKUPS=20000     lookups per run of the services scenario
#   cluster (issue 14; needs root: network namespaces) is tests/bench/cluster.sh:
#   BENCH_CLUSTER_RUNS=30 failovers of each kind, BENCH_CLUSTER_BW_SECONDS=20,
#   BENCH_CLUSTER_PARTS="death link release bandwidth keepalived"; BENCH_ONLY
#   does not apply to it (tend and, when installed, keepalived), and
#   BENCH_ONLY=cluster alone means BENCH_SCENARIOS=cluster
#   seccomp (issue 15): the per-start cost of a tenant's seccomp profile,
#   tend's own spawn with and without one (bench_seccomp); BENCH_ONLY=seccomp
#   alone means BENCH_SCENARIOS=seccomp; BENCH_SECCOMP_N=3000 starts per kind
#   reload (issue 16) is tests/bench/reload.sh: tend --check of 5000 to 40000
#   groups (BENCH_RELOAD_SIZES, BENCH_RELOAD_RUNS) and ping latency during a
#   reload; BENCH_ONLY=reload alone means BENCH_SCENARIOS=reload
#   hostile (issue 16.5) is tests/bench/hostile.sh: status latency while each
#   hostile client attacks (BENCH_HOSTILE_SECONDS=5 each); printed, not in
#   results.json; BENCH_ONLY=hostile alone means BENCH_SCENARIOS=hostile
#   BENCH_KEEP=1            keep the work directory (also kept after a failure)
set -eu
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=$ROOT/build/bench
q() { if [ "${BENCH_QUICK:-0}" = 1 ]; then echo "$1"; else echo "$2"; fi; }
RUNS=${BENCH_RUNS:-$(q 1 5)}
BIG=${BENCH_N:-1000}
KILLS=${BENCH_KILLS:-$(q 30 200)}
IDLE_S=${BENCH_IDLE_SECONDS:-$(q 5 30)}
IDLE_RUNS=${BENCH_IDLE_RUNS:-$(q 1 2)}
CRASH_S=${BENCH_CRASH_SECONDS:-$(q 3 10)}
STORM_N=${BENCH_STORM_N:-$(q 2000 10000)}
STORM_RUNS=${BENCH_STORM_RUNS:-$(q 1 3)}
SCENARIOS=${BENCH_SCENARIOS:-floor start restart idle crash storm tend chain services profile seccomp cluster reload hostile}
SECCOMP_N=${BENCH_SECCOMP_N:-$(q 500 3000)}
LOOKUPS=${BENCH_LOOKUPS:-$(q 2000 20000)}
SUPS=${BENCH_ONLY:-tend tend_ancestry floor runit s6 daemontools supervisord tini}
# BENCH_ONLY=cluster (no supervisor has that name): the cluster scenario alone
if [ "${BENCH_ONLY:-}" = cluster ] && [ -z "${BENCH_SCENARIOS:-}" ]; then
	SCENARIOS=cluster
	SUPS=tend
fi
if [ "${BENCH_ONLY:-}" = seccomp ] && [ -z "${BENCH_SCENARIOS:-}" ]; then
	SCENARIOS=seccomp
	SUPS=tend
fi
# BENCH_ONLY=reload: the reload scenario alone
if [ "${BENCH_ONLY:-}" = reload ] && [ -z "${BENCH_SCENARIOS:-}" ]; then
	SCENARIOS=reload
	SUPS=tend
fi
# BENCH_ONLY=hostile: the hostile clients alone
if [ "${BENCH_ONLY:-}" = hostile ] && [ -z "${BENCH_SCENARIOS:-}" ]; then
	SCENARIOS=hostile
	SUPS=tend
fi

for f in bench_seccomp bench_cluster bench_services bench_drive bench_idle bench_crash bench_storm bench_time bench_true floor_sup floor_spawn floor_notify; do
	[ -x "$BIN/$f" ] || { echo "bench: $BIN/$f missing: build first (make bench)" >&2; exit 1; }
done
for f in tests/bench/adapters/*.sh; do . "$f"; done

WORK=$(mktemp -d /tmp/tend-bench.XXXXXX)
SAMPLES=$WORK/samples.tsv
NOTES=$WORK/notes
BG=()   # drivers running in the background (idle): ended by pid on exit
KEEP=${BENCH_KEEP:-0}
cleanup() {
	local p
	for p in "${BG[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ "$KEEP" = 1 ]; then echo "bench: work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
: >"$SAMPLES"
: >"$NOTES"

want() { case " $SCENARIOS " in *" $1 "*) return 0 ;; esac; return 1; }
# record SCENARIO METRIC SUPERVISOR VALUE: one sample
record() { [ -n "$4" ] && printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$SAMPLES" || true; }
note() { echo "note: $*"; echo "$*" >>"$NOTES"; }

AVAIL=()
for s in $SUPS; do
	if "${s}_available"; then AVAIL+=("$s"); note "$("${s}_note")"; else note "$s: not available here, skipped"; fi
done
note "finit: left out. Debian's finit 4.2 is safe to install (no /sbin/init, no maintainer scripts), but it only supervises as PID 1, and as PID 1 its bootstrap works on the host even inside a PID+mount namespace: fsck and mount -a from /etc/fstab, /var/run/utmp, /etc/nologin, hostname, /etc/network/interfaces, cgroups. Running it safely needs a whole root filesystem of its own."
note "dinit: not in Debian 12 (bookworm), so not measured."
# Who takes part in what: tini has a single child and never restarts it.
MULTI=()
for s in "${AVAIL[@]}"; do [ "$s" = tini ] || MULTI+=("$s"); done

declare -A R=()
seq=0
# prep SUP KIND N: a fresh directory D with the configuration, ARGV, STOP.
prep() {
	D=$WORK/$((++seq))-$1-$2
	mkdir "$D"
	"${1}_conf" "$D" "$3" "$2"
	"${1}_argv" "$D" "$2" "$3"
	STOP=$("${1}_stop" "$D" "$2")
}
# collect SUP RC: read D/out into R, clean up after the supervisor, report failures.
collect() {
	local k v
	R=()
	while IFS='=' read -r k v; do R[$k]=$v; done <"$D/out"
	if declare -F "${1}_after" >/dev/null; then "${1}_after" "$D"; fi
	if [ "$2" -ne 0 ]; then
		KEEP=1
		echo "  $1: FAILED in $D: $(grep -v '_ns=\|sup_pid' "$D/out" | tr '\n' ' ')" >&2
		tail -n 3 "$D/sup.log" "$D/err" 2>/dev/null | sed 's/^/    /' >&2
		return 1
	fi
}
# drive SUP KIND N [bench_drive options]: one run in the foreground.
drive() {
	local sup=$1 kind=$2 n=$3 rc=0
	shift 3
	prep "$sup" "$kind" "$n"
	"$BIN/bench_drive" -d "$D" -S "$STOP" "$@" -- "${ARGV[@]}" >"$D/out" 2>"$D/err" || rc=$?
	collect "$sup" $rc
}
# rec SCENARIO SUP METRIC=KEY...: record R[KEY] as METRIC
rec() {
	local scen=$1 sup=$2 m
	shift 2
	for m in "$@"; do record "$scen" "${m%%=*}" "$sup" "${R[${m#*=}]:-}"; done
}

echo "bench: $(date -u +%FT%TZ), $(nproc) cores, kernel $(uname -r), runs $RUNS, work in $WORK"

if want floor; then
	echo "== floor: spawn+wait of a trivial static program; a child's death reaching its parent"
	while IFS='=' read -r k v; do
		echo "  $k = $v"
		record floor "$k" floor "$v"
	done < <("$BIN/floor_spawn" "$BIN/bench_true" "$(q 0.3 1)"; "$BIN/floor_notify" "$(q 200 2000)")
fi

if want start; then
	echo "== 1+6. start and stop of $BIG services (time until all run, from /proc and their own reports)"
	for ((r = 1; r <= RUNS; r++)); do
		for s in "${MULTI[@]}"; do
			drive "$s" idle "$BIG" -n "$BIG" -T 300 || continue
			rec "start N=$BIG" "$s" time_ms=start_ms cpu_ms=start_cpu_ms cpu_with_helpers_ms=start_cpu_tree_ms \
				services_cpu_ms=start_cpu_services_ms rss_kb=rss_kb peak_rss_kb=hwm_kb pss_kb=pss_kb \
				pss_with_helpers_kb=tree_pss_kb
			rec "stop N=$BIG" "$s" time_ms=stop_ms supervisor_exit_ms=stop_exit_ms
			printf '  run %d %-12s start %8s ms  stop %8s ms  rss %6s kB  helpers %s\n' "$r" "$s" \
				"${R[start_ms]}" "${R[stop_ms]:-timeout}" "${R[rss_kb]}" "${R[helpers]}"
		done
	done
fi

if want restart; then
	echo "== 2. restart latency: SIGKILL a service (up > 1.1 s), until its replacement runs; $KILLS kills per run, 100 services"
	for ((r = 1; r <= RUNS; r++)); do
		for s in "${MULTI[@]}"; do
			# slow restarters (over 100 ms: s6, supervisord) are killed
			# KILLS/RUNS times a run, or with spaced kills where that is
			# neutral (s6_pipeline_kills: one supervisor process per service)
			slow=(-K $(((KILLS + RUNS - 1) / RUNS)))
			! declare -F "${s}_pipeline_kills" >/dev/null || slow=(-P)
			drive "$s" idle 100 -n 100 -k "$KILLS" "${slow[@]}" -T 300 || continue
			# (no stop figure here: daemontools' supervise sleeps 1 s after
			# each restart and would be caught in it)
			rec "start N=100" "$s" time_ms=start_ms cpu_ms=start_cpu_ms
			while read -r v; do record restart latency_us "$s" "$v"; done <"$D/restart_us"
			printf '  run %d %-12s median %8s us  p99 %8s us  (%s kills)\n' "$r" "$s" \
				"${R[restart_median_us]}" "${R[restart_p99_us]}" "${R[restart_n]}"
		done
	done
fi

if want idle; then
	# All supervisors at once: an idle supervisor's CPU time and context
	# switches are its own (timers and rescans), whoever else runs.
	echo "== 3. idle: 100 services, ${IDLE_S} s window after 3 s of settling, all supervisors side by side"
	for ((r = 1; r <= IDLE_RUNS; r++)); do
		dirs=()
		BG=()
		for s in "${MULTI[@]}"; do
			prep "$s" idle 100
			"$BIN/bench_drive" -d "$D" -S "$STOP" -n 100 -s 3000 -i "$IDLE_S" -T 120 -- "${ARGV[@]}" \
				>"$D/out" 2>"$D/err" &
			BG+=($!)
			dirs+=("$s=$D")
		done
		i=0
		for x in "${dirs[@]}"; do
			rc=0
			wait "${BG[$i]}" || rc=$?
			i=$((i + 1))
			s=${x%%=*}
			D=${x#*=}
			collect "$s" $rc || continue
			rec "idle 100, ${IDLE_S}s" "$s" cpu_ms=idle_cpu_ms voluntary_cs=idle_vcsw involuntary_cs=idle_ivcsw \
				cpu_with_helpers_ms=idle_cpu_tree_ms voluntary_cs_with_helpers=idle_vcsw_tree \
				involuntary_cs_with_helpers=idle_ivcsw_tree
			printf '  run %d %-12s cpu %8s ms  cs %s+%s  with helpers: cpu %s ms  cs %s+%s\n' "$r" "$s" \
				"${R[idle_cpu_ms]}" "${R[idle_vcsw]}" "${R[idle_ivcsw]}" "${R[idle_cpu_tree_ms]}" \
				"${R[idle_vcsw_tree]}" "${R[idle_ivcsw_tree]}"
		done
		BG=()
	done
fi

# crash_stats LOG FROM_NS TO_NS: "STARTS MEDIAN_GAP_MS LAST_START_S" of the
# starts in the window (plain awk: Debian's default is mawk)
crash_stats() {
	local n gap last
	awk -v a="$2" -v b="$3" '$1 >= a && $1 <= b' "$1" | sort -n >"$1.win"
	n=$(wc -l <"$1.win")
	gap=$(awk 'NR > 1 { print ($1 - p) / 1e6 } { p = $1 }' "$1.win" | sort -n |
		awk '{ v[NR] = $1 } END { printf "%.2f", NR ? v[int((NR + 1) / 2)] : 0 }')
	last=$(tail -n 1 "$1.win" | awk -v a="$2" '{ printf "%.2f", ($1 - a) / 1e9 }')
	echo "$n $gap ${last:-0}"
}
if want crash; then
	echo "== 4. crash loop: a service that exits 1 at once, ${CRASH_S} s, each supervisor's defaults"
	for s in "${MULTI[@]}" tend-nolimit; do
		sup=$s kind=crash
		[ "$s" != tend-nolimit ] || { sup=tend kind=crash-nolimit; }
		case " ${MULTI[*]} " in *" $sup "*) ;; *) continue ;; esac
		prep "$sup" "$kind" 1
		export BENCH_LOG=$D/crash.log
		rc=0
		"$BIN/bench_drive" -d "$D" -S "$STOP" -H "$CRASH_S" -T 60 -- "${ARGV[@]}" >"$D/out" 2>"$D/err" || rc=$?
		collect "$sup" $rc || continue
		touch "$D/crash.log"
		read -r n gap last < <(crash_stats "$D/crash.log" "${R[launch_ns]}" "${R[hold_end_ns]}")
		metric=starts_per_s
		[ "$kind" = crash ] || metric="starts_per_s (tend: restart-delay 0, no limit)"
		record "crash loop ${CRASH_S}s" "$metric" "$sup" "$(awk -v n="$n" -v s="$CRASH_S" 'BEGIN { printf "%.2f", n / s }')"
		[ "$s" != floor ] || record "crash loop ${CRASH_S}s" "starts_per_s (tend: restart-delay 0, no limit)" floor \
			"$(awk -v n="$n" -v s="$CRASH_S" 'BEGIN { printf "%.2f", n / s }')"
		if [ "$kind" = crash ]; then
			record "crash loop ${CRASH_S}s" starts "$sup" "$n"
			record "crash loop ${CRASH_S}s" median_gap_ms "$sup" "$gap"
			record "crash loop ${CRASH_S}s" last_start_s "$sup" "$last"
		fi
		printf '  %-12s %5d starts in %s s, median gap %s ms, last start at %s s\n' "$s" "$n" "$CRASH_S" "$gap" "$last"
	done
	unset BENCH_LOG
fi

if want storm; then
	echo "== 5. reap storm: $STORM_N orphaned grandchildren exit at once; until all are reaped"
	export BENCH_STORM_N=$STORM_N
	declare -A storm_slow=()
	for ((r = 1; r <= STORM_RUNS; r++)); do
		for s in "${AVAIL[@]}"; do
			# one run is enough for a supervisor that needs more than 30 s
			[ -z "${storm_slow[$s]:-}" ] || continue
			drive "$s" storm 1 -r -T 400 || continue
			if awk -v t="${R[storm_reap_ms]}" 'BEGIN { exit !(t > 30000) }'; then
				storm_slow[$s]=1
				[ "$r" -eq "$STORM_RUNS" ] || note "reap storm: $s took ${R[storm_reap_ms]} ms, so it ran once"
			fi
			rec "reap storm $STORM_N" "$s" reap_ms=storm_reap_ms all_exited_ms=storm_exit_ms
			printf '  run %d %-12s reaped in %8s ms (all exited after %s ms; %s orphans, %s left)\n' "$r" "$s" \
				"${R[storm_reap_ms]}" "${R[storm_exit_ms]}" "${R[storm_orphans]}" "${R[storm_left]}"
		done
	done
	unset BENCH_STORM_N
fi

if want tend && [ -x "$ROOT/tend" ]; then
	echo "== 7. tend alone: reload of $BIG groups with one changed, status --json, watchdog detection"
	prep tend idle "$BIG"
	"$BIN/bench_drive" -d "$D" -S "$STOP" -n "$BIG" -W "$D/done" -T 300 -- "${ARGV[@]}" >"$D/out" 2>"$D/err" &
	BG=($!)
	until grep -q '^start_ms=\|_timeout=\|sup_died' "$D/out" 2>/dev/null; do
		kill -0 "${BG[0]}" 2>/dev/null || break
		sleep 0.2
	done
	RUN=$D/run
	while read -r t us; do record "tend alone, $BIG groups" "status_json_ms" tend "$(awk -v u="$us" 'BEGIN { printf "%.3f", u / 1000 }')"; done \
		< <("$BIN/bench_time" "$(q 10 50)" "$ROOT/tendctl" -r "$RUN" status --json)
	g=s$((BIG / 2))
	for ((i = 1; i <= $(q 3 10); i++)); do
		# Change one group's environment (so it is restarted), written with a
		# rename so that tend's inotify never sees half a file; its own
		# reload comes 100 ms later and finds nothing more to do.
		before=$(grep -c "^$g " "$D/events" || true)
		awk -v i="$i" '/environment = / { next } /command = / { print "        environment = { \"V=" i "\" }" } { print }' \
			"$D/conf.d/$g.conf" >"$D/conf.d/.$g.tmp"
		mv "$D/conf.d/.$g.tmp" "$D/conf.d/$g.conf"
		read -r t us < <("$BIN/bench_time" 1 "$ROOT/tendctl" -r "$RUN" reload)
		for ((w = 0; w < 100; w++)); do [ "$(grep -c "^$g " "$D/events")" -gt "$before" ] && break; sleep 0.05; done
		ts=$(grep "^$g " "$D/events" | tail -n 1 | cut -d' ' -f3)
		record "tend alone, $BIG groups" reload_command_ms tend "$(awk -v u="$us" 'BEGIN { printf "%.3f", u / 1000 }')"
		[ "$(grep -c "^$g " "$D/events")" -gt "$before" ] &&
			record "tend alone, $BIG groups" reload_until_running_ms tend "$(awk -v a="$t" -v b="$ts" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')"
		sleep 0.3
	done
	printf '  status --json: %s bytes\n' "$("$ROOT/tendctl" -r "$RUN" status --json 2>/dev/null | wc -c || echo '?')"
	touch "$D/done"
	rc=0
	wait "${BG[0]}" || rc=$?
	BG=()
	collect tend $rc || true
	out=$(tests/bench/watchdog-latency.sh "$(q 20 100)" 2>&1) || true
	echo "$out" | sed 's/^/  /'
	for k in min median p99 max; do
		record "tend alone, $BIG groups" "watchdog_late_ms_$k" tend "$(echo "$out" | sed -n "s/.*$k \([-0-9.]*\).*/\1/p" | head -n 1)"
	done
fi

if want chain; then
	echo "== 8. tend alone: start and stop of $BIG groups in a chain of requires (each requires the one before)"
	for ((r = 1; r <= RUNS; r++)); do
		for s in tend tend_ancestry; do
			case " ${AVAIL[*]} " in *" $s "*) ;; *) continue ;; esac
			drive "$s" chain "$BIG" -n "$BIG" -T 300 || continue
			rec "chain of $BIG, start" "$s" time_ms=start_ms cpu_ms=start_cpu_ms rss_kb=rss_kb
			rec "chain of $BIG, stop" "$s" time_ms=stop_ms
			printf '  run %d %-12s start %8s ms  stop %8s ms  rss %6s kB\n' "$r" "$s" \
				"${R[start_ms]}" "${R[stop_ms]:-timeout}" "${R[rss_kb]}"
		done
	done
fi

# ---- the services directory (issue 13): tend alone, no peer keeps one ----
# svc_tend KIND: starts tend on a conf.d of its own in $D (KIND crash: a
# group whose one process exits at once, restarted without delay, with a
# declared service, so that each restart is two changes every watcher gets);
# sets SVC_PID.
svc_tend() {
	D=$WORK/$((++seq))-services-$1
	mkdir -p "$D/conf.d"
	if [ "$1" = crash ]; then
		printf 'group "c" {\n  process "crash" { command = "%s" restart-delay = 0ms restart-window = 0s }\n  service "crashing" { process = "crash" port = 1 }\n}\n' \
			"$BIN/bench_crash" >"$D/conf.d/c.conf"
	else
		printf 'group "g" { process "p" { command = "%s g" } }\n' "$BIN/bench_idle" >"$D/conf.d/g.conf"
	fi
	BENCH_LOG=$D/crash.log "$ROOT/tend" -q -c "$D/conf.d" -r "$D/run" >"$D/sup.log" 2>&1 &
	SVC_PID=$!
	BG+=("$SVC_PID")
	local i
	for ((i = 0; i < 200; i++)); do "$ROOT/tendctl" -r "$D/run" ping >/dev/null 2>&1 && return 0; sleep 0.05; done
	echo "bench: tend did not answer in $D" >&2
	return 1
}
svc_stop() {
	kill -TERM "$SVC_PID" 2>/dev/null || true
	wait "$SVC_PID" 2>/dev/null || true
}
# svc_kv OUT KEY: a KEY=VALUE of bench_services' output
svc_kv() { sed -n "s/^$2=//p" "$1"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# svc_ready FILE: waits (up to 30 s) for bench_services to say "ready" in FILE
svc_ready() {
	local i
	for ((i = 0; i < 600; i++)); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
if want services; then
	scen="services directory"
	echo "== 9. services directory: lookups ($LOOKUPS per run), a kill seen by 100 watchers, restarts with watchers, memory"
	note "services directory: no peer supervisor keeps one. avahi-browse/avahi-resolve (avahi-utils) are in Debian, but answer through a running avahi-daemon on the D-Bus system bus (mDNS), which this benchmark does not start on the host; consul is not in Debian 12. Neither is measured."
	for ((r = 1; r <= RUNS; r++)); do
		svc_tend idle || continue
		"$BIN/bench_services" lookup "$D/run" "$LOOKUPS" >"$D/lookup" || echo "  lookup run failed" >&2
		"$BIN/bench_services" kill "$D/run" 100 "$(q 20 100)" >"$D/kill" || echo "  kill run failed" >&2
		svc_stop
		for k in socket libtend ping; do
			record "$scen" "lookup ${k} median_us" tend "$(svc_kv "$D/lookup" ${k}_median_us)"
			record "$scen" "lookup ${k} p99_us" tend "$(svc_kv "$D/lookup" ${k}_p99_us)"
		done
		record "$scen" "kill to remove, each of 100 watchers, median_us" tend "$(svc_kv "$D/kill" remove_each_median_us)"
		record "$scen" "kill to remove, all 100 watchers, median_us" tend "$(svc_kv "$D/kill" remove_all_median_us)"
		printf '  run %d: lookup socket %s us (p99 %s), libtend %s us (p99 %s), ping %s us; kill->remove each %s us, all 100 %s us\n' "$r" \
			"$(svc_kv "$D/lookup" socket_median_us)" "$(svc_kv "$D/lookup" socket_p99_us)" \
			"$(svc_kv "$D/lookup" libtend_median_us)" "$(svc_kv "$D/lookup" libtend_p99_us)" \
			"$(svc_kv "$D/lookup" ping_median_us)" \
			"$(svc_kv "$D/kill" remove_each_median_us)" "$(svc_kv "$D/kill" remove_all_median_us)"
	done
	# a restart loop, alternating: no watcher, 100 idle ones (watching a
	# service that does not change), 1 of everything that never reads, and
	# 100 of everything (each restart is two lines for each: the watchers
	# then compete with tend for the two cores)
	for ((r = 1; r <= RUNS; r++)); do
		for w in none 100-idle stalled 100-all; do
			svc_tend crash || continue
			case $w in
			none) exec {hold}> >(cat >/dev/null) ;;
			100-idle) exec {hold}> >("$BIN/bench_services" watchers "$D/run" 100 idle >"$D/w.out") ;;
			100-all) exec {hold}> >("$BIN/bench_services" watchers "$D/run" 100 all >"$D/w.out") ;;
			stalled) exec {hold}> >("$BIN/bench_services" watchers "$D/run" 1 stalled >"$D/w.out") ;;
			esac
			[ "$w" = none ] || svc_ready "$D/w.out" || echo "  watchers did not start" >&2
			n0=$(cat "$D/crash.log" 2>/dev/null | wc -l)
			sleep "$CRASH_S"
			n1=$(wc -l <"$D/crash.log")
			exec {hold}>&-
			svc_stop
			rate=$(awk -v a="$n0" -v b="$n1" -v s="$CRASH_S" 'BEGIN { printf "%.1f", (b - a) / s }')
			record "$scen" "restarts_per_s, watchers: $w" tend "$rate"
			printf '  run %d: restart loop with watchers %-8s %s starts/s\n' "$r" "$w" "$rate"
		done
	done
	# memory: tend with nothing registered, then 4096 services and 100 watchers
	for ((r = 1; r <= RUNS; r++)); do
		svc_tend idle || continue
		before=$(rss_kb "$SVC_PID")
		exec {hold}> >("$BIN/bench_services" fill "$D/run" 4096 100 >"$D/fill.out")
		svc_ready "$D/fill.out" || echo "  fill did not finish" >&2
		after=$(rss_kb "$SVC_PID")
		exec {hold}>&-
		svc_stop
		record "$scen" "rss_kb, nothing registered" tend "$before"
		record "$scen" "rss_kb, 4096 services + 100 watchers" tend "$after"
		printf '  run %d: RSS %s kB empty, %s kB with 4096 services and 100 watchers (+%s kB)\n' "$r" "$before" "$after" $((after - before))
	done
fi

if want profile && [ -x "$ROOT/tend" ]; then
	echo "== profile: tend's instructions (callgrind) to start $BIG services, then for one restart"
	prep tend idle "$BIG"
	cg=$D/callgrind.out
	rc=0
	"$BIN/bench_drive" -d "$D" -S "$STOP" -n "$BIG" -k 1 -T 900 \
		-M 'if [ "$BENCH_PHASE" = started ]; then callgrind_control -d started $SUP_PID; callgrind_control -z $SUP_PID; else callgrind_control -d restart $SUP_PID; fi >/dev/null 2>&1' \
		-- valgrind --tool=callgrind --callgrind-out-file="$cg.%p" "${ARGV[@]}" >"$D/out" 2>"$D/err" || rc=$?
	collect tend $rc || true
	sup=$(sed -n 's/^sup_pid=//p' "$D/out")
	# tend reads conf.d in a forked child (config_isolate.c): its files are
	# the ones of other pids, counted apart.
	parse=0
	for f in "$cg".*; do
		case $f in "$cg.$sup" | "$cg.$sup".*) continue ;; esac
		n=$(sed -n 's/^summary: //p' "$f" | head -n 1)
		parse=$((parse + ${n:-0}))
	done
	record "callgrind (instructions)" tend_parse_child_Ir tend "$parse"
	echo "  reading conf.d (in its child): $parse instructions"
	for part in 1=start 2=restart; do
		f=$cg.$sup.${part%%=*}
		[ -f "$f" ] || { echo "  no callgrind dump $f"; continue; }
		total=$(sed -n 's/^summary: //p' "$f" | head -n 1)
		record "callgrind (instructions)" "tend_${part#*=}_Ir" tend "$total"
		echo "  ${part#*=}: $total instructions in tend (its children before exec not counted); top, inclusive:"
		callgrind_annotate --inclusive=yes "$f" 2>/dev/null | sed -n '/file:function/,$p' | grep ']$' |
			grep -v 'below main\|libc_start\|ld-linux\|init/main.c' | sed -n '1,16p' | sed 's/^/    /'
		if [ "${part#*=}" = start ]; then
			echo "  start, self:"
			callgrind_annotate "$f" 2>/dev/null | sed -n '/file:function/,$p' | sed -n '3,14p' | sed 's/^/    /'
		fi
	done
	if command -v perf >/dev/null; then
		# perf sees the kernel too (fork, the fd table, cgroups), and the
		# children until they exec (still called tend).
		for what in start restart; do
			echo "== profile: perf of tend, kernel and user, $what (self, top symbols; comm tend includes its children before exec)"
			if [ $what = start ]; then prep tend idle "$BIG"; opts=(-n "$BIG"); else prep tend idle 100; opts=(-n 100 -k "$KILLS"); fi
			rc=0
			"$BIN/bench_drive" -d "$D" -S "$STOP" "${opts[@]}" -T 300 -- perf record -q -F 2999 -g -o "$D/perf.data" -- "${ARGV[@]}" \
				>"$D/out" 2>"$D/err" || rc=$?
			collect tend $rc || true
			perf report -i "$D/perf.data" --stdio --no-children --comm tend --sort sym 2>/dev/null |
				grep -E '^ +[0-9.]+%' | head -n 16 | sed 's/^/    /'
			echo "  by caller chain into the kernel (children included, top):"
			perf report -i "$D/perf.data" --stdio --children --comm tend --sort sym 2>/dev/null |
				grep -E '^ +[0-9.]+% +[0-9.]+%' | head -n 24 | sed 's/^/    /'
		done
	fi
fi

if want seccomp; then
	echo "== 11. seccomp: per start, tend's spawn of a static program without a profile and with two ($SECCOMP_N starts each, interleaved)"
	for ((r = 1; r <= RUNS; r++)); do
		while IFS='=' read -r k v; do
			record "seccomp profile, per start" "$k" tend "$v"
			R[$k]=$v
		done < <("$BIN/bench_seccomp" "$BIN/bench_true" "$SECCOMP_N")
		printf '  run %d: load alone: nonet (%s insns) %s us, service (%s insns) %s us, service as libseccomp exports it (%s insns) %s us; spawn medians: none %s, nonet %s, service %s us\n' "$r" \
			"${R[nonet_filter_len]}" "${R[nonet_load_median_us]}" "${R[service_filter_len]}" "${R[service_load_median_us]}" \
			"${R[service_libseccomp_filter_len]}" "${R[service_libseccomp_load_median_us]}" \
			"${R[none_spawn_median_us]}" "${R[nonet_spawn_median_us]}" "${R[service_spawn_median_us]}"
	done
fi

if want cluster; then
	echo "== 10. cluster: failover of a negotiable group (3 tends in network namespaces), heartbeat bandwidth (16 tends), keepalived's VRRP beside it"
	tests/bench/cluster.sh "$SAMPLES" "$NOTES" || { KEEP=1; echo "  the cluster scenario failed" >&2; }
fi

if want reload; then
	echo "== 11. reload: reading a large conf.d (tend --check), and tend answering while a reload reads one"
	tests/bench/reload.sh "$SAMPLES" "$NOTES" || { KEEP=1; echo "  the reload scenario failed" >&2; }
fi

if want hostile; then
	echo "== 12. hostile clients: status latency during each attack (tests/bench/hostile.sh)"
	tests/bench/hostile.sh || { KEEP=1; echo "  the hostile scenario failed" >&2; }
fi

# The summary: medians per scenario, metric and supervisor (p99 as well for the
# restart latency), as JSON and as a markdown table with tend/peer ratios.
mkdir -p build/bench
jq -R -s --arg date "$(date -u +%FT%TZ)" --arg nproc "$(nproc)" --arg kernel "$(uname -r)" \
	--arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
	--arg cmd "${BENCH_QUICK:+BENCH_QUICK=$BENCH_QUICK }make bench" --rawfile notes "$NOTES" \
	--arg settings "runs=$RUNS N=$BIG kills=$KILLS idle=${IDLE_S}sx$IDLE_RUNS crash=${CRASH_S}s storm=${STORM_N}x$STORM_RUNS" '
	def med: sort | .[((length - 1) / 2 | floor)];
	def p99: sort | .[((length * 0.99) | ceil) - 1];
	{ date: $date, command: $cmd, settings: $settings,
	  machine: { nproc: ($nproc | tonumber), kernel: $kernel, cpu: $cpu },
	  notes: ($notes | split("\n") | map(select(length > 0))),
	  results: (split("\n") | map(select(length > 0) | split("\t"))
		| reduce .[] as $r ([]; if (map(select(.scenario == $r[0] and .metric == $r[1] and .supervisor == $r[2])) | length) > 0
			then map(if .scenario == $r[0] and .metric == $r[1] and .supervisor == $r[2] then .samples += [$r[3] | tonumber] else . end)
			else . + [{ scenario: $r[0], metric: $r[1], supervisor: $r[2], samples: [$r[3] | tonumber] }] end)
		| map(. + { median: (.samples | med) } + (if .metric == "latency_us" or (.scenario | startswith("cluster (")) then { p99: (.samples | p99) } else {} end))) }' \
	"$SAMPLES" >build/bench/results.json

jq -r '.results[] | ([.scenario, .metric, .supervisor, .median] | @tsv),
	(select(.p99) | [.scenario, .metric + " p99", .supervisor, .p99] | @tsv)' build/bench/results.json |
	awk -F'\t' -v cols="$SUPS keepalived-v3-0.2s keepalived-v2-1s" '
	function fmt(v) { return v == "" ? "" : (v >= 100 || v <= -100) ? sprintf("%.0f", v) : (v >= 10 || v <= -10) ? sprintf("%.1f", v) : sprintf("%.3g", v) }
	BEGIN { nc = split(cols, c, " ") }
	{ k = $1 SUBSEP $2; if (!(k in seen)) { seen[k] = 1; order[++n] = k; sc[n] = $1; me[n] = $2 } v[k, $3] = $4; used[$3] = 1 }
	END {
		h = "| scenario | metric |"; s = "| --- | --- |"
		for (i = 1; i <= nc; i++) if (used[c[i]]) { h = h " " c[i] (c[i] == "tend" ? "" : " (tend/it)") " |"; s = s " ---: |" }
		print h; print s
		for (j = 1; j <= n; j++) {
			k = order[j]; line = "| " sc[j] " | " me[j] " |"; t = v[k, "tend"]
			for (i = 1; i <= nc; i++) {
				if (!used[c[i]]) continue
				x = v[k, c[i]]; cell = fmt(x)
				if (c[i] != "tend" && x != "" && t != "" && x + 0 != 0) cell = cell sprintf(" (%.2f)", t / x)
				line = line " " cell " |"
			}
			print line
		}
	}' >build/bench/table.md
echo
echo "## Benchmarks: $(date -u +%F), $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)"
echo "command: ${BENCH_QUICK:+BENCH_QUICK=$BENCH_QUICK }make bench ($(jq -r .settings build/bench/results.json)); medians; (tend/it) = tend's median / that supervisor's"
echo
cat build/bench/table.md
echo
sed 's/^/- /' "$NOTES"
echo
echo "bench: JSON in build/bench/results.json, this table in build/bench/table.md"
