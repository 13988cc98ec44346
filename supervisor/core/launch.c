/* Launching a process: the parent's side of a start. It gathers what the
 * child gets into a spawn request: stdin from /dev/null, stdout and stderr
 * to its log pipe (proclog.c) or, with `console = true`, all three on
 * /dev/console; the environment tend inherited plus the declared additions
 * plus TEND_PROCESS=group/process, NOTIFY_SOCKET and the watchdog's
 * entries; its ready pipe and watchdog page; the RLIMIT_NOFILE tend
 * inherited; its cgroup. The seam (sys_ops.spawn) forks and execs it. */
#include "core/launch.h"
#include "core/context.h"
#include "core/readiness.h"
#include "sys/environment.h"
#include "sys/exec.h"
#include "sys/machine.h"
#include "sys/procstat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The entries tend gives a process: its tag, NOTIFY_SOCKET, and with a
 * watchdog TEND_WATCHDOG, WATCHDOG_USEC and WATCHDOG_PID (whose number the
 * child fills in: only it knows its pid before exec). */
struct own_env {
	char tag[PROCESS_TAG_LEN];
	char *notify;
	char watchdog[64];
	char usec[48];
	char pid[32];
	char *list[6];
	char **env; /* the whole environment: what req.envp points to */
};

/* wd_fd: the number the child has its watchdog page's memfd under. */
static int own_environment(struct tend *t, struct process *p, int wd_fd, struct own_env *o)
{
	size_t k = 0;
	o->list[k++] = (char *)process_tag(p, o->tag, sizeof(o->tag));
	if (t->notify_path && asprintf(&o->notify, "NOTIFY_SOCKET=%s", t->notify_path) < 0) {
		o->notify = NULL;
		return -1;
	}
	if (o->notify)
		o->list[k++] = o->notify;
	if (wd_fd >= 0) {
		snprintf(o->watchdog, sizeof(o->watchdog), "TEND_WATCHDOG=/proc/self/fd/%d", wd_fd);
		o->list[k++] = o->watchdog;
		snprintf(o->usec, sizeof(o->usec), "WATCHDOG_USEC=%llu",
			 (unsigned long long)p->decl->watchdog_ms * 1000u);
		o->list[k++] = o->usec;
		snprintf(o->pid, sizeof(o->pid), "WATCHDOG_PID=");
		o->list[k++] = o->pid;
	}
	o->list[k] = NULL;
	return 0;
}

/* environ minus tend's own entries, worked out once: environ does not
 * change once tend runs, and a start should cost little. */
static char **base_environment(struct tend *t)
{
	if (!t->base_env)
		t->base_env = environment_inherited();
	return t->base_env;
}

/* The descriptors and entries of a request, each prepared in turn; on
 * failure the step's errno. None may be skipped: a process outside its
 * cgroup could not be stopped. */
static int prepare(struct tend *t, struct process *p, struct spawn_request *req,
		   struct own_env *own)
{
	char **base;
	if (watchdog_prepare(t, p) < 0 || readiness_pipe(t, p, &req->ready_fd) < 0)
		return errno;
	/* The page's descriptor must not be the number the ready fd takes. */
	req->watchdog_fd = watchdog_child_fd(p);
	if (req->watchdog_fd >= 0 && req->watchdog_fd == req->ready_target &&
	    (req->watchdog_fd =
		 fcntl(watchdog_child_fd(p), F_DUPFD_CLOEXEC, req->ready_target + 1)) < 0)
		return errno;
	if (own_environment(t, p, req->watchdog_fd, own) < 0 || !(base = base_environment(t)) ||
	    !(own->env = environment_merge(base, p->decl->environment, own->list)))
		return ENOMEM;
	req->envp = own->env;
	if (watchdog_has_page(p)) {
		req->watchdog_pid = own->pid;
		req->watchdog_pid_size = sizeof(own->pid);
	}
	if (!p->decl->console && (req->output_fd = proclog_output_fd(t, p)) < 0)
		return errno;
	if (t->tracker.mode == TRACK_CGROUP) {
		struct tree tree = process_tree(p);
		if ((req->cgroup_fd = tracker_prepare(&t->tracker, &tree)) < 0)
			return errno;
		p->in_cgroup = true;
	}
	return 0;
}

/* What the process's tenant gives it: the profile it runs under, and its
 * credentials where the process has none of its own (as at load, again
 * here so that groups added at run time get them too); and a process
 * running with another group may read its log. */
static int confine(struct tend *t, struct process *p, struct spawn_request *req, gid_t *gids)
{
	const char *tenant = p->group->decl.tenant;
	const struct tenant_decl *td = tenants_find(&t->tenants, tenant);

	req->seccomp = tenant_program(&t->tenants, td);
	if (td && td->seccomp && !req->seccomp)
		return EINVAL; /* cannot happen (checked at load); never run it unconfined */
	if (td && td->cred_set) {
		if (tenant_credentials(td, p->decl, &req->uid, &req->gid, gids, &req->ngroups) < 0)
			return E2BIG;
		req->groups = gids;
	}
	/* its log: readable by its group (tend still writes it, as root) */
	if (req->gid != (gid_t)-1 && !p->decl->console)
		proclog_share(t, p, req->gid);
	return 0;
}

pid_t launch_process(struct tend *t, struct process *p, int *err)
{
	struct own_env own = { 0 };
	gid_t gids[MAX_SUPPLEMENTARY_GROUPS];
	struct spawn_request req = {
		.process = p->decl->name,
		.argv = p->decl->argv,
		.directory = p->decl->directory,
		.stdin_fd = t->devnull,
		.output_fd = -1,
		.cgroup_fd = -1,
		.ready_fd = -1,
		.ready_target = p->decl->ready_fd,
		.watchdog_fd = -1,
		.nofile = t->nofile,
		.uid = p->decl->uid,
		.gid = p->decl->gid,
		.groups = p->decl->groups,
		.ngroups = p->decl->ngroups,
		/* asked only for a console process: it looks at /proc */
		.steal_console = p->decl->console && t->mode == MODE_PID1 && machine_is_ours(),
	};
	pid_t pid = -1;

	if ((*err = confine(t, p, &req, gids)) == 0 && (*err = prepare(t, p, &req, &own)) == 0)
		pid = t->sys.ops->spawn(&t->sys, &req, err);
	if (pid >= 0) {
		readiness_watch(t, p, req.ready_fd);
		req.ready_fd = -1;
	}
	if (req.output_fd >= 0)
		close(req.output_fd); /* the child has its own; tend keeps the read end */
	if (req.cgroup_fd >= 0)
		close(req.cgroup_fd);
	if (req.ready_fd >= 0) {
		close(req.ready_fd);
		readiness_close(t, p);
	}
	if (req.watchdog_fd >= 0 && req.watchdog_fd != watchdog_child_fd(p))
		close(req.watchdog_fd);
	watchdog_spawned(p);
	free(own.env);
	free(own.notify);
	return pid;
}

unsigned long long launch_start_ticks(pid_t pid)
{
	struct proc_stat st;
	return proc_stat_read(pid, &st) == 0 ? st.start_ticks : 0;
}
