/* The negotiations of this host: one machine per negotiable group
 * declared here (kept in step with the groups by negotiation_reconcile),
 * each datagram's groups handed to their machines, and what applies to
 * all of them at once (a peer gone, the link lost, tend stopping). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "cluster/negotiation.h"
#include "core/context.h"
#include "core/group.h"
#include "core/registry.h"

/* ---- the machines ---- */

struct negotiation *negotiation_find(struct cluster *c, const char *name)
{
	for (size_t i = 0; i < c->nnegs; i++)
		if (strcmp(c->negs[i]->name, name) == 0)
			return c->negs[i];
	return NULL;
}

static struct negotiation *negotiation_new(struct cluster *c, const char *name)
{
	struct negotiation *n, **more;

	if (c->nnegs == c->negs_cap) {
		size_t cap = c->negs_cap ? 2 * c->negs_cap : 16;
		if (!(more = realloc(c->negs, cap * sizeof(*more))))
			return NULL;
		c->negs = more;
		c->negs_cap = cap;
	}
	if (!(n = calloc(1, sizeof(*n))))
		return NULL;
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->cluster = c;
	negotiation_timer_init(n);
	c->negs[c->nnegs++] = n;
	return n;
}

static void negotiation_free(struct cluster *c, struct negotiation *n)
{
	negotiation_disarm(c, n);
	free(n->acks);
	free(n);
}

/* A machine for each negotiable group declared (a new one looks at once
 * whether to bid: groups come from reloads and `tendctl add` too). */
static void add_declared(struct cluster *c)
{
	struct tend *t = c->tend;

	for (size_t i = 0; i < t->ngroups; i++) {
		const struct group *g = t->groups[i];
		struct negotiation *n;
		bool fresh = false;
		if (!g->decl.negotiable)
			continue;
		n = negotiation_find(c, g->decl.name);
		if (!n && (n = negotiation_new(c, g->decl.name)))
			fresh = true;
		if (!n) {
			tend_log(&t->log, LOG_ERR, "cluster: out of memory: %s is not negotiated",
				 g->decl.name);
			continue;
		}
		n->present = true;
		if (fresh)
			negotiation_step(c, n, NE_EVALUATE, NULL);
	}
}

void negotiation_reconcile(struct cluster *c)
{
	size_t i, kept = 0;

	for (i = 0; i < c->nnegs; i++)
		c->negs[i]->present = false;
	add_declared(c);
	for (i = 0; i < c->nnegs; i++) {
		struct negotiation *n = c->negs[i];
		/* A group no longer declared is released once its copy here is
		 * down (it is retiring until then): not while it still runs. */
		if (n->present || registry_retiring(c->tend, n->name)) {
			c->negs[kept++] = n;
			continue;
		}
		negotiation_step(c, n, NE_LEAVE, NULL);
		negotiation_free(c, n);
	}
	c->nnegs = kept;
}

/* Each group a message names goes to its machine; a group not negotiable
 * here is not this host's business, but a bid for it is acked (a bid waits
 * for every alive peer). */
void negotiation_on_message(struct cluster *c, const struct wire_msg *m, uint32_t from_addr)
{
	struct neg_input in = { .msg = m, .from_addr = from_addr };

	for (size_t i = 0; i < m->ngroups; i++) {
		struct negotiation *n = negotiation_find(c, m->groups[i].name);
		enum neg_event ev;
		if (!n && m->type == WIRE_BID)
			negotiation_ack_undeclared(c, m, &m->groups[i], from_addr);
		if (!n)
			continue;
		in.grp = &m->groups[i];
		switch (m->type) {
		case WIRE_BID:
			ev = NE_BID;
			break;
		case WIRE_ANSWER:
			ev = NE_ANSWER;
			break;
		case WIRE_RELEASE:
			ev = m->stopped ? NE_STOPPED : NE_RELEASED;
			break;
		case WIRE_HEARTBEAT:
			if (in.grp->status == WG_BIDDING)
				continue;
			ev = in.grp->status == WG_OWNER ? NE_OWNER : NE_STOPPED;
			break;
		default:
			continue;
		}
		negotiation_step(c, n, ev, &in);
	}
}

void negotiation_peer_gone(struct cluster *c, uint32_t id)
{
	struct neg_input in = { .peer = id };

	for (size_t i = 0; i < c->nnegs; i++)
		negotiation_step(c, c->negs[i], NE_PEER_GONE, &in);
}

/* H3: a complete round of p that did not list a group p ran: released. */
void negotiation_owner_round(struct cluster *c, struct peer *p)
{
	struct wire_msg m = { .sender = p->id };
	struct neg_input in = { .msg = &m };

	for (size_t i = 0; i < c->nnegs; i++) {
		struct negotiation *n = c->negs[i];
		if (n->has_owner && n->owner == p->id && n->state != NS_OWN &&
		    !(n->owner_round_known && n->owner_round == p->round))
			negotiation_step(c, n, NE_RELEASED, &in);
	}
}

void negotiation_evaluate_all(struct cluster *c)
{
	for (size_t i = 0; i < c->nnegs; i++)
		negotiation_step(c, c->negs[i], NE_EVALUATE, NULL);
}

void negotiation_fence(struct cluster *c)
{
	for (size_t i = 0; i < c->nnegs; i++)
		negotiation_step(c, c->negs[i], NE_FENCE, NULL);
}

void negotiation_release_all(struct cluster *c)
{
	for (size_t i = 0; i < c->nnegs; i++)
		negotiation_step(c, c->negs[i], NE_LEAVE, NULL);
}

/* The bus said a copy here ended (cluster_on_event): acted on after the
 * batch, when groups may be stepped. */
void negotiation_local_down(struct cluster *c, struct negotiation *n, bool failed)
{
	struct neg_input in = { .failed = failed };

	negotiation_step(c, n, NE_LOCAL_DOWN, &in);
}

void negotiation_request(struct cluster *c, struct negotiation *n, enum neg_request r)
{
	static const enum neg_event events[] = {
		[NR_START] = NE_START, [NR_STOP] = NE_STOP, [NR_HANDOVER] = NE_HANDOVER
	};

	negotiation_step(c, n, events[r], NULL);
}

void negotiation_free_all(struct cluster *c)
{
	for (size_t i = 0; i < c->nnegs; i++)
		negotiation_free(c, c->negs[i]);
	free(c->negs);
	c->negs = NULL;
	c->nnegs = c->negs_cap = 0;
}

/* Whatever started it, a negotiable group runs here only while this host
 * owns it: a copy up without that is stopped (the core refuses such
 * starts; this is the net under that rule). */
void negotiation_stop_strays(struct cluster *c)
{
	for (size_t i = 0; i < c->nnegs; i++) {
		struct negotiation *n = c->negs[i];
		struct group *g = tend_find_group(c->tend, n->name);
		if (!g || n->state == NS_OWN || !g->decl.negotiable || !group_coming_up(g))
			continue;
		tend_log(&c->tend->log, LOG_WARN,
			 "cluster: %s was up here without being placed here: stopping it", n->name);
		group_step(c->tend, g, GE_STOP);
	}
}
