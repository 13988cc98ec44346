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

static void write_line(struct tend *t, struct process *p, const char *line, size_t len)
{
	name_log(t, p);
	struct logfile *lf = &p->log.file;
	int r = logfile_write(lf, line, len, p->decl->log_size, p->decl->log_keep, &t->sys.faults);
	if (r < 0 && !lf->path)
		return;
	if (r < 0 || lf->lost)
		say_log_fault(t, p, r == 0);
	struct bus_event ev = { .kind = BUS_PROCESS_LOG_LINE, .proc = p, .text = line, .len = len };
	bus_publish(&t->bus, &ev);
}

/* Cuts what arrived into lines; keeps an unfinished one for later. */
static void take_output(struct tend *t, struct process *p, const char *data, size_t len)
{
	struct buf *part = &p->log.partial;
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		if (part->len + n >= LOG_LINE_MAX)
			n = LOG_LINE_MAX - part->len; /* a line too long: written in pieces */
		buf_append(part, data, n);
		data += n;
		len -= n;
		bool complete = len && *data == '\n';
		if (complete) {
			data++;
			len--;
		}
		/* The newline that ends a line already written in pieces ends nothing new. */
		if (complete && !part->len && p->log.cut) {
			p->log.cut = false;
			continue;
		}
		if (complete || part->len >= LOG_LINE_MAX) {
			p->log.cut = !complete;
			write_line(t, p, part->data ? part->data : "", part->len);
			buf_reset(part);
		} else if (n) {
			p->log.cut = false;
		}
	}
}

static void write_partial(struct tend *t, struct process *p)
{
	if (p->log.partial.len) {
		write_line(t, p, p->log.partial.data, p->log.partial.len);
		buf_reset(&p->log.partial);
	}
}

/* Every writer is gone (the process and whatever it left behind): its
 * last words need no newline, and the pipe goes. The next start makes a
 * new one. */
static void pipe_ended(struct tend *t, struct process *p)
{
	write_partial(t, p);
	watcher_close(&t->loop, &p->log.w);
}

static void drain(struct tend *t, struct process *p, size_t budget)
{
	char chunk[8192];
	ssize_t n = -1;
	size_t got = 0;
	while (got < budget && (n = read(p->log.w.fd, chunk, sizeof(chunk))) > 0) {
		take_output(t, p, chunk, (size_t)n);
		got += (size_t)n;
	}
	if (n == 0)
		pipe_ended(t, p);
}

static void on_output(struct watcher *w, uint32_t events)
{
	(void)events;
	struct process *p = process_of(container_of(w, struct proclog, w));
	drain(p->group->tend, p, READ_BUDGET);
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
		drain(t, p, SIZE_MAX);
		if (pl->w.fd >= 0)
			pipe_ended(t, p);
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
	drain(t, p, READ_BUDGET);
	write_partial(t, p);
}

void proclog_close(struct tend *t, struct process *p)
{
	struct proclog *pl = &p->log;
	if (pl->w.fd >= 0) {
		/* Descendants may still hold the pipe: take what is there, no more. */
		drain(t, p, READ_BUDGET);
		write_partial(t, p);
		watcher_close(&t->loop, &pl->w);
	}
	buf_free(&pl->partial);
	logfile_close(&pl->file);
	proclog_init(pl);
}
