/* The services directory: a hash of service names to chains of their
 * locations (see directory.h). */
#include "services/directory.h"
#include "base/str.h"
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

static struct location **bucket_of(const struct directory *d, const char *name)
{
	return &d->buckets[str_hash(name) & (d->nbuckets - 1)];
}

struct location *directory_find(const struct directory *d, const char *name)
{
	if (!d->nbuckets)
		return NULL;
	struct location *l = *bucket_of(d, name);
	while (l && strcmp(l->name, name) != 0)
		l = l->next;
	return l;
}

struct location *directory_next_of_name(const struct location *l)
{
	return l->next && strcmp(l->next->name, l->name) == 0 ? l->next : NULL;
}

struct location *directory_next(const struct directory *d, size_t *cursor,
				const struct location *prev)
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
 * of memory (longer chains, nothing lost). A name's run of locations moves
 * whole, in its order. */
static void grow(struct directory *d)
{
	size_t n = d->nbuckets ? d->nbuckets * 2 : INITIAL_BUCKETS;
	struct location **b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < d->nbuckets; i++)
		while (d->buckets[i]) {
			struct location *first = d->buckets[i], *last = first;
			while (last->next && strcmp(last->next->name, first->name) == 0)
				last = last->next;
			d->buckets[i] = last->next;
			struct location **to = &b[str_hash(first->name) & (n - 1)];
			last->next = *to;
			*to = first;
		}
	free(d->buckets);
	d->buckets = b;
	d->nbuckets = n;
}

/* Where l goes: after the last location of its name, or (a new name) at
 * the head of its bucket. */
static struct location **insertion_point(struct directory *d, const char *name, bool *new_name)
{
	struct location **pp = bucket_of(d, name);
	while (*pp && strcmp((*pp)->name, name) != 0)
		pp = &(*pp)->next;
	*new_name = !*pp;
	if (!*pp)
		return bucket_of(d, name);
	while (*pp && strcmp((*pp)->name, name) == 0)
		pp = &(*pp)->next;
	return pp;
}

/* The link that points at l (NULL: not in the directory), and in *before
 * the location ahead of it in its chain (NULL: l is the first). */
static struct location **link_to(struct directory *d, const struct location *l,
				 struct location **before)
{
	struct location **pp = bucket_of(d, l->name);
	*before = NULL;
	while (*pp && *pp != l) {
		*before = *pp;
		pp = &(*pp)->next;
	}
	return *pp ? pp : NULL;
}

/* The same owner: one declared process, or one pid as one uid registered
 * it (--pid must not let another uid move or drop a location). */
static bool same_owner(const struct location *a, const struct location *b)
{
	/* A declared service of a negotiable group follows the group from
	 * host to host: there and here, it is the same owner's. (Several
	 * hosts may declare one ordinary group: those are not one.) */
	if ((a->owner == OWNER_PEER || b->owner == OWNER_PEER) && a->mobile && b->mobile)
		return strcmp(a->group_name, b->group_name) == 0 &&
		       strcmp(a->process_name, b->process_name) == 0;
	if (a->owner != b->owner)
		return false;
	if (a->owner == OWNER_PROCESS)
		return a->proc == b->proc;
	return a->owner == OWNER_PID && a->pid == b->pid && a->uid == b->uid;
}

/* Whether `l` replacing `old` leaves its owner's count as it was: its own
 * location, or a decoupled one of its uid. */
static bool counted_alike(const struct location *old, const struct location *l)
{
	return same_owner(old, l) ||
	       (old->owner == OWNER_NONE && l->owner == OWNER_NONE && old->uid == l->uid);
}

/* The location of l's name at l's place, and the one l's owner holds
 * (an owner holds one location of a name). */
static void find_replaced(const struct directory *d, const struct location *l,
			  struct location **at_place, struct location **owned)
{
	*at_place = *owned = NULL;
	for (struct location *o = directory_find(d, l->name); o; o = directory_next_of_name(o)) {
		if (location_same_place(o, l))
			*at_place = o;
		if (same_owner(o, l))
			*owned = o;
	}
}

/* Whether l may take `held`'s place: a declared location is conf.d's, a
 * registered one its uid's (and root's). -1 with the reason in err. */
static int place_refused(const struct location *held, const struct location *l, char *err,
			 size_t errlen)
{
	if (l->owner == OWNER_PROCESS)
		return 0;
	if (l->owner == OWNER_PEER) { /* another host's never displaces one of ours */
		if (held->owner == OWNER_PEER)
			return 0;
		snprintf(err, errlen, "%s at that address is this host's", held->name);
		return -1;
	}
	if (held->owner == OWNER_PROCESS) {
		snprintf(err, errlen, "%s at that address is declared by %s/%s", held->name,
			 held->group_name, held->process_name);
		return -1;
	}
	if (l->uid != 0 && held->uid != l->uid) {
		snprintf(err, errlen, "%s at that address was registered by uid %u", held->name,
			 (unsigned)held->uid);
		return -1;
	}
	return 0;
}

/* How many locations count against l's owner: its coupled ones (the pid's),
 * or its uid's decoupled ones. */
static unsigned owner_count(const struct directory *d, const struct location *l)
{
	if (l->owner == OWNER_PID)
		return owners_count(d, l->pid);
	unsigned n = 0;
	for (size_t i = 0; i < d->nuids; i++)
		if (d->uids[i].uid == l->uid)
			n = d->uids[i].decoupled;
	return n;
}

/* A decoupled location of uid comes (+1) or goes (-1). */
static void count_decoupled(struct directory *d, const struct location *l, int delta)
{
	if (l->owner != OWNER_NONE)
		return;
	for (size_t i = 0; i < d->nuids; i++)
		if (d->uids[i].uid == l->uid) {
			/* one not counted (out of memory) must not wrap the count */
			if (delta > 0 || d->uids[i].decoupled > 0)
				d->uids[i].decoupled += (unsigned)delta;
			return;
		}
	if (delta < 0)
		return;
	void *v = realloc(d->uids, (d->nuids + 1) * sizeof(*d->uids));
	if (!v)
		return; /* not counted: the limit is looser, nothing is lost */
	d->uids = v;
	d->uids[d->nuids++] = (struct uid_count){ .uid = l->uid, .decoupled = 1 };
}

/* Whether l may be one more of its owner's: services-max when the
 * directory grows, the per-owner limit (root's decoupled ones have none but
 * services-max). */
static int check_limits(struct directory *d, const struct location *l, bool grows, char *err,
			size_t errlen)
{
	if (grows && d->nlocations >= d->max_locations) {
		snprintf(err, errlen, "the directory is full (services-max is %u)",
			 d->max_locations);
		return -1;
	}
	if (l->owner == OWNER_PROCESS || l->owner == OWNER_PEER ||
	    (l->owner == OWNER_NONE && l->uid == 0))
		return 0;
	if (owner_count(d, l) >= SERVICES_PER_CLIENT_MAX) {
		if (l->owner == OWNER_PID)
			snprintf(err, errlen, "pid %d holds %d services already", (int)l->pid,
				 SERVICES_PER_CLIENT_MAX);
		else
			snprintf(err, errlen, "uid %u holds %d decoupled services already",
				 (unsigned)l->uid, SERVICES_PER_CLIENT_MAX);
		return -1;
	}
	return 0;
}

static void record(struct directory *d, enum change_kind kind, struct location *l,
		   struct location *from)
{
	struct change c = { .kind = (uint8_t)kind, .loc = l, .from = from };
	journal_record(&d->journal, &c);
}

static void add(struct directory *d, struct location *l)
{
	/* two names a bucket on average: the buckets cost 4 bytes a name */
	if (d->nservices >= 2 * d->nbuckets)
		grow(d);
	bool new_name;
	struct location **at = insertion_point(d, l->name, &new_name);
	l->next = *at;
	*at = l;
	d->nservices += new_name;
	d->nlocations++;
	record(d, CHANGE_SERVICE_ADD, l, NULL);
}

/* l takes old's place in the chain, with the change that says so. */
static void replace(struct directory *d, struct location *old, struct location *l)
{
	struct location *before;
	struct location **at = link_to(d, old, &before);
	l->next = old->next;
	*at = l;
	bool moved = strcmp(old->host, l->host) != 0;
	/* where it was, whenever that changed: a client reconnects there */
	record(d, moved ? CHANGE_SERVICE_MOVE : CHANGE_SERVICE_UPDATE, l,
	       location_same_place(old, l) ? NULL : old);
	if (old->owner == OWNER_PID)
		owners_release(d, old->pid);
	count_decoupled(d, old, -1);
	location_unref(old);
}

int directory_put(struct directory *d, struct location *l, char *err, size_t errlen)
{
	struct location *at_place, *owned;
	find_replaced(d, l, &at_place, &owned);
	struct location *old = at_place ? at_place : owned;
	if (old && location_same(old, l)) {
		l->index = old->index; /* what the caller is told it is */
		location_unref(l);
		return 0;
	}
	if (l->owner == OWNER_PEER && owned && owned->owner != OWNER_PEER) {
		/* a copy here and one there (a partition healing): ours stays */
		snprintf(err, errlen, "%s of %s/%s runs here", l->name, l->group_name,
			 l->process_name);
		location_unref(l);
		return -1;
	}
	/* one more for l's owner unless it replaces one of the owner's own */
	bool more = !owned && !(old && counted_alike(old, l));
	if ((at_place && place_refused(at_place, l, err, errlen) < 0) ||
	    (more && check_limits(d, l, !old, err, errlen) < 0)) {
		location_unref(l);
		return -1;
	}
	if (!d->nbuckets)
		grow(d);
	if (!d->nbuckets) {
		snprintf(err, errlen, "out of memory");
		location_unref(l);
		return -1;
	}
	if (l->owner == OWNER_PID && owners_hold(d, l->pid) < 0) {
		snprintf(err, errlen, "process %d: %s", (int)l->pid,
			 errno == ESRCH ? "no such process (it ended)" : strerror(errno));
		location_unref(l);
		return -1;
	}
	l->index = d->journal.index + 1;
	if (old)
		replace(d, old, l);
	else
		add(d, l);
	count_decoupled(d, l, +1);
	/* l took another's place: its owner's old location of the name goes */
	if (owned && owned != old)
		directory_remove(d, owned);
	return 0;
}

void directory_remove(struct directory *d, struct location *l)
{
	struct location *before;
	struct location **at = d->nbuckets ? link_to(d, l, &before) : NULL;
	if (!at)
		return;
	bool shares_name = (before && strcmp(before->name, l->name) == 0) ||
			   (l->next && strcmp(l->next->name, l->name) == 0);
	*at = l->next;
	d->nservices -= !shares_name;
	d->nlocations--;
	l->next = NULL;
	if (l->owner == OWNER_PID)
		owners_release(d, l->pid);
	count_decoupled(d, l, -1);
	record(d, CHANGE_SERVICE_REMOVE, l, NULL);
	location_unref(l);
}

void directory_owner_gone(struct directory *d, pid_t pid)
{
	size_t cursor = 0;
	struct location *l = directory_next(d, &cursor, NULL);
	while (l) {
		struct location *next = directory_next(d, &cursor, l);
		if (l->owner == OWNER_PID && l->pid == pid)
			directory_remove(d, l);
		l = next;
	}
}

void directory_free(struct directory *d)
{
	for (size_t i = 0; i < d->nbuckets; i++)
		while (d->buckets[i]) {
			struct location *l = d->buckets[i];
			d->buckets[i] = l->next;
			l->next = NULL;
			location_unref(l);
		}
	free(d->buckets);
	free(d->uids);
	d->uids = NULL;
	d->nuids = 0;
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
