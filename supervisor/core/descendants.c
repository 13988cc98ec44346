/* Descendants that tend reaps itself: orphans re-parented to it (it is a
 * child subreaper, or PID 1) and children of its own that are no longer a
 * main process. Their resource usage would be lost with them, so each is
 * published with whose tree it was in, for the records (accounting).
 *
 * Whose: with cgroup tracking, the cgroup it ended in (/proc/PID/cgroup is
 * still readable for a zombie); else, or when that cgroup is not one of
 * ours, the session it shares with a main process that tend started
 * (every main process starts its own). Its TEND_PROCESS tag cannot help:
 * a zombie's environment is gone. A descendant that called setsid() in
 * ancestry mode is therefore nobody's. */
#include "core/context.h"
#include "core/reaper.h"
#include "sys/zombie.h"

#include <string.h>

/* The process of group `gname` named `pname`: a declared group's first,
 * else a retiring one's (a reload's old declaration still stopping). */
static struct process *by_cgroup(struct tend *t, const struct zombie_info *z)
{
	char gname[NAME_MAX_LEN + 1], pname[NAME_MAX_LEN + 1];
	if (!z->cgroup[0] || tracker_owner_of_cgroup(&t->tracker, z->cgroup, gname, sizeof(gname),
						     pname, sizeof(pname)) < 0)
		return NULL;
	struct process *found = NULL;
	for (size_t i = 0, n = registry_count(t); i < n && !found; i++) {
		struct group *g = registry_nth(t, i);
		if (strcmp(g->decl.name, gname) == 0)
			found = group_find_process(g, pname);
	}
	return found;
}

static struct process *by_session(struct tend *t, pid_t session)
{
	if (session <= 0)
		return NULL;
	for (size_t i = 0, n = registry_count(t); i < n; i++) {
		struct group *g = registry_nth(t, i);
		for (size_t j = 0; j < g->nprocs; j++)
			if (g->procs[j].session == session)
				return &g->procs[j];
	}
	return NULL;
}

void descendant_reaped(struct tend *t, pid_t pid, int wait_status, const struct rusage *usage,
		       const struct zombie_info *z)
{
	struct process *owner = by_cgroup(t, z);
	if (!owner)
		owner = by_session(t, z->session);
	struct exit_record rec = { .pid = pid,
				   .ppid = z->ppid,
				   .wait_status = wait_status,
				   .has_usage = true,
				   .usage = *usage,
				   .end_ms = loop_now_ms(&t->loop),
				   .start_wall_ms = z->start_wall_ms,
				   .end_wall_ms = t->sys.ops->wall_ms(&t->sys) };
	memcpy(rec.comm, z->comm, sizeof(rec.comm));
	struct bus_event ev = { .kind = BUS_DESCENDANT_REAPED,
				.proc = owner,
				.group = owner ? owner->group : NULL,
				.exit = &rec };
	bus_publish(&t->bus, &ev);
}
