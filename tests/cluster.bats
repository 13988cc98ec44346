#!/usr/bin/env bats
# The cluster, across network namespaces (tests/cluster.bash): tends that
# find each other, run each negotiable group on exactly one host, move it
# when a host dies or loses its link, survive loss and partitions, drop
# forged datagrams, and share their services.

load helpers
load cluster

setup() {
	tend_setup
	local why
	why=$(cluster_unsupported)
	[ -z "$why" ] || skip "$why"
}

teardown() {
	local reports=0
	cluster_teardown || reports=1
	tend_teardown
	return $reports
}

# Samples the runners of GROUP for SECONDS: fails (printing when) if two
# hosts run it in two samples a heartbeat apart.
never_two_for_long() { # GROUP SECONDS
	local end=$((SECONDS + $2)) before=0 n
	while [ $SECONDS -lt $end ]; do
		n=$(runners "$1" | wc -w)
		if [ "$n" -gt 1 ] && [ "$before" -gt 1 ]; then
			echo "two runners in a row: $(runners "$1")" >&2
			return 1
		fi
		before=$n
		sleep 0.06
	done
}

start_three() {
	cluster_setup 3
	for i in 1 2 3; do cluster_default_conf "$i"; done
	for i in 1 2 3; do cluster_start "$i"; done
}

@test "a negotiable group runs on exactly one host, and every host knows which" {
	start_three
	wait_until runner_count_is 1 db || { cluster_dump; false; }
	never_two_for_long db 1
	local r id
	r=$(runners db)
	id="$CL_NET.$r"
	for i in 1 2 3; do
		wait_until eval '[ "$(owner_seen_by "$i" db)" = "$id" ]'
	done
	run hctl "$r" status db
	assert_output --partial "negotiable owner $id (this host) term"
	run hctl 1 peers --json
	assert_success
	[ "$(jq '[.peers[] | select(.state=="alive")] | length' <<<"$output")" -eq 2 ]
}

@test "SIGKILL of the owner's tend moves the group to another host" {
	start_three
	wait_until runner_count_is 1 db
	local r
	r=$(runners db)
	local others=()
	for i in 1 2 3; do [ "$i" = "$r" ] || others+=("$i"); done
	cluster_kill "$r"
	wait_until runner_count_is 1 db "${others[@]}" || { cluster_dump; false; }
	never_two_for_long db 1
	# the survivors saw the host go
	run hctl "${others[0]}" peers --json
	[ "$(jq -r --arg id "$CL_NET.$r" '.peers[] | select(.id==$id) | .state' <<<"$output")" = dead ]
}

@test "the owner's link going down moves the group, and the fenced host stops its copy" {
	start_three
	wait_until runner_count_is 1 db
	local r others=()
	r=$(runners db)
	for i in 1 2 3; do [ "$i" = "$r" ] || others+=("$i"); done
	ip -n "${CL_P}br" link set "p$r" down # the cable: eth0 of host r loses carrier
	wait_until eval '[ "$(group_state_on "$r" db)" = stopped ]' || { cluster_dump; false; }
	wait_until runner_count_is 1 db "${others[@]}" || { cluster_dump; false; }
	run hctl "$r" peers
	assert_output --partial fenced
	ip -n "${CL_P}br" link set "p$r" up # back: it listens, and takes nothing back
	wait_until hctl "$r" peers --json
	never_two_for_long db 2
	runner_count_is 1 db || { cluster_dump; false; }
	[ "$(group_state_on "$r" db)" = stopped ]
}

@test "with 20% of datagrams lost there is still exactly one runner" {
	start_three
	for i in 1 2 3; do
		ip netns exec "${CL_P}h$i" nft -f - <<NFT
table inet loss {
	chain in { type filter hook input priority 0; udp dport 7700 numgen random mod 100 < 20 drop; }
}
NFT
	done
	wait_until runner_count_is 1 db || { cluster_dump; false; }
	never_two_for_long db 3
	runner_count_is 1 db || { cluster_dump; false; }
	run hctl 1 peers --json
	[ "$(jq '[.peers[] | select(.state=="alive")] | length' <<<"$output")" -eq 2 ]
}

@test "a partition runs the group on each side; the heal leaves one within a heartbeat" {
	start_three
	wait_until runner_count_is 1 db
	# hosts 1 and 2 on one side, 3 on the other
	for i in 1 2; do
		ip netns exec "${CL_P}h$i" nft add table inet part
		ip netns exec "${CL_P}h$i" nft add chain inet part in '{ type filter hook input priority 0; }'
		ip netns exec "${CL_P}h$i" nft add rule inet part in ip saddr "$CL_NET.3" drop
	done
	ip netns exec "${CL_P}h3" nft add table inet part
	ip netns exec "${CL_P}h3" nft add chain inet part in '{ type filter hook input priority 0; }'
	ip netns exec "${CL_P}h3" nft add rule inet part in ip saddr "{ $CL_NET.1, $CL_NET.2 }" drop
	wait_until runner_count_is 1 db 1 2 || { cluster_dump; false; }
	wait_until runner_count_is 1 db 3 || { cluster_dump; false; }
	[ "$(runners db | wc -w)" -eq 2 ]
	for i in 1 2 3; do ip netns exec "${CL_P}h$i" nft delete table inet part; done
	# one heartbeat is 50 ms; stopping the copy takes what a stop takes
	wait_until runner_count_is 1 db || { cluster_dump; false; }
	never_two_for_long db 1
}

@test "datagrams without the key, with another key, or replayed are dropped and counted" {
	cluster_setup 4
	umask 077
	printf '1 %064d\n' 1 >"$T/key"
	printf '1 %064d\n' 2 >"$T/other-key"
	cluster_default_conf 1 50ms 200ms "key-file = \"$T/key\""
	cluster_default_conf 2 50ms 200ms "key-file = \"$T/key\""
	cluster_default_conf 3 50ms 200ms "key-file = \"$T/other-key\""
	cluster_default_conf 4 # no key at all
	for i in 1 2 3 4; do cluster_start "$i"; done
	drops() { hctl 1 peers --json | jq ".dropped[\"$1\"]"; }
	wait_until eval '[ "$(drops bad-mac)" -gt 0 ]'
	wait_until eval '[ "$(drops unsigned)" -gt 0 ]'
	# hosts 3 and 4 are not peers of 1: only 2 is
	run hctl 1 peers --json
	[ "$(jq -r '[.peers[].id] | join(" ")' <<<"$output")" = "$CL_NET.2" ]
	runner_count_is 1 db 1 2 || { cluster_dump; false; }
	# a datagram of host 2, recorded and sent again
	ip netns add "${CL_P}spy"
	ip link add eth0 netns "${CL_P}spy" type veth peer name pspy netns "${CL_P}br"
	ip -n "${CL_P}spy" addr add "$CL_NET.99/24" dev eth0
	ip -n "${CL_P}spy" link set eth0 up
	ip -n "${CL_P}br" link set pspy master br0
	ip -n "${CL_P}br" link set pspy up
	timeout 5 ip netns exec "${CL_P}spy" socat -u \
		"UDP4-RECVFROM:7700,reuseaddr,range=$CL_NET.2/32" "OPEN:$T/captured,creat" || true
	[ -s "$T/captured" ]
	local before
	before=$(drops replay)
	ip netns exec "${CL_P}spy" socat -u "OPEN:$T/captured" "UDP4-SENDTO:$CL_NET.1:7700"
	wait_until eval '[ "$(drops replay)" -gt "$before" ]'
	# still one runner, and tend answers
	hctl 1 ping
	runner_count_is 1 db 1 2 || { cluster_dump; false; }
}

@test "a peer's services are in the directory, and go with it: host down, then remove" {
	start_three
	hctl 2 service register web --port 8080 --proto tcp --decoupled
	wait_until eval 'hctl 1 service lookup web --json | jq -e ".locations[0].host == \"$CL_NET.2\""'
	wait_until eval 'hctl 3 service lookup web | grep -qF "$CL_NET.2:8080/tcp"'
	hctl 1 watch host "$CL_NET.2" >"$T/watch" 2>&1 &
	track_pid $!
	wait_until grep -q '^sync ' "$T/watch"
	grep -q "^service add web $CL_NET.2:8080/tcp" "$T/watch"
	cluster_kill 2
	wait_until grep -q '^service remove web' "$T/watch"
	# host down first, then the remove
	run grep -nE '^(host down|service remove)' "$T/watch"
	assert_line --index 0 --regexp "^[0-9]+:host down $CL_NET.2 "
	assert_line --index 1 --regexp '^[0-9]+:service remove web '
	run hctl 1 service lookup web
	assert_failure
}

# Three hosts whose db process is "sleep 10000I" on host I, so that a test
# can end one host's copy from outside (pkill -f) and no other.
start_three_marked() {
	cluster_setup 3
	for i in 1 2 3; do
		cluster_default_conf "$i"
		cluster_conf "$i" db.conf <<CONF
group "db" {
	negotiable = true
	process "db" { command = "/bin/sleep 10000$i"  critical = true  restart = never }
	service "db" { process = "db"  port = 5432  proto = "tcp" }
}
CONF
	done
	for i in 1 2 3; do cluster_start "$i"; done
	wait_until runner_count_is 1 db || { cluster_dump; false; }
}

@test "stop acts cluster-wide until a start on any host; restart only where it runs" {
	start_three_marked
	local r other
	r=$(runners db)
	other=$((r % 3 + 1))
	run hctl "$other" restart db
	assert_failure 1
	assert_output --partial "runs on $CL_NET.$r"
	run hctl "$other" stop db
	assert_success
	assert_output --partial "stopped on every host"
	wait_until runner_count_is 0 db || { cluster_dump; false; }
	# it stays stopped: no host bids for it, and every host knows
	never_two_for_long db 1
	runner_count_is 0 db
	for i in 1 2 3; do
		wait_until eval "hctl $i peers --json | jq -e '.groups[0].stopped'"
	done
	run hctl "$other" start db
	assert_success
	wait_until runner_count_is 1 db || { cluster_dump; false; }
}

@test "release hands the group to a peer at once, and its service moves with it" {
	start_three_marked
	local r watcher
	r=$(runners db)
	watcher=$((r % 3 + 1))
	wait_until eval "hctl $watcher service lookup db | grep -qF '$CL_NET.$r:5432/tcp'"
	hctl "$watcher" watch service db >"$T/watch" 2>&1 &
	track_pid $!
	wait_until grep -q '^sync ' "$T/watch"
	run hctl "$r" release db
	assert_success
	wait_until eval '[ "$(group_state_on "$r" db)" = stopped ]'
	wait_until eval '[ -n "$(runners db)" ] && [ "$(runners db)" != "$r" ]' || { cluster_dump; false; }
	local now
	now=$(runners db)
	# one move, from the old host to the new one; no remove
	wait_until grep -q "^service move db $CL_NET.$now:5432/tcp .* from $CL_NET.$r:5432/tcp" "$T/watch"
	run grep -c '^service remove' "$T/watch"
	assert_output 0
	# the releasing host does not bid again until started there
	run hctl "$r" peers
	assert_output --partial "group db watching owner $CL_NET.$now"
}

@test "a group that fails on its owner is released to a peer at once; the owner bids again after start" {
	start_three_marked
	local r
	r=$(runners db)
	pkill -KILL -f "sleep 10000$r\$"
	wait_until eval '[ "$(group_state_on "$r" db)" = failed ]' || { cluster_dump; false; }
	wait_until eval '[ -n "$(runners db)" ] && [ "$(runners db)" != "$r" ]' || { cluster_dump; false; }
	run hctl "$r" peers --json
	[ "$(jq '.groups[0].failed_here' <<<"$output")" = true ]
	run hctl "$r" start db
	assert_success
	wait_until eval "hctl $r peers --json | jq -e '.groups[0].failed_here == false'"
	runner_count_is 1 db || { cluster_dump; false; }
}

@test "a reload with a key file that cannot be read is rejected and changes nothing" {
	cluster_setup 1
	cluster_default_conf 1
	cluster_start 1
	printf '1 %064d\n' 1 >"$T/key"
	chmod 644 "$T/key"
	cluster_conf 1 cluster.conf <<CONF
cluster { interface = "eth0"  heartbeat = 50ms  dead-after = 200ms  key-file = "$T/key" }
CONF
	run hctl 1 reload
	assert_failure 1
	assert_output --partial "cluster.conf:1:"
	assert_output --partial "chmod 600"
	run hctl 1 peers --json
	[ "$(jq .signed <<<"$output")" = false ]
	chmod 600 "$T/key"
	run hctl 1 reload
	assert_success
	run hctl 1 peers --json
	[ "$(jq .signed <<<"$output")" = true ]
}

@test "an interface that comes back down and without its address is brought up with it" {
	cluster_setup 2
	cluster_default_conf 1 50ms 200ms "address = \"$CL_NET.1/24\""
	cluster_default_conf 2
	cluster_start 1
	cluster_start 2
	wait_until runner_count_is 1 db
	# as a re-plugged NIC looks: admin-down, no address
	ip -n "${CL_P}h1" link set eth0 down
	ip -n "${CL_P}h1" addr del "$CL_NET.1/24" dev eth0 || true # tend may have put it back already
	wait_until eval "ip -n ${CL_P}h1 -4 addr show dev eth0 | grep -q 'inet $CL_NET.1/24'" ||
		{ cluster_dump; false; }
	wait_until eval "ip -n ${CL_P}h1 link show eth0 | grep -q ',UP'"
	wait_until eval "hctl 1 peers --json | jq -e '.link == \"up\" and (.peers[0].state == \"alive\")'" ||
		{ cluster_dump; false; }
	grep -q "is back: brought it up with $CL_NET.1/24" "$T/h1/tend.out"
	never_two_for_long db 1
	runner_count_is 1 db || { cluster_dump; false; }
	# a link tend brought up itself still fences when its carrier goes
	# (libnl keeps an IPv6 object of each link that must not be read)
	ip -n "${CL_P}br" link set p1 down
	wait_until eval "hctl 1 peers --json | jq -e '.link == \"fenced\"'" || { cluster_dump; false; }
}

@test "a tend that stops releases its group and says it leaves: a peer takes over at once" {
	cluster_setup 2
	cluster_default_conf 1
	cluster_default_conf 2
	cluster_start 1
	cluster_start 2
	wait_until runner_count_is 1 db
	local r other tend_pid
	r=$(runners db)
	other=$((3 - r))
	tend_pid=$(pgrep -P "$(cat "$T/h$r/pid")")
	kill -USR2 "$tend_pid" # as PID 1: power off, after stopping every group
	wait_until runner_count_is 1 db "$other" || { cluster_dump; false; }
	wait_until grep -q "host $CL_NET.$r down" "$T/h$other/tend.out"
	# the release and the leave made the peer take it, not dead-after's silence
	run grep -nE "host $CL_NET.$r is stopping|db: this host runs it" "$T/h$other/tend.out"
	assert_line --index 0 --partial "host $CL_NET.$r is stopping"
	assert_line --index 1 --partial "db: this host runs it (term 2)"
}
