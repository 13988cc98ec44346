/* The event loop: one epoll set; a timerfd armed for the earliest timer. */
#ifndef TEND_LOOP_H
#define TEND_LOOP_H

#include <stdint.h>

struct tend;
struct watcher;
struct timer;
typedef void watcher_fn(struct tend *t, struct watcher *w, uint32_t events);

struct watcher {
	int fd;
	watcher_fn *on_ready;
};

int loop_init(struct tend *t);
void loop_close(struct tend *t);
int loop_add(struct tend *t, struct watcher *w, uint32_t events);
int loop_modify(struct tend *t, struct watcher *w, uint32_t events);
void loop_remove(struct tend *t, struct watcher *w);
/* loop_remove(), close the fd and mark the watcher closed (fd -1); a
 * no-op on a closed one. */
void watcher_close(struct tend *t, struct watcher *w);
/* Runs until t->quit. Returns t->exit_code. */
int loop_run(struct tend *t);
/* Fires every timer that is due (also used by unit tests with a fake clock). */
void timers_run_due(struct tend *t);
/* Arms tm `delay_ms` from now; logs if out of memory. */
void tend_timer_in(struct tend *t, struct timer *tm, uint64_t delay_ms);

#endif
