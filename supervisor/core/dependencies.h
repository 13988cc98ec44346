/* Dependencies between groups: `requires` and `after` (see dependencies.c).
 * A plain graph over the declared groups, resolved from their declarations
 * after set-up and after every reload. */
#ifndef TEND_DEPENDENCIES_H
#define TEND_DEPENDENCIES_H

#include <stdbool.h>
#include <stddef.h>

struct tend;
struct group;
struct buf;

/* What a group's declaration names, resolved to the declared groups. */
struct group_links {
	struct group **requires;
	size_t nrequires;
	struct group **after;
	size_t nafter;
};

/* Resolves requires and after of every declared group (t->has_links says
 * whether any has one). -1 when out of memory (then no group has links). */
int deps_link(struct tend *t);
/* Forgets g's links (it is freed, or retires). */
void deps_unlink(struct group *g);

/* A start of g: the groups it requires are asked to start too; its own
 * processes wait until they run (deps_run). */
void deps_before_start(struct tend *t, struct group *g);
/* A stop of g (restart: it starts again afterwards): the declared groups
 * that require it are stopped first (and started again with a restart);
 * true when its own processes must wait for them. */
bool deps_before_stop(struct tend *t, struct group *g, bool restart);

/* A stop by hand of g outweighs a start or restart of it that a
 * dependency asked for: calls those off. */
void deps_call_off(struct group *g);

/* After every batch of events (a loop hook): carries out the starts and
 * stops the dependencies asked for and lets waiting groups go on, until
 * nothing more changes. true when it changed anything. */
bool deps_run(struct tend *t);

/* Every declared group in an order to start them: each after the groups it
 * requires or is after, else in declaration order. A shutdown stops them
 * in its reverse. NULL when no group has links (then declaration order is
 * that order); free it. */
struct group **deps_start_order(struct tend *t);

/* For status: the names g waits for before it starts, comma-separated,
 * appended to out ("" when it waits for nothing). */
void deps_waiting_for(const struct group *g, struct buf *out, bool json);

#endif
