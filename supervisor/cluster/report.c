/* What `tendctl peers` shows: this host, each peer, each negotiable group
 * as this host sees it, and the datagrams dropped by reason. */
#include <stdio.h>
#include <string.h>
#include "base/json.h"
#include "cluster/cluster.h"

uint64_t cluster_dropped_total(const struct cluster *c)
{
	uint64_t n = 0;

	for (int i = WD_OK + 1; i < WD__COUNT; i++)
		n += c->counters.dropped[i];
	return n;
}

static uint64_t ago(struct cluster *c, uint64_t when)
{
	uint64_t now = cluster_now(c);

	return now > when ? now - when : 0;
}

static const char *link_word(const struct cluster *c)
{
	return c->fenced ? "fenced" : cluster_may_bid(c) ? "up" : "holding-off";
}

void cluster_peers_text(struct cluster *c, struct buf *out)
{
	char id[16];

	if (!c->on) {
		buf_puts(out, "no cluster: conf.d has no cluster section\n");
		return;
	}
	buf_printf(
	    out, "this %s incarnation %08x interface %s %s heartbeat %llums dead-after %llums%s\n",
	    c->id_known ? c->id_text : "(unknown)", c->incarnation,
	    c->link.now.name[0] ? c->link.now.name : "(none)", link_word(c),
	    (unsigned long long)c->decl.heartbeat_ms, (unsigned long long)c->decl.dead_after_ms,
	    c->signed_ ? " signed" : "");
	for (size_t i = 0; i < c->npeers; i++) {
		const struct peer *p = c->peers[i];
		cluster_id_text(p->id, id, sizeof(id));
		buf_printf(out, "peer %s %s heard %llums ago incarnation %08x runs", id,
			   peer_state_name(p->state), (unsigned long long)ago(c, p->last_heard_ms),
			   p->incarnation);
		for (size_t k = 0; peer_alive(p) && k < p->nruns; k++)
			buf_printf(out, "%s%s", k ? "," : " ", p->runs[k]);
		buf_puts(out, peer_alive(p) && p->nruns ? "\n" : " -\n");
	}
	for (size_t i = 0; i < c->nnegs; i++) {
		const struct negotiation *n = c->negs[i];
		if (n->has_owner)
			cluster_id_text(n->owner, id, sizeof(id));
		buf_printf(out, "group %s %s owner %s term %llu%s%s\n", n->name,
			   neg_state_name(n->state), n->has_owner ? id : "-",
			   (unsigned long long)n->term, n->stopped ? " stopped" : "",
			   n->failed_here ? " failed-here" : "");
	}
	buf_puts(out, "dropped");
	for (int i = WD_OK + 1; i < WD__COUNT; i++)
		buf_printf(out, " %s %llu", wire_drop_name(i),
			   (unsigned long long)c->counters.dropped[i]);
	buf_puts(out, "\n");
}

static void peer_json(struct cluster *c, struct buf *out, const struct peer *p)
{
	char id[16];

	cluster_id_text(p->id, id, sizeof(id));
	buf_puts(out, "{\"id\":");
	json_str(out, id);
	buf_printf(out, ",\"state\":\"%s\",\"last_heard_ms\":%llu,\"incarnation\":%u,\"runs\":[",
		   peer_state_name(p->state), (unsigned long long)ago(c, p->last_heard_ms),
		   p->incarnation);
	for (size_t k = 0; peer_alive(p) && k < p->nruns; k++) {
		if (k)
			buf_puts(out, ",");
		json_str(out, p->runs[k]);
	}
	buf_puts(out, "]}");
}

static void group_json(struct buf *out, const struct negotiation *n)
{
	char id[16];

	buf_puts(out, "{\"name\":");
	json_str(out, n->name);
	buf_printf(out, ",\"state\":\"%s\",\"owner\":", neg_state_name(n->state));
	if (n->has_owner) {
		cluster_id_text(n->owner, id, sizeof(id));
		json_str(out, id);
	} else {
		buf_puts(out, "null");
	}
	buf_printf(out, ",\"term\":%llu,\"stopped\":%s,\"failed_here\":%s}",
		   (unsigned long long)n->term, n->stopped ? "true" : "false",
		   n->failed_here ? "true" : "false");
}

void cluster_peers_json(struct cluster *c, struct buf *out)
{
	if (!c->on) {
		buf_puts(out, "{\"cluster\":false}\n");
		return;
	}
	buf_puts(out, "{\"cluster\":true,\"id\":");
	if (c->id_known)
		json_str(out, c->id_text);
	else
		buf_puts(out, "null");
	buf_printf(out, ",\"incarnation\":%u,\"interface\":", c->incarnation);
	json_str(out, c->link.now.name);
	buf_printf(
	    out, ",\"link\":\"%s\",\"signed\":%s,\"heartbeat_ms\":%llu,\"dead_after_ms\":%llu",
	    link_word(c), c->signed_ ? "true" : "false", (unsigned long long)c->decl.heartbeat_ms,
	    (unsigned long long)c->decl.dead_after_ms);
	buf_puts(out, ",\"peers\":[");
	for (size_t i = 0; i < c->npeers; i++) {
		if (i)
			buf_puts(out, ",");
		peer_json(c, out, c->peers[i]);
	}
	buf_puts(out, "],\"groups\":[");
	for (size_t i = 0; i < c->nnegs; i++) {
		if (i)
			buf_puts(out, ",");
		group_json(out, c->negs[i]);
	}
	buf_printf(out, "],\"sent\":%llu,\"received\":%llu,\"dropped\":{",
		   (unsigned long long)c->counters.sent, (unsigned long long)c->counters.received);
	for (int i = WD_OK + 1; i < WD__COUNT; i++)
		buf_printf(out, "%s\"%s\":%llu", i > WD_OK + 1 ? "," : "", wire_drop_name(i),
			   (unsigned long long)c->counters.dropped[i]);
	buf_puts(out, "}}\n");
}
