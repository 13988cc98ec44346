/* A group of processes started in declaration order and stopped in reverse.
 * The group does not react to single transitions but re-evaluates its
 * processes' states after every change (group_evaluate), so nested changes
 * (a start that fails at once) cannot confuse it. */
#ifndef TEND_GROUP_H
#define TEND_GROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "core/dependencies.h"
#include "core/process.h"

struct tend;

enum group_state { GS_STOPPED, GS_STARTING, GS_RUNNING, GS_STOPPING, GS_FAILED, GS__COUNT };

enum group_event { GE_START, GE_STOP, GE_RESTART, GE__COUNT };

struct group {
	struct group_decl decl; /* owned */
	struct tend *tend;	/* whose it is: callbacks from the loop find it here */
	size_t nprocs;
	size_t cursor; /* starting: next to start; stopping: one past next to stop */
	enum group_state state;
	enum group_state after_stop; /* where a stop sequence ends: stopped, failed or starting */
	bool cursor_sent;	     /* the process at the cursor was already told */
	bool restart_forgets;	     /* that start forgets failures (a person asked for it) */
	bool start_pending;	     /* reload: start once the old group of this name is gone */
	bool transient;		     /* added by `tendctl add` or `run`, not declared in conf.d */
	bool ephemeral;		     /* `tendctl run`: removed once it has ended (ephemeral.c) */
	bool placed_here;	     /* negotiable: the cluster runs it here; else no start is taken */
	bool evaluating;
	bool evaluate_again;
	/* requires and after (dependencies.c): */
	bool deps_wait_start;	   /* starting: its processes wait until what it requires runs */
	bool deps_wait_stop;	   /* stopping: its processes wait until what requires it is down */
	bool deps_want_start;	   /* a group that requires it starts: start it */
	bool deps_want_stop;	   /* a group it requires stops: stop it first */
	bool deps_restart;	   /* ... and start it again once that runs again */
	unsigned char deps_mark;   /* the stop order's walk */
	unsigned retired_in;	   /* retiring: the reload that retired it (t->reload_count) */
	struct group_links *links; /* its requires and after, resolved; NULL: none */
	struct process procs[];	   /* nprocs of them, in declaration order */
};

/* Takes ownership of *decl (zeroes it). */
struct group *group_new(struct tend *t, struct group_decl *decl);
void group_free(struct tend *t, struct group *g);
/* Removes what the tracker keeps for g's trees (cgroup directories): g is
 * going away. */
void group_release_trees(struct tend *t, struct group *g);

/* The one transition function for requests. */
void group_step(struct tend *t, struct group *g, enum group_event ev);
/* Called after any of g's processes changed state. */
void group_evaluate(struct tend *t, struct group *g);
/* Whether a process of g that waits to restart may start again now. */
bool group_allows_restart(const struct group *g);
/* Starting or running. */
bool group_up(const struct group *g);
/* Up, or will be without anything more being asked of it: a start held
 * for its old declaration, a restart under way, a start or restart that a
 * dependency asked for (dependencies.c). */
bool group_coming_up(const struct group *g);
/* g's starts are the placement's to decide (a negotiable group while a
 * cluster runs): startup, reloads and `tendctl add` do not start it. */
bool group_placed(const struct tend *t, const struct group *g);
/* What g requires failed or stopped while g waited to start: g fails. */
void group_refuse_start(struct tend *t, struct group *g);

struct process *group_find_process(struct group *g, const char *name);
const char *group_state_name(enum group_state s);

#endif
