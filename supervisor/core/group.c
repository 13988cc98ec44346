#include "core/group.h"
#include "sys/log.h"
#include "core/context.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[GS__COUNT] = {
	[GS_STOPPED] = "stopped",   [GS_STARTING] = "starting", [GS_RUNNING] = "running",
	[GS_STOPPING] = "stopping", [GS_FAILED] = "failed",
};

const char *group_state_name(enum group_state s)
{
	return s < GS__COUNT ? state_names[s] : "?";
}

struct group *group_new(struct tend *t, struct group_decl *decl)
{
	/* One allocation for the group and its processes. */
	struct group *g = calloc(1, sizeof(*g) + decl->nprocs * sizeof(g->procs[0]));
	if (!g)
		return NULL;
	g->decl = *decl;
	g->tend = t;
	memset(decl, 0, sizeof(*decl));
	g->state = GS_STOPPED;
	g->after_stop = GS_STOPPED;
	for (size_t i = 0; i < g->decl.nprocs; i++, g->nprocs++)
		process_init(&g->procs[i], g, &g->decl.procs[i]);
	return g;
}

void group_free(struct tend *t, struct group *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nprocs; i++)
		process_free(t, &g->procs[i]);
	deps_unlink(g);
	group_decl_free(&g->decl);
	free(g);
}

void group_release_trees(struct tend *t, struct group *g)
{
	for (size_t i = 0; i < g->nprocs; i++) {
		struct tree tree = process_tree(&g->procs[i]);
		tracker_release_tree(&t->tracker, &tree);
	}
	tracker_release_group(&t->tracker, g->decl.tenant, g->decl.name);
}

struct process *group_find_process(struct group *g, const char *name)
{
	for (size_t i = 0; i < g->nprocs; i++)
		if (strcmp(g->procs[i].decl->name, name) == 0)
			return &g->procs[i];
	return NULL;
}

bool group_allows_restart(const struct group *g)
{
	return (g->state == GS_STARTING && !g->deps_wait_start) || g->state == GS_RUNNING;
}

bool group_placed(const struct tend *t, const struct group *g)
{
	return t->placement && g->decl.negotiable;
}

bool group_up(const struct group *g)
{
	return g->state == GS_STARTING || g->state == GS_RUNNING;
}

bool group_coming_up(const struct group *g)
{
	return group_up(g) || g->start_pending || g->deps_want_start || g->deps_restart ||
	       (g->state == GS_STOPPING && g->after_stop == GS_STARTING);
}

static void set_state(struct tend *t, struct group *g, enum group_state s)
{
	if (g->state == s)
		return;
	tend_log(&t->log, s == GS_FAILED ? LOG_WARN : LOG_INFO, "group %s: %s", g->decl.name,
		 group_state_name(s));
	g->state = s;
	t->deps_dirty |= t->has_links; /* a group may wait on this one (dependencies.c) */
	struct bus_event ev = { .kind = BUS_GROUP_STATE, .group = g };
	bus_publish(&t->bus, &ev);
	tend_state_changed(t);
}

/* forget: a person asked, so earlier failures are forgotten (a critical
 * process that failed last time must not fail the group before it runs
 * again). A restart of the group that a dependent process caused forgets
 * nothing, so restart-limit still bounds it. */
static void begin_start(struct tend *t, struct group *g, bool forget)
{
	if (forget)
		for (size_t i = 0; i < g->nprocs; i++)
			process_step(t, &g->procs[i], PE_RESET);
	g->cursor = 0;
	g->cursor_sent = false;
	deps_before_start(t, g);
	set_state(t, g, GS_STARTING);
	group_evaluate(t, g);
}

static void begin_stop(struct tend *t, struct group *g, enum group_state after)
{
	g->after_stop = after;
	g->cursor = g->nprocs;
	g->cursor_sent = false;
	if (t->has_links)
		deps_before_stop(t, g, after == GS_STARTING);
	set_state(t, g, GS_STOPPING);
	group_evaluate(t, g);
}

void group_refuse_start(struct tend *t, struct group *g)
{
	begin_stop(t, g, GS_FAILED);
}

/* Starts processes in order; each waits for the one before it to be up.
 * After telling a process anything it returns whenever the group must be
 * looked at again (evaluate_again): the change may have been a critical
 * failure, and the next pass sees it before anything else starts. */
static void advance_start(struct tend *t, struct group *g)
{
	if (g->deps_wait_start)
		return; /* what it requires is not up yet (dependencies.c) */
	while (g->cursor < g->nprocs) {
		struct process *p = &g->procs[g->cursor];
		if (!g->cursor_sent) {
			g->cursor_sent = true;
			process_step(t, p, PE_START);
			if (g->evaluate_again)
				return;
		}
		if (p->state == PS_STARTING || p->state == PS_BACKOFF || p->state == PS_STOPPING ||
		    p->state == PS_ABORTING)
			return;
		g->cursor++;
		g->cursor_sent = false;
	}
	set_state(t, g, GS_RUNNING);
}

/* Stops processes in reverse order; each waits for the one after it to be gone. */
static void advance_stop(struct tend *t, struct group *g)
{
	if (g->deps_wait_stop)
		return; /* what requires it is not down yet (dependencies.c) */
	while (g->cursor > 0) {
		struct process *p = &g->procs[g->cursor - 1];
		bool down = p->state == PS_STOPPED || p->state == PS_FAILED;
		/* Told once; told again if something started it meanwhile. */
		if (!g->cursor_sent || (!down && p->state != PS_STOPPING)) {
			g->cursor_sent = true;
			process_step(t, p, PE_STOP);
			if (g->evaluate_again)
				return;
		}
		if (p->state != PS_STOPPED && p->state != PS_FAILED)
			return;
		g->cursor--;
		g->cursor_sent = false;
	}
	if (g->after_stop == GS_STARTING)
		begin_start(t, g, g->restart_forgets);
	else
		set_state(t, g, g->after_stop);
}

static struct process *failed_critical(struct group *g)
{
	for (size_t i = 0; i < g->nprocs; i++)
		if (g->procs[i].decl->critical && g->procs[i].state == PS_FAILED)
			return &g->procs[i];
	return NULL;
}

/* A dependent process whose restart-delay is over takes the group with it. */
static struct process *dependent_exited(struct group *g)
{
	struct process *found = NULL;
	for (size_t i = 0; i < g->nprocs; i++) {
		if (g->procs[i].group_restart_due && !found)
			found = &g->procs[i];
		g->procs[i].group_restart_due = false;
	}
	return found;
}

static void evaluate_once(struct tend *t, struct group *g)
{
	struct process *p;

	switch (g->state) {
	case GS_STARTING:
	case GS_RUNNING:
		if ((p = failed_critical(g))) {
			tend_log(&t->log, LOG_WARN,
				 "group %s: critical process %s failed; stopping the group",
				 g->decl.name, p->decl->name);
			begin_stop(t, g, GS_FAILED);
		} else if ((p = dependent_exited(g))) {
			tend_log(&t->log, LOG_INFO,
				 "group %s: dependent process %s exited; restarting the group",
				 g->decl.name, p->decl->name);
			g->restart_forgets = false;
			begin_stop(t, g, GS_STARTING);
		} else if (g->state == GS_STARTING) {
			advance_start(t, g);
		}
		break;
	case GS_STOPPING:
		advance_stop(t, g);
		break;
	default:
		break;
	}
}

void group_evaluate(struct tend *t, struct group *g)
{
	/* A process changing state while we act on the group would re-enter here;
	 * note it and evaluate again once the current pass is finished. */
	if (g->evaluating) {
		g->evaluate_again = true;
		return;
	}
	g->evaluating = true;
	do {
		g->evaluate_again = false;
		evaluate_once(t, g);
	} while (g->evaluate_again);
	g->evaluating = false;
}

typedef void request_fn(struct tend *t, struct group *g);

static void req_start(struct tend *t, struct group *g)
{
	begin_start(t, g, true);
}

/* start on a running group: what failed gets another chance. */
static void req_start_failed(struct tend *t, struct group *g)
{
	for (size_t i = 0; i < g->nprocs; i++) {
		struct process *p = &g->procs[i];
		if (p->state == PS_FAILED) {
			process_step(t, p, PE_RESET);
			process_step(t, p, PE_START);
		}
	}
}

static void req_stop(struct tend *t, struct group *g)
{
	begin_stop(t, g, GS_STOPPED);
}

static void req_restart(struct tend *t, struct group *g)
{
	g->restart_forgets = true;
	begin_stop(t, g, GS_STARTING);
}

static void req_stop_ends_started(struct tend *t, struct group *g)
{
	(void)t;
	g->restart_forgets = true;
	g->after_stop = GS_STARTING;
}

static void req_stop_ends_stopped(struct tend *t, struct group *g)
{
	(void)t;
	if (g->after_stop != GS_FAILED) /* a failure being handled stays on record */
		g->after_stop = GS_STOPPED;
}

static void req_forget_failure(struct tend *t, struct group *g)
{
	set_state(t, g, GS_STOPPED);
}

/* A request that asks for what the group already does. */
static void nothing(struct tend *t, struct group *g)
{
	(void)t;
	(void)g;
}

/* requests[state][event], every pair written out. */
static request_fn *const requests[GS__COUNT][GE__COUNT] = {
	[GS_STOPPED] = { [GE_START] = req_start, [GE_STOP] = nothing, [GE_RESTART] = req_start },
	[GS_STARTING] = { [GE_START] = nothing, [GE_STOP] = req_stop, [GE_RESTART] = req_restart },
	[GS_RUNNING] = { [GE_START] = req_start_failed,
			 [GE_STOP] = req_stop,
			 [GE_RESTART] = req_restart },
	[GS_STOPPING] = { [GE_START] = req_stop_ends_started,
			  [GE_STOP] = req_stop_ends_stopped,
			  [GE_RESTART] = req_stop_ends_started },
	[GS_FAILED] = { [GE_START] = req_start,
			[GE_STOP] = req_forget_failure,
			[GE_RESTART] = req_start },
};

void group_step(struct tend *t, struct group *g, enum group_event ev)
{
	if (bus_delivering(&t->bus))
		tend_bug(t, "group %s was stepped while an event was being delivered",
			 g->decl.name);
	/* Whoever asks (a dependency, a held start, a reload), a negotiable
	 * group starts only where the cluster put it: else two could run. */
	if (ev != GE_STOP && group_placed(t, g) && !g->placed_here) {
		tend_log(&t->log, LOG_DEBUG, "group %s: not started: the cluster runs it elsewhere",
			 g->decl.name);
		return;
	}
	requests[g->state][ev](t, g);
}
