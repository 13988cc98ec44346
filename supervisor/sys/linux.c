/* The real implementations behind the seam in sys.h. */
#include "sys/sys.h"
#include "sys/exec.h"
#include "sys/tracker.h"

#include <signal.h>
#include <time.h>

static uint64_t linux_now_ms(struct sys *s)
{
	(void)s;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t linux_wall_ms(struct sys *s)
{
	(void)s;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static pid_t linux_spawn(struct sys *s, const struct spawn_request *req, int *err)
{
	(void)s;
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
