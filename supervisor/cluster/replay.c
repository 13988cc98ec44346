/* The sliding window: `top` is the highest sequence accepted, bit i of
 * `seen` says whether top - i was. */
#include "cluster/replay.h"

#include <string.h>

static bool remembered(const struct replay_window *w, uint32_t incarnation)
{
	for (unsigned i = 0; i < w->nold; i++)
		if (w->old[i] == incarnation)
			return true;
	return false;
}

/* Starts the window on a new incarnation at seq, remembering the one it
 * replaces. */
static void restart(struct replay_window *w, uint32_t incarnation, uint32_t seq)
{
	if (w->started) {
		if (w->nold < REPLAY_OLD_MAX)
			w->nold++;
		memmove(w->old + 1, w->old, (w->nold - 1) * sizeof(w->old[0]));
		w->old[0] = w->incarnation;
	}
	w->incarnation = incarnation;
	w->top = seq;
	w->seen = 1;
	w->started = true;
}

/* The same incarnation: seq ahead of top moves the window; behind it, it
 * must be inside and not yet seen. */
static enum wire_drop slide(struct replay_window *w, uint32_t seq)
{
	uint32_t ahead = seq - w->top, behind = w->top - seq;

	if (ahead != 0 && ahead < (1u << 31)) {
		w->seen = ahead >= REPLAY_WINDOW_SIZE ? 1 : (w->seen << ahead) | 1;
		w->top = seq;
		return WD_OK;
	}
	if (behind >= REPLAY_WINDOW_SIZE || ((w->seen >> behind) & 1))
		return WD_REPLAY;
	w->seen |= (uint64_t)1 << behind;
	return WD_OK;
}

enum wire_drop replay_check(struct replay_window *w, uint32_t incarnation, uint32_t seq,
			    bool *rebooted)
{
	*rebooted = false;
	if (w->started && incarnation == w->incarnation)
		return slide(w, seq);
	if (remembered(w, incarnation))
		return WD_STALE_INCARNATION;
	*rebooted = w->started;
	restart(w, incarnation, seq);
	return WD_OK;
}
