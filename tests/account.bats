#!/usr/bin/env bats
# Accounting: a JSON line in RUNDIR/account/YYYY-MM.jsonl for every process
# tend started and every descendant it reaped (orphans), one per group run,
# and `tendctl account` summing them. Expected sums are computed here from
# the records themselves (jq), never written down.

load helpers

# A throwaway user for the tenant whose `user` it is, made once for the file.
setup_file() {
	if [ "$(id -u)" -eq 0 ] && command -v useradd >/dev/null; then
		export ACCT_USER="tendacct$$"
		useradd --no-create-home --shell /usr/sbin/nologin "$ACCT_USER"
	fi
}

teardown_file() {
	[ -z "${ACCT_USER:-}" ] || userdel "$ACCT_USER" 2>/dev/null || true
}

setup() { tend_setup; }
teardown() { tend_teardown; }

# Every record; a line that is not JSON (a torn one) is left out.
records() { cat "$RUN"/account/*.jsonl | jq -c -R 'fromjson? // empty'; }

# jq -s over every record: prints what FILTER gives.
jq_records() { records | jq -s -r "$1"; }

has_record() { [ "$(jq_records "[.[] | select($1)] | length")" -ge 1 ]; }

# A process that leaves a detached descendant (double fork: its parent, a
# subshell, exits at once, so it is re-parented to tend) which burns about
# 1 s of CPU, then writes its own /proc/self/stat to $T/stat as its last
# act (bash builtins only: /proc/self is the looper itself) and exits 7.
# DETACH_PREFIX goes before it (e.g. "setsid ").
detach_conf() {
	cat >"$T/burn.sh" <<'SH'
#!/bin/bash
echo $$ >"$1.pid"
hz=$2
while :; do
	read -r -a f </proc/self/stat
	((f[13] + f[14] >= hz)) && break
	for ((i = 0; i < 20000; i++)); do :; done
done
read -r s </proc/self/stat
printf '%s\n' "$s" >"$1"
exit 7
SH
	chmod +x "$T/burn.sh"
	conf 10-acct.conf <<EOF
group "g" {
	tenant = "acme"
	process "quick" { command = "true"  type = oneshot }
	process "detach" { command = "/bin/sh -c '(${DETACH_PREFIX:-}$T/burn.sh $T/stat $(getconf CLK_TCK) &); exec sleep 1000'" }
}
EOF
}

orphan_pid() { cat "$T/stat.pid"; }

orphan_recorded() {
	[ -f "$T/stat.pid" ] && has_record ".pid == $(orphan_pid)"
}

check_every_ended_process() {
	detach_conf
	start_tend "$@"
	wait_until orphan_recorded
	run tctl stop g
	assert_success
	wait_until has_record '.kind == "group" and .group == "g"'
	# The one-shot, the main process (stopped: SIGTERM) and the orphan.
	run jq_records '[.[] | select(.kind == "process") | .process // ("orphan " + .comm)] | sort | join(" ")'
	assert_output "detach orphan burn.sh quick"
	run jq_records ".[] | select(.pid == $(orphan_pid)) |
		[.tenant, .group, .process, .orphan, .exit_status, .signal, (.ppid == $TEND_PID)] | @tsv"
	assert_output "$(printf 'acme\tg\t\ttrue\t7\t\ttrue')"
	run jq_records '.[] | select(.process == "quick") | [.tenant, .exit_status, .orphan] | @tsv'
	assert_output "$(printf 'acme\t0\tfalse')"
	run jq_records '.[] | select(.process == "detach") | [.signal, .signal_name] | @tsv'
	assert_output "$(printf '15\tTERM')"
	# Every process record has every key, with times in order.
	run jq_records '[.[] | select(.kind == "process") | select(
		(has("tenant") and has("group") and has("process") and has("comm") and has("pid")
		 and has("ppid") and has("start") and has("end") and has("wall_s")
		 and has("cpu_user_s") and has("cpu_sys_s") and has("max_rss_kb")
		 and has("read_bytes") and has("write_bytes") and has("exit_status")
		 and has("signal") and has("orphan") and .start <= .end) | not)] | length'
	assert_output 0
	# The group record counts the run's process records.
	run jq_records '.[] | select(.kind == "group") | [.tenant, .processes] | @tsv'
	assert_output "$(printf 'acme\t3')"
}

# The orphan's CPU in its record against what /proc/PID/stat said just
# before it ended: within 5%.
check_cpu_figure() {
	local hz ticks recorded
	hz=$(getconf CLK_TCK)
	ticks=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$T/stat") # utime + stime
	recorded=$(jq_records ".[] | select(.pid == $(orphan_pid)) | .cpu_user_s + .cpu_sys_s")
	echo "stat: $ticks ticks at $hz Hz; record: $recorded s"
	awk -v t="$ticks" -v hz="$hz" -v r="$recorded" \
		'BEGIN { s = t / hz; d = r - s; if (d < 0) d = -d; exit !(s > 0.9 && d <= 0.05 * s) }'
}

# Under cgroup tracking the orphan is the group's by its cgroup, even when it
# left the session: it calls setsid().
@test "cgroup tracking: a record for every ended process, the orphan included, its CPU within 5%" {
	cgroup_v2_writable || skip "no writable cgroup v2 hierarchy here (needs root and a cgroup2 mount)"
	DETACH_PREFIX="setsid "
	check_every_ended_process --tracking=cgroup
	check_cpu_figure
	run jq_records '.[] | select(.kind == "group") | [.tracking, (.cgroup_cpu_s >= 0.9)] | @tsv'
	assert_output "$(printf 'cgroup\ttrue')"
}

@test "ancestry tracking: a record for every ended process, the orphan included (by its session), its CPU within 5%" {
	check_every_ended_process --tracking=ancestry
	check_cpu_figure
	run jq_records '.[] | select(.kind == "group") | [.tracking, .cgroup_cpu_s] | @tsv'
	assert_output "$(printf 'ancestry\t')"
}

# Several groups, two tenants, exits of all kinds.
mixed_conf() {
	conf 10-mixed.conf <<EOF
group "a" {
	tenant = "acme"
	process "ok" { command = "true"  type = oneshot  restart = never }
	process "fails" { command = "/bin/sh -c 'exit 3'"  type = oneshot  restart = never }
	process "writes" { command = "/bin/sh -c 'dd if=/dev/zero of=$T/w bs=64k count=4 conv=fsync 2>/dev/null'"  type = oneshot  restart = never }
}
group "b" {
	process "killed" { command = "/bin/sh -c 'kill -KILL \$\$'"  type = oneshot  restart = never }
	process "orphans" { command = "/bin/sh -c '(sleep 0.1 &); (true &); exit 0'"  type = oneshot  restart = never }
}
EOF
}

mains_recorded() {
	local p
	for p in ok fails writes killed orphans; do has_record ".process == \"$p\"" || return 1; done
}

groups_recorded() {
	has_record '.kind == "group" and .group == "a"' && has_record '.kind == "group" and .group == "b"'
}

# Starts tend on mixed_conf and waits until every process ran and both
# groups were stopped (their group records written).
mixed_run() {
	mixed_conf
	start_tend "$@"
	wait_until mains_recorded
	tctl stop a >/dev/null || true
	tctl stop b >/dev/null || true
	wait_until groups_recorded
}

# The same figure from tendctl's JSON and from the records, to 6 decimals.
same_number() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(sprintf("%.6f", a) == sprintf("%.6f", b)) }' ||
		{ echo "tendctl says $1, the records $2" >&2; return 1; }
}

# check_sums JSON JQ_SELECT: every figure of JSON (a row or the total of
# `account --json`) equals the records that JQ_SELECT picks, summed.
check_sums() {
	local row=$1 sel=$2 want
	want=$(jq_records "[.[] | select(.kind == \"process\") | select($sel)] |
		[length, (map(select(.orphan)) | length), (map(.cpu_user_s) | add // 0),
		 (map(.cpu_sys_s) | add // 0), (map(.wall_s) | add // 0),
		 (map(.max_rss_kb) | max // 0), (map(.read_bytes) | add // 0),
		 (map(.write_bytes) | add // 0)] | @tsv")
	got=$(jq -r '[.processes, .orphans, .cpu_user_s, .cpu_sys_s, .wall_s, .max_rss_kb,
		.read_bytes, .write_bytes] | @tsv' <<<"$row")
	echo "records: $want"
	echo "tendctl: $got"
	local i w g
	for i in 1 2 3 4 5 6 7 8; do
		w=$(cut -f$i <<<"$want")
		g=$(cut -f$i <<<"$got")
		same_number "$g" "$w" || return 1
	done
	same_number "$(jq -r .cpu_s <<<"$row")" \
		"$(awk -v u="$(cut -f3 <<<"$want")" -v s="$(cut -f4 <<<"$want")" 'BEGIN { print u + s }')"
}

@test "account: the sums equal the records, in total and by tenant, group and day" {
	mixed_run
	run jq_records '[.[] | select(.kind == "process")] | length'
	[ "$output" -ge 6 ] # five mains and the orphans tend reaped
	has_record '.orphan and .group == "b"'
	has_record '.signal == 9 and .process == "killed"'
	has_record '.exit_status == 3 and .process == "fails"'
	run tctl account --json
	assert_success
	check_sums "$(jq -c .total <<<"$output")" 'true'
	run tctl account --by tenant --json
	assert_success
	check_sums "$(jq -c '.rows[] | select(.tenant == "acme")' <<<"$output")" '.tenant == "acme"'
	check_sums "$(jq -c '.rows[] | select(.tenant == "default")' <<<"$output")" '.tenant == "default"'
	[ "$(jq '.rows | length' <<<"$output")" -eq 2 ]
	run tctl account --by group --json
	check_sums "$(jq -c '.rows[] | select(.group == "b")' <<<"$output")" '.group == "b"'
	run tctl account --group a --json
	check_sums "$(jq -c .total <<<"$output")" '.group == "a"'
	run tctl account --tenant acme --by group --json
	[ "$(jq -r '[.rows[].group] | join(" ")' <<<"$output")" = a ]
	day=$(date -u +%F)
	run tctl account --by day --json
	check_sums "$(jq -c ".rows[] | select(.day == \"$day\")" <<<"$output")" 'true'
}

@test "account: --since, --until, --csv and the table" {
	mixed_run
	all=$(jq_records '[.[] | select(.kind == "process")] | length')
	run tctl account --since -1h --json
	[ "$(jq .total.processes <<<"$output")" -eq "$all" ]
	run tctl account --since "$(date -u +%F)" --json
	[ "$(jq .total.processes <<<"$output")" -eq "$all" ]
	run tctl account --until -1h --json
	[ "$(jq .total.processes <<<"$output")" -eq 0 ]
	run tctl account --since "$(date -u -d tomorrow +%FT00:00:00)" --json
	[ "$(jq .total.processes <<<"$output")" -eq 0 ]
	# CSV: a header, then one line per tenant, the same figures as JSON.
	run tctl account --by tenant --csv
	assert_success
	assert_line --index 0 "tenant,processes,orphans,cpu_s,cpu_user_s,cpu_sys_s,wall_s,max_rss_kb,read_bytes,write_bytes,group_runs,cgroup_cpu_s"
	csv=$output
	json=$(tctl account --by tenant --json)
	local t i
	for t in acme default; do
		want=$(jq -r ".rows[] | select(.tenant == \"$t\") | [.processes, .orphans, .cpu_s,
			.cpu_user_s, .cpu_sys_s, .wall_s, .max_rss_kb, .read_bytes, .write_bytes,
			.group_runs] | @tsv" <<<"$json")
		line=$(grep "^$t," <<<"$csv")
		for i in $(seq 1 10); do
			same_number "$(cut -d, -f$((i + 1)) <<<"$line")" "$(cut -f$i <<<"$want")"
		done
	done
	run tctl account
	assert_success
	assert_line --index 0 --regexp '^TOTAL +PROCS +ORPHANS +CPU_S +WALL_S'
	assert_line --index 1 --regexp "^total +$all "
	run tctl account --since yesterday
	assert_failure 2
	run tctl account --by host
	assert_failure 2
	run tctl account --json --csv
	assert_failure 2
}

@test "account: a torn last line is skipped with a warning, and tend's next record starts a line of its own" {
	mixed_run
	kill -TERM "$TEND_PID"
	wait_until gone "$TEND_PID"
	before=$(tctl account --json)
	file=$(ls "$RUN"/account/*.jsonl)
	printf '{"v":1,"kind":"process","tenant":"acme","group":"a","process":"x","end":17' >>"$file"
	run --separate-stderr tctl account --json
	assert_success
	[ "$output" = "$before" ]
	[[ $stderr == *"$file:"*"incomplete last line (a torn write), skipped"* ]]
	# A new tend appends after the torn line, not onto it.
	start_tend
	ran_again() { [ "$(jq_records '[.[] | select(.process == "ok")] | length')" -ge 2 ]; }
	wait_until ran_again
	run --separate-stderr tctl account --json
	assert_success
	[[ $stderr == *"not a record, skipped"* ]]
	[ "$(jq .total.processes <<<"$output")" -gt "$(jq .total.processes <<<"$before")" ]
}

@test "a record is on disk before the exit is told: kill -9 tend right after the events" {
	conf 10-churn.conf <<'EOF'
group "churn" { process "p" { command = "true"  restart = always  restart-delay = 20ms  restart-limit = 1000 } }
EOF
	start_tend
	tctl events --json >"$T/events.json" 2>/dev/null &
	track_pid $!
	exits_seen() { [ "$(grep -c '"event":"exited"' "$T/events.json")" -ge 10 ]; }
	wait_until exits_seen
	kill -KILL "$TEND_PID"
	wait_until gone "$TEND_PID"
	# Every exit anybody heard of is in the records.
	for pid in $(jq -r 'select(.event == "exited") | .pid' "$T/events.json"); do
		has_record ".pid == $pid and .process == \"p\"" || { echo "no record of $pid"; return 1; }
	done
}

@test "the records' directory and files are tend's, readable by its group only" {
	mixed_run
	[ "$(stat -c %a "$RUN/account")" = 751 ] # entered by a tenant's user, listed by none
	for f in "$RUN"/account/*.jsonl; do [ "$(stat -c %a "$f")" = 640 ]; done
	[[ $(ls "$RUN/account") =~ ^[0-9]{4}-[0-9]{2}\.jsonl$ ]]
}

# ---- a tenant's user of root's tend ----

need_user() {
	[ -n "${ACCT_USER:-}" ] || skip "needs root and useradd to make a tenant's user"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
}

# as_user CMD...: runs CMD as the tenant's user, in its primary group only.
as_user() {
	setpriv --reuid="$ACCT_USER" --regid="$(id -g "$ACCT_USER")" --clear-groups "$@"
}

users_ran() {
	local p
	for p in ok fails orphans other mine; do has_record ".process == \"$p\"" || return 1; done
}

users_stopped() {
	local g
	for g in a b c; do has_record ".kind == \"group\" and .group == \"$g\"" || return 1; done
}

# Tenant A has the user; B has none; c is tend's own (tenant default).
user_tenants_run() {
	conf 10-users.conf <<EOF
tenant "A" { user = "$ACCT_USER" }
tenant "B" { }
group "a" {
	tenant = "A"
	process "ok" { command = "true"  type = oneshot  restart = never }
	process "fails" { command = "/bin/sh -c 'exit 3'"  type = oneshot  restart = never }
	process "orphans" { command = "/bin/sh -c '(sleep 0.1 &); exit 0'"  type = oneshot  restart = never }
}
group "b" {
	tenant = "B"
	process "other" { command = "/bin/sh -c 'exit 4'"  type = oneshot  restart = never }
}
group "c" { process "mine" { command = "true"  type = oneshot  restart = never } }
EOF
	start_tend
	chmod 0711 "$T" # the run directory's parent: the user must reach it
	wait_until users_ran
	local g
	for g in a b c; do tctl stop "$g" >/dev/null || true; done
	wait_until users_stopped
}

copy_is_main_lines_of() { diff <(grep "\"tenant\":\"$1\"" "$2") "$3" >/dev/null; }

@test "as root, a tenant's user's tendctl account sums its tenant's records, equal to the main file's, and nothing else" {
	need_user
	user_tenants_run
	month=$(date -u +%Y-%m)
	main=$RUN/account/$month.jsonl
	copy=$RUN/account/tenant/A/$month.jsonl
	# The copy is A's lines of the main file, byte for byte, and nothing else
	# (both are written as each exit is handled: waited for in case a late
	# one is being handled now).
	wait_until copy_is_main_lines_of A "$main" "$copy"
	[ "$(ls "$RUN/account/tenant")" = A ]
	[ "$(stat -c '%a %u %g' "$RUN/account/tenant/A")" = "750 0 $(id -g "$ACCT_USER")" ]
	[ "$(stat -c '%a %u %g' "$copy")" = "640 0 $(id -g "$ACCT_USER")" ]
	# Its user cannot read the main files, nor list the directory.
	run as_user cat "$main"
	assert_failure
	run as_user ls "$RUN/account"
	assert_failure
	# Its sums are A's records in the main file.
	run --separate-stderr as_user "$TENDCTL" -r "$RUN" account --json
	assert_success
	[ -z "$stderr" ]
	check_sums "$(jq -c .total <<<"$output")" '.tenant == "A"'
	[ "$(jq .total.processes <<<"$output")" -ge 3 ]
	[ "$(jq .total.group_runs <<<"$output")" -eq \
		"$(jq_records '[.[] | select(.kind == "group" and .tenant == "A")] | length')" ]
	run as_user "$TENDCTL" -r "$RUN" account --by tenant --json
	[ "$(jq -c '[.rows[].tenant]' <<<"$output")" = '["A"]' ]
	# --tenant still filters: B's records are not there to be had.
	run as_user "$TENDCTL" -r "$RUN" account --tenant B --json
	assert_success
	[ "$(jq .total.processes <<<"$output")" -eq 0 ]
	# Root still reads every record.
	run tctl account --by tenant --json
	[ "$(jq -c '[.rows[].tenant]' <<<"$output")" = '["A","B","default"]' ]
	# A uid that is no tenant's user reads nothing.
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$TENDCTL" -r "$RUN" account
	assert_failure 1
	assert_output --partial "cannot read $RUN/account: Permission denied"
}

# users_reload USER-OPTION GROUP PROCESS: tenant A with USER-OPTION ("" or
# user = "..."), and one more group of A whose one-shot is PROCESS.
users_reload() {
	conf 10-users.conf <<EOF
tenant "A" { $1 }
group "$2" { tenant = "A"  process "$3" { command = "true"  type = oneshot  restart = never } }
EOF
	tctl reload >/dev/null
}

@test "a reload that takes a tenant's user away closes its copy; one that gives it back reopens it" {
	need_user
	user_tenants_run
	copy=$RUN/account/tenant/A/$(date -u +%Y-%m).jsonl
	users_reload "" a2 without
	wait_until has_record '.process == "without"'
	users_reload "user = \"$ACCT_USER\"" a3 with
	wait_until has_record '.process == "with"'
	# A's records while it had no user are in the main file only; the copy
	# stayed, and has A's records from before and after.
	run grep -c '"process":"without"' "$copy"
	assert_output 0
	grep -q '"process":"with"' "$copy"
	grep -q '"process":"ok"' "$copy"
	[ "$(stat -c '%a %u %g' "$copy")" = "640 0 $(id -g "$ACCT_USER")" ]
}
