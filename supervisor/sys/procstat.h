/* One process's line in /proc/PID/stat: what the trees and status need of
 * it (its parent, session, state and command name); and its cgroup. */
#ifndef TEND_PROCSTAT_H
#define TEND_PROCSTAT_H

#include <sys/types.h>

#include "base/pid_tree.h"

struct proc_stat {
	pid_t pid;
	pid_t ppid;
	pid_t session;
	char state; /* 'R', 'S', 'D', 'Z' (a zombie, exited, not reaped yet), ... */
	char comm[PID_COMM_MAX];
	unsigned long long start_ticks; /* field 22: clock ticks after boot; 0: unknown */
};

/* Parses the text of a stat file. The command name may hold blanks and
 * parentheses: it is what lies between the first '(' and the last ')'.
 * 0, or -1 when the text is not such a line. */
int proc_stat_parse(const char *text, struct proc_stat *out);
/* Reads /proc/PID/stat. 0; -1: gone (or not a stat line);
 * PROC_STAT_UNREADABLE: it could not be read (out of descriptors, say:
 * errno says), which proves nothing about the process. */
#define PROC_STAT_UNREADABLE (-2)
int proc_stat_read(pid_t pid, struct proc_stat *out);
/* The cgroup v2 path of pid (0: tend itself) below the cgroup2 mount, as
 * the "0::" line of /proc/PID/cgroup says it ("/" for the root; a zombie's
 * too). 0, or -1 when it cannot be read or has no such line. */
int proc_cgroup_path(pid_t pid, char *buf, size_t len);

#endif
