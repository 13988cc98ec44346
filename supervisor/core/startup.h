/* Starting up: every autostart group asked to start, in declaration order,
 * and once none is still starting a line saying how many came up (as PID 1
 * its console timestamp is the boot-to-ready time). */
#ifndef TEND_STARTUP_H
#define TEND_STARTUP_H

struct tend;

void tend_start(struct tend *t);
/* After any change: logs "startup finished" once, when it is. */
void startup_report_if_finished(struct tend *t);

#endif
