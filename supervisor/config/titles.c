#include "config/titles.h"
#include "base/str.h"

#include <stdlib.h>
#include <string.h>

static const char **slot_of(const char **slots, size_t cap, const char *title)
{
	size_t i = str_hash(title) & (cap - 1);

	while (slots[i] && strcmp(slots[i], title) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(struct title_set *s)
{
	size_t cap = s->cap ? 2 * s->cap : 64;
	const char **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			*slot_of(slots, cap, s->slots[i]) = s->slots[i];
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

int title_set_add(struct title_set *s, const char *title)
{
	const char **slot;

	if (2 * (s->n + 1) >= s->cap && grow(s) < 0)
		return -1;
	slot = slot_of(s->slots, s->cap, title);
	if (*slot)
		return 0;
	*slot = title;
	s->n++;
	return 1;
}

void title_set_free(struct title_set *s)
{
	free(s->slots);
	*s = (struct title_set){ 0 };
}
