/* What is said about a process: its name in messages, its tag, its
 * state's name, how it ended, and what the tracker and the records need
 * to know of it. No state changes here (process.c has those). */
#include "core/process.h"
#include "core/context.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const state_names[PS__COUNT] = {
	[PS_STOPPED] = "stopped", [PS_STARTING] = "starting", [PS_RUNNING] = "running",
	[PS_BACKOFF] = "backoff", [PS_STOPPING] = "stopping", [PS_FAILED] = "failed",
	[PS_DONE] = "done",	  [PS_ABORTING] = "aborting",
};

const char *proc_state_name(enum proc_state s)
{
	return s < PS__COUNT ? state_names[s] : "?";
}

const char *process_label(const struct process *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", p->group->decl.name, p->decl->name);
	return buf;
}

const char *process_tag(const struct process *p, char *buf, size_t len)
{
	snprintf(buf, len, "TEND_PROCESS=%s/%s", p->group->decl.name, p->decl->name);
	return buf;
}

void describe_wait_status(int status, char *buf, size_t len)
{
	if (status == EXIT_STATUS_UNKNOWN)
		snprintf(buf, len, "ended, status unknown (not tend's child)");
	else if (status < 0)
		snprintf(buf, len, "not started");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by SIG%s%s", sigabbrev_np(WTERMSIG(status)) ?: "?",
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "status 0x%x", status);
}

struct tree process_tree(const struct process *p)
{
	return (struct tree){ .tenant = p->group->decl.tenant,
			      .group = p->group->decl.name,
			      .process = p->decl->name,
			      .main = p->pid,
			      .session = p->session,
			      .in_cgroup = p->in_cgroup,
			      .adopted = p->adopted };
}

/* How its main process ended, for whoever keeps records. */
struct exit_record process_exit_record(struct tend *t, const struct process *p, int wait_status,
				       const struct rusage *usage)
{
	struct exit_record r = { .pid = p->pid,
				 .wait_status = wait_status,
				 .has_usage = usage != NULL,
				 .start_ms = p->started_ms,
				 .end_ms = loop_now_ms(&t->loop),
				 .end_wall_ms = t->sys.ops->wall_ms(&t->sys) };
	/* With its rusage, tend waited for it: it was tend's child. */
	if (usage) {
		r.usage = *usage;
		r.ppid = getpid();
	}
	uint64_t ran = r.end_ms > r.start_ms ? r.end_ms - r.start_ms : 0;
	r.start_wall_ms = r.end_wall_ms > ran ? r.end_wall_ms - ran : 0;
	return r;
}
