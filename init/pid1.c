/* The end of the machine, as PID 1. Once every group has stopped in order:
 * SIGTERM to every process left (bounded wait), SIGKILL to the rest (bounded
 * wait), sync, unmount every filesystem in reverse mount order (read-only
 * remount where that fails), then reboot(2). Each step says on the console
 * what it waits for, and none waits forever. */
#include "init/pid1.h"
#include "libtend/cmdline.h"
#include "sys/exec.h"
#include "sys/machine.h"
#include "core/context.h"
#include "sys/log.h"
#include "base/child_wait.h"

#include <errno.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TERM_WAIT_MS 5000
#define KILL_WAIT_MS 2000
#define SYNC_WAIT_MS 10000

/* Reaps until no child is left or limit_ms passed; returns how many remain
 * (-1: unknown, some are left). As PID 1 every process is our child. */
static int reap_until_none(struct tend *t, uint64_t limit_ms)
{
	uint64_t end = loop_now_ms(&t->loop) + limit_ms;
	for (;;) {
		pid_t pid;
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (pid < 0 && errno == ECHILD)
			return 0;
		if (loop_now_ms(&t->loop) >= end)
			return -1;
		struct timespec tick = { .tv_nsec = 10 * 1000000L };
		nanosleep(&tick, NULL);
	}
}

static void end_all_processes(struct tend *t)
{
	tend_log(&t->log, LOG_INFO, "sending SIGTERM to every process left; waiting up to %ds",
		 TERM_WAIT_MS / 1000);
	kill(-1, SIGTERM);
	kill(-1, SIGCONT);
	if (reap_until_none(t, TERM_WAIT_MS) == 0)
		return;
	tend_log(&t->log, LOG_WARN,
		 "processes left after SIGTERM; sending SIGKILL, waiting up to %ds",
		 KILL_WAIT_MS / 1000);
	kill(-1, SIGKILL);
	if (reap_until_none(t, KILL_WAIT_MS) < 0)
		tend_log(&t->log, LOG_WARN, "some processes survive SIGKILL; going on");
}

/* sync(2) can hang on a dead disk or network filesystem. A child does it,
 * and tend goes on after SYNC_WAIT_MS whether or not it finished. */
static void sync_bounded(struct tend *t)
{
	tend_log(&t->log, LOG_INFO, "syncing filesystems; waiting up to %ds", SYNC_WAIT_MS / 1000);
	pid_t pid = fork();
	if (pid == 0) {
		sync();
		_exit(0);
	}
	if (pid < 0) {
		sync(); /* no child to spare: do it ourselves */
		return;
	}
	if (reap_child_within(pid, SYNC_WAIT_MS) == -1)
		tend_log(&t->log, LOG_WARN, "sync has not finished after %ds; going on",
			 SYNC_WAIT_MS / 1000);
}

#define MOUNTS_MAX 512

/* Unmounts one filesystem, or remounts it read-only when it is busy (the
 * root, or /dev holding the console). Returns false if it stays writable. */
static bool unmount_or_freeze(struct tend *t, const char *dir, bool was_readonly)
{
	if (umount2(dir, 0) == 0) {
		tend_log(&t->log, LOG_INFO, "unmounted %s", dir);
		return true;
	}
	int umount_errno = errno;
	if (was_readonly)
		return true;
	if (mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0) {
		tend_log(&t->log, LOG_INFO, "remounted %s read-only", dir);
		return true;
	}
	/* Already gone with its parent, or hidden under a later mount that a
	 * lazy unmount took along: nothing left there to write to. */
	if (umount_errno == EINVAL && (errno == EINVAL || errno == ENOENT))
		return true;
	if (umount_errno == ENOENT)
		return true;
	tend_log(&t->log, LOG_WARN,
		 "%s stays mounted read-write: unmount: %s; remount read-only: %m", dir,
		 strerror(umount_errno));
	return false;
}

static void unmount_all(struct tend *t)
{
	struct {
		char *dir;
		bool readonly;
	} mounts[MOUNTS_MAX];
	size_t n = 0, writable = 0;
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;
	while (f && (m = getmntent(f)) && n < MOUNTS_MAX) {
		mounts[n].dir = strdup(m->mnt_dir);
		mounts[n++].readonly = hasmntopt(m, "ro") != NULL;
	}
	if (f)
		endmntent(f);
	else
		tend_log(&t->log, LOG_WARN, "/proc/self/mounts: %m; cannot unmount anything");
	tend_log(&t->log, LOG_INFO, "unmounting %zu filesystems, last mounted first", n);
	while (n--) { /* reverse mount order: children before parents */
		if (mounts[n].dir && !unmount_or_freeze(t, mounts[n].dir, mounts[n].readonly))
			writable++;
		free(mounts[n].dir);
	}
	if (writable)
		tend_log(&t->log, LOG_WARN, "%zu filesystems left read-write", writable);
	else
		tend_log(&t->log, LOG_INFO, "no filesystem is left read-write");
}

/* The emergency shell without any of the supervisor: on the console, in
 * its own session, as its controlling terminal. */
static pid_t spawn_console_shell(char **argv)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	spawn_reset_signals(); /* tend had blocked some: Ctrl-C must work */
	setsid();
	attach_console(false); /* without a console the shell gets tend's stdio */
	execvp(argv[0], argv);
	_exit(127);
}

void pid1_stay(struct tend *t, const char *shell)
{
	const char *why;
	char **argv = shell && shell[0] ? cmdline_split(shell, &why) : NULL;
	if (argv && !argv[0]) {
		argv_free(argv);
		argv = NULL;
	}
	tend_log(&t->log, LOG_ERR, "cannot supervise; reaping orphans only%s (PID 1 never exits)",
		 argv ? " and running the emergency shell" : "");
	pid_t sh = argv ? spawn_console_shell(argv) : -1;
	for (;;) {
		pid_t pid = waitpid(-1, NULL, 0);
		if (pid < 0 && errno == ECHILD && !argv)
			pause();
		if (argv && (pid == sh || sh < 0)) {
			sleep(1); /* a shell that cannot start must not spin */
			sh = spawn_console_shell(argv);
		}
	}
}

void pid1_finish(struct tend *t, enum shutdown_kind kind)
{
	static const int cmds[] = { [SHUTDOWN_REBOOT] = RB_AUTOBOOT,
				    [SHUTDOWN_POWEROFF] = RB_POWER_OFF,
				    [SHUTDOWN_HALT] = RB_HALT_SYSTEM };
	end_all_processes(t);
	sync_bounded(t);
	if (machine_is_ours())
		unmount_all(t);
	else
		tend_log(&t->log, LOG_INFO,
			 "in a PID namespace: filesystems are the host's, left alone");
	tend_log(&t->log, LOG_INFO, "%s", shutdown_kind_name(kind));
	reboot(cmds[kind]);
	tend_log(&t->log, LOG_ERR, "reboot(2) failed: %m; waiting for a signal");
	for (;;)
		pause();
}
