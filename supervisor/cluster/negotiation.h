/* Inside the cluster layer: the negotiation of one group as a transition
 * function (negotiation.c), which negotiations.c drives for every
 * negotiable group with what arrives and what happens here. */
#ifndef TEND_CLUSTER_NEGOTIATION_H
#define TEND_CLUSTER_NEGOTIATION_H
#include <stdbool.h>
#include <stdint.h>
#include "cluster/cluster.h"

enum neg_event {
	NE_EVALUATE,   /* something changed: bid if the time has come */
	NE_TIMER,      /* the retry timer: send the bid again, or look again */
	NE_BID,	       /* a peer's BID */
	NE_ANSWER,     /* an ANSWER to this host */
	NE_OWNER,      /* a heartbeat: the sender runs it */
	NE_STOPPED,    /* a heartbeat's STOPPED, or a RELEASE with STOPPED */
	NE_RELEASED,   /* the owner let it go (a RELEASE, or its round without it) */
	NE_PEER_GONE,  /* a peer died or rebooted */
	NE_START,      /* `tendctl start` here */
	NE_STOP,       /* `tendctl stop` here */
	NE_HANDOVER,   /* `tendctl release` here */
	NE_LOCAL_DOWN, /* its copy here stopped or failed, not at our asking */
	NE_FENCE,      /* the own link is lost */
	NE_LEAVE,      /* tend stops, or the group is no longer declared */
};

/* What an event carries. */
struct neg_input {
	const struct wire_msg *msg;
	const struct wire_group *grp; /* the message's entry for this group */
	uint32_t from_addr;	      /* the sender's address, for answers */
	uint32_t peer;		      /* NE_PEER_GONE */
	bool failed;		      /* NE_LOCAL_DOWN */
};

/* The one transition function. */
void negotiation_step(struct cluster *c, struct negotiation *n, enum neg_event ev,
		      const struct neg_input *in);
void negotiation_timer_init(struct negotiation *n);
void negotiation_disarm(struct cluster *c, struct negotiation *n);
/* A bid for a group this host does not declare: acked, with no state kept
 * (this host never runs it, so it must not hold the bid up). */
void negotiation_ack_undeclared(struct cluster *c, const struct wire_msg *m,
				const struct wire_group *grp, uint32_t from_addr);
#endif
