#include "core/shutdown.h"
#include "core/context.h"

const char *shutdown_kind_name(enum shutdown_kind k)
{
	static const char *const names[] = { [SHUTDOWN_EXIT] = "exit",
					     [SHUTDOWN_REBOOT] = "reboot",
					     [SHUTDOWN_POWEROFF] = "poweroff",
					     [SHUTDOWN_HALT] = "halt" };
	return names[k];
}

/* Stops groups one at a time, the last to start first: the last declared,
 * unless requires or after say otherwise. */
void shutdown_advance(struct tend *t)
{
	/* Stopping a group reports back through tend_state_changed(); the loop
	 * below re-reads every state, so a nested call has nothing to add. */
	if (t->shutdown_advancing)
		return;
	t->shutdown_advancing = true;
	while (t->shutdown_cursor > 0) {
		size_t i = t->shutdown_cursor - 1;
		struct group *g = t->start_order ? t->start_order[i] : t->groups[i];
		if (group_up(g)) {
			tend_log(&t->log, LOG_INFO, "shutdown: stopping group %s; %s", g->decl.name,
				 "waiting for each process up to its stop-timeout, then SIGKILL");
			group_step(t, g, GE_STOP);
		}
		if (g->state == GS_STOPPING)
			break;
		t->shutdown_cursor--;
	}
	t->shutdown_advancing = false;
	if (t->shutdown_cursor > 0)
		return;
	/* Exit only with nothing left running, whatever happened meanwhile. */
	if (t->nretiring)
		return; /* reload_finish() calls back when they are gone */
	for (size_t i = 0; i < t->ngroups; i++) {
		enum group_state s = t->groups[i]->state;
		if (s != GS_STOPPED && s != GS_FAILED) {
			t->shutdown_cursor = t->ngroups;
			shutdown_advance(t);
			return;
		}
	}
	tend_log(&t->log, LOG_INFO, "all groups stopped%s",
		 t->shutdown_kind == SHUTDOWN_EXIT ? "; exiting" : "");
	loop_quit(&t->loop);
}

void tend_begin_shutdown(struct tend *t, enum shutdown_kind kind)
{
	if (t->shutting_down) {
		tend_log(&t->log, LOG_WARN, "shutdown already under way");
		return;
	}
	t->shutting_down = true;
	t->shutdown_kind = kind;
	/* The reverse of the start order: what requires or is after others
	 * stops before them (without it, out of memory: declaration order). */
	t->start_order = deps_start_order(t);
	t->shutdown_cursor = t->ngroups;
	shutdown_advance(t);
}
