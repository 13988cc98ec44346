/* Membership (PROTOCOL.md M1-M2): who is out there, alive or dead, in which
 * incarnation, and which groups its last complete heartbeat round says it
 * runs. A peer silent for dead-after is dead; one back with another
 * incarnation rebooted, and what was known of it is forgotten. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/container_of.h"
#include "cluster/cluster.h"
#include "cluster/remote.h"
#include "core/context.h"
#include "services/directory.h"

const char *peer_state_name(enum peer_state s)
{
	return s == PEER_ALIVE ? "alive" : "dead";
}

bool peer_alive(const struct peer *p)
{
	return p->state == PEER_ALIVE;
}

size_t cluster_alive_count(const struct cluster *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->npeers; i++)
		n += peer_alive(c->peers[i]);
	return n;
}

struct peer *peer_find(struct cluster *c, uint32_t id)
{
	for (size_t i = 0; i < c->npeers; i++)
		if (c->peers[i]->id == id)
			return c->peers[i];
	return NULL;
}

static void host_change(struct cluster *c, struct peer *p, bool up)
{
	char id[16];
	struct change ch = { .kind = up ? CHANGE_HOST_UP : CHANGE_HOST_DOWN, .subject = id };

	cluster_id_text(p->id, id, sizeof(id));
	tend_log(&c->tend->log, up ? LOG_INFO : LOG_WARN, "cluster: host %s %s", id,
		 up ? "up" : "down");
	journal_record(&c->dir->journal, &ch);
}

/* The groups it ran and the services it offered are no longer known. */
static void forget(struct cluster *c, struct peer *p)
{
	p->nruns = p->nruns_next = 0;
	p->round_started = false;
	p->services_digest = 0;
	remote_withdraw(c, p);
	negotiation_peer_gone(c, p->id);
}

static void declare_dead(struct cluster *c, struct peer *p)
{
	p->state = PEER_DEAD;
	p->since_ms = cluster_now(c);
	loop_timer_cancel(&c->tend->loop, &p->dead);
	host_change(c, p, false);
	forget(c, p);
}

static void on_silence(struct timer *tm)
{
	struct peer *p = container_of(tm, struct peer, dead);

	declare_dead(p->cluster, p);
}

void peer_left(struct cluster *c, struct peer *p)
{
	char id[16];

	cluster_id_text(p->id, id, sizeof(id));
	tend_log(&c->tend->log, LOG_INFO, "cluster: host %s is stopping", id);
	if (peer_alive(p))
		declare_dead(c, p);
}

void peers_all_dead(struct cluster *c)
{
	for (size_t i = 0; i < c->npeers; i++)
		if (peer_alive(c->peers[i]))
			declare_dead(c, c->peers[i]);
}

static void peer_free(struct cluster *c, struct peer *p)
{
	loop_timer_cancel(&c->tend->loop, &p->dead);
	free(p->runs);
	free(p->runs_next);
	free(p);
}

/* The table is bounded: a full one forgets the peer dead the longest; with
 * none dead, the newcomer is not taken (and counted). */
static bool make_room(struct cluster *c)
{
	size_t oldest = c->npeers;

	if (c->npeers < CLUSTER_PEERS_MAX)
		return true;
	for (size_t i = 0; i < c->npeers; i++)
		if (!peer_alive(c->peers[i]) &&
		    (oldest == c->npeers || c->peers[i]->since_ms < c->peers[oldest]->since_ms))
			oldest = i;
	if (oldest == c->npeers)
		return false;
	remote_withdraw(c, c->peers[oldest]);
	peer_free(c, c->peers[oldest]);
	c->peers[oldest] = c->peers[--c->npeers];
	c->counters.peers_forgotten++;
	return true;
}

static struct peer *peer_new(struct cluster *c, uint32_t id)
{
	struct peer *p, **more;

	if (!make_room(c))
		return NULL;
	if (c->npeers == c->peers_cap) {
		size_t cap = c->peers_cap ? 2 * c->peers_cap : 8;
		if (!(more = realloc(c->peers, cap * sizeof(*more))))
			return NULL;
		c->peers = more;
		c->peers_cap = cap;
	}
	if (!(p = calloc(1, sizeof(*p))))
		return NULL;
	p->id = id;
	p->state = PEER_DEAD; /* until heard: peer_heard makes it alive */
	p->cluster = c;
	timer_init(&p->dead, on_silence);
	c->peers[c->npeers++] = p;
	return p;
}

struct peer *peer_heard(struct cluster *c, const struct wire_msg *m, enum wire_drop *drop)
{
	struct peer *p = peer_find(c, m->sender);
	bool rebooted;

	*drop = WD_OK;
	if (!p && !(p = peer_new(c, m->sender))) {
		c->counters.peers_refused++;
		return NULL;
	}
	*drop = replay_check(&p->replay, m->incarnation, m->seq, &rebooted);
	if (*drop != WD_OK)
		return NULL;
	if (rebooted) {
		char id[16];
		cluster_id_text(p->id, id, sizeof(id));
		tend_log(&c->tend->log, LOG_WARN, "cluster: host %s restarted (incarnation %08x)",
			 id, m->incarnation);
		forget(c, p);
	}
	p->incarnation = m->incarnation;
	p->last_heard_ms = cluster_now(c);
	loop_timer_in(&c->tend->loop, &p->dead, c->decl.dead_after_ms);
	if (!peer_alive(p)) {
		p->state = PEER_ALIVE;
		p->since_ms = p->last_heard_ms;
		host_change(c, p, true);
	}
	return p;
}

static void note_run(struct peer *p, const char *name)
{
	if (p->nruns_next == p->runs_cap) {
		size_t cap = p->runs_cap ? 2 * p->runs_cap : 8;
		void *a = realloc(p->runs, cap * sizeof(*p->runs));
		if (!a)
			return;
		p->runs = a;
		void *b = realloc(p->runs_next, cap * sizeof(*p->runs_next));
		if (!b)
			return;
		p->runs_next = b;
		p->runs_cap = cap;
	}
	snprintf(p->runs_next[p->nruns_next++], sizeof(*p->runs_next), "%s", name);
}

void peer_take_round(struct peer *p, const struct wire_msg *m)
{
	uint8_t all = (uint8_t)((1u << m->parts) - 1);

	if (!p->round_started || m->round != p->round || m->parts != p->parts) {
		p->round = m->round;
		p->parts = m->parts;
		p->parts_seen = 0;
		p->nruns_next = 0;
		p->round_started = true;
	}
	if (p->parts_seen & (1u << m->part))
		return;
	p->parts_seen |= (uint8_t)(1u << m->part);
	for (size_t i = 0; i < m->ngroups; i++)
		if (m->groups[i].status == WG_OWNER)
			note_run(p, m->groups[i].name);
	if (p->parts_seen != all)
		return;
	if (p->nruns_next)
		memcpy(p->runs, p->runs_next, p->nruns_next * sizeof(*p->runs));
	p->nruns = p->nruns_next;
	negotiation_owner_round(p->cluster, p);
}

void peers_free(struct cluster *c)
{
	for (size_t i = 0; i < c->npeers; i++)
		peer_free(c, c->peers[i]);
	free(c->peers);
	c->peers = NULL;
	c->npeers = c->peers_cap = 0;
}
