#include "core/startup.h"
#include "core/context.h"

#include <malloc.h>

/* A group whose process a dead tend left running and this one adopted was
 * running: it starts (what is not adopted joins it) even if not autostart. */
static bool has_adopted(const struct group *g)
{
	for (size_t i = 0; i < g->nprocs; i++)
		if (g->procs[i].adopted)
			return true;
	return false;
}

void tend_start(struct tend *t)
{
	t->started_ms = loop_now_ms(&t->loop);
	for (size_t i = 0; i < t->ngroups; i++)
		if ((t->groups[i]->decl.autostart || has_adopted(t->groups[i])) &&
		    !group_placed(t, t->groups[i]))
			group_step(t, t->groups[i], GE_START);
	t->startup_requested = true;
	startup_report_if_finished(t);
}

/* Once, when no autostart group is still starting: how many came up. As
 * PID 1 the console line's timestamp is the boot-to-ready time. */
void startup_report_if_finished(struct tend *t)
{
	size_t autostart = 0, running = 0;

	if (!t->startup_requested || t->startup_reported || t->shutting_down)
		return;
	for (size_t i = 0; i < t->ngroups; i++) {
		const struct group *g = t->groups[i];
		if (!g->decl.autostart || group_placed(t, g))
			continue;
		if (g->state == GS_STARTING || g->start_pending) /* a reload's, held */
			return;
		autostart++;
		running += g->state == GS_RUNNING;
	}
	t->startup_reported = true;
	malloc_trim(0); /* what starting everything left freed */
	tend_log(&t->log, LOG_INFO,
		 "startup finished: %zu of %zu autostart groups running, after %llu ms", running,
		 autostart, (unsigned long long)(loop_now_ms(&t->loop) - t->started_ms));
}
