/* sd_notify compatibility: daemons written for systemd tell tend that they
 * are ready, alive (watchdog) or what they are doing, unmodified.
 *
 * One datagram socket, RUNDIR/notify, is offered to every process as
 * NOTIFY_SOCKET. The kernel attaches the sender's credentials
 * (SO_PASSCRED), and a datagram counts only if its sender is the process
 * it speaks for or a member of that process's tree; anything else (an
 * unrelated process, a forged or truncated datagram) is dropped and
 * counted. File descriptors that come with a datagram are closed at once:
 * that is all BARRIER=1 asks (the sender waits until the receiver closes
 * it), and tend keeps no descriptors for anybody (no FDSTORE). */
#include "notify.h"
#include "context.h"
#include "log.h"
#include "tracker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define NOTIFY_DATAGRAM_MAX 4096
#define NOTIFY_FDS_MAX 32    /* more than this in one datagram: dropped (MSG_CTRUNC) */
#define NOTIFY_PER_WAKEUP 64 /* then back to the loop: a flood cannot starve supervision */
#define ANCESTRY_DEPTH_MAX 64

/* The parent of pid from /proc, 0 if unknown. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	int ppid = 0;
	char *s = strrchr(buf, ')'); /* the name may hold anything */
	if (!s || sscanf(s + 1, " %*c %d", &ppid) != 1)
		return 0;
	return (pid_t)ppid;
}

/* The process named by pid's TEND_PROCESS tag, if the tag is there. */
static struct process *process_by_tag(struct tend *t, pid_t pid)
{
	char path[64], env[16384];
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, env, sizeof(env) - 1) : -1;
	if (fd >= 0)
		close(fd);
	for (ssize_t i = 0; i < n; i += (ssize_t)strnlen(env + i, (size_t)(n - i)) + 1) {
		if (strncmp(env + i, "TEND_PROCESS=", 13) != 0)
			continue;
		char name[2 * NAME_MAX_LEN + 2];
		snprintf(name, sizeof(name), "%.*s",
			 (int)strnlen(env + i + 13, (size_t)(n - i - 13)), env + i + 13);
		char *slash = strchr(name, '/');
		if (!slash)
			return NULL;
		*slash = '\0';
		struct group *g = tend_find_group(t, name);
		return g ? group_find_process(g, slash + 1) : NULL;
	}
	return NULL;
}

static bool in_tree(struct tend *t, struct process *p, pid_t pid)
{
	struct pid_list members = { 0 };
	tracker_members(t, p, &members);
	bool found = pid_list_has(&members, pid);
	pid_list_free(&members);
	return found;
}

struct process *notify_sender(struct tend *t, pid_t pid)
{
	struct process *p = pidmap_get(&t->pids, pid);
	if (p)
		return p;
	/* A descendant whose ancestors lead to a main process belongs to it. */
	pid_t cur = pid;
	for (int depth = 0; depth < ANCESTRY_DEPTH_MAX; depth++) {
		cur = parent_of(cur);
		if (cur <= 1 || cur == getpid())
			break;
		if ((p = pidmap_get(&t->pids, cur)))
			return p;
	}
	/* An orphan tend adopted: its tag names a candidate, the tracker decides. */
	p = process_by_tag(t, pid);
	return p && in_tree(t, p, pid) ? p : NULL;
}

static uint64_t usec_to_ms(const char *text, bool *ok)
{
	char *end;
	errno = 0;
	unsigned long long us = strtoull(text, &end, 10);
	*ok = !errno && end != text && !*end && text[0] != '-';
	return (us + 999) / 1000;
}

/* MAINPID=: the daemon's main process is now another member of its tree
 * (a forking daemon's child). tend reaps it when it ends: an orphan comes
 * to tend as subreaper or PID 1. */
static void change_main_pid(struct tend *t, struct process *p, const char *value)
{
	char *end;
	long pid = strtol(value, &end, 10);
	if (*end || pid <= 1 || (pid_t)pid == p->pid)
		return;
	if (!in_tree(t, p, (pid_t)pid)) {
		t->notify_dropped++;
		return;
	}
	if (p->pid)
		pidmap_del(&t->pids, p->pid);
	p->pid = (pid_t)pid;
	if (pidmap_put(&t->pids, p->pid, p) < 0)
		tend_log(t, LOG_ERR, "out of memory tracking pid %ld", pid);
}

/* EXTEND_TIMEOUT_USEC=: more time to become ready, or to stop. */
static void extend_timeout(struct tend *t, struct process *p, uint64_t ms)
{
	if ((p->state == PS_STARTING && !p->ready && p->decl->type == TYPE_LONGRUN) ||
	    p->state == PS_STOPPING)
		tend_timer_in(t, &p->timer, ms);
}

/* One "KEY=VALUE" line. The process may be stopped or replaced by what a
 * line does (READY, trigger): the caller stops after such a line. */
static bool apply_line(struct tend *t, struct process *p, const char *line)
{
	char label[2 * NAME_MAX_LEN + 2];
	bool ok;
	if (strcmp(line, "READY=1") == 0) {
		process_step(t, p, PE_READY);
	} else if (strcmp(line, "WATCHDOG=1") == 0) {
		watchdog_kicked(t, p);
	} else if (strcmp(line, "WATCHDOG=trigger") == 0) {
		p->wd.triggered = true;
		process_step(t, p, PE_HUNG);
		p->wd.triggered = false;
		return false;
	} else if (strncmp(line, "WATCHDOG_USEC=", 14) == 0) {
		uint64_t ms = usec_to_ms(line + 14, &ok);
		if (ok)
			watchdog_set_timeout(t, p, ms);
	} else if (strncmp(line, "EXTEND_TIMEOUT_USEC=", 20) == 0) {
		uint64_t ms = usec_to_ms(line + 20, &ok);
		if (ok)
			extend_timeout(t, p, ms);
	} else if (strncmp(line, "STATUS=", 7) == 0) {
		char *text = strdup(line + 7);
		if (text) {
			free(p->status_text);
			p->status_text = text;
		}
	} else if (strcmp(line, "STOPPING=1") == 0) {
		tend_log(t, LOG_INFO, "%s: says it is stopping",
			 process_label(p, label, sizeof(label)));
	} else if (strncmp(line, "MAINPID=", 8) == 0) {
		change_main_pid(t, p, line + 8);
	} /* BARRIER=1: its descriptor is already closed; others: not ours */
	return true;
}

static void apply_datagram(struct tend *t, struct process *p, char *text)
{
	for (char *save, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!apply_line(t, p, line))
			return;
}

/* Closes every descriptor the datagram carried; returns the sender's
 * credentials, or NULL when there are none. */
static const struct ucred *read_control(struct msghdr *msg)
{
	const struct ucred *cred = NULL;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int *fds = (int *)CMSG_DATA(c);
			for (size_t i = 0; i < n; i++)
				close(fds[i]);
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			cred = (const struct ucred *)CMSG_DATA(c);
		}
	}
	return cred;
}

/* Receives one datagram; returns false when there is none left. */
static bool receive_one(struct tend *t, int fd)
{
	char text[NOTIFY_DATAGRAM_MAX + 1];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred)) +
			 CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
	} control;
	struct iovec iov = { .iov_base = text, .iov_len = NOTIFY_DATAGRAM_MAX };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
	if (n < 0)
		return errno == EINTR;
	const struct ucred *cred = read_control(&msg);
	struct process *p = cred ? notify_sender(t, cred->pid) : NULL;
	if (!p || n > NOTIFY_DATAGRAM_MAX || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		t->notify_dropped++;
		tend_log(t, LOG_DEBUG, "notify: dropped a datagram from pid %d",
			 cred ? (int)cred->pid : 0);
		return true;
	}
	text[n] = '\0';
	if (strlen(text) != (size_t)n) {
		t->notify_dropped++; /* a NUL inside: not a notification */
		return true;
	}
	apply_datagram(t, p, text);
	return true;
}

static void on_notify(struct tend *t, struct watcher *w, uint32_t events)
{
	(void)events;
	for (int i = 0; i < NOTIFY_PER_WAKEUP && receive_one(t, w->fd); i++)
		;
}

int notify_open(struct tend *t)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int one = 1;
	if (snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/notify", t->rundir) >=
	    (int)sizeof(addr.sun_path)) {
		tend_log(t, LOG_WARN, "%s/notify: path too long; no NOTIFY_SOCKET", t->rundir);
		return -1;
	}
	t->notify_path = strdup(addr.sun_path);
	t->notify.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	t->notify.on_ready = on_notify;
	unlink(addr.sun_path);
	if (!t->notify_path || t->notify.fd < 0 ||
	    setsockopt(t->notify.fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(t->notify.fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    loop_add(t, &t->notify, EPOLLIN) < 0) {
		tend_log(t, LOG_WARN, "%s: %m; no NOTIFY_SOCKET", addr.sun_path);
		notify_close(t);
		return -1;
	}
	/* Processes may run as other users: anyone may send, the credentials decide. */
	chmod(addr.sun_path, 0666);
	return 0;
}

void notify_close(struct tend *t)
{
	if (t->notify.fd >= 0) {
		close(t->notify.fd);
		if (t->notify_path)
			unlink(t->notify_path);
	}
	t->notify.fd = -1;
	free(t->notify_path);
	t->notify_path = NULL;
}
