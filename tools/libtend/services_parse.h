/* Inside libtend: reading the services directory's text format, as
 * supervisor/services/location.c and supervisor/control/watch.c write it
 * (words quoted as cmdline_split reads them back). Pure functions, for
 * services.c, watch_services.c and the unit tests; not exported.
 *
 *   address   HOST[:PORT][/PROTO]   "[V6]:PORT" with a port, bare V6 without;
 *             HOST/unix:PATH        (the word quoted when the path needs it)
 *   location  NAME ADDRESS index N owner (GROUP/PROCESS | pid N | uid N decoupled)
 *             [proxy] [context K=V ...]
 *   event     service add|remove|update LOCATION
 *             service move LOCATION from ADDRESS
 *             group NAME STATE index N
 *             host up|down HOST index N
 *             sync N
 *             resync */
#ifndef LIBTEND_SERVICES_PARSE_H
#define LIBTEND_SERVICES_PARSE_H

#include <stddef.h>

#include "tend.h"

/* Decodes one address word (already unquoted). Returns 0, or -1 with *why
 * set to a static text; *a is then cleared. */
int svc_parse_address(const char *word, struct tend_address *a, const char **why);

/* Splits text and decodes it as a location. Returns 0, or -1 with errno
 * EBADMSG (*why: what is wrong) or ENOMEM. */
int svc_parse_location(const char *text, struct tend_location *l, const char **why);

/* Decodes a watch line's payload into ev, with ev->line a copy of it (cut
 * at TEND_WATCH_LINE_MAX - 1 bytes). Returns ev->kind: TEND_WATCH_OTHER for
 * a line it does not know (*why NULL) or cannot decode (*why: what is
 * wrong); -1 only when out of memory (errno ENOMEM). */
int svc_parse_event(const char *payload, struct tend_watch_event *ev, const char **why);

/* Clears ev to a TEND_WATCH_OTHER event whose line is text (cut). */
void svc_event_reset(struct tend_watch_event *ev, const char *text);

#endif
