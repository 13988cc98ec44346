#include "sys/loop.h"
#include "daemon/reload.h"
#include "sys/log.h"
#include "core/context.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void timerfd_ready(struct tend *t, struct watcher *w, uint32_t events)
{
	(void)events;
	uint64_t expirations;
	/* Only drains it; due timers run after every batch of events. */
	if (read(w->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		tend_log(t, LOG_WARN, "timerfd: %s", strerror(errno));
	t->timerfd_due = 0;
}

int loop_init(struct tend *t)
{
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0)
		return -1;
	t->timerfd.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	t->timerfd.on_ready = timerfd_ready;
	if (t->timerfd.fd < 0)
		return -1;
	return loop_add(t, &t->timerfd, EPOLLIN);
}

void loop_close(struct tend *t)
{
	if (t->timerfd.fd >= 0)
		close(t->timerfd.fd);
	if (t->epfd >= 0)
		close(t->epfd);
	t->timerfd.fd = t->epfd = -1;
	timer_heap_free(&t->timers);
}

int loop_add(struct tend *t, struct watcher *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(t->epfd, EPOLL_CTL_ADD, w->fd, &ev);
}

int loop_modify(struct tend *t, struct watcher *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(t->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void loop_remove(struct tend *t, struct watcher *w)
{
	epoll_ctl(t->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

void watcher_close(struct tend *t, struct watcher *w)
{
	if (w->fd < 0)
		return;
	loop_remove(t, w);
	close(w->fd);
	w->fd = -1; /* an event for it still in this batch finds nothing to read */
}

void tend_timer_in(struct tend *t, struct timer *tm, uint64_t delay_ms)
{
	if (timer_arm(&t->timers, tm, t->sys->now_ms(t) + delay_ms) < 0)
		tend_log(t, LOG_ERR, "out of memory arming a timer");
}

void timers_run_due(struct tend *t)
{
	struct timer *tm;
	uint64_t now = t->sys->now_ms(t);
	while ((tm = timer_pop_due(&t->timers, now)))
		tm->fire(t, tm);
}

/* Arms the timerfd for the earliest timer; no timer, no wake-up. */
static void rearm_timerfd(struct tend *t)
{
	struct timer *first = timer_earliest(&t->timers);
	uint64_t due = first ? first->due_ms : 0;
	if (due == t->timerfd_due)
		return;
	struct itimerspec its = { 0 };
	if (due) {
		its.it_value.tv_sec = (time_t)(due / 1000);
		its.it_value.tv_nsec = (long)(due % 1000) * 1000000L;
	}
	if (timerfd_settime(t->timerfd.fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		tend_log(t, LOG_ERR, "timerfd_settime: %s", strerror(errno));
	t->timerfd_due = due;
}

/* Work that must not run inside a handler: a handler's caller may still
 * hold pointers to the clients and groups freed here. */
static void after_events(struct tend *t)
{
	control_after_events(t);
	reload_after_events(t);
}

int loop_run(struct tend *t)
{
	struct epoll_event events[64];
	while (!t->quit) {
		timers_run_due(t);
		after_events(t); /* a timer may have completed a reply */
		if (t->quit)
			break;
		rearm_timerfd(t);
		int n = epoll_wait(t->epfd, events, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			tend_log(t, LOG_ERR, "epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct watcher *w = events[i].data.ptr;
			w->on_ready(t, w, events[i].events);
		}
		after_events(t);
	}
	return t->exit_code;
}
