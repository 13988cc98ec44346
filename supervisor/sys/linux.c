/* The real implementations behind the seam in sys.h. */
#include "sys/sys.h"
#include "sys/exec.h"
#include "sys/tracker.h"

#include <signal.h>
#include <time.h>

/* clock in ms, moved by the fault plan's jump (never below 1: 0 means
 * "none" to the timers). */
static uint64_t clock_ms(struct sys *s, clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + s->faults.clock_jump_ms;
	return ms > 0 ? (uint64_t)ms : 1;
}

static uint64_t linux_now_ms(struct sys *s)
{
	return clock_ms(s, CLOCK_MONOTONIC);
}

static uint64_t linux_wall_ms(struct sys *s)
{
	return clock_ms(s, CLOCK_REALTIME);
}

static pid_t linux_spawn(struct sys *s, const struct spawn_request *req, int *err)
{
	if ((*err = fault_check(&s->faults, FAULT_FORK)))
		return -1;
	return spawn_request_run(req, err);
}

static void linux_signal_main(struct sys *s, const struct tree *tree, int sig)
{
	(void)s;
	if (tree->main > 0)
		kill(tree->main, sig);
}

static void linux_signal_tree(struct sys *s, const struct tree *tree, int sig)
{
	tracker_signal(s->tracker, tree, sig);
}

static bool linux_tree_empty(struct sys *s, const struct tree *tree)
{
	return tracker_empty(s->tracker, tree);
}

const struct sys_ops sys_linux = {
	.now_ms = linux_now_ms,
	.wall_ms = linux_wall_ms,
	.spawn = linux_spawn,
	.signal_main = linux_signal_main,
	.signal_tree = linux_signal_tree,
	.tree_empty = linux_tree_empty,
};
