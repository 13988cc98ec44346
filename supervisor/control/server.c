/* The control socket server. Every client socket is non-blocking; replies
 * that cannot be written at once wait in the client's output buffer. */
#include "libtend/cmdline.h"
#include "base/container_of.h"
#include "sys/log.h"
#include "base/logfile.h"
#include "core/context.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
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

static void client_status(struct client *c, const char *word, const char *fmt, va_list ap)
{
	struct buf msg = { 0 };
	buf_vprintf(&msg, fmt, ap);
	buf_puts(&c->out, word);
	if (msg.len) {
		buf_puts(&c->out, " ");
		/* The status line is one line, whatever the message holds. */
		for (char *s = msg.data; *s; s++)
			if (*s == '\n')
				*s = ' ';
		buf_puts(&c->out, msg.data);
	}
	buf_puts(&c->out, "\n");
	buf_free(&msg);
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

/* ---- connections ---- */

static void client_free(struct tend *t, struct client *c)
{
	struct client **pp = &t->control.clients;
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	loop_remove(&t->loop, &c->w);
	close(c->w.fd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	t->control.nclients--;
}

/* Writes what it can; watches for writability when something is left. */
void client_flush(struct tend *t, struct client *c)
{
	while (c->out.len) {
		ssize_t n = send(c->w.fd, c->out.data, c->out.len, MSG_NOSIGNAL);
		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		c->closing = true; /* the peer is gone; its EPOLLHUP/ERR frees it */
		buf_reset(&c->out);
		return;
	}
	if (c->out.len > CLIENT_OUTPUT_MAX || c->out.oom) {
		tend_log(&t->log, LOG_WARN,
			 "control: client pid %d does not read its replies; dropped", (int)c->pid);
		c->closing = true;
		buf_reset(&c->out);
		shutdown(c->w.fd, SHUT_RDWR);
	}
	/* Stop listening for input we would not read now (a request waits, one
	 * full request is buffered, or the peer half-closed): level-triggered
	 * epoll would otherwise report it again and again. */
	bool want_input = !c->closing && !c->eof && c->in.len < TEND_REQUEST_MAX;
	uint32_t ev = (c->out.len ? EPOLLOUT : 0) | (want_input ? EPOLLIN | EPOLLRDHUP : 0);
	if (ev != c->events && loop_modify(&t->loop, &c->w, ev) == 0)
		c->events = ev;
}

/* The peer sends nothing more and nothing is owed to it: no deferred reply,
 * no stream (events, logs -f) it is reading. */
static bool client_finished(const struct client *c)
{
	return c->eof && !c->wait.active && !c->subscribed && !c->follow_group;
}

static void handle_line(struct tend *t, struct client *c, char *line)
{
	const char *why = NULL;
	if (c->refused)
		return client_err(c, "permission denied");
	char **argv = cmdline_split(line, &why);
	if (!argv)
		client_err(c, "bad request: %s", why);
	else if (!argv[0])
		client_err(c, "usage: empty request");
	else
		command_dispatch(t, c, argv);
	argv_free(argv);
}

/* Handles every complete line in the input; a reply pending (a start that
 * waits) holds the next request back, so replies keep the request order. */
static void handle_input(struct tend *t, struct client *c)
{
	while (!c->wait.active && !c->closing) {
		char *nl = c->in.data ? memchr(c->in.data, '\n', c->in.len) : NULL;
		if (!nl) {
			if (c->in.len >= TEND_REQUEST_MAX) {
				/* Refuse it, and skip the rest of that line as it comes. */
				client_err(c, "request longer than %d bytes", TEND_REQUEST_MAX);
				buf_reset(&c->in);
				c->discarding = true;
			}
			return;
		}
		if (nl - c->in.data >= TEND_REQUEST_MAX) {
			client_err(c, "request longer than %d bytes", TEND_REQUEST_MAX);
			buf_consume(&c->in, (size_t)(nl - c->in.data) + 1);
			continue;
		}
		*nl = '\0';
		if (nl > c->in.data && nl[-1] == '\r')
			nl[-1] = '\0';
		struct buf line = { 0 };
		buf_puts(&line, c->in.data);
		buf_consume(&c->in, (size_t)(nl - c->in.data) + 1);
		if (!line.oom)
			handle_line(t, c, line.data ? line.data : (char *)"");
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

static void read_requests(struct tend *t, struct client *c)
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
		handle_input(t, c);
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
	struct tend *t = c->t;
	if (events & (EPOLLIN | EPOLLRDHUP))
		read_requests(t, c);
	if (events & (EPOLLERR | EPOLLHUP)) {
		c->closing = true; /* nobody is left to read a reply */
		buf_reset(&c->out);
	}
	handle_input(t, c);
	if (client_finished(c))
		c->closing = true;
	client_flush(t, c);
}

/* Between batches of events (and after timers): runs requests that waited
 * behind a deferred reply, closes what is finished, frees what is done -
 * here, so that no pending event of a batch can refer to a freed client. */
void control_after_events(struct tend *t)
{
	struct client *c = t->control.clients, *next;
	for (; c; c = next) {
		next = c->next;
		if (!c->wait.active && c->in.len && !c->closing)
			handle_input(t, c);
		if (client_finished(c))
			c->closing = true;
		client_flush(t, c);
		if (c->closing && !c->out.len)
			client_free(t, c);
	}
}

static bool caller_allowed(struct tend *t, struct client *c)
{
	(void)t;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(c->w.fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	c->uid = cred.uid;
	c->pid = cred.pid;
	return cred.uid == 0 || cred.uid == geteuid();
}

/* Out of file descriptors, a pending connection would stay pending and the
 * level-triggered listener would wake tend again at once, forever. A spare
 * fd kept for this moment lets tend accept the connection and close it. */
static void refuse_when_out_of_fds(struct tend *t, int listen_fd)
{
	struct control *ctl = &t->control;
	if (ctl->spare_fd < 0)
		return;
	close(ctl->spare_fd);
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	tend_log(&t->log, LOG_WARN, "control: out of file descriptors; connection refused");
}

static void on_accept(struct watcher *w, uint32_t events)
{
	(void)events;
	struct tend *t = container_of(w, struct tend, control.w);
	int fd;
	for (;;) {
		fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				refuse_when_out_of_fds(t, w->fd);
			break;
		}
		struct client *c = calloc(1, sizeof(*c));
		if (!c || t->control.nclients >= MAX_CLIENTS) {
			tend_log(&t->log, LOG_WARN,
				 "control: too many clients; connection refused");
			free(c);
			close(fd);
			continue;
		}
		c->w.fd = fd;
		c->w.on_ready = on_client;
		c->t = t;
		c->next = t->control.clients;
		t->control.clients = c;
		t->control.nclients++;
		c->events = EPOLLIN | EPOLLRDHUP;
		if (loop_add(&t->loop, &c->w, c->events) < 0) {
			client_free(t, c);
			continue;
		}
		/* A refused caller still gets an answer to each request rather than
		 * a connection closed under its feet. */
		c->refused = !caller_allowed(t, c);
		if (c->refused)
			tend_log(&t->log, LOG_WARN, "control: refused uid %d (pid %d)", (int)c->uid,
				 (int)c->pid);
	}
}

/* One tend per run directory: a second one would fight over the socket. */
static int take_lock(struct tend *t)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/tend.pid", t->rundir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		tend_log(&t->log, LOG_ERR, "%s: %s", path,
			 errno == EWOULDBLOCK ? "another tend runs with this run directory"
					      : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, pid, (size_t)n) != n)
		tend_log(&t->log, LOG_WARN, "%s: cannot write pid", path);
	t->control.lock_fd = fd;
	return 0;
}

int control_open(struct tend *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *ctl = &t->control;
	if (take_lock(t) < 0)
		return -1;
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", t->rundir, TEND_SOCKET_NAME);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		tend_log(&t->log, LOG_ERR, "run directory path too long for a socket: %s",
			 t->rundir);
		return -1;
	}
	ctl->path = strdup(sa.sun_path);
	ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
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

void control_log_line(struct tend *t, struct process *p, const char *line, size_t len)
{
	for (struct client *c = t->control.clients; c; c = c->next) {
		if (c->follow_group != p->group || (c->follow_proc && c->follow_proc != p) ||
		    c->closing)
			continue;
		char when[WALL_TIME_LEN];
		wall_time(when, sizeof(when));
		struct buf msg = { 0 };
		buf_printf(&msg, "%s ", when);
		if (!c->follow_proc)
			buf_printf(&msg, "%s: ", p->decl->name);
		buf_append(&msg, line, len);
		client_data_raw(c, msg.data);
		buf_free(&msg);
		client_flush(t, c);
	}
}

void control_move_followers(struct tend *t, struct group *from, struct group *to)
{
	for (struct client *c = t->control.clients; c; c = c->next) {
		if (c->follow_group != from)
			continue;
		c->follow_group = to;
		if (c->follow_proc) /* the same name in the new declaration, if any */
			c->follow_proc = group_find_process(to, c->follow_proc->decl->name);
		if (c->follow_proc == NULL && c->follow_group && !c->follow_all) {
			/* the process it followed is gone from the group */
			c->follow_group = NULL;
			client_ok(c, "process removed by a reload");
			c->closing = true;
			client_flush(t, c);
		}
	}
}

void control_forget_followers(struct tend *t, struct group *g)
{
	for (struct client *c = t->control.clients; c; c = c->next) {
		if (c->follow_group == g) {
			c->follow_group = NULL;
			c->follow_proc = NULL;
			client_ok(c, "group %s was removed by a reload", g->decl.name);
			c->closing = true;
			client_flush(t, c);
		}
	}
}

void control_forget_group(struct tend *t, struct group *g)
{
	control_forget_followers(t, g);
	for (struct client *c = t->control.clients; c; c = c->next) {
		if (c->wait.active && c->wait.group == g) {
			/* A stop asked for has happened; a start will not. */
			c->wait.active = false;
			if (c->wait.want_up)
				client_err(c, "group %s was removed by a reload", g->decl.name);
			else
				client_ok(c, "group %s stopped", g->decl.name);
			client_flush(t, c);
		}
	}
}

void control_close(struct tend *t)
{
	struct control *ctl = &t->control;
	while (ctl->clients) {
		if (ctl->clients->subscribed || ctl->clients->follow_group)
			/* the stream ends by design, not by accident */
			client_ok(ctl->clients, "tend is exiting");
		client_flush(t, ctl->clients);
		client_free(t, ctl->clients);
	}
	watcher_close(&t->loop, &ctl->w);
	if (ctl->path) {
		unlink(ctl->path);
		free(ctl->path);
		ctl->path = NULL;
	}
	if (ctl->lock_fd >= 0) {
		close(ctl->lock_fd);
		ctl->lock_fd = -1;
	}
	if (ctl->spare_fd >= 0) {
		close(ctl->spare_fd);
		ctl->spare_fd = -1;
	}
}

/* Only answers: requests queued behind the wait run later, from
 * control_after_events(), never inside a state machine's transition. */
void control_notify(struct tend *t)
{
	for (struct client *c = t->control.clients; c; c = c->next) {
		if (c->wait.active && command_wait_settled(t, c))
			client_flush(t, c);
	}
}
