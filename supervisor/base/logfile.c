#include "base/logfile.h"
#include "base/fault.h"
#include "libtend/cmdline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

void wall_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void logfile_init(struct logfile *lf, const char *path)
{
	lf->path = strdup(path);
	lf->fd = -1;
	lf->size = 0;
	lf->shared = false;
	lf->reader = (gid_t)-1;
}

static int logfile_open(struct logfile *lf)
{
	struct stat st;
	if (!lf->path)
		return -1;
	int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
	lf->fd = open(lf->path, flags, 0600);
	if (lf->fd < 0 && errno == ENOENT) {
		/* Someone removed the log directory: make it again. */
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", lf->path);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			mkdir(dir, 0700);
			lf->fd = open(lf->path, flags, 0600);
		}
	}
	if (lf->fd < 0)
		return -1;
	lf->size = fstat(lf->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	if (lf->shared && (fchown(lf->fd, (uid_t)-1, lf->reader) < 0 || fchmod(lf->fd, 0640) < 0))
		lf->shared = false; /* tend is not root: the file stays its own */
	return 0;
}

void logfile_share(struct logfile *lf, gid_t gid)
{
	lf->shared = gid != (gid_t)-1;
	lf->reader = gid;
	if (lf->fd >= 0 && lf->shared &&
	    (fchown(lf->fd, (uid_t)-1, gid) < 0 || fchmod(lf->fd, 0640) < 0))
		lf->shared = false;
}

/* NAME.log.(keep-1) -> NAME.log.keep, ..., NAME.log -> NAME.log.1. */
static void rotate(struct logfile *lf, unsigned keep)
{
	char from[4096], to[4096];
	close(lf->fd);
	lf->fd = -1;
	for (unsigned k = keep; k > 1; k--) {
		snprintf(from, sizeof(from), "%s.%u", lf->path, k - 1);
		snprintf(to, sizeof(to), "%s.%u", lf->path, k);
		rename(from, to);
	}
	if (keep) {
		snprintf(to, sizeof(to), "%s.1", lf->path);
		rename(lf->path, to);
	} else {
		unlink(lf->path);
	}
}

int logfile_write(struct logfile *lf, const char *line, size_t len, uint64_t max_size,
		  unsigned keep, struct fault_plan *faults)
{
	char when[WALL_TIME_LEN + 1];
	wall_time(when, sizeof(when));
	when[WALL_TIME_LEN - 1] = ' ';
	struct iovec iov[3] = { { when, WALL_TIME_LEN }, { (void *)line, len }, { "\n", 1 } };
	size_t total = WALL_TIME_LEN + len + 1;
	if (lf->fd < 0 && logfile_open(lf) < 0)
		return -1;
	if (lf->size && lf->size + total > max_size) {
		rotate(lf, keep);
		if (logfile_open(lf) < 0)
			return -1;
	}
	ssize_t n = fault_check(faults, FAULT_WRITE) ? -1 : writev(lf->fd, iov, 3);
	if (n > 0)
		lf->size += (uint64_t)n;
	return n == (ssize_t)total ? 0 : -1;
}

void logfile_check_removed(struct logfile *lf)
{
	struct stat st;
	if (lf->fd >= 0 && fstat(lf->fd, &st) == 0 && st.st_nlink == 0) {
		close(lf->fd); /* the next line opens (and makes) it again */
		lf->fd = -1;
	}
}

void logfile_close(struct logfile *lf)
{
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
	free(lf->path);
	lf->path = NULL;
}

/* Reads a whole (size-bounded) log file; NULL if there is none. */
static char *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	char *data = malloc((size_t)st.st_size + 1);
	ssize_t n = data ? read(fd, data, (size_t)st.st_size) : -1;
	close(fd);
	if (n < 0) {
		free(data);
		return NULL;
	}
	data[n] = '\0';
	*len = (size_t)n;
	return data;
}

/* Prepends the last lines of data to out (which holds *count, newest last). */
static int take_tail(const char *data, size_t len, size_t want, char ***out, size_t *count)
{
	size_t end = len, have = 0;
	/* Walk back from the end, one line at a time, up to `want` of them. */
	const char **starts = malloc((want ? want : 1) * sizeof(*starts));
	size_t *lens = malloc((want ? want : 1) * sizeof(*lens));
	if (!starts || !lens) {
		free(starts);
		free(lens);
		return -1;
	}
	while (end > 0 && have < want) {
		size_t stop = end;
		if (data[stop - 1] == '\n')
			stop--;
		size_t start = stop;
		while (start > 0 && data[start - 1] != '\n')
			start--;
		starts[have] = data + start;
		lens[have] = stop - start;
		have++;
		end = start;
	}
	char **v = realloc(*out, (*count + have + 1) * sizeof(*v));
	if (v) {
		memmove(v + have, v, *count * sizeof(*v));
		for (size_t i = 0; i < have; i++)
			v[have - 1 - i] = strndup(starts[i], lens[i]);
		*count += have;
		v[*count] = NULL;
		*out = v;
	}
	free(starts);
	free(lens);
	return v ? 0 : -1;
}

char **logfile_tail(const char *path, size_t n)
{
	char **lines = calloc(1, sizeof(*lines));
	size_t count = 0, len;
	char older[4096];
	snprintf(older, sizeof(older), "%s.1", path);
	const char *files[] = { path, older };
	for (int f = 0; f < 2 && lines && count < n; f++) {
		char *data = read_all(files[f], &len);
		if (data && take_tail(data, len, n - count, &lines, &count) < 0) {
			argv_free(lines);
			lines = NULL;
		}
		free(data);
	}
	return lines;
}
