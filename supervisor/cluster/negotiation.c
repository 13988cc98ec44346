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
#include "cluster/negotiation.h"
#include "core/context.h"
#include "core/group.h"
#include "core/registry.h"

const char *neg_state_name(enum neg_state s)
{
	static const char *const names[NS__COUNT] = { "idle", "watching", "bidding", "runs-here" };

	return s < NS__COUNT ? names[s] : "?";
}

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
/* After `tendctl release` this host leaves the group to others: it does not
 * bid while they have not taken it, nor while one runs it; once the host
 * that took it is gone, it may take it back like any other. */
static bool yielding(const struct negotiation *n)
{
	return n->yielded && (!n->yield_taken || n->has_owner);
}

static bool wanted(struct cluster *c, const struct negotiation *n)
{
	const struct group *g = declared_group(c, n);

	return g && (g->decl.autostart || n->started) && !n->stopped && !n->failed_here &&
	       !yielding(n) && !c->tend->shutting_down;
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

	if (!g)
		return;
	g->placed_here = true; /* group_step takes starts of a placed group only so */
	if (!group_up(g) && !registry_hold_request(c->tend, g, true))
		group_step(c->tend, g, GE_START);
}

static void stop_here(struct cluster *c, struct negotiation *n)
{
	struct group *g = declared_group(c, n);

	if (g) {
		g->placed_here = false;
		g->start_pending = false; /* a start held for a reload is called off */
	}

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

/* An answer to bidder `to`, at address `addr`. */
static void answer_to(struct cluster *c, struct negotiation *n, uint32_t to, uint32_t addr,
		      uint8_t code)
{
	struct wire_writer w;

	cluster_begin(c, &w, WIRE_ANSWER);
	wire_put_group(&w, n->name, n->term, code == WA_RUNNING ? WG_OWNER : WG_BIDDING);
	wire_put_answer(&w, code);
	wire_put_target(&w, to);
	if (code == WA_RUNNING)
		wire_put_owner(&w, n->owner);
	cluster_send(c, &w, addr);
}

static void answer(struct cluster *c, struct negotiation *n, const struct neg_input *in,
		   uint8_t code)
{
	answer_to(c, n, in->msg->sender, in->from_addr, code);
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

void negotiation_timer_init(struct negotiation *n)
{
	timer_init(&n->retry, on_retry);
}

void negotiation_disarm(struct cluster *c, struct negotiation *n)
{
	disarm(c, n);
}

/* A bid for a group not declared here: ACK, and no promise is kept (this
 * host never bids for it). */
void negotiation_ack_undeclared(struct cluster *c, const struct wire_msg *m,
				const struct wire_group *grp, uint32_t from_addr)
{
	struct wire_writer w;

	cluster_begin(c, &w, WIRE_ANSWER);
	wire_put_group(&w, grp->name, grp->term, WG_BIDDING);
	wire_put_answer(&w, WA_ACK);
	wire_put_target(&w, m->sender);
	cluster_send(c, &w, from_addr);
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
	n->start_requested = false;
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
	const struct group *g = declared_group(c, n);

	if (!g) { /* removed meanwhile (`tendctl remove`): reconcile drops it */
		disarm(c, n);
		n->state = NS_IDLE;
		return;
	}
	n->bid_term = n->term + 1;
	n->term = n->bid_term;
	n->rank = own_rank(c, g);
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

/* A4's promise: bidder b may have the group at term t; this host does not
 * bid until b owns it, dies, a higher term comes or dead-after passes. */
static void promise(struct cluster *c, struct negotiation *n, uint64_t t, uint32_t b)
{
	if (t > n->term)
		n->term = t;
	n->promise_term = t;
	n->promise_to = b;
	n->promise_until_ms = cluster_now(c) + dead_after(c);
	n->stopped = false; /* a bid above the stop: someone started it */
	n->started = true;
}

static void on_bid(struct cluster *c, struct negotiation *n, const struct neg_input *in)
{
	/* cppcheck-suppress ctunullpointer ; input is NULL only with NE_TIMER */
	uint64_t t = in->grp->term;
	uint32_t b = in->msg->sender;

	if (n->has_owner && n->owner != b && owner_alive(c, n)) {
		answer(c, n, in, WA_RUNNING); /* A1 */
		return;
	}
	if (t < n->term) {
		answer(c, n, in, WA_STALE); /* A2: a term behind this host's */
		return;
	}
	if (n->state == NS_BID && t == n->bid_term && better(n->rank, c->id, in->msg->rank, b)) {
		answer(c, n, in, WA_COUNTER); /* A3: this host bids better */
		return;
	}
	if (n->state != NS_BID && t == n->term && n->promise_term == t && n->promise_to != b) {
		answer(c, n, in, WA_STALE); /* A2: promised to another */
		return;
	}
	if (n->state == NS_BID)
		abandon_bid(c, n); /* A3: a better bidder, or a higher term */
	/* A4 */
	promise(c, n, t, b);
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
		if (m->owner != m->sender) {
			/* B4: only the owner's own word makes it the owner. A
			 * third host may still believe in an owner that has
			 * released the group or died; believing it would pass
			 * that stale owner from host to host (tests/model
			 * finds the livelock). The owner hears this bid too and
			 * answers for itself; here this is just not an ACK,
			 * and the bid goes on. Sooner when the owner named is
			 * this host or one this host knows dead: the answerer
			 * finds that out within moments. */
			o = peer_find(c, m->owner);
			if (m->owner == c->id || !o || !peer_alive(o))
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
		/* A better bidder at this term: it is what this host would
		 * ack on hearing its bid, so ack it now (its bid may have
		 * come before this host saw the need to bid) instead of
		 * leaving it to ask again. */
		abandon_bid(c, n);
		promise(c, n, n->bid_term, m->sender);
		answer_to(c, n, m->sender, in->from_addr, WA_ACK);
		n->wait_until_ms = cluster_now(c) + dead_after(c);
		arm(c, n, n->wait_until_ms);
		return;
	case WA_STALE:
		/* A higher term there, or this term promised to another
		 * bidder (who may have given up since): bid a term above
		 * both at once, once for this bid. */
		if (in->grp->term > n->term)
			n->term = in->grp->term;
		if (!n->rebid) {
			n->rebid = true;
			arm(c, n, cluster_now(c));
		}
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
	n->start_requested = false; /* it runs: what `start` asked for is done */
	if (n->yielded)
		n->yield_taken = true;
	if (n->promise_term <= t)
		forget_promise(n);
}

static void on_stopped(struct cluster *c, struct negotiation *n, const struct neg_input *in)
{
	uint64_t t = in->grp->term;

	/* A `tendctl start` here came after whatever stop a heartbeat still
	 * carries (it may not know the stop's term yet: the hold-off); an
	 * explicit stop (a RELEASE) is newer and wins. */
	if (n->start_requested && in->msg->type == WIRE_HEARTBEAT)
		return;
	n->start_requested = false;

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
	n->start_requested = n->state != NS_OWN;
	n->failed_here = false;
	n->yielded = n->yield_taken = false;
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

/* The core takes a start of the group only while this host owns it
 * (group_step). */
static void keep_placement(struct cluster *c, struct negotiation *n)
{
	struct group *g = declared_group(c, n);

	if (g)
		g->placed_here = n->state == NS_OWN;
}

void negotiation_step(struct cluster *c, struct negotiation *n, enum neg_event ev,
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
	keep_placement(c, n);
}
