/* The filesystems every machine needs before anything else runs: /proc,
 * /sys, the cgroup2 hierarchy, /dev (devtmpfs with /dev/pts and /dev/shm)
 * and /run. The kernel
 * mounts none of them for an initramfs; a real root may have some already
 * (the kernel's devtmpfs automount, or a container runtime), so each is
 * mounted only where nothing is mounted yet. */
#include "init/early_mounts.h"
#include "core/context.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

struct early_mount {
	const char *type;
	const char *dir;
	unsigned long flags;
	const char *data;
	mode_t mode; /* of the directory, when it has to be made */
};

/* In mount order: /dev before what lives inside it. */
static const struct early_mount early_mounts[] = {
	{ "proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555 },
	{ "sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555 },
	/* For cgroup tracking: a whole tree can then be listed and killed. */
	{ "cgroup2", "/sys/fs/cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555 },
	{ "devtmpfs", "/dev", MS_NOSUID, "mode=0755", 0755 },
	{ "devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666", 0755 },
	{ "tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV, "mode=1777", 01777 },
	{ "tmpfs", "/run", MS_NOSUID | MS_NODEV, "mode=0755", 0755 },
};

/* A directory is a mount point when it lies on another device than its
 * parent. (The root is always one; it is not in the table.) */
static bool is_mount_point(const char *dir)
{
	char parent[64];
	struct stat st, pst;

	snprintf(parent, sizeof(parent), "%s/..", dir);
	if (stat(dir, &st) < 0 || stat(parent, &pst) < 0)
		return false;
	return st.st_dev != pst.st_dev;
}

static int mount_one(const struct early_mount *m, char *err, size_t errlen)
{
	if (is_mount_point(m->dir))
		return 0;
	if (mkdir(m->dir, m->mode) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", m->dir, strerror(errno));
		return -1;
	}
	if (mount(m->type, m->dir, m->type, m->flags, m->data) < 0) {
		snprintf(err, errlen, "mount %s on %s: %s", m->type, m->dir, strerror(errno));
		return -1;
	}
	return 1;
}

int early_mounts_setup(struct tend *t)
{
	int failures = 0;
	char msg[256];

	for (size_t i = 0; i < sizeof(early_mounts) / sizeof(early_mounts[0]); i++) {
		const struct early_mount *m = &early_mounts[i];
		int r = mount_one(m, msg, sizeof(msg));

		if (r < 0) {
			failures++;
			tend_log(&t->log, LOG_ERR, "%s", msg);
		} else if (r > 0) {
			tend_log(&t->log, LOG_INFO, "mounted %s on %s", m->type, m->dir);
		}
	}
	return failures ? -1 : 0;
}
