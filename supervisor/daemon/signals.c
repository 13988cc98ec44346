/* The signals tend handles, through a signalfd in the loop: SIGCHLD reaps,
 * SIGHUP reloads, the others shut down. */
#include "daemon/daemon.h"
#include "base/container_of.h"
#include "core/reaper.h"
#include "sys/log.h"

#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void handled_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

/* As PID 1, like busybox init and finit: SIGTERM and SIGINT (Ctrl-Alt-Del)
 * reboot, SIGUSR1 halts, SIGUSR2 powers off. Otherwise SIGTERM and SIGINT
 * stop everything and end tend; SIGUSR1/2 are ignored. */
static void on_shutdown_signal(struct tend *t, int sig)
{
	enum shutdown_kind kind = SHUTDOWN_EXIT;
	if (t->mode == MODE_PID1)
		kind = sig == SIGUSR1	? SHUTDOWN_HALT
		       : sig == SIGUSR2 ? SHUTDOWN_POWEROFF
					: SHUTDOWN_REBOOT;
	else if (sig == SIGUSR1 || sig == SIGUSR2) {
		tend_log(&t->log, LOG_INFO, "received SIG%s; ignored when not PID 1",
			 sigabbrev_np(sig));
		return;
	}
	tend_log(&t->log, LOG_INFO, "received SIG%s: %s", sigabbrev_np(sig),
		 shutdown_kind_name(kind));
	tend_begin_shutdown(t, kind);
}

static void on_signal(struct watcher *w, uint32_t events)
{
	(void)events;
	struct daemon *d = container_of(w, struct daemon, signals);
	struct tend *t = &d->tend;
	struct signalfd_siginfo si;
	bool child = false;
	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			child = true;
			break;
		case SIGTERM:
		case SIGINT:
		case SIGUSR1:
		case SIGUSR2:
			on_shutdown_signal(t, (int)si.ssi_signo);
			break;
		case SIGHUP:
			tend_log(&t->log, LOG_INFO, "received SIGHUP; reloading");
			daemon_reload(d);
			break;
		}
	}
	if (child)
		reap_children(t);
}

int signals_open(struct daemon *d)
{
	sigset_t set;
	handled_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN); /* a vanished client is an error return, not a death */
	d->signals.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	d->signals.on_ready = on_signal;
	if (d->signals.fd < 0)
		return -1;
	return loop_add(&d->tend.loop, &d->signals, EPOLLIN);
}

void signals_close(struct daemon *d)
{
	watcher_close(&d->tend.loop, &d->signals);
}
