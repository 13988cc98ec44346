/* The one way into a state that is not through process_step: a main
 * process that a dead tend left running becomes p's, as if p had started
 * it and it had said it was ready (core/leftovers.c decides which). It is
 * not tend's child, so its end comes through a pidfd, and how it ended is
 * unknown: it counts as a failure, and the restart policy applies. */
#include "base/container_of.h"
#include "core/context.h"
#include "core/notify.h"
#include "core/process.h"
#include "sys/log.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

static void on_adopted_end(struct watcher *w, uint32_t events)
{
	(void)events;
	struct process *p = container_of(w, struct process, main_pidfd);
	struct tend *t = p->group->tend;
	char label[2 * NAME_MAX_LEN + 2];
	if (w->fd < 0 || !p->pid)
		return;
	tend_log(&t->log, LOG_INFO, "%s: adopted main process %d ended; its status is unknown",
		 process_label(p, label, sizeof(label)), (int)p->pid);
	process_exited(t, p, EXIT_STATUS_UNKNOWN, NULL);
}

int process_adopt(struct tend *t, struct process *p, pid_t pid, pid_t session,
		  unsigned long long session_ticks)
{
	char label[2 * NAME_MAX_LEN + 2];
	if (p->state != PS_STOPPED || p->pid)
		return -1;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -1;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	process_label(p, label, sizeof(label));
	if (pidmap_put(&t->pids, pid, p) < 0) {
		close(fd);
		return -1;
	}
	notify_forget_main(t, p);
	p->main_pidfd.fd = fd;
	p->main_pidfd.on_ready = on_adopted_end;
	if (loop_add(&t->loop, &p->main_pidfd, EPOLLIN) < 0) {
		tend_log(&t->log, LOG_ERR, "%s: cannot watch adopted pid %d", label, (int)pid);
		watcher_close(&t->loop, &p->main_pidfd);
		pidmap_del(&t->pids, pid);
		return -1;
	}
	p->pid = pid;
	p->session = session;
	p->session_ticks = session_ticks;
	p->started_ms = loop_now_ms(&t->loop);
	p->adopted = true;
	p->ready = true;
	p->state = PS_RUNNING;
	struct bus_event ev = { .kind = BUS_PROCESS_STATE, .proc = p };
	bus_publish(&t->bus, &ev);
	tend_state_changed(t);
	return 0;
}
