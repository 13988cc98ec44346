#include "base/logfile.h"
#include "base/fault.h"
#include "libtend/cmdline.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* errno for "something other than a regular file is at the path": Linux
 * has no EFTYPE; EMEDIUMTYPE is otherwise unused by what a log file meets. */
#define EFTYPE_NOT_REGULAR EMEDIUMTYPE

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
	lf->lost = 0;
	lf->why = NULL;
}

/* O_NONBLOCK: opening a FIFO for writing would otherwise wait for a reader
 * for ever (a supervised process can make one at its own log's path). A
 * FIFO without a reader fails with ENXIO; one with a reader, or a device,
 * opens, and is refused here. */
static int open_regular(const char *path, int flags, mode_t mode)
{
	struct stat st;
	int fd = open(path, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EFTYPE_NOT_REGULAR;
		return -1;
	}
	return fd;
}

static const char *failure_reason(int err)
{
	return err == EFTYPE_NOT_REGULAR ? "not a regular file" : strerror(err);
}

/* A shared file is the reader group's to read (0640); where that cannot
 * be done (tend is not root), the file stays tend's own. */
static void give_to_reader(struct logfile *lf)
{
	if (lf->fd >= 0 && lf->shared &&
	    (fchown(lf->fd, (uid_t)-1, lf->reader) < 0 || fchmod(lf->fd, 0640) < 0))
		lf->shared = false;
}

static int logfile_open(struct logfile *lf)
{
	struct stat st;
	if (!lf->path)
		return -1;
	int flags = O_WRONLY | O_APPEND | O_CREAT;
	lf->fd = open_regular(lf->path, flags, 0600);
	if (lf->fd < 0 && errno == ENOENT) {
		/* Someone removed the log directory: make it again. */
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", lf->path);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			mkdir(dir, 0700);
			lf->fd = open_regular(lf->path, flags, 0600);
		}
	}
	if (lf->fd < 0)
		return -1;
	lf->size = fstat(lf->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	give_to_reader(lf);
	return 0;
}

void logfile_share(struct logfile *lf, gid_t gid)
{
	lf->shared = gid != (gid_t)-1;
	lf->reader = gid;
	give_to_reader(lf);
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

static int line_lost(struct logfile *lf, int err)
{
	lf->lost++;
	lf->why = failure_reason(err);
	return -1;
}

/* Appends iov (total bytes, whole lines) to the file, rotating first if
 * it would grow past max_size. 0, or -1 with errno and the file as it was
 * before (a short write is cut off again: lines are written whole or not
 * at all); *short_write tells a disk that took part of it (nearly full)
 * from one that took nothing. */
static int append(struct logfile *lf, const struct iovec *iov, int niov, size_t total,
		  uint64_t max_size, unsigned keep, struct fault_plan *faults, bool *short_write)
{
	*short_write = false;
	if (lf->fd < 0 && logfile_open(lf) < 0)
		return -1;
	if (lf->size && lf->size + total > max_size) {
		rotate(lf, keep);
		if (logfile_open(lf) < 0)
			return -1;
	}
	ssize_t n = fault_check(faults, FAULT_WRITE) ? -1 : writev(lf->fd, iov, niov);
	if (n == (ssize_t)total) {
		lf->size += (uint64_t)n;
		return 0;
	}
	int err = n < 0 ? errno : ENOSPC; /* a short write: the disk is full */
	if (n > 0 && ftruncate(lf->fd, (off_t)lf->size) < 0)
		lf->size += (uint64_t)n; /* a cut line stays: at least count it */
	*short_write = n > 0;
	errno = err;
	return -1;
}

static void time_stamp(char when[WALL_TIME_LEN + 1])
{
	wall_time(when, WALL_TIME_LEN + 1);
	when[WALL_TIME_LEN - 1] = ' ';
}

int logfile_write(struct logfile *lf, const char *line, size_t len, uint64_t max_size,
		  unsigned keep, struct fault_plan *faults)
{
	char when[WALL_TIME_LEN + 1];
	bool short_write;
	time_stamp(when);
	struct iovec iov[3] = { { when, WALL_TIME_LEN }, { (void *)line, len }, { "\n", 1 } };
	if (append(lf, iov, 3, WALL_TIME_LEN + len + 1, max_size, keep, faults, &short_write) < 0)
		return line_lost(lf, errno);
	return 0;
}

/* The disk took part of a batch: as many of its lines as still fit, one
 * write each, as logfile_write would have. */
static int write_each_line(struct logfile *lf, const struct log_batch *b, uint64_t max_size,
			   unsigned keep, struct fault_plan *faults)
{
	int r = 0;
	bool short_write;
	for (const char *line = b->data, *end = b->data + b->len; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = (size_t)(nl - line) + 1;
		struct iovec iov = { (void *)line, n };
		if (append(lf, &iov, 1, n, max_size, keep, faults, &short_write) < 0)
			r = line_lost(lf, errno);
		line += n;
	}
	return r;
}

int logfile_batch_flush(struct logfile *lf, struct log_batch *b, uint64_t max_size, unsigned keep,
			struct fault_plan *faults)
{
	int r = 0;
	bool short_write;
	struct iovec iov = { b->data, b->len };
	if (b->lines && append(lf, &iov, 1, b->len, max_size, keep, faults, &short_write) < 0) {
		if (short_write) {
			r = write_each_line(lf, b, max_size, keep, faults);
		} else {
			int err = errno;
			lf->lost += b->lines - 1;
			r = line_lost(lf, err);
		}
	}
	b->len = 0;
	b->lines = 0;
	return r;
}

int logfile_batch_add(struct logfile *lf, struct log_batch *b, const char *line, size_t len,
		      uint64_t max_size, unsigned keep, struct fault_plan *faults)
{
	size_t total = WALL_TIME_LEN + len + 1;
	int r = 0;
	/* The lines of a batch go to one file: the file as it is, or a new one
	 * if the first line would not fit in it (as line by line). */
	uint64_t file_size = b->lines && b->new_file ? 0 : lf->size;
	if (b->lines && (b->len + total > sizeof(b->data) || file_size + b->len + total > max_size))
		r = logfile_batch_flush(lf, b, max_size, keep, faults);
	if (total > sizeof(b->data))
		return logfile_write(lf, line, len, max_size, keep, faults) < 0 ? -1 : r;
	if (!b->lines)
		b->new_file = lf->size && lf->size + total > max_size;
	char when[WALL_TIME_LEN + 1];
	time_stamp(when);
	memcpy(b->data + b->len, when, WALL_TIME_LEN);
	memcpy(b->data + b->len + WALL_TIME_LEN, line, len);
	b->data[b->len + total - 1] = '\n';
	b->len += total;
	b->lines++;
	return r;
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

/* At most this much of a log file is read for a tail: what one reply may
 * hold anyway (control's output cap). */
#define TAIL_READ_MAX ((off_t)16 << 20)
#define TAIL_CHUNK ((off_t)8 << 10) /* on the stack: PID 1's too */

/* Where the last `want` lines of fd (size bytes) begin: walks back from
 * the end a chunk at a time counting newlines, and stops at the start of
 * the file or TAIL_READ_MAX before its end. */
static off_t tail_offset(int fd, off_t size, size_t want, bool *line_start)
{
	char chunk[TAIL_CHUNK];
	size_t newlines = 0;
	off_t pos = size;
	*line_start = true;
	while (pos > 0) {
		off_t from = pos > TAIL_CHUNK ? pos - TAIL_CHUNK : 0;
		ssize_t n =
		    size - from > TAIL_READ_MAX ? -1 : pread(fd, chunk, (size_t)(pos - from), from);
		if (n != pos - from) {
			*line_start = false;
			return pos;
		}
		for (ssize_t i = n - 1; i >= 0; i--) {
			/* The file's last newline ends its last line; each other
			 * one ends the line before the one after it. */
			if (chunk[i] == '\n' && from + i != size - 1 && ++newlines == want)
				return from + i + 1;
		}
		pos = from;
	}
	return pos;
}

/* The part of a log file that holds its last `want` lines (whole lines
 * only, at most TAIL_READ_MAX bytes); NULL if there is none. A 512 MB log
 * costs what its tail costs, not its size. */
static char *read_tail(const char *path, size_t want, size_t *len)
{
	int fd = open_regular(path, O_RDONLY, 0);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	bool line_start;
	off_t from = tail_offset(fd, st.st_size, want, &line_start);
	size_t size = (size_t)(st.st_size - from);
	char *data = malloc(size + 1);
	ssize_t n = data ? pread(fd, data, size, from) : -1;
	close(fd);
	if (n < 0) {
		free(data);
		return NULL;
	}
	data[n] = '\0';
	*len = (size_t)n;
	if (!line_start) {
		/* Cut at TAIL_READ_MAX, inside a line: drop that piece. */
		char *nl = memchr(data, '\n', (size_t)n);
		size_t skip = nl ? (size_t)(nl - data) + 1 : (size_t)n;
		memmove(data, data + skip, (size_t)n - skip + 1);
		*len = (size_t)n - skip;
	}
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
		char *data = read_tail(files[f], n - count, &len);
		if (data && take_tail(data, len, n - count, &lines, &count) < 0) {
			argv_free(lines);
			lines = NULL;
		}
		free(data);
	}
	return lines;
}
