/* The change journal: a ring of the last JOURNAL_KEEP changes. */
#include "services/journal.h"
#include "services/location.h"

#include <stdlib.h>
#include <string.h>

int journal_listen(struct journal *j, change_fn *fn, void *ctx)
{
	if (j->nlisteners >= JOURNAL_LISTENERS_MAX)
		return -1;
	j->listeners[j->nlisteners].fn = fn;
	j->listeners[j->nlisteners].ctx = ctx;
	j->nlisteners++;
	return 0;
}

static void change_release(struct change *c)
{
	location_unref(c->loc);
	location_unref(c->from);
	free(c->subject);
	memset(c, 0, sizeof(*c));
}

/* Keeps a copy of c in the ring, over the oldest once it is full. */
static void keep(struct journal *j, const struct change *c)
{
	if (!j->armed)
		return;
	if (!j->ring)
		j->ring = calloc(JOURNAL_KEEP, sizeof(*j->ring));
	char *subject = c->subject ? strdup(c->subject) : NULL;
	if (!j->ring || (c->subject && !subject)) {
		free(subject);
		/* a gap: --since before it cannot be answered */
		for (size_t i = 0; j->ring && i < JOURNAL_KEEP; i++)
			change_release(&j->ring[i]);
		j->count = 0;
		return;
	}
	struct change *slot = &j->ring[j->next];
	change_release(slot);
	*slot = *c;
	slot->subject = subject;
	if (slot->loc)
		location_ref(slot->loc);
	if (slot->from)
		location_ref(slot->from);
	j->next = (j->next + 1) % JOURNAL_KEEP;
	if (j->count < JOURNAL_KEEP)
		j->count++;
}

void journal_record(struct journal *j, struct change *c)
{
	c->index = ++j->index;
	keep(j, c);
	for (size_t i = 0; i < j->nlisteners; i++)
		j->listeners[i].fn(j->listeners[i].ctx, c);
}

void journal_arm(struct journal *j)
{
	j->armed = true;
}

int journal_replay(const struct journal *j, uint64_t since, change_fn *fn, void *ctx)
{
	if (since > j->index)
		return -1;
	uint64_t missed = j->index - since;
	if (missed > j->count)
		return -1;
	for (size_t k = (size_t)missed; k > 0; k--) {
		size_t slot = (j->next + JOURNAL_KEEP - k) % JOURNAL_KEEP;
		fn(ctx, &j->ring[slot]);
	}
	return 0;
}

void journal_free(struct journal *j)
{
	for (size_t i = 0; j->ring && i < JOURNAL_KEEP; i++)
		change_release(&j->ring[i]);
	free(j->ring);
	j->ring = NULL;
	j->count = j->next = 0;
}

const char *change_kind_verb(enum change_kind k)
{
	static const char *const verbs[CHANGE__COUNT] = {
		[CHANGE_SERVICE_ADD] = "add",	[CHANGE_SERVICE_REMOVE] = "remove",
		[CHANGE_SERVICE_MOVE] = "move", [CHANGE_SERVICE_UPDATE] = "update",
		[CHANGE_GROUP] = "state",	[CHANGE_HOST_UP] = "up",
		[CHANGE_HOST_DOWN] = "down",
	};
	return k < CHANGE__COUNT ? verbs[k] : "?";
}
