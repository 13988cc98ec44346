#!/usr/bin/env bats
# Tenants and their seccomp profiles: a small static probe
# (tests/probes/seccomp_probe.c) makes one kind of system call and writes
# what happened to a file, run under tenants with different profiles.

load helpers

PROBE=$TOP/build/probes/seccomp_probe

setup() {
	tend_setup
}
teardown() {
	tend_teardown
}

# said FILE TEXT: the probe wrote exactly TEXT (one line) into FILE.
said() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

@test "a tenant whose profile denies socket gets EPERM; the same probe in another tenant does not" {
	conf 10-a.conf <<CONF
seccomp "nonet" { default = allow  deny = { socket, @mount }  errno = EPERM }
tenant "acme" { seccomp = "nonet" }
tenant "open" { }
group "confined" { tenant = "acme"  process "p" { command = "$PROBE socket $T/acme" } }
group "free"     { tenant = "open"  process "p" { command = "$PROBE socket $T/open" } }
group "label"    { tenant = "undeclared"  process "p" { command = "$PROBE socket $T/label" } }
CONF
	start_tend
	wait_until said "$T/acme" "socket EPERM"
	wait_until said "$T/open" "socket ok"
	wait_until said "$T/label" "socket ok"
	[ "$(state confined p)" = running ]
	[ "$(status_json | jq -r '.groups[] | select(.name=="confined") | .tenant')" = acme ]
	# The profile holds for what the process starts too, and cannot be lifted.
	grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$(pid_of confined p)/status"
	grep -q '^Seccomp:[[:space:]]*2' "/proc/$(pid_of confined p)/status"
	grep -q '^Seccomp:[[:space:]]*0' "/proc/$(pid_of free p)/status"
}

@test "default = kill kills the process by SIGSYS, and tend says so in status and events" {
	conf 10-a.conf <<CONF
seccomp "service" { default = kill  allow = { @system-service } }
tenant "strict" { seccomp = "service" }
group "g" { tenant = "strict"  process "ok"   { command = "$PROBE socket $T/ok" } }
group "h" { tenant = "strict"  process "swap" { command = "$PROBE swapoff $T/swap"  restart = never } }
CONF
	start_tend
	wait_until said "$T/ok" "socket ok"
	wait_until state_is failed h swap
	[ ! -e "$T/swap" ]
	run tctl status
	assert_output --regexp 'swap +failed +last killed by SIGSYS'
	[ "$(process_field h swap last_signal)" = 31 ]
	grep -q 'h/swap: killed by SIGSYS' "$T/tend.out"
	# and as an event, with its signal number: once the stream shows a
	# restart of g, it is open, and h's next death is in it
	tctl events --json >"$T/events.json" 2>/dev/null &
	track_pid $!
	stream_open() {
		tctl restart --no-wait g >/dev/null
		grep -q '"group":"g"' "$T/events.json"
	}
	wait_until stream_open
	tctl restart --no-wait h
	wait_until grep -q '"event":"exited","group":"h"' "$T/events.json"
	run jq -r -s 'map(select(.event=="exited" and .group=="h")) | .[0].signal' "$T/events.json"
	assert_output 31
}

@test "default = log lets every call through" {
	conf 10-a.conf <<CONF
seccomp "audit" { default = log }
seccomp "listed" { default = errno  allow = { @system-service }  log = { swapoff }  errno = EACCES }
tenant "trial" { seccomp = "audit" }
tenant "listed" { seccomp = "listed" }
group "g" { tenant = "trial"  process "p" { command = "$PROBE socket $T/log" } }
group "h" { tenant = "listed" process "p" { command = "$PROBE swapoff $T/swap" } }
CONF
	start_tend
	wait_until said "$T/log" "socket ok"
	# let through to the kernel: no such file (root) or not permitted, not EACCES
	wait_until test -s "$T/swap"
	run cat "$T/swap"
	assert_output --regexp '^swapoff (ENOENT|EPERM)$'
}

@test "an unknown system call is a path:line error, and a reload with it leaves everything running" {
	conf 10-a.conf <<CONF
seccomp "p" { default = allow  deny = { socket } }
tenant "t" { seccomp = "p" }
group "g" { tenant = "t"  process "p" { command = "$PROBE socket $T/out" } }
CONF
	start_tend
	wait_until said "$T/out" "socket EPERM"
	pid=$(pid_of g p)
	conf 10-a.conf <<CONF
seccomp "p" {
	default = allow
	deny = { sockett, @nosuch }
	errno = ENOPE
}
tenant "t" { seccomp = "q" }
group "g" { tenant = "t"  process "p" { command = "$PROBE socket $T/out" } }
CONF
	run tctl reload
	assert_failure
	assert_line "$CONF/10-a.conf:3: deny: \"sockett\": no such system call (libseccomp does not know it)"
	assert_line "$CONF/10-a.conf:3: deny: \"@nosuch\": no such set (see README, \"Seccomp profiles\")"
	assert_line --partial "$CONF/10-a.conf:4: errno: invalid value \"ENOPE\""
	assert_line "$CONF/10-a.conf:6: tenant \"t\": no seccomp profile \"q\""
	[ "$(pid_of g p)" = "$pid" ]
	run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_line "$CONF/10-a.conf:3: deny: \"sockett\": no such system call (libseccomp does not know it)"
}

@test "a reload restarts the groups whose profile changed, and only those" {
	conf 10-a.conf <<CONF
seccomp "p" { default = allow  deny = { socket } }
seccomp "q" { default = allow }
tenant "t" { seccomp = "p" }
tenant "u" { seccomp = "q" }
group "g" { tenant = "t"  process "p" { command = "$PROBE socket $T/g" } }
group "h" { tenant = "u"  process "p" { command = "$PROBE socket $T/h" } }
CONF
	start_tend
	wait_until said "$T/g" "socket EPERM"
	wait_until said "$T/h" "socket ok"
	g=$(pid_of g p)
	h=$(pid_of h p)
	rm "$T/g"
	sed -i 's/deny = { socket }/deny = { bind }/' "$CONF/10-a.conf"
	run tctl reload
	assert_success
	assert_output --partial "restarting g with its new declaration"
	wait_until said "$T/g" "socket ok"
	[ "$(pid_of g p)" != "$g" ]
	[ "$(pid_of h p)" = "$h" ]
}

@test "under @system-service a tenant's process still reaches NOTIFY_SOCKET and its watchdog" {
	conf 10-a.conf <<CONF
seccomp "service" { default = errno  allow = { @system-service }  deny = { @privileged } }
tenant "t" { seccomp = "service" }
group "g" {
	tenant = "t"
	process "p" {
		command  = "$PROBE notify $T/n"
		ready    = notify
		watchdog = 200ms
	}
}
CONF
	start_tend
	wait_until said "$T/n" "notified"
	wait_until state_is running g p
	[ "$(process_field g p ready)" = true ]
	pid=$(pid_of g p)
	# Five watchdog timeouts' worth of kicks, counted by the process itself.
	kicks_past() { [[ $(process_field g p status) =~ ^kick\ ([0-9]+)$ ]] && ((BASH_REMATCH[1] >= 50)); }
	wait_until kicks_past
	[ "$(pid_of g p)" = "$pid" ]
	[ "$(restarts_of g p)" = 0 ]
}

@test "as root, a tenant's user, group and supplementary groups are its processes' (theirs win)" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run a process as another user"
	chmod 0711 "$T" # nobody must reach NOTIFY_SOCKET in the run directory
	mkdir -m 0777 "$T/out"
	conf 10-a.conf <<CONF
seccomp "service" { default = errno  allow = { @system-service } }
tenant "t" {
	seccomp = "service"
	user = "nobody"
	supplementary-groups = { "daemon", "www-data" }
}
group "g" {
	tenant = "t"
	process "p"   { command = "$PROBE notify $T/out/n"  ready = notify  watchdog = 1s }
	process "grp" { command = "sleep 1001"  group = "daemon" }
	process "own" { command = "sleep 1002"  user = "root" }
}
CONF
	start_tend
	wait_until state_is running g grp
	said "$T/out/n" "notified"
	ids() { awk '/^(Uid|Gid|Groups):/ { $1 = ""; print }' "/proc/$1/status" | tr -s ' \t' ' ' | sed 's/^ //;s/ $//'; }
	run ids "$(pid_of g p)"
	assert_line --index 0 "65534 65534 65534 65534"
	assert_line --index 1 "65534 65534 65534 65534"
	assert_line --index 2 "1 33"
	run ids "$(pid_of g grp)"
	assert_line --index 0 "65534 65534 65534 65534"
	assert_line --index 1 "1 1 1 1"
	run ids "$(pid_of g own)"
	assert_line --index 0 "0 0 0 0"
	assert_line --index 2 "1 33"
}

@test "a tenant's user is an error naming the option for a tend that is not root" {
	conf 10-a.conf <<CONF
tenant "t" {
	user = "nobody"
	supplementary-groups = { "daemon" }
}
CONF
	as=$(id -u)
	if [ "$as" -eq 0 ]; then
		chmod 0755 "$T" "$CONF" && chmod 0644 "$CONF/10-a.conf"
		as=$(id -u nobody)
		run runuser -u nobody -- "$TEND" --check -c "$CONF"
	else
		run "$TEND" --check -c "$CONF"
	fi
	assert_failure 1
	assert_line "$CONF/10-a.conf:2: user: tend runs as uid $as, not as root: it cannot give a process another user or group"
	assert_line "$CONF/10-a.conf:3: supplementary-groups: tend runs as uid $as, not as root: it cannot give a process another user or group"
}

@test "a group added at run time runs under its tenant's profile; a file may not bring tenants" {
	conf 10-a.conf <<CONF
seccomp "nonet" { default = allow  deny = { socket } }
tenant "acme" { seccomp = "nonet" }
CONF
	start_tend
	cat >"$T/added.conf" <<CONF
group "late" { tenant = "acme"  process "p" { command = "$PROBE socket $T/late" } }
CONF
	run tctl add "$T/added.conf"
	assert_success
	wait_until said "$T/late" "socket EPERM"
	cat >"$T/sneaky.conf" <<CONF
tenant "acme2" { }
group "other" { tenant = "acme2"  process "p" { command = "sleep 1000" } }
CONF
	run tctl add "$T/sneaky.conf"
	assert_failure
	assert_output --partial "tenant and seccomp sections belong in conf.d; nothing added"
	[ -z "$(status_json | jq -r '.groups[] | select(.name=="other") | .name')" ]
}

@test "as root, a tenant's user can read its processes' logs, and no other" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run a process as another user"
	chmod 0711 "$T"
	conf 10-a.conf <<CONF
tenant "t" { user = "nobody" }
group "g" { tenant = "t"  process "p" { command = "sh -c 'echo from-nobody; exec sleep 1000'" } }
group "h" { process "q" { command = "sh -c 'echo from-root; exec sleep 1000'" } }
CONF
	start_tend
	wait_until grep -q from-nobody "$RUN/log/g.p.log"
	wait_until grep -q from-root "$RUN/log/h.q.log"
	[ "$(stat -c '%a %U %G' "$RUN/log/g.p.log")" = "640 root nogroup" ]
	[ "$(stat -c '%a' "$RUN/log/h.q.log")" = 600 ]
	run runuser -u nobody -- cat "$RUN/log/g.p.log"
	assert_success
	assert_output --partial from-nobody
	run runuser -u nobody -- cat "$RUN/log/h.q.log"
	assert_failure
	run runuser -u nobody -- ls "$RUN/log"
	assert_failure
}
