/* Replies that wait: `start`, `stop` and `restart` answer once the group or
 * process has settled (up, down, or failed), not when the request was
 * taken. A subscriber: every BUS_CHANGED looks at the waiting clients, and
 * BUS_GROUP_GONE answers those that wait for a group about to be freed.
 * Only answers: requests queued behind a wait run later, from
 * control_after_events(), never inside a state machine's transition. */
#include "control/commands.h"
#include "control/server.h"
#include "core/context.h"

#include <string.h>

static bool process_settled(struct client *c, struct process *p, bool want_up)
{
	char label[2 * NAME_MAX_LEN + 2], how[64];
	process_label(p, label, sizeof(label));
	switch (p->state) {
	case PS_RUNNING:
		if (want_up)
			client_ok(c, "%s running (pid %d)", label, (int)p->pid);
		else
			client_err(c, "%s was started again before it stopped", label);
		return true;
	case PS_DONE:
		client_ok(c, "%s done", label);
		return true;
	case PS_STOPPED:
	case PS_FAILED:
		if (!want_up) {
			client_ok(c, "%s %s", label, proc_state_name(p->state));
		} else if (p->last_spawn_errno) {
			client_err(c, "%s %s: cannot start: %s", label, proc_state_name(p->state),
				   strerror(p->last_spawn_errno));
		} else {
			describe_wait_status(p->last_status, how, sizeof(how));
			client_err(c, "%s %s (last %s)", label, proc_state_name(p->state), how);
		}
		return true;
	case PS_STARTING:
	case PS_BACKOFF:
		if (want_up)
			return false;
		client_err(c, "%s was started again before it stopped", label);
		return true;
	default:
		return false;
	}
}

static bool group_settled(struct client *c, struct group *g, bool want_up)
{
	switch (g->state) {
	case GS_RUNNING:
	case GS_STARTING:
		if (!want_up) {
			client_err(c, "group %s was started again before it stopped", g->decl.name);
			return true;
		}
		if (g->state == GS_STARTING)
			return false;
		client_ok(c, "group %s running", g->decl.name);
		return true;
	case GS_STOPPED:
		if (want_up)
			client_err(c, "group %s stopped", g->decl.name);
		else
			client_ok(c, "group %s stopped", g->decl.name);
		return true;
	case GS_FAILED:
		if (want_up)
			client_err(c, "group %s failed (see tend's log)", g->decl.name);
		else
			client_ok(c, "group %s failed", g->decl.name);
		return true;
	default:
		return false;
	}
}

/* `run --wait` is answered when its group is removed (group_gone); while
 * tend shuts down groups are not removed, so a stopped one answers then. */
static bool run_settled(struct client *c, struct group *g)
{
	if (!c->ctl->t->shutting_down || (g->state != GS_STOPPED && g->state != GS_FAILED))
		return false;
	run_answer(c, g);
	return true;
}

bool wait_settled(struct client *c)
{
	struct client_wait *w = &c->wait;
	if (w->reload)
		return false; /* a reload's report: control_reload_done */
	bool done = w->until_gone ? run_settled(c, w->group)
		    : w->proc	  ? process_settled(c, w->proc, w->want_up)
				  : group_settled(c, w->group, w->want_up);
	if (done)
		w->active = false;
	return done;
}

/* A group is about to be freed: clients waiting on it are answered. */
static void group_gone(struct control *ctl, struct group *g)
{
	for (struct client *c = ctl->clients; c; c = c->next) {
		if (c->wait.active && c->wait.group == g) {
			/* A stop asked for has happened; a start will not. */
			c->wait.active = false;
			if (c->wait.until_gone)
				run_answer(c, g);
			else if (c->wait.want_up)
				client_err(c, "group %s was removed by a reload", g->decl.name);
			else
				client_ok(c, "group %s stopped", g->decl.name);
			client_flush(c);
		}
	}
}

void waiters_on_event(void *ctx, const struct bus_event *ev)
{
	struct control *ctl = ctx;
	if (ev->kind == BUS_GROUP_GONE) {
		group_gone(ctl, ev->group);
		return;
	}
	for (struct client *c = ctl->clients; c; c = c->next)
		if (c->wait.active && wait_settled(c))
			client_flush(c);
}
