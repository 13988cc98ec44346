/* Starting a process from a request: vfork, set the child up, exec (see
 * exec.c). The request says everything the child gets, so that a test fake
 * of the seam can inspect what a process would have been started with. */
#ifndef TEND_EXEC_H
#define TEND_EXEC_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

struct spawn_request {
	const char *process; /* its name: what test fakes record */
	char *const *argv;   /* argv[0] is looked up in the child's PATH */
	char *const *envp;
	const char *directory; /* NULL: tend's */
	int stdin_fd;	       /* /dev/null, usually */
	int output_fd;	       /* stdout and stderr; -1: a console process */
	bool steal_console;    /* console: take it from an earlier session (PID 1) */
	int cgroup_fd;	       /* its cgroup.procs, joined before exec; -1: none */
	int ready_fd;	       /* ready = fd:N: the pipe's write end; -1: none */
	int ready_target;      /* N */
	int watchdog_fd;       /* its watchdog page's memfd, kept across exec; -1 */
	char *watchdog_pid;    /* the "WATCHDOG_PID=" entry of envp the child completes */
	size_t watchdog_pid_size;
	struct rlimit nofile; /* RLIMIT_NOFILE as tend inherited it */
	/* Credentials, set in the child just before exec (setgroups, setgid,
	 * setuid, in that order); (uid_t)-1, (gid_t)-1, ngroups -1: tend's. */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	int ngroups;
	/* Its tenant's seccomp program (tenant/profile.c), loaded as the last
	 * step before exec; NULL: none. */
	const struct sock_fprog *seccomp;
};

/* The real spawn: vfork, set the child up, exec. Returns the pid, or -1
 * with *err set to the errno of the step that failed. */
pid_t spawn_request_run(const struct spawn_request *req, int *err);

/* In a child between fork and exec: every signal unblocked and back to its
 * default action (tend blocks and ignores some). Async-signal-safe. */
void spawn_reset_signals(void);

/* A getty-like process: the console is its stdin, stdout and stderr and
 * its controlling terminal (with steal, taken even from an earlier session
 * that still holds it, so job control works after a restart). In the child
 * after setsid(). 0, or -1 (the console cannot be opened or dup'ed). */
int attach_console(bool steal);

#endif
