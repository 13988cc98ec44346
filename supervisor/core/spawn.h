/* Starting a process (spawn.c). Not "spawn.h": that is a system header. */
#ifndef TEND_SPAWNING_H
#define TEND_SPAWNING_H

#include <stdbool.h>
#include <sys/types.h>

struct tend;
struct process;

/* The real sys_ops.spawn: fork, set the child up, exec. Returns the pid,
 * or -1 with *err set to the errno of the step that failed. */
pid_t spawn_process(struct tend *t, struct process *p, int *err);

/* In a child between fork and exec: every signal unblocked and back to its
 * default action (tend blocks and ignores some). Async-signal-safe. */
void spawn_reset_signals(void);

/* A getty-like process: the console is its stdin, stdout and stderr and
 * its controlling terminal (with steal, taken even from an earlier session
 * that still holds it, so job control works after a restart). In the child
 * after setsid(). 0, or -1 (the console cannot be opened or dup'ed). */
int attach_console(bool steal);

#endif
