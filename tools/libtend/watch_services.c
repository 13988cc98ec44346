/* A watch of the services directory (see tend.h): one connection that
 * streams data lines, read without blocking into a buffer the watch owns,
 * and decoded one event at a time. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "services_parse.h"
#include "tend.h"

/* Room for several events; a line longer than this is not tend's (the
 * longest service line is about 6 KiB) and is passed on cut, as OTHER. */
#define WATCH_BUF (64u << 10)

struct tend_watch {
	int fd;
	size_t len;    /* bytes in buf */
	size_t start;  /* where the next line begins */
	bool skipping; /* dropping the rest of an over-long line */
	int end_errno; /* why the watch is over; 0 while it goes on */
	char end_msg[256];
	char buf[WATCH_BUF];
};

/* The watch is over, for good. */
static void end(struct tend_watch *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->end_msg, sizeof(w->end_msg), fmt, ap);
	va_end(ap);
	w->end_errno = err;
}

static int ended(const struct tend_watch *w, struct tend_watch_event *ev)
{
	svc_event_reset(ev, w->end_msg);
	errno = w->end_errno;
	return -1;
}

/* A status line ends a stream: "OK text" when tend stops, "ERR text"
 * when it refused. Returns whether line was one (and ends w). */
static bool status_line(struct tend_watch *w, const char *line)
{
	/* The analyzer assumes that memchr over w->buf's 0 bytes found a
	 * newline (first_line), so that line holds garbage: it cannot. */
	/* NOLINTBEGIN(clang-analyzer-core.uninitialized.Branch) */
	if (strcmp(line, "OK") == 0 || strncmp(line, "OK ", 3) == 0)
		end(w, ECONNRESET, "%s", line[2] ? line + 3 : "tend ended the watch");
	else if (strcmp(line, "ERR") == 0 || strncmp(line, "ERR ", 4) == 0)
		end(w, EPROTO, "%s", line[3] ? line + 4 : "error");
	else
		return false;
	/* NOLINTEND(clang-analyzer-core.uninitialized.Branch) */
	return true;
}

/* One complete line (NUL-terminated). Returns 1 with ev filled, 2 for a
 * line that gives no event, -1 when the watch ended or out of memory. */
static int handle_line(struct tend_watch *w, const char *line, struct tend_watch_event *ev)
{
	const char *why;

	if (w->skipping) { /* the tail of an over-long line, passed on already */
		w->skipping = false;
		return 2;
	}
	if (line[0] == '>' && (line[1] == ' ' || line[1] == '\0'))
		return svc_parse_event(line[1] ? line + 2 : line + 1, ev, &why) < 0 ? -1 : 1;
	if (!status_line(w, line))
		end(w, EBADMSG, "not a line of the control protocol: %.200s", line);
	return ended(w, ev);
}

/* Reads what there is. 1: something came; 0: nothing yet (EAGAIN); -1:
 * the watch ended. */
static int fill(struct tend_watch *w)
{
	ssize_t n;

	if (w->start > 0) { /* move the partial line to the front */
		memmove(w->buf, w->buf + w->start, w->len - w->start);
		w->len -= w->start;
		w->start = 0;
	}
	for (;;) {
		n = read(w->fd, w->buf + w->len, sizeof(w->buf) - w->len);
		if (n > 0) {
			w->len += (size_t)n;
			return 1;
		}
		if (n == 0) {
			end(w, ECONNRESET, "connection closed by tend");
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			errno = EAGAIN;
			return 0;
		}
		end(w, errno, "cannot read from tend: %s", libtend_strerror(errno));
		return -1;
	}
}

int tend_watch_next(struct tend_watch *w, struct tend_watch_event *ev)
{
	char *nl;
	int r;

	if (!w || !ev) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		if (w->end_errno)
			return ended(w, ev);
		nl = memchr(w->buf + w->start, '\n', w->len - w->start);
		if (nl) {
			*nl = '\0';
			r = handle_line(w, w->buf + w->start, ev);
			if (r < 0 && !w->end_errno) { /* out of memory: keep the line */
				*nl = '\n';
				return -1;
			}
			w->start = (size_t)(nl + 1 - w->buf);
			if (r != 2)
				return r;
			continue;
		}
		if (w->start == 0 && w->len == sizeof(w->buf)) {
			/* No newline in all of it: pass its beginning on, drop the rest. */
			bool first = !w->skipping;

			w->buf[w->len - 1] = '\0';
			if (first)
				svc_event_reset(ev, strncmp(w->buf, "> ", 2) ? w->buf : w->buf + 2);
			w->skipping = true;
			w->len = 0;
			if (first)
				return 1;
			continue;
		}
		r = fill(w);
		if (r <= 0 && !w->end_errno)
			return 0;
	}
}

int tend_watch_fd(const struct tend_watch *w)
{
	return w ? w->fd : -1;
}

void tend_watch_close(struct tend_watch *w)
{
	int saved = errno;

	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
	errno = saved;
}

/* "watch SCOPE [NAME] [--since N]" into argv (6 slots). NULL, or why not. */
static const char *watch_argv(const char *what, const char *name, const uint64_t *since,
			      const char **argv, char *num, size_t numlen)
{
	size_t n = 0;

	argv[n++] = "watch";
	if (!what || strcmp(what, "all") == 0) {
		argv[n++] = "all";
	} else if (strcmp(what, "service") == 0 || strcmp(what, "group") == 0 ||
		   strcmp(what, "host") == 0) {
		if (!name || !*name)
			return "watching a service, group or host needs its name";
		argv[n++] = what;
		argv[n++] = name;
	} else {
		return "what to watch: all, service, group or host";
	}
	if (since) {
		snprintf(num, numlen, "%" PRIu64, *since);
		argv[n++] = "--since";
		argv[n++] = num;
	}
	argv[n] = NULL;
	return NULL;
}

/* Blocks until tend's first line has come: a refused watch fails at once. */
static int first_line(struct tend_watch *w, char *msg, size_t msglen)
{
	char *nl = NULL;

	while (!w->end_errno && w->len < sizeof(w->buf) && !(nl = memchr(w->buf, '\n', w->len)))
		fill(w);
	if (nl) {
		*nl = '\0';
		if (!status_line(w, w->buf))
			*nl = '\n'; /* a data line: the first event, kept */
	}
	if (!w->end_errno)
		return 0;
	libtend_set_msg(msg, msglen, "%s", w->end_msg);
	errno = w->end_errno;
	return -1;
}

struct tend_watch *tend_watch_open(const char *rundir, const char *what, const char *name,
				   const uint64_t *since, char *msg, size_t msglen)
{
	const char *argv[6], *why;
	struct tend_watch *w;
	char num[24];
	int saved, flags;

	if (msg && msglen > 0)
		msg[0] = '\0';
	why = watch_argv(what, name, since, argv, num, sizeof(num));
	if (why) {
		libtend_set_msg(msg, msglen, "%s", why);
		errno = EINVAL;
		return NULL;
	}
	w = malloc(sizeof(*w));
	if (!w) {
		libtend_set_msg(msg, msglen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	w->len = w->start = 0;
	w->skipping = false;
	w->end_errno = 0;
	w->fd = tend_connect(rundir);
	if (w->fd < 0) {
		saved = errno;
		libtend_set_msg(msg, msglen, "cannot connect to tend: %s", libtend_strerror(saved));
		goto fail;
	}
	if (libtend_send_request(w->fd, (char *const *)argv, msg, msglen) < 0 ||
	    first_line(w, msg, msglen) < 0) {
		saved = errno;
		goto fail;
	}
	flags = fcntl(w->fd, F_GETFL);
	if (flags < 0 || fcntl(w->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		saved = errno;
		libtend_set_msg(msg, msglen, "cannot make the connection non-blocking: %s",
				libtend_strerror(saved));
		goto fail;
	}
	return w;
fail:
	tend_watch_close(w);
	errno = saved;
	return NULL;
}
