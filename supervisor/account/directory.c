/* The records' directories (directory.h). */
#include "account/directory.h"
#include "sys/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *path_join(struct logger *log, const char *a, const char *b)
{
	size_t n = strlen(a) + 1 + strlen(b) + 1;
	char *p = malloc(n);
	if (!p) {
		tend_log(log, LOG_ERR, "accounting: out of memory");
		return NULL;
	}
	snprintf(p, n, "%s/%s", a, b);
	return p;
}

/* Gives every file in dir (the fd of an open directory) the group gid. */
static void regroup_files(struct logger *log, const char *path, int dirfd, gid_t gid)
{
	int fd = dup(dirfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	if (!d) {
		if (fd >= 0)
			close(fd);
		tend_log(log, LOG_WARN, "accounting: %s: %m", path);
		return;
	}
	/* Only tend writes there: the month files (and "." and ".." to skip). */
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && (e->d_type == DT_REG || e->d_type == DT_UNKNOWN) &&
		    fchownat(dirfd, e->d_name, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0)
			tend_log(log, LOG_WARN, "accounting: %s/%s: %m", path, e->d_name);
	closedir(d);
}

/* Makes path (mode) or takes the one there, if it is a directory of ours
 * that only we may write; gives it mode, and group gid unless gid is -1
 * (then the files in it too, when its group was another). 0 or -1
 * (logged). */
static int make_dir(struct logger *log, const char *path, mode_t mode, gid_t gid)
{
	struct stat st;
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		goto fail;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		tend_log(log, LOG_ERR,
			 "accounting: %s: not a directory owned by uid %d and writable only by it",
			 path, (int)geteuid());
		close(fd);
		return -1;
	}
	int rc = 0;
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
		rc = -1;
	if (rc == 0 && gid != (gid_t)-1 && st.st_gid != gid) {
		if (fchown(fd, (uid_t)-1, gid) < 0)
			rc = -1;
		else
			regroup_files(log, path, fd, gid);
	}
	close(fd);
	if (rc == 0)
		return 0;
fail:
	tend_log(log, LOG_ERR, "accounting: %s: %m", path);
	return -1;
}

char *account_dir_main(struct logger *log, const char *rundir)
{
	char *dir = path_join(log, rundir, "account");
	if (dir && make_dir(log, dir, ACCOUNT_DIR_MODE, (gid_t)-1) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

char *account_dir_tenant(struct logger *log, const char *rundir, const char *tenant, gid_t gid)
{
	char *tenants = path_join(log, rundir, "account/tenant");
	char *dir = NULL;
	if (tenants && make_dir(log, tenants, ACCOUNT_TENANTS_MODE, (gid_t)-1) == 0)
		dir = path_join(log, tenants, tenant);
	if (dir && make_dir(log, dir, ACCOUNT_TENANT_MODE, gid) < 0) {
		free(dir);
		dir = NULL;
	}
	free(tenants);
	return dir;
}
