#include "config/names.h"
#include "config/config.h"
#include "base/str.h"

#include <stdlib.h>
#include <string.h>

static void put(struct name_index *ix, const char *name, size_t gi)
{
	size_t i = str_hash(name) & (ix->cap - 1);

	while (ix->slots[i])
		i = (i + 1) & (ix->cap - 1);
	ix->slots[i] = gi + 1;
}

int name_index_add(struct name_index *ix, const struct config *cfg, size_t gi)
{
	if (2 * (gi + 1) >= ix->cap) {
		size_t cap = ix->cap ? 2 * ix->cap : 64;
		size_t *slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return -1;
		free(ix->slots);
		*ix = (struct name_index){ slots, cap };
		for (size_t i = 0; i < gi; i++)
			put(ix, cfg->groups[i].name, i);
	}
	put(ix, cfg->groups[gi].name, gi);
	return 0;
}

size_t name_index_find(const struct name_index *ix, const struct config *cfg, const char *name)
{
	size_t mask = ix->cap - 1;

	if (!ix->cap)
		return NO_GROUP;
	for (size_t i = str_hash(name) & mask; ix->slots[i]; i = (i + 1) & mask)
		if (strcmp(cfg->groups[ix->slots[i] - 1].name, name) == 0)
			return ix->slots[i] - 1;
	return NO_GROUP;
}

void name_index_free(struct name_index *ix)
{
	free(ix->slots);
	*ix = (struct name_index){ 0 };
}
