#include "core/tenant_list.h"
#include "config/config.h"
#include "core/context.h"

#include <stdlib.h>
#include <string.h>

void tenant_list_free(struct tenant_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].profile);
	}
	free(l->v);
	*l = (struct tenant_list){ 0 };
}

static int copy(struct tenant_list *out, const struct config *cfg)
{
	*out = (struct tenant_list){ 0 };
	if (cfg->ntenants && !(out->v = calloc(cfg->ntenants, sizeof(*out->v))))
		return -1;
	for (size_t i = 0; i < cfg->ntenants; i++, out->n++) {
		const struct tenant_decl *d = &cfg->tenants[i];
		struct tenant_entry *e = &out->v[i];
		e->name = strdup(d->name);
		e->profile = d->seccomp ? strdup(d->seccomp) : NULL;
		e->uid = d->cred_set & CRED_USER ? d->uid : NO_ID;
		if (!e->name || (d->seccomp && !e->profile)) {
			out->n++;
			tenant_list_free(out);
			return -1;
		}
	}
	return 0;
}

int tenant_list_load(struct tend *t, const struct config *cfg)
{
	struct tenant_list next;
	if (copy(&next, cfg) < 0)
		return -1;
	tenant_list_free(&t->tenant_list);
	t->tenant_list = next;
	int rc = 0;
	tracker_tenants_begin(&t->tracker);
	for (size_t i = 0; i < cfg->ntenants; i++)
		if (tracker_tenant_declare(&t->tracker, cfg->tenants[i].name,
					   &cfg->tenants[i].limits) < 0)
			rc = -1;
	tracker_tenants_end(&t->tracker);
	return rc;
}

const struct tenant_entry *tenant_list_find(const struct tenant_list *l, const char *name)
{
	for (size_t i = 0; name && i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

bool tenant_list_has_user(const struct tenant_list *l, uid_t uid)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].uid != NO_ID && l->v[i].uid == uid)
			return true;
	return false;
}
