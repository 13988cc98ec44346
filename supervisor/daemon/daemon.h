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

/* reload.c: parses conf.d; if valid, applies the difference. Returns 0 when
 * applied, -1 when rejected (invalid declarations: nothing changed; or
 * shutting down). report receives one line per change or error, then a
 * summary. */
int daemon_reload(struct daemon *d, struct buf *report);

/* confwatch.c */
void confwatch_open(struct daemon *d);
void confwatch_close(struct daemon *d);

/* system.c: the machine-wide settings of the `system` section (the
 * hostname), applied when tend is PID 1; at start and on every reload. */
void system_apply(struct tend *t, const struct system_decl *sys);
/* The directory's limits from the `system` section; at start and on reload. */
void system_apply_services(struct directory *dir, const struct system_decl *sys);

/* wiring.c: every bus subscription and loop hook, in one place. */
int daemon_wire(struct daemon *d);

#endif
