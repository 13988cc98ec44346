# Waiting for a condition with a deadline, and whether a pid is alive: for
# the bats tests (helpers.bash) and for scripts that drive tends outside
# bats (tests/bench/cluster.sh). No bats here.

# wait_until_quiet SECONDS CMD...: retries CMD until it succeeds; 1 when the
# deadline passes first.
wait_until_quiet() {
	local limit=$1
	shift
	local end=$((SECONDS + limit))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}

# A pid that exists and is not a zombie.
alive() {
	kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

gone() {
	! alive "$1"
}
