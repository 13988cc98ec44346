/* Other hosts' services in this host's directory (PROTOCOL.md M3): pulled
 * when a peer's heartbeat digest changes, withdrawn when it dies; and this
 * host's own services, digested for the heartbeats and sent when pulled. */
#ifndef TEND_CLUSTER_REMOTE_H
#define TEND_CLUSTER_REMOTE_H
#include <stdint.h>
#include "cluster/wire.h"

struct cluster;
struct peer;

/* The digest and count of the locations this host offers (its own host). */
void remote_own_digest(struct cluster *c, uint64_t *digest, uint32_t *count);
/* A heartbeat from p carried this digest: pull when it is new. */
void remote_heard_digest(struct cluster *c, struct peer *p, const struct wire_msg *m,
			 uint32_t from_addr);
/* A PULL from p for this host: answer with every own location (once a
 * heartbeat per peer at most). */
void remote_answer_pull(struct cluster *c, struct peer *p, const struct wire_msg *m,
			uint32_t from_addr);
/* A part of a peer's SERVICES answer. */
void remote_take_services(struct cluster *c, struct peer *p, const struct wire_msg *m);
/* p is dead, rebooted or forgotten: its locations leave the directory. */
void remote_withdraw(struct cluster *c, struct peer *p);
void remote_init(struct cluster *c);
/* Frees what is gathered and held (tend stops). */
void remote_free(struct cluster *c);
#endif
