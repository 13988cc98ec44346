/* The daemon: the core, the control socket and what only a running tend
 * needs (its run directory's lock, signals, conf.d watched and reloaded),
 * set up in a fixed order and wired together in one place (wiring.c). */
#ifndef TEND_DAEMON_H
#define TEND_DAEMON_H

#include <stdint.h>

#include "account/account.h"
#include "base/buf.h"
#include "base/timer.h"
#include "cluster/cluster.h"
#include "control/server.h"
#include "core/context.h"
#include "core/state_file.h"
#include "services/directory.h"
#include "sys/loop.h"

/* conf.d watched with inotify; edits coalesced, then reloaded (confwatch.c). */
#define RELOAD_SETTLE_MS 100
#define RELOAD_MAX_WAIT_MS 2000

struct confwatch {
	struct watcher w;    /* inotify on conf.d; fd -1: not watched */
	struct timer settle; /* reload once conf.d has been quiet */
	uint64_t first_change_ms;
	uint64_t last_change_ms;
	bool waiting_for_empty; /* said that an empty file is waited for */
};

/* Reloads (reload.c): one at a time, its reader waited for from the loop;
 * triggers while one is under way make one more after it. */
#define RELOAD_REAP_WAIT_MS 1000 /* for the reader to end once its answer is over */
struct reload {
	struct config_read rd;
	struct watcher answer;	 /* rd.fd while the answer comes; fd -1: not watched */
	struct watcher ended;	 /* rd.pidfd once the answer is over */
	struct timer deadline;	 /* for the answer, then for the reader to end */
	struct timer kick;	 /* starts the next reload, from the loop */
	uint64_t ending_since;	 /* when the answer was over; 0: still coming */
	bool reading;		 /* a reader is under way */
	bool again;		 /* asked for meanwhile: one more reload after this one */
	uint64_t started;	 /* reloads started so far; the current one's number */
	struct watcher leftover; /* a reader that did not end in time (pidfd), reaped later */
	pid_t leftover_pid;
};

struct daemon {
	struct tend tend; /* the core */
	struct control control;
	struct directory services;
	struct account account;
	struct cluster cluster;
	char *confdir;
	int lock_fd; /* RUNDIR/tend.pid, locked: one tend per run directory */
	struct watcher signals;
	struct confwatch confwatch;
	struct reload reload;
	struct state_file state; /* RUNDIR/tend.state */
};

/* setup.c. Before daemon_setup: d->tend made with tend_init, its mode,
 * rundir and log set, d->confdir set. Takes cfg's declarations. */
int daemon_setup(struct daemon *d, struct config *cfg, const char *tracking);
/* Starts the autostart groups, then runs the loop until tend is to end. */
int daemon_run(struct daemon *d);
void daemon_teardown(struct daemon *d);

/* signals.c: SIGCHLD, SIGHUP and the shutdown signals through a signalfd. */
int signals_open(struct daemon *d);
void signals_close(struct daemon *d);

/* reload.c: asks for a reload of conf.d: read in a child while the loop
 * runs, then, if valid, the difference applied. Returns the number of the
 * reload that will cover this request (one started later, never one under
 * way, which may have read conf.d before a change), whose report goes to
 * the control's waiting clients (control_reload_done); 0 when shutting
 * down. */
uint64_t daemon_reload(struct daemon *d);
void reload_init(struct daemon *d);
/* A loop hook: a reload under way when tend begins to stop is abandoned. */
void reload_after_events(void *ctx);
/* Ends a reader still there (kill, reap). */
void reload_close(struct daemon *d);

/* confwatch.c */
void confwatch_open(struct daemon *d);
void confwatch_close(struct daemon *d);

/* system.c: the machine-wide settings of the `system` section (the
 * hostname), applied when tend is PID 1; at start and on every reload. */
void system_apply(struct tend *t, const struct system_decl *sys);
/* The directory's limits from the `system` section; at start and on reload. */
void system_apply_services(struct directory *dir, const struct system_decl *sys);
/* The hardware watchdog of the `system` section, as PID 1 and in system
 * mode (user mode ignores it, saying so once); at start and on every
 * reload. Returns -1 only when out of memory. */
int system_apply_watchdog(struct tend *t, const struct system_decl *sys);

/* wiring.c: every bus subscription and loop hook, in one place. */
int daemon_wire(struct daemon *d);

#endif
