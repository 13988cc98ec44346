/* The core's state: one struct tend, passed down; there is no other global
 * state. The layers above keep their own structs (struct control, struct
 * daemon); the layers below take their own part of this one (struct loop,
 * struct tracker, struct logger, struct sys). */
#ifndef TEND_CONTEXT_H
#define TEND_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

#include "base/pidmap.h"
#include "config/config.h"
#include "core/bus.h"
#include "core/group.h"
#include "core/registry.h"
#include "core/shutdown.h"
#include "sys/hwdog.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/sys.h"
#include "sys/tracker.h"
#include "tenant/tenants.h"

#define NOTIFY_STRANGERS_MAX 32 /* senders remembered per second (notify.c) */

enum tend_mode { MODE_PID1, MODE_SYSTEM, MODE_USER };

struct tend {
	struct sys sys; /* the seam: the kernel, or a unit test's fake */
	struct logger log;
	struct loop loop;
	struct tracker tracker;
	struct bus bus;
	enum tend_mode mode;
	char *rundir;
	int devnull;
	struct rlimit nofile;	   /* as tend inherited it, restored in children */
	uint64_t start_time_ticks; /* field 22 of /proc/self/stat, for watchdog pages */
	char **base_env;	   /* environ without tend's own entries (launch.c) */

	struct tenants tenants; /* declared tenants and compiled profiles */
	struct group **groups;	/* declaration order */
	size_t ngroups;
	struct group **retiring; /* removed or replaced by a reload, still stopping */
	size_t nretiring;
	bool reload_unfinished; /* groups retiring or waiting to start */
	unsigned reload_count;	/* reloads applied: which groups retired together */
	bool has_links;		/* some declared group has requires or after */
	bool placement;		/* a cluster decides where negotiable groups run (group_placed) */
	bool deps_dirty;	/* dependencies.c has work after this batch */
	bool ephemeral_due;	/* a run group may have ended: ephemeral.c looks after the batch */
	struct pidmap pids;	/* main pid -> process */

	struct watcher notify; /* NOTIFY_SOCKET (notify.c); fd -1: none */
	char *notify_path;
	uint64_t notify_dropped;   /* datagrams from no process of ours, or malformed */
	uint64_t notify_window_ms; /* the second unknown senders are counted in */
	/* Senders whose look-ups found nobody in that second, with how many:
	 * each is limited on its own, so that one flooding process cannot use
	 * up the look-ups a real member of a tree needs. */
	struct notify_stranger {
		pid_t pid;
		unsigned lookups;
	} notify_strangers[NOTIFY_STRANGERS_MAX];
	unsigned notify_nstrangers;

	uint64_t started_ms;	/* when the groups were first started */
	bool startup_requested; /* every autostart group was asked to start */
	bool startup_reported;	/* "startup finished" was logged */

	bool shutting_down;
	enum shutdown_kind shutdown_kind;
	size_t shutdown_cursor;	    /* groups are stopped one by one, last first */
	struct group **start_order; /* what the shutdown walks back; NULL: t->groups */
	bool shutdown_advancing;

	struct hwdog hwdog; /* the hardware watchdog (sys/hwdog.h); daemon/system.c sets it */

	unsigned long bugs; /* things that cannot happen that happened (tend_bug) */
};

/* Wires the parts of t to each other and to the seam `ops` (sys_linux, or a
 * unit test's fake); opens nothing. */
void tend_init(struct tend *t, const struct sys_ops *ops);

const char *tend_mode_name(enum tend_mode m);

/* Called after any change of state: startup report, shutdown progress,
 * then BUS_CHANGED for whoever waits for a state. */
void tend_state_changed(struct tend *t);

/* Something that cannot happen did: logged as a bug and counted (the unit
 * tests assert that it never does). tend goes on: PID 1 must not die of
 * its own bug. */
void tend_bug(struct tend *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
