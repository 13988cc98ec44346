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
#include "core/notify.h"
#include "base/container_of.h"
#include "config/users.h"
#include "core/context.h"
#include "sys/log.h"
#include "sys/tracker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOTIFY_DATAGRAM_MAX 4096
#define NOTIFY_FDS_MAX 32    /* more than this in one datagram: dropped (MSG_CTRUNC) */
#define NOTIFY_PER_WAKEUP 64 /* then back to the loop: a flood cannot starve supervision */
#define ANCESTRY_DEPTH_MAX 64
#define LOOKUPS_PER_STRANGER 10 /* look-ups per second of a sender that is nobody's */

static pid_t parent_of(pid_t pid)
{
	pid_t ppid, session;
	return proc_parent_session(pid, &ppid, &session) == 0 ? ppid : 0;
}

/* The process named by pid's TEND_PROCESS tag, if the tag is there. */
static struct process *process_by_tag(struct tend *t, pid_t pid)
{
	char name[512];
	struct group *g;
	struct process *p;
	if (proc_tag(pid, name, sizeof(name)) < 0 || !tend_find_target(t, name, &g, &p))
		return NULL;
	return p;
}

/* Whether pid is in p's tree by evidence a process cannot forge: its
 * cgroup (cgroup tracking), or (ancestry tracking) the session p's main
 * process was started in. The TEND_PROCESS tag alone is not enough: any
 * process can set it. */
static bool in_tree(struct tend *t, struct process *p, pid_t pid)
{
	if (t->tracker.mode != TRACK_CGROUP) {
		pid_t ppid, session;
		return proc_parent_session(pid, &ppid, &session) == 0 && p->session &&
		       session == p->session;
	}
	struct pid_list members = { 0 };
	struct tree tree = process_tree(p);
	tracker_members(&t->tracker, &tree, &members);
	bool found = pid_list_has(&members, pid);
	pid_list_free(&members);
	return found;
}

/* A sender that is not a main process (those find_sender knows at once). */
static struct process *other_sender(struct tend *t, pid_t pid)
{
	struct process *p;
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
	return us / 1000 + (us % 1000 != 0); /* rounded up, without overflow */
}

/* The main process a MAINPID= named is gone. If it was tend's child, tend
 * reaps it here; if another process of the tree reaped it, its status is
 * lost: recorded as unknown (as an adopted process's), it counts as a
 * failure. */
static void on_main_pidfd(struct watcher *w, uint32_t events)
{
	(void)events;
	struct process *p = container_of(w, struct process, main_pidfd);
	struct tend *t = p->group->tend;
	siginfo_t info = { 0 };
	struct rusage usage;
	char label[2 * NAME_MAX_LEN + 2];
	if (w->fd < 0 || !p->pid)
		return;
	/* The system call itself: glibc's waitid() does not give the rusage. */
	if (syscall(SYS_waitid, P_PIDFD, w->fd, &info, WEXITED | WNOHANG, &usage) == 0) {
		if (info.si_pid == 0)
			return; /* not ended after all */
		int status = info.si_code == CLD_EXITED ? W_EXITCODE(info.si_status, 0)
							: W_EXITCODE(0, info.si_status);
		process_exited(t, p, status, &usage);
		return;
	}
	tend_log(&t->log, LOG_WARN,
		 "%s: main process %d ended and was reaped by another; its status is unknown",
		 process_label(p, label, sizeof(label)), (int)p->pid);
	process_exited(t, p, EXIT_STATUS_UNKNOWN, NULL);
}

void notify_forget_main(struct tend *t, struct process *p)
{
	watcher_close(&t->loop, &p->main_pidfd);
}

#define GROUPS_MAX 64 /* read from /proc: enough to decide, not all */

/* Whether uid (with gid and groups) has permission `bit` (1: search, 2:
 * write) on path: owner, group or other bits, as the kernel decides. */
static bool permitted(const struct stat *st, uid_t uid, gid_t gid, const gid_t *groups,
		      size_t ngroups, mode_t bit)
{
	if (uid == 0)
		return true;
	if (st->st_uid == uid)
		return st->st_mode & (bit << 6);
	bool member = st->st_gid == gid || gid_in(groups, ngroups, st->st_gid);
	return st->st_mode & (member ? bit << 3 : bit);
}

/* Whether a process with these credentials can send to NOTIFY_SOCKET:
 * enter every directory on the way, and write to the socket. */
static bool notify_reachable(struct tend *t, uid_t uid, gid_t gid, const gid_t *groups,
			     size_t ngroups)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s", t->notify_path);
	for (char *s = path + 1;; s++) {
		char *slash = strchr(s, '/');
		if (slash)
			*slash = '\0';
		bool ok = stat(path, &st) == 0 &&
			  permitted(&st, uid, gid, groups, ngroups, slash ? 1 : 2);
		if (!ok || !slash)
			return ok;
		*slash = '/';
		s = slash;
	}
}

void notify_explain_not_ready(struct tend *t, struct process *p)
{
	char label[2 * NAME_MAX_LEN + 2];
	gid_t groups[GROUPS_MAX];
	size_t ngroups = GROUPS_MAX;
	uid_t uid;
	gid_t gid;
	if (p->decl->ready != READY_NOTIFY || !p->pid || !t->notify_path ||
	    proc_credentials(p->pid, &uid, &gid, groups, &ngroups) < 0 ||
	    notify_reachable(t, uid, gid, groups, ngroups))
		return;
	tend_log(&t->log, LOG_WARN,
		 "%s: it runs as uid %d, which cannot reach NOTIFY_SOCKET %s (a directory on the "
		 "way is closed to it): its READY=1 could not arrive",
		 process_label(p, label, sizeof(label)), (int)uid, t->notify_path);
}

/* MAINPID=: the daemon's main process is now another member of its tree
 * (a forking daemon's child). Taken only from a process that runs, for a
 * pid tend can watch (a pidfd: the new main need not be tend's child). */
static void change_main_pid(struct tend *t, struct process *p, const char *value)
{
	char *end;
	char label[2 * NAME_MAX_LEN + 2];
	long pid = strtol(value, &end, 10);
	if (!*end && p->pid && (pid_t)pid == p->pid)
		return; /* the main process naming itself (haproxy -Ws does): nothing to do */
	if (*end || pid <= 1 || pid > INT32_MAX || !p->pid ||
	    (p->state != PS_STARTING && p->state != PS_RUNNING) ||
	    pidmap_get(&t->pids, (pid_t)pid) || !in_tree(t, p, (pid_t)pid)) {
		t->notify_dropped++;
		return;
	}
	int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (fd < 0)
		return; /* gone already */
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	notify_forget_main(t, p);
	pidmap_del(&t->pids, p->pid);
	if (pidmap_put(&t->pids, (pid_t)pid, p) < 0) {
		pidmap_put(&t->pids, p->pid, p); /* keep the old one */
		close(fd);
		return;
	}
	p->pid = (pid_t)pid;
	p->main_pidfd.fd = fd;
	p->main_pidfd.on_ready = on_main_pidfd;
	process_label(p, label, sizeof(label));
	if (loop_add(&t->loop, &p->main_pidfd, EPOLLIN) < 0)
		tend_log(&t->log, LOG_ERR, "%s: cannot watch pid %ld", label, pid);
	tend_log(&t->log, LOG_INFO, "%s: main process is now %ld (MAINPID)", label, pid);
}

/* EXTEND_TIMEOUT_USEC=: more time to become ready, or to stop. */
static void extend_timeout(struct tend *t, struct process *p, uint64_t ms)
{
	if ((p->state == PS_STARTING && !p->ready && p->decl->type == TYPE_LONGRUN) ||
	    p->state == PS_STOPPING)
		loop_timer_in(&t->loop, &p->timer, ms);
}

/* One "KEY=VALUE" line. Returns false when the rest of the datagram must
 * be ignored: after WATCHDOG=trigger the process is being ended. (READY=1
 * does not stop it: systemd-notify sends READY=1 and STATUS= together.) */
static bool apply_line(struct tend *t, struct process *p, const char *line, bool *main_changed)
{
	char label[2 * NAME_MAX_LEN + 2];
	bool ok;
	if (strcmp(line, "READY=1") == 0) {
		process_step(t, p, PE_READY);
	} else if (strcmp(line, "WATCHDOG=1") == 0) {
		watchdog_kicked(t, p);
	} else if (strcmp(line, "WATCHDOG=trigger") == 0) {
		watchdog_trigger(t, p);
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
		/* Shown on terminals and in logs: no escape sequences from it. */
		for (char *c = text; c && *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = ' ';
		if (text) {
			free(p->status_text);
			p->status_text = text;
		}
	} else if (strcmp(line, "STOPPING=1") == 0) {
		if (!p->said_stopping) /* once per run: a loop must not flood the log */
			tend_log(&t->log, LOG_INFO, "%s: says it is stopping",
				 process_label(p, label, sizeof(label)));
		p->said_stopping = true;
	} else if (strncmp(line, "MAINPID=", 8) == 0 && !*main_changed) {
		*main_changed = true; /* one per datagram: each may cost a look at /proc */
		change_main_pid(t, p, line + 8);
	} /* BARRIER=1: its descriptor is already closed; others: not ours */
	return true;
}

static void apply_datagram(struct tend *t, struct process *p, char *text)
{
	bool main_changed = false;
	for (char *save, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!apply_line(t, p, line, &main_changed))
			return;
}

/* The descriptors that came with datagrams (BARRIER=1's pipe end, or
 * anything a sender chose) are closed, but not by PID 1 itself when the
 * close could block: the last close of a socket with SO_LINGER or of a
 * file on a stalled FUSE mount does. Those that cannot block are closed at
 * once; the rest of one wakeup's are handed to one child, which holds
 * copies until tend has dropped its own, so that the last close happens
 * there: one fork per wakeup at most, none for pipes and plain sockets
 * (5000 datagrams with descriptors used to take 5000). */
struct to_close {
	int fds[NOTIFY_PER_WAKEUP * NOTIFY_FDS_MAX];
	size_t n;
};

static void close_in_child(const int *fds, size_t n)
{
	int sync[2] = { -1, -1 };
	if (n == 0)
		return;
	if (pipe2(sync, O_CLOEXEC) == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			char c;
			close(sync[1]);
			while (read(sync[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0); /* closes its copies: the last ones */
		}
		close(sync[0]);
		if (pid < 0) { /* no child: close them here after all */
			close(sync[1]);
			sync[1] = -1;
		}
	}
	for (size_t i = 0; i < n; i++)
		close(fds[i]); /* with a child holding copies, never the last close */
	if (sync[1] >= 0)
		close(sync[1]); /* lets the child go; tend reaps it like any orphan */
}

/* A pipe's close never blocks, nor a socket's without SO_LINGER: what
 * senders pass (BARRIER=1's pipe, a socket pair's end). A device (a tty
 * drains its output), a file (NFS, FUSE flush on close) or a lingering
 * socket may. */
static bool close_cannot_block(int fd)
{
	struct stat st;
	struct linger l;
	socklen_t len = sizeof(l);
	if (fstat(fd, &st) < 0)
		return false;
	if (S_ISFIFO(st.st_mode))
		return true;
	return S_ISSOCK(st.st_mode) && getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) == 0 &&
	       !l.l_onoff;
}

static void close_received(struct to_close *later, const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (close_cannot_block(fds[i]))
			close(fds[i]);
		else
			later->fds[later->n++] = fds[i];
	}
}

struct received {
	const struct ucred *cred;
	int fds[NOTIFY_FDS_MAX];
	size_t nfds;
};

static void read_control(struct msghdr *msg, struct received *r)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			const int *fds = (const int *)CMSG_DATA(c);
			for (size_t i = 0; i < n; i++)
				if (r->nfds < NOTIFY_FDS_MAX)
					r->fds[r->nfds++] = fds[i];
				else
					close(fds[i]); /* cannot happen: the buffer holds no more */
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			r->cred = (const struct ucred *)CMSG_DATA(c);
		}
	}
}

/* Looking a sender up costs /proc reads: a sender found to be nobody's
 * gets at most LOOKUPS_PER_STRANGER of them a second, beyond that its
 * datagrams are only counted. The limit is each sender's own: a flood
 * from one process does not stop tend from looking up another, and a
 * sender that is found (a member of a tree) is never limited. Senders
 * beyond NOTIFY_STRANGERS_MAX in one second are looked up every time
 * (each cost its maker a fork). */
static struct notify_stranger *stranger(struct tend *t, pid_t pid)
{
	uint64_t now = loop_now_ms(&t->loop);
	if (now - t->notify_window_ms >= 1000) {
		t->notify_window_ms = now;
		t->notify_nstrangers = 0;
	}
	for (unsigned i = 0; i < t->notify_nstrangers; i++)
		if (t->notify_strangers[i].pid == pid)
			return &t->notify_strangers[i];
	return NULL;
}

static void note_stranger(struct tend *t, struct notify_stranger *s, pid_t pid)
{
	if (!s && t->notify_nstrangers < NOTIFY_STRANGERS_MAX) {
		s = &t->notify_strangers[t->notify_nstrangers++];
		*s = (struct notify_stranger){ .pid = pid };
	}
	if (s)
		s->lookups++;
}

static struct process *find_sender(struct tend *t, const struct ucred *cred)
{
	if (!cred)
		return NULL;
	struct process *p = pidmap_get(&t->pids, cred->pid);
	if (p)
		return p;
	struct notify_stranger *s = stranger(t, cred->pid);
	if (s && s->lookups >= LOOKUPS_PER_STRANGER)
		return NULL;
	p = other_sender(t, cred->pid);
	if (!p)
		note_stranger(t, s, cred->pid);
	return p;
}

/* Receives one datagram; returns false when there is none left. */
static bool receive_one(struct tend *t, int fd, struct to_close *later)
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
	struct received r = { 0 };
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
	if (n < 0)
		return errno == EINTR;
	read_control(&msg, &r);
	/* Placed while a BARRIER=1 sender still waits for its descriptor to
	 * close, so while it is certainly alive. */
	struct process *p = find_sender(t, r.cred);
	bool whole = n <= NOTIFY_DATAGRAM_MAX && !(msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC));
	if (whole)
		text[n] = '\0';
	if (!p || !whole || strlen(text) != (size_t)n) { /* a NUL inside: not a notification */
		t->notify_dropped++;
		tend_log(&t->log, LOG_DEBUG, "notify: dropped a datagram from pid %d",
			 r.cred ? (int)r.cred->pid : 0);
	} else {
		apply_datagram(t, p, text);
	}
	close_received(later, r.fds, r.nfds);
	return true;
}

static void on_notify(struct watcher *w, uint32_t events)
{
	(void)events;
	struct tend *t = container_of(w, struct tend, notify);
	struct to_close later; /* 8 KiB: on the stack, not in tend */
	later.n = 0;
	tracker_batch_begin(&t->tracker); /* one look at /proc for all of them */
	for (int i = 0; i < NOTIFY_PER_WAKEUP && receive_one(t, w->fd, &later); i++)
		;
	tracker_batch_end(&t->tracker);
	close_in_child(later.fds, later.n);
}

int notify_open(struct tend *t)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int one = 1;
	if (snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/notify", t->rundir) >=
	    (int)sizeof(addr.sun_path)) {
		tend_log(&t->log, LOG_WARN, "%s/notify: path too long; no NOTIFY_SOCKET",
			 t->rundir);
		return -1;
	}
	t->notify_path = strdup(addr.sun_path);
	t->notify.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	t->notify.on_ready = on_notify;
	unlink(addr.sun_path);
	if (!t->notify_path || t->notify.fd < 0 ||
	    setsockopt(t->notify.fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(t->notify.fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    loop_add(&t->loop, &t->notify, EPOLLIN) < 0) {
		tend_log(&t->log, LOG_WARN, "%s: %m; no NOTIFY_SOCKET", addr.sun_path);
		notify_close(t);
		return -1;
	}
	/* Who may send is decided by the credentials, not the mode: processes
	 * running as other users must reach it (the run directory is 0711). */
	chmod(addr.sun_path, 0666);
	return 0;
}

void notify_close(struct tend *t)
{
	if (t->notify.fd >= 0 && t->notify_path)
		unlink(t->notify_path);
	watcher_close(&t->loop, &t->notify);
	free(t->notify_path);
	t->notify_path = NULL;
}
