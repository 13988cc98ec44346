/* The durable writer (writer.h). */
#include "account/writer.h"
#include "base/container_of.h"
#include "base/fault.h"
#include "sys/log.h"
#include "sys/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static ssize_t linux_write(void *ctx, int fd, const void *buf, size_t len)
{
	(void)ctx;
	return write(fd, buf, len);
}

static int linux_fdatasync(void *ctx, int fd)
{
	(void)ctx;
	return fdatasync(fd);
}

const struct account_io account_io_linux = { .write = linux_write, .fdatasync = linux_fdatasync };

static void month_of(uint64_t when_ms, char month[8])
{
	time_t secs = (time_t)(when_ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	snprintf(month, 8, "%04u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u);
}

static void path_of(const struct account_writer *w, const char *month, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.jsonl", w->dir, month);
}

/* A failed write or sync: said once, until one succeeds again. */
static void report_failure(struct account_writer *w, const char *what, int err)
{
	char path[4096];
	if (w->failing)
		return;
	w->failing = true;
	w->dropped_failing = 0;
	path_of(w, w->month, path, sizeof(path));
	tend_log(w->log, LOG_ERR,
		 "accounting: %s %s: %s; records are kept in memory (at most %zu) until it "
		 "can be written",
		 what, path, strerror(err), w->queue_max);
}

static void report_recovery(struct account_writer *w)
{
	char path[4096];
	if (!w->failing)
		return;
	w->failing = false;
	w->retry_ms = 0;
	path_of(w, w->month, path, sizeof(path));
	tend_log(w->log, LOG_WARN, "accounting: %s is written again; %llu records were dropped",
		 path, (unsigned long long)w->dropped_failing);
}

static void schedule_sync(struct account_writer *w)
{
	if (!timer_armed(&w->sync))
		loop_timer_in(w->loop, &w->sync, ACCOUNT_SYNC_MS);
}

static void sync_now(struct account_writer *w)
{
	if (!w->dirty || w->fd < 0)
		return;
	if (w->io->fdatasync(w->io_ctx, w->fd) < 0)
		report_failure(w, "fdatasync", errno);
	w->dirty = false;
}

/* A file that ends in the middle of a line (tend was killed during a short
 * write, the machine lost power): end that line, so that the next record
 * starts on its own and only the torn one is skipped when read. */
static void end_torn_line(struct account_writer *w)
{
	struct stat st;
	char last;
	if (fstat(w->fd, &st) < 0 || st.st_size == 0 ||
	    pread(w->fd, &last, 1, st.st_size - 1) != 1 || last == '\n')
		return;
	if (w->io->write(w->io_ctx, w->fd, "\n", 1) == 1)
		w->dirty = true;
}

/* A tenant's file belongs to its group, whoever made it. */
static void give_group(struct account_writer *w)
{
	struct stat st;
	if (w->gid == (gid_t)-1 || (fstat(w->fd, &st) == 0 && st.st_gid == w->gid))
		return;
	if (fchown(w->fd, (uid_t)-1, w->gid) < 0)
		tend_log(w->log, LOG_WARN, "accounting: %s/%s.jsonl: cannot give it group %d: %m",
			 w->dir, w->month, (int)w->gid);
}

/* The file of when_ms's month, open for appending: 0, or -1 with errno. */
static int month_file(struct account_writer *w, uint64_t when_ms)
{
	char month[8], path[4096];
	month_of(when_ms, month);
	if (w->fd >= 0 && strcmp(month, w->month) == 0)
		return 0;
	path_of(w, month, path, sizeof(path));
	/* Readable too: end_torn_line looks at the last byte. */
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		int err = errno;
		report_failure(w, "open", err);
		errno = err;
		return -1;
	}
	if (w->fd >= 0) {
		sync_now(w);
		close(w->fd);
	}
	w->fd = fd;
	memcpy(w->month, month, sizeof(month));
	give_group(w);
	end_torn_line(w);
	return 0;
}

/* Writes what is left of one record (from *done on); true once it is all
 * in the file. */
static bool write_record(struct account_writer *w, const char *line, size_t len, size_t *done,
			 uint64_t when_ms)
{
	if (*done == 0 && month_file(w, when_ms) < 0)
		return false;
	while (*done < len) {
		ssize_t n = fault_check(w->faults, FAULT_ACCOUNT)
				? -1
				: w->io->write(w->io_ctx, w->fd, line + *done, len - *done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			report_failure(w, "write", n < 0 ? errno : ENOSPC);
			return false;
		}
		*done += (size_t)n;
		w->dirty = true;
	}
	w->written++;
	report_recovery(w);
	schedule_sync(w);
	return true;
}

/* Writes the kept records, oldest first, until one fails. */
static void write_kept(struct account_writer *w)
{
	while (w->head) {
		struct pending_record *p = w->head;
		if (!write_record(w, p->line, p->len, &p->done, p->when_ms))
			return;
		w->head = p->next;
		if (!w->head)
			w->tail = NULL;
		w->queued--;
		free(p);
	}
}

static void keep(struct account_writer *w, const char *line, size_t len, size_t done,
		 uint64_t when_ms)
{
	struct pending_record *p = NULL;
	if (w->queued < w->queue_max)
		p = malloc(sizeof(*p) + len);
	if (!p) {
		w->dropped++;
		w->dropped_failing++;
		return;
	}
	*p = (struct pending_record){ .when_ms = when_ms, .len = len, .done = done };
	memcpy(p->line, line, len);
	if (w->tail)
		w->tail->next = p;
	else
		w->head = p;
	w->tail = p;
	w->queued++;
	schedule_sync(w); /* the timer tries again */
}

void account_writer_put(struct account_writer *w, const char *line, size_t len, uint64_t when_ms)
{
	size_t done = 0;
	write_kept(w);
	if (!w->head && write_record(w, line, len, &done, when_ms))
		return;
	keep(w, line, len, done, when_ms);
}

static void on_sync(struct timer *tm)
{
	struct account_writer *w = container_of(tm, struct account_writer, sync);
	write_kept(w);
	sync_now(w);
	if (!w->head)
		return;
	/* Still failing: try again later, twice as long each time (a new
	 * record tries at once anyway). */
	w->retry_ms = w->retry_ms ? w->retry_ms * 2 : 2 * ACCOUNT_SYNC_MS;
	if (w->retry_ms > ACCOUNT_RETRY_MAX_MS)
		w->retry_ms = ACCOUNT_RETRY_MAX_MS;
	loop_timer_in(w->loop, &w->sync, w->retry_ms);
}

int account_writer_open(struct account_writer *w, struct loop *loop, struct logger *log,
			const char *dir, gid_t gid, const struct account_io *io, void *io_ctx)
{
	*w = (struct account_writer){ .io = io ? io : &account_io_linux,
				      .io_ctx = io_ctx,
				      .loop = loop,
				      .log = log,
				      .fd = -1,
				      .gid = gid,
				      .queue_max = ACCOUNT_QUEUE_MAX };
	timer_init(&w->sync, on_sync);
	w->dir = strdup(dir);
	if (!w->dir) {
		tend_log(log, LOG_ERR, "accounting: out of memory");
		return -1;
	}
	return 0;
}

void account_writer_close(struct account_writer *w)
{
	write_kept(w);
	sync_now(w);
	if (w->queued || w->dropped)
		tend_log(w->log, LOG_ERR,
			 "accounting: %zu records could not be written and are lost, %llu were "
			 "dropped",
			 w->queued, (unsigned long long)w->dropped);
	while (w->head) {
		struct pending_record *p = w->head;
		w->head = p->next;
		free(p);
	}
	w->tail = NULL;
	w->queued = 0;
	if (w->loop)
		loop_timer_cancel(w->loop, &w->sync);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->dir);
	w->dir = NULL;
}
