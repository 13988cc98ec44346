/* What /proc still tells of a child that has ended but is not reaped yet
 * (a zombie, seen with waitid(..., WNOWAIT)). Measured on Linux 6.x:
 * /proc/PID/stat (command name, parent, session, start time, utime and
 * stime), /proc/PID/status, /proc/PID/io and /proc/PID/cgroup (the cgroup
 * it ended in) are readable until it is reaped; /proc/PID/environ is not
 * (ESRCH: its memory is gone), so its TEND_PROCESS tag cannot be read. */
#ifndef TEND_SYS_ZOMBIE_H
#define TEND_SYS_ZOMBIE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define ZOMBIE_COMM_LEN 16 /* the kernel's TASK_COMM_LEN, its NUL included */

struct zombie_info {
	pid_t ppid;		    /* 0: unknown */
	pid_t session;		    /* 0: unknown */
	char comm[ZOMBIE_COMM_LEN]; /* "": unknown */
	uint64_t start_wall_ms;	    /* when it started, wall clock; 0: unknown */
	char cgroup[512];	    /* its cgroup v2 path ("0::" line); "": unknown */
};

/* Reads what is left of pid; the cgroup only when want_cgroup. Fields it
 * cannot read stay unknown. */
void zombie_inspect(pid_t pid, bool want_cgroup, struct zombie_info *z);

#endif
