/* The negotiation of each negotiable group: PROTOCOL.md's rules B1-B7,
 * A1-A4, H1-H3 and R1-R4 as one transition function, negotiation_step(),
 * over the states of enum neg_state. It starts and stops the group through
 * the core and sends through cluster.c; nothing else decides where a
 * negotiable group runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/container_of.h"
#include "cluster/cluster.h"
#include "core/context.h"
#include "core/group.h"
#include "core/registry.h"

enum neg_event {
	NE_EVALUATE,	 /* something changed: bid if the time has come */
	NE_TIMER,	 /* the retry timer: send the bid again, or look again */
	NE_BID,		 /* a peer's BID */
	NE_ANSWER,	 /* an ANSWER to this host */
	NE_OWNER,	 /* a heartbeat: the sender runs it */
	NE_STOPPED,	 /* a heartbeat's STOPPED, or a RELEASE with STOPPED */
	NE_RELEASED,	 /* the owner let it go (a RELEASE, or its round without it) */
	NE_PEER_GONE,	 /* a peer died or rebooted */
	NE_START,	 /* `tendctl start` here */
	NE_STOP,	 /* `tendctl stop` here */
	NE_HANDOVER,	 /* `tendctl release` here */
	NE_LOCAL_DOWN,	 /* its copy here stopped or failed, not at our asking */
	NE_FENCE,	 /* the own link is lost */
	NE_LEAVE,	 /* tend stops, or the group is no longer declared */
};

/* What an event carries. */
struct neg_input {
	const struct wire_msg *msg;
	const struct wire_group *grp; /* the message's entry for this group */
	uint32_t from_addr;	      /* the sender's address, for answers */
	uint32_t peer;		      /* NE_PEER_GONE */
	bool failed;		      /* NE_LOCAL_DOWN */
};

const char *neg_state_name(enum neg_state s)
{
	static const char *const names[NS__COUNT] = { "idle", "watching", "bidding", "runs-here" };

	return s < NS__COUNT ? names[s] : "?";
}

static void negotiation_step(struct cluster *c, struct negotiation *n, enum neg_event ev,
			     const struct neg_input *in);

static uint64_t dead_after(const struct cluster *c)
{
	return c->decl.dead_after_ms;
}

static struct group *declared_group(struct cluster *c, const struct negotiation *n)
{
	struct group *g = tend_find_group(c->tend, n->name);

	return g && g->decl.negotiable ? g : NULL;
}

/* Wanted here: declared, started (autostart, `tendctl start`, or running
 * somewhere since), not stopped cluster-wide, not failed here. */
static bool wanted(struct cluster *c, const struct negotiation *n)
{
	const struct group *g = declared_group(c, n);

	return g && (g->decl.autostart || n->started) && !n->stopped && !n->failed_here &&
	       !n->yielded && !c->tend->shutting_down;
}

static bool owner_alive(struct cluster *c, const struct negotiation *n)
{
	const struct peer *p;

	if (!n->has_owner)
		return false;
	if (n->owner == c->id)
		return n->state == NS_OWN;
	p = peer_find(c, n->owner);
	return p && peer_alive(p);
}

static bool promised_elsewhere(struct cluster *c, const struct negotiation *n)
{
	const struct peer *p = peer_find(c, n->promise_to);

	return n->promise_term && n->promise_to != c->id && cluster_now(c) < n->promise_until_ms &&
	       p && peer_alive(p);
}

static void forget_promise(struct negotiation *n)
{
	n->promise_term = 0;
	n->promise_to = 0;
	n->promise_until_ms = 0;
}

/* Lower (rank, ID) is the better bidder. */
static bool better(uint16_t rank_a, uint32_t id_a, uint16_t rank_b, uint32_t id_b)
{
	return rank_a < rank_b || (rank_a == rank_b && id_a < id_b);
}

static uint16_t own_rank(struct cluster *c, const struct group *g)
{
	uint16_t i = 0;

	for (; g->decl.prefer && g->decl.prefer[i]; i++)
		if (strcmp(g->decl.prefer[i], c->id_text) == 0)
			return i;
	return i;
}

/* -25%..+25% around ms, so that hosts that lost one round do not collide
 * again in the next. */
static uint64_t jittered(struct cluster *c, uint64_t ms)
{
	return ms - ms / 4 + cluster_random(c) % (ms / 2 + 1);
}

/* A quarter heartbeat (10 ms at least): long enough for a peer to see what
 * this host just saw, short against the bid backoff. */
static uint64_t soon(const struct cluster *c)
{
	uint64_t q = c->decl.heartbeat_ms / 4;

	return q < 10 ? 10 : q;
}

/* ---- the group here ---- */

static void run_here(struct cluster *c, struct negotiation *n)
{
	struct group *g = declared_group(c, n);

	if (g && !group_up(g) && !registry_hold_request(c->tend, g, true))
		group_step(c->tend, g, GE_START);
}

static void stop_here(struct cluster *c, struct negotiation *n)
{
	struct group *g = declared_group(c, n);

	if (g && (group_coming_up(g) || g->state == GS_STOPPING))
		group_step(c->tend, g, GE_STOP);
}

/* ---- sending ---- */

static void send_group_msg(struct cluster *c, struct negotiation *n, enum wire_type type,
			   uint64_t term, uint8_t status, bool stopped)
{
	struct wire_writer w;

	cluster_begin(c, &w, type);
	wire_put_group(&w, n->name, term, status);
	if (type == WIRE_BID)
		wire_put_rank(&w, n->rank);
	if (stopped)
		wire_put_stopped(&w);
	cluster_send(c, &w, 0);
}

static void answer(struct cluster *c, struct negotiation *n, const struct neg_input *in,
		   uint8_t code)
{
	struct wire_writer w;

	cluster_begin(c, &w, WIRE_ANSWER);
	wire_put_group(&w, n->name, n->term, code == WA_RUNNING ? WG_OWNER : WG_BIDDING);
	wire_put_answer(&w, code);
	wire_put_target(&w, in->msg->sender);
	if (code == WA_RUNNING)
		wire_put_owner(&w, n->owner);
	cluster_send(c, &w, in->from_addr);
}

/* ---- the timer: bid retries, and the end of a wait ---- */

static void on_retry(struct timer *tm)
{
	struct negotiation *n = container_of(tm, struct negotiation, retry);

	negotiation_step(n->cluster, n, NE_TIMER, NULL);
}

static void arm(struct cluster *c, struct negotiation *n, uint64_t due_ms)
{
	loop_timer_at(&c->tend->loop, &n->retry, due_ms);
}

static void disarm(struct cluster *c, struct negotiation *n)
{
	loop_timer_cancel(&c->tend->loop, &n->retry);
}

/* ---- bidding ---- */

static bool acked_by(const struct negotiation *n, uint32_t id)
{
	for (size_t i = 0; i < n->nacks; i++)
		if (n->acks[i] == id)
			return true;
	return false;
}

static void note_ack(struct negotiation *n, uint32_t id)
{
	uint32_t *more;

	if (acked_by(n, id))
		return;
	if (n->nacks == n->acks_cap) {
		size_t cap = n->acks_cap ? 2 * n->acks_cap : 8;
		if (!(more = realloc(n->acks, cap * sizeof(*more))))
			return; /* the ack is asked for again with the next send */
		n->acks = more;
		n->acks_cap = cap;
	}
	n->acks[n->nacks++] = id;
}

/* B2: every alive peer has acked (silence counts only from the dead). */
static bool bid_is_final(struct cluster *c, const struct negotiation *n)
{
	for (size_t i = 0; i < c->npeers; i++)
		if (peer_alive(c->peers[i]) && !acked_by(n, c->peers[i]->id))
			return false;
	return true;
}

static void become_owner(struct cluster *c, struct negotiation *n)
{
	disarm(c, n);
	n->state = NS_OWN;
	n->has_owner = true;
	n->owner = c->id;
	n->term = n->bid_term;
	forget_promise(n);
	tend_log(&c->tend->log, LOG_INFO, "cluster: %s: this host runs it (term %llu)", n->name,
		 (unsigned long long)n->term);
	run_here(c, n);
	cluster_heartbeat_now(c);
}

static void bid(struct cluster *c, struct negotiation *n)
{
	n->state = NS_BID;
	n->bid_term = n->term + 1;
	n->term = n->bid_term;
	n->rank = own_rank(c, declared_group(c, n));
	n->nacks = 0;
	n->rebid = false;
	n->retry_ms = BID_RETRY_FIRST_MS;
	if (bid_is_final(c, n)) { /* nobody alive to ask (after the hold-off) */
		become_owner(c, n);
		return;
	}
	send_group_msg(c, n, WIRE_BID, n->bid_term, WG_BIDDING, false);
	arm(c, n, cluster_now(c) + jittered(c, n->retry_ms));
}

/* Ends a bid that lost, or was overtaken (B4-B7). */
static void abandon_bid(struct cluster *c, struct negotiation *n)
{
	disarm(c, n);
	n->state = NS_WATCH;
}

static void bid_again(struct cluster *c, struct negotiation *n)
{
	if (n->rebid || n->term > n->bid_term) { /* STALE: a new term */
		n->rebid = false;
		bid(c, n);
		return;
	}
	send_group_msg(c, n, WIRE_BID, n->bid_term, WG_BIDDING, false);
	n->retry_ms = n->retry_ms * 2 > BID_RETRY_MAX_MS ? BID_RETRY_MAX_MS : n->retry_ms * 2;
	arm(c, n, cluster_now(c) + jittered(c, n->retry_ms));
}

/* B1, in IDLE and WATCH: bid when wanted and nothing stands in the way;
 * else look again when what stands in the way expires. */
static void evaluate(struct cluster *c, struct negotiation *n)
{
	uint64_t now = cluster_now(c), next = 0;

	if (n->state == NS_BID || n->state == NS_OWN)
		return;
	if (n->has_owner && !owner_alive(c, n))
		n->has_owner = false;
	n->state = n->has_owner || now < n->wait_until_ms ? NS_WATCH : NS_IDLE;
	if (!wanted(c, n) || n->has_owner || !cluster_may_bid(c))
		return;
	if (promised_elsewhere(c, n))
		next = n->promise_until_ms;
	else if (now < n->wait_until_ms)
		next = n->wait_until_ms;
	if (next) {
		arm(c, n, next);
		return;
	}
	bid(c, n);
}

/* ---- answering a bid (A1-A4) ---- */

static void on_bid(struct cluster *c, struct negotiation *n, const struct neg_input *in)
{
	uint64_t t = in->grp->term;
	uint32_t b = in->msg->sender;

	if (n->has_owner && n->owner != b && owner_alive(c, n)) {
		answer(c, n, in, WA_RUNNING); /* A1 */
		return;
	}
	if (n->state == NS_BID && t >= n->bid_term) { /* A3 */
		if (t == n->bid_term && better(n->rank, c->id, in->msg->rank, b)) {
			answer(c, n, in, WA_COUNTER);
			return;
		}
		abandon_bid(c, n);
	} else if (t < n->term ||
		   (t == n->term && n->promise_term == t && n->promise_to != b)) {
		answer(c, n, in, WA_STALE); /* A2 */
		return;
	}
	/* A4 */
	n->term = t;
	n->promise_term = t;
	n->promise_to = b;
	n->promise_until_ms = cluster_now(c) + dead_after(c);
	n->stopped = false; /* a bid above the stop: someone started it */
	n->started = true;
	if (n->state != NS_BID)
		n->state = NS_WATCH;
	answer(c, n, in, WA_ACK);
	arm(c, n, n->promise_until_ms);
}

/* ---- answers to this host's bid (B2, B4-B6) ---- */

static void on_answer(struct cluster *c, struct negotiation *n, const struct neg_input *in)
{
	const struct wire_msg *m = in->msg;
	const struct peer *o;

	if (n->state != NS_BID || m->target != c->id)
		return;
	switch (m->answer) {
	case WA_ACK:
		if (in->grp->term != n->bid_term)
			return;
		note_ack(n, m->sender);
		if (bid_is_final(c, n))
			become_owner(c, n);
		return;
	case WA_RUNNING:
		o = peer_find(c, m->owner);
		if (m->owner == c->id || !o || !peer_alive(o)) {
			/* An owner this host knows dead, which the answerer will
			 * find dead too within moments (both heard its last
			 * heartbeat): ask again soon, not after the backoff. */
			arm(c, n, cluster_now(c) + soon(c));
			return;
		}
		abandon_bid(c, n);
		n->has_owner = true;
		n->owner = m->owner;
		n->owner_round_known = false;
		if (in->grp->term > n->term)
			n->term = in->grp->term;
		return;
	case WA_COUNTER:
		if (in->grp->term != n->bid_term)
			return;
		abandon_bid(c, n);
		n->wait_until_ms = cluster_now(c) + dead_after(c);
		arm(c, n, n->wait_until_ms);
		return;
	case WA_STALE:
		/* A higher term there, or this term promised to another
		 * bidder: the retry bids a term above both. */
		if (in->grp->term > n->term)
			n->term = in->grp->term;
		n->rebid = true;
		return;
	}
}

/* ---- heartbeats and releases (H1-H3, R1-R2) ---- */

static void on_owner(struct cluster *c, struct negotiation *n, const struct neg_input *in)
{
	uint64_t t = in->grp->term;
	uint32_t p = in->msg->sender;

	n->started = true; /* it runs somewhere: this host may take it over */
	if (n->state == NS_OWN) {
		if (t > n->term || (t == n->term && p < c->id)) {
			char who[16];
			cluster_id_text(p, who, sizeof(who));
			tend_log(&c->tend->log, LOG_WARN,
				 "cluster: %s also runs on %s (term %llu): stopping it here",
				 n->name, who, (unsigned long long)t);
			n->state = NS_WATCH;
			n->has_owner = true;
			n->owner = p;
			n->term = t;
			n->owner_round = in->msg->round;
			n->owner_round_known = true;
			stop_here(c, n);
		}
		return;
	}
	if (t < n->term && !(n->has_owner && n->owner == p))
		return; /* stale: p stops once it hears the owner */
	if (n->state == NS_BID)
		abandon_bid(c, n);
	n->state = NS_WATCH;
	n->has_owner = true;
	n->owner = p;
	n->term = t > n->term ? t : n->term;
	n->owner_round = in->msg->round;
	n->owner_round_known = true;
	n->stopped = false;
	if (n->promise_term <= t)
		forget_promise(n);
}

static void on_stopped(struct cluster *c, struct negotiation *n, const struct neg_input *in)
{
	uint64_t t = in->grp->term;

	if (t < n->term || (t == n->term && n->state == NS_OWN))
		return;
	if (!n->stopped) {
		char who[16];
		cluster_id_text(in->msg->sender, who, sizeof(who));
		tend_log(&c->tend->log, LOG_INFO, "cluster: %s: stopped cluster-wide by %s",
			 n->name, who);
	}
	if (n->state == NS_OWN)
		stop_here(c, n);
	disarm(c, n);
	n->state = NS_IDLE;
	n->term = t;
	n->stopped = true;
	n->started = false;
	n->has_owner = false;
	forget_promise(n);
}

static void on_released(struct cluster *c, struct negotiation *n, const struct neg_input *in)
{
	if (!n->has_owner || n->owner != in->msg->sender || n->state == NS_OWN)
		return;
	if (in->grp && in->grp->term < n->term)
		return;
	n->has_owner = false;
	n->wait_until_ms = 0;
	evaluate(c, n);
}

/* ---- this host's requests and conditions ---- */

static void on_stop(struct cluster *c, struct negotiation *n)
{
	bool here = n->state == NS_OWN;

	disarm(c, n);
	n->term++;
	n->stopped = true;
	n->started = false;
	n->has_owner = false;
	n->state = NS_IDLE;
	forget_promise(n);
	send_group_msg(c, n, WIRE_RELEASE, n->term, WG_STOPPED, true);
	if (here)
		stop_here(c, n);
}

/* `tendctl release`: a planned handover. The copy here stops; once it is
 * down the release lets a peer take it at once (release()), and this host
 * does not bid again until `tendctl start`. */
static void on_handover(struct cluster *c, struct negotiation *n)
{
	if (n->state != NS_OWN)
		return;
	n->handing_over = true;
	stop_here(c, n);
}

static void on_start(struct cluster *c, struct negotiation *n)
{
	n->started = true;
	n->failed_here = false;
	n->yielded = false;
	n->handing_over = false;
	n->wait_until_ms = 0;
	if (n->stopped) {
		n->stopped = false;
		n->has_owner = false;
	}
	if (n->state == NS_OWN)
		run_here(c, n);
	else
		evaluate(c, n);
}

/* R1: the copy here ended (tend stops, or the group failed): peers take it
 * at once instead of after dead-after. */
static void release(struct cluster *c, struct negotiation *n, bool failed)
{
	disarm(c, n);
	n->state = NS_IDLE;
	n->has_owner = false;
	if (n->handing_over) {
		n->handing_over = false;
		n->yielded = true;
	}
	if (failed) {
		n->failed_here = true;
		tend_log(&c->tend->log, LOG_WARN,
			 "cluster: %s failed here: released; this host bids for it again after "
			 "`tendctl start %s`",
			 n->name, n->name);
	}
	if (c->on && !c->fenced)
		send_group_msg(c, n, WIRE_RELEASE, n->term, WG_OWNER, false);
}

static void fence(struct cluster *c, struct negotiation *n)
{
	bool here = n->state == NS_OWN;

	disarm(c, n);
	n->state = NS_IDLE;
	n->has_owner = false;
	n->wait_until_ms = 0;
	forget_promise(n);
	if (here)
		stop_here(c, n);
}

/* ---- the transition function ---- */

static void negotiation_step(struct cluster *c, struct negotiation *n, enum neg_event ev,
			     const struct neg_input *in)
{
	switch (ev) {
	case NE_EVALUATE:
		evaluate(c, n);
		break;
	case NE_TIMER:
		if (n->state == NS_BID)
			bid_again(c, n);
		else
			evaluate(c, n);
		break;
	case NE_BID:
		on_bid(c, n, in);
		break;
	case NE_ANSWER:
		on_answer(c, n, in);
		break;
	case NE_OWNER:
		on_owner(c, n, in);
		break;
	case NE_STOPPED:
		on_stopped(c, n, in);
		break;
	case NE_RELEASED:
		on_released(c, n, in);
		break;
	case NE_PEER_GONE:
		if (n->has_owner && n->owner == in->peer && n->state != NS_OWN)
			n->has_owner = false;
		if (n->promise_to == in->peer)
			forget_promise(n);
		if (n->state == NS_BID && bid_is_final(c, n))
			become_owner(c, n);
		else
			evaluate(c, n);
		break;
	case NE_START:
		on_start(c, n);
		break;
	case NE_STOP:
		on_stop(c, n);
		break;
	case NE_HANDOVER:
		on_handover(c, n);
		break;
	case NE_LOCAL_DOWN:
		if (n->state == NS_OWN)
			release(c, n, in->failed);
		break;
	case NE_FENCE:
		fence(c, n);
		break;
	case NE_LEAVE:
		if (n->state == NS_OWN)
			release(c, n, false);
		break;
	}
}

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
	timer_init(&n->retry, on_retry);
	c->negs[c->nnegs++] = n;
	return n;
}

static void negotiation_free(struct cluster *c, struct negotiation *n)
{
	disarm(c, n);
	free(n->acks);
	free(n);
}

void negotiation_reconcile(struct cluster *c)
{
	struct tend *t = c->tend;
	size_t i, kept = 0;

	for (i = 0; i < c->nnegs; i++)
		c->negs[i]->present = false;
	for (i = 0; i < t->ngroups; i++) {
		const struct group *g = t->groups[i];
		struct negotiation *n;
		if (!g->decl.negotiable)
			continue;
		n = negotiation_find(c, g->decl.name);
		if (!n && !(n = negotiation_new(c, g->decl.name))) {
			tend_log(&t->log, LOG_ERR, "cluster: out of memory: %s is not negotiated",
				 g->decl.name);
			continue;
		}
		n->present = true;
	}
	for (i = 0; i < c->nnegs; i++) {
		struct negotiation *n = c->negs[i];
		if (n->present) {
			c->negs[kept++] = n;
			continue;
		}
		negotiation_step(c, n, NE_LEAVE, NULL);
		negotiation_free(c, n);
	}
	c->nnegs = kept;
}

/* Each group a message names goes to its machine; groups not negotiable
 * here are not this host's business. */
void negotiation_on_message(struct cluster *c, const struct wire_msg *m, uint32_t from_addr)
{
	struct neg_input in = { .msg = m, .from_addr = from_addr };

	for (size_t i = 0; i < m->ngroups; i++) {
		struct negotiation *n = negotiation_find(c, m->groups[i].name);
		enum neg_event ev;
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
	static const enum neg_event events[] = { [NR_START] = NE_START,
						 [NR_STOP] = NE_STOP,
						 [NR_HANDOVER] = NE_HANDOVER };

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
