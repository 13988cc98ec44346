/* Tracking trees with cgroup v2: RUNDIR-independent directory
 * <tend's own cgroup>/tend-<pid>/<tenant>/<group>/<process>. Tracking needs
 * only a writable cgroup2 mount, so it works on hybrid hosts where memory
 * and pids are bound to v1; the controllers that tenant limits need are
 * enabled where the hierarchy has them (cgroup_limits.c). cgroup.kill
 * (Linux 5.14) ends a tree atomically; without it every member is
 * signalled. */
#include "sys/log.h"
#include "sys/procstat.h"
#include "sys/tracker.h"

#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
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

/* Our own cgroup v2 path below the mount; "" for the root, so that
 * "%s/tend-N" makes no "//". */
static int own_cgroup_path(char *buf, size_t len)
{
	if (proc_cgroup_path(0, buf, len) < 0)
		return -1;
	if (strcmp(buf, "/") == 0)
		buf[0] = '\0';
	return 0;
}

/* tend's own cgroup directory into buf; -1 with why. */
static int own_cgroup_dir(char *buf, size_t len, char *why, size_t whylen)
{
	char mnt[1024], own[4096];
	if (find_cgroup2_mount(mnt, sizeof(mnt)) < 0) {
		snprintf(why, whylen, "no cgroup2 mount");
		return -1;
	}
	if (own_cgroup_path(own, sizeof(own)) < 0) {
		snprintf(why, whylen, "no cgroup v2 entry in /proc/self/cgroup");
		return -1;
	}
	snprintf(buf, len, "%s%s", mnt, own);
	return 0;
}

/* The controllers tend's own cgroup hands down: those enabled in its
 * subtree_control, after enabling what it offers. The root cgroup (tend
 * as PID 1 of a fresh hierarchy) always may; another cgroup may only if
 * no process lives in it (cgroup v2's "no internal processes" rule), so
 * normally not: tend itself is there. */
static unsigned own_controllers(const char *own, bool enable)
{
	unsigned offered = 0, enabled = 0;
	int fd = open(own, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	cgroup_controllers_file(fd, "cgroup.controllers", &offered);
	cgroup_controllers_file(fd, "cgroup.subtree_control", &enabled);
	if (enable && (offered & ~enabled & CONTROLLERS_ALL))
		enabled |= cgroup_enable(fd, ".", offered & ~enabled & CONTROLLERS_ALL);
	close(fd);
	return enabled & CONTROLLERS_ALL;
}

static void describe_controllers(unsigned have, const char *own, char *why, size_t len)
{
	static const char *const names[] = { "cpu", "memory", "pids", "io" };
	char list[64] = "";
	for (unsigned i = 0; i < 4; i++)
		if (have & (1u << i))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? ", " : "", names[i]);
	snprintf(why, len, "tend's cgroup %.80s hands down %s of cpu, memory, pids, io", own,
		 list[0] ? list : "none");
}

int cgroup_probe_controllers(unsigned *controllers, char *why, size_t len)
{
	char own[5200];
	if (own_cgroup_dir(own, sizeof(own), why, len) < 0)
		return -1;
	unsigned enabled = own_controllers(own, false);
	/* The root cgroup may enable whatever it offers (and tend would). */
	int fd = open(own, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	unsigned offered = 0;
	if (fd >= 0 && faccessat(fd, "cgroup.procs", F_OK, 0) == 0 &&
	    faccessat(fd, "cgroup.type", F_OK, 0) < 0) /* only the root has no cgroup.type */
		cgroup_controllers_file(fd, "cgroup.controllers", &offered);
	if (fd >= 0)
		close(fd);
	*controllers = (enabled | offered) & CONTROLLERS_ALL;
	describe_controllers(*controllers, own, why, len);
	return 0;
}

int cgroup_setup(struct tracker *tr)
{
	char own[5200], root[sizeof(own) + 32];
	if (own_cgroup_dir(own, sizeof(own), tr->why, sizeof(tr->why)) < 0)
		return -1;
	snprintf(root, sizeof(root), "%s/tend-%d", own, (int)getpid());
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
	/* /proc/PID/cgroup names a cgroup below the mount, not by its directory. */
	char below_mount[4096], rel[sizeof(below_mount) + 32];
	if (own_cgroup_path(below_mount, sizeof(below_mount)) == 0) {
		snprintf(rel, sizeof(rel), "%s/tend-%d", below_mount, (int)getpid());
		tr->root_rel = strdup(rel);
	}
	tr->has_kill = faccessat(tr->root_fd, "cgroup.kill", W_OK, 0) == 0;
	/* tend-PID holds no process: it may enable what tend's cgroup hands down. */
	tr->controllers = cgroup_enable(tr->root_fd, ".", own_controllers(own, true));
	describe_controllers(tr->controllers, own, tr->controllers_why,
			     sizeof(tr->controllers_why));
	return 0;
}

static void cgroup_file(const struct tree *tree, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s/%s", tree->tenant, tree->group, tree->process, file);
}

int cgroup_prepare(struct tracker *tr, const struct tree *tree)
{
	char path[512];
	int root = tr->root_fd;
	if (mkdirat(root, tree->tenant, 0755) == 0)
		cgroup_tenant_made(tr, tree->tenant);
	else if (errno != EEXIST)
		goto fail;
	snprintf(path, sizeof(path), "%s/%s", tree->tenant, tree->group);
	if (mkdirat(root, path, 0755) < 0 && errno != EEXIST)
		goto fail;
	cgroup_file(tree, "", path, sizeof(path));
	if (mkdirat(root, path, 0755) < 0 && errno != EEXIST)
		goto fail;
	cgroup_file(tree, "cgroup.procs", path, sizeof(path));
	int fd = openat(root, path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
fail:
	tend_log(tr->log, LOG_WARN, "%s/%s: cannot prepare its cgroup: %s", tree->group,
		 tree->process, strerror(errno));
	return -1;
}

/* The pids in the cgroup.procs at path (below the root); a cgroup that is
 * not there has none. */
static int read_procs(struct tracker *tr, const char *path, struct pid_list *out)
{
	int fd = openat(tr->root_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
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

int cgroup_members(struct tracker *tr, const struct tree *tree, struct pid_list *out)
{
	char path[512];
	/* A reload's new declaration waits for the old one of the same name to
	 * leave the directory they share; until it starts, nothing there is its. */
	if (!tree->in_cgroup)
		return 0;
	cgroup_file(tree, "cgroup.procs", path, sizeof(path));
	return read_procs(tr, path, out); /* never started: no members */
}

bool cgroup_kill(struct tracker *tr, const struct tree *tree)
{
	char path[512];
	if (!tree->in_cgroup || !tr->has_kill)
		return false;
	cgroup_file(tree, "cgroup.kill", path, sizeof(path));
	int fd = openat(tr->root_fd, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = write(fd, "1", 1) == 1;
	close(fd);
	return ok;
}

/* Moves every process of cgroup `from` into `to` (both below the root);
 * a process that forks meanwhile is caught in the next round. 0 once
 * `from` is empty and removed. */
static int move_members(struct tracker *tr, const char *from, const char *to)
{
	char path[600], num[16];
	snprintf(path, sizeof(path), "%s/cgroup.procs", to);
	int dst = openat(tr->root_fd, path, O_WRONLY | O_CLOEXEC);
	if (dst < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.procs", from);
	int rc = -1;
	for (int round = 0; round < 8 && rc < 0; round++) {
		struct pid_list members = { 0 };
		read_procs(tr, path, &members);
		for (size_t i = 0; i < members.len; i++) {
			int n = snprintf(num, sizeof(num), "%d", (int)members.pids[i]);
			if (write(dst, num, (size_t)n) < 0 && errno != ESRCH)
				break;
		}
		pid_list_free(&members);
		rc = unlinkat(tr->root_fd, from, AT_REMOVEDIR);
	}
	close(dst);
	return rc;
}

void cgroup_release_tree(struct tracker *tr, const struct tree *tree)
{
	char path[512], aside[512];
	cgroup_file(tree, "", path, sizeof(path));
	if (unlinkat(tr->root_fd, path, AT_REMOVEDIR) == 0 || errno != EBUSY)
		return;
	/* Processes left running by kill-mode = main: they move to a cgroup of
	 * their own (cgroup v2 cannot rename one), so a new declaration of
	 * the group never shares theirs. */
	snprintf(aside, sizeof(aside), "%s/%s/%s.left-%u", tree->tenant, tree->group, tree->process,
		 ++tr->set_aside);
	if (mkdirat(tr->root_fd, aside, 0755) == 0 && move_members(tr, path, aside) == 0)
		tend_log(tr->log, LOG_INFO, "%s/%s: what it left running stays, in cgroup %s/%s",
			 tree->group, tree->process, tr->root, aside);
	else
		tend_log(tr->log, LOG_WARN, "%s/%s: cannot move what it left running aside: %s",
			 tree->group, tree->process, strerror(errno));
}

void cgroup_release_group(struct tracker *tr, const char *tenant, const char *group)
{
	char path[200];
	snprintf(path, sizeof(path), "%s/%s", tenant, group);
	unlinkat(tr->root_fd, path, AT_REMOVEDIR);
	/* the tenant's last group: its cgroup goes too (busy otherwise) */
	if (unlinkat(tr->root_fd, tenant, AT_REMOVEDIR) == 0)
		cgroup_tenant_gone(tr, tenant);
}

void cgroup_cleanup(struct tracker *tr)
{
	if (tr->root_fd >= 0)
		close(tr->root_fd);
	tr->root_fd = -1;
	if (tr->root)
		rmdir(tr->root);
}
