#include "core/registry.h"
#include "core/context.h"

#include <stdio.h>
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

/* Why decl may not be added (NULL: it may). */
static const char *add_refused(struct tend *t, const struct group_decl *decl)
{
	struct group *g = tend_find_group(t, decl->name);
	if (strcmp(decl->name, LOCAL_GROUP) == 0)
		return "processes outside a group cannot be added: put them in a group";
	if (g && g->transient)
		return "is added already (tendctl remove it first)";
	if (g)
		return "is declared in conf.d";
	return NULL;
}

static bool add_check(struct tend *t, const struct config *cfg, struct buf *report)
{
	bool ok = true;
	if (cfg->system.file) {
		buf_printf(report, "%s:%d: the system section belongs in conf.d\n",
			   cfg->system.file, cfg->system.line);
		ok = false;
	}
	for (size_t i = 0; i < cfg->ngroups; i++) {
		const char *why = add_refused(t, &cfg->groups[i]);
		if (!why)
			continue;
		if (strcmp(cfg->groups[i].name, LOCAL_GROUP) == 0)
			buf_printf(report, "%s:%d: %s\n", cfg->groups[i].file, cfg->groups[i].line,
				   why);
		else
			buf_printf(report, "%s:%d: group %s %s\n", cfg->groups[i].file,
				   cfg->groups[i].line, cfg->groups[i].name, why);
		ok = false;
	}
	if (!cfg->ngroups) {
		buf_puts(report, "no groups to add\n");
		ok = false;
	}
	return ok;
}

int registry_add_transient(struct tend *t, struct config *cfg, struct buf *report)
{
	if (!add_check(t, cfg, report))
		return -1;
	struct group **v = realloc(t->groups, (t->ngroups + cfg->ngroups) * sizeof(*v));
	struct group **made = calloc(cfg->ngroups, sizeof(*made));
	if (v)
		t->groups = v;
	for (size_t i = 0; v && made && i < cfg->ngroups; i++)
		if (!(made[i] = group_new(t, &cfg->groups[i])))
			break;
	size_t n = 0;
	while (made && n < cfg->ngroups && made[n])
		n++;
	if (!v || !made || n < cfg->ngroups) {
		for (size_t i = 0; i < n; i++)
			group_free(t, made[i]);
		free(made);
		buf_puts(report, "out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		made[i]->transient = true;
		t->groups[t->ngroups++] = made[i];
	}
	config_free(cfg);
	if (deps_link(t) < 0)
		buf_puts(report, "out of memory: requires and after do not hold until a reload\n");
	for (size_t i = 0; i < n; i++) {
		struct group *g = made[i];
		bool start = g->decl.autostart && !group_placed(t, g);
		buf_printf(report, "added %s%s\n", g->decl.name,
			   start ? "; starting it" : g->decl.negotiable ? "; negotiating it" : "");
		/* a removed group of this name still stopping: start after it */
		if (start && !t->shutting_down && !registry_hold_request(t, g, true))
			group_step(t, g, GE_START);
	}
	free(made);
	return (int)n;
}

struct group *registry_add_run(struct tend *t, struct group_decl *decl, const char **why)
{
	if ((*why = add_refused(t, decl)))
		return NULL;
	if (registry_retiring(t, decl->name)) {
		*why = "is still stopping (a reload or tendctl remove removed it)";
		return NULL;
	}
	*why = "out of memory";
	struct group **v = realloc(t->groups, (t->ngroups + 1) * sizeof(*v));
	if (!v)
		return NULL;
	t->groups = v;
	struct group *g = group_new(t, decl);
	if (!g)
		return NULL;
	*why = NULL;
	g->transient = g->ephemeral = true;
	t->groups[t->ngroups++] = g;
	group_step(t, g, GE_START);
	return g;
}

bool registry_transient_clash(struct tend *t, const struct config *cfg, struct buf *report)
{
	bool clash = false, any = false;
	/* Usually none was added: then a lookup per declaration (a scan each)
	 * is not needed. */
	for (size_t i = 0; i < t->ngroups && !any; i++)
		any = t->groups[i]->transient;
	for (size_t i = 0; any && i < cfg->ngroups; i++) {
		struct group *g = tend_find_group(t, cfg->groups[i].name);
		if (g && g->transient) {
			buf_printf(report,
				   "%s:%d: group %s was added with tendctl add; tendctl remove it "
				   "first\n",
				   cfg->groups[i].file, cfg->groups[i].line, g->decl.name);
			clash = true;
		}
	}
	return clash;
}
