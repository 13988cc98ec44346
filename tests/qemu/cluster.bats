#!/usr/bin/env bats
# The cluster on real kernels (tests/qemu/cluster.bash): three guests, tend
# as PID 1 of each, on one Ethernet segment, booted once for this file. The
# tests run in order on them: the negotiable group "db" runs on exactly one
# guest; pulling that guest's NIC (device_del) moves it and fences the pulled
# guest; plugging the NIC back (device_add) makes the guest a peer again,
# with tend bringing the new NIC up with its address, and the group stays
# where it is; cutting the owner's cable (set_link off) fences it and moves
# the group, and the cable back makes it a peer again. The guests' state is
# read from their reports (cluster.bash), their tend's messages from the
# serial console. The netns tier of the same feature is tests/cluster.bats.

load qemu
load cluster

# bats 1.8 (Debian 12) cannot skip from setup_file (it reports a failure):
# the reason goes to a file, and setup() skips each test with it.
setup_file() {
	local why
	why=$(qc_unsupported)
	if [ -n "$why" ]; then
		echo "$why" >"$QC_DIR/unsupported"
		return 0
	fi
	local t0 i
	t0=$(date +%s%N)
	qc_setup
	for ((i = 1; i <= QC_N; i++)); do
		use_guest "$i"
		console_wait 'tend: startup finished: ' "$BOOT_DEADLINE" || { qc_dump; return 1; }
	done
	date +%s%N >"$QC_DIR/booted-at"
	echo "# $QC_N guests booted (tend's startup finished on each) $(ms_since "$t0") ms after the first QEMU started" >&3
}

teardown_file() {
	qc_teardown
}

setup() {
	[ ! -s "$QC_DIR/unsupported" ] || skip "$(cat "$QC_DIR/unsupported")"
	local i
	for ((i = 1; i <= QC_N; i++)); do
		qc_alive "$i" || skip "guest $i is not running (an earlier test ended it)"
	done
}

# Milliseconds since a `date +%s%N`.
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# Every guest sees every other one alive.
all_peers_alive() {
	local i
	for ((i = 1; i <= QC_N; i++)); do
		[ "$(alive_peers "$i")" = "$(others_ids "$i")" ] || return 1
	done
}

# GUESTS... all name OWNER (10.88.0.N) as db's owner.
owner_agreed() { # OWNER GUESTS...
	local want=$1 i
	shift
	for i in "$@"; do
		[ "$(db_owner "$i")" = "$want" ] || return 1
	done
}

@test "a negotiable group runs on exactly one guest, and every guest knows which" {
	qc_wait 60 all_peers_alive || { qc_dump; false; }
	qc_wait 30 eval '[ "$(runners | wc -w)" -eq 1 ]' || { qc_dump; false; }
	local r
	r=$(runners)
	echo "# db runs on guest $r ($QC_NET.$r); every guest saw every other $(ms_since "$(cat "$QC_DIR/booted-at")") ms after the last boot" >&3
	qc_wait 10 owner_agreed "$QC_NET.$r" $(seq 1 "$QC_N") || { qc_dump; false; }
	steady_for 2 runners_are "$r" || { qc_dump; false; }
	[ "$(rq "$r" '.peers.groups[] | select(.name == "db") | .state')" = runs-here ]
	# Each guest's tend brought its NIC up with the address from its command line.
	for ((i = 1; i <= QC_N; i++)); do
		[ "$(rq "$i" .eth0.addr)" = "$QC_NET.$i/24" ]
		[ "$(rq "$i" .peers.id)" = "$QC_NET.$i" ]
		use_guest "$i"
		console_wait "tend: cluster: eth0 is back: brought it up with $QC_NET.$i/24" 1
	done
	echo "$r" >"$QC_DIR/owner"
}

@test "device_del of the owner's NIC (a pulled card) moves the group; the pulled guest is fenced and stops its copy" {
	[ -s "$QC_DIR/owner" ] || skip "no owner from the first test"
	local r others=() i
	r=$(cat "$QC_DIR/owner")
	for ((i = 1; i <= QC_N; i++)); do [ "$i" = "$r" ] || others+=("$i"); done
	local t0
	t0=$(date +%s%N)
	hmp "$r" "device_del nic0" || fail "device_del: $output"
	# The pulled guest: eth0 gone, fenced, its copy stopped.
	qc_wait 20 eval '[ "$(rq "$r" .eth0.operstate)" = absent ]' || { qc_dump; false; }
	qc_wait 20 eval '[ "$(link_of "$r")" = fenced ] && [ "$(db_state "$r")" = stopped ]' ||
		{ qc_dump; false; }
	use_guest "$r"
	console_wait 'tend: warning: cluster: link eth0 lost: stopping what runs here as owner \(fenced\)' 5
	console_wait 'tend: group db: stopped' 5
	# The others: exactly one of them runs it, both name it, the pulled guest is dead.
	qc_wait 30 eval '[ "$(runners "${others[@]}" | wc -w)" -eq 1 ]' || { qc_dump; false; }
	local s
	s=$(runners "${others[@]}")
	echo "# db moved from guest $r to guest $s; seen in the reports $(ms_since "$t0") ms after device_del" >&3
	qc_wait 10 owner_agreed "$QC_NET.$s" "${others[@]}" || { qc_dump; false; }
	for i in "${others[@]}"; do
		qc_wait 10 eval '[ "$(peer_state "$i" "$QC_NET.$r")" = dead ]' || { qc_dump; false; }
	done
	steady_for 2 runners_are "$s" || { qc_dump; false; }
	[ "$(db_state "$r")" = stopped ]
	echo "$r" >"$QC_DIR/pulled"
	echo "$s" >"$QC_DIR/owner"
}

# The pulled card comes back as a new eth0 (another ifindex). libnl's link
# cache also keeps an AF_INET6 object of the old one, which no RTM_DELLINK
# removes; link.c reads only AF_UNSPEC objects, else it would read the stale
# one for ever and never bring the new NIC up (found by this test).
@test "device_add brings the NIC back: tend brings it up with its address, the guest is a peer again, and the group stays" {
	[ -s "$QC_DIR/pulled" ] || skip "no NIC was pulled by the previous test"
	local r s i
	r=$(cat "$QC_DIR/pulled")
	s=$(cat "$QC_DIR/owner")
	# device_del ends when the guest has let the device go: wait for QEMU to drop it.
	qc_wait 20 eval 'hmp "$r" "info network" && [[ $output != *model=virtio-net-pci* ]]' ||
		fail "QEMU still has nic0: $output"
	local t0
	t0=$(date +%s%N)
	hmp "$r" "device_add $(qc_nic "$r")" || fail "device_add: $output"
	# A new eth0: the driver binds the new device (virtio_net is loaded).
	qc_wait 20 eval '[ "$(rq "$r" .eth0.operstate)" != absent ]' || { qc_dump; false; }
	# tend brings it up and gives it its address again.
	use_guest "$r"
	console_wait "tend: cluster: eth0 is back: brought it up with $QC_NET.$r/24" 20 2 || { qc_dump; false; }
	qc_wait 20 eval '[ "$(rq "$r" .eth0.addr)" = "$QC_NET.$r/24" ] && [ "$(rq "$r" .eth0.operstate)" = up ]' ||
		{ qc_dump; false; }
	# A peer again: no longer fenced, it sees the others and they see it.
	qc_wait 20 eval '[ "$(link_of "$r")" = up ]' || { qc_dump; false; }
	qc_wait 20 all_peers_alive || { qc_dump; false; }
	echo "# guest $r was a peer again $(ms_since "$t0") ms after device_add (hold-off 1000 ms included)" >&3
	# No duplicate, and the group did not move back: it stays on s.
	qc_wait 10 owner_agreed "$QC_NET.$s" $(seq 1 "$QC_N") || { qc_dump; false; }
	steady_for 3 runners_are "$s" || { qc_dump; false; }
	[ "$(db_state "$r")" = stopped ]
	use_guest "$r"
	console_wait 'tend: cluster: [0-9.]+: hold-off over, [0-9]+ peers alive' 1 2
}

# A cut cable on a link tend brought up itself: the carrier is read from the
# AF_UNSPEC object (the AF_INET6 one stays as IPv6 last reported it, which
# hid the loss: the owner kept running beside the new one).
@test "set_link off (a cut cable) fences the owner and moves the group; set_link on makes it a peer again, and the group stays" {
	[ -s "$QC_DIR/owner" ] || skip "no owner from the earlier tests"
	local s i others=()
	s=$(cat "$QC_DIR/owner")
	for ((i = 1; i <= QC_N; i++)); do [ "$i" = "$s" ] || others+=("$i"); done
	qc_wait 10 runners_are "$s" || { qc_dump; false; }
	local t0
	t0=$(date +%s%N)
	hmp "$s" "set_link n0 off" || fail "set_link: $output"
	qc_wait 15 eval '[ "$(link_of "$s")" = fenced ] && [ "$(db_state "$s")" = stopped ]' ||
		{ qc_dump; false; }
	[ "$(rq "$s" .eth0.addr)" = "$QC_NET.$s/24" ] # the address stays; the carrier went
	qc_wait 30 eval '[ "$(runners "${others[@]}" | wc -w)" -eq 1 ]' || { qc_dump; false; }
	local u
	u=$(runners "${others[@]}")
	echo "# db moved from guest $s to guest $u; seen in the reports $(ms_since "$t0") ms after set_link off" >&3
	steady_for 2 runners_are "$u" || { qc_dump; false; }
	hmp "$s" "set_link n0 on" || fail "set_link: $output"
	qc_wait 20 eval '[ "$(link_of "$s")" = up ]' || { qc_dump; false; }
	qc_wait 20 eval '[ "$(peer_state "$u" "$QC_NET.$s")" = alive ]' || { qc_dump; false; }
	steady_for 3 runners_are "$u" || { qc_dump; false; }
	[ "$(db_owner "$s")" = "$QC_NET.$u" ]
	echo "$u" >"$QC_DIR/owner"
}
