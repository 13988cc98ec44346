/* The control socket server. Every client socket is non-blocking; replies
 * that cannot be written at once wait in the client's output buffer. */
#include "libtend/cmdline.h"
#include "base/container_of.h"
#include "base/json.h"
#include "sys/log.h"
#include "control/authorise.h"
#include "control/commands.h"
#include "control/fd_shortage.h"
#include "control/server.h"
#include "core/context.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "libtend/tend.h" /* libtend: protocol constants, default run dir */

/* ---- replies ---- */

void client_data_raw(struct client *c, const char *payload)
{
	/* A payload never spans lines: each line of it becomes a data line. */
	for (;;) {
		size_t n = strcspn(payload, "\n");
		buf_puts(&c->out, "> ");
		buf_append(&c->out, payload, n);
		buf_puts(&c->out, "\n");
		if (!payload[n] || !payload[n + 1])
			break;
		payload += n + 1;
	}
}

void client_data(struct client *c, const char *fmt, ...)
{
	struct buf line = { 0 };
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&line, fmt, ap);
	va_end(ap);
	client_data_raw(c, line.data ? line.data : "");
	buf_free(&line);
}

/* The reply could not be held whole (out of memory): its complete lines
 * stay, and the status line says why. If even that cannot be held, the
 * connection ends (client_flush), so the client is not left waiting. */
static void reply_out_of_memory(struct client *c)
{
	size_t keep = c->out.len;
	while (keep > c->out_sent && c->out.data[keep - 1] != '\n')
		keep--;
	c->out.len = keep;
	if (c->out.data)
		c->out.data[keep] = '\0';
	c->out.oom = false;
	buf_puts(&c->out, "ERR out of memory\n");
	tend_log(&c->ctl->t->log, LOG_WARN, "control: out of memory answering pid %d", (int)c->pid);
}

/* A status line is one line of printable UTF-8, whatever the message
 * holds: it often quotes the request ("no such group: ..."), and tendctl
 * prints it on a terminal, where an escape sequence would act. */
static void status_text_append(struct buf *out, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	while (*s) {
		size_t n = utf8_sequence_length(s);
		if (n == 1 && (*s < 0x20 || *s == 0x7f))
			buf_puts(out, *s == '\n' || *s == '\t' ? " " : "?");
		else if (n == 0)
			buf_puts(out, "?");
		else
			buf_append(out, (const char *)s, n);
		s += n ? n : 1;
	}
}

static void client_status(struct client *c, const char *word, const char *fmt, va_list ap)
{
	struct buf msg = { 0 };
	if (c->out.oom) {
		reply_out_of_memory(c);
		return;
	}
	/* (A message that cannot be held is left out: the word still tells.) */
	buf_vprintf(&msg, fmt, ap);
	buf_puts(&c->out, word);
	if (msg.len) {
		buf_puts(&c->out, " ");
		status_text_append(&c->out, msg.data);
	}
	buf_puts(&c->out, "\n");
	buf_free(&msg);
	if (c->out.oom)
		reply_out_of_memory(c);
}

void client_ok(struct client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	client_status(c, "OK", fmt, ap);
	va_end(ap);
}

void client_err(struct client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	client_status(c, "ERR", fmt, ap);
	va_end(ap);
}

void client_reply_buf(struct client *c, struct buf *out)
{
	if (out->oom) {
		client_err(c, "out of memory");
	} else {
		client_data_raw(c, out->data ? out->data : "");
		client_ok(c, "%s", "");
	}
	buf_free(out);
}

void client_reply_report(struct client *c, struct buf *report, bool ok, const char *ok_prefix)
{
	char *text = report->data ? report->data : (char *)"";
	size_t n = strlen(text);
	if (n && text[n - 1] == '\n')
		text[--n] = '\0';
	char *last = strrchr(text, '\n');
	if (last) {
		*last++ = '\0';
		client_data_raw(c, text);
	} else {
		last = text;
	}
	if (ok)
		client_ok(c, "%s%s", ok_prefix, last);
	else
		client_err(c, "%s", last);
}

/* ---- connections ---- */

/* Nothing more will be sent to c. */
static void client_discard_output(struct client *c)
{
	buf_reset(&c->out);
	c->out_sent = 0;
}

/* Sent bytes are dropped from the front only when they are at least half
 * of the buffer: each byte is moved at most once on average, where moving
 * the rest after every partial send made a slow reader's reply quadratic. */
static void compact_output(struct client *c)
{
	if (c->out_sent == c->out.len) {
		buf_reset(&c->out);
		c->out_sent = 0;
	} else if (c->out_sent >= c->out.len / 2) {
		buf_consume(&c->out, c->out_sent);
		c->out_sent = 0;
	}
}

static void client_free(struct client *c)
{
	struct control *ctl = c->ctl;
	struct client **pp = &ctl->clients;
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	watcher_close(&ctl->t->loop, &c->w);
	loop_timer_cancel(&ctl->t->loop, &c->idle);
	if (c->out.cap > CLIENT_OUTPUT_KEPT)
		ctl->trim = true;
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	ctl->nclients--;
}

/* Closes c now: nothing more is read from it or sent to it. */
static void client_drop(struct client *c)
{
	c->closing = true;
	client_discard_output(c);
	shutdown(c->w.fd, SHUT_RDWR);
}

/* Writes what it can; watches for writability when something is left. */
void client_flush(struct client *c)
{
	struct tend *t = c->ctl->t;
	while (client_unsent(c)) {
		ssize_t n =
		    send(c->w.fd, c->out.data + c->out_sent, client_unsent(c), MSG_NOSIGNAL);
		if (n > 0) {
			c->out_sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		c->closing = true; /* the peer is gone; its EPOLLHUP/ERR frees it */
		client_discard_output(c);
		return;
	}
	compact_output(c);
	/* A long reply (a status, a watch's snapshot) is not kept for the
	 * life of the connection: a hundred idle watchers would hold it each. */
	if (!c->out.len && c->out.cap > CLIENT_OUTPUT_KEPT) {
		buf_free(&c->out);
		c->ctl->trim = true;
	}
	/* A watcher may hold its snapshot on top (watch.c bounds the rest). */
	size_t max = CLIENT_OUTPUT_MAX + (c->watch.active ? c->watch.backlog : 0);
	if (client_unsent(c) > max || c->out.oom) {
		c->ctl->unread++;
		tend_log(&t->log, LOG_WARN,
			 "control: client pid %d does not read its replies; dropped (%lu so far)",
			 (int)c->pid, c->ctl->unread);
		client_drop(c);
	}
	/* Stop listening for input we would not read now (a request waits, one
	 * full request is buffered, or the peer half-closed): level-triggered
	 * epoll would otherwise report it again and again. */
	bool want_input = !c->closing && !c->eof && c->in.len < TEND_REQUEST_MAX &&
			  client_unsent(c) < CLIENT_OUTPUT_PAUSE;
	uint32_t ev = (client_unsent(c) ? EPOLLOUT : 0) | (want_input ? EPOLLIN | EPOLLRDHUP : 0);
	if (ev != c->events && loop_modify(&t->loop, &c->w, ev) == 0)
		c->events = ev;
}

/* One send per client and batch, not one per line: 20 `logs -f` readers
 * of a process writing as fast as it can made tend try a send for each
 * line and reader (30 000 a wake-up) and stall everyone else past 200 ms.
 * Over the bound, the flush drops it now. */
void client_queued(struct client *c)
{
	if (client_unsent(c) > CLIENT_OUTPUT_MAX || c->out.oom)
		client_flush(c);
}

/* The peer sends nothing more and nothing is owed to it: no deferred reply,
 * no stream (events, logs -f) it is reading. */
static bool client_finished(const struct client *c)
{
	/* requests may still wait in `in` (held while replies were unsent) */
	return c->eof && !c->in.len && !c->wait.active && !c->subscribed && !c->follow_group &&
	       !c->watch.active;
}

static void handle_line(struct client *c, char *line)
{
	const char *why = NULL;
	if (c->tenant_user && !tenant_request_allowed(line))
		return client_err(c, "permission denied: uid %d may only make these requests: %s",
				  (int)c->uid, TENANT_REQUESTS);
	char **argv = cmdline_split(line, &why);
	if (!argv) {
		c->ctl->bad_requests++;
		client_err(c, "bad request: %s", why);
	} else if (!argv[0]) {
		client_err(c, "usage: empty request");
	} else {
		command_dispatch(c->ctl->t, c, argv);
	}
	argv_free(argv);
}

/* Handles every complete line in the input; a reply pending (a start that
 * waits) holds the next request back, so replies keep the request order.
 * So do replies the client has not read yet: a few bytes of pipelined
 * `service list` must not make tend build a copy of the directory each. */
static void handle_input(struct client *c)
{
	while (!c->wait.active && !c->closing && client_unsent(c) < CLIENT_OUTPUT_PAUSE) {
		char *nl = c->in.data ? memchr(c->in.data, '\n', c->in.len) : NULL;
		if (!nl) {
			if (c->in.len >= TEND_REQUEST_MAX) {
				/* Refuse it, and skip the rest of that line as it comes. */
				c->ctl->too_long++;
				client_err(c, "request longer than %d bytes", TEND_REQUEST_MAX);
				buf_reset(&c->in);
				c->discarding = true;
			}
			return;
		}
		if (nl - c->in.data >= TEND_REQUEST_MAX) {
			c->ctl->too_long++;
			client_err(c, "request longer than %d bytes", TEND_REQUEST_MAX);
			buf_consume(&c->in, (size_t)(nl - c->in.data) + 1);
			continue;
		}
		/* A NUL would cut the line short unseen ("sta" for "sta\0tus"):
		 * a request is a line of text, and says so. */
		if (memchr(c->in.data, '\0', (size_t)(nl - c->in.data))) {
			c->ctl->bad_requests++;
			client_err(c,
				   "bad request: a NUL byte in it (a request is one line of text)");
			buf_consume(&c->in, (size_t)(nl - c->in.data) + 1);
			continue;
		}
		*nl = '\0';
		if (nl > c->in.data && nl[-1] == '\r')
			nl[-1] = '\0';
		struct buf line = { 0 };
		buf_puts(&line, c->in.data);
		buf_consume(&c->in, (size_t)(nl - c->in.data) + 1);
		/* A complete request: the connection is not idle. */
		c->request_sent = false;
		loop_timer_in(&c->ctl->t->loop, &c->idle, CLIENT_IDLE_MS);
		if (!line.oom)
			handle_line(c, line.data ? line.data : (char *)"");
		buf_free(&line);
	}
}

/* Appends a chunk that arrived, minus the rest of an over-long line. */
static void take_chunk(struct client *c, const char *data, size_t len)
{
	if (c->discarding) {
		const char *nl = memchr(data, '\n', len);
		if (!nl)
			return;
		c->discarding = false;
		len -= (size_t)(nl + 1 - data);
		data = nl + 1;
	}
	buf_append(&c->in, data, len);
}

static void read_requests(struct client *c)
{
	char chunk[4096];
	ssize_t n = -1;
	/* Never buffer more than one request's worth, and read a bounded amount
	 * per wake-up so that one flooding client cannot starve the others. */
	for (int rounds = 0; rounds < 64 && !c->eof && c->in.len < TEND_REQUEST_MAX; rounds++) {
		n = recv(c->w.fd, chunk, sizeof(chunk), 0);
		if (n <= 0)
			break;
		take_chunk(c, chunk, (size_t)n);
		handle_input(c);
	}
	if (n == 0) {
		c->eof = true;
		/* `echo -n status | socat ...`: a last request without a newline. */
		if (c->in.len && !c->discarding && !memchr(c->in.data, '\n', c->in.len))
			buf_puts(&c->in, "\n");
	}
}

static void on_client(struct watcher *w, uint32_t events)
{
	struct client *c = container_of(w, struct client, w);
	if (events & (EPOLLIN | EPOLLRDHUP))
		read_requests(c);
	if (events & (EPOLLERR | EPOLLHUP)) {
		c->closing = true; /* nobody is left to read a reply */
		client_discard_output(c);
	}
	handle_input(c);
	if (client_finished(c))
		c->closing = true;
	client_flush(c);
}

/* The output bound is per client; this one is for all of them: 200
 * subscribers that never read would otherwise hold 16 MiB each. While the
 * total is over, the client holding the most is dropped. */
static void enforce_output_total(struct control *ctl)
{
	for (;;) {
		size_t total = 0;
		struct client *worst = NULL;
		for (struct client *c = ctl->clients; c; c = c->next) {
			total += client_unsent(c);
			if (!worst || client_unsent(c) > client_unsent(worst))
				worst = c;
		}
		if (total <= CONTROL_OUTPUT_TOTAL_MAX || !worst)
			return;
		ctl->over_total++;
		tend_log(&ctl->t->log, LOG_WARN,
			 "control: clients hold %zu unsent bytes (limit %u); pid %d, with %zu, "
			 "dropped (%lu so far)",
			 total, CONTROL_OUTPUT_TOTAL_MAX, (int)worst->pid, client_unsent(worst),
			 ctl->over_total);
		client_drop(worst);
	}
}

/* Between batches of events (and after timers): runs requests that waited
 * behind a deferred reply, closes what is finished, frees what is done -
 * here, so that no pending event of a batch can refer to a freed client. */
void control_after_events(void *ctx)
{
	struct control *ctl = ctx;
	struct client *c = ctl->clients, *next;
	/* Long replies were freed: give their pages back. glibc keeps such
	 * buffers in the heap once one has been freed (it raises its mmap
	 * threshold), where a hundred watchers' snapshots would stay as RSS. */
	if (ctl->trim) {
		ctl->trim = false;
		malloc_trim(0);
	}
	for (; c; c = next) {
		next = c->next;
		if (!c->wait.active && c->in.len && !c->closing &&
		    client_unsent(c) < CLIENT_OUTPUT_PAUSE)
			handle_input(c);
		if (client_finished(c))
			c->closing = true;
		client_flush(c);
		if (c->closing && !client_unsent(c))
			client_free(c);
	}
}

/* The last hook of a batch: what the hooks after control_after_events
 * (the groups' starts and stops) gave a watcher or a subscriber is sent
 * now, not at the next wake-up. */
void control_flush_pending(void *ctx)
{
	struct control *ctl = ctx;
	for (struct client *c = ctl->clients; c; c = c->next)
		if (client_unsent(c) && !(c->events & EPOLLOUT) && !c->closing)
			client_flush(c);
	enforce_output_total(ctl);
}

void refuse_connection(int fd, const char *why)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "ERR %s\n", why);
	if (n > 0) /* if the peer is gone, there is nothing to tell */
		send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* Idle: no deferred reply, no stream read, no complete request since the
 * timer was armed. Such a connection only holds a slot. */
static bool client_idle(const struct client *c)
{
	return !c->wait.active && !c->subscribed && !c->follow_group && !c->watch.active &&
	       !client_unsent(c) && !c->closing && !c->request_sent;
}

/* Whether a whole request (a line) waits in c's socket, unread: a
 * connection accepted in the same batch as a flood of connections has
 * sent its request before tend got to read it. A half request is no
 * request: such a connection stays idle. */
static bool request_waiting(struct client *c)
{
	char peek[TEND_REQUEST_MAX];
	ssize_t n = recv(c->w.fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
	c->request_sent = n > 0 && memchr(peek, '\n', (size_t)n);
	return c->request_sent;
}

static void on_idle_timeout(struct timer *tm)
{
	struct client *c = container_of(tm, struct client, idle);
	if (!client_idle(c)) {
		/* A stream or a wait: not idle now; looked at again later,
		 * since a wait or a stream that ends leaves it idle. */
		loop_timer_in(&c->ctl->t->loop, &c->idle, CLIENT_IDLE_MS);
		return;
	}
	c->ctl->idle_closed++;
	tend_log(&c->ctl->t->log, LOG_INFO,
		 "control: pid %d sent no request for %d s; closed (%lu so far)", (int)c->pid,
		 CLIENT_IDLE_MS / 1000, c->ctl->idle_closed);
	client_err(c, "idle for %d s: connection closed by tend", CLIENT_IDLE_MS / 1000);
	c->closing = true;
	client_flush(c);
}

/* A slot for a privileged caller when all are taken: the oldest idle
 * connection gives it up (the list is newest first). Connections already
 * closing are not counted, since they will be gone after this batch. */
static bool evict_oldest_idle(struct control *ctl)
{
	struct client *oldest;
	do { /* each connection is looked into at most once: then it is not idle */
		oldest = NULL;
		for (struct client *c = ctl->clients; c; c = c->next)
			if (client_idle(c))
				oldest = c;
	} while (oldest && request_waiting(oldest));
	if (!oldest)
		return false;
	/* Freed after the batch (control_after_events), as a later event of
	 * this batch may be its own; until then the count is over by it. */
	ctl->evicted++;
	client_err(oldest, "too many connections: an idle one closed by tend");
	oldest->closing = true;
	client_flush(oldest);
	shutdown(oldest->w.fd, SHUT_RD);
	return true;
}

static unsigned clients_open(const struct control *ctl)
{
	unsigned n = 0;
	for (const struct client *c = ctl->clients; c; c = c->next)
		n += !c->closing;
	return n;
}

static unsigned clients_of_uid(const struct control *ctl, uid_t uid)
{
	unsigned n = 0;
	for (const struct client *c = ctl->clients; c; c = c->next)
		n += c->uid == uid;
	return n;
}

/* Decides before any slot is taken: refused uids are closed at once, other
 * users are held to CLIENTS_PER_UID and to the slots outside the reserve;
 * root and tend's own uid are always served, at the cost of the oldest idle
 * connection if need be. Returns why the caller is refused, or NULL:
 * admitted. */
static const char *admission(struct control *ctl, enum caller_kind kind, uid_t uid)
{
	if (kind == CALLER_REFUSED)
		return "permission denied: this uid may not use tend's control socket";
	if (kind == CALLER_FULL) {
		if (clients_open(ctl) >= MAX_CLIENTS && !evict_oldest_idle(ctl))
			return "too many connections";
		return NULL;
	}
	if (ctl->nclients >= MAX_CLIENTS - CLIENTS_RESERVED)
		return "too many connections";
	if (clients_of_uid(ctl, uid) >= CLIENTS_PER_UID)
		return "too many connections from this uid";
	return NULL;
}

static void accept_client(struct control *ctl, int fd)
{
	struct tend *t = ctl->t;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		close(fd);
		return;
	}
	enum caller_kind kind = caller_kind(t, cred.uid);
	const char *why = admission(ctl, kind, cred.uid);
	struct client *c = why ? NULL : calloc(1, sizeof(*c));
	if (!c) {
		unsigned long *count =
		    kind == CALLER_REFUSED ? &ctl->refused_uid : &ctl->refused_full;
		++*count;
		/* counted, and logged at powers of two: a flood does not fill the log */
		if (!(*count & (*count - 1)))
			tend_log(&t->log, LOG_WARN,
				 "control: uid %d (pid %d): %s; refused (%lu so far)",
				 (int)cred.uid, (int)cred.pid, why ? why : "out of memory", *count);
		refuse_connection(fd, why ? why : "out of memory");
		return;
	}
	c->w.fd = fd;
	c->w.on_ready = on_client;
	c->ctl = ctl;
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->tenant_user = kind == CALLER_TENANT;
	timer_init(&c->idle, on_idle_timeout);
	c->next = ctl->clients;
	ctl->clients = c;
	ctl->nclients++;
	c->events = EPOLLIN | EPOLLRDHUP;
	if (loop_add(&t->loop, &c->w, c->events) < 0) {
		client_free(c);
		return;
	}
	loop_timer_in(&t->loop, &c->idle, CLIENT_IDLE_MS);
}

/* accept failing with EMFILE or ENFILE: fd_shortage.h. */
static void on_accept(struct watcher *w, uint32_t events)
{
	(void)events;
	struct control *ctl = container_of(w, struct control, w);
	struct tend *t = ctl->t;
	int fd;
	for (;;) {
		fd = fault_check(&t->sys.faults, FAULT_ACCEPT)
			 ? -1
			 : accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				fd_shortage_refuse(ctl, errno);
			break;
		}
		fd_shortage_over(ctl);
		accept_client(ctl, fd);
	}
}

int control_open(struct control *ctl, struct tend *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	ctl->t = t;
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", t->rundir, TEND_SOCKET_NAME);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		tend_log(&t->log, LOG_ERR, "run directory path too long for a socket: %s",
			 t->rundir);
		return -1;
	}
	ctl->path = strdup(sa.sun_path);
	fd_shortage_init(ctl);
	unlink(sa.sun_path); /* a stale socket: the lock says nobody serves it */
	ctl->w.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ctl->w.on_ready = on_accept;
	mode_t old = umask(0177); /* the socket is 0600 from its first moment */
	int r = ctl->w.fd < 0 ? -1 : bind(ctl->w.fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(ctl->w.fd, 64) < 0 || loop_add(&t->loop, &ctl->w, EPOLLIN) < 0) {
		tend_log(&t->log, LOG_ERR, "control socket %s: %m", sa.sun_path);
		return -1;
	}
	return 0;
}

void control_socket_mode(struct control *ctl)
{
	struct tend *t = ctl->t;
	bool tenant_users = false;
	for (size_t i = 0; i < t->tenants.n; i++)
		tenant_users |= tenant_user(&t->tenants.decls[i]) != NO_ID;
	mode_t mode = geteuid() == 0 && tenant_users ? 0666 : 0600;
	if (ctl->path && chmod(ctl->path, mode) < 0)
		tend_log(&t->log, LOG_WARN, "control socket %s: chmod %o: %m", ctl->path, mode);
}

void control_close(struct control *ctl)
{
	/* client_free takes the client off ctl->clients (its c->ctl is ctl,
	 * which the analyzer does not know). */
	while (ctl->clients) {
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		if (ctl->clients->subscribed || ctl->clients->follow_group ||
		    (ctl->clients->watch.active && !ctl->clients->watch.dropped))
			/* the stream ends by design, not by accident */
			client_ok(ctl->clients, "tend is exiting");
		client_flush(ctl->clients);
		client_free(ctl->clients);
	}
	if (ctl->t)
		watcher_close(&ctl->t->loop, &ctl->w);
	if (ctl->path) {
		unlink(ctl->path);
		free(ctl->path);
		ctl->path = NULL;
	}
	fd_shortage_close(ctl);
}
