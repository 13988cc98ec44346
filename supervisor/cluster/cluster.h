/* The cluster: tend's peers on the cluster interface, the negotiable groups
 * placed among them, and their services in the directory
 * (supervisor/cluster/PROTOCOL.md). One struct cluster, held by the daemon;
 * it subscribes to the core's bus and steps groups from the loop's hooks,
 * timers and its socket, never while an event is being delivered. */
#ifndef TEND_CLUSTER_H
#define TEND_CLUSTER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/buf.h"
#include "base/timer.h"
#include "cluster/keys.h"
#include "cluster/link.h"
#include "cluster/placement.h"
#include "cluster/replay.h"
#include "cluster/wire.h"
#include "config/config.h"
#include "core/bus.h"
#include "sys/loop.h"

struct tend;
struct directory;
struct location;

#define CLUSTER_PEERS_MAX 256  /* peers kept; then the longest dead is forgotten */
#define CLUSTER_PARTS_MAX 8    /* datagrams of one heartbeat round */
#define BID_RETRY_FIRST_MS 100 /* bids are sent again after this, doubling */
#define BID_RETRY_MAX_MS 1000

enum peer_state { PEER_ALIVE, PEER_DEAD };

struct peer {
	uint32_t id;
	uint32_t incarnation;
	enum peer_state state;
	uint64_t last_heard_ms;
	uint64_t since_ms; /* when it entered its state */
	struct replay_window replay;
	struct timer dead; /* silent for dead-after */
	struct cluster *cluster;
	/* The heartbeat round being gathered. */
	uint32_t round;
	uint8_t parts, parts_seen; /* parts_seen: a bit per part */
	bool round_started;
	/* The groups it said it runs in its last complete round. */
	char (*runs)[NAME_MAX_LEN + 1];
	size_t nruns, runs_cap, nruns_next;
	char (*runs_next)[NAME_MAX_LEN + 1];
	/* Its services (remote.c): the digest of what the directory holds of
	 * it, and the answer to a pull being gathered. */
	uint64_t services_digest;
	bool services_known;
	uint64_t pulled_ms;   /* when this host last asked */
	uint64_t answered_ms; /* when this host last answered its pull */
	struct remote_gather {
		bool active;
		uint32_t round;
		uint64_t digest;
		uint8_t parts;
		uint32_t seen[(WIRE_SERVICE_PARTS_MAX + 31) / 32]; /* a bit per part */
		struct location **locs;
		size_t n, cap;
	} gather;
};

/* A peer's declared location that left its answer: kept a little, so that
 * the same service arriving from the host that takes the group over is a
 * move, not a remove and an add (remote.c). */
struct leaving_location {
	struct location *loc; /* a reference */
	uint64_t until_ms;
};

/* The negotiation of one negotiable group on this host (negotiation.c). */
enum neg_state {
	NS_IDLE,  /* not wanted here, or waiting to bid (hold-off, a promise, no link) */
	NS_WATCH, /* another host runs it, or a better bidder is expected to */
	NS_BID,	  /* bidding: waiting for every alive peer's ack */
	NS_OWN,	  /* this host runs it */
	NS__COUNT
};

struct negotiation {
	char name[NAME_MAX_LEN + 1];
	enum neg_state state;
	uint64_t term;	      /* the highest seen */
	bool has_owner;	      /* owner is meaningful */
	uint32_t owner;	      /* a peer's ID, or this host's when NS_OWN */
	uint32_t owner_round; /* the owner's last round that listed it */
	bool owner_round_known;
	bool stopped;	      /* stopped cluster-wide at term */
	bool failed_here;     /* its copy failed here: no bid until `tendctl start` */
	bool started;	      /* `tendctl start` here: wanted even without autostart */
	bool handing_over;    /* `tendctl release`: stopping here, then released */
	bool yielded;	      /* released by `tendctl release`: no bid while others have it */
	bool yield_taken;     /* ... and another host took it since */
	bool start_requested; /* `tendctl start` here, not yet run anywhere */
	bool present;	      /* still declared (negotiation_reconcile) */
	/* A promise: an ack given to a bidder. */
	uint64_t promise_term;
	uint32_t promise_to;
	uint64_t promise_until_ms;
	uint64_t wait_until_ms; /* NS_WATCH after a counter-bid: until then */
	/* NS_BID */
	uint64_t bid_term;
	uint16_t rank;
	bool rebid; /* a STALE answer: the next send is a bid with a new term */
	uint32_t *acks;
	size_t nacks, acks_cap;
	uint64_t retry_ms;
	struct timer retry; /* the bid's next send; in other states: look again */
	struct cluster *cluster;
};

/* Datagrams dropped, by reason (enum wire_drop), and other counters. */
struct cluster_counters {
	uint64_t dropped[WD__COUNT];
	uint64_t sent, received, send_errors;
	uint64_t peers_forgotten, peers_refused;
	uint64_t foreign; /* arrived through another interface: ignored */
};

/* Sends one finished datagram (to 0: broadcast); the seam unit tests
 * replace to run several hosts in one process. */
typedef void cluster_transmit_fn(struct cluster *c, const uint8_t *buf, size_t len, uint32_t to);

struct cluster {
	struct tend *tend;
	cluster_transmit_fn *transmit; /* NULL: the UDP socket */
	struct directory *dir;
	struct cluster_decl decl; /* a copy (its own strings); decl.file NULL: off */
	const struct placement_ops *placement;
	bool on;
	uint32_t id; /* host byte order */
	char id_text[16];
	uint32_t incarnation;
	uint32_t seq;
	uint32_t round;
	struct wire_keys keys;
	bool signed_;
	struct watcher sock;
	struct timer heartbeat;
	struct timer hold; /* the hold-off's end */
	uint64_t hold_until_ms;
	bool fenced; /* the link is lost: nothing runs here as owner, nothing is sent */
	bool left;   /* tend is stopping and told its peers (LEAVE): nothing more is sent */
	struct cluster_link link;
	struct peer **peers;
	size_t npeers, peers_cap;
	struct negotiation **negs;
	size_t nnegs, negs_cap;
	bool work_due; /* the bus asked for work after the batch (cluster_after_events) */
	struct cluster_counters counters;
	uint64_t last_drop_log_ms;
	uint64_t rng;
	bool id_known;
	/* remote.c: this host's own services, digested once per change */
	uint64_t own_digest;
	uint32_t own_count;
	uint64_t own_digest_at; /* the journal index it was computed at; 0: never */
	uint32_t services_round;
	struct leaving_location *leaving;
	size_t nleaving, leaving_cap;
	struct timer leaving_timer;
};

/* Wires c to the core; opens nothing. */
void cluster_init(struct cluster *c, struct tend *t, struct directory *dir);
/* Joins the cluster that decl describes (decl->file NULL: none; nothing is
 * opened and negotiable groups run as ordinary ones). 0, or -1 with a
 * message in err. */
int cluster_open(struct cluster *c, const struct cluster_decl *decl, char *err, size_t errlen);
/* A reload: new settings (the key file is read again). 0; -1 with err (a
 * bad key file: the cluster keeps its old settings); 1 with err saying
 * what waits for a restart of tend (another interface, id or port, or
 * joining or leaving), the rest applied. */
int cluster_apply(struct cluster *c, const struct cluster_decl *decl, char *err, size_t errlen);
/* For unit tests: joins with `transmit` instead of a socket and no
 * interface (the link is taken as usable; decl->id is the ID). The test
 * delivers datagrams with cluster_receive and flips c->link.now.usable,
 * then calls c->link.changed(c->link.ctx). */
int cluster_open_simulated(struct cluster *c, const struct cluster_decl *decl,
			   cluster_transmit_fn *transmit, uint32_t incarnation);
/* One datagram that arrived from address `from`. */
void cluster_receive(struct cluster *c, const uint8_t *buf, size_t len, uint32_t from);
/* Leaving: releases what runs here, closes everything. */
void cluster_close(struct cluster *c);
void cluster_free(struct cluster *c);

/* Bus subscriber (daemon/wiring.c): group states of negotiable groups. */
void cluster_on_event(void *ctx, const struct bus_event *ev);
/* Loop hook: the releases and re-evaluations the bus asked for. */
void cluster_after_events(void *ctx);

/* `tendctl peers` (text and JSON). */
void cluster_peers_text(struct cluster *c, struct buf *out);
void cluster_peers_json(struct cluster *c, struct buf *out);
/* The total of dropped datagrams (status). */
uint64_t cluster_dropped_total(const struct cluster *c);

/* ---- inside the layer ---- */
uint64_t cluster_now(struct cluster *c);
/* A pseudo-random number (xorshift, seeded at open): bid jitter. */
uint64_t cluster_random(struct cluster *c);
/* Sends a datagram: broadcast (to == 0) or to one peer. */
void cluster_send(struct cluster *c, struct wire_writer *w, uint32_t to);
/* Starts a datagram with the next sequence number. */
void cluster_begin(struct cluster *c, struct wire_writer *w, enum wire_type type);
/* Tells the peers this host stops (LEAVE), once; nothing is sent after. */
void cluster_leave(struct cluster *c);
/* A heartbeat round now (after becoming owner, say). */
void cluster_heartbeat_now(struct cluster *c);
/* May this host bid now: on, not fenced, the hold-off over. */
bool cluster_may_bid(const struct cluster *c);
void cluster_id_text(uint32_t id, char *out, size_t len);

/* transport.c: the UDP socket. */
int transport_open(struct cluster *c, char *err, size_t errlen);
void transport_send(struct cluster *c, const uint8_t *buf, size_t len, uint32_t to);

/* peers.c */
struct peer *peer_find(struct cluster *c, uint32_t id);
/* The peer that sent m, created or renewed; NULL when it must be dropped
 * (*drop says why). Tells the negotiations of a reboot. */
struct peer *peer_heard(struct cluster *c, const struct wire_msg *m, enum wire_drop *drop);
bool peer_alive(const struct peer *p);
size_t cluster_alive_count(const struct cluster *c);
/* A heartbeat part: gathers p's round; a complete one goes to the
 * negotiations (H3). */
void peer_take_round(struct peer *p, const struct wire_msg *m);
void peers_all_dead(struct cluster *c);
/* p said it stops (LEAVE): dead now, not after dead-after. */
void peer_left(struct cluster *c, struct peer *p);
void peers_free(struct cluster *c);
const char *peer_state_name(enum peer_state s);

/* negotiation.c */
struct negotiation *negotiation_find(struct cluster *c, const char *name);
/* Machines for every negotiable group declared; drops those gone. */
void negotiation_reconcile(struct cluster *c);
void negotiation_on_message(struct cluster *c, const struct wire_msg *m, uint32_t from_addr);
void negotiation_peer_gone(struct cluster *c, uint32_t id);	 /* dead, or rebooted */
void negotiation_owner_round(struct cluster *c, struct peer *p); /* a complete round */
void negotiation_evaluate_all(struct cluster *c);
/* Stops a copy up here that this host does not own (after the batch). */
void negotiation_stop_strays(struct cluster *c);
void negotiation_fence(struct cluster *c);
void negotiation_release_all(struct cluster *c); /* tend stops */
/* The copy here ended, not at the negotiation's asking: released (it steps
 * no group, so it may be called while an event is delivered). */
void negotiation_local_down(struct cluster *c, struct negotiation *n, bool failed);
/* `tendctl start`, `stop` and `release` of the group here. */
enum neg_request { NR_START, NR_STOP, NR_HANDOVER };
void negotiation_request(struct cluster *c, struct negotiation *n, enum neg_request r);
void negotiation_free_all(struct cluster *c);
const char *neg_state_name(enum neg_state s);
#endif
