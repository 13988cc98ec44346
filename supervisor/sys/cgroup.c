/* Tracking trees with cgroup v2: RUNDIR-independent directory
 * <tend's own cgroup>/tend-<pid>/<group>/<process>. No controller is enabled,
 * so this works on hybrid hosts where memory and pids are bound to v1; it
 * needs only a writable cgroup2 mount. cgroup.kill (Linux 5.14) ends a tree
 * atomically; without it every member is signalled. */
#include "sys/log.h"
#include "core/context.h"

#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int find_cgroup2_mount(char *buf, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return -1;
	struct mntent *m;
	int found = -1;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			snprintf(buf, len, "%s", m->mnt_dir);
			found = 0;
			break;
		}
	}
	endmntent(f);
	return found;
}

/* Our own cgroup v2 path, from the "0::/path" line of /proc/self/cgroup. */
static int own_cgroup_path(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -1;
	char line[4096];
	int found = -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", strcmp(line + 3, "/") == 0 ? "" : line + 3);
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

int cgroup_setup(struct tend *t)
{
	struct tracker *tr = &t->tracker;
	char mnt[1024], own[4096], root[sizeof(mnt) + sizeof(own) + 32];
	if (find_cgroup2_mount(mnt, sizeof(mnt)) < 0) {
		snprintf(tr->why, sizeof(tr->why), "no cgroup2 mount");
		return -1;
	}
	if (own_cgroup_path(own, sizeof(own)) < 0) {
		snprintf(tr->why, sizeof(tr->why), "no cgroup v2 entry in /proc/self/cgroup");
		return -1;
	}
	snprintf(root, sizeof(root), "%s%s/tend-%d", mnt, own, (int)getpid());
	if (mkdir(root, 0755) < 0 && errno != EEXIST) {
		snprintf(tr->why, sizeof(tr->why), "cannot create %.100s: %s", root,
			 strerror(errno));
		return -1;
	}
	tr->root_fd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (tr->root_fd < 0) {
		snprintf(tr->why, sizeof(tr->why), "cannot open %.100s: %s", root, strerror(errno));
		rmdir(root);
		return -1;
	}
	tr->root = strdup(root);
	tr->has_kill = faccessat(tr->root_fd, "cgroup.kill", W_OK, 0) == 0;
	return 0;
}

static void cgroup_file(const struct process *p, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s", p->group->decl.name, p->decl->name, file);
}

int cgroup_prepare(struct tend *t, struct process *p)
{
	char path[512];
	int root = t->tracker.root_fd;
	if (mkdirat(root, p->group->decl.name, 0755) < 0 && errno != EEXIST)
		goto fail;
	cgroup_file(p, "", path, sizeof(path));
	if (mkdirat(root, path, 0755) < 0 && errno != EEXIST)
		goto fail;
	cgroup_file(p, "cgroup.procs", path, sizeof(path));
	int fd = openat(root, path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		p->in_cgroup = true;
		return fd;
	}
fail:
	tend_log(t, LOG_WARN, "%s/%s: cannot prepare its cgroup: %s", p->group->decl.name,
		 p->decl->name, strerror(errno));
	return -1;
}

int cgroup_members(struct tend *t, struct process *p, struct pid_list *out)
{
	char path[512];
	/* A reload's new declaration waits for the old one of the same name to
	 * leave the directory they share; until it starts, nothing there is its. */
	if (!p->in_cgroup)
		return 0;
	cgroup_file(p, "cgroup.procs", path, sizeof(path));
	int fd = openat(t->tracker.root_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1; /* never started: no members */
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -1;
	}
	int pid;
	while (fscanf(f, "%d", &pid) == 1)
		pid_list_add(out, pid);
	fclose(f);
	return 0;
}

static bool cgroup_kill_all(struct tend *t, struct process *p)
{
	char path[512];
	cgroup_file(p, "cgroup.kill", path, sizeof(path));
	int fd = openat(t->tracker.root_fd, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = write(fd, "1", 1) == 1;
	close(fd);
	return ok;
}

void cgroup_signal(struct tend *t, struct process *p, int sig)
{
	if (!p->in_cgroup)
		return;
	if (sig == SIGKILL && t->tracker.has_kill && cgroup_kill_all(t, p))
		return;
	struct pid_list members = { 0 };
	cgroup_members(t, p, &members);
	for (size_t i = 0; i < members.len; i++)
		kill(members.pids[i], sig);
	pid_list_free(&members);
}

void cgroup_release_group(struct tend *t, struct group *g)
{
	char path[512];
	for (size_t i = 0; i < g->nprocs; i++) {
		cgroup_file(&g->procs[i], "", path, sizeof(path));
		unlinkat(t->tracker.root_fd, path, AT_REMOVEDIR);
	}
	unlinkat(t->tracker.root_fd, g->decl.name, AT_REMOVEDIR);
}

void cgroup_cleanup(struct tend *t)
{
	for (size_t i = 0; i < t->ngroups; i++)
		cgroup_release_group(t, t->groups[i]);
	if (t->tracker.root_fd >= 0)
		close(t->tracker.root_fd);
	t->tracker.root_fd = -1;
	if (t->tracker.root)
		rmdir(t->tracker.root);
}
