/* The real implementations behind the seam in sys.h. */
#include "sys/sys.h"
#include "core/context.h"
#include "core/spawn.h"

#include <signal.h>
#include <time.h>

static uint64_t linux_now_ms(struct tend *t)
{
	(void)t;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void linux_signal_main(struct tend *t, struct process *p, int sig)
{
	(void)t;
	if (p->pid > 0)
		kill(p->pid, sig);
}

const struct sys_ops sys_linux = {
	.signal_main = linux_signal_main,
	.now_ms = linux_now_ms,
	.spawn = spawn_process,
	.signal_tree = tracker_signal,
	.tree_empty = tracker_empty,
};
