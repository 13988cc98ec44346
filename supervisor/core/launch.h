/* Launching a process: everything it is started with, gathered into a
 * spawn request that the seam runs (see launch.c). */
#ifndef TEND_LAUNCH_H
#define TEND_LAUNCH_H

#include <sys/types.h>

struct tend;
struct process;

/* Prepares p's log pipe, ready pipe, watchdog page, environment and cgroup,
 * and starts it through the seam. Returns the pid, or -1 with *err set to
 * the errno of the step that failed. */
pid_t launch_process(struct tend *t, struct process *p, int *err);
/* Field 22 of /proc/PID/stat of a process just started; 0: unreadable. */
unsigned long long launch_start_ticks(pid_t pid);

#endif
