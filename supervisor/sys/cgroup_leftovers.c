/* The cgroups a dead tend left: each tend makes <its cgroup>/tend-<pid> and
 * removes it when it exits, but a tend that was killed (SIGKILL, a crash)
 * leaves it, with whatever still runs there. A tend started on the same
 * run directory ends or adopts those processes (core/leftovers.c) through
 * these; and every tend removes the empty tend-PID cgroups of dead tends
 * beside its own, so that they do not pile up on the host. */
#include "sys/log.h"
#include "sys/procstat.h"
#include "sys/tracker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEPTH 8 /* tend-PID/TENANT/GROUP/PROCESS[.left-N]: 4 deep */

static int procs_below(const char *dir, struct pid_list *out, int depth)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	int pid;
	while (fscanf(f, "%d", &pid) == 1)
		pid_list_add(out, pid);
	fclose(f);
	DIR *d = depth < MAX_DEPTH ? opendir(dir) : NULL;
	if (!d)
		return 0;
	int r = 0;
	for (struct dirent *de; r == 0 && (de = readdir(d));) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		r = procs_below(path, out, depth + 1);
	}
	closedir(d);
	return r;
}

int cgroup_dir_procs(const char *dir, struct pid_list *out)
{
	return procs_below(dir, out, 0);
}

bool cgroup_dir_kill(const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = write(fd, "1", 1) == 1;
	close(fd);
	return ok;
}

static int remove_below(const char *dir, int depth)
{
	char path[PATH_MAX];
	DIR *d = depth < MAX_DEPTH ? opendir(dir) : NULL;
	if (d) {
		for (struct dirent *de; (de = readdir(d));) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			remove_below(path, depth + 1);
		}
		closedir(d);
	}
	return rmdir(dir) == 0 || errno == ENOENT ? 0 : -1;
}

int cgroup_dir_remove(const char *dir)
{
	return remove_below(dir, 0);
}

int tracker_take_cgroup(struct tracker *tr, const struct tree *tree, const char *from, pid_t main)
{
	struct pid_list members = { 0 };
	char num[16];
	if (tr->mode != TRACK_CGROUP) {
		errno = ENOTSUP;
		return -1;
	}
	int dst = cgroup_prepare(tr, tree);
	if (dst < 0)
		return -1;
	/* A process that forks while it moves: its child is caught next round. */
	int r = 0;
	for (int round = 0; round < 4 && r == 0; round++) {
		members.len = 0;
		if (round == 0)
			pid_list_add(&members, main);
		if (cgroup_dir_procs(from, &members) < 0)
			r = -1;
		for (size_t i = 0; r == 0 && i < members.len; i++) {
			int n = snprintf(num, sizeof(num), "%d", (int)members.pids[i]);
			if (write(dst, num, (size_t)n) < 0 && errno != ESRCH)
				r = -1;
		}
		if (round > 0 && members.len == 0)
			break;
	}
	int err = errno;
	pid_list_free(&members);
	close(dst);
	errno = err;
	return r;
}

/* tend N is gone: no live process N, or one that lives elsewhere than in
 * the cgroup its tend-N was made in, tend's own (the pid was used again). */
static bool tend_gone(pid_t n, const char *own_rel)
{
	char its[4096];
	if (!proc_alive_since(n, 0))
		return true;
	return proc_cgroup_path(n, its, sizeof(its)) == 0 && strcmp(its, own_rel) != 0;
}

static void sweep_one(struct tracker *tr, const char *own, const char *name)
{
	char dir[PATH_MAX + 256];
	struct pid_list left = { 0 };
	snprintf(dir, sizeof(dir), "%s/%s", own, name);
	if (cgroup_dir_procs(dir, &left) == 0 && left.len == 0) {
		if (cgroup_dir_remove(dir) == 0)
			tend_log(tr->log, LOG_INFO, "removed cgroup %s of a tend that is gone",
				 dir);
		else
			tend_log(tr->log, LOG_WARN,
				 "cannot remove cgroup %s of a tend that is gone: %m", dir);
	} else {
		tend_log(tr->log, LOG_INFO,
			 "cgroup %s of a tend that is gone still holds %zu process(es): left for a "
			 "tend started on its run directory (system { on-restart })",
			 dir, left.len);
	}
	pid_list_free(&left);
}

void tracker_sweep_dead(struct tracker *tr)
{
	if (tr->mode != TRACK_CGROUP || !tr->root)
		return;
	char own[PATH_MAX], own_rel[4096];
	snprintf(own, sizeof(own), "%s", tr->root);
	*strrchr(own, '/') = '\0'; /* tend-PID's parent: tend's own cgroup */
	DIR *d = proc_cgroup_path(0, own_rel, sizeof(own_rel)) == 0 ? opendir(own) : NULL;
	if (!d)
		return;
	for (struct dirent *de; (de = readdir(d));) {
		char *end;
		if (de->d_type != DT_DIR || strncmp(de->d_name, "tend-", 5) != 0 ||
		    de->d_name[5] < '1' || de->d_name[5] > '9')
			continue;
		long n = strtol(de->d_name + 5, &end, 10);
		/* only tend's own naming: tend-<digits>, nothing after */
		if (*end || end == de->d_name + 5 || n <= 0 || n > INT_MAX || n == getpid() ||
		    !tend_gone((pid_t)n, own_rel))
			continue;
		sweep_one(tr, own, de->d_name);
	}
	closedir(d);
}
