/* Heartbeat watchdogs (see watchdog.c): a process declared with
 * `watchdog = DURATION` must kick (libtend, or WATCHDOG=1 through
 * NOTIFY_SOCKET) at least that often, or tend takes it for hung. */
#ifndef TEND_WATCHDOG_H
#define TEND_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/timer.h"
#include "libtend/watchdog_page.h" /* TEND_WATCHDOG_STATE_MAX: the longest state text, NUL included */

struct tend;
struct process;
struct tend_watchdog_page;

/* A process's watchdog, made the first time it needs one (p->wd, NULL until
 * then): most processes never do. */
struct watchdog {
	struct process *proc;		 /* whose it is */
	struct tend_watchdog_page *page; /* the shared page, mapped; NULL: none (yet) */
	int fd;				 /* its memfd, from prepare until the child has it; -1 */
	struct timer timer;		 /* when the next kick is due */
	uint64_t timeout_ms;		 /* as declared, or as WATCHDOG_USEC= changed it */
	uint64_t last_kick_ms;		 /* a kick tend saw itself (WATCHDOG=1), or the start */
	bool suspended;			 /* tendctl watchdog suspend (also kept in the page) */
	bool triggered;			 /* WATCHDOG=trigger: hung by its own word */
};

/* Cancels p's watchdog timer and frees its watchdog, if it has one. */
void watchdog_free(struct tend *t, struct process *p);

/* Before p starts (launch.c): a new watchdog page (sealed memfd, for the
 * child: watchdog_child_fd). Returns 0 (also when p has no watchdog), or -1
 * with errno. */
int watchdog_prepare(struct tend *t, struct process *p);
/* The page's descriptor between prepare and spawned; -1: none. */
int watchdog_child_fd(const struct process *p);
bool watchdog_has_page(const struct process *p);
/* After the fork: the child has its own descriptor of the page; tend's goes. */
void watchdog_spawned(struct process *p);
/* p's main process started: the first kick is due one timeout from now. */
void watchdog_started(struct tend *t, struct process *p);
/* p's main process is gone or being stopped: no more checks. */
void watchdog_disarm(struct tend *t, struct process *p);
/* A kick that reached tend itself (WATCHDOG=1). */
void watchdog_kicked(struct tend *t, struct process *p);
/* WATCHDOG_USEC=: a new timeout for the running process, from now. */
void watchdog_set_timeout(struct tend *t, struct process *p, uint64_t timeout_ms);
/* tendctl watchdog suspend|resume. Resuming counts as a kick. */
void watchdog_suspend(struct tend *t, struct process *p, bool suspend);
bool watchdog_is_suspended(const struct process *p);
/* The timeout that applies: this run's WATCHDOG_USEC=, else the declared
 * one; 0: p has no watchdog. */
uint64_t watchdog_timeout_ms(const struct process *p);
/* WATCHDOG=trigger: p is hung by its own word (PE_HUNG now). */
void watchdog_trigger(struct tend *t, struct process *p);
/* While PE_HUNG is handled: whether it came from WATCHDOG=trigger. */
bool watchdog_was_triggered(const struct process *p);
/* The state text the process last set (libtend), "" if none. */
void watchdog_state_text(const struct process *p, char *buf, size_t len);

#endif
