/* A group that `tendctl run` launched lives as long as what it launched:
 * once its process will not run again (it exited and is not restarted,
 * failed, or was stopped) and nothing of its tree is left (its leftovers
 * stay its tree until then: keep_leftovers), the group is stopped and
 * removed, as systemd collects a transient unit once it is inactive.
 *
 * That happens here, in an after-events hook, never while the bus
 * delivers: whoever keeps records of the exit (BUS_PROCESS_EXITED) has
 * had it before the group goes (BUS_GROUP_GONE, then freed). Not while
 * tend shuts down: the shutdown walks the groups it found at its start. */
#include "core/ephemeral.h"
#include "core/context.h"

#include <string.h>

static bool ended(struct tend *t, struct group *g)
{
	if (g->state == GS_STARTING || g->state == GS_STOPPING || g->start_pending ||
	    g->deps_want_start || g->deps_restart)
		return false;
	for (size_t i = 0; i < g->nprocs; i++)
		if (!process_ended(t, &g->procs[i]))
			return false;
	return true;
}

static void remove_at(struct tend *t, size_t i)
{
	struct group *g = t->groups[i];
	if (group_up(g))
		group_step(t, g, GE_STOP); /* nothing runs: stopped at once */
	tend_log(&t->log, LOG_INFO, "group %s: ended; removed", g->decl.name);
	memmove(&t->groups[i], &t->groups[i + 1], (t->ngroups - i - 1) * sizeof(*t->groups));
	t->ngroups--;
	struct bus_event ev = { .kind = BUS_GROUP_GONE, .group = g };
	bus_publish(&t->bus, &ev);
	group_release_trees(t, g);
	group_free(t, g);
	tend_state_changed(t);
}

bool ephemeral_collect(struct tend *t)
{
	bool removed = false;
	if (!t->ephemeral_due || t->shutting_down)
		return false;
	t->ephemeral_due = false;
	for (size_t i = 0; i < t->ngroups;) {
		if (t->groups[i]->ephemeral && ended(t, t->groups[i])) {
			remove_at(t, i);
			removed = true;
		} else {
			i++;
		}
	}
	if (removed && t->has_links && deps_link(t) < 0)
		tend_log(&t->log, LOG_ERR,
			 "out of memory: requires and after do not hold until a reload");
	return removed;
}
