/* The peer protocol's datagrams (PROTOCOL.md, "Messages"): decoded into a
 * struct wire_msg that callers can trust in every field, and written by a
 * struct wire_writer. Pure functions: no allocation, no system calls;
 * besides config/'s checkers, they use only libsodium's HMAC-SHA256 (see
 * keys.h on initialising it).
 *
 * Where PROTOCOL.md leaves a choice open, the decoder is strict, so that a
 * datagram it accepts has one meaning:
 *   - a known field in a message type that does not carry it (the "in"
 *     column) is malformed, as is a single field given twice, a second
 *     GROUP outside heartbeats, and one group named twice in a heartbeat;
 *   - OWNER is present in an ANSWER exactly when its code is RUNNING;
 *   - a GROUP's name is a valid_name() (config.h: it does not start with
 *     '.' or '-'), since it names a group of conf.d; its status is 1-3 in
 *     every message type, although only a heartbeat gives it a meaning;
 *   - a SERVICE's fields must pass the checks a registration passes
 *     (config/service.c); its host is at most WIRE_HOST_MAX bytes, and no
 *     length-prefixed string may contain a NUL byte;
 *   - with no keys configured, a datagram with a key number other than 0
 *     is dropped (WD_UNKNOWN_KEY) rather than accepted unchecked: a MAC no
 *     one checks would only look like security;
 *   - the flags byte is ignored (reserved), the header's type must be 1-6.
 * The encoder refuses (WIRE_PUT_INVALID) what the decoder would refuse, so
 * that what tend sends, tend accepts. */
#ifndef TEND_CLUSTER_WIRE_H
#define TEND_CLUSTER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct wire_keys; /* cluster/keys.h */

#define WIRE_MAGIC 0x5444 /* "TD" */
#define WIRE_VERSION 1
#define WIRE_MAX 1400 /* bytes in a datagram, at most */
#define WIRE_HEADER 20
#define WIRE_MAC 32		   /* HMAC-SHA256, after the body when the key number is not 0 */
#define WIRE_FIELD_HEADER 4	   /* a field's type (2) and length (2) */
#define WIRE_PARTS_MAX 8	   /* parts of one heartbeat round */
#define WIRE_SERVICE_PARTS_MAX 255 /* parts of one SERVICES answer */
#define WIRE_HOST_MAX 45	   /* the longest IPv6 literal (INET6_ADDRSTRLEN - 1) */
/* The smallest GROUP field: term, status, name length and a 1-byte name. */
#define WIRE_GROUP_FIELD_MIN (WIRE_FIELD_HEADER + 8 + 1 + 1 + 1)
/* More groups than this cannot fit one datagram, signed or not. */
#define WIRE_GROUPS_MAX ((WIRE_MAX - WIRE_HEADER) / WIRE_GROUP_FIELD_MIN)
/* A service's context entries, each followed by its NUL. */
#define WIRE_CONTEXT_SPACE (SERVICE_CONTEXT_BYTES + SERVICE_CONTEXT_MAX)

enum wire_type {
	WIRE_HEARTBEAT = 1,
	WIRE_BID,
	WIRE_ANSWER,
	WIRE_RELEASE,
	WIRE_PULL,
	WIRE_SERVICES,
	WIRE_LEAVE, /* the sender stops: forget it now, do not wait for it */
};

/* The most parts a round of this type may have: a SERVICES answer carries
 * a whole directory, a heartbeat round only the groups. The decoder and
 * the writer both hold to it. */
static inline unsigned wire_parts_max(enum wire_type type)
{
	return type == WIRE_SERVICES ? WIRE_SERVICE_PARTS_MAX : WIRE_PARTS_MAX;
}

/* The body's field types. */
enum wire_field {
	WF_GROUP = 1,
	WF_ROUND,
	WF_DIGEST,
	WF_RANK,
	WF_ANSWER,
	WF_TARGET,
	WF_OWNER,
	WF_STOPPED,
	WF_SERVICE,
};

/* A GROUP's status (what it means in a heartbeat). */
enum wire_group_status { WG_OWNER = 1, WG_BIDDING, WG_STOPPED };

/* An ANSWER's code. */
enum wire_answer { WA_ACK = 1, WA_RUNNING, WA_COUNTER, WA_STALE };

/* Why a datagram is dropped: one counter each in `tendctl peers`. */
enum wire_drop {
	WD_OK = 0,
	WD_SHORT,	      /* shorter than the header */
	WD_OVERSIZE,	      /* longer than WIRE_MAX */
	WD_MAGIC,	      /* not 0x5444 */
	WD_VERSION,	      /* not version 1 */
	WD_LENGTH,	      /* header + body length + MAC is not the datagram's length */
	WD_MALFORMED,	      /* the type or a field is wrong, or a required field missing */
	WD_NO_MAC,	      /* unsigned, while we have keys */
	WD_UNKNOWN_KEY,	      /* a key number we do not have (any, when we have none) */
	WD_BAD_MAC,	      /* the MAC does not match */
	WD_REPLAY,	      /* seen already, or older than the window (replay.h) */
	WD_OWN,		      /* our own datagram, looped back (decided by the caller) */
	WD_STALE_INCARNATION, /* an earlier boot of the sender (replay.h) */
	WD__COUNT,
};

/* Short stable names: "short", "oversize", ..., "old-incarnation". */
const char *wire_drop_name(enum wire_drop drop);
/* "heartbeat", "bid", "answer", "release", "pull", "services"; "?". */
const char *wire_type_name(enum wire_type type);

struct wire_group {
	uint64_t term;
	uint8_t status; /* enum wire_group_status */
	char name[NAME_MAX_LEN + 1];
};

/* A decoded datagram. Fields a type does not carry are 0. */
struct wire_msg {
	/* the header */
	enum wire_type type;
	uint32_t sender;
	uint32_t incarnation;
	uint32_t seq;
	uint8_t key_number; /* 0: unsigned */
	/* ROUND (HEARTBEAT, SERVICES): part < parts <= wire_parts_max(type) */
	uint32_t round;
	uint8_t part;
	uint8_t parts;
	/* DIGEST (HEARTBEAT, SERVICES) */
	uint64_t digest;
	uint32_t locations;
	uint16_t rank;		 /* BID */
	enum wire_answer answer; /* ANSWER */
	uint32_t target;	 /* ANSWER, PULL: whom it is for */
	uint32_t owner;		 /* ANSWER with WA_RUNNING */
	bool stopped;		 /* RELEASE: stopped cluster-wide */
	/* GROUP fields in datagram order: any number in a heartbeat, exactly
	 * one in BID, ANSWER and RELEASE. */
	unsigned ngroups;
	struct wire_group groups[WIRE_GROUPS_MAX];
	/* SERVICES: how many SERVICE fields; walk them with wire_next_service. */
	unsigned nservices;
	/* The body inside the buffer given to wire_decode, which must outlive
	 * the walk of its services. */
	const uint8_t *body;
	size_t body_len;
};

/* Checks and decodes the datagram buf[0..len) into *out. Without keys
 * (keys NULL or keys->n 0) only unsigned datagrams are accepted; with keys,
 * only datagrams whose MAC matches one of them, checked before any field
 * of the body is read. Every field is validated here, so that callers can
 * trust all of *out. Returns WD_OK, or why the datagram is dropped (never
 * WD_REPLAY, WD_OWN or WD_STALE_INCARNATION, which are callers' verdicts).
 * On a drop, *out holds the header's fields as far as they were read
 * (unauthenticated) and nothing else. */
enum wire_drop wire_decode(const uint8_t *buf, size_t len, const struct wire_keys *keys,
			   struct wire_msg *out);

/* One location of a SERVICES datagram. */
struct wire_service {
	char name[SERVICE_NAME_MAX + 1]; /* valid_service_name() */
	char host[WIRE_HOST_MAX + 1];	 /* an address literal; "": the sender's ID */
	char path[SERVICE_PATH_MAX + 1]; /* PROTO_UNIX: an absolute path; else "" */
	uint16_t port;			 /* 0: none */
	enum service_proto proto;
	unsigned ncontext; /* entries in context, at most SERVICE_CONTEXT_MAX */
	uint16_t context_at[SERVICE_CONTEXT_MAX]; /* where each entry starts in context */
	char context[WIRE_CONTEXT_SPACE];	  /* "key=value" entries, each NUL-terminated */
	char group[NAME_MAX_LEN + 1]; /* the declaring group and process; "": registered */
	char process[NAME_MAX_LEN + 1];
	bool mobile; /* the group is negotiable: the service moves with it */
};

/* The next SERVICE of a message wire_decode accepted, from *cursor (0 for
 * the first) on; advances *cursor. False when there is none left. */
bool wire_next_service(const struct wire_msg *m, size_t *cursor, struct wire_service *out);

/* Points ctx[0..s->ncontext) at s's context entries and ends it with NULL,
 * as config/config.h's context vectors are; returns ctx. */
char *const *wire_service_context(struct wire_service *s, char *ctx[SERVICE_CONTEXT_MAX + 1]);

/* ---- writing ---- */

/* A datagram being written. The fields are added in the order they are
 * put; room for a MAC is always kept, so that the datagram fits whether
 * wire_finish signs it or not. */
struct wire_writer {
	uint8_t buf[WIRE_MAX];
	size_t len;
};

/* What a wire_put_* returns. FULL: it does not fit, start another datagram
 * (the next part of a round); INVALID: the decoder would refuse it, it can
 * never be sent. Either way the writer is unchanged. */
enum { WIRE_PUT_OK = 0, WIRE_PUT_FULL = -1, WIRE_PUT_INVALID = -2 };

/* A location to send, as the services directory holds one. */
struct wire_service_in {
	const char *name;
	const char *host;     /* NULL or "": the sender's ID */
	const char *path;     /* PROTO_UNIX: the socket; else NULL or "" */
	char *const *context; /* NULL-terminated "key=value"; NULL: none */
	unsigned port;
	enum service_proto proto;
	const char *group; /* declared: its group and process; NULL or "": registered */
	const char *process;
	bool mobile; /* declared by a negotiable group */
};

/* Starts a datagram: the header, with no field yet. */
void wire_begin(struct wire_writer *w, enum wire_type type, uint32_t sender, uint32_t incarnation,
		uint32_t seq);
int wire_put_group(struct wire_writer *w, const char *name, uint64_t term,
		   enum wire_group_status status);
int wire_put_round(struct wire_writer *w, uint32_t round, uint8_t part, uint8_t parts);
int wire_put_digest(struct wire_writer *w, uint64_t digest, uint32_t locations);
int wire_put_rank(struct wire_writer *w, uint16_t rank);
int wire_put_answer(struct wire_writer *w, enum wire_answer code);
int wire_put_target(struct wire_writer *w, uint32_t id);
int wire_put_owner(struct wire_writer *w, uint32_t id);
int wire_put_stopped(struct wire_writer *w);
int wire_put_service(struct wire_writer *w, const struct wire_service_in *s);
/* Ends the datagram: writes the body's length and, when keys has a key,
 * signs it with the first (its number in the header, the MAC after the
 * body). Returns the datagram's length, w->len. Called once per
 * wire_begin. */
size_t wire_finish(struct wire_writer *w, const struct wire_keys *keys);

#endif
