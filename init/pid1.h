/* What only PID 1 does at the end: once every group has stopped, the end
 * of the machine (see pid1.c); and, when it cannot set itself up, staying
 * alive. */
#ifndef TEND_PID1_H
#define TEND_PID1_H

#include <stdbool.h>

#include "core/shutdown.h"

struct tend;

/* Ends every remaining process, syncs, unmounts, calls reboot(2). In a PID
 * namespace other than the first, the kernel ends tend at reboot(2) with
 * SIGHUP (reboot) or SIGINT (power off, halt); on a machine it does not
 * return. If it does return, tend waits for signals forever: PID 1 never exits. */
void pid1_finish(struct tend *t, enum shutdown_kind kind) __attribute__((noreturn));
/* When tend cannot set itself up as PID 1: reap forever, never exit; with
 * an emergency shell (NULL: none), keep it running on the console. */
void pid1_stay(struct tend *t, const char *shell) __attribute__((noreturn));

#endif
