/* Reaping (reaper.c) and what tend learns of descendants it reaps
 * (descendants.c). */
#ifndef TEND_REAPER_H
#define TEND_REAPER_H

#include <sys/resource.h>
#include <sys/types.h>

struct tend;
struct zombie_info;

/* On SIGCHLD: collects every exited child; main processes go to their
 * state machine, any other pid is reaped and published as a descendant. */
void reap_children(struct tend *t);

/* A pid tend reaped that was no main process: finds whose tree it was in
 * (its cgroup; else the session it shared with a main process) and
 * publishes BUS_DESCENDANT_REAPED. z: what /proc said before it was reaped. */
void descendant_reaped(struct tend *t, pid_t pid, int wait_status, const struct rusage *usage,
		       const struct zombie_info *z);

#endif
