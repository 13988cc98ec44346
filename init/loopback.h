/* PID 1 brings up lo through rtnetlink (see loopback.c). */
#ifndef TEND_LOOPBACK_H
#define TEND_LOOPBACK_H

struct tend;

/* Returns 0 when lo is up (now or already), -1 with the reason logged. */
int loopback_up(struct tend *t);

#endif
