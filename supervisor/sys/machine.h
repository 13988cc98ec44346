/* What "this tend owns the machine" means: it is PID 1 of the first PID
 * namespace, so the filesystems, the console and the hostname are its to
 * manage. PID 1 of a container (another PID namespace) owns none of them. */
#ifndef TEND_MACHINE_H
#define TEND_MACHINE_H

#include <stdbool.h>

/* True in the first PID namespace: the machine (its filesystems) is ours. */
bool machine_is_ours(void);
/* True unless the UTS namespace is the machine's and the machine is not ours. */
bool machine_may_set_hostname(void);
/* As PID 1: Ctrl-Alt-Del becomes SIGINT to us instead of an instant
 * reboot. 0, or -1 with errno (EINVAL, in a PID namespace, is not a
 * failure: there is no Ctrl-Alt-Del to catch). */
int machine_catch_ctrl_alt_del(void);

#endif
