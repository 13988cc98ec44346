#!/usr/bin/env bats
# requires and after between groups, with real processes: what starts
# first, what waits (and says so in status), what stops first, and errors.

load helpers

setup() { tend_setup; }
teardown() { tend_teardown; }

# Lines of tend's log that say a group is starting, running or stopping,
# in order: "db starting", "web running", ...
group_log() { sed -n 's/^tend: \(warning: \)\{0,1\}group \([^ :]*\): \([a-z]*\)$/\2 \3/p' "$T/tend.out"; }
logged_before() { # logged_before "A" "B": line A comes before line B in group_log
	local a b
	a=$(group_log | grep -nx "$1" | head -n 1 | cut -d: -f1)
	b=$(group_log | grep -nx "$2" | head -n 1 | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}
# started_after GROUP/PROCESS GROUP: the process was started after the group ran
started_after() {
	local a b
	a=$(grep -n "^tend: group $2: running$" "$T/tend.out" | head -n 1 | cut -d: -f1)
	b=$(grep -n "^tend: $1: started" "$T/tend.out" | head -n 1 | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}

@test "requires starts the dependency first, waits until it is ready, and says so in status" {
	conf 10-a.conf <<EOF
group "web" {
	requires = { "db" }
	process "nginx" { command = "sleep 1000" }
}
group "db" {
	autostart = false
	process "pg" {
		command = "sh -c 'while [ ! -e $T/go ]; do sleep 0.05; done; systemd-notify --ready; exec sleep 1000'"
		ready   = notify
	}
}
EOF
	start_tend
	wait_until state_is starting db
	[ "$(state web)" = starting ]
	[ "$(pid_of web nginx)" = null ]
	run tctl status web
	assert_line --index 0 "web starting (waits for db)"
	status_json | jq -e '.groups[] | select(.name == "web") | .requires == ["db"] and .waiting_for == ["db"]'
	touch "$T/go"
	wait_until state_is running web
	started_after web/nginx db
	run tctl status web
	assert_line --index 0 "web running"
}

@test "a dependency that fails stops what requires it; a stop stops it first; shutdown goes in reverse" {
	conf 10-a.conf <<EOF
group "db" {
	process "pg" { command = "sh -c 'echo \$\$ > $T/pg; exec sleep 1000'"  critical = true  restart = never }
}
group "app" {
	requires = { "db" }
	process "a" { command = "sleep 1001" }
}
group "web" {
	after = { "app" }
	process "w" { command = "sleep 1002" }
}
EOF
	start_tend
	wait_until state_is running web
	wait_until state_is running app
	started_after web/w app
	# db fails: app is stopped before db's own stop ends; web (only after app) stays.
	kill -KILL "$(cat "$T/pg")"
	wait_until state_is failed db
	[ "$(state app)" = stopped ]
	[ "$(state web)" = running ]
	logged_before "app stopping" "db failed"
	# Starting app starts db again.
	run tctl start app
	assert_success
	[ "$(state db)" = running ]
	# tendctl stop db: app first.
	run tctl stop db
	assert_success
	[ "$(state app)" = stopped ]
	logged_before "app stopped" "db stopped"
	run tctl start app
	assert_success
	# Shutdown: web (after app) first, then app, then db.
	kill -TERM "$TEND_PID"
	wait_until gone "$TEND_PID"
	run grep -o "shutdown: stopping group [a-z]*" "$T/tend.out"
	assert_output "$(printf 'shutdown: stopping group web\nshutdown: stopping group app\nshutdown: stopping group db')"
}

@test "an unknown group or a cycle in requires and after is a path:line error" {
	conf 10-a.conf <<EOF
group "a" {
	requires = { "b" }
	process "p" { command = "true" }
}
group "b" {
	after = { "c" }
	process "p" { command = "true" }
}
group "c" {
	requires = { "a", "nowhere" }
	process "p" { command = "true" }
}
EOF
	run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_line "$CONF/10-a.conf:9: group \"c\" requires \"nowhere\", which is not declared"
	assert_line "$CONF/10-a.conf:1: dependency cycle (requires and after): a -> b -> c -> a"
}

@test "a reload that replaces a required group restarts what requires it after it" {
	conf 10-a.conf <<EOF
group "db" { process "pg" { command = "sleep 1000" } }
group "web" { requires = { "db" }  process "w" { command = "sleep 1001" } }
EOF
	start_tend
	wait_until state_is running web
	web=$(pid_of web w)
	db=$(pid_of db pg)
	conf 10-a.conf <<EOF
group "db" { process "pg" { command = "sleep 1000"  environment = { "V=2" } } }
group "web" { requires = { "db" }  process "w" { command = "sleep 1001" } }
EOF
	run tctl reload
	assert_success
	assert_output --partial "restarting db with its new declaration"
	wait_until pid_changed web w "$web"
	wait_until state_is running web
	gone "$web"
	gone "$db"
	[ "$(pid_of db pg)" != "$db" ]
	# web was stopped before the old db, and started after the new one ran.
	a=$(grep -n "^tend: group web: stopped$" "$T/tend.out" | head -n 1 | cut -d: -f1)
	b=$(grep -n "^tend: group db: gone$" "$T/tend.out" | head -n 1 | cut -d: -f1)
	[ "$a" -lt "$b" ]
	c=$(grep -n "^tend: group db: running$" "$T/tend.out" | sed -n 2p | cut -d: -f1)
	d=$(grep -n "^tend: web/w: started" "$T/tend.out" | sed -n 2p | cut -d: -f1)
	[ "$b" -lt "$c" ]
	[ "$c" -lt "$d" ]
	[ "$(grep -c '^tend: web/w: started' "$T/tend.out")" = 2 ]
}

# web requires db, and web's process holds on to SIGTERM until $T/go exists.
held_web_conf() { # held_web_conf VERSION
	conf 10-a.conf <<EOF
group "web" {
	requires = { "db" }
	process "w" {
		command = "sh -c 'trap \"touch $T/web-term; while [ ! -e $T/go ]; do sleep 0.05; done; exit 0\" TERM; while :; do sleep 0.05; done'"
		environment = { "V=$1" }
	}
}
group "db" { process "pg" { command = "sleep 1000"  environment = { "V=$1" } } }
EOF
}

@test "a reload that replaces a group and what requires it stops them in reverse order" {
	held_web_conf 1
	start_tend
	wait_until state_is running web
	db=$(pid_of db pg)
	held_web_conf 2
	run tctl reload
	assert_success
	assert_output --partial "2 restarted"
	wait_until test -e "$T/web-term"
	# The old web is still stopping: the old db waits for it.
	alive "$db"
	touch "$T/go"
	wait_until gone "$db"
	wait_until state_is running web
	a=$(grep -n "^tend: group web: gone$" "$T/tend.out" | head -n 1 | cut -d: -f1)
	b=$(grep -n "^tend: group db: gone$" "$T/tend.out" | head -n 1 | cut -d: -f1)
	[ "$a" -lt "$b" ]
}

@test "a reload that removes a group and what requires it stops them in reverse order" {
	held_web_conf 1
	start_tend
	wait_until state_is running web
	db=$(pid_of db pg)
	conf 10-a.conf <<EOF
group "other" { process "o" { command = "sleep 1000" } }
EOF
	run tctl reload
	assert_success
	assert_output --partial "2 removed"
	wait_until test -e "$T/web-term"
	alive "$db"
	touch "$T/go"
	wait_until gone "$db"
	a=$(grep -n "^tend: group web: gone$" "$T/tend.out" | head -n 1 | cut -d: -f1)
	b=$(grep -n "^tend: group db: gone$" "$T/tend.out" | head -n 1 | cut -d: -f1)
	[ -n "$a" ]
	[ "$a" -lt "$b" ]
}

@test "a reload that takes requires away lets a waiting group go on at once" {
	conf 10-a.conf <<EOF
group "web" {
	requires = { "db" }
	process "nginx" { command = "sleep 1000" }
}
group "db" {
	autostart = false
	process "pg" { command = "sh -c 'while [ ! -e $T/go ]; do sleep 0.05; done; exec sleep 1000'"  ready = notify }
}
EOF
	start_tend
	wait_until state_is starting db
	[ "$(state web)" = starting ]
	conf 10-a.conf <<EOF
group "web" { process "nginx" { command = "sleep 1000" } }
group "db" {
	autostart = false
	process "pg" { command = "sh -c 'while [ ! -e $T/go ]; do sleep 0.05; done; exec sleep 1000'"  ready = notify }
}
EOF
	run tctl reload
	assert_success
	assert_output --partial "1 updated in place"
	wait_until state_is running web
	[ "$(state db)" = starting ]
	touch "$T/go"
}

@test "a reload that replaces a group and takes away what required it brings the other back" {
	conf 10-a.conf <<EOF
group "db" { process "pg" { command = "sleep 1000" } }
group "web" { requires = { "db" }  process "nginx" { command = "sleep 1001" } }
EOF
	start_tend
	wait_until state_is running web
	web=$(pid_of web nginx)
	db=$(pid_of db pg)
	conf 10-a.conf <<EOF
group "db" { process "pg" { command = "sleep 1002" } }
group "web" { process "nginx" { command = "sleep 1001" } }
EOF
	run tctl reload
	assert_success
	assert_output --partial "restarting db with its new declaration"
	wait_until pid_changed web nginx "$web"
	wait_until state_is running web
	wait_until state_is running db
	[ "$(pid_of db pg)" != "$db" ]
	gone "$web"
	gone "$db"
}

@test "a stop that waits for what requires it still ends after a reload takes requires away" {
	conf 10-a.conf <<EOF
group "db" { process "pg" { command = "sleep 1000" } }
group "web" {
	requires = { "db" }
	process "nginx" { command = "sh -c 'trap \"touch $T/web-term; while [ ! -e $T/go ]; do sleep 0.05; done; exit 0\" TERM; while :; do sleep 0.05; done'" }
}
EOF
	start_tend
	wait_until state_is running web
	db=$(pid_of db pg)
	run tctl stop --no-wait db
	assert_success
	wait_until test -e "$T/web-term"
	alive "$db"
	conf 10-a.conf <<EOF
group "db" { process "pg" { command = "sleep 1000" } }
group "web" {
	process "nginx" { command = "sh -c 'trap \"touch $T/web-term; while [ ! -e $T/go ]; do sleep 0.05; done; exit 0\" TERM; while :; do sleep 0.05; done'" }
}
EOF
	run tctl reload
	assert_success
	touch "$T/go"
	wait_until state_is stopped db
	gone "$db"
}

# web requires db, and web's process holds on to SIGTERM until $T/go
# exists; y is only after web.
restart_conf() {
	conf 10-a.conf <<EOF
group "db" { process "pg" { command = "sleep 1000" } }
group "web" {
	requires = { "db" }
	process "nginx" { command = "sh -c 'trap \"touch $T/web-term; while [ ! -e $T/go ]; do sleep 0.05; done; exit 0\" TERM; while :; do sleep 0.05; done'" }
}
group "y" { autostart = false  after = { "web" }  process "p" { command = "sleep 1001" } }
EOF
}

@test "a stop by hand during a restart of what it requires keeps a group stopped" {
	restart_conf
	start_tend
	wait_until state_is running web
	db=$(pid_of db pg)
	run tctl restart --no-wait db
	assert_success
	wait_until test -e "$T/web-term"
	# web is stopping, to start again with db: a stop by hand calls that off.
	run tctl stop --no-wait web
	assert_success
	touch "$T/go"
	wait_until pid_changed db pg "$db"
	wait_until state_is running db
	[ "$(state web)" = stopped ]
	grep -q "control: stop web" "$T/tend.out"
	[ "$(grep -c '^tend: web/nginx: started' "$T/tend.out")" = 1 ]
}

@test "a restart called off by a stop leaves nothing waiting for what required it" {
	restart_conf
	start_tend
	wait_until state_is running web
	run tctl restart --no-wait db
	assert_success
	wait_until test -e "$T/web-term"
	run tctl stop --no-wait db
	assert_success
	touch "$T/go"
	wait_until state_is stopped db
	wait_until state_is stopped web
	# Nothing brings web back, so y (only after web) starts at once.
	run tctl start --no-wait y
	assert_success
	wait_until state_is running y
	[ "$(state web)" = stopped ]
}
