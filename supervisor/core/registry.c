#include "core/registry.h"
#include "core/context.h"

#include <stdlib.h>
#include <string.h>

int registry_adopt(struct tend *t, struct config *cfg)
{
	t->groups = calloc(cfg->ngroups ? cfg->ngroups : 1, sizeof(*t->groups));
	if (!t->groups)
		return -1;
	for (size_t i = 0; i < cfg->ngroups; i++) {
		struct group *g = group_new(t, &cfg->groups[i]);
		if (!g)
			return -1;
		t->groups[t->ngroups++] = g;
	}
	config_free(cfg);
	return deps_link(t);
}

struct group *tend_find_group(struct tend *t, const char *name)
{
	for (size_t i = 0; i < t->ngroups; i++)
		if (strcmp(t->groups[i]->decl.name, name) == 0)
			return t->groups[i];
	return NULL;
}

bool tend_find_target(struct tend *t, const char *target, struct group **gp, struct process **pp)
{
	char group[NAME_MAX_LEN + 1];
	size_t n = strcspn(target, "/");
	*gp = NULL;
	*pp = NULL;
	if (n < sizeof(group)) {
		memcpy(group, target, n);
		group[n] = '\0';
		*gp = tend_find_group(t, group);
	}
	if (*gp && target[n])
		*pp = group_find_process(*gp, target + n + 1);
	return target[n] != '\0';
}

size_t registry_count(const struct tend *t)
{
	return t->ngroups + t->nretiring;
}

struct group *registry_nth(struct tend *t, size_t i)
{
	return i < t->ngroups ? t->groups[i] : t->retiring[i - t->ngroups];
}

void registry_free(struct tend *t)
{
	for (size_t i = 0; i < registry_count(t); i++)
		group_release_trees(t, registry_nth(t, i));
	for (size_t i = 0; i < registry_count(t); i++)
		group_free(t, registry_nth(t, i));
	free(t->retiring);
	free(t->groups);
	free(t->start_order);
	t->start_order = NULL;
	t->retiring = t->groups = NULL;
	t->nretiring = t->ngroups = 0;
}

bool registry_retiring(struct tend *t, const char *name)
{
	for (size_t i = 0; i < t->nretiring; i++)
		if (strcmp(t->retiring[i]->decl.name, name) == 0)
			return true;
	return false;
}

bool registry_hold_request(struct tend *t, struct group *g, bool start)
{
	if (g->start_pending) {
		g->start_pending = start;
		return true;
	}
	if (!start || !registry_retiring(t, g->decl.name))
		return false;
	g->start_pending = true;
	t->reload_unfinished = true; /* reload_finish() starts it */
	return true;
}
