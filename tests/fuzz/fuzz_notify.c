/* libFuzzer target for NOTIFY_SOCKET (supervisor/core/notify.c): datagrams
 * with their ancillary data, sent through a real socket to the socket tend
 * binds and received by its own handler, to a small supervised world on
 * the simulated kernel of the seam. The input is a sequence of steps, each
 * starting with a byte OP:
 *   OP % 4 == 0 or 1   a datagram: SENDER FLAGS LEN, then LEN bytes of text
 *                      (OP / 4: how many times it is sent, 1 to 4)
 *     SENDER % 7       0: nobody's (a stranger); else the process that is
 *                      the sender, when it runs (the fuzzer's own pid
 *                      becomes its main pid, its session the fuzzer's)
 *     FLAGS & 7        descriptors sent with it (SCM_RIGHTS), + 30 if
 *                      FLAGS & 0x40 (beyond what tend takes: MSG_CTRUNC)
 *     FLAGS >> 3 & 3   their kind: a pipe's end, a socket, a socket with
 *                      SO_LINGER, /dev/null (the last two are closed in a
 *                      child: their close could block)
 *     FLAGS & 0x80     padded past the largest datagram (MSG_TRUNC)
 *     "MAINPID=@" in the text stands for a helper child's pid, a member of
 *     the fuzzer's session (so MAINPID can be taken)
 *   OP % 4 == 2        time passes: ARG * 7 ms; due timers fire
 *   OP % 4 == 3        ARG: (ARG % 6) is a process, ARG / 6 % 5 what happens
 *                      to it: exits 0, exits 1, is killed, its group is asked
 *                      to start, to stop
 * Besides not crashing: every descriptor that came with a datagram is
 * closed when the handler returns, none of tend's outlives the world (a
 * pidfd MAINPID= opened), and nothing that cannot happen happens
 * (tend_bug). Built and run by `make fuzz`. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/context.h"
#include "core/dependencies.h"
#include "core/notify.h"
#include "fake_world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DATAGRAM_PAD 4200 /* more than tend takes (NOTIFY_DATAGRAM_MAX) */

struct world {
	struct fake_world base; /* first: the seam's fake points at it */
	struct process *sender; /* whose main pid is the fuzzer's now */
	struct process *procs[6];
	size_t nprocs;
};

static const char world_conf[] =
    "group \"web\" {\n"
    " process \"app\" { command = \"app\" ready = notify watchdog = 1s ready-timeout = 2s }\n"
    " process \"db\" { command = \"db\" ready = notify stop-timeout = 1s }\n"
    " process \"plain\" { command = \"plain\" }\n"
    "}\n"
    "group \"batch\" {\n"
    " process \"once\" { command = \"once\" type = oneshot }\n"
    " process \"dog\" { command = \"dog\" watchdog = 500ms restart = always }\n"
    "}\n"
    "process \"solo\" { command = \"solo\" ready = notify }\n";

static char rundir[64];
static char helper_pid[16]; /* "MAINPID=@" becomes MAINPID=this */

static void remove_rundir(void)
{
	rmdir(rundir);
}

/* Once per fuzzer process: the run directory, and the helper child. */
static void setup_once(void)
{
	snprintf(rundir, sizeof(rundir), "/tmp/fuzz_notify-XXXXXX");
	if (!mkdtemp(rundir))
		abort();
	atexit(remove_rundir);
	/* The children that close descriptors for tend are orphans it reaps;
	 * here nobody would. */
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	pid_t parent = getpid(), pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) { /* ends with the fuzzer */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		for (;;)
			pause();
	}
	snprintf(helper_pid, sizeof(helper_pid), "%d", (int)pid);
}

/* The world of world_conf with its NOTIFY_SOCKET, every group asked to
 * start. */
static void build_world(struct world *w)
{
	struct tend *t = &w->base.t;
	fake_world_init(&w->base, world_conf, rundir);
	if (notify_open(t) < 0)
		abort();
	for (size_t i = 0; i < t->ngroups; i++)
		for (size_t j = 0; j < t->groups[i]->nprocs && w->nprocs < 6; j++)
			w->procs[w->nprocs++] = &t->groups[i]->procs[j];
	for (size_t i = 0; i < t->ngroups; i++)
		group_step(t, t->groups[i], GE_START);
	deps_run(t);
}

/* p's main pid becomes the fuzzer's own, so that its datagrams are p's;
 * the last sender gets a simulated pid again. */
static void become_sender(struct world *w, struct process *p)
{
	pid_t self = getpid();
	struct process *old = w->sender;
	if (old == p)
		return;
	if (old && old->pid == self) {
		pidmap_del(&w->base.t.pids, self);
		old->pid = w->base.next_pid++;
		if (pidmap_put(&w->base.t.pids, old->pid, old) < 0)
			abort();
	}
	w->sender = NULL;
	if (!p || !p->pid)
		return;
	pidmap_del(&w->base.t.pids, p->pid);
	p->pid = self;
	p->session = getsid(0);
	if (pidmap_put(&w->base.t.pids, self, p) < 0)
		abort();
	w->sender = p;
}

/* A descriptor of kind k to send (closed by the caller once sent). */
static int make_fd(unsigned k, int *other)
{
	int pair[2];
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	*other = -1;
	switch (k) {
	case 0:
		if (pipe(pair) < 0)
			return -1;
		*other = pair[1];
		return pair[0];
	case 1:
	case 2:
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
			return -1;
		*other = pair[1];
		if (k == 2)
			setsockopt(pair[0], SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		return pair[0];
	default:
		return open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
}

/* The text with "MAINPID=@" made the helper's pid. */
static size_t expand(const uint8_t *text, size_t len, char *out, size_t room)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n < room; i++) {
		if (i + 9 <= len && memcmp(text + i, "MAINPID=@", 9) == 0) {
			n += (size_t)snprintf(out + n, room - n, "MAINPID=%s", helper_pid);
			if (n > room)
				n = room;
			i += 8;
			continue;
		}
		out[n++] = (char)text[i];
	}
	return n;
}

/* Whether the other end of a pipe or socket pair is closed everywhere:
 * a write to it fails with EPIPE. */
static bool peer_closed(int other)
{
	ssize_t n = send(other, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && errno == ENOTSOCK)
		n = write(other, "x", 1); /* a pipe (SIGPIPE is ignored) */
	return n < 0 && errno == EPIPE;
}

/* Sends the datagram `times` times and lets tend handle them; then the
 * descriptors sent, a pipe's or a socket pair's end, must be closed (those
 * tend closes in a child are closed later). */
static void send_datagram(struct world *w, int fd, unsigned flags, const char *text, size_t len,
			  unsigned times)
{
	int fds[40], others[40];
	unsigned kind = flags >> 3 & 3;
	size_t nfds = (flags & 7) + (flags & 0x40 ? 30 : 0);
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(fds))];
	} control;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", w->base.t.notify_path);
	for (size_t i = 0; i < nfds; i++)
		if ((fds[i] = make_fd(kind, &others[i])) < 0)
			abort();
	struct iovec iov = { .iov_base = (void *)text, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &addr, .msg_namelen = sizeof(addr), .msg_iov = &iov, .msg_iovlen = 1
	};
	if (nfds) {
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	for (unsigned i = 0; i < times; i++)
		sendmsg(fd, &msg, MSG_DONTWAIT);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	w->base.t.notify.on_ready(&w->base.t.notify, EPOLLIN);
	for (size_t i = 0; i < nfds; i++) {
		if (kind <= 1 && !peer_closed(others[i]))
			abort(); /* a descriptor that came with a datagram is left open */
		if (others[i] >= 0)
			close(others[i]);
	}
}

/* How many descriptors the fuzzer has open. */
static int open_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static void event(struct world *w, unsigned arg)
{
	struct process *p = w->procs[arg % 6 < w->nprocs ? arg % 6 : 0];
	switch (arg / 6 % 5) {
	case 0:
	case 1:
	case 2:
		if (!p->pid)
			return;
		if (p == w->sender)
			become_sender(w, NULL); /* its pid is simulated again first */
		process_exited(&w->base.t, p,
			       arg / 6 % 5 == 2 ? W_EXITCODE(0, SIGKILL)
						: W_EXITCODE((int)(arg / 6 % 5), 0),
			       NULL);
		break;
	case 3:
		group_step(&w->base.t, p->group, GE_START);
		break;
	default:
		group_step(&w->base.t, p->group, GE_STOP);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world w;
	static char text[DATAGRAM_PAD + 64];
	if (!rundir[0])
		setup_once();
	memset(&w, 0, sizeof(w));
	int at_start = open_fds();
	build_world(&w);
	int out = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (out < 0)
		abort();

	for (size_t at = 0; at < size;) {
		unsigned op = data[at++];
		if (op % 4 <= 1 && at + 3 <= size) {
			unsigned sender = data[at] % 7, flags = data[at + 1];
			size_t len = data[at + 2];
			at += 3;
			if (len > size - at)
				len = size - at;
			size_t n = expand(data + at, len, text, DATAGRAM_PAD);
			at += len;
			if (flags & 0x80) {
				memset(text + n, 'x', DATAGRAM_PAD - n);
				n = DATAGRAM_PAD;
			}
			become_sender(&w,
				      sender && sender - 1 < w.nprocs ? w.procs[sender - 1] : NULL);
			send_datagram(&w, out, flags, text, n, 1 + op / 4 % 4);
		} else if (op % 4 == 2 && at < size) {
			w.base.now += 7u * data[at++];
			timers_run_due(&w.base.t.loop);
		} else if (op % 4 == 3 && at < size) {
			event(&w, data[at++]);
		} else {
			break;
		}
		deps_run(&w.base.t);
		if (w.base.t.bugs)
			abort(); /* something that cannot happen happened */
	}
	become_sender(&w, NULL);
	close(out);
	notify_close(&w.base.t);
	fake_world_free(&w.base);
	if (open_fds() != at_start)
		abort(); /* tend's own descriptors outlive it */
	return 0;
}
