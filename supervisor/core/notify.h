/* NOTIFY_SOCKET: sd_notify messages from supervised processes (notify.c). */
#ifndef TEND_NOTIFY_H
#define TEND_NOTIFY_H

#include <sys/types.h>

struct tend;
struct process;

/* Binds RUNDIR/notify and watches it. Returns 0, or -1 (logged): then
 * processes get no NOTIFY_SOCKET and tend runs on without it. */
int notify_open(struct tend *t);
void notify_close(struct tend *t);

/* p's main process was reaped (or p is freed): stop watching a main process
 * that MAINPID= named. */
void notify_forget_main(struct tend *t, struct process *p);

/* p was not ready in time: if its main process runs as a user that cannot
 * reach NOTIFY_SOCKET (a directory on the way it may not enter), says so:
 * its READY=1 could never arrive. */
void notify_explain_not_ready(struct tend *t, struct process *p);

#endif
