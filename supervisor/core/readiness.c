/* `ready = fd:N` (s6-style readiness). The process gets the write end of a
 * pipe as its fd N and writes a newline there once it serves; tend reads
 * the other end from the event loop. What is written before the newline
 * does not matter; if the process closes the pipe without a newline it is
 * simply never ready, and ready-timeout decides. */
#include "core/readiness.h"
#include "base/container_of.h"
#include "core/context.h"
#include "sys/log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define READY_READS_PER_WAKEUP 8
#define READY_BYTES_MAX 65536

static void on_ready_pipe(struct watcher *w, uint32_t events)
{
	(void)events;
	struct process *p = container_of(w, struct process, ready_pipe);
	struct tend *t = p->group->tend;
	char buf[512];
	ssize_t n = 0;
	/* Bounded per wake-up, and in all: a writer that never sends a
	 * newline must not keep tend reading. */
	for (int i = 0; i < READY_READS_PER_WAKEUP; i++) {
		if ((n = read(w->fd, buf, sizeof(buf))) <= 0)
			break;
		if (memchr(buf, '\n', (size_t)n)) {
			readiness_close(t, p);
			process_step(t, p, PE_READY);
			return;
		}
		p->ready_bytes += (size_t)n;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
	    p->ready_bytes > READY_BYTES_MAX)
		readiness_close(t, p); /* closed, or no newline in sight: never ready */
}

int readiness_pipe(struct tend *t, struct process *p, int *child_end)
{
	int fds[2];
	*child_end = -1;
	readiness_close(t, p);
	if (p->decl->ready != READY_FD)
		return 0;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	/* The child's end blocks like any pipe a program is given. */
	fcntl(fds[1], F_SETFL, 0);
	p->ready_pipe.fd = fds[0];
	p->ready_bytes = 0;
	p->ready_pipe.on_ready = on_ready_pipe;
	*child_end = fds[1];
	return 0;
}

void readiness_watch(struct tend *t, struct process *p, int child_end)
{
	if (child_end >= 0)
		close(child_end);
	if (p->ready_pipe.fd >= 0 && loop_add(&t->loop, &p->ready_pipe, EPOLLIN) < 0) {
		tend_log(&t->log, LOG_ERR, "cannot watch a ready pipe: %m");
		readiness_close(t, p);
	}
}

void readiness_close(struct tend *t, struct process *p)
{
	watcher_close(&t->loop, &p->ready_pipe);
}
