/* Dependencies between groups, as a group declares them:
 *  - requires = { "db" }: starting this group starts db first, and its
 *    processes start only once db runs; if db fails (or stops) before, this
 *    group fails; when db stops (or restarts), this group is stopped first
 *    (and started again once db runs again);
 *  - after = { "cache" }: ordering only: when both start, this group's
 *    processes wait until cache has started (or failed).
 * Shutdown stops groups in the reverse of that order.
 *
 * The group machine marks what it needs (a start that waits, a stop that
 * waits, a start or stop asked of another group) and the work is done here,
 * from an after-events hook of the loop: never inside another group's
 * transition, and without recursion however long a chain of requires is.
 * Groups without requires or after never come here (t->has_links). */
#include "core/dependencies.h"
#include "core/context.h"
#include "libtend/cmdline.h"

#include <stdlib.h>
#include <string.h>

static struct group **resolve(struct tend *t, char **names, size_t *n)
{
	size_t count = argv_count(names);
	*n = 0;
	if (!count)
		return NULL;
	struct group **v = calloc(count, sizeof(*v));
	for (size_t i = 0; v && i < count; i++) {
		/* count > 0: names is not NULL (argv_count is in another file). */
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
		struct group *g = tend_find_group(t, names[i]);
		if (g) /* the parser made sure it is declared */
			v[(*n)++] = g;
	}
	return v;
}

void deps_unlink(struct group *g)
{
	if (!g->links)
		return;
	free(g->links->requires);
	free(g->links->after);
	free(g->links);
	g->links = NULL;
}

void deps_call_off(struct group *g)
{
	g->deps_restart = g->deps_want_start = false;
}

/* Whether g still takes part: retiring in order, or waiting or asked for
 * something by a dependency. */
static bool pending(const struct group *g)
{
	return (g->retired_in && g->decl.requires) || g->deps_wait_start || g->deps_wait_stop ||
	       g->deps_want_start || g->deps_want_stop || g->deps_restart;
}

/* One group's links; -1 when out of memory. */
static int link_group(struct tend *t, struct group *g)
{
	deps_unlink(g);
	if (!g->decl.requires && !g->decl.after)
		return 0;
	struct group_links *l = calloc(1, sizeof(*l));
	if (!l)
		return -1;
	g->links = l;
	l->requires = resolve(t, g->decl.requires, &l->nrequires);
	l->after = resolve(t, g->decl.after, &l->nafter);
	if ((g->decl.requires && !l->requires) || (g->decl.after && !l->after))
		return -1;
	t->has_links = true;
	return 0;
}

int deps_link(struct tend *t)
{
	int rc = 0;
	t->has_links = false;
	for (size_t i = 0; i < t->ngroups && rc == 0; i++)
		rc = link_group(t, t->groups[i]);
	if (rc < 0) {
		for (size_t i = 0; i < t->ngroups; i++)
			deps_unlink(t->groups[i]);
		t->has_links = false;
	}
	/* Groups retiring in order (retired_requiring) need deps_run too, and
	 * so does every group still waiting or asked for something: its links
	 * may have gone with this reload, and one more pass lets it go on. */
	for (size_t i = 0; i < registry_count(t); i++)
		t->has_links |= pending(registry_nth(t, i));
	t->deps_dirty = t->has_links;
	return rc;
}

void deps_before_start(struct tend *t, struct group *g)
{
	if (!g->links)
		return;
	g->deps_wait_start = true;
	for (size_t i = 0; i < g->links->nrequires; i++) {
		struct group *r = g->links->requires[i];
		if (!group_up(r))
			r->deps_want_start = true;
	}
	t->deps_dirty = true;
}

/* Whether d requires g: by the link, or, for a g that is no longer
 * declared (a reload replaced or removed it), by its name. */
static bool requires(const struct group *d, const struct group *g, bool declared)
{
	for (size_t i = 0; i < d->links->nrequires; i++) {
		const struct group *r = d->links->requires[i];
		if (r == g || (!declared && strcmp(r->decl.name, g->decl.name) == 0))
			return true;
	}
	return false;
}

/* Whether retiring d required retiring g, both retired by one reload: they
 * were declared together, so their requires had no cycle. (Retiring groups
 * have no links: they are matched by name. A declared group never waits for
 * a retiring one: two configurations together may well have a cycle.) */
static bool retired_requiring(const struct group *d, const struct group *g, bool declared)
{
	if (declared || d == g || d->retired_in != g->retired_in)
		return false;
	for (size_t i = 0; d->decl.requires && d->decl.requires[i]; i++)
		if (strcmp(d->decl.requires[i], g->decl.name) == 0)
			return true;
	return false;
}

bool deps_before_stop(struct tend *t, struct group *g, bool restart)
{
	bool wait = false, declared = !g->retired_in;
	g->deps_wait_start = false;
	for (size_t i = 0; t->has_links && i < t->ngroups; i++) {
		struct group *d = t->groups[i];
		if (!d->links || d == g || !requires(d, g, declared))
			continue;
		/* One that still waits to start has nothing running: its own
		 * verdict (may_start) decides whether it fails or waits on. */
		if (d->deps_wait_start)
			continue;
		if (group_up(d)) {
			d->deps_want_stop = true;
			d->deps_restart |= restart;
			wait = true;
		} else if (d->state == GS_STOPPING) {
			d->deps_restart |= restart && d->after_stop == GS_STARTING;
			wait = true;
		}
	}
	for (size_t i = 0; i < t->nretiring; i++) {
		const struct group *d = t->retiring[i];
		wait |=
		    retired_requiring(d, g, declared) && (group_up(d) || d->state == GS_STOPPING);
	}
	g->deps_wait_stop = wait;
	t->deps_dirty |= wait;
	return wait;
}

/* Nothing that requires g is up or stopping any more. */
static bool dependents_down(struct tend *t, struct group *g)
{
	bool declared = !g->retired_in;
	for (size_t i = 0; i < t->ngroups; i++) {
		struct group *d = t->groups[i];
		if (d->links && d != g && requires(d, g, declared) && !d->deps_wait_start &&
		    (group_up(d) || d->state == GS_STOPPING))
			return false;
	}
	for (size_t i = 0; i < t->nretiring; i++) {
		const struct group *d = t->retiring[i];
		if (retired_requiring(d, g, declared) && (group_up(d) || d->state == GS_STOPPING))
			return false;
	}
	return true;
}

enum verdict { GO, WAIT, FAIL };

/* Whether d keeps a group that requires it (required) or is after it from
 * starting its processes: one it requires must run; one it is after must
 * have started (or not be about to). */
static bool holds_back(const struct group *d, bool required)
{
	return d->state != GS_RUNNING && (required || group_coming_up(d));
}

/* Whether g's processes may start. *why: the group that decided. */
static enum verdict may_start(const struct group *g, const struct group **why)
{
	for (size_t i = 0; i < g->links->nrequires; i++) {
		const struct group *r = g->links->requires[i];
		*why = r;
		if (holds_back(r, true))
			return group_coming_up(r) ? WAIT : FAIL;
	}
	for (size_t i = 0; i < g->links->nafter; i++) {
		const struct group *a = g->links->after[i];
		*why = a;
		if (holds_back(a, false))
			return WAIT;
	}
	return GO;
}

/* One group's part of a pass; true when it changed anything. */
static bool step(struct tend *t, struct group *g)
{
	const struct group *why = NULL;
	if (g->deps_want_stop) {
		g->deps_want_stop = false;
		if (group_up(g)) {
			group_step(t, g, GE_STOP);
			return true;
		}
	}
	if (t->shutting_down) {
		g->deps_want_start = g->deps_restart = false;
	} else if (g->deps_want_start) {
		g->deps_want_start = false;
		if (!group_up(g) && !registry_hold_request(t, g, true)) {
			group_step(t, g, GE_START);
			return true;
		}
	} else if (g->deps_restart && !group_up(g) && g->state != GS_STOPPING) {
		/* Down for a restart of what it requires: up again once that
		 * runs, or not at all when it failed. */
		enum verdict v = g->links ? may_start(g, &why) : GO;
		g->deps_restart = false;
		if (v != FAIL && !g->retired_in && !registry_hold_request(t, g, true)) {
			group_step(t, g, GE_START); /* and waits (deps_wait_start) */
			return true;
		}
	}
	if (g->state == GS_STARTING && g->deps_wait_start) {
		/* No links: a reload took its requires and after away. */
		enum verdict v = g->links ? may_start(g, &why) : GO;
		if (v == WAIT)
			return false;
		g->deps_wait_start = false;
		if (v == FAIL) {
			tend_log(&t->log, LOG_WARN,
				 "group %s: not started: it requires %s, which is %s", g->decl.name,
				 why->decl.name, group_state_name(why->state));
			group_refuse_start(t, g);
		} else {
			group_evaluate(t, g);
		}
		return true;
	}
	if (g->state == GS_STOPPING && g->deps_wait_stop && dependents_down(t, g)) {
		g->deps_wait_stop = false;
		group_evaluate(t, g);
		return true;
	}
	return false;
}

bool deps_run(struct tend *t)
{
	bool any = false;
	/* Each pass may let the next group of a chain go on: again until a
	 * pass changes nothing. */
	while (t->deps_dirty) {
		t->deps_dirty = false;
		bool changed = false;
		for (size_t i = 0; i < registry_count(t); i++)
			changed |= step(t, registry_nth(t, i));
		t->deps_dirty |= changed;
		any |= changed;
	}
	return any;
}

/* The k-th group g must start after (requires, then after); NULL past the last. */
static struct group *nth_dep(const struct group *g, size_t k)
{
	if (!g->links)
		return NULL;
	if (k < g->links->nrequires)
		return g->links->requires[k];
	k -= g->links->nrequires;
	return k < g->links->nafter ? g->links->after[k] : NULL;
}

struct group **deps_start_order(struct tend *t)
{
	size_t n = t->ngroups, done = 0;
	if (!t->has_links)
		return NULL;
	struct group **order = calloc(n, sizeof(*order));
	struct group **stack = calloc(n, sizeof(*stack));
	size_t *next = calloc(n, sizeof(*next));
	if (!order || !stack || !next) {
		free(order), free(stack), free(next);
		return NULL;
	}
	/* Depth first from each group in declaration order: a group after
	 * everything it requires or is after (the parser ruled out cycles). No
	 * recursion: a chain may be thousands long. */
	for (size_t i = 0; i < n; i++)
		t->groups[i]->deps_mark = 0;
	for (size_t i = 0; i < n; i++) {
		if (t->groups[i]->deps_mark)
			continue;
		size_t top = 0;
		stack[0] = t->groups[i];
		next[0] = 0;
		stack[0]->deps_mark = 1;
		for (;;) {
			struct group *d = nth_dep(stack[top], next[top]++);
			if (d && !d->deps_mark) {
				d->deps_mark = 1;
				stack[++top] = d;
				next[top] = 0;
			} else if (!d) {
				order[done++] = stack[top];
				if (top-- == 0)
					break;
			}
		}
	}
	free(stack), free(next);
	return order;
}

void deps_waiting_for(const struct group *g, struct buf *out, bool json)
{
	if (!g->links || !g->deps_wait_start || g->state != GS_STARTING)
		return;
	bool first = true;
	for (int w = 0; w < 2; w++) {
		struct group **deps = w ? g->links->after : g->links->requires;
		size_t nd = w ? g->links->nafter : g->links->nrequires;
		for (size_t k = 0; k < nd; k++) {
			const struct group *d = deps[k];
			if (!holds_back(d, w == 0))
				continue;
			buf_printf(out, json ? "%s\"%s\"" : "%s%s", first ? "" : ",", d->decl.name);
			first = false;
		}
	}
}
