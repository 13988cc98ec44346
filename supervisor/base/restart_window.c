#include "base/restart_window.h"

#include <stdlib.h>

void restart_window_init(struct restart_window *w, unsigned limit, uint64_t window_ms)
{
	/* The ring's counters are 16 bits; conf.d allows at most 1000. */
	if (limit > UINT16_MAX - 1)
		limit = UINT16_MAX - 1;
	*w = (struct restart_window){ .limit = limit, .window_ms = window_ms };
}

void restart_window_free(struct restart_window *w)
{
	free(w->exits);
	w->exits = NULL;
}

int restart_window_record_exit(struct restart_window *w, uint64_t now_ms)
{
	/* A window of zero is never exceeded: nothing to remember. The ring
	 * is made at the first exit, so a service that never exits (most of
	 * them, most of the time) costs none. */
	if (w->window_ms == 0)
		return 0;
	if (!w->exits) {
		w->exits = calloc((size_t)w->limit + 1, sizeof(*w->exits));
		if (!w->exits)
			return -1;
	}
	w->exits[w->next] = now_ms;
	w->next = (w->next + 1) % (w->limit + 1);
	if (w->count < w->limit + 1)
		w->count++;
	return 0;
}

bool restart_window_exceeded(const struct restart_window *w, uint64_t now_ms)
{
	if (w->count < w->limit + 1)
		return false;
	/* The ring is full: its oldest entry is the (limit+1)-th most recent exit.
	 * If even that one is inside the window, limit+1 exits are. */
	uint64_t oldest = w->exits[w->next];
	return now_ms - oldest < w->window_ms;
}

void restart_window_reset(struct restart_window *w)
{
	w->count = 0;
	w->next = 0;
}
