/* The groups of a configuration by name, while it is read and checked: a
 * conf.d of 1000 groups took half a million comparisons with a linear
 * search. Open addressing over indices into cfg->groups. */
#ifndef TEND_CONFIG_NAMES_H
#define TEND_CONFIG_NAMES_H

#include <stddef.h>

struct config;

struct name_index {
	size_t *slots; /* 1 + an index into cfg->groups; 0: empty */
	size_t cap;    /* a power of two, more than twice the groups */
};

#define NO_GROUP ((size_t)-1)

/* Indexes cfg->groups[gi] (the last one appended), growing the index when
 * it would be half full. -1 only when out of memory. */
int name_index_add(struct name_index *ix, const struct config *cfg, size_t gi);
/* The index in cfg->groups of the group named name, or NO_GROUP. */
size_t name_index_find(const struct name_index *ix, const struct config *cfg, const char *name);
void name_index_free(struct name_index *ix);

/* requires and after, checked across every file once all are read
 * (dependencies.c): each names a declared group other than its own, and
 * there is no cycle. Errors go to eb; -1 only when out of memory. */
struct conf_errbuf;
int config_check_dependencies(const struct config *cfg, const struct name_index *names,
			      struct conf_errbuf *eb);

#endif
