#!/usr/bin/env bats
# Tenants' cgroups and limits, `tendctl tenants`, and what a tenant's user
# may do through root's control socket (README "Tenant limits" and
# "Who may use the control socket"). The limits themselves are enforced in
# the QEMU tier (tests/qemu/limits.bats), where tend as PID 1 owns a cgroup
# v2 hierarchy with every controller; this machine's v2 hierarchy has
# none of them (memory and pids are bound to v1).

load helpers

# A throwaway user for the tenant whose `user` it is, made once for the file.
setup_file() {
	if [ "$(id -u)" -eq 0 ] && command -v useradd >/dev/null; then
		export LIMITS_USER="tendlim$$"
		useradd --no-create-home --shell /usr/sbin/nologin "$LIMITS_USER"
	fi
}

teardown_file() {
	[ -z "${LIMITS_USER:-}" ] || userdel "$LIMITS_USER" 2>/dev/null || true
}

setup() { tend_setup; }
teardown() { tend_teardown; }

# The cgroup directory of tend's trees, from status.
cgroup_root() { tctl status | sed -n 's/^tracking: cgroup //p'; }

# tenant_field TENANT JQ-EXPRESSION: from tenants --json.
tenant_field() {
	tctl tenants --json | jq -r --arg n "$1" ".tenants[] | select(.name == \$n) | $2"
}

need_cgroup() {
	cgroup_v2_writable || skip "no writable cgroup v2 hierarchy here (needs root and a cgroup2 mount)"
}

@test "every group lives under its tenant's cgroup, which goes with the tenant's last group" {
	need_cgroup
	conf 10.conf <<'EOF'
tenant "acme" { }
group "web" { tenant = "acme"  process "app" { command = "sleep 1001" } }
group "api" { tenant = "acme"  process "app" { command = "sleep 1002" } }
group "plain" { process "p" { command = "sleep 1003" } }
EOF
	start_tend --tracking=cgroup
	wait_until state_is running api
	wait_until state_is running plain
	root=$(cgroup_root)
	[ -n "$root" ]
	grep -qx "$(pid_of web app)" "$root/acme/web/app/cgroup.procs"
	grep -qx "$(pid_of api app)" "$root/acme/api/app/cgroup.procs"
	grep -qx "$(pid_of plain p)" "$root/default/plain/p/cgroup.procs"
	sed -n 's/^0:://p' "/proc/$(pid_of web app)/cgroup" | grep -q "/tend-$TEND_PID/acme/web/app\$"
	# One group of two goes: the tenant's cgroup stays for the other.
	conf 10.conf <<'EOF'
tenant "acme" { }
group "web" { tenant = "acme"  process "app" { command = "sleep 1001" } }
group "plain" { process "p" { command = "sleep 1003" } }
EOF
	tctl reload
	wait_until test ! -d "$root/acme/api"
	[ -d "$root/acme/web/app" ]
	# The last one goes: so does the tenant's cgroup.
	conf 10.conf <<'EOF'
group "plain" { process "p" { command = "sleep 1003" } }
EOF
	tctl reload
	wait_until test ! -d "$root/acme"
	[ -d "$root/default/plain" ]
}

limits_conf() {
	conf 10.conf <<'EOF'
tenant "acme" { cpu-weight = 50  memory-max = 32M  pids-max = 20 }
tenant "beta" { memory-high = 64M }
tenant "free" { }
group "web" { tenant = "acme"  process "app" { command = "sleep 1001" } }
group "api" { tenant = "acme"  process "app" { command = "sleep 1002" } }
group "b" { tenant = "beta"  process "app" { command = "sleep 1003" } }
EOF
}

# Skips unless this machine lacks the memory controller below tend's
# cgroup (as the build machines do): otherwise nothing is warned about.
memory_missing_or_skip() {
	if [ "$(tenant_field beta '.limits[0].state')" != not-applicable ]; then
		skip "this machine's cgroup v2 hierarchy hands tend the memory controller: nothing to warn about (the next test checks the writes)"
	fi
}

@test "limits that cannot apply are warned about once per tenant; the groups run anyway" {
	need_cgroup
	limits_conf
	start_tend --tracking=cgroup
	wait_until state_is running b
	memory_missing_or_skip
	state_is running web
	state_is running api
	# Once per tenant, naming each limit that cannot apply and why.
	[ "$(grep -c 'tenant acme: cannot apply' "$T/tend.out")" -eq 1 ]
	grep -q 'warning: tenant acme: cannot apply cpu-weight, memory-max, pids-max (no .*controller' "$T/tend.out"
	[ "$(grep -c 'tenant beta: cannot apply memory-high' "$T/tend.out")" -eq 1 ]
	run ! grep -q 'tenant free:' "$T/tend.out"
	# A reload that changes nothing says nothing again.
	tctl reload
	[ "$(grep -c 'tenant acme: cannot apply' "$T/tend.out")" -eq 1 ]
	# tendctl tenants shows the same: each limit, not applied, and why.
	[ "$(tenant_field acme '[.limits[] | .option] | join(",")')" = cpu-weight,memory-max,pids-max ]
	[ "$(tenant_field acme '.limits[] | select(.option == "memory-max") | .value')" = 33554432 ]
	[ "$(tenant_field acme '.limits[] | select(.option == "memory-max") | .state')" = not-applicable ]
	tenant_field acme '.limits[] | select(.option == "pids-max") | .why' | grep -q 'controller'
	run tctl tenants
	assert_line --regexp '^  memory-max 33554432: not-applicable \(no .*memory.* controller'
	# tend --check prints the same warning, line for line.
	run "$TEND" --check -c "$CONF"
	assert_success
	want=$(grep -o 'tenant acme: cannot apply.*' "$T/tend.out")
	assert_line "tend: warning: $want"
	assert_line --partial "tend: warning: tenant beta: cannot apply memory-high"
	# A reload that adds a limit that cannot apply warns again, with it.
	sed -i 's/pids-max = 20 }/pids-max = 20  memory-high = 16M }/' "$CONF/10.conf"
	tctl reload
	[ "$(grep -c 'tenant acme: cannot apply' "$T/tend.out")" -eq 2 ]
	grep -q 'tenant acme: cannot apply cpu-weight, memory-max, memory-high, pids-max' "$T/tend.out"
}

@test "with ancestry tracking no limit applies: tend says so, and --check too" {
	limits_conf
	start_tend --tracking=ancestry
	wait_until state_is running b
	grep -q 'warning: tenant acme: cannot apply cpu-weight, memory-max, pids-max (process trees are tracked by ancestry' "$T/tend.out"
	[ "$(tenant_field acme '.limits[0].state')" = not-applicable ]
	[ "$(tenant_field acme '.cgroup')" = null ]
	run "$TEND" --check --tracking=ancestry -c "$CONF"
	assert_line --partial "tend: warning: tenant acme: cannot apply cpu-weight, memory-max, pids-max (process trees are tracked by ancestry"
}

@test "limits are written to the tenant's cgroup where the controller exists, and a reload rewrites them" {
	need_cgroup
	limits_conf
	start_tend --tracking=cgroup
	wait_until state_is running b
	root=$(cgroup_root)
	if [ ! -f "$root/acme/pids.max" ] && [ ! -f "$root/acme/memory.max" ] && [ ! -f "$root/acme/cpu.weight" ]; then
		skip "no cpu, memory or pids controller below tend's cgroup on this machine (tests/qemu/limits.bats proves the writes)"
	fi
	if [ -f "$root/acme/pids.max" ]; then
		[ "$(cat "$root/acme/pids.max")" = 20 ]
		[ "$(tenant_field acme '.limits[] | select(.option == "pids-max") | .state')" = applied ]
	fi
	[ ! -f "$root/acme/memory.max" ] || [ "$(cat "$root/acme/memory.max")" = 33554432 ]
	[ ! -f "$root/acme/cpu.weight" ] || [ "$(cat "$root/acme/cpu.weight")" = 50 ]
	sed -i 's/pids-max = 20/pids-max = 30/; s/cpu-weight = 50/cpu-weight = 70/; s/memory-max = 32M/memory-max = 48M/' "$CONF/10.conf"
	tctl reload
	state_is running web
	[ ! -f "$root/acme/pids.max" ] || [ "$(cat "$root/acme/pids.max")" = 30 ]
	[ ! -f "$root/acme/memory.max" ] || [ "$(cat "$root/acme/memory.max")" = 50331648 ]
	[ ! -f "$root/acme/cpu.weight" ] || [ "$(cat "$root/acme/cpu.weight")" = 70 ]
}

@test "tendctl tenants: each tenant's groups, processes, profile, user and limits, as text and JSON" {
	need_cgroup
	conf 10.conf <<'EOF'
seccomp "quiet" { default = allow  deny = { ptrace } }
tenant "acme" { seccomp = "quiet"  user = "nobody"  pids-max = 50 }
group "web" { tenant = "acme"  process "app" { command = "sh -c 'sleep 1001 & exec sleep 1002'" } }
group "api" { tenant = "acme"  process "app" { command = "sleep 1003" } }
group "lab" { tenant = "lab"  process "p" { command = "sleep 1004" } }
group "plain" { process "p" { command = "sleep 1005" } }
EOF
	start_tend --tracking=cgroup
	wait_until state_is running plain
	root=$(cgroup_root)
	acme_has_3() { [ "$(tenant_field acme .processes)" = 3 ]; }
	wait_until acme_has_3
	run tctl tenants --json
	assert_success
	printf '%s\n' "$output" | jq -e '[.tenants[].name] == ["acme", "lab", "default"]'
	printf '%s\n' "$output" | jq -e --arg root "$root" '.tenants[0] |
		.declared == true and .groups == ["web", "api"] and .processes == 3 and
		.profile == "quiet" and .user == 65534 and .cgroup == ($root + "/acme") and
		(.limits | length) == 1 and .limits[0].option == "pids-max" and .limits[0].value == "50"'
	printf '%s\n' "$output" | jq -e '.tenants[1] | .declared == false and .groups == ["lab"] and
		.processes == 1 and .profile == null and .user == null and .limits == []'
	printf '%s\n' "$output" | jq -e '.tenants[2] | .name == "default" and .groups == ["plain"]'
	run tctl tenants
	assert_success
	assert_line --regexp "^acme: groups web, api; 3 processes; profile quiet; user 65534; cgroup $root/acme\$"
	assert_line --regexp '^  pids-max 50: (applied|not-applicable .*)$'
	assert_line "lab (label): groups lab; 1 process; cgroup $root/lab"
	assert_line "default (label): groups plain; 1 process; cgroup $root/default"
	run tctl tenants --bogus
	assert_failure 2
}

# ---- a tenant's user and root's control socket ----

need_user() {
	[ -n "${LIMITS_USER:-}" ] || skip "needs root and useradd to make a tenant's user"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
}

# as_user CMD...: runs CMD as the tenant's user (no supplementary groups).
as_user() {
	setpriv --reuid="$LIMITS_USER" --regid="$(id -g "$LIMITS_USER")" --clear-groups "$@"
}

users_conf() {
	conf 10.conf <<EOF
tenant "mine" { user = "$LIMITS_USER" }
tenant "theirs" { }
group "m1" { tenant = "mine"  process "p" { command = "sleep 1001" } }
group "o1" { tenant = "theirs"  process "p" { command = "sleep 1002" } }
group "d1" { process "p" { command = "sleep 1003" } }
EOF
	start_tend
	chmod 0711 "$T" # the run directory's parent: the user must reach the socket
	wait_until state_is running d1
}

@test "a tenant's user sees only its tenant's groups" {
	need_user
	users_conf
	# The socket admits everyone once a tenant names a user; tend decides inside.
	[ "$(stat -c %a "$RUN/tend.sock")" = 666 ]
	run as_user "$TENDCTL" -r "$RUN" status --json
	assert_success
	printf '%s\n' "$output" | jq -e '[.groups[].name] == ["m1"]'
	run as_user "$TENDCTL" -r "$RUN" status
	assert_success
	assert_output --partial "m1 running"
	refute_output --partial "o1"
	refute_output --partial "d1"
	run as_user "$TENDCTL" -r "$RUN" status o1
	assert_failure 1
	assert_output --partial "permission denied: no group o1 among the tenants of uid $(id -u "$LIMITS_USER")"
	run as_user "$TENDCTL" -r "$RUN" tenants --json
	printf '%s\n' "$output" | jq -e '[.tenants[].name] == ["mine"]'
	run as_user "$TENDCTL" -r "$RUN" logs o1
	assert_failure 1
	assert_output --partial "permission denied"
	run as_user "$TENDCTL" -r "$RUN" logs m1
	assert_success
	# Root still sees everything.
	status_json | jq -e '[.groups[].name] == ["m1", "o1", "d1"]'
}

@test "a tenant's user can stop its own group but not another tenant's" {
	need_user
	users_conf
	run as_user "$TENDCTL" -r "$RUN" stop o1
	assert_failure 1
	assert_output --partial "permission denied: no group o1 among the tenants"
	run as_user "$TENDCTL" -r "$RUN" stop d1/p
	assert_failure 1
	state_is running o1
	state_is running d1
	run as_user "$TENDCTL" -r "$RUN" stop m1
	assert_success
	state_is stopped m1
	run as_user "$TENDCTL" -r "$RUN" start m1
	assert_success
	state_is running m1
	grep -q "control: stop m1 (uid $(id -u "$LIMITS_USER"))" "$T/tend.out"
}

@test "a tenant's user may run a command in its own tenant only, as that user" {
	need_user
	users_conf
	run as_user "$TENDCTL" -r "$RUN" run --tenant theirs -- sleep 1004
	assert_failure 1
	assert_output --partial "permission denied: uid $(id -u "$LIMITS_USER") may not launch for tenant theirs"
	run as_user "$TENDCTL" -r "$RUN" run -- sleep 1004
	assert_failure 1
	assert_output --partial "may not launch for tenant default"
	run as_user "$TENDCTL" -r "$RUN" run --tenant mine --group mine-run -- sleep 1005
	assert_success
	wait_until state_is running mine-run
	pid=$(pid_of mine-run sleep)
	# It runs with the tenant's credentials, and its user may stop it.
	[ "$(stat -c %u "/proc/$pid")" = "$(id -u "$LIMITS_USER")" ]
	run as_user "$TENDCTL" -r "$RUN" stop mine-run
	assert_success
	state_is running o1
}

@test "a tenant's user is refused before its request is parsed; a stranger is refused everything" {
	need_user
	users_conf
	sock=$RUN/tend.sock
	# The same malformed line: a parse error for root, a permission error for the tenant's user.
	run socat -t 5 - "UNIX-CONNECT:$sock" <<<'"unbalanced'
	assert_output "ERR bad request: unterminated double quote"
	run as_user socat -t 5 - "UNIX-CONNECT:$sock" < <(printf '"unbalanced\nreload\nwatchdog suspend\x01\nping\n')
	assert_line --index 0 --partial "ERR permission denied: uid $(id -u "$LIMITS_USER") may only make these requests"
	assert_line --index 1 --partial "ERR permission denied"
	assert_line --index 2 --partial "ERR permission denied"
	assert_line --index 3 --partial "OK tend"
	# A uid that is no tenant's user gets nothing.
	# (tend closes its connection at once: a write could find it closed, so only read)
	run setpriv --reuid=65534 --regid=65534 --clear-groups socat -t 5 -u "UNIX-CONNECT:$sock" - </dev/null
	assert_output "ERR permission denied: this uid may not use tend's control socket"
	state_is running m1
}

@test "a tenant's user's event stream carries only its tenant's groups" {
	need_user
	users_conf
	as_user "$TENDCTL" -r "$RUN" events >"$T/events" 2>&1 &
	echo $! >>"$T/pids"
	# Subscribed once a restart of m1 shows up in the stream.
	restart_m1_seen() {
		tctl restart --no-wait m1 >/dev/null
		grep -q '^.* m1/p ' "$T/events"
	}
	wait_until restart_m1_seen
	tctl restart o1
	tctl restart d1
	: >"$T/events.mark"
	n=$(grep -c ' m1/p started\| m1/p restarted' "$T/events")
	tctl restart m1
	m1_again() { [ "$(grep -c ' m1/p started\| m1/p restarted' "$T/events")" -gt "$n" ]; }
	wait_until m1_again
	run ! grep -q 'o1\|d1' "$T/events"
}

@test "the socket stays 0600 in root's tend while no tenant names a user" {
	conf 10.conf <<'EOF'
tenant "t" { }
group "g" { tenant = "t"  process "p" { command = "sleep 1001" } }
EOF
	start_tend
	[ "$(stat -c %a "$RUN/tend.sock")" = 600 ]
}
