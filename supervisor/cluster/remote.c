/* Other hosts' services in this host's directory (PROTOCOL.md M3), and this
 * host's own for them. A heartbeat carries a digest of what its sender
 * offers; a digest this host has not applied yet makes it pull the list
 * (at most once a heartbeat per peer), and the complete answer replaces
 * what the directory holds of that peer: identical locations stay as they
 * are, changed ones are updates, new ones adds, missing ones removes. A
 * dead peer's locations are withdrawn. */
#include "cluster/remote.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/container_of.h"
#include "base/str.h"
#include "cluster/cluster.h"
#include "core/context.h"
#include "services/directory.h"

/* ---- this host's own ---- */

static bool own(const struct location *l)
{
	return l->owner != OWNER_PEER;
}

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		/* A false finding: the analyzer cannot read the second byte of a
		 * uint32_t it knows only as a whole (location_hash's nums). */
		/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign) */
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

/* One location's hash; the digest sums them, so order does not matter. */
static uint64_t location_hash(const struct location *l, const char *this_host)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t nums[2] = { l->port, l->proto };
	const char *e;

	h = fnv_str(h, l->name);
	h = fnv_str(h, strcmp(l->host, this_host) == 0 ? "" : l->host);
	h = fnv(h, nums, sizeof(nums));
	h = fnv_str(h, l->path);
	h = fnv_str(h, l->group_name);
	h = fnv_str(h, l->process_name);
	for (e = l->context; *e; e += strlen(e) + 1)
		h = fnv_str(h, e);
	return h;
}

void remote_own_digest(struct cluster *c, uint64_t *digest, uint32_t *count)
{
	struct directory *d = c->dir;
	size_t cursor = 0;
	const struct location *l = NULL;

	if (c->own_digest_at != d->journal.index + 1) {
		c->own_digest = 0;
		c->own_count = 0;
		while ((l = directory_next(d, &cursor, l)))
			if (own(l)) {
				c->own_digest += location_hash(l, d->this_host);
				c->own_count++;
			}
		c->own_digest_at = d->journal.index + 1; /* +1: index 0 is a real state */
	}
	*digest = c->own_digest;
	*count = c->own_count;
}

/* Fills ctx[] with l's context entries, NULL-terminated. */
static void context_vector(const struct location *l, char *ctx[SERVICE_CONTEXT_MAX + 1])
{
	size_t n = 0;

	for (const char *e = l->context; *e && n < SERVICE_CONTEXT_MAX; e += strlen(e) + 1)
		ctx[n++] = (char *)e;
	ctx[n] = NULL;
}

static int put_location(struct wire_writer *w, const struct location *l, const char *this_host)
{
	char *ctx[SERVICE_CONTEXT_MAX + 1];
	struct wire_service_in in = { .name = l->name,
				      .host = strcmp(l->host, this_host) == 0 ? "" : l->host,
				      .path = l->path,
				      .port = l->port,
				      .proto = l->proto,
				      .group = l->group_name,
				      .process = l->process_name,
				      .mobile = l->mobile };

	context_vector(l, ctx);
	in.context = ctx;
	return wire_put_service(w, &in);
}

/* Packs every own location into parts; sends them (to `to`) when `send`.
 * Returns the number of parts. */
static unsigned pack_services(struct cluster *c, unsigned parts, bool send, uint32_t to)
{
	struct directory *d = c->dir;
	struct wire_writer w;
	size_t cursor = 0;
	const struct location *l = NULL, *pending = NULL;
	unsigned part = 0;
	uint64_t digest;
	uint32_t count;

	remote_own_digest(c, &digest, &count);
	do {
		bool any = false;
		cluster_begin(c, &w, WIRE_SERVICES);
		wire_put_round(&w, c->services_round, (uint8_t)part, (uint8_t)parts);
		wire_put_digest(&w, digest, count);
		for (;;) {
			if (!pending) {
				while ((l = directory_next(d, &cursor, l)) && !own(l))
					;
				pending = l;
			}
			if (!pending)
				break;
			int rc = put_location(&w, pending, d->this_host);
			if (rc == WIRE_PUT_FULL && any)
				break;	/* the next part starts with it */
			pending = NULL; /* sent, or one that can never be (skipped) */
			any = any || rc == WIRE_PUT_OK;
		}
		if (send)
			cluster_send(c, &w, to);
		part++;
	} while (pending && part < WIRE_SERVICE_PARTS_MAX);
	if (!send)
		c->seq -= part;
	return part;
}

void remote_answer_pull(struct cluster *c, struct peer *p, const struct wire_msg *m,
			uint32_t from_addr)
{
	uint64_t now = cluster_now(c);
	unsigned parts;

	(void)m;
	/* Once a heartbeat per asker: the answer can be many datagrams, and a
	 * pull costs its sender one. */
	if (p->answered_ms && now - p->answered_ms < c->decl.heartbeat_ms)
		return;
	p->answered_ms = now;
	c->services_round++;
	parts = pack_services(c, 1, false, from_addr);
	pack_services(c, parts, true, from_addr);
}

/* ---- other hosts' ---- */

void remote_heard_digest(struct cluster *c, struct peer *p, const struct wire_msg *m,
			 uint32_t from_addr)
{
	struct wire_writer w;
	uint64_t now = cluster_now(c);

	if (p->services_known && m->digest == p->services_digest)
		return;
	if (p->pulled_ms && now - p->pulled_ms < c->decl.heartbeat_ms)
		return; /* asked already: the answer is on its way or lost */
	p->pulled_ms = now;
	cluster_begin(c, &w, WIRE_PULL);
	wire_put_target(&w, p->id);
	cluster_send(c, &w, from_addr);
}

static void gather_reset(struct peer *p)
{
	for (size_t i = 0; i < p->gather.n; i++)
		location_unref(p->gather.locs[i]);
	free(p->gather.locs);
	p->gather = (struct remote_gather){ 0 };
}

static bool part_seen(const struct remote_gather *g, unsigned part)
{
	return g->seen[part / 32] & (1u << (part % 32));
}

static bool gather_complete(const struct remote_gather *g)
{
	for (unsigned i = 0; i < g->parts; i++)
		if (!part_seen(g, i))
			return false;
	return true;
}

static void gather_add(struct cluster *c, struct peer *p, struct wire_service *s)
{
	struct remote_gather *g = &p->gather;
	char *ctx[SERVICE_CONTEXT_MAX + 1], id[16];
	const char *why;
	struct location *l;

	cluster_id_text(p->id, id, sizeof(id));
	struct location_spec spec = { .name = s->name,
				      .host = s->host[0] ? s->host : id,
				      .path = s->path[0] ? s->path : NULL,
				      .context = wire_service_context(s, ctx),
				      .port = s->port,
				      .proto = s->proto,
				      .owner = OWNER_PEER,
				      .mobile = s->mobile,
				      .group_name = s->group[0] ? s->group : NULL,
				      .process_name = s->group[0] ? s->process : NULL,
				      .peer = p->id };
	if (g->n >= c->dir->max_locations / 2)
		return; /* one peer fills half the directory at most: the rest is dropped */
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;
		void *more = realloc(g->locs, cap * sizeof(*g->locs));
		if (!more)
			return;
		g->locs = more;
		g->cap = cap;
	}
	if ((l = location_new(&spec, c->dir->this_host, &why)))
		g->locs[g->n++] = l;
}

static bool in_answer(const struct remote_gather *g, const struct location *l)
{
	for (size_t i = 0; i < g->n; i++)
		if (location_same(g->locs[i], l))
			return true;
	return false;
}

static void on_leaving_due(struct timer *tm);

/* How long a declared location that left its host's answer is kept: the
 * group's new host needs a bid round, a start, a heartbeat with its new
 * digest and a pull; two dead-afters cover that with room. */
static uint64_t leaving_hold(const struct cluster *c)
{
	return 2 * c->decl.dead_after_ms;
}

/* A declared location of p's that is no longer offered: kept dead-after, in
 * case the group it follows is coming up on another host. */
static void hold_leaving(struct cluster *c, struct location *l)
{
	if (c->nleaving == c->leaving_cap) {
		size_t cap = c->leaving_cap ? 2 * c->leaving_cap : 8;
		void *more = realloc(c->leaving, cap * sizeof(*c->leaving));
		if (!more) {
			directory_remove(c->dir, l);
			return;
		}
		c->leaving = more;
		c->leaving_cap = cap;
	}
	c->leaving[c->nleaving++] =
	    (struct leaving_location){ location_ref(l), cluster_now(c) + leaving_hold(c) };
	if (!timer_armed(&c->leaving_timer))
		loop_timer_at(&c->tend->loop, &c->leaving_timer, cluster_now(c) + leaving_hold(c));
}

static bool held_by_directory(struct cluster *c, const struct location *l)
{
	for (struct location *o = directory_find(c->dir, l->name); o; o = directory_next_of_name(o))
		if (o == l)
			return true;
	return false;
}

static void on_leaving_due(struct timer *tm)
{
	struct cluster *c = container_of(tm, struct cluster, leaving_timer);
	uint64_t now = cluster_now(c), next = 0;
	size_t kept = 0;

	for (size_t i = 0; i < c->nleaving; i++) {
		struct leaving_location *lv = &c->leaving[i];
		if (lv->until_ms > now) {
			next = !next || lv->until_ms < next ? lv->until_ms : next;
			c->leaving[kept++] = *lv;
			continue;
		}
		if (held_by_directory(c, lv->loc))
			directory_remove(c->dir, lv->loc);
		location_unref(lv->loc);
	}
	c->nleaving = kept;
	if (next)
		loop_timer_at(&c->tend->loop, tm, next);
}

/* The complete answer replaces what the directory holds of p. */
static void apply_answer(struct cluster *c, struct peer *p)
{
	struct remote_gather *g = &p->gather;
	size_t cursor = 0;
	struct location *l = NULL, *next;
	char err[256];

	for (size_t i = 0; i < g->n; i++)
		directory_put(c->dir, location_ref(g->locs[i]), err, sizeof(err));
	for (l = directory_next(c->dir, &cursor, NULL); l; l = next) {
		next = directory_next(c->dir, &cursor, l);
		if (l->owner != OWNER_PEER || l->peer != p->id || in_answer(g, l))
			continue;
		if (l->mobile)
			hold_leaving(c, l);
		else
			directory_remove(c->dir, l);
	}
	/* what p offers again is not leaving any more */
	size_t kept = 0;
	for (size_t i = 0; i < c->nleaving; i++) {
		struct leaving_location *lv = &c->leaving[i];
		if (lv->loc->peer == p->id && in_answer(g, lv->loc))
			location_unref(lv->loc);
		else
			c->leaving[kept++] = *lv;
	}
	c->nleaving = kept;
	p->services_digest = g->digest;
	p->services_known = true;
}

void remote_take_services(struct cluster *c, struct peer *p, const struct wire_msg *m)
{
	struct remote_gather *g = &p->gather;
	struct wire_service s;
	size_t cursor = 0;

	/* Only the answer to a pull of ours, and not long after it. */
	if (!p->pulled_ms || cluster_now(c) - p->pulled_ms > c->decl.dead_after_ms)
		return;

	if (!g->active || g->round != m->round || g->digest != m->digest || g->parts != m->parts) {
		gather_reset(p);
		*g = (struct remote_gather){
			.active = true, .round = m->round, .digest = m->digest, .parts = m->parts
		};
	}
	if (part_seen(g, m->part))
		return;
	g->seen[m->part / 32] |= 1u << (m->part % 32);
	while (wire_next_service(m, &cursor, &s))
		gather_add(c, p, &s);
	if (!gather_complete(g))
		return;
	apply_answer(c, p);
	gather_reset(p);
}

void remote_withdraw(struct cluster *c, struct peer *p)
{
	size_t cursor = 0;
	struct location *l, *next;

	gather_reset(p);
	p->services_known = false;
	p->services_digest = 0;
	p->pulled_ms = 0;
	for (l = directory_next(c->dir, &cursor, NULL); l; l = next) {
		next = directory_next(c->dir, &cursor, l);
		if (l->owner == OWNER_PEER && l->peer == p->id)
			directory_remove(c->dir, l);
	}
}

void remote_init(struct cluster *c)
{
	timer_init(&c->leaving_timer, on_leaving_due);
}

void remote_free(struct cluster *c)
{
	loop_timer_cancel(&c->tend->loop, &c->leaving_timer);
	for (size_t i = 0; i < c->nleaving; i++)
		location_unref(c->leaving[i].loc);
	free(c->leaving);
	c->leaving = NULL;
	c->nleaving = c->leaving_cap = 0;
	for (size_t i = 0; i < c->npeers; i++)
		gather_reset(c->peers[i]);
}
