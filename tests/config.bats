#!/usr/bin/env bats
# Declarations: the shipped conf.d is valid; every kind of error is reported
# as path:line: message and tend refuses to start.

load helpers

setup() { tend_setup; }
teardown() { tend_teardown; }

@test "the shipped conf.d is valid" {
	run "$TEND" --check -c "$TOP/conf.d"
	assert_success
	assert_output --partial "3 groups, all valid"
}

@test "tend --check validates without running anything" {
	conf 10-a.conf <<EOF
group "g" { process "p" { command = "touch $T/ran" } }
EOF
	run "$TEND" --check -c "$CONF" -r "$RUN"
	assert_success
	[ ! -e "$T/ran" ]
	[ ! -e "$RUN/tend.sock" ]
}

check_fails_with() { # check_fails_with EXPECTED-LINE
	run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_line "$1"
}

@test "unknown option" {
	conf 10-a.conf <<EOF
group "g" {
	process "p" {
		command = "true"
		colour = "blue"
	}
}
EOF
	check_fails_with "$CONF/10-a.conf:4: no such option 'colour'"
}

@test "bad duration" {
	conf 10-a.conf <<EOF
group "g" {
	process "p" { command = "true" }
	process "q" {
		command = "true"
		restart-window = 10 minutes
	}
}
EOF
	run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_output --partial "$CONF/10-a.conf:5: restart-window: invalid value"
}

@test "bad restart policy and bad type" {
	conf 10-a.conf <<EOF
group "g" {
	process "p" { command = "true"
		restart = sometimes }
}
EOF
	run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_output --regexp "$CONF/10-a.conf:3: .*restart"
	conf 10-a.conf <<EOF
group "g" {
	process "p" { command = "true" type = daemon }
}
EOF
	run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_output --regexp "$CONF/10-a.conf:2: .*type"
}

@test "duplicate process in a group" {
	conf 10-a.conf <<EOF
group "g" {
	process "p" { command = "true" }
	process "p" { command = "false" }
}
EOF
	run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_output --regexp "$CONF/10-a.conf:3: .*p"
}

@test "the same group in two files" {
	conf 10-a.conf <<EOF
group "g" { process "p" { command = "true" } }
EOF
	conf 20-b.conf <<EOF

group "g" { process "q" { command = "true" } }
EOF
	run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_output --regexp "$CONF/20-b.conf:2: .*g.*10-a.conf:1"
}

@test "missing command" {
	conf 10-a.conf <<EOF
group "g" {
	process "p" {
		type = oneshot
	}
}
EOF
	check_fails_with "$CONF/10-a.conf:2: process \"p\" has no command"
}

@test "a file that does not parse" {
	conf 10-a.conf <<EOF
group "g" {
	process "p" { command = "true" }
EOF
	run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_output --regexp "^$CONF/10-a.conf:[0-9]+: "
}

@test "unbalanced quote in a command" {
	conf 10-a.conf <<EOF
group "g" { process "p" { command = "sh -c 'oops" } }
EOF
	run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_output --regexp "$CONF/10-a.conf:1: .*quote"
}

@test "errors in several files are all reported" {
	conf 10-a.conf <<EOF
group "a" { process "p" { cmd = "true" } }
EOF
	conf 20-b.conf <<EOF
group "b" { process "p" { command = "true" stop-timeout = soon } }
EOF
	run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_output --partial "$CONF/10-a.conf:1:"
	assert_output --partial "$CONF/20-b.conf:1:"
}

@test "tend refuses to start with invalid declarations and starts nothing" {
	conf 10-a.conf <<EOF
group "good" { process "p" { command = "touch $T/ran" } }
EOF
	conf 20-b.conf <<EOF
group "bad" { process "p" { command = "true" restart-limit = many } }
EOF
	run "$TEND" -c "$CONF" -r "$RUN"
	assert_failure 1
	assert_output --partial "$CONF/20-b.conf:1:"
	assert_output --partial "not starting"
	[ ! -e "$T/ran" ]
	[ ! -e "$RUN/tend.sock" ]
}

@test "a missing conf.d is an error" {
	run "$TEND" --check -c "$T/nope"
	assert_failure 1
	assert_output --partial "$T/nope"
}

@test "files are read in name order; other files are ignored" {
	conf 20-b.conf <<EOF
group "second" { process "p" { command = "sleep 1000" } }
EOF
	conf 10-a.conf <<EOF
group "first" { process "p" { command = "sleep 1000" } }
EOF
	conf README <<EOF
this is not a declaration
EOF
	conf .10-a.conf.swp <<EOF
garbage {
EOF
	start_tend
	[ "$(status_json | jq -r '[.groups[].name] | join(",")')" = first,second ]
}

@test "bad command-line usage exits 2" {
	run "$TEND" --no-such-option
	assert_failure 2
	run "$TEND" --tracking=telepathy
	assert_failure 2
}

@test "seccomp in a group says that profiles apply through tenants" {
	conf 10-a.conf <<CONF
group "g" {
	seccomp = "default"
	process "p" {
		command = "true"
	}
}
CONF
	check_fails_with "$CONF/10-a.conf:2: seccomp: a profile applies through a tenant: tenant \"T\" { seccomp = \"PROFILE\" } and the group's tenant = \"T\""
}

@test "user and group are errors with path:line for a tend that is not root, and for unknown names" {
	conf 10-a.conf <<EOF
group "g" {
	process "p" {
		command = "sleep 1000"
		user    = "tend-no-such-user"
	}
}
EOF
	as=$(id -u)
	if [ "$as" -eq 0 ]; then
		run "$TEND" --check -c "$CONF"
		assert_failure 1
		assert_line "$CONF/10-a.conf:4: user: no user \"tend-no-such-user\" in /etc/passwd (tend reads the file: no NSS, no LDAP)"
		chmod 0755 "$T" "$CONF" && chmod 0644 "$CONF/10-a.conf"
		as=$(id -u nobody)
		run runuser -u nobody -- "$TEND" --check -c "$CONF"
	else
		run "$TEND" --check -c "$CONF"
	fi
	assert_failure 1
	assert_line "$CONF/10-a.conf:4: user: tend runs as uid $as, not as root: it cannot give a process another user or group"
}

@test "the example web stack in conf.d/examples is valid where its users exist" {
	[ "$(id -u)" -eq 0 ] || skip "it declares users: only root's tend may"
	for u in postgres redis; do
		getent passwd "$u" >/dev/null || skip "no user $u here (its package is not installed)"
	done
	run "$TEND" --check -c "$TOP/conf.d/examples"
	assert_success
	assert_output --partial "3 groups, all valid"
}

@test "the cluster section and negotiable groups: every mistake is path:line" {
	conf 10-a.conf <<'CONF'
cluster { heartbeat = 100ms  dead-after = 250ms  id = "10.0.0"  address = "10.0.0.1" }
group "db" {
	negotiable = true
	prefer = { "10.0.0.1", "db-host", "10.0.0.1" }
	process "p" { command = "sleep 1" }
}
group "web" {
	prefer = { "10.0.0.1" }
	process "p" { command = "sleep 1" }
}
CONF
	conf 20-b.conf <<'CONF'
cluster { interface = "a/b"  key-file = "relative"  port = 70000 }
CONF
	run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_line "$CONF/10-a.conf:1: dead-after (250ms) must be at least 3 heartbeats (300ms): a peer that missed fewer would be declared dead"
	assert_line --partial "$CONF/10-a.conf:1: id: invalid value \"10.0.0\""
	assert_line --partial "$CONF/10-a.conf:1: address: invalid value \"10.0.0.1\""
	assert_line "$CONF/10-a.conf:4: prefer: invalid host ID \"db-host\" (an IPv4 address)"
	assert_line "$CONF/10-a.conf:4: prefer: host \"10.0.0.1\" is named twice"
	assert_line "$CONF/10-a.conf:7: group \"web\": prefer is for negotiable groups only"
	assert_line --partial "$CONF/20-b.conf:1: interface: invalid value \"a/b\""
	assert_line --partial "$CONF/20-b.conf:1: key-file: invalid value \"relative\""
	assert_line --partial "$CONF/20-b.conf:1: port:"
	assert_line "$CONF/20-b.conf:1: cluster section is already declared at $CONF/10-a.conf:1"
}

@test "a group may not require a negotiable group of a cluster" {
	conf 10-a.conf <<'CONF'
cluster { }
group "db" { negotiable = true  process "p" { command = "sleep 1" } }
group "web" { requires = { "db" }  process "p" { command = "sleep 1" } }
CONF
	check_fails_with "$CONF/10-a.conf:3: group \"web\" requires \"db\", which is negotiable: the cluster decides where that runs"
}

@test "id and address may come from tend's environment (the kernel command line as PID 1)" {
	conf 10-a.conf <<'CONF'
cluster { id = "$TEST_ID"  address = "$TEST_ADDR" }
CONF
	TEST_ID=10.9.0.7 TEST_ADDR=10.9.0.7/24 run "$TEND" --check -c "$CONF"
	assert_success
	TEST_ID=10.9.0.7 run "$TEND" --check -c "$CONF"
	assert_failure 1
	assert_line --partial "$CONF/10-a.conf:1: address: invalid value \"\$TEST_ADDR\""
}

@test "without a cluster section a negotiable group runs here like any other" {
	conf 10-a.conf <<'CONF'
group "db" { negotiable = true  process "p" { command = "sleep 1000" } }
CONF
	start_tend
	wait_until state_is running db
	run tctl status --json
	[ "$(jq '.groups[0].negotiable' <<<"$output")" = true ]
	[ "$(jq '.groups[0] | has("owner")' <<<"$output")" = false ]
	[ "$(jq 'has("cluster_id")' <<<"$output")" = false ]
	run tctl peers
	assert_output --partial "no cluster"
	run tctl release db
	assert_failure 1
	assert_output --partial "not negotiable in a cluster"
}
