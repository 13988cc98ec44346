/* The one context of a running tend: everything mutable lives here and is
 * passed down; there is no other global state. */
#ifndef TEND_CONTEXT_H
#define TEND_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

#include "base/pidmap.h"
#include "config/config.h"
#include "control/server.h"
#include "core/group.h"
#include "init/pid1.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/sys.h"
#include "sys/tracker.h"

enum tend_mode { MODE_PID1, MODE_SYSTEM, MODE_USER };

struct tend {
	struct sys sys; /* the seam: the kernel, or a unit test's fake */
	struct logger log;
	struct loop loop;
	struct tracker tracker;
	enum tend_mode mode;
	char *confdir;
	char *rundir;

	struct watcher signals;

	struct group **groups; /* declaration order */
	size_t ngroups;
	struct group **retiring; /* removed or replaced by a reload, still stopping */
	size_t nretiring;
	struct watcher confwatch;  /* inotify on conf.d */
	struct timer reload_timer; /* coalesces conf.d edits */
	uint64_t reload_first_change_ms;
	bool reload_unfinished; /* groups retiring or waiting to start */
	struct pidmap pids;	/* main pid -> process */
	struct control control;
	struct watcher notify; /* NOTIFY_SOCKET (notify.c); fd -1: none */
	char *notify_path;
	uint64_t notify_dropped;   /* datagrams from no process of ours, or malformed */
	uint64_t notify_window_ms; /* the second unknown senders are counted in */
	unsigned notify_unknown;   /* look-ups in it that found nobody */
	int devnull;
	uint64_t start_time_ticks; /* field 22 of /proc/self/stat, for watchdog pages */
	char **base_env;	   /* environ without tend's own entries (launch.c) */
	struct rlimit nofile;	   /* as tend inherited it, restored in children */

	uint64_t started_ms;	/* when the main loop began */
	bool startup_requested; /* every autostart group was asked to start */
	bool startup_reported;	/* "startup finished" was logged */

	bool shutting_down;
	enum shutdown_kind shutdown_kind;
	size_t shutdown_cursor; /* groups are stopped one by one, last first */
	bool shutdown_advancing;
};

/* Wires the parts of t to each other and to the seam `ops` (sys_linux, or a
 * unit test's fake); opens nothing. */
void tend_init(struct tend *t, const struct sys_ops *ops);

const char *tend_mode_name(enum tend_mode m);

/* supervisor.c */
int tend_setup(struct tend *t, struct config *cfg, const char *tracking);
int tend_main_loop(struct tend *t);
void tend_teardown(struct tend *t);
/* Stops every group, last declared first; then tend exits, or as PID 1
 * ends the machine the way `kind` says (init/pid1.c). */
void tend_begin_shutdown(struct tend *t, enum shutdown_kind kind);
/* Called after any state change: shutdown progress, waiting clients. */
void tend_state_changed(struct tend *t);
struct group *tend_find_group(struct tend *t, const char *name);

#endif
