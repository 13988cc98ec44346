/* Between the core and the negotiations: the bus subscriber and loop hook
 * through which the cluster learns what happened to negotiable groups here,
 * and the placement interface (placement.h) as this protocol answers it. */
#include "cluster/cluster.h"
#include "core/context.h"
#include "core/group.h"

static bool runs_any(const struct cluster *c)
{
	for (size_t i = 0; i < c->nnegs; i++)
		if (c->negs[i]->state == NS_OWN)
			return true;
	return false;
}

/* A copy here that stops or fails while this host owns the group is
 * released; what that makes possible (a bid elsewhere, a reconcile after a
 * reload) is looked at after the batch, when groups may be stepped. */
void cluster_on_event(void *ctx, const struct bus_event *ev)
{
	struct cluster *c = ctx;
	struct negotiation *n;

	if (!c->on)
		return;
	if (ev->kind != BUS_GROUP_STATE) {
		c->work_due = true; /* a reload or a group gone: reconcile */
		return;
	}
	if (!ev->group->decl.negotiable ||
	    tend_find_group(c->tend, ev->group->decl.name) != ev->group)
		return; /* a retiring declaration: its successor carries on */
	n = negotiation_find(c, ev->group->decl.name);
	if (n && n->state == NS_OWN &&
	    (ev->group->state == GS_STOPPED || ev->group->state == GS_FAILED)) {
		/* Released now, not after the batch: a tend that is shutting
		 * down may not see another batch. A release steps no group. */
		negotiation_local_down(c, n, ev->group->state == GS_FAILED);
		c->work_due = true;
	}
	if (c->tend->shutting_down && !runs_any(c))
		cluster_leave(c);
}

void cluster_after_events(void *ctx)
{
	struct cluster *c = ctx;

	if (!c->on || !c->work_due)
		return;
	c->work_due = false;
	negotiation_reconcile(c);
	negotiation_stop_strays(c);
	negotiation_evaluate_all(c);
}

/* ---- placement through this protocol ---- */

static struct negotiation *placed(struct cluster *c, struct group *g, const char **why)
{
	struct negotiation *n = c->on ? negotiation_find(c, g->decl.name) : NULL;

	if (!n)
		*why = "not placed by the cluster";
	return n;
}

static int bidding_start(struct cluster *c, struct group *g, const char **why)
{
	struct negotiation *n = placed(c, g, why);

	if (!n)
		return -1;
	negotiation_request(c, n, NR_START);
	return 0;
}

static int bidding_stop(struct cluster *c, struct group *g, const char **why)
{
	struct negotiation *n = placed(c, g, why);

	if (!n)
		return -1;
	negotiation_request(c, n, NR_STOP);
	return 0;
}

static int bidding_release(struct cluster *c, struct group *g, const char **why)
{
	struct negotiation *n = placed(c, g, why);

	if (!n)
		return -1;
	if (n->state != NS_OWN) {
		*why = "this host does not run it";
		return -1;
	}
	negotiation_request(c, n, NR_HANDOVER);
	return 0;
}

static void bidding_view(struct cluster *c, const char *group, struct placement_view *out)
{
	struct negotiation *n = c->on ? negotiation_find(c, group) : NULL;

	*out = (struct placement_view){ 0 };
	if (!n)
		return;
	out->known = true;
	out->here = n->state == NS_OWN;
	out->has_owner = n->has_owner;
	out->owner = n->owner;
	out->term = n->term;
	out->stopped = n->stopped;
	out->failed_here = n->failed_here;
	out->state = neg_state_name(n->state);
}

const struct placement_ops bidding_placement = {
	.name = "bidding",
	.start = bidding_start,
	.stop = bidding_stop,
	.release = bidding_release,
	.view = bidding_view,
};
