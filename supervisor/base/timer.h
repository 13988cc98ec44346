/* Timers: a binary min-heap of deadlines on the monotonic clock. The event
 * loop arms one timerfd for the earliest; nothing here makes a system call,
 * so unit tests drive timers with a fake clock. */
#ifndef TEND_TIMER_H
#define TEND_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct timer;
/* Called when tm is due; it finds its owner with container_of. */
typedef void timer_fn(struct timer *tm);

struct timer {
	uint64_t due_ms;
	size_t slot; /* index in the heap, or TIMER_IDLE */
	timer_fn *fire;
};

#define TIMER_IDLE ((size_t)-1)

struct timer_heap {
	struct timer **items;
	size_t len;
	size_t cap;
};

void timer_init(struct timer *tm, timer_fn *fire);
/* Arms (or re-arms) tm for due_ms. Returns -1 only when out of memory. */
int timer_arm(struct timer_heap *h, struct timer *tm, uint64_t due_ms);
void timer_cancel(struct timer_heap *h, struct timer *tm);
bool timer_armed(const struct timer *tm);
/* The earliest armed timer, or NULL. */
struct timer *timer_earliest(const struct timer_heap *h);
/* Removes and returns one timer due at or before now, or NULL. */
struct timer *timer_pop_due(struct timer_heap *h, uint64_t now_ms);
void timer_heap_free(struct timer_heap *h);

#endif
