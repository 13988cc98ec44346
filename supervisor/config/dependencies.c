/* Checking requires and after between groups, once every file is read:
 * each names a declared group other than its own, and together they make
 * no cycle (a group cannot wait, however indirectly, for itself). */
#include "config/config.h"
#include "config/text.h"
#include "libtend/cmdline.h"

#include <stdarg.h>
#include <stdbool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Group names to their index: open addressing, sized twice the groups. */
struct name_table {
	size_t *slots; /* index + 1; 0: empty */
	size_t mask;
};

static size_t hash(const char *s)
{
	size_t h = 14695981039346656037u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static int table_init(struct name_table *t, const struct config *cfg)
{
	size_t cap = 16;
	while (cap < cfg->ngroups * 2)
		cap *= 2;
	t->slots = calloc(cap, sizeof(*t->slots));
	t->mask = cap - 1;
	if (!t->slots)
		return -1;
	for (size_t i = 0; i < cfg->ngroups; i++) {
		size_t k = hash(cfg->groups[i].name) & t->mask;
		while (t->slots[k])
			k = (k + 1) & t->mask;
		t->slots[k] = i + 1;
	}
	return 0;
}

/* The index of the group named name, or (size_t)-1. */
static size_t table_find(const struct name_table *t, const struct config *cfg, const char *name)
{
	for (size_t k = hash(name) & t->mask; t->slots[k]; k = (k + 1) & t->mask)
		if (strcmp(cfg->groups[t->slots[k] - 1].name, name) == 0)
			return t->slots[k] - 1;
	return (size_t)-1;
}

static void report(struct conf_errbuf *eb, const struct group_decl *g, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(struct conf_errbuf *eb, const struct group_decl *g, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	conf_errbuf_add(eb, g->file, g->line, text);
}

/* Every name of requires and after that is a declared group other than g. */
static void check_names(const struct config *cfg, const struct name_table *t, size_t i,
			struct conf_errbuf *eb)
{
	const struct group_decl *g = &cfg->groups[i];
	for (int which = 0; which < 2; which++) {
		char **names = which ? g->after : g->requires;
		const char *verb = which ? "is after" : "requires";
		for (size_t k = 0; names && names[k]; k++) {
			size_t j = table_find(t, cfg, names[k]);
			if (j == i)
				report(eb, g, "group \"%s\" %s itself", g->name, verb);
			else if (j == (size_t)-1)
				report(eb, g, "group \"%s\" %s \"%s\", which is not declared",
				       g->name, verb, names[k]);
		}
	}
}

/* The dependencies of group i, requires then after, as group indices:
 * the k-th one, or (size_t)-1 past the last (unknown names skipped). */
static size_t nth_edge(const struct config *cfg, const struct name_table *t, size_t i, size_t *k)
{
	const struct group_decl *g = &cfg->groups[i];
	size_t nreq = argv_count(g->requires), nall = nreq + argv_count(g->after);
	for (; *k < nall; (*k)++) {
		const char *name = *k < nreq ? g->requires[*k] : g->after[*k - nreq];
		size_t j = table_find(t, cfg, name);
		if (j != (size_t)-1 && j != i) {
			(*k)++;
			return j;
		}
	}
	return (size_t)-1;
}

/* Reports the cycle that path[from..top] closes: "a -> b -> a". */
static void report_cycle(const struct config *cfg, const size_t *path, size_t from, size_t top,
			 struct conf_errbuf *eb)
{
	char text[900] = "";
	size_t n = 0;
	for (size_t p = from; p <= top && n < sizeof(text); p++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s -> ",
				      cfg->groups[path[p]].name);
	if (n < sizeof(text))
		snprintf(text + n, sizeof(text) - n, "%s", cfg->groups[path[from]].name);
	report(eb, &cfg->groups[path[from]], "dependency cycle (requires and after): %s", text);
}

/* Depth first, without recursion (a chain may be thousands long): every
 * group is visited once; an edge back to a group on the current path is a
 * cycle, reported once. */
static int check_cycles(const struct config *cfg, const struct name_table *t,
			struct conf_errbuf *eb)
{
	enum { NEW, ON_PATH, DONE };
	size_t n = cfg->ngroups;
	unsigned char *mark = calloc(n ? n : 1, 1);
	size_t *path = malloc((n ? n : 1) * sizeof(*path));
	size_t *next = malloc((n ? n : 1) * sizeof(*next)); /* edge cursor per path step */
	if (!mark || !path || !next) {
		free(mark), free(path), free(next);
		return -1;
	}
	for (size_t root = 0; root < n; root++) {
		if (mark[root] != NEW)
			continue;
		size_t top = 0;
		path[0] = root;
		next[0] = 0;
		mark[root] = ON_PATH;
		for (;;) {
			size_t j = nth_edge(cfg, t, path[top], &next[top]);
			if (j == (size_t)-1) {
				mark[path[top]] = DONE;
				if (top-- == 0)
					break;
			} else if (mark[j] == ON_PATH) {
				size_t from = top;
				while (path[from] != j)
					from--;
				report_cycle(cfg, path, from, top, eb);
			} else if (mark[j] == NEW) {
				mark[j] = ON_PATH;
				path[++top] = j;
				next[top] = 0;
			}
		}
	}
	free(mark), free(path), free(next);
	return 0;
}

int config_check_dependencies(const struct config *cfg, struct conf_errbuf *eb)
{
	struct name_table t;
	bool any = false;
	for (size_t i = 0; i < cfg->ngroups && !any; i++)
		any = cfg->groups[i].requires || cfg->groups[i].after;
	if (!any)
		return 0;
	if (table_init(&t, cfg) < 0)
		return -1;
	for (size_t i = 0; i < cfg->ngroups; i++)
		check_names(cfg, &t, i, eb);
	int rc = check_cycles(cfg, &t, eb);
	free(t.slots);
	return rc;
}
