/* Tenants in the declarations model: their limits' values, the
 * credentials they give their processes, comparison for reload. */
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "config/config.h"
#include "config/users.h"

/* A whole number from min to max, all of text. */
static int number_parse(const char *text, uint64_t min, uint64_t max, uint64_t *n)
{
	uint64_t v = 0;
	const char *p = text;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == text || *p || v < min)
		return -1;
	*n = v;
	return 0;
}

int cpu_max_parse(const char *text, uint64_t *quota_us, uint64_t *period_us)
{
	const char *space = strchr(text, ' ');
	size_t len = strlen(text);
	uint64_t pct;
	char quota[24];

	*period_us = DEFAULT_CPU_PERIOD_US;
	if (strcmp(text, "max") == 0) {
		*quota_us = LIMIT_MAX;
		return 0;
	}
	if (len > 1 && text[len - 1] == '%') {
		if (len - 1 >= sizeof(quota))
			return -1;
		memcpy(quota, text, len - 1);
		quota[len - 1] = '\0';
		/* a percentage of one CPU, over the kernel's default period */
		if (number_parse(quota, 1, 100000, &pct) < 0)
			return -1;
		*quota_us = pct * DEFAULT_CPU_PERIOD_US / 100;
		return 0;
	}
	if (!space || (size_t)(space - text) >= sizeof(quota))
		return -1;
	memcpy(quota, text, (size_t)(space - text));
	quota[space - text] = '\0';
	if (number_parse(space + 1, MIN_CPU_PERIOD_US, MAX_CPU_PERIOD_US, period_us) < 0)
		return -1;
	if (strcmp(quota, "max") == 0) {
		*quota_us = LIMIT_MAX;
		return 0;
	}
	return number_parse(quota, MIN_CPU_PERIOD_US, (uint64_t)1 << 40, quota_us);
}

int limit_size_parse(const char *text, uint64_t *bytes)
{
	if (strcmp(text, "max") == 0) {
		*bytes = LIMIT_MAX;
		return 0;
	}
	return size_parse(text, bytes);
}

int pids_max_parse(const char *text, uint64_t *n)
{
	if (strcmp(text, "max") == 0) {
		*n = LIMIT_MAX;
		return 0;
	}
	return number_parse(text, 1, MAX_PIDS, n);
}

void tenant_decl_free(struct tenant_decl *t)
{
	free(t->name);
	free(t->seccomp);
	free(t->file);
	free(t->gids);
	*t = (struct tenant_decl){ 0 };
}

bool tenant_decl_equal(const struct tenant_decl *a, const struct tenant_decl *b)
{
	int n = a->nmember + a->nextra;

	return str_equal(a->name, b->name) && str_equal(a->seccomp, b->seccomp) &&
	       a->uid == b->uid && a->gid == b->gid && a->user_gid == b->user_gid &&
	       a->cred_set == b->cred_set && a->nmember == b->nmember && a->nextra == b->nextra &&
	       (n == 0 || memcmp(a->gids, b->gids, (size_t)n * sizeof(gid_t)) == 0) &&
	       memcmp(&a->limits, &b->limits, sizeof(a->limits)) == 0;
}

const struct tenant_decl *config_find_tenant(const struct config *cfg, const char *name)
{
	for (size_t i = 0; cfg && name && i < cfg->ntenants; i++)
		if (strcmp(cfg->tenants[i].name, name) == 0)
			return &cfg->tenants[i];
	return NULL;
}

const struct seccomp_decl *config_group_profile(const struct config *cfg,
						const struct group_decl *g)
{
	const struct tenant_decl *t = config_find_tenant(cfg, g->tenant);

	return t && t->seccomp ? config_find_profile(cfg, t->seccomp) : NULL;
}

/* Adds ids to gids[*n], each once; -1 when that makes too many. */
static int add_gids(gid_t *gids, int *n, const gid_t *ids, int count)
{
	for (int i = 0; i < count; i++) {
		if (gid_in(gids, (size_t)*n, ids[i]))
			continue;
		if (*n == MAX_SUPPLEMENTARY_GROUPS)
			return -1;
		gids[(*n)++] = ids[i];
	}
	return 0;
}

/* The supplementary groups: the user's memberships (the process's user,
 * else the tenant's) and supplementary-groups (the process's, else the
 * tenant's). p->groups holds the process's memberships, its extras, or
 * both, as it set user and supplementary-groups. */
static int tenant_groups(const struct tenant_decl *t, const struct process_decl *p, gid_t *gids,
			 int *ngroups)
{
	bool p_user = p->cred_set & CRED_USER, p_supp = p->cred_set & CRED_SUPP;
	bool t_user = t->cred_set & CRED_USER, t_supp = t->cred_set & CRED_SUPP;
	int n = 0;

	if (!p->cred_set && !t->cred_set) { /* tend's own */
		*ngroups = p->ngroups;
		return add_gids(gids, &n, p->groups, p->ngroups > 0 ? p->ngroups : 0);
	}
	if ((p_user || p_supp) && add_gids(gids, &n, p->groups, p->ngroups > 0 ? p->ngroups : 0))
		return -1;
	if (!p_user && t_user && add_gids(gids, &n, t->gids, t->nmember) < 0)
		return -1;
	if (!p_supp && t_supp && add_gids(gids, &n, t->gids + t->nmember, t->nextra) < 0)
		return -1;
	*ngroups = n;
	return 0;
}

int tenant_credentials(const struct tenant_decl *t, const struct process_decl *p, uid_t *uid,
		       gid_t *gid, gid_t *gids, int *ngroups)
{
	*uid = p->cred_set & CRED_USER ? p->uid : t->cred_set & CRED_USER ? t->uid : p->uid;
	if (p->cred_set & CRED_GROUP)
		*gid = p->gid;
	else if (t->cred_set & CRED_GROUP)
		*gid = t->gid;
	else if (p->cred_set & CRED_USER)
		*gid = p->gid; /* its user's primary group */
	else if (t->cred_set & CRED_USER)
		*gid = t->user_gid;
	else
		*gid = p->gid;
	return tenant_groups(t, p, gids, ngroups);
}
