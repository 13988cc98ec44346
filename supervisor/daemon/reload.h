/* Reload: apply a changed conf.d to a running tend (see reload.c). */
#ifndef TEND_RELOAD_H
#define TEND_RELOAD_H

#include "base/buf.h"

struct tend;

/* Parses conf.d; if valid, applies the difference. Returns 0 when applied,
 * -1 when rejected (invalid declarations: nothing changed; or shutting
 * down). report receives one line per change or error, then a summary. */
int tend_reload(struct tend *t, struct buf *report);

/* Between batches of events: frees groups that finished stopping and starts
 * the ones that waited for them. */
void reload_after_events(struct tend *t);

/* confwatch.c: reload by itself when conf.d changes (inotify), edits
 * coalesced for RELOAD_SETTLE_MS. */
#define RELOAD_SETTLE_MS 100
#define RELOAD_MAX_WAIT_MS 2000
void confwatch_open(struct tend *t);
void confwatch_close(struct tend *t);

#endif
