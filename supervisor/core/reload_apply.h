/* Applying a reload's plan to the running groups (see reload_apply.c). */
#ifndef TEND_RELOAD_APPLY_H
#define TEND_RELOAD_APPLY_H

#include <stdbool.h>

#include "base/buf.h"

struct tend;
struct config;

/* Applies a valid new configuration (whose declarations it takes). report
 * receives one line per change, then a summary. Returns -1 only when out of
 * memory: then nothing changed (everything that can fail is allocated
 * before the first change), except when only the requires/after links
 * could not be made after the change (then none hold until the next
 * reload, and -1 says so). */
int reload_apply(struct tend *t, struct config *cfg, struct buf *report);

/* `tendctl remove`: g (a declared group, transient) leaves as a group a
 * reload removed does: it stops, whole trees, and is freed once down.
 * -1 only when out of memory (nothing changed). */
struct group;
int reload_remove_group(struct tend *t, struct group *g);

/* After every batch of events (a loop hook): frees retiring groups that
 * finished stopping and starts the new ones that waited for them. true
 * when it did either. */
bool reload_finish(struct tend *t);

#endif
