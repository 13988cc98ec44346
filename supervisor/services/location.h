/* A location of a service: where one instance of it is reached (host,
 * port, protocol), what its owner tells clients (context), who owns it and
 * how it is bound to its owner. A location never changes once made: an
 * update replaces it with a new one. It is shared, counted, between the
 * directory and the change journal, so that what a watcher is told about
 * a change is exactly what the directory held. */
#ifndef TEND_SERVICES_LOCATION_H
#define TEND_SERVICES_LOCATION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "config/config.h"

struct process;

/* What a location lives as long as. */
enum owner_kind {
	OWNER_PROCESS, /* a declared process of a group: until it leaves running */
	OWNER_PID,     /* a process that registered it (or --pid): until it ends */
	OWNER_NONE,    /* decoupled: until deregistered or tend stops */
	OWNER_PEER,    /* another host's (the cluster): until that host drops it or dies */
};

struct location_spec {
	const char *name;
	const char *host; /* NULL: this host */
	const char *path;
	char *const *context;
	unsigned port;
	enum service_proto proto;
	bool proxy;
	bool mobile; /* declared by a negotiable group: it moves with the group */
	enum owner_kind owner;
	const struct process *proc; /* OWNER_PROCESS */
	const char *group_name;	    /* OWNER_PROCESS: its group's and its own name */
	const char *process_name;
	pid_t pid; /* OWNER_PID: the owner; else who registered it (0: tend) */
	uid_t uid; /* who registered it (tend's uid for declared ones) */
	uint32_t peer; /* OWNER_PEER: the host's ID (IPv4, host byte order) */
};

/* Laid out for size: the directory holds thousands (issue 13's goal is
 * 4096 services and 100 watchers in under 1 MiB more). */
struct location {
	struct location *next;	    /* the directory's: next in its hash bucket */
	const struct process *proc; /* OWNER_PROCESS; only for comparing, never followed */
	const char *name;
	const char *host;
	const char *path;		       /* PROTO_UNIX; else NULL */
	const char *group_name, *process_name; /* OWNER_PROCESS; else NULL */
	const char *context;		       /* "k=v" entries one after another, each NUL-ended,
						* then an empty one: "a=1\0b=2\0\0"; "" when none */
	uint64_t index;			       /* the change that put it in the directory */
	pid_t pid;
	uid_t uid;
	uint32_t peer; /* OWNER_PEER: the host that offers it */
	uint32_t refs;
	uint16_t port;
	uint8_t proto; /* enum service_proto */
	uint8_t owner; /* enum owner_kind */
	bool proxy;
	bool mobile; /* follows a negotiable group from host to host */
	char strings[]; /* what the pointers above point to */
};

/* The next context entry after e (which is one of l->context's); "" at the end. */
static inline const char *context_next(const char *e)
{
	while (*e)
		e++;
	return e + 1;
}

/* host (an address literal) as inet_ntop writes it, so that "0::1" and
 * "::1" are one host; "" when it is not an address. len: INET6_ADDRSTRLEN. */
void host_canonical(const char *host, char *out, size_t len);

/* Checks spec (name, host, port, proto, path, context) and makes a
 * location with one reference; this_host stands in for a NULL host.
 * NULL with *why set (static text) when a field is invalid, or "out of
 * memory". */
struct location *location_new(const struct location_spec *spec, const char *this_host,
			      const char **why);
struct location *location_ref(struct location *l);
void location_unref(struct location *l);

/* Same host, port, protocol and path: one place a service is reached. */
bool location_same_place(const struct location *a, const struct location *b);
/* Same place, context, owner and flags: replacing one by the other changes
 * nothing a client sees. */
bool location_same(const struct location *a, const struct location *b);

/* "HOST[:PORT][/PROTO]" ("[v6]:PORT" with a port), "HOST/unix:PATH". */
void location_address(struct buf *out, const struct location *l);
/* The same as one word of a text line: quoted, as cmdline_split reads it
 * back, when the path needs it. */
void location_address_word(struct buf *out, const struct location *l);
/* NAME ADDRESS index N owner (GROUP/PROCESS | pid N | uid N) [decoupled]
 * [proxy] [context K=V...]; values quoted where a shell would need it. */
void location_text(struct buf *out, const struct location *l, uint64_t index);
/* "host", and "port", "proto", "path" where it has them (JSON members, no braces). */
void location_json_address(struct buf *out, const struct location *l);
/* The JSON object's members (no braces): "name", "host", "port", "proto",
 * "path", "context", "owner", "flags", "index". */
void location_json_members(struct buf *out, const struct location *l, uint64_t index);

#endif
