/* What only PID 1 does: ask the kernel for Ctrl-Alt-Del as a signal, and
 * the end of a shutdown once every group has stopped (see pid1.c). */
#ifndef TEND_PID1_H
#define TEND_PID1_H

#include <stdbool.h>

#include "core/shutdown.h"

struct tend;

void pid1_early(struct tend *t);
/* Ends every remaining process, syncs, unmounts, calls reboot(2). In a PID
 * namespace other than the first, the kernel ends tend at reboot(2) with
 * SIGHUP (reboot) or SIGINT (power off, halt); on a machine it does not
 * return. If it does return, tend waits for signals forever: PID 1 never exits. */
void pid1_finish(struct tend *t, enum shutdown_kind kind) __attribute__((noreturn));
/* When tend cannot set itself up as PID 1: reap forever, never exit; with
 * an emergency shell (NULL: none), keep it running on the console. */
void pid1_stay(struct tend *t, const char *shell) __attribute__((noreturn));

#endif
