#include "sys/loop.h"
#include "base/container_of.h"
#include "sys/log.h"
#include "sys/sys.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void timerfd_ready(struct watcher *w, uint32_t events)
{
	(void)events;
	struct loop *l = container_of(w, struct loop, timerfd);
	uint64_t expirations;
	/* Only drains it; due timers run after every batch of events. */
	if (read(w->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		tend_log(l->log, LOG_WARN, "timerfd: %s", strerror(errno));
	l->timerfd_due = 0;
}

void loop_wire(struct loop *l, struct sys *sys, struct logger *log)
{
	l->sys = sys;
	l->log = log;
	l->epfd = l->timerfd.fd = -1;
}

int loop_init(struct loop *l)
{
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -1;
	l->timerfd.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	l->timerfd.on_ready = timerfd_ready;
	if (l->timerfd.fd < 0)
		return -1;
	return loop_add(l, &l->timerfd, EPOLLIN);
}

void loop_close(struct loop *l)
{
	if (l->timerfd.fd >= 0)
		close(l->timerfd.fd);
	if (l->epfd >= 0)
		close(l->epfd);
	l->timerfd.fd = l->epfd = -1;
	timer_heap_free(&l->timers);
}

int loop_add_hook(struct loop *l, loop_hook_fn *fn, void *ctx)
{
	if (l->nhooks == LOOP_HOOKS_MAX)
		return -1;
	l->after_events[l->nhooks++] = (struct loop_hook){ .fn = fn, .ctx = ctx };
	return 0;
}

int loop_add(struct loop *l, struct watcher *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev);
}

int loop_modify(struct loop *l, struct watcher *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void loop_remove(struct loop *l, struct watcher *w)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

void watcher_close(struct loop *l, struct watcher *w)
{
	if (w->fd < 0)
		return;
	loop_remove(l, w);
	close(w->fd);
	w->fd = -1; /* an event for it still in this batch finds nothing to read */
}

/* The seam's clock, made never to go back: a clock that jumped back (a
 * fault a test injects; CLOCK_MONOTONIC itself never does) would hold every
 * armed timer back by the jump. The loop's time goes on from where it was
 * instead (the jump is remembered and added), so timers fire in order and
 * no later than they should. A jump forward needs nothing: what is due
 * fires once, in order. */
uint64_t loop_now_ms(struct loop *l)
{
	uint64_t now = l->sys->ops->now_ms(l->sys) + l->clock_behind;
	if (now < l->clock_last) {
		l->clock_behind += l->clock_last - now;
		tend_log(l->log, LOG_WARN,
			 "the clock went back by %llu ms; timers keep their place",
			 (unsigned long long)(l->clock_last - now));
		now = l->clock_last;
	}
	l->clock_last = now;
	return now;
}

void loop_timer_at(struct loop *l, struct timer *tm, uint64_t due_ms)
{
	if (timer_arm(&l->timers, tm, due_ms) < 0)
		tend_log(l->log, LOG_ERR, "out of memory arming a timer");
}

void loop_timer_in(struct loop *l, struct timer *tm, uint64_t delay_ms)
{
	loop_timer_at(l, tm, loop_now_ms(l) + delay_ms);
}

void loop_timer_cancel(struct loop *l, struct timer *tm)
{
	timer_cancel(&l->timers, tm);
}

/* Due timers run at most this many per turn of the loop, then it looks at
 * its fds again (the timerfd stays due, so epoll_wait does not wait): a
 * restart's timer starts a process, and vfork holds tend until the child
 * runs, which on a busy machine takes milliseconds. In the soak (100
 * groups, ~680 restarts/s, load 12 on 2 cores) a `ping` took 136 ms in the
 * median and 203 ms at most with every due timer run at once, 37/76 ms
 * with 16 a turn, 8/43 ms with 4, at the same restart rate. */
#define TIMERS_PER_TURN 4

static void timers_run_some(struct loop *l, unsigned max)
{
	struct timer *tm;
	uint64_t now = loop_now_ms(l);
	for (unsigned i = 0; i < max && (tm = timer_pop_due(&l->timers, now)); i++)
		tm->fire(tm);
}

void timers_run_due(struct loop *l)
{
	timers_run_some(l, UINT_MAX);
}

/* Arms the timerfd for the earliest timer; no timer, no wake-up. Relative
 * to the loop's clock, not at an absolute time of CLOCK_MONOTONIC: the
 * seam's clock may differ from it (a test's clock jump). */
static void rearm_timerfd(struct loop *l)
{
	struct timer *first = timer_earliest(&l->timers);
	uint64_t due = first ? first->due_ms : 0;
	if (due == l->timerfd_due)
		return;
	struct itimerspec its = { 0 };
	if (due) {
		uint64_t now = loop_now_ms(l);
		uint64_t in = due > now ? due - now : 0;
		its.it_value.tv_sec = (time_t)(in / 1000);
		its.it_value.tv_nsec = (long)(in % 1000) * 1000000L;
		if (!in)
			its.it_value.tv_nsec = 1; /* due now: zero would disarm it */
	}
	if (timerfd_settime(l->timerfd.fd, 0, &its, NULL) < 0)
		tend_log(l->log, LOG_ERR, "timerfd_settime: %s", strerror(errno));
	l->timerfd_due = due;
}

static void after_events(struct loop *l)
{
	for (size_t i = 0; i < l->nhooks; i++)
		l->after_events[i].fn(l->after_events[i].ctx);
}

void loop_quit(struct loop *l)
{
	l->quit = true;
}

int loop_run(struct loop *l)
{
	struct epoll_event events[64];
	while (!l->quit) {
		timers_run_some(l, TIMERS_PER_TURN);
		after_events(l); /* a timer may have completed a reply */
		if (l->quit)
			break;
		rearm_timerfd(l);
		int n = epoll_wait(l->epfd, events, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			tend_log(l->log, LOG_ERR, "epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct watcher *w = events[i].data.ptr;
			w->on_ready(w, events[i].events);
		}
		after_events(l);
	}
	return 0;
}
