/* The cluster's requests: `peers`, `release`, and what start, stop and
 * restart mean for a negotiable group, which runs where the cluster's
 * placement puts it (cluster/placement.h), not where it was asked. */
#include <stdio.h>
#include <string.h>
#include "cluster/cluster.h"
#include "control/commands.h"
#include "control/server.h"
#include "core/context.h"

void cmd_peers(struct tend *t, struct client *c, char **argv)
{
	struct buf out = { 0 };
	bool json = argv[1] && strcmp(argv[1], "--json") == 0;

	(void)t;
	if ((argv[1] && !json) || (argv[1] && argv[2]))
		return client_err(c, "usage: peers [--json]");
	if (!c->ctl->cluster)
		return client_err(c, "no cluster here");
	(json ? cluster_peers_json : cluster_peers_text)(c->ctl->cluster, &out);
	client_reply_buf(c, &out);
}

/* " runs on ID", " runs here", " is stopped everywhere", or " is being negotiated". */
static void where(struct cluster *cl, const struct group *g, char *out, size_t len)
{
	struct placement_view v;
	char id[16];

	cl->placement->view(cl, g->decl.name, &v);
	cluster_id_text(v.owner, id, sizeof(id));
	if (v.here)
		snprintf(out, len, "runs here (term %llu)", (unsigned long long)v.term);
	else if (v.has_owner)
		snprintf(out, len, "runs on %s (term %llu)", id, (unsigned long long)v.term);
	else if (v.stopped)
		snprintf(out, len, "is stopped on every host");
	else
		snprintf(out, len, "is being negotiated");
}

/* `tendctl release GROUP`: a planned handover to another host. */
void cmd_release(struct tend *t, struct client *c, char **argv)
{
	struct cluster *cl = c->ctl->cluster;
	struct group *g;
	const char *why = NULL;

	if (!argv[1] || argv[2])
		return client_err(c, "usage: release GROUP");
	if (!(g = tend_find_group(t, argv[1])))
		return client_err(c, "no such group: %s", argv[1]);
	if (!cl || !group_placed(t, g))
		return client_err(c, "group %s is not negotiable in a cluster", argv[1]);
	tend_log(&t->log, LOG_INFO, "control: release %s (uid %d)", argv[1], (int)c->uid);
	if (cl->placement->release(cl, g, &why) < 0)
		return client_err(c, "group %s: %s", argv[1], why);
	client_ok(c, "group %s: stopping here; a peer takes it over", argv[1]);
}

bool placed_request(struct tend *t, struct client *c, struct group *g, const struct process *p,
		    enum place_verb v)
{
	struct cluster *cl = c->ctl->cluster;
	struct placement_view view;
	const char *why = NULL;
	char text[96];

	cl->placement->view(cl, g->decl.name, &view);
	if (!view.known && v != PLACE_STOP) {
		/* placed, but not by a running cluster: it could not be joined */
		client_err(c, "group %s is negotiable and the cluster is not joined (see tend's "
			      "log): it does not run here",
			   g->decl.name);
		return true;
	}
	if (!view.known)
		return false;
	if (p || v == PLACE_RESTART) { /* only where it runs */
		if (view.here)
			return false;
		where(cl, g, text, sizeof(text));
		client_err(c, "group %s %s: %s it there", g->decl.name, text,
			   v == PLACE_STOP ? "stop" : v == PLACE_START ? "start" : "restart");
		return true;
	}
	tend_log(&t->log, LOG_INFO, "control: %s %s (uid %d, cluster-wide)",
		 v == PLACE_START ? "start" : "stop", g->decl.name, (int)c->uid);
	if ((v == PLACE_START ? cl->placement->start : cl->placement->stop)(cl, g, &why) < 0) {
		client_err(c, "group %s: %s", g->decl.name, why);
		return true;
	}
	if (v == PLACE_STOP && view.here) { /* answered once the copy here is down */
		c->wait = (struct client_wait){ .group = g, .want_up = false, .active = true };
		wait_settled(c);
		return true;
	}
	where(cl, g, text, sizeof(text));
	client_ok(c, "group %s %s", g->decl.name, text);
	return true;
}
