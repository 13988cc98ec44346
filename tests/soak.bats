#!/usr/bin/env bats
# The soak (issue 16, part 4; README "Soak"): 100 groups whose processes
# end every few milliseconds, 10 000 exits, a reload a second, clients
# connecting, streaming and leaving. tend's fds and RSS are back where they
# were after the warm-up, no child is left, every exit is in the events
# once and in the accounting once. `make soak SOAK_MINUTES=N` runs longer.

load helpers

setup() {
	command -v python3 >/dev/null || skip "python3 is not installed"
	SOAK_DIR=
}

@test "soak: 10000 exits, reloads and clients leave no fd, memory, zombie or record behind" {
	# Under a loaded machine (or ASan) 10 000 exits may not fit in the
	# budget: the run stops at 45 s and checks what it did (it says so).
	run "$TOP/tests/soak/run.sh" "$TEND" --restarts 10000 --max-seconds 45
	echo "$output" | grep -E '^soak: (after|at the end|[0-9]+ exits|stopped|RSS|ping|.*ASan)' >&3
	assert_success
	assert_line "soak: ok"
}
