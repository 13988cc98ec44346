/* libFuzzer target for RUNDIR/tend.state (base/run_state.c), which a tend
 * reads at start when another one died on its run directory: a damaged or
 * planted file must be refused or read, never crash it. What it reads,
 * written again as tend writes it, must read back the same (the writer and
 * the reader agree). Built by `make fuzz-build`, run by tests/fuzz/run.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/run_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const struct run_state *a, const struct run_state *b)
{
	if (a->tend_pid != b->tend_pid || a->tend_ticks != b->tend_ticks ||
	    strcmp(a->boot_id, b->boot_id) != 0 || !a->cgroup != !b->cgroup ||
	    (a->cgroup && strcmp(a->cgroup, b->cgroup) != 0) || a->len != b->len)
		abort();
	for (size_t i = 0; i < a->len; i++) {
		const struct run_entry *x = &a->v[i], *y = &b->v[i];
		if (x->pid != y->pid || x->pid_ticks != y->pid_ticks || x->session != y->session ||
		    x->session_ticks != y->session_ticks || strcmp(x->tenant, y->tenant) != 0 ||
		    strcmp(x->group, y->group) != 0 || strcmp(x->process, y->process) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_state s = { 0 }, again = { 0 };
	struct buf text = { 0 };
	char why[160];
	if (run_state_parse((const char *)data, size, &s, why, sizeof(why)) < 0) {
		if (!why[0])
			abort(); /* a refusal always says why */
		return 0;
	}
	run_state_format(&s, &text);
	if (!text.data || run_state_parse(text.data, text.len, &again, why, sizeof(why)) < 0)
		abort(); /* tend could not read what it wrote */
	same_or_abort(&s, &again);
	run_state_free(&s);
	run_state_free(&again);
	buf_free(&text);
	return 0;
}
