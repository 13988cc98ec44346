/* Setting tend up and taking it down, in a fixed order that a reader can
 * follow: standard descriptors, limits, /dev/null, the run directory and
 * tend.log, the subreaper (or, as PID 1, Ctrl-Alt-Del as a signal), the
 * loop and signals, the run directory's lock, the control socket, tree
 * tracking, the accounting records, NOTIFY_SOCKET, conf.d's watch, the
 * subscriptions and hooks between them (wiring.c), the groups. */
#include "daemon/daemon.h"
#include "core/leftovers.h"
#include "core/notify.h"
#include "core/startup.h"
#include "sys/log.h"
#include "sys/machine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Processes that run as another user than tend (postgres, redis) must
 * reach RUNDIR/notify: the run directory may be entered by anyone (0711)
 * but not listed; the control socket (0600) stays tend's, and so do the
 * logs (log/ is 0711, each log 0600) but a process's own, which its group
 * may read (0640). An existing run directory gets the search bits too. */
static int searchable_by_all(struct tend *t, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	if ((st.st_mode & 0011) == 0011)
		return 0;
	if (chmod(path, (st.st_mode & 07777) | 0011) < 0) {
		tend_log(&t->log, LOG_WARN, "%s: cannot make it searchable for other users: %m",
			 path);
		return -1;
	}
	return 0;
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
	if (make_dir(t, t->rundir, 0711) < 0 || !private_dir(t, t->rundir))
		return -1;
	searchable_by_all(t, t->rundir);
	/* Searchable, not listable: a process running as another user reads
	 * its own log (0640, its group's: logfile_share); the rest are 0600. */
	if (make_dir(t, logdir, 0711) < 0 || !private_dir(t, logdir))
		return -1;
	searchable_by_all(t, logdir);
	return 0;
}

/* One tend per run directory: a second one would fight over the socket. */
static int lock_rundir(struct daemon *d)
{
	struct tend *t = &d->tend;
	char path[4096];
	snprintf(path, sizeof(path), "%s/tend.pid", t->rundir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		tend_log(&t->log, LOG_ERR, "%s: %s", path,
			 errno == EWOULDBLOCK ? "another tend runs with this run directory"
					      : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, pid, (size_t)n) != n)
		tend_log(&t->log, LOG_WARN, "%s: cannot write pid", path);
	d->lock_fd = fd;
	return 0;
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

/* With fd 0, 1 or 2 closed, the next open() would take its place and a
 * child's dup2() onto it would silently do nothing. */
static void ensure_standard_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			break;
}

/* Last of all: tend.pid goes while it is still locked, so that nobody takes
 * a stale pid from it (`kill $(cat RUNDIR/tend.pid)` run twice); a tend
 * starting now makes a new file and locks that. */
static void unlock_rundir(struct daemon *d)
{
	char path[4096];
	if (d->lock_fd < 0)
		return;
	snprintf(path, sizeof(path), "%s/tend.pid", d->tend.rundir);
	unlink(path);
	close(d->lock_fd);
	d->lock_fd = -1;
}

/* Everything teardown may close or cancel, whatever set-up reached. */
static void mark_closed(struct daemon *d)
{
	d->lock_fd = d->signals.fd = d->confwatch.w.fd = -1;
	d->control.w.fd = d->control.spare_fd = -1;
	timer_init(&d->confwatch.settle, NULL);
	reload_init(d);
	d->state = (struct state_file){ 0 };
}

/* A cluster that cannot be joined leaves tend running: its negotiable
 * groups wait (a copy here unnegotiated could be a second one). */
static void join_cluster(struct daemon *d, const struct cluster_decl *decl)
{
	char err[512];

	if (cluster_open(&d->cluster, decl, err, sizeof(err)) < 0)
		tend_log(&d->tend.log, LOG_ERR, "%s:%d: %s; negotiable groups do not run",
			 decl->file, decl->line, err);
}

int daemon_setup(struct daemon *d, struct config *cfg, const char *tracking)
{
	struct tend *t = &d->tend;
	ensure_standard_fds();
	mark_closed(d);
	raise_fd_limit(t);
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
	if (t->mode == MODE_PID1 && machine_catch_ctrl_alt_del() < 0)
		tend_log(&t->log, LOG_WARN, "reboot(RB_DISABLE_CAD): %m");
	if (loop_init(&t->loop) < 0 || signals_open(d) < 0) {
		tend_log(&t->log, LOG_ERR, "cannot set up the event loop: %m");
		return -1;
	}
	if (lock_rundir(d) < 0 || control_open(&d->control, t) < 0 ||
	    tracker_init(&t->tracker, tracking) < 0)
		return -1;
	if (state_file_open(&d->state, t) < 0) {
		tend_log(&t->log, LOG_ERR, "out of memory");
		return -1;
	}
	account_open(&d->account, t, NULL, NULL);
	notify_open(t);
	confwatch_open(d);
	directory_init(&d->services, &t->loop, &t->log);
	system_apply_services(&d->services, &cfg->system);
	if (system_apply_watchdog(t, &cfg->system) < 0) {
		tend_log(&t->log, LOG_ERR, "out of memory");
		return -1;
	}
	cluster_init(&d->cluster, t, &d->services);
	if (daemon_wire(d) < 0) {
		tend_log(&t->log, LOG_ERR, "out of memory");
		return -1;
	}
	/* Before the groups are made (registry_adopt empties cfg) and started:
	 * negotiable ones wait for the cluster. */
	join_cluster(d, &cfg->cluster);
	char errors[4096];
	if (tenants_prepare(&t->tenants, cfg, errors, sizeof(errors)) < 0) {
		for (char *line = strtok(errors, "\n"); line; line = strtok(NULL, "\n"))
			tend_log(&t->log, LOG_ERR, "%s", line);
		return -1;
	}
	/* Before the groups start: their tenants' cgroups get the limits, and
	 * their records a copy their users may read. */
	account_tenants_changed(&d->account);
	enum on_restart on_restart = cfg->system.on_restart;
	if (tenants_declare_limits(&t->tenants, &t->tracker) < 0 || registry_adopt(t, cfg) < 0) {
		tend_log(&t->log, LOG_ERR, "out of memory");
		return -1;
	}
	/* Before the groups start: what a dead tend left is adopted (no
	 * duplicate starts) or ended (none runs beside a new copy). */
	leftovers_settle(t, on_restart);
	d->state.settled = true;
	control_socket_mode(&d->control);
	return 0;
}

int daemon_run(struct daemon *d)
{
	struct tend *t = &d->tend;
	tend_log(&t->log, LOG_INFO, "running in %s mode, %zu groups, conf.d %s, run dir %s",
		 tend_mode_name(t->mode), t->ngroups, d->confdir, t->rundir);
	tend_start(t);
	state_file_after_events(&d->state); /* at once: the dead tend's is out of date */
	return loop_run(&t->loop);
}

void daemon_teardown(struct daemon *d)
{
	struct tend *t = &d->tend;
	control_close(&d->control);
	cluster_free(&d->cluster);
	directory_free(&d->services);
	notify_close(t);
	confwatch_close(d);
	reload_close(d);
	registry_free(t);
	state_file_close(&d->state);
	account_close(&d->account);
	tenants_free(&t->tenants);
	tracker_cleanup(&t->tracker);
	pidmap_free(&t->pids);
	free(t->base_env); /* the strings are environ's */
	t->base_env = NULL;
	signals_close(d);
	/* The machine's end (PID 1) keeps the hardware watchdog armed, with its
	 * longer timeout, through pid1_finish: a shutdown that hangs there
	 * still resets the machine. Any other end disarms it. */
	if (t->mode == MODE_PID1 && t->shutting_down)
		hwdog_shutdown(&t->hwdog);
	else
		hwdog_close(&t->hwdog);
	loop_close(&t->loop);
	if (t->devnull >= 0)
		close(t->devnull);
	unlock_rundir(d);
	logfile_close(&t->log.file);
}
