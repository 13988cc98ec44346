#include "control/authorise.h"
#include "control/server.h"
#include "core/context.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum caller_kind caller_kind(const struct tend *t, uid_t uid)
{
	if (uid == 0 || uid == geteuid())
		return CALLER_FULL;
	/* Tenants are Unix users only in root's tend. */
	if (geteuid() == 0 && tenants_have_user(&t->tenants, uid))
		return CALLER_TENANT;
	return CALLER_REFUSED;
}

bool tenant_request_allowed(const char *line)
{
	static const char *const allowed[] = { "ping",	"status", "tenants", "logs", "events",
					       "start", "stop",	  "restart", "run" };
	size_t n = strcspn(line, " \t");
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strlen(allowed[i]) == n && strncmp(line, allowed[i], n) == 0)
			return true;
	return false;
}

bool client_may_use_tenant(const struct tend *t, const struct client *c, const char *tenant)
{
	if (!c->tenant_user)
		return true;
	const struct tenant_decl *d = tenants_find(&t->tenants, tenant);
	return d && tenant_has_user(d, c->uid);
}

bool client_may_act(const struct tend *t, const struct client *c, const struct group *g)
{
	return client_may_use_tenant(t, c, g->decl.tenant);
}

bool client_refuse_target(struct tend *t, struct client *c, const char *target)
{
	char name[NAME_MAX_LEN + 1];
	if (!c->tenant_user)
		return false;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(target, "/"), target);
	struct group *g = tend_find_group(t, name);
	if (g && client_may_act(t, c, g))
		return false;
	client_err(c, "permission denied: no group %s among the tenants of uid %d", name,
		   (int)c->uid);
	return true;
}
