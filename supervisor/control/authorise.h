/* Who may do what through the control socket. The caller's uid comes from
 * SO_PEERCRED when it connects, and the decision about a request is taken
 * before the request is parsed:
 *  - root and tend's own uid: everything;
 *  - in root's tend, a uid that is the `user` of one or more tenant
 *    sections: only the requests TENANT_REQUESTS names, and only about the
 *    groups of those tenants (what it does not own it neither sees nor
 *    touches);
 *  - anyone else: every request is refused. */
#ifndef TEND_CONTROL_AUTHORISE_H
#define TEND_CONTROL_AUTHORISE_H

#include <stdbool.h>
#include <sys/types.h>

struct tend;
struct client;
struct group;

#define TENANT_REQUESTS "ping, status, tenants, logs, events, start, stop, restart, run"

enum caller_kind { CALLER_REFUSED, CALLER_FULL, CALLER_TENANT };

/* What a caller of this uid may do, by tend's uid and tenant sections. */
enum caller_kind caller_kind(const struct tend *t, uid_t uid);
/* A tenant's user sent this raw request line: whether its first word is a
 * request such a caller may make (decided on the text, before parsing:
 * a malformed request of another kind is refused, not parsed). */
bool tenant_request_allowed(const char *line);
/* Whether c may see and act on the groups of tenant `tenant`: launch into
 * it (run), see it (status, tenants, logs, events, account), stop, start
 * and restart its groups. The one check every such request makes. */
bool client_may_use_tenant(const struct tend *t, const struct client *c, const char *tenant);
/* The same about a group, by its tenant. */
bool client_may_act(const struct tend *t, const struct client *c, const struct group *g);

/* For a request about GROUP[/PROCESS] from a tenant's user: true, with an
 * error reply, when that group is not one of its tenants' (or not there:
 * other tenants' group names are not told apart from unknown ones). */
bool client_refuse_target(struct tend *t, struct client *c, const char *target);

#endif
