/* The tenants tend runs with: their declarations and their profiles,
 * compiled. Taken from a configuration once it is valid; a process's
 * tenant is looked up here when it starts, so that a group added at run
 * time (tendctl add, run) is confined like a declared one. */
#ifndef TEND_TENANT_TENANTS_H
#define TEND_TENANT_TENANTS_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"

struct tracker;

struct tenants {
	struct tenant_decl *decls;
	size_t n;
	struct seccomp_decl *profiles;
	struct sock_fprog *programs; /* profiles[i]'s, compiled */
	size_t nprofiles;
};

/* Compiles every profile of cfg and, when all compiled, moves cfg's
 * tenants and profiles into *out (which must be empty) and returns 0.
 * Otherwise -1, cfg untouched, and err (errlen bytes) holds one
 * "path:line: message" line per profile that failed. */
int tenants_prepare(struct tenants *out, struct config *cfg, char *err, size_t errlen);
/* Frees what *cur holds and moves *next there (next is left empty). */
void tenants_replace(struct tenants *cur, struct tenants *next);
void tenants_free(struct tenants *t);

/* The declaration of tenant name; NULL: none (a label only). */
const struct tenant_decl *tenants_find(const struct tenants *t, const char *name);
/* The program a process of tenant name runs under; NULL: none. */
const struct sock_fprog *tenants_program(const struct tenants *t, const char *name);
/* The same for a tenant found already. */
const struct sock_fprog *tenant_program(const struct tenants *t, const struct tenant_decl *d);
/* The tenant's user (root's tend), NO_ID when it names none. */
uid_t tenant_user(const struct tenant_decl *d);
/* Whether uid is the tenant's user. */
bool tenant_has_user(const struct tenant_decl *d, uid_t uid);
/* Whether some tenant names uid as its user. */
bool tenants_have_user(const struct tenants *t, uid_t uid);
/* Hands every tenant's limits to the tracker, which writes them to the
 * tenants' cgroups (sys/cgroup_limits.c): at each (re)load, once the
 * tenants are in force. -1 when out of memory. */
int tenants_declare_limits(const struct tenants *t, struct tracker *tr);

#endif
