/* Restart windows: "more than `limit` exits within `window` ms" means the
 * process is unstable. Keeps the times of the last limit+1 exits in a ring. */
#ifndef TEND_RESTART_WINDOW_H
#define TEND_RESTART_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

struct restart_window {
	uint64_t *exits; /* ring of limit+1 exit times (ms); NULL until the first exit */
	uint64_t window_ms;
	unsigned limit; /* at most MAX_RESTART_LIMIT (1000) */
	uint16_t count; /* exits recorded, at most limit+1 */
	uint16_t next;	/* ring slot for the next exit */
};

/* Allocates nothing; the ring is made at the first exit recorded. */
void restart_window_init(struct restart_window *w, unsigned limit, uint64_t window_ms);
void restart_window_free(struct restart_window *w);
/* -1 only when out of memory (the exit is then not counted). */
int restart_window_record_exit(struct restart_window *w, uint64_t now_ms);
/* True when more than `limit` of the recorded exits fall within the window ending at now. */
bool restart_window_exceeded(const struct restart_window *w, uint64_t now_ms);
/* Forgets every exit: after an explicit start the process gets a fresh window. */
void restart_window_reset(struct restart_window *w);

#endif
