#include "base/timer.h"

#include <stdlib.h>

void timer_init(struct timer *tm, timer_fn *fire)
{
	tm->due_ms = 0;
	tm->slot = TIMER_IDLE;
	tm->fire = fire;
}

bool timer_armed(const struct timer *tm)
{
	return tm->slot != TIMER_IDLE;
}

static void heap_place(struct timer_heap *h, size_t i, struct timer *tm)
{
	h->items[i] = tm;
	tm->slot = i;
}

static void sift_up(struct timer_heap *h, size_t i)
{
	struct timer *tm = h->items[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (h->items[parent]->due_ms <= tm->due_ms)
			break;
		heap_place(h, i, h->items[parent]);
		i = parent;
	}
	heap_place(h, i, tm);
}

static void sift_down(struct timer_heap *h, size_t i)
{
	struct timer *tm = h->items[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= h->len)
			break;
		if (child + 1 < h->len && h->items[child + 1]->due_ms < h->items[child]->due_ms)
			child++;
		if (tm->due_ms <= h->items[child]->due_ms)
			break;
		heap_place(h, i, h->items[child]);
		i = child;
	}
	heap_place(h, i, tm);
}

void timer_cancel(struct timer_heap *h, struct timer *tm)
{
	if (!timer_armed(tm))
		return;
	size_t i = tm->slot;
	struct timer *last = h->items[--h->len];
	tm->slot = TIMER_IDLE;
	if (last == tm)
		return;
	heap_place(h, i, last);
	sift_up(h, i);
	sift_down(h, last->slot);
}

int timer_arm(struct timer_heap *h, struct timer *tm, uint64_t due_ms)
{
	timer_cancel(h, tm);
	if (h->len == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct timer **items = realloc(h->items, cap * sizeof(*items));
		if (!items)
			return -1;
		h->items = items;
		h->cap = cap;
	}
	tm->due_ms = due_ms;
	heap_place(h, h->len++, tm);
	sift_up(h, tm->slot);
	return 0;
}

struct timer *timer_earliest(const struct timer_heap *h)
{
	return h->len ? h->items[0] : NULL;
}

struct timer *timer_pop_due(struct timer_heap *h, uint64_t now_ms)
{
	struct timer *tm = timer_earliest(h);
	if (!tm || tm->due_ms > now_ms)
		return NULL;
	timer_cancel(h, tm);
	return tm;
}

void timer_heap_free(struct timer_heap *h)
{
	free(h->items);
	*h = (struct timer_heap){ 0 };
}
