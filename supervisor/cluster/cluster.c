/* The cluster's set-up and its socket: joining (the key file, the
 * interface, the ID, the UDP socket), heartbeat rounds, receiving and
 * dispatching datagrams, fencing on link loss, and what `tendctl peers`
 * shows. The rules themselves are in negotiation.c and peers.c. */
#include "cluster/cluster.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include "base/container_of.h"
#include "base/str.h"
#include "cluster/remote.h"
#include "core/context.h"
#include "core/group.h"
#include "services/directory.h"

uint64_t cluster_now(struct cluster *c)
{
	return loop_now_ms(&c->tend->loop);
}

uint64_t cluster_random(struct cluster *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

void cluster_id_text(uint32_t id, char *out, size_t len)
{
	struct in_addr a = { .s_addr = htonl(id) };

	if (!inet_ntop(AF_INET, &a, out, (socklen_t)len))
		snprintf(out, len, "?");
}

bool cluster_may_bid(const struct cluster *c)
{
	return c->on && !c->fenced && c->id_known &&
	       loop_now_ms(&c->tend->loop) >= c->hold_until_ms;
}

/* ---- sending ---- */

void cluster_begin(struct cluster *c, struct wire_writer *w, enum wire_type type)
{
	wire_begin(w, type, c->id, c->incarnation, ++c->seq);
}

void cluster_send(struct cluster *c, struct wire_writer *w, uint32_t to)
{
	size_t len;

	if (!c->on || c->fenced || c->left || (c->sock.fd < 0 && !c->transmit))
		return;
	len = wire_finish(w, c->signed_ ? &c->keys : NULL);
	(c->transmit ? c->transmit : transport_send)(c, w->buf, len, to);
}

/* ---- heartbeat rounds (M1) ---- */

struct hb_entry {
	const char *name;
	uint64_t term;
	uint8_t status;
};

/* What this host says of each group: runs, bids, or knows it stopped. */
static size_t heartbeat_entries(struct cluster *c, struct hb_entry *out)
{
	size_t n = 0;

	/* What runs here first: if a round cannot carry everything, peers
	 * must not take a group this host runs for released (H3). */
	for (size_t i = 0; i < c->nnegs; i++) {
		const struct negotiation *g = c->negs[i];
		if (g->state == NS_OWN)
			out[n++] = (struct hb_entry){ g->name, g->term, WG_OWNER };
	}
	for (size_t i = 0; i < c->nnegs; i++) {
		const struct negotiation *g = c->negs[i];
		if (g->state == NS_BID)
			out[n++] = (struct hb_entry){ g->name, g->bid_term, WG_BIDDING };
		else if (g->state != NS_OWN && g->stopped)
			out[n++] = (struct hb_entry){ g->name, g->term, WG_STOPPED };
	}
	return n;
}

/* Packs the entries into parts; sends them when `send`. Returns the number
 * of parts (at most CLUSTER_PARTS_MAX; what does not fit is left out). */
static unsigned pack_round(struct cluster *c, const struct hb_entry *e, size_t n, unsigned parts,
			   bool send)
{
	struct wire_writer w;
	uint64_t digest;
	uint32_t count;
	unsigned part = 0;
	size_t i = 0;

	remote_own_digest(c, &digest, &count);
	do {
		cluster_begin(c, &w, WIRE_HEARTBEAT);
		wire_put_round(&w, c->round, (uint8_t)part, (uint8_t)parts);
		wire_put_digest(&w, digest, count);
		while (i < n && wire_put_group(&w, e[i].name, e[i].term, e[i].status) == 0)
			i++;
		if (send)
			cluster_send(c, &w, 0);
		part++;
	} while (i < n && part < CLUSTER_PARTS_MAX);
	if (!send)
		c->seq -= part; /* counting only: those numbers were not used */
	return part;
}

void cluster_heartbeat_now(struct cluster *c)
{
	struct hb_entry *e;
	size_t n;
	unsigned parts;

	if (!c->on || c->fenced || c->left || !c->id_known)
		return;
	e = malloc((c->nnegs + 1) * sizeof(*e));
	if (!e)
		return;
	n = heartbeat_entries(c, e);
	c->round++;
	parts = pack_round(c, e, n, 1, false);
	pack_round(c, e, n, parts, true);
	free(e);
}

static void on_heartbeat_timer(struct timer *tm)
{
	struct cluster *c = container_of(tm, struct cluster, heartbeat);

	uint64_t next = tm->due_ms + c->decl.heartbeat_ms, now = cluster_now(c);

	negotiation_reconcile(c);
	cluster_heartbeat_now(c);
	/* From when it was due, not when it ran: delays must not add up and eat
	 * into dead-after; a round missed altogether is not made up for. */
	loop_timer_at(&c->tend->loop, &c->heartbeat, next > now ? next : now + c->decl.heartbeat_ms);
}

/* ---- receiving ---- */

static void count_drop(struct cluster *c, enum wire_drop why, uint32_t from)
{
	uint64_t now = cluster_now(c);
	char who[16];

	c->counters.dropped[why]++;
	if (now - c->last_drop_log_ms < 1000 && c->last_drop_log_ms)
		return; /* one line a second at most: a flood must not fill the log */
	c->last_drop_log_ms = now;
	cluster_id_text(from, who, sizeof(who));
	tend_log(&c->tend->log, LOG_INFO, "cluster: dropped a datagram from %s (%s)", who,
		 wire_drop_name(why));
}

static void dispatch(struct cluster *c, struct peer *p, const struct wire_msg *m, uint32_t from)
{
	switch (m->type) {
	case WIRE_HEARTBEAT:
		negotiation_on_message(c, m, from);
		peer_take_round(p, m);
		remote_heard_digest(c, p, m, from);
		break;
	case WIRE_BID:
	case WIRE_ANSWER:
	case WIRE_RELEASE:
		negotiation_on_message(c, m, from);
		break;
	case WIRE_PULL:
		if (m->target == c->id)
			remote_answer_pull(c, p, m, from);
		break;
	case WIRE_SERVICES:
		remote_take_services(c, p, m);
		break;
	case WIRE_LEAVE:
		peer_left(c, p);
		break;
	}
}

void cluster_receive(struct cluster *c, const uint8_t *buf, size_t len, uint32_t from)
{
	struct wire_msg m;
	enum wire_drop why = wire_decode(buf, len, c->signed_ ? &c->keys : NULL, &m);
	struct peer *p;

	if (why != WD_OK) {
		count_drop(c, why, from);
		return;
	}
	if (m.sender == c->id) {
		if (m.incarnation != c->incarnation) /* another host claims our ID */
			count_drop(c, WD_OWN, from);
		return; /* our own broadcast, looped back */
	}
	c->counters.received++;
	p = peer_heard(c, &m, &why);
	if (!p) {
		if (why != WD_OK)
			count_drop(c, why, from);
		return;
	}
	dispatch(c, p, &m, from);
}

/* ---- the link (M4) ---- */

static void on_hold_over(struct timer *tm)
{
	struct cluster *c = container_of(tm, struct cluster, hold);

	tend_log(&c->tend->log, LOG_INFO, "cluster: %s: hold-off over, %zu peers alive", c->id_text,
		 cluster_alive_count(c));
	negotiation_reconcile(c);
	negotiation_evaluate_all(c);
}

static void fence(struct cluster *c)
{
	c->fenced = true;
	loop_timer_cancel(&c->tend->loop, &c->hold);
	tend_log(&c->tend->log, LOG_WARN,
		 "cluster: link %s lost: stopping what runs here as owner (fenced)",
		 c->link.now.name[0] ? c->link.now.name : "(none)");
	negotiation_fence(c);
	peers_all_dead(c);
}

static void unfence(struct cluster *c)
{
	c->fenced = false;
	c->hold_until_ms = cluster_now(c) + c->decl.dead_after_ms;
	loop_timer_at(&c->tend->loop, &c->hold, c->hold_until_ms);
	tend_log(&c->tend->log, LOG_INFO, "cluster: %s on %s: listening for %llums before bidding",
		 c->id_text, c->link.now.name, (unsigned long long)c->decl.dead_after_ms);
	cluster_heartbeat_now(c);
}

static void on_link_changed(void *ctx)
{
	struct cluster *c = ctx;
	bool usable = c->link.now.usable;

	if (!c->on)
		return;
	if (usable && !c->id_known) { /* the paper's rule: the first IPv4 address */
		c->id = c->link.now.address;
		c->link.id_address = c->id;
		c->id_known = true;
		cluster_id_text(c->id, c->id_text, sizeof(c->id_text));
		snprintf(c->dir->this_host, sizeof(c->dir->this_host), "%s", c->id_text);
	}
	if (c->fenced && usable && c->id_known)
		unfence(c);
	else if (!c->fenced && !usable)
		fence(c);
}

/* ---- joining and leaving ---- */

static int copy_decl(struct cluster_decl *to, const struct cluster_decl *from)
{
	*to = *from;
	to->interface = from->interface ? strdup(from->interface) : NULL;
	to->key_file = from->key_file ? strdup(from->key_file) : NULL;
	to->id = from->id ? strdup(from->id) : NULL;
	to->address = from->address ? strdup(from->address) : NULL;
	to->file = strdup(from->file);
	if ((from->interface && !to->interface) || (from->key_file && !to->key_file) ||
	    (from->id && !to->id) || (from->address && !to->address) || !to->file) {
		cluster_decl_free(to);
		return -1;
	}
	return 0;
}

static int load_keys(struct cluster *c, const char *path, char *err, size_t errlen)
{
	struct wire_keys keys = { 0 };

	if (!path) {
		c->signed_ = false;
		sodium_memzero(&c->keys, sizeof(c->keys));
		return 0;
	}
	if (wire_keys_load(path, &keys, err, errlen) < 0)
		return -1;
	c->keys = keys;
	c->signed_ = true;
	sodium_memzero(&keys, sizeof(keys));
	return 0;
}

void cluster_init(struct cluster *c, struct tend *t, struct directory *dir)
{
	*c = (struct cluster){ .tend = t, .dir = dir, .placement = &bidding_placement };
	c->sock.fd = -1;
	c->link.w.fd = -1;
	timer_init(&c->heartbeat, on_heartbeat_timer);
	timer_init(&c->hold, on_hold_over);
	remote_init(c);
}

static void fixed_id(struct cluster *c)
{
	struct in_addr a;

	if (!c->decl.id || inet_pton(AF_INET, c->decl.id, &a) != 1)
		return;
	c->id = ntohl(a.s_addr);
	c->id_known = true;
	cluster_id_text(c->id, c->id_text, sizeof(c->id_text));
	snprintf(c->dir->this_host, sizeof(c->dir->this_host), "%s", c->id_text);
}

int cluster_open(struct cluster *c, const struct cluster_decl *decl, char *err, size_t errlen)
{
	if (!decl->file)
		return 0;
	/* From here on negotiable groups wait for the cluster, even if joining
	 * fails below: running them unnegotiated could make a second copy. */
	c->tend->placement = true;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "cluster: libsodium cannot start");
		return -1;
	}
	if (copy_decl(&c->decl, decl) < 0) {
		snprintf(err, errlen, "cluster: out of memory");
		return -1;
	}
	if (load_keys(c, c->decl.key_file, err, errlen) < 0 || transport_open(c, err, errlen) < 0)
		goto fail;
	if (getrandom(&c->incarnation, sizeof(c->incarnation), 0) != sizeof(c->incarnation) ||
	    getrandom(&c->rng, sizeof(c->rng), 0) != sizeof(c->rng)) {
		snprintf(err, errlen, "cluster: getrandom: %s", strerror(errno));
		goto fail;
	}
	c->rng |= 1; /* xorshift never leaves 0 */
	c->on = true;
	c->fenced = true; /* until the link is seen usable: then the hold-off */
	fixed_id(c);
	c->link.want_name = c->decl.interface;
	c->link.want_address = c->decl.address;
	c->link.changed = on_link_changed;
	c->link.ctx = c;
	if (link_open(&c->link, &c->tend->loop, &c->tend->log) < 0) {
		snprintf(err, errlen, "cluster: cannot read the interfaces through netlink");
		goto fail;
	}
	negotiation_reconcile(c);
	on_link_changed(c);
	if (c->fenced)
		tend_log(&c->tend->log, LOG_WARN,
			 "cluster: no usable interface%s%s yet: negotiable groups wait for it",
			 c->decl.interface ? " " : "", c->decl.interface ? c->decl.interface : "");
	loop_timer_in(&c->tend->loop, &c->heartbeat, c->decl.heartbeat_ms);
	return 0;
fail:
	cluster_close(c);
	return -1;
}

int cluster_open_simulated(struct cluster *c, const struct cluster_decl *decl,
			   cluster_transmit_fn *transmit, uint32_t incarnation)
{
	c->tend->placement = true;
	if (copy_decl(&c->decl, decl) < 0)
		return -1;
	c->transmit = transmit;
	c->incarnation = incarnation;
	c->rng = (uint64_t)incarnation << 1 | 1;
	c->on = true;
	c->fenced = true;
	fixed_id(c);
	snprintf(c->link.now.name, sizeof(c->link.now.name), "sim0");
	c->link.now.usable = true;
	c->link.changed = on_link_changed;
	c->link.ctx = c;
	negotiation_reconcile(c);
	on_link_changed(c);
	loop_timer_in(&c->tend->loop, &c->heartbeat, c->decl.heartbeat_ms);
	return 0;
}

/* What waits for a restart of tend: joining or leaving, another
 * interface, ID or port; or a cluster that could not be joined at start. */
static bool needs_restart(const struct cluster *c, const struct cluster_decl *decl)
{
	return !c->on || !str_equal(c->decl.interface, decl->interface) ||
	       !str_equal(c->decl.id, decl->id) || c->decl.port != decl->port;
}

/* The new settings, but this run's interface, ID and port. */
static void keep_identity(struct cluster *c, struct cluster_decl *copy)
{
	free(copy->interface);
	free(copy->id);
	copy->interface = c->decl.interface;
	copy->id = c->decl.id;
	copy->port = c->decl.port;
	c->decl.interface = c->decl.id = NULL;
}

int cluster_apply(struct cluster *c, const struct cluster_decl *decl, char *err, size_t errlen)
{
	struct cluster_decl copy;
	bool restart;

	if (!c->decl.file && !decl->file)
		return 0;
	if (!c->decl.file || !decl->file) {
		snprintf(err, errlen,
			 "cluster: joining or leaving a cluster takes effect when tend restarts");
		return 1;
	}
	restart = needs_restart(c, decl);
	if (copy_decl(&copy, decl) < 0) {
		snprintf(err, errlen, "cluster: out of memory");
		return -1;
	}
	if (load_keys(c, copy.key_file, err, errlen) < 0) {
		cluster_decl_free(&copy);
		return -1;
	}
	keep_identity(c, &copy);
	cluster_decl_free(&c->decl);
	c->decl = copy;
	/* the link reads these: they must point into the new copy */
	c->link.want_name = c->decl.interface;
	c->link.want_address = c->decl.address;
	if (!restart)
		return 0;
	snprintf(err, errlen,
		 c->on ? "cluster: another interface, id or port takes effect when tend restarts"
		       : "cluster: not joined at start (see the log): restart tend to join");
	return 1;
}

void cluster_close(struct cluster *c)
{
	if (!c->tend)
		return; /* set-up ended before cluster_init */
	if (c->on) {
		negotiation_release_all(c);
		cluster_leave(c);
	}
	loop_timer_cancel(&c->tend->loop, &c->heartbeat);
	loop_timer_cancel(&c->tend->loop, &c->hold);
	if (c->sock.fd >= 0)
		watcher_close(&c->tend->loop, &c->sock);
	link_close(&c->link, &c->tend->loop);
	c->on = false;
}

void cluster_free(struct cluster *c)
{
	if (!c->tend)
		return;
	cluster_close(c);
	remote_free(c);
	negotiation_free_all(c);
	peers_free(c);
	cluster_decl_free(&c->decl);
	sodium_memzero(&c->keys, sizeof(c->keys));
}

/* Tells the peers this host stops, once: they forget it at once instead of
 * after dead-after, and no bid waits for its ack. After its releases. */
void cluster_leave(struct cluster *c)
{
	struct wire_writer w;

	if (c->left || !c->on)
		return;
	cluster_begin(c, &w, WIRE_LEAVE);
	cluster_send(c, &w, 0);
	c->left = true;
}
