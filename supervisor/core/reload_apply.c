/* Applying a reload's plan: the difference between the groups tend runs
 * and a new, valid configuration (reading and checking conf.d is the
 * daemon's: daemon/reload.c).
 *
 * Group by group:
 *  - unchanged (same declaration, wherever it is written): not touched;
 *  - only autostart or restart settings changed: updated in place;
 *  - what runs changed: the old group stops, whole trees, and the new one
 *    starts once the old is gone (if the old one was up, or if autostart);
 *  - new: created, started if autostart;
 *  - gone: stopped, then freed.
 * Groups added with `tendctl add` (transient) are not conf.d's: a reload
 * keeps them as they are, after the declared ones (the daemon refuses a
 * conf.d that declares one of their names).
 * Groups on their way out ("retiring") leave t->groups before anything
 * stops, so names stay unique there and every slot holds a declared group;
 * they live in t->retiring until they are down. Finishing them
 * and starting what waited for them happens in reload_finish(), an
 * after-events hook, never inside a state machine's transition. */
#include "core/reload_apply.h"
#include "core/context.h"

#include "base/str.h"

#include <stdlib.h>
#include <string.h>

/* Room for every current group to retire, taken before anything changes,
 * so that nothing can fail half-way through a reload. */
static int reserve_retiring(struct tend *t)
{
	struct group **v = realloc(t->retiring, (t->nretiring + t->ngroups + 1) * sizeof(*v));
	if (!v)
		return -1;
	t->retiring = v;
	return 0;
}

/* The new declaration takes the place of the old one in g, processes keep
 * running; restart windows start afresh with the new limits. */
static void update_in_place(struct tend *t, struct group *g, struct group_decl *decl)
{
	/* g is a current group: plan_group calls this only where
	 * make_new_groups made none, because one of that name runs. The
	 * analyzer does not follow that across the two loops. */
	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
	struct group_decl old = g->decl;
	bool services_changed = !group_decl_services_equal(&old, decl);
	g->decl = *decl;
	memset(decl, 0, sizeof(*decl));
	for (size_t i = 0; i < g->nprocs; i++) {
		struct process *p = &g->procs[i];
		p->decl = &g->decl.procs[i];
		restart_window_free(&p->window);
		restart_window_init(&p->window, p->decl->restart_limit, p->decl->restart_window_ms);
	}
	group_decl_free(&old);
	if (services_changed) { /* the directory follows */
		struct bus_event ev = { .kind = BUS_GROUP_UPDATED, .group = g };
		bus_publish(&t->bus, &ev);
	}
}

/* g joins the retiring groups, with those of the current reload (room
 * reserved by reserve_retiring). */
static void enter_retiring(struct tend *t, struct group *g)
{
	g->retired_in = t->reload_count;
	deps_unlink(g);
	t->retiring[t->nretiring++] = g;
}

/* A group that leaves: replaced by a new declaration, or (NULL) removed. */
struct leaving {
	struct group *g, *replacement;
};

struct reload_plan {
	struct group **groups; /* the new t->groups, in declaration order */
	struct group **made;   /* per new declaration: the group made for it, or NULL */
	size_t ngroups;
	bool *matched; /* per current group: a new declaration has its name */
	/* The current groups by name: 1 + an index into t->groups, 0: empty.
	 * A scan per declaration made a reload of 40 000 groups take 16 s. */
	size_t *by_name;
	size_t by_name_cap; /* a power of two, more than twice t->ngroups */
	struct leaving *leaving;
	size_t nleaving;
	size_t started, restarted, updated, stopped, unchanged;
};

static int index_by_name(struct tend *t, struct reload_plan *pl)
{
	size_t cap = 64;
	while (cap <= 2 * t->ngroups)
		cap *= 2;
	pl->by_name = calloc(cap, sizeof(*pl->by_name));
	if (!pl->by_name)
		return -1;
	pl->by_name_cap = cap;
	for (size_t i = 0; i < t->ngroups; i++) {
		size_t s = str_hash(t->groups[i]->decl.name) & (cap - 1);
		while (pl->by_name[s])
			s = (s + 1) & (cap - 1);
		pl->by_name[s] = i + 1;
	}
	return 0;
}

/* The index in t->groups of the group named name, or -1. */
static long current_group(struct tend *t, const struct reload_plan *pl, const char *name)
{
	size_t mask = pl->by_name_cap - 1;
	for (size_t s = str_hash(name) & mask; pl->by_name[s]; s = (s + 1) & mask)
		if (strcmp(t->groups[pl->by_name[s] - 1]->decl.name, name) == 0)
			return (long)pl->by_name[s] - 1;
	return -1;
}

/* The group now running under decl's name, if any (and marks it matched). */
static struct group *old_group(struct tend *t, struct reload_plan *pl, const char *name)
{
	long i = current_group(t, pl, name);
	if (i < 0)
		return NULL;
	pl->matched[i] = true;
	return t->groups[i];
}

/* Whether decl needs a group of its own: it is new, or what runs changed. */
static bool needs_new_group(const struct group *old, const struct group_decl *decl)
{
	return !old || !group_decl_runs_same(&old->decl, decl);
}

/* The groups the new declarations need, made before anything changes: if
 * one cannot be made (out of memory), the others are undone, their
 * declarations given back, and the running configuration is untouched.
 * (Nothing has seen them yet: made by group_new, never stepped.) */
static int make_new_groups(struct tend *t, struct config *cfg, struct reload_plan *pl)
{
	for (size_t i = 0; i < cfg->ngroups; i++) {
		long at = current_group(t, pl, cfg->groups[i].name);
		if (!needs_new_group(at < 0 ? NULL : t->groups[at], &cfg->groups[i]))
			continue;
		if ((pl->made[i] = group_new(t, &cfg->groups[i])))
			continue;
		for (size_t j = 0; j < i; j++) {
			if (!pl->made[j])
				continue;
			cfg->groups[j] = pl->made[j]->decl;
			free(pl->made[j]);
			pl->made[j] = NULL;
		}
		return -1;
	}
	return 0;
}

/* Decides what becomes of the new declaration i: the group that will hold
 * it. A replaced group is added to the leaving ones. Cannot fail. */
static struct group *plan_group(struct tend *t, struct config *cfg, size_t i,
				struct reload_plan *pl, struct buf *report)
{
	struct group_decl *decl = &cfg->groups[i]; /* emptied if a group was made for it */
	struct group *old = old_group(t, pl, pl->made[i] ? pl->made[i]->decl.name : decl->name);
	if (old && !pl->made[i] && group_decl_equal(&old->decl, decl)) {
		pl->unchanged++;
		return old;
	}
	if (!pl->made[i]) {
		buf_printf(report, "updated %s in place\n", decl->name);
		update_in_place(t, old, decl);
		pl->updated++;
		return old;
	}
	struct group *g = pl->made[i];
	bool start = g->decl.autostart && !(t->placement && g->decl.negotiable);
	if (old) {
		start = group_coming_up(old);
		buf_printf(report, "restarting %s with its new declaration\n", g->decl.name);
		pl->restarted++;
	} else {
		buf_printf(report, "added %s%s\n", g->decl.name, start ? "; starting it" : "");
		pl->started++;
	}
	g->start_pending = start;
	/* the cluster's word carries over; a group that just became
	 * negotiable waits for it (group_step refuses its start) */
	g->placed_here = old && old->placed_here && g->decl.negotiable;
	if (old)
		pl->leaving[pl->nleaving++] = (struct leaving){ old, g };
	return g;
}

/* A leaving group stops, after what requires it (declared, or leaving in
 * the same reload: the stop sees to that); the links are still those of
 * the configuration before. With a replacement, the declared groups that
 * require it are marked to restart with it first. */
static void retire(struct tend *t, const struct leaving *l)
{
	struct bus_event ev = { .kind = l->replacement ? BUS_GROUP_REPLACED : BUS_GROUP_REMOVED,
				.group = l->g,
				.replacement = l->replacement };
	bus_publish(&t->bus, &ev);
	if (l->replacement && t->has_links)
		deps_before_stop(t, l->g, true);
	group_step(t, l->g, GE_STOP);
}

static void plan_free(struct reload_plan *pl)
{
	free(pl->made);
	free(pl->groups);
	free(pl->matched);
	free(pl->leaving);
	free(pl->by_name);
}

int reload_apply(struct tend *t, struct config *cfg, struct buf *report)
{
	struct reload_plan pl = { 0 };
	t->reload_unfinished = true; /* reload_finish() looks at what is left */
	t->reload_count++;
	pl.groups = calloc(cfg->ngroups + t->ngroups + 1, sizeof(*pl.groups));
	pl.matched = calloc(t->ngroups + 1, sizeof(*pl.matched));
	pl.leaving = calloc(t->ngroups + 1, sizeof(*pl.leaving));
	pl.made = calloc(cfg->ngroups + 1, sizeof(*pl.made));
	if (!pl.groups || !pl.matched || !pl.leaving || !pl.made || index_by_name(t, &pl) < 0 ||
	    reserve_retiring(t) < 0 || make_new_groups(t, cfg, &pl) < 0) {
		t->reload_count--;
		plan_free(&pl);
		return -1;
	}
	/* From here on nothing can fail. */
	for (size_t i = 0; i < cfg->ngroups; i++)
		pl.groups[pl.ngroups++] = plan_group(t, cfg, i, &pl, report);
	for (size_t i = 0; i < t->ngroups; i++) {
		if (t->groups[i]->transient && !pl.matched[i])
			pl.groups[pl.ngroups++] = t->groups[i];
		if (pl.matched[i] || t->groups[i]->transient)
			continue;
		buf_printf(report, "removed %s; stopping it\n", t->groups[i]->decl.name);
		pl.stopped++;
		pl.leaving[pl.nleaving++] = (struct leaving){ t->groups[i], NULL };
	}
	/* The new list is in place before anything stops: whatever a stop
	 * makes happen sees only declared groups there. Retiring groups keep
	 * their names out of it, and are matched by name (retired_in). */
	for (size_t i = 0; i < pl.nleaving; i++)
		enter_retiring(t, pl.leaving[i].g);
	free(t->groups);
	t->groups = pl.groups;
	t->ngroups = pl.ngroups;
	pl.groups = NULL;
	for (size_t i = 0; i < pl.nleaving; i++)
		retire(t, &pl.leaving[i]);
	plan_free(&pl);
	if (deps_link(t) < 0)
		return -1; /* out of memory: no requires or after hold until the next reload */
	buf_printf(report,
		   "%zu added, %zu restarted, %zu updated in place, %zu removed, %zu unchanged",
		   pl.started, pl.restarted, pl.updated, pl.stopped, pl.unchanged);
	return 0;
}

bool reload_finish(struct tend *t)
{
	bool progressed = false;
	/* Runs after every batch of events: only look when a reload left work. */
	if (!t->reload_unfinished)
		return false;
	for (size_t i = 0; i < t->nretiring;) {
		struct group *g = t->retiring[i];
		if (g->state != GS_STOPPED && g->state != GS_FAILED) {
			i++;
			continue;
		}
		tend_log(&t->log, LOG_INFO, "group %s: gone", g->decl.name);
		struct bus_event ev = { .kind = BUS_GROUP_GONE, .group = g };
		bus_publish(&t->bus, &ev);
		group_release_trees(t, g);
		group_free(t, g);
		t->retiring[i] = t->retiring[--t->nretiring];
		tend_state_changed(t);
		progressed = true;
	}
	/* New declarations start once their old group is gone. */
	bool waiting = false;
	for (size_t i = 0; i < t->ngroups && !t->shutting_down; i++) {
		struct group *g = t->groups[i];
		if (g->start_pending && !registry_retiring(t, g->decl.name)) {
			g->start_pending = false;
			group_step(t, g, GE_START);
			progressed = true;
		}
		waiting |= g->start_pending;
	}
	t->reload_unfinished = t->nretiring > 0 || waiting;
	return progressed;
}

int reload_remove_group(struct tend *t, struct group *g)
{
	size_t i = 0;
	while (i < t->ngroups && t->groups[i] != g)
		i++;
	if (i == t->ngroups || reserve_retiring(t) < 0)
		return -1;
	memmove(&t->groups[i], &t->groups[i + 1], (t->ngroups - i - 1) * sizeof(*t->groups));
	t->ngroups--;
	t->reload_count++; /* it retires on its own */
	enter_retiring(t, g);
	t->reload_unfinished = true; /* reload_finish() frees it once down */
	retire(t, &(struct leaving){ g, NULL });
	if (deps_link(t) < 0) /* it is removed all the same */
		tend_log(&t->log, LOG_ERR,
			 "out of memory: requires and after do not hold until a reload");
	return 0;
}
