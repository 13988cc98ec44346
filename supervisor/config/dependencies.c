/* Checking requires and after between groups, once every file is read:
 * each names a declared group other than its own, and together they make
 * no cycle (a group cannot wait, however indirectly, for itself). */
#include "config/config.h"
#include "config/names.h"
#include "config/text.h"
#include "libtend/cmdline.h"

#include <stdarg.h>
#include <stdbool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static void check_names(const struct config *cfg, const struct name_index *t, size_t i,
			struct conf_errbuf *eb)
{
	const struct group_decl *g = &cfg->groups[i];
	for (int which = 0; which < 2; which++) {
		char **names = which ? g->after : g->requires;
		const char *verb = which ? "is after" : "requires";
		for (size_t k = 0; names && names[k]; k++) {
			size_t j = name_index_find(t, cfg, names[k]);
			if (j == i)
				report(eb, g, "group \"%s\" %s itself", g->name, verb);
			else if (j == NO_GROUP)
				report(eb, g, "group \"%s\" %s \"%s\", which is not declared",
				       g->name, verb, names[k]);
			else if (which == 0 && cfg->groups[j].negotiable && cfg->cluster.file)
				/* it runs where the cluster puts it, maybe not here */
				report(eb, g,
				       "group \"%s\" requires \"%s\", which is negotiable: "
				       "the cluster decides where that runs",
				       g->name, names[k]);
		}
	}
}

/* The dependencies of group i, requires then after, as group indices:
 * the k-th one, or NO_GROUP past the last (unknown names skipped). */
static size_t nth_edge(const struct config *cfg, const struct name_index *t, size_t i, size_t *k)
{
	const struct group_decl *g = &cfg->groups[i];
	size_t nreq = argv_count(g->requires), nall = nreq + argv_count(g->after);
	for (; *k < nall; (*k)++) {
		/* The analyzer cannot see that argv_count(NULL) is 0. */
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
		const char *name = *k < nreq ? g->requires[*k] : g->after[*k - nreq];
		size_t j = name_index_find(t, cfg, name);
		if (j != NO_GROUP && j != i) {
			(*k)++;
			return j;
		}
	}
	return NO_GROUP;
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
static int check_cycles(const struct config *cfg, const struct name_index *t,
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
			if (j == NO_GROUP) {
				mark[path[top]] = DONE;
				if (top-- == 0)
					break;
			} else if (mark[j] == ON_PATH) {
				size_t from = top;
				while (from > 0 && path[from] != j)
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

int config_check_dependencies(const struct config *cfg, const struct name_index *names,
			      struct conf_errbuf *eb)
{
	bool any = false;
	for (size_t i = 0; i < cfg->ngroups && !any; i++)
		any = cfg->groups[i].requires || cfg->groups[i].after;
	if (!any)
		return 0;
	for (size_t i = 0; i < cfg->ngroups; i++)
		check_names(cfg, names, i, eb);
	return check_cycles(cfg, names, eb);
}
