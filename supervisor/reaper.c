/* Reaping: on SIGCHLD, collect every exited child. Main processes go to
 * their state machine; any other pid (an orphan adopted by tend, a child of
 * a dead main) is simply reaped, and processes waiting for their tree to
 * empty are told to look again. */
#include "log.h"
#include "context.h"

#include <errno.h>
#include <sys/wait.h>

void reap_children(struct tend *t);

static void tell_stopping_processes(struct tend *t)
{
	/* One look at the system serves every stopping process (ancestry mode
	 * would otherwise scan /proc once per process on every reap). */
	tracker_batch_begin(t);
	for (size_t i = 0; i < t->ngroups + t->nretiring; i++) {
		struct group *g = i < t->ngroups ? t->groups[i] : t->retiring[i - t->ngroups];
		for (size_t j = 0; j < g->nprocs; j++)
			if (g->procs[j].state == PS_STOPPING)
				process_step(t, &g->procs[j], PE_TREE_CHANGED);
	}
	tracker_batch_end(t);
}

void reap_children(struct tend *t)
{
	int status;
	pid_t pid;
	bool others = false;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct process *p = pidmap_get(&t->pids, pid);
		if (p)
			process_exited(t, p, status);
		else
			others = true;
	}
	if (pid < 0 && errno != ECHILD)
		tend_log(t, LOG_WARN, "waitpid: %m");
	/* A main process that exits while stopping checks its tree itself; only
	 * other reaped pids can be the last member of some tree. */
	if (others)
		tell_stopping_processes(t);
}
