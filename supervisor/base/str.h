/* Small string helpers shared by the layers: hashing names, comparing
 * strings that may be absent. */
#ifndef TEND_BASE_STR_H
#define TEND_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* FNV-1a of s, for hash tables of names. */
static inline size_t str_hash(const char *s)
{
	size_t h = (size_t)14695981039346656037u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (size_t)1099511628211u;
	return h;
}

/* Both absent, or the same text (NULL and "" differ: NULL often means
 * "inherit"). */
static inline bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

#endif
