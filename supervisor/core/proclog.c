#include "core/proclog.h"
#include "base/container_of.h"
#include "core/context.h"
#include "sys/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* Bytes read per wake-up, so that a process writing without pause cannot
 * starve the rest of tend: it is read again on the next turn of the loop. */
#define READ_BUDGET (64 * 1024)

void proclog_init(struct proclog *pl)
{
	*pl = (struct proclog){ .w = { .fd = -1 } };
	pl->file.fd = -1;
}

void proclog_path(struct tend *t, const char *group, const char *process, char *buf, size_t len)
{
	snprintf(buf, len, "%s/log/%s.%s.log", t->rundir, group, process);
}

/* The log's path, given at the first line (a process that never writes,
 * most services most of the time, costs no path in memory). */
static void name_log(struct tend *t, struct process *p)
{
	char path[4096];

	if (p->log.file.path)
		return;
	proclog_path(t, p->group->decl.name, p->decl->name, path, sizeof(path));
	logfile_init(&p->log.file, path);
}

void proclog_share(struct tend *t, struct process *p, gid_t gid)
{
	name_log(t, p);
	logfile_share(&p->log.file, gid);
}

static struct process *process_of(struct proclog *pl)
{
	return container_of(pl, struct process, log);
}

/* Lines lost to a failing write: said when the failure begins, and when
 * the log is written again with how many were lost; a log that flaps
 * between the two is said again at most every PROCLOG_FAULT_QUIET_MS (the
 * count keeps growing meanwhile). */
static void say_log_fault(struct tend *t, struct process *p, bool wrote)
{
	struct proclog *pl = &p->log;
	uint64_t now = loop_now_ms(&t->loop);
	bool quiet_over = !pl->fault_said_ms || now - pl->fault_said_ms >= PROCLOG_FAULT_QUIET_MS;
	if (!wrote && !pl->fault_said && quiet_over) {
		tend_log(&t->log, LOG_WARN,
			 "%s/%s: cannot write its log %s (%s): its output is lost until it can",
			 p->group->decl.name, p->decl->name, pl->file.path, pl->file.why);
		pl->fault_said = true;
		pl->fault_said_ms = now;
	} else if (wrote && pl->file.lost && (pl->fault_said || quiet_over)) {
		tend_log(&t->log, LOG_WARN, "%s/%s: writing its log again; %llu line(s) were lost",
			 p->group->decl.name, p->decl->name, (unsigned long long)pl->file.lost);
		pl->file.lost = 0;
		pl->fault_said = false;
	}
}

/* A line goes to the batch (written by flush_lines) and to the readers. */
static void write_line(struct tend *t, struct process *p, struct log_batch *b, const char *line,
		       size_t len)
{
	name_log(t, p);
	struct logfile *lf = &p->log.file;
	if (logfile_batch_add(lf, b, line, len, p->decl->log_size, p->decl->log_keep,
			      &t->sys.faults) < 0 &&
	    lf->path)
		say_log_fault(t, p, false);
	struct bus_event ev = { .kind = BUS_PROCESS_LOG_LINE, .proc = p, .text = line, .len = len };
	bus_publish(&t->bus, &ev);
}

static void flush_lines(struct tend *t, struct process *p, struct log_batch *b)
{
	struct logfile *lf = &p->log.file;
	int r = logfile_batch_flush(lf, b, p->decl->log_size, p->decl->log_keep, &t->sys.faults);
	if (r < 0 && !lf->path)
		return;
	if (r < 0 || lf->lost)
		say_log_fault(t, p, r == 0);
}

/* Cuts what arrived into lines; keeps an unfinished one for later. */
static void take_output(struct tend *t, struct process *p, struct log_batch *b, const char *data,
			size_t len)
{
	struct buf *part = &p->log.partial;
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		if (part->len + n >= LOG_LINE_MAX)
			n = LOG_LINE_MAX - part->len; /* a line too long: written in pieces */
		bool complete = n < len && data[n] == '\n';
		/* The newline that ends a line already written in pieces ends nothing new. */
		if (complete && !n && !part->len && p->log.cut) {
			p->log.cut = false;
		} else if (complete || part->len + n >= LOG_LINE_MAX) {
			p->log.cut = !complete;
			if (part->len) { /* the rest of a line that came in pieces */
				buf_append(part, data, n);
				write_line(t, p, b, part->data ? part->data : "", part->len);
				buf_reset(part);
			} else { /* a whole line in this chunk: no copy */
				write_line(t, p, b, data, n);
			}
		} else if (n) {
			buf_append(part, data, n);
			p->log.cut = false;
		}
		data += n + complete;
		len -= n + complete;
	}
}

static void write_partial(struct tend *t, struct process *p, struct log_batch *b)
{
	if (p->log.partial.len) {
		write_line(t, p, b, p->log.partial.data, p->log.partial.len);
		buf_reset(&p->log.partial);
	}
}

/* What drain does once it has read: nothing more; write an unfinished
 * last line (the process is gone: its last words need no newline); or
 * that, and close the pipe too. */
enum drain_end { DRAIN_ONLY, DRAIN_LAST_WORDS, DRAIN_END_PIPE };

/* Every writer is gone (the process and whatever it left behind): its
 * last words are written, and the pipe goes. The next start makes a new
 * one. */
static void pipe_ended(struct tend *t, struct process *p, struct log_batch *b)
{
	write_partial(t, p, b);
	watcher_close(&t->loop, &p->log.w);
}

static void drain(struct tend *t, struct process *p, size_t budget, enum drain_end end)
{
	char chunk[8192];
	struct log_batch b; /* 16 KiB, not cleared: only len and lines count */
	ssize_t n = -1;
	size_t got = 0;
	b.len = 0;
	b.lines = 0;
	b.new_file = false;
	while (got < budget && (n = read(p->log.w.fd, chunk, sizeof(chunk))) > 0) {
		take_output(t, p, &b, chunk, (size_t)n);
		got += (size_t)n;
	}
	if (n == 0 || (end == DRAIN_END_PIPE && p->log.w.fd >= 0))
		pipe_ended(t, p, &b);
	else if (end == DRAIN_LAST_WORDS)
		write_partial(t, p, &b);
	flush_lines(t, p, &b);
}

static void on_output(struct watcher *w, uint32_t events)
{
	(void)events;
	struct process *p = process_of(container_of(w, struct proclog, w));
	drain(p->group->tend, p, READ_BUDGET, DRAIN_ONLY);
}

/* tend keeps only the read end of a log pipe: every fd it holds is copied
 * and closed again in each child it starts (vfork, then exec), so a write
 * end per service made starting 1000 of them cost twice what it must. */
int proclog_output_fd(struct tend *t, struct process *p)
{
	struct proclog *pl = &p->log;
	/* Checked at each start, not for each line: cheap, and it is what a
	 * person cleaning up logs and restarting the process expects. */
	logfile_check_removed(&pl->file);
	if (pl->w.fd >= 0) {
		/* Something of an earlier run still writes to the pipe: the new
		 * run writes to the same one, through a new write end. */
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", pl->w.fd);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != ENOENT && errno != EACCES)
			return -1; /* out of descriptors, say: the pipe stays as it is */
		/* No /proc: take all that is there, and start a pipe of its own. */
		drain(t, p, SIZE_MAX, DRAIN_END_PIPE);
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	pl->w.fd = fds[0];
	pl->w.on_ready = on_output;
	if (loop_add(&t->loop, &pl->w, EPOLLIN) < 0) {
		int err = errno;
		close(fds[0]);
		close(fds[1]);
		pl->w.fd = -1;
		errno = err;
		return -1;
	}
	return fds[1];
}

void proclog_main_exited(struct tend *t, struct process *p)
{
	if (p->log.w.fd < 0)
		return;
	/* What it wrote before it died is in the pipe now; its last words need
	 * no newline to be written down. */
	drain(t, p, READ_BUDGET, DRAIN_LAST_WORDS);
}

void proclog_close(struct tend *t, struct process *p)
{
	struct proclog *pl = &p->log;
	if (pl->w.fd >= 0) {
		/* Descendants may still hold the pipe: take what is there, no more. */
		drain(t, p, READ_BUDGET, DRAIN_END_PIPE);
	}
	buf_free(&pl->partial);
	logfile_close(&pl->file);
	proclog_init(pl);
}
