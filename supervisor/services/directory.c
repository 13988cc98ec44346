/* The services directory: a hash of service names, each with its
 * locations. */
#include "services/directory.h"
#include "sys/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_BUCKETS 64

void directory_init(struct directory *d, struct loop *loop, struct logger *log)
{
	memset(d, 0, sizeof(*d));
	d->loop = loop;
	d->log = log;
	d->max_locations = DEFAULT_SERVICES_MAX;
	snprintf(d->this_host, sizeof(d->this_host), "%s", LOCAL_HOST_ADDRESS);
}

static size_t name_hash(const char *name)
{
	size_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		h = (h ^ *s) * 16777619u;
	return h;
}

static struct service **bucket_of(const struct directory *d, const char *name)
{
	return &d->buckets[name_hash(name) & (d->nbuckets - 1)];
}

struct service *directory_find(const struct directory *d, const char *name)
{
	if (!d->nbuckets)
		return NULL;
	struct service *s = *bucket_of(d, name);
	while (s && strcmp(s->name, name) != 0)
		s = s->next;
	return s;
}

struct service *directory_next(const struct directory *d, size_t *cursor, struct service *prev)
{
	if (prev && prev->next)
		return prev->next;
	for (size_t i = prev ? *cursor + 1 : *cursor; i < d->nbuckets; i++)
		if (d->buckets[i]) {
			*cursor = i;
			return d->buckets[i];
		}
	*cursor = d->nbuckets;
	return NULL;
}

/* Doubles the buckets when names outnumber them; stays as it is when out
 * of memory (longer chains, nothing lost). */
static void grow(struct directory *d)
{
	size_t n = d->nbuckets ? d->nbuckets * 2 : INITIAL_BUCKETS;
	struct service **b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < d->nbuckets; i++)
		while (d->buckets[i]) {
			struct service *s = d->buckets[i];
			d->buckets[i] = s->next;
			s->next = b[name_hash(s->name) & (n - 1)];
			b[name_hash(s->name) & (n - 1)] = s;
		}
	free(d->buckets);
	d->buckets = b;
	d->nbuckets = n;
}

static struct service *service_add(struct directory *d, const char *name)
{
	if (d->nservices >= d->nbuckets)
		grow(d);
	if (!d->nbuckets)
		return NULL;
	size_t len = strlen(name) + 1;
	struct service *s = calloc(1, sizeof(*s) + len);
	if (!s)
		return NULL;
	memcpy(s->name, name, len);
	struct service **b = bucket_of(d, name);
	s->next = *b;
	*b = s;
	d->nservices++;
	return s;
}

static void service_drop(struct directory *d, struct service *s)
{
	struct service **pp = bucket_of(d, s->name);
	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	free(s->locs);
	free(s);
	d->nservices--;
}

/* Does `l` take the place of `old`: the same place, or the same owner's
 * (a declared process, or a registering pid) location of the name. */
static bool replaces(const struct location *old, const struct location *l)
{
	if (location_same_place(old, l))
		return true;
	if (old->owner != l->owner)
		return false;
	if (l->owner == OWNER_PROCESS)
		return old->proc == l->proc;
	return l->owner == OWNER_PID && old->pid == l->pid;
}

static struct location **find_replaced(struct service *s, const struct location *l)
{
	for (size_t i = 0; s && i < s->nlocs; i++)
		if (location_same_place(s->locs[i], l))
			return &s->locs[i];
	for (size_t i = 0; s && i < s->nlocs; i++)
		if (replaces(s->locs[i], l))
			return &s->locs[i];
	return NULL;
}

unsigned directory_count_owned(const struct directory *d, pid_t pid)
{
	unsigned n = 0;
	size_t cursor = 0;
	for (struct service *s = directory_next(d, &cursor, NULL); s;
	     s = directory_next(d, &cursor, s))
		for (size_t i = 0; i < s->nlocs; i++)
			n += s->locs[i]->owner != OWNER_PROCESS && s->locs[i]->pid == pid;
	return n;
}

static int check_limits(struct directory *d, const struct location *l, char *err, size_t errlen)
{
	if (d->nlocations >= d->max_locations) {
		snprintf(err, errlen, "the directory is full (services-max is %u)",
			 d->max_locations);
		return -1;
	}
	if (l->owner != OWNER_PROCESS &&
	    directory_count_owned(d, l->pid) >= SERVICES_PER_CLIENT_MAX) {
		snprintf(err, errlen, "pid %d holds %d services already", (int)l->pid,
			 SERVICES_PER_CLIENT_MAX);
		return -1;
	}
	return 0;
}

static int append(struct service *s, struct location *l)
{
	if (s->nlocs == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1;
		struct location **v = realloc(s->locs, cap * sizeof(*v));
		if (!v)
			return -1;
		s->locs = v;
		s->cap = cap;
	}
	s->locs[s->nlocs++] = l;
	return 0;
}

static void record(struct directory *d, enum change_kind kind, struct location *l,
		   struct location *from)
{
	struct change c = { .kind = kind, .loc = l, .from = from };
	journal_record(&d->journal, &c);
}

/* Puts l where `slot` held old (NULL: a new place), with the change. */
static int place(struct directory *d, struct service *s, struct location **slot,
		 struct location *l)
{
	struct location *old = slot ? *slot : NULL;
	l->index = d->journal.index + 1;
	if (!old) {
		if (append(s, l) < 0)
			return -1;
		d->nlocations++;
		record(d, CHANGE_SERVICE_ADD, l, NULL);
		return 0;
	}
	*slot = l;
	/* The same owner elsewhere (another host, port, protocol or path) is a
	 * move: a watcher is told where it was, or it could not drop that. */
	bool moved = !location_same_place(old, l);
	record(d, moved ? CHANGE_SERVICE_MOVE : CHANGE_SERVICE_UPDATE, l, moved ? old : NULL);
	if (old->owner == OWNER_PID)
		owners_release(d, old->pid);
	location_unref(old);
	return 0;
}

int directory_put(struct directory *d, struct location *l, char *err, size_t errlen)
{
	struct service *s = directory_find(d, l->name);
	struct location **slot = find_replaced(s, l);
	if (slot && location_same(*slot, l)) {
		l->index = (*slot)->index; /* what the caller is told it is */
		location_unref(l);
		return 0;
	}
	if (!slot && check_limits(d, l, err, errlen) < 0) {
		location_unref(l);
		return -1;
	}
	if (l->owner == OWNER_PID && owners_hold(d, l->pid) < 0) {
		snprintf(err, errlen, "process %d: %s", (int)l->pid,
			 errno == ESRCH ? "no such process (it ended)" : strerror(errno));
		location_unref(l);
		return -1;
	}
	if (!s)
		s = service_add(d, l->name);
	if (!s || place(d, s, slot, l) < 0) {
		if (s && !s->nlocs)
			service_drop(d, s);
		if (l->owner == OWNER_PID)
			owners_release(d, l->pid);
		snprintf(err, errlen, "out of memory");
		location_unref(l);
		return -1;
	}
	return 0;
}

void directory_remove(struct directory *d, struct location *l)
{
	struct service *s = directory_find(d, l->name);
	size_t i = 0;
	while (s && i < s->nlocs && s->locs[i] != l)
		i++;
	if (!s || i == s->nlocs)
		return;
	/* Keep the order of the rest: lookups list them as they came. */
	memmove(&s->locs[i], &s->locs[i + 1], (s->nlocs - i - 1) * sizeof(*s->locs));
	s->nlocs--;
	d->nlocations--;
	if (!s->nlocs)
		service_drop(d, s);
	if (l->owner == OWNER_PID)
		owners_release(d, l->pid);
	record(d, CHANGE_SERVICE_REMOVE, l, NULL);
	location_unref(l);
}

void directory_owner_gone(struct directory *d, pid_t pid)
{
	size_t cursor = 0;
	struct service *s = directory_next(d, &cursor, NULL);
	while (s) {
		struct service *next = directory_next(d, &cursor, s);
		/* removing the last location frees s: find what follows first */
		size_t nlocs = s->nlocs;
		for (size_t i = nlocs; i-- > 0;)
			if (i < s->nlocs && s->locs[i]->owner == OWNER_PID &&
			    s->locs[i]->pid == pid) {
				bool last = s->nlocs == 1;
				directory_remove(d, s->locs[i]);
				if (last)
					break;
			}
		s = next;
	}
}

void directory_free(struct directory *d)
{
	for (size_t i = 0; i < d->nbuckets; i++)
		while (d->buckets[i]) {
			struct service *s = d->buckets[i];
			d->buckets[i] = s->next;
			for (size_t k = 0; k < s->nlocs; k++)
				location_unref(s->locs[k]);
			free(s->locs);
			free(s);
		}
	free(d->buckets);
	while (d->owners) {
		struct owner_watch *o = d->owners;
		d->owners = o->next;
		if (d->loop)
			watcher_close(d->loop, &o->w);
		free(o);
	}
	directory_after_events(d);
	journal_free(&d->journal);
	d->buckets = NULL;
	d->nbuckets = d->nservices = d->nlocations = 0;
}
