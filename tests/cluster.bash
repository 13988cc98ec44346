# The netns tier of the cluster tests (and `make bench`'s failover scenario):
# N tends, each PID 1 of its own PID namespace inside its own network
# namespace, joined by veth pairs to a bridge in one more namespace. Every
# namespace and interface is the test's own, named with a per-run prefix,
# and removed by cluster_teardown, also after a failure.
#
# Hosts are numbered 1..N; host i has 10.77.0.i/24 on its eth0, its conf.d
# in $T/hI/conf.d and its run dir in $T/hI/run (tendctl reaches it through
# the socket there: a unix socket does not care about network namespaces).

CL_NET=10.77.0

# Why the netns tier cannot run here, or nothing when it can.
cluster_unsupported() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)"; return; }
	command -v ip >/dev/null || { echo "no ip (iproute2)"; return; }
	command -v unshare >/dev/null || { echo "no unshare (util-linux)"; return; }
	local probe="tdprobe$$"
	ip netns add "$probe" 2>/dev/null || { echo "cannot create network namespaces"; return; }
	ip netns del "$probe"
}

# cluster_setup N: the namespaces, the bridge and N links.
cluster_setup() {
	CL_N=$1
	CL_P="td$$x${BATS_TEST_NUMBER:-0}"
	echo "$CL_P" >"$T/netns-prefix"
	ip netns add "${CL_P}br"
	ip -n "${CL_P}br" link add br0 type bridge
	ip -n "${CL_P}br" link set br0 up
	local i
	for ((i = 1; i <= CL_N; i++)); do
		ip netns add "${CL_P}h$i"
		ip link add eth0 netns "${CL_P}h$i" type veth peer name "p$i" netns "${CL_P}br"
		ip -n "${CL_P}h$i" addr add "$CL_NET.$i/24" dev eth0
		ip -n "${CL_P}h$i" link set lo up
		ip -n "${CL_P}h$i" link set eth0 up
		ip -n "${CL_P}br" link set "p$i" master br0
		ip -n "${CL_P}br" link set "p$i" up
		mkdir -p "$T/h$i/conf.d"
	done
}

# Every tend started, then every namespace; safe to call twice.
cluster_teardown() {
	local pid ns prefix
	if [ -f "$T/cluster-pids" ]; then
		while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$T/cluster-pids"
		while read -r pid; do wait_until_quiet 5 gone "$pid" || true; done <"$T/cluster-pids"
	fi
	if [ -f "$T/netns-prefix" ]; then
		prefix=$(cat "$T/netns-prefix")
		for ns in $(ip netns list | awk '{print $1}' | grep "^${prefix}"); do
			ip netns del "$ns" 2>/dev/null || true
		done
	fi
	cluster_sanitizer_reports
}

# Under a sanitizer build, any report in a host's output fails the test
# (the tends are killed, so leaks at exit are not seen; runtime errors are).
cluster_sanitizer_reports() {
	local out found=0
	for out in "$T"/h*/tend.out; do
		[ -f "$out" ] && grep -Eq 'Sanitizer|runtime error:' "$out" || continue
		echo "--- sanitizer report in $out:" >&2
		grep -E -A5 'Sanitizer|runtime error:' "$out" >&2
		found=1
	done
	return $found
}

# cluster_conf I NAME <<EOF: a file of host I's conf.d.
cluster_conf() {
	cat >"$T/h$1/conf.d/$2"
}

# The cluster section and one negotiable group, as most tests want them.
cluster_default_conf() { # I [HEARTBEAT DEAD_AFTER] [extra cluster options]
	local i=$1 hb=${2:-50ms} dead=${3:-200ms}
	cluster_conf "$i" cluster.conf <<CONF
cluster { interface = "eth0"  port = 7700  heartbeat = $hb  dead-after = $dead ${4:-} }
CONF
	cluster_conf "$i" db.conf <<CONF
group "db" {
	negotiable = true
	process "db" { command = "/bin/sleep 100000" }
}
CONF
}

# cluster_start I: host I's tend, PID 1 of a new PID namespace in its network
# namespace. --kill-child: killing the recorded pid (unshare) kills tend, and
# with it everything in its PID namespace, as a card that dies.
cluster_start() {
	local i=$1
	ip netns exec "${CL_P}h$i" unshare --pid --fork --kill-child --mount --mount-proc \
		"$TEND" -c "$T/h$i/conf.d" -r "$T/h$i/run" --tracking=ancestry \
		>"$T/h$i/tend.out" 2>&1 &
	echo $! >"$T/h$i/pid"
	echo $! >>"$T/cluster-pids"
	wait_until hctl "$i" ping
}

hctl() { # hctl I ARGS...: tendctl for host I
	local i=$1
	shift
	"$TENDCTL" -r "$T/h$i/run" "$@"
}

# SIGKILL of host I's tend (its whole PID namespace goes with it).
cluster_kill() {
	local pid
	pid=$(cat "$T/h$1/pid")
	kill -KILL "$pid"
	wait_until_quiet 10 gone "$pid"
}

# The state of GROUP on host I ("" when tend does not answer).
group_state_on() { # I GROUP
	hctl "$1" status --json 2>/dev/null |
		jq -r --arg g "$2" '.groups[] | select(.name==$g) | .state' 2>/dev/null
}

# The hosts (numbers) where GROUP is running or starting, space-separated.
runners() { # GROUP [HOSTS...]
	local g=$1 i s out=""
	shift
	local hosts=("$@")
	[ ${#hosts[@]} -eq 0 ] && hosts=($(seq 1 "$CL_N"))
	for i in "${hosts[@]}"; do
		s=$(group_state_on "$i" "$g")
		[ "$s" = running ] || [ "$s" = starting ] && out="$out $i"
	done
	echo "${out# }"
}

runner_count_is() { # N GROUP [HOSTS...]
	local want=$1
	shift
	local r
	r=$(runners "$@")
	[ "$(wc -w <<<"$r")" -eq "$want" ]
}

# host I's own view of GROUP's owner (status --json), "null" when none.
owner_seen_by() { # I GROUP
	hctl "$1" status --json | jq -r --arg g "$2" '.groups[] | select(.name==$g) | .owner'
}

cluster_dump() { # for a failed test: what each host said
	local i
	for ((i = 1; i <= CL_N; i++)); do
		echo "--- host $i:" >&2
		hctl "$i" peers 2>&1 | sed 's/^/  /' >&2
		tail -n 15 "$T/h$i/tend.out" 2>/dev/null | sed 's/^/  /' >&2
	done
}
