/* The tenants tend runs with: their declarations and their profiles,
 * compiled. Taken from a configuration once it is valid; a process's
 * tenant is looked up here when it starts, so that a group added at run
 * time (tendctl add, run) is confined like a declared one. */
#ifndef TEND_TENANT_TENANTS_H
#define TEND_TENANT_TENANTS_H

#include <linux/filter.h>
#include <stddef.h>

#include "config/config.h"

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

#endif
