/* The tenants and seccomp profiles of a configuration as one block, for
 * the isolated reader's pipe (isolate.c). They are few and small, so
 * rather than relocating pointers as groups do (pack.c), the block is a
 * plain stream: per profile and tenant a fixed record, then its group
 * ids, then its strings with their NULs. Reading it back trusts nothing:
 * every count, string and value is checked against what the parser
 * guarantees. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libtend/cmdline.h"
#include "base/buf.h"
#include "config/config.h"

#define TENANCY_MAGIC 0x746e7431u /* "tnt1" */

struct tenancy_head {
	uint32_t magic;
	uint32_t ntenants, nprofiles;
};

struct profile_rec {
	int32_t line, errno_value;
	uint32_t default_action;
	uint32_t nnames[SECCOMP_NLISTS];
};

struct tenant_rec {
	struct tenant_limits limits;
	int32_t line, nmember, nextra;
	uint32_t uid, gid, user_gid;
	uint32_t cred_set, has_seccomp;
};

static void put_str(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s) + 1);
}

static void pack_profile(struct buf *b, const struct seccomp_decl *s)
{
	struct profile_rec r = { .line = s->line,
				 .errno_value = s->errno_value,
				 .default_action = s->default_action };

	for (int i = 0; i < SECCOMP_NLISTS; i++)
		r.nnames[i] = (uint32_t)argv_count(s->lists[i]);
	buf_append(b, &r, sizeof(r));
	put_str(b, s->name);
	put_str(b, s->file);
	for (int i = 0; i < SECCOMP_NLISTS; i++)
		for (uint32_t k = 0; k < r.nnames[i]; k++)
			put_str(b, s->lists[i][k]);
}

static void pack_tenant(struct buf *b, const struct tenant_decl *t)
{
	struct tenant_rec r = { .limits = t->limits,
				.line = t->line,
				.nmember = t->nmember,
				.nextra = t->nextra,
				.uid = t->uid,
				.gid = t->gid,
				.user_gid = t->user_gid,
				.cred_set = t->cred_set,
				.has_seccomp = t->seccomp != NULL };

	buf_append(b, &r, sizeof(r));
	if (t->nmember + t->nextra > 0)
		buf_append(b, t->gids, (size_t)(t->nmember + t->nextra) * sizeof(gid_t));
	put_str(b, t->name);
	put_str(b, t->file);
	if (t->seccomp)
		put_str(b, t->seccomp);
}

int tenancy_pack(const struct config *cfg, char **block, size_t *len)
{
	struct tenancy_head h = { TENANCY_MAGIC, (uint32_t)cfg->ntenants,
				  (uint32_t)cfg->nprofiles };
	struct buf b = { 0 };

	buf_append(&b, &h, sizeof(h));
	for (size_t i = 0; i < cfg->nprofiles; i++)
		pack_profile(&b, &cfg->profiles[i]);
	for (size_t i = 0; i < cfg->ntenants; i++)
		pack_tenant(&b, &cfg->tenants[i]);
	if (b.oom) {
		buf_free(&b);
		return -1;
	}
	*block = b.data;
	*len = b.len;
	return 0;
}

/* ---- reading it back ---- */

struct cursor {
	const char *p, *end;
	bool bad; /* short, malformed or out of memory: nothing is kept */
};

static void take(struct cursor *c, void *to, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		memset(to, 0, n);
		return;
	}
	memcpy(to, c->p, n);
	c->p += n;
}

static char *take_str(struct cursor *c)
{
	const char *nul = c->bad ? NULL : memchr(c->p, '\0', (size_t)(c->end - c->p));
	char *s = nul ? strdup(c->p) : NULL;

	if (!s) {
		c->bad = true;
		return NULL;
	}
	c->p = nul + 1;
	return s;
}

static char **take_list(struct cursor *c, uint32_t n)
{
	char **v;

	if (n == 0)
		return NULL;
	if (n > MAX_SECCOMP_NAMES || !(v = calloc(n + 1, sizeof(*v)))) {
		c->bad = true;
		return NULL;
	}
	for (uint32_t i = 0; i < n && !c->bad; i++) {
		v[i] = take_str(c);
		c->bad |= v[i] && seccomp_name_check(v[i]) != NULL;
	}
	return v;
}

static bool profile_sane(const struct config *cfg, const struct seccomp_decl *s)
{
	return s->name && valid_name(s->name) && s->file && s->line >= 0 && s->errno_value >= 1 &&
	       s->errno_value <= MAX_ERRNO && s->default_action <= SECCOMP_ACTION_LOG &&
	       !config_find_profile(cfg, s->name);
}

static void unpack_profile(struct cursor *c, struct config *cfg)
{
	struct seccomp_decl *s = &cfg->profiles[cfg->nprofiles];
	struct profile_rec r;

	take(c, &r, sizeof(r));
	*s = (struct seccomp_decl){ .line = r.line,
				    .errno_value = r.errno_value,
				    .default_action = (enum seccomp_action)r.default_action };
	s->name = take_str(c);
	s->file = take_str(c);
	for (int i = 0; i < SECCOMP_NLISTS; i++)
		s->lists[i] = take_list(c, r.nnames[i]);
	c->bad |= !profile_sane(cfg, s);
	cfg->nprofiles++; /* freed with the rest when bad */
}

static bool limits_sane(const struct tenant_limits *l)
{
	return l->cpu_weight <= MAX_WEIGHT && l->io_weight <= MAX_WEIGHT &&
	       (l->cpu_period_us == 0 ? l->cpu_quota_us == 0
				      : l->cpu_period_us >= MIN_CPU_PERIOD_US &&
					    l->cpu_period_us <= MAX_CPU_PERIOD_US) &&
	       (l->pids_max <= MAX_PIDS || l->pids_max == LIMIT_MAX);
}

static bool tenant_sane(const struct config *cfg, const struct tenant_decl *t)
{
	return t->name && valid_name(t->name) && t->file && t->line >= 0 &&
	       t->cred_set <= (CRED_USER | CRED_GROUP | CRED_SUPP) &&
	       (!t->seccomp || config_find_profile(cfg, t->seccomp)) && limits_sane(&t->limits) &&
	       !config_find_tenant(cfg, t->name);
}

static void unpack_tenant(struct cursor *c, struct config *cfg)
{
	struct tenant_decl *t = &cfg->tenants[cfg->ntenants];
	struct tenant_rec r;
	size_t n;

	take(c, &r, sizeof(r));
	*t = (struct tenant_decl){ .limits = r.limits,
				   .line = r.line,
				   .uid = r.uid,
				   .gid = r.gid,
				   .user_gid = r.user_gid,
				   .cred_set = (unsigned char)r.cred_set };
	if (r.nmember < 0 || r.nmember > MAX_SUPPLEMENTARY_GROUPS || r.nextra < 0 ||
	    r.nextra > MAX_SUPPLEMENTARY_GROUPS || r.cred_set > 0xff) {
		c->bad = true;
		return;
	}
	t->nmember = r.nmember;
	t->nextra = r.nextra;
	n = (size_t)r.nmember + (size_t)r.nextra;
	if (n && !(t->gids = malloc(n * sizeof(gid_t))))
		c->bad = true;
	if (n && t->gids)
		take(c, t->gids, n * sizeof(gid_t));
	t->name = take_str(c);
	t->file = take_str(c);
	t->seccomp = r.has_seccomp ? take_str(c) : NULL;
	c->bad |= !tenant_sane(cfg, t);
	cfg->ntenants++;
}

int tenancy_unpack(const char *block, size_t len, struct config *cfg)
{
	struct cursor c = { block, block + len, false };
	struct tenancy_head h;
	struct config got = { 0 };

	take(&c, &h, sizeof(h));
	if (c.bad || h.magic != TENANCY_MAGIC || h.ntenants > MAX_TENANTS ||
	    h.nprofiles > MAX_PROFILES)
		return -1;
	got.profiles = calloc(h.nprofiles + 1, sizeof(*got.profiles));
	got.tenants = calloc(h.ntenants + 1, sizeof(*got.tenants));
	c.bad = !got.profiles || !got.tenants;
	while (!c.bad && got.nprofiles < h.nprofiles)
		unpack_profile(&c, &got);
	while (!c.bad && got.ntenants < h.ntenants)
		unpack_tenant(&c, &got);
	if (c.bad || c.p != c.end) {
		config_free(&got);
		return -1;
	}
	cfg->tenants = got.tenants;
	cfg->ntenants = got.ntenants;
	cfg->profiles = got.profiles;
	cfg->nprofiles = got.nprofiles;
	return 0;
}
