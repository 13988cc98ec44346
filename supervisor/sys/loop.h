/* The event loop: one epoll set, a timerfd armed for the earliest timer, and
 * hooks that run after every batch of events.
 *
 * Callbacks get only what fired (the watcher, the timer); each finds the
 * object it belongs to with container_of, so the loop knows nothing of what
 * it serves. Work that must not run inside a callback (freeing a client or a
 * group another callback of the same batch may still refer to; stepping a
 * state machine while an event is being delivered) is done by an
 * after-events hook, registered at set-up. */
#ifndef TEND_LOOP_H
#define TEND_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/timer.h"

struct logger;
struct sys;
struct watcher;
typedef void watcher_fn(struct watcher *w, uint32_t events);
typedef void loop_hook_fn(void *ctx);

struct watcher {
	int fd; /* -1: closed */
	watcher_fn *on_ready;
};

#define LOOP_HOOKS_MAX 8

struct loop {
	int epfd;
	struct watcher timerfd;
	uint64_t timerfd_due; /* what timerfd is armed for, 0: disarmed */
	struct timer_heap timers;
	struct sys *sys;       /* its clock */
	uint64_t clock_last;   /* the latest time loop_now_ms gave */
	uint64_t clock_behind; /* added to the seam's clock: how far it went back */
	struct logger *log;
	struct loop_hook {
		loop_hook_fn *fn;
		void *ctx;
	} after_events[LOOP_HOOKS_MAX]; /* in the order registered */
	size_t nhooks;
	bool quit; /* loop_run returns at the end of this turn */
};

/* Before loop_init: only the clock and the logger (enough for timers, as
 * unit tests drive them). */
void loop_wire(struct loop *l, struct sys *sys, struct logger *log);
/* The epoll set and the timerfd. 0, or -1 with errno. */
int loop_init(struct loop *l);
void loop_close(struct loop *l);
/* Registers fn(ctx) to run after every batch of events (and after timers). */
int loop_add_hook(struct loop *l, loop_hook_fn *fn, void *ctx);
int loop_add(struct loop *l, struct watcher *w, uint32_t events);
int loop_modify(struct loop *l, struct watcher *w, uint32_t events);
void loop_remove(struct loop *l, struct watcher *w);
/* loop_remove(), close the fd and mark the watcher closed (fd -1); a
 * no-op on a closed one. */
void watcher_close(struct loop *l, struct watcher *w);
/* Runs until loop_quit(). Returns 0, or 1 when epoll fails. */
int loop_run(struct loop *l);
void loop_quit(struct loop *l);
/* Fires every timer that is due (also used by unit tests with a fake clock). */
void timers_run_due(struct loop *l);
/* The loop's clock: milliseconds, monotonic (the seam's). */
uint64_t loop_now_ms(struct loop *l);
/* Arms tm `delay_ms` from now; logs if out of memory. */
void loop_timer_in(struct loop *l, struct timer *tm, uint64_t delay_ms);
/* Arms tm for due_ms on the loop's clock; logs if out of memory. */
void loop_timer_at(struct loop *l, struct timer *tm, uint64_t due_ms);
void loop_timer_cancel(struct loop *l, struct timer *tm);

#endif
