/* The running tenants and their compiled profiles. */
#include "tenant/tenants.h"
#include "sys/tracker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenant/profile.h"

static void free_programs(struct sock_fprog *programs, size_t n)
{
	for (size_t i = 0; programs && i < n; i++)
		profile_program_free(&programs[i]);
	free(programs);
}

int tenants_prepare(struct tenants *out, struct config *cfg, char *err, size_t errlen)
{
	struct sock_fprog *programs = calloc(cfg->nprofiles + 1, sizeof(*programs));
	size_t used = 0;
	int rc = programs ? 0 : -1;

	if (!programs && errlen)
		snprintf(err, errlen, "seccomp profiles: out of memory\n");
	for (size_t i = 0; programs && i < cfg->nprofiles; i++) {
		const struct seccomp_decl *d = &cfg->profiles[i];
		char why[256];
		if (profile_compile(d, &programs[i], why, sizeof(why)) == 0)
			continue;
		rc = -1;
		if (used < errlen)
			used += (size_t)snprintf(err + used, errlen - used, "%s:%d: %s\n", d->file,
						 d->line, why);
	}
	if (rc < 0) {
		free_programs(programs, cfg->nprofiles);
		return -1;
	}
	*out = (struct tenants){ .decls = cfg->tenants,
				 .n = cfg->ntenants,
				 .profiles = cfg->profiles,
				 .programs = programs,
				 .nprofiles = cfg->nprofiles };
	cfg->tenants = NULL;
	cfg->ntenants = 0;
	cfg->profiles = NULL;
	cfg->nprofiles = 0;
	return 0;
}

void tenants_free(struct tenants *t)
{
	for (size_t i = 0; i < t->n; i++)
		tenant_decl_free(&t->decls[i]);
	free(t->decls);
	for (size_t i = 0; i < t->nprofiles; i++)
		seccomp_decl_free(&t->profiles[i]);
	free(t->profiles);
	free_programs(t->programs, t->nprofiles);
	*t = (struct tenants){ 0 };
}

void tenants_replace(struct tenants *cur, struct tenants *next)
{
	tenants_free(cur);
	*cur = *next;
	*next = (struct tenants){ 0 };
}

const struct tenant_decl *tenants_find(const struct tenants *t, const char *name)
{
	for (size_t i = 0; name && i < t->n; i++)
		if (strcmp(t->decls[i].name, name) == 0)
			return &t->decls[i];
	return NULL;
}

uid_t tenant_user(const struct tenant_decl *d)
{
	return d->cred_set & CRED_USER ? d->uid : NO_ID;
}

bool tenant_has_user(const struct tenant_decl *d, uid_t uid)
{
	return (d->cred_set & CRED_USER) && d->uid == uid;
}

bool tenants_have_user(const struct tenants *t, uid_t uid)
{
	for (size_t i = 0; i < t->n; i++)
		if (tenant_has_user(&t->decls[i], uid))
			return true;
	return false;
}

int tenants_declare_limits(const struct tenants *t, struct tracker *tr)
{
	int rc = 0;
	tracker_tenants_begin(tr);
	for (size_t i = 0; i < t->n; i++)
		if (tracker_tenant_declare(tr, t->decls[i].name, &t->decls[i].limits) < 0)
			rc = -1;
	tracker_tenants_end(tr);
	return rc;
}

const struct sock_fprog *tenant_program(const struct tenants *t, const struct tenant_decl *d)
{
	for (size_t i = 0; d && d->seccomp && i < t->nprofiles; i++)
		if (strcmp(t->profiles[i].name, d->seccomp) == 0)
			return &t->programs[i];
	return NULL;
}

const struct sock_fprog *tenants_program(const struct tenants *t, const char *name)
{
	return tenant_program(t, tenants_find(t, name));
}
