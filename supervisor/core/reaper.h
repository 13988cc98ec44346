/* Reaping (reaper.c). */
#ifndef TEND_REAPER_H
#define TEND_REAPER_H

struct tend;

/* On SIGCHLD: collects every exited child; main processes go to their
 * state machine, any other pid is simply reaped. */
void reap_children(struct tend *t);

#endif
