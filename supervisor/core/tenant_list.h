/* The tenant sections of the running configuration, as views and
 * authorisation need them: name, profile name, user. Replaced at every
 * (re)load once the declarations are valid; the limits go to the tracker
 * (sys/cgroup_limits.c), which writes them to the tenants' cgroups. */
#ifndef TEND_CORE_TENANT_LIST_H
#define TEND_CORE_TENANT_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tend;
struct config;

struct tenant_entry {
	char *name;
	char *profile; /* seccomp profile's name; NULL: none */
	uid_t uid;     /* its user (root's tend); NO_ID: none */
};

struct tenant_list {
	struct tenant_entry *v;
	size_t n;
};

/* Takes cfg's tenant sections (copied; cfg is not changed) and hands
 * their limits to the tracker. -1 when out of memory (nothing changed). */
int tenant_list_load(struct tend *t, const struct config *cfg);
void tenant_list_free(struct tenant_list *l);
/* NULL: no section declares it (a label only). */
const struct tenant_entry *tenant_list_find(const struct tenant_list *l, const char *name);
/* Whether some section names uid as its user. */
bool tenant_list_has_user(const struct tenant_list *l, uid_t uid);

#endif
