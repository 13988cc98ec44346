/* A bounded wait for one child process. */
#ifndef TEND_CHILD_WAIT_H
#define TEND_CHILD_WAIT_H

#include <sys/types.h>

/* Waits at most ms for one child of tend's to end and reaps it. Returns its
 * wait status, or -1 if it is still there (the reaper takes it later):
 * for helpers that may hang in the kernel (sync on a dead disk, a conf.d
 * reader on a dead network file system). */
int reap_child_within(pid_t pid, unsigned ms);

#endif
