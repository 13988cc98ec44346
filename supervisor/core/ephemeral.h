/* Groups that end on their own: what `tendctl run` launched (see
 * ephemeral.c). */
#ifndef TEND_EPHEMERAL_H
#define TEND_EPHEMERAL_H

#include <stdbool.h>

struct tend;

/* After every batch of events (a loop hook): removes each ephemeral group
 * that has ended. true when it removed one. */
bool ephemeral_collect(struct tend *t);

#endif
