/* The titles of one file's top-level sections, while libconfuse reads it.
 * libconfuse finds a duplicate title by comparing the new one with every
 * section of that name so far: a file of 40 000 groups took 15 s, almost
 * all of it in strcmp. parse.c takes each completed section away from
 * libconfuse (so it compares with none) and checks titles here instead.
 * Open addressing over the sections' own title strings, not copies. */
#ifndef TEND_CONFIG_TITLES_H
#define TEND_CONFIG_TITLES_H

#include <stdbool.h>
#include <stddef.h>

struct title_set {
	const char **slots; /* NULL: empty */
	size_t n;
	size_t cap; /* a power of two, more than twice n */
};

/* Adds title (kept by pointer: it must outlive the set). Returns 1 when it
 * was new, 0 when it was there already, -1 when out of memory. */
int title_set_add(struct title_set *s, const char *title);
void title_set_free(struct title_set *s);

#endif
