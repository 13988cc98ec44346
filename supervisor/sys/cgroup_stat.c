/* What the cgroup tracking knows for the records (accounting): how much a
 * group's cgroup used, and whose a cgroup path is. The files are read at
 * the group's directory <root>/<tenant>/<group>: cpu.stat is there without any
 * controller enabled; memory.peak and io.stat only where those controllers
 * are (not on the build machines' hybrid hierarchy). */
#include "sys/tracker.h"
#include "sys/small_file.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* file of the group's cgroup into buf; the length read, or -1. */
static ssize_t read_group_file(struct tracker *tr, const char *tenant, const char *group,
			       const char *file, char *buf, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s/%s", tenant, group, file);
	return read_small_file(tr->root_fd, path, buf, len);
}

/* The value of "key N" in a flat keyed file (cpu.stat), or -1. */
static int64_t keyed_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *line = text; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		int64_t v;
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ' &&
		    sscanf(line + klen + 1, "%" SCNd64, &v) == 1)
			return v;
	}
	return -1;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N ..." per device, summed. */
static void io_totals(const char *text, struct cgroup_usage *u)
{
	u->io_read_bytes = u->io_write_bytes = 0;
	for (const char *line = text; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		const char *r = strstr(line, "rbytes="), *w = strstr(line, "wbytes=");
		const char *end = strchr(line, '\n');
		int64_t v;
		if (r && (!end || r < end) && sscanf(r + 7, "%" SCNd64, &v) == 1)
			u->io_read_bytes += v;
		if (w && (!end || w < end) && sscanf(w + 7, "%" SCNd64, &v) == 1)
			u->io_write_bytes += v;
	}
}

int cgroup_group_usage(struct tracker *tr, const char *tenant, const char *group,
		       struct cgroup_usage *u)
{
	char buf[4096];
	*u = (struct cgroup_usage){ -1, -1, -1, -1, -1, -1 };
	if (read_group_file(tr, tenant, group, "cpu.stat", buf, sizeof(buf)) <= 0)
		return -1;
	u->usage_us = keyed_value(buf, "usage_usec");
	u->user_us = keyed_value(buf, "user_usec");
	u->system_us = keyed_value(buf, "system_usec");
	if (read_group_file(tr, tenant, group, "memory.peak", buf, sizeof(buf)) > 0)
		sscanf(buf, "%" SCNd64, &u->memory_peak_bytes);
	if (read_group_file(tr, tenant, group, "io.stat", buf, sizeof(buf)) >= 0)
		io_totals(buf, u);
	return 0;
}

/* Copies the n bytes at s into buf as a string; false when they do not fit. */
static bool copy_part(char *buf, size_t len, const char *s, size_t n)
{
	if (n == 0 || n >= len)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

/* The length of a process's name in its cgroup's name: PROCESS, or
 * PROCESS.left-N for what a stop left running, set aside (cgroup.c). */
static size_t set_aside_name(const char *name)
{
	size_t len = strlen(name);
	const char *dot = strrchr(name, '.');
	if (!dot || strncmp(dot, ".left-", 6) != 0 || !dot[6] ||
	    strspn(dot + 6, "0123456789") != strlen(dot + 6))
		return len;
	return (size_t)(dot - name);
}

int cgroup_owner(const struct tracker *tr, const char *path, char *group, size_t glen,
		 char *process, size_t plen)
{
	size_t rlen = tr->root_rel ? strlen(tr->root_rel) : 0;
	if (!rlen || strncmp(path, tr->root_rel, rlen) != 0 || path[rlen] != '/')
		return -1;
	/* The last two parts are GROUP/PROCESS, whatever is above them. */
	const char *rest = path + rlen + 1, *slash = strrchr(rest, '/');
	if (!slash)
		return -1;
	const char *gstart = slash;
	while (gstart > rest && gstart[-1] != '/')
		gstart--;
	const char *pname = slash + 1;
	size_t pn = set_aside_name(pname);
	if (!copy_part(group, glen, gstart, (size_t)(slash - gstart)) ||
	    !copy_part(process, plen, pname, pn))
		return -1;
	return 0;
}
