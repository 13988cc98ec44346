/* Setting tend up, the signals it handles, shutting it down. */
#include "base/container_of.h"
#include "sys/log.h"
#include "core/notify.h"
#include "core/reaper.h"
#include "daemon/reload.h"
#include "core/context.h"

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

static void handled_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

/* As PID 1, like busybox init and finit: SIGTERM and SIGINT (Ctrl-Alt-Del)
 * reboot, SIGUSR1 halts, SIGUSR2 powers off. Otherwise SIGTERM and SIGINT
 * stop everything and end tend; SIGUSR1/2 are ignored. */
static void on_shutdown_signal(struct tend *t, int sig)
{
	enum shutdown_kind kind = SHUTDOWN_EXIT;
	if (t->mode == MODE_PID1)
		kind = sig == SIGUSR1	? SHUTDOWN_HALT
		       : sig == SIGUSR2 ? SHUTDOWN_POWEROFF
					: SHUTDOWN_REBOOT;
	else if (sig == SIGUSR1 || sig == SIGUSR2) {
		tend_log(&t->log, LOG_INFO, "received SIG%s; ignored when not PID 1",
			 sigabbrev_np(sig));
		return;
	}
	tend_log(&t->log, LOG_INFO, "received SIG%s: %s", sigabbrev_np(sig),
		 shutdown_kind_name(kind));
	tend_begin_shutdown(t, kind);
}

static void on_signal(struct watcher *w, uint32_t events)
{
	(void)events;
	struct tend *t = container_of(w, struct tend, signals);
	struct signalfd_siginfo si;
	bool child = false;
	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			child = true;
			break;
		case SIGTERM:
		case SIGINT:
		case SIGUSR1:
		case SIGUSR2:
			on_shutdown_signal(t, (int)si.ssi_signo);
			break;
		case SIGHUP: {
			struct buf report = { 0 };
			tend_log(&t->log, LOG_INFO, "received SIGHUP; reloading");
			tend_reload(t, &report);
			buf_free(&report);
			break;
		}
		}
	}
	if (child)
		reap_children(t);
}

static int setup_signals(struct tend *t)
{
	sigset_t set;
	handled_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN); /* a vanished client is an error return, not a death */
	t->signals.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	t->signals.on_ready = on_signal;
	if (t->signals.fd < 0)
		return -1;
	return loop_add(&t->loop, &t->signals, EPOLLIN);
}

static int make_dir(struct tend *t, const char *path, mode_t mode)
{
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	tend_log(&t->log, LOG_ERR, "cannot create %s: %m", path);
	return -1;
}

/* A run directory that already existed (/tmp/tend-$UID, say) must really
 * be ours: a directory, not a link, owned by us, writable by nobody else.
 * Otherwise another user could plant links to our files in it. */
static bool private_dir(struct tend *t, const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		tend_log(&t->log, LOG_ERR, "%s: %m", path);
		return false;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		tend_log(
		    &t->log, LOG_ERR,
		    "%s: not a directory owned by uid %d and writable only by it; refusing to use "
		    "it",
		    path, (int)geteuid());
		return false;
	}
	return true;
}

static int setup_rundir(struct tend *t)
{
	char logdir[4096];
	/* Create parents too: /run/tend or $XDG_RUNTIME_DIR/tend may be new. */
	for (char *s = t->rundir + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		int r = make_dir(t, t->rundir, 0755);
		*s = '/';
		if (r < 0)
			return -1;
	}
	snprintf(logdir, sizeof(logdir), "%s/log", t->rundir);
	if (make_dir(t, t->rundir, 0700) < 0 || !private_dir(t, t->rundir))
		return -1;
	return make_dir(t, logdir, 0700) < 0 || !private_dir(t, logdir) ? -1 : 0;
}

/* Many services mean many fds: take the hard limit for tend, and give
 * children back what tend inherited. */
static void raise_fd_limit(struct tend *t)
{
	getrlimit(RLIMIT_NOFILE, &t->nofile);
	struct rlimit more = t->nofile;
	more.rlim_cur = more.rlim_max;
	setrlimit(RLIMIT_NOFILE, &more);
}

static int adopt_groups(struct tend *t, struct config *cfg)
{
	t->groups = calloc(cfg->ngroups ? cfg->ngroups : 1, sizeof(*t->groups));
	if (!t->groups)
		return -1;
	for (size_t i = 0; i < cfg->ngroups; i++) {
		struct group *g = group_new(t, &cfg->groups[i]);
		if (!g)
			return -1;
		t->groups[t->ngroups++] = g;
	}
	config_free(cfg);
	return 0;
}

/* With fd 0, 1 or 2 closed, the next open() would take its place and a
 * child's dup2() onto it would silently do nothing. */
static void ensure_standard_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			break;
}

/* Between batches of events, in this order: control's queued requests and
 * closing clients, then what a reload left to finish. */
static void control_hook(void *ctx)
{
	control_after_events(ctx);
}

static void reload_hook(void *ctx)
{
	reload_after_events(ctx);
}

int tend_setup(struct tend *t, struct config *cfg, const char *tracking)
{
	ensure_standard_fds();
	t->signals.fd = t->control.lock_fd = t->control.w.fd = -1;
	t->control.spare_fd = t->confwatch.fd = t->notify.fd = -1;
	raise_fd_limit(t);
	timer_init(&t->reload_timer, NULL); /* teardown may cancel it whatever happens */
	t->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (t->devnull < 0) {
		tend_log(&t->log, LOG_ERR, "/dev/null: %m");
		return -1;
	}
	if (setup_rundir(t) < 0)
		return -1;
	char selflog[4096];
	snprintf(selflog, sizeof(selflog), "%s/log/tend.log", t->rundir);
	logfile_init(&t->log.file, selflog);
	/* Orphans of our descendants come to us, not to init: we reap them and
	 * can still stop them. (As PID 1 we get them anyway.) */
	if (t->mode != MODE_PID1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		tend_log(&t->log, LOG_WARN, "PR_SET_CHILD_SUBREAPER: %m");
	if (t->mode == MODE_PID1)
		pid1_early(t);
	if (loop_init(&t->loop) < 0 || setup_signals(t) < 0 ||
	    loop_add_hook(&t->loop, control_hook, t) < 0 ||
	    loop_add_hook(&t->loop, reload_hook, t) < 0) {
		tend_log(&t->log, LOG_ERR, "cannot set up the event loop: %m");
		return -1;
	}
	if (control_open(t) < 0 || tracker_init(&t->tracker, tracking) < 0)
		return -1;
	notify_open(t);
	confwatch_open(t);
	if (adopt_groups(t, cfg) < 0) {
		tend_log(&t->log, LOG_ERR, "out of memory");
		return -1;
	}
	return 0;
}

/* Once, when no autostart group is still starting: how many came up. As
 * PID 1 the console line's timestamp is the boot-to-ready time. */
static void report_startup_finished(struct tend *t)
{
	size_t autostart = 0, running = 0;

	if (!t->startup_requested || t->startup_reported || t->shutting_down)
		return;
	for (size_t i = 0; i < t->ngroups; i++) {
		const struct group *g = t->groups[i];
		if (!g->decl.autostart)
			continue;
		if (g->state == GS_STARTING)
			return;
		autostart++;
		running += g->state == GS_RUNNING;
	}
	t->startup_reported = true;
	malloc_trim(0); /* what starting everything left freed */
	tend_log(&t->log, LOG_INFO,
		 "startup finished: %zu of %zu autostart groups running, after %llu ms", running,
		 autostart, (unsigned long long)(loop_now_ms(&t->loop) - t->started_ms));
}

int tend_main_loop(struct tend *t)
{
	tend_log(&t->log, LOG_INFO, "running in %s mode, %zu groups, conf.d %s, run dir %s",
		 tend_mode_name(t->mode), t->ngroups, t->confdir, t->rundir);
	t->started_ms = loop_now_ms(&t->loop);
	for (size_t i = 0; i < t->ngroups; i++)
		if (t->groups[i]->decl.autostart)
			group_step(t, t->groups[i], GE_START);
	t->startup_requested = true;
	report_startup_finished(t);
	return loop_run(&t->loop);
}

/* Stops groups one at a time, the last declared first. */
static void shutdown_advance(struct tend *t)
{
	/* Stopping a group reports back through tend_state_changed(); the loop
	 * below re-reads every state, so a nested call has nothing to add. */
	if (t->shutdown_advancing)
		return;
	t->shutdown_advancing = true;
	while (t->shutdown_cursor > 0) {
		struct group *g = t->groups[t->shutdown_cursor - 1];
		if (g->state == GS_STARTING || g->state == GS_RUNNING) {
			tend_log(&t->log, LOG_INFO, "shutdown: stopping group %s; %s", g->decl.name,
				 "waiting for each process up to its stop-timeout, then SIGKILL");
			group_step(t, g, GE_STOP);
		}
		if (g->state == GS_STOPPING)
			break;
		t->shutdown_cursor--;
	}
	t->shutdown_advancing = false;
	if (t->shutdown_cursor > 0)
		return;
	/* Exit only with nothing left running, whatever happened meanwhile. */
	if (t->nretiring)
		return; /* reload_after_events() calls back when they are gone */
	for (size_t i = 0; i < t->ngroups; i++) {
		enum group_state s = t->groups[i]->state;
		if (s != GS_STOPPED && s != GS_FAILED) {
			t->shutdown_cursor = t->ngroups;
			shutdown_advance(t);
			return;
		}
	}
	tend_log(&t->log, LOG_INFO, "all groups stopped%s",
		 t->shutdown_kind == SHUTDOWN_EXIT ? "; exiting" : "");
	t->loop.quit = true;
}

void tend_begin_shutdown(struct tend *t, enum shutdown_kind kind)
{
	if (t->shutting_down) {
		tend_log(&t->log, LOG_WARN, "shutdown already under way");
		return;
	}
	t->shutting_down = true;
	t->shutdown_kind = kind;
	t->shutdown_cursor = t->ngroups;
	shutdown_advance(t);
}

void tend_state_changed(struct tend *t)
{
	report_startup_finished(t);
	if (t->shutting_down && !t->loop.quit)
		shutdown_advance(t);
	control_notify(t);
}

struct group *tend_find_group(struct tend *t, const char *name)
{
	for (size_t i = 0; i < t->ngroups; i++)
		if (strcmp(t->groups[i]->decl.name, name) == 0)
			return t->groups[i];
	return NULL;
}

void tend_teardown(struct tend *t)
{
	control_close(t);
	notify_close(t);
	confwatch_close(t);
	for (size_t i = 0; i < t->nretiring; i++) {
		group_release_trees(t, t->retiring[i]);
		group_free(t, t->retiring[i]);
	}
	free(t->retiring);
	t->retiring = NULL;
	t->nretiring = 0;
	for (size_t i = 0; i < t->ngroups; i++)
		group_release_trees(t, t->groups[i]);
	tracker_cleanup(&t->tracker);
	for (size_t i = 0; i < t->ngroups; i++)
		group_free(t, t->groups[i]);
	free(t->groups);
	t->groups = NULL;
	t->ngroups = 0;
	pidmap_free(&t->pids);
	free(t->base_env); /* the strings are environ's */
	t->base_env = NULL;
	if (t->signals.fd >= 0)
		close(t->signals.fd);
	loop_close(&t->loop);
	if (t->devnull >= 0)
		close(t->devnull);
	logfile_close(&t->log.file);
}
