/* Starting a process (spawn.c). Not "spawn.h": that is a system header. */
#ifndef TEND_SPAWNING_H
#define TEND_SPAWNING_H

#include <sys/types.h>

struct tend;
struct process;

/* The real sys_ops.spawn: fork, set the child up, exec. Returns the pid,
 * or -1 with *err set to the errno of the step that failed. */
pid_t spawn_process(struct tend *t, struct process *p, int *err);

/* In a child between fork and exec: every signal unblocked and back to its
 * default action (tend blocks and ignores some). Async-signal-safe. */
void spawn_reset_signals(void);

#endif
