#!/usr/bin/env bats
# tendctl add FILE / remove GROUP: transient groups installed into the
# running tend without touching conf.d.

load helpers

setup() {
	tend_setup
	conf 10-a.conf <<CONF
group "base" { process "p" { command = "sleep 1000" } }
CONF
	cat >"$T/extra.conf" <<CONF
group "extra" {
	process "e" { command = "sh -c 'echo \$\$ >$T/e.pid; exec sleep 1000'" }
	service "ex" { process = "e"  port = 9  proto = tcp }
}
CONF
}
teardown() { tend_teardown; }

groups_now() {
	status_json | jq -r '[.groups[].name] | join(",")'
}

@test "add installs transient groups and their services; remove stops them, leaving no process" {
	start_tend
	run tctl add "$T/extra.conf"
	assert_success
	assert_output --partial "added extra; starting it"
	wait_until state_is running extra e
	[ "$(status_json | jq -r '.groups[] | select(.name=="extra") | .transient')" = true ]
	[ "$(status_json | jq -r '.groups[] | select(.name=="base") | .transient')" = false ]
	run tctl status extra
	assert_line --index 0 "extra running transient"
	wait_until tctl service lookup ex
	local pid
	pid=$(pid_of extra e)
	run tctl remove extra
	assert_success
	assert_output "group extra stopped"
	gone "$pid"
	run tctl service lookup ex
	assert_failure
	wait_until_quiet 10 bash -c "[ \"\$('$TENDCTL' -r '$RUN' status --json | jq -r '[.groups[].name] | join(\",\")')\" = base ]"
	[ "$(groups_now)" = base ]
	run tctl remove base
	assert_failure
	assert_output --partial "declared in conf.d"
}

@test "an invalid file changes nothing and names FILE:line" {
	start_tend
	cat >"$T/bad.conf" <<CONF
group "ok" { process "a" { command = "sleep 1000" } }
group "worse" {
	process "b" { command = "sleep 1000"  restart = sometimes }
	service "s" { process = "nope" }
}
CONF
	run tctl add "$T/bad.conf"
	assert_failure
	assert_output --partial "$T/bad.conf:3:"
	assert_output --partial "nothing added"
	[ "$(groups_now)" = base ]
	# valid, but a name conf.d declares: all or nothing
	cat >"$T/clash.conf" <<CONF
group "fresh" { process "a" { command = "sleep 1000" } }
group "base" { process "a" { command = "sleep 1000" } }
CONF
	run tctl add "$T/clash.conf"
	assert_failure
	assert_output --partial "$T/clash.conf:2: group base is declared in conf.d"
	[ "$(groups_now)" = base ]
	# processes outside a group have no group to remove them by
	echo 'process "loose" { command = "sleep 1000" }' >"$T/loose.conf"
	run tctl add "$T/loose.conf"
	assert_failure
	assert_output --partial "put them in a group"
	run tctl add /dev/null/nothing
	assert_failure
	tctl add "$T/extra.conf"
	run tctl add "$T/extra.conf"
	assert_failure
	assert_output --partial "group extra is added already"
}

@test "a reload leaves added groups alone, and may not declare their names" {
	start_tend
	tctl add "$T/extra.conf"
	wait_until state_is running extra e
	local pid
	pid=$(pid_of extra e)
	run tctl reload
	assert_success
	assert_output --partial "0 removed"
	conf 20-clash.conf <<CONF
group "extra" { process "x" { command = "sleep 1000" } }
CONF
	run tctl reload
	assert_failure
	assert_output --partial "$CONF/20-clash.conf:1: group extra was added with tendctl add"
	rm "$CONF/20-clash.conf"
	[ "$(pid_of extra e)" = "$pid" ]
	[ "$(groups_now)" = base,extra ]
}

@test "a oneshot in conf.d can install a file at start (the paper's initial process)" {
	conf 05-boot.conf <<CONF
group "boot" {
	process "install" { type = oneshot  command = "$TENDCTL -r $RUN add $T/extra.conf" }
}
CONF
	start_tend
	wait_until state_is done boot install
	wait_until state_is running extra e
	[ "$(status_json | jq -r '.groups[] | select(.name=="extra") | .transient')" = true ]
}
