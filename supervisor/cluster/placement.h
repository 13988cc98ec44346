/* Where a negotiable group runs is decided by a placement engine. The rest
 * of tend (the control socket, the daemon) asks through this interface
 * only, so that a second engine (corosync's CPG and votequorum, for users
 * who need quorum) can be added beside the peer protocol without touching
 * them. Today there is one: the bidding of PROTOCOL.md (negotiation.c). */
#ifndef TEND_PLACEMENT_H
#define TEND_PLACEMENT_H
#include <stdbool.h>
#include <stdint.h>
#include "base/buf.h"

struct cluster;
struct group;

/* Who runs a group, as the engine knows it. */
struct placement_view {
	bool known;	   /* the group is negotiable and placed by the engine */
	bool here;	   /* this host runs it */
	bool has_owner;	   /* some host runs it */
	uint32_t owner;	   /* its ID when has_owner */
	uint64_t term;	   /* the group's term */
	bool stopped;	   /* stopped cluster-wide */
	bool failed_here;  /* failed on this host: not bid for until started */
	const char *state; /* the engine's word for its state here */
};

struct placement_ops {
	const char *name;
	/* `tendctl start GROUP`: run it somewhere (here if the engine picks
	 * here). 0, or -1 with *why (static text). */
	int (*start)(struct cluster *c, struct group *g, const char **why);
	/* `tendctl stop GROUP`: stopped everywhere until started again. */
	int (*stop)(struct cluster *c, struct group *g, const char **why);
	/* `tendctl release GROUP`: a planned handover; this host stops its
	 * copy and lets another take it at once. */
	int (*release)(struct cluster *c, struct group *g, const char **why);
	void (*view)(struct cluster *c, const char *group, struct placement_view *out);
};

extern const struct placement_ops bidding_placement;
#endif
