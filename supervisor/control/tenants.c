/* `tenants [--json]`: every tenant with its groups, its running processes,
 * its profile, its user, its cgroup and its limits (configured, and
 * whether tend applied them or why not). The tenants are the declared
 * sections, then the names groups use that no section declares (labels). A
 * tenant's user sees only its tenants. */
#include "base/json.h"
#include "control/authorise.h"
#include "control/commands.h"
#include "control/server.h"
#include "core/context.h"

#include <stdio.h>
#include <string.h>

/* One tenant as the view needs it. */
struct tenant_view {
	const char *name;
	const struct tenant_decl *decl; /* NULL: a label only */
	const struct tenant_cgroup *cg;	 /* NULL: no limits, no cgroup */
	size_t processes;
};

static size_t tenant_processes(struct tend *t, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < t->ngroups; i++) {
		struct group *g = t->groups[i];
		for (size_t j = 0; strcmp(g->decl.tenant, name) == 0 && j < g->nprocs; j++) {
			struct pid_list members = { 0 };
			struct tree tree = process_tree(&g->procs[j]);
			tracker_members(&t->tracker, &tree, &members);
			n += members.len;
			pid_list_free(&members);
		}
	}
	return n;
}

static struct tenant_view view_of(struct tend *t, const char *name)
{
	return (struct tenant_view){ .name = name,
				     .decl = tenants_find(&t->tenants, name),
				     .cg = tracker_tenant(&t->tracker, name),
				     .processes = tenant_processes(t, name) };
}

/* "applied", "pending" (its cgroup is made when its first group starts)
 * or "not-applicable" (why: tc->why). */
static const char *limit_state(const struct tenant_cgroup *tc, enum limit_kind k)
{
	if (tc->missing & (1u << k))
		return "not-applicable";
	return tc->live ? "applied" : "pending";
}

static void limits_text(const struct tenant_cgroup *tc, struct buf *out)
{
	unsigned want = limits_configured(&tc->limits);
	char value[48];
	for (int k = 0; k < LIMIT__COUNT; k++) {
		if (!(want & (1u << k)))
			continue;
		limit_value(k, &tc->limits, value, sizeof(value));
		buf_printf(out, "  %s %s: %s", limit_name(k), value, limit_state(tc, k));
		if (tc->missing & (1u << k))
			buf_printf(out, " (%s)", tc->why);
		buf_puts(out, "\n");
	}
}

static void tenant_text(struct tend *t, const struct tenant_view *v, struct buf *out)
{
	size_t n = 0;
	buf_printf(out, "%s%s:", v->name, v->decl ? "" : " (label)");
	for (size_t i = 0; i < t->ngroups; i++)
		if (strcmp(t->groups[i]->decl.tenant, v->name) == 0)
			buf_printf(out, "%s%s", n++ ? ", " : " groups ", t->groups[i]->decl.name);
	if (!n)
		buf_puts(out, " no groups");
	buf_printf(out, "; %zu process%s", v->processes, v->processes == 1 ? "" : "es");
	if (v->decl && v->decl->seccomp)
		buf_printf(out, "; profile %s", v->decl->seccomp);
	if (v->decl && tenant_user(v->decl) != NO_ID)
		buf_printf(out, "; user %d", (int)tenant_user(v->decl));
	if (v->cg && v->cg->live)
		buf_printf(out, "; cgroup %s/%s", t->tracker.root, v->name);
	buf_puts(out, "\n");
	if (v->cg)
		limits_text(v->cg, out);
}

static void limits_json(const struct tenant_cgroup *tc, struct buf *out)
{
	unsigned want = tc ? limits_configured(&tc->limits) : 0;
	char value[48];
	bool first = true;
	buf_puts(out, ",\"limits\":[");
	for (int k = 0; k < LIMIT__COUNT; k++) {
		if (!(want & (1u << k)))
			continue;
		limit_value(k, &tc->limits, value, sizeof(value));
		buf_printf(out, "%s{\"option\":\"%s\",\"value\":", first ? "" : ",", limit_name(k));
		first = false;
		json_str(out, value);
		buf_printf(out, ",\"state\":\"%s\"", limit_state(tc, k));
		if (tc->missing & (1u << k)) {
			buf_puts(out, ",\"why\":");
			json_str(out, tc->why);
		}
		buf_puts(out, "}");
	}
	buf_puts(out, "]");
}

static void tenant_json(struct tend *t, const struct tenant_view *v, struct buf *out)
{
	size_t n = 0;
	buf_puts(out, "{\"name\":");
	json_str(out, v->name);
	buf_printf(out, ",\"declared\":%s,\"groups\":[", v->decl ? "true" : "false");
	for (size_t i = 0; i < t->ngroups; i++) {
		if (strcmp(t->groups[i]->decl.tenant, v->name) != 0)
			continue;
		buf_puts(out, n++ ? "," : "");
		json_str(out, t->groups[i]->decl.name);
	}
	buf_printf(out, "],\"processes\":%zu,\"profile\":", v->processes);
	if (v->decl && v->decl->seccomp)
		json_str(out, v->decl->seccomp);
	else
		buf_puts(out, "null");
	if (v->decl && tenant_user(v->decl) != NO_ID)
		buf_printf(out, ",\"user\":%d", (int)tenant_user(v->decl));
	else
		buf_puts(out, ",\"user\":null");
	buf_puts(out, ",\"cgroup\":");
	if (v->cg && v->cg->live) {
		struct buf path = { 0 };
		buf_printf(&path, "%s/%s", t->tracker.root, v->name);
		json_str(out, path.data ? path.data : "");
		buf_free(&path);
	} else {
		buf_puts(out, "null");
	}
	limits_json(v->cg, out);
	buf_puts(out, "}");
}

/* Whether the name was already listed: a section's, or an earlier group's. */
static bool listed_before(struct tend *t, size_t group_index, const char *name)
{
	if (tenants_find(&t->tenants, name))
		return true;
	for (size_t i = 0; i < group_index; i++)
		if (strcmp(t->groups[i]->decl.tenant, name) == 0)
			return true;
	return false;
}

static void one(struct tend *t, struct client *c, const char *name, bool json, bool *first,
		struct buf *out)
{
	if (!client_may_use_tenant(t, c, name))
		return;
	struct tenant_view v = view_of(t, name);
	if (json) {
		buf_puts(out, *first ? "" : ",");
		tenant_json(t, &v, out);
	} else {
		tenant_text(t, &v, out);
	}
	*first = false;
}

void cmd_tenants(struct tend *t, struct client *c, char **argv)
{
	bool json = false, first = true;
	for (char **a = argv + 1; *a; a++) {
		if (strcmp(*a, "--json") != 0)
			return client_err(c, "usage: tenants [--json]");
		json = true;
	}
	struct buf out = { 0 };
	if (json)
		buf_puts(&out, "{\"tenants\":[");
	tracker_batch_begin(&t->tracker);
	for (size_t i = 0; i < t->tenants.n; i++)
		one(t, c, t->tenants.decls[i].name, json, &first, &out);
	for (size_t i = 0; i < t->ngroups; i++)
		if (!listed_before(t, i, t->groups[i]->decl.tenant))
			one(t, c, t->groups[i]->decl.tenant, json, &first, &out);
	tracker_batch_end(&t->tracker);
	if (json)
		buf_puts(&out, "]}");
	client_reply_buf(c, &out);
}
