/* Shutting down: every group stopped, the last declared first, each
 * group's processes in reverse order with their stop timeouts; then tend
 * exits, or as PID 1 ends the machine the way the kind says (init/pid1.c). */
#ifndef TEND_SHUTDOWN_H
#define TEND_SHUTDOWN_H

struct tend;

enum shutdown_kind { SHUTDOWN_EXIT, SHUTDOWN_REBOOT, SHUTDOWN_POWEROFF, SHUTDOWN_HALT };

const char *shutdown_kind_name(enum shutdown_kind k);
void tend_begin_shutdown(struct tend *t, enum shutdown_kind kind);
/* After any change while shutting down: stops the next group once the one
 * before it is down; ends the loop when nothing is left running. */
void shutdown_advance(struct tend *t);

#endif
