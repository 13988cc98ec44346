/* The seam between tend's state machines and the kernel. Starting, signalling
 * and timing processes go through these functions so that unit tests replace
 * them (simulated exits, fork failing with EAGAIN, a clock that jumps) and
 * drive the process and group machines without real processes. */
#ifndef TEND_SYS_H
#define TEND_SYS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct tend;
struct process;

struct sys_ops {
	/* Milliseconds on a monotonic clock. */
	uint64_t (*now_ms)(struct tend *t);
	/* Starts p's command. Returns the pid, or -1 with *err set to the errno
	 * of the step that failed (fork: EAGAIN/ENOMEM; exec: ENOENT, EACCES...). */
	pid_t (*spawn)(struct tend *t, struct process *p, int *err);
	/* Sends sig to p's main process only, if it is alive. */
	void (*signal_main)(struct tend *t, struct process *p, int sig);
	/* Sends sig to p's main process (if alive) and every descendant. */
	void (*signal_tree)(struct tend *t, struct process *p, int sig);
	/* True when no member of p's tree is left besides a reaped main process. */
	bool (*tree_empty)(struct tend *t, struct process *p);
};

extern const struct sys_ops sys_linux;

#endif
