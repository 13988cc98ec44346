/* Reaping (reaper.c). */
#ifndef TEND_REAPER_H
#define TEND_REAPER_H

#include <sys/types.h>

struct tend;

/* On SIGCHLD: collects every exited child; main processes go to their
 * state machine, any other pid is simply reaped. */
void reap_children(struct tend *t);

/* Waits at most ms for one child of tend's to end and reaps it. Returns its
 * wait status, or -1 if it is still there (reap_children takes it later):
 * for helpers that may hang in the kernel (sync on a dead disk, a conf.d
 * reader on a dead network file system). */
int reap_child_within(pid_t pid, unsigned ms);

#endif
