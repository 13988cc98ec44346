/* Reaping: on SIGCHLD, collect every exited child. Main processes go to
 * their state machine; any other pid (an orphan adopted by tend, a child of
 * a dead main) is looked at before it is reaped (what /proc says of it is
 * gone after) and published (descendants.c), and processes waiting for
 * their tree to empty are told to look again. */
#include "core/reaper.h"
#include "sys/log.h"
#include "sys/zombie.h"
#include "core/context.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>

/* Ancestry mode looks at each stopping process's own tree (the kernel's
 * lists of children, ancestry.c): a scan of all of /proc per reap made a
 * sequential stop of 1000 services take seconds. When many stop at once (a
 * reload that removes many groups), one scan shared by all costs less than
 * a walk each. */
#define WALKS_PER_SCAN 32

static void tell_stopping_processes(struct tend *t)
{
	size_t stopping = 0, n = registry_count(t);

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < registry_nth(t, i)->nprocs; j++)
			stopping += registry_nth(t, i)->procs[j].state == PS_STOPPING;
	bool batch = stopping >= WALKS_PER_SCAN && !t->tracker.batch;
	if (batch)
		tracker_batch_begin(&t->tracker);
	for (size_t i = 0; i < n; i++) {
		struct group *g = registry_nth(t, i);
		for (size_t j = 0; j < g->nprocs; j++)
			if (g->procs[j].state == PS_STOPPING)
				process_step(t, &g->procs[j], PE_TREE_CHANGED);
	}
	if (batch)
		tracker_batch_end(&t->tracker);
}

/* The next ended child, left unreaped (WNOWAIT); 0: none, -1: error. */
static pid_t next_ended(void)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
		return -1;
	return info.si_pid;
}

void reap_children(struct tend *t)
{
	int status;
	pid_t pid;
	struct rusage usage;
	struct zombie_info z;
	bool others = false;
	while ((pid = next_ended()) > 0) {
		struct process *p = pidmap_get(&t->pids, pid);
		if (!p)
			zombie_inspect(pid, t->tracker.mode == TRACK_CGROUP, &z);
		if (wait4(pid, &status, WNOHANG, &usage) != pid) {
			tend_log(&t->log, LOG_WARN, "wait4 %d: %m", (int)pid);
			break;
		}
		if (p) {
			process_exited(t, p, status, &usage);
		} else {
			descendant_reaped(t, pid, status, &usage, &z);
			others = true;
		}
	}
	if (pid < 0 && errno != ECHILD)
		tend_log(&t->log, LOG_WARN, "waitid: %m");
	/* A main process that exits while stopping checks its tree itself; only
	 * other reaped pids can be the last member of some tree. */
	if (others) {
		tell_stopping_processes(t);
		t->ephemeral_due = true; /* maybe the last of a run's leftovers */
	}
}
