/* The seam between tend's state machines and the kernel. Starting, signalling
 * and timing processes go through these functions so that unit tests replace
 * them (simulated exits, fork failing with EAGAIN, a clock that jumps) and
 * drive the process and group machines without real processes. What they
 * act on is plain data: a spawn request (sys/exec.h), a tree (sys/tracker.h). */
#ifndef TEND_SYS_H
#define TEND_SYS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/fault.h"

struct sys;
struct spawn_request;
struct tracker;
struct tree;

struct sys_ops {
	/* Milliseconds on a monotonic clock. */
	uint64_t (*now_ms)(struct sys *s);
	/* Milliseconds since the epoch: the wall clock, for records people read. */
	uint64_t (*wall_ms)(struct sys *s);
	/* Starts what req describes. Returns the pid, or -1 with *err set to the
	 * errno of the step that failed (fork: EAGAIN/ENOMEM; exec: ENOENT,
	 * EACCES...). */
	pid_t (*spawn)(struct sys *s, const struct spawn_request *req, int *err);
	/* Sends sig to the tree's main process only, if there is one. */
	void (*signal_main)(struct sys *s, const struct tree *tree, int sig);
	/* Sends sig to the tree's main process (if any) and every descendant. */
	void (*signal_tree)(struct sys *s, const struct tree *tree, int sig);
	/* True when no member of the tree is left besides a reaped main process. */
	bool (*tree_empty)(struct sys *s, const struct tree *tree);
};

struct sys {
	const struct sys_ops *ops;
	struct fault_plan faults; /* empty unless a test arms it (base/fault.h) */
	struct tracker *tracker;  /* what the Linux implementation tracks trees with */
	void *fake;		  /* unit tests hang their fakes here */
};

extern const struct sys_ops sys_linux;

#endif
