/* The services directory: service names and, for each, the locations where
 * it is offered, each bound to its owner (services/location.h). Every
 * change goes through the journal (services/journal.h), which gives it its
 * index and tells whoever watches.
 *
 * Owners: a declared service belongs to its process (declared.c adds it
 * when the process is running and ready, and takes it away when the
 * process leaves running); a registered one belongs to the process that
 * registered it (or the pid it named), watched through a pidfd
 * (owners.c), and is gone the moment that process ends; a decoupled one
 * stays until it is deregistered or tend stops.
 *
 * The layers above use it through the requests below; the cluster will
 * feed other hosts' locations through the same calls. */
#ifndef TEND_SERVICES_DIRECTORY_H
#define TEND_SERVICES_DIRECTORY_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "services/journal.h"
#include "services/location.h"
#include "sys/loop.h"

struct logger;

#define LOCAL_HOST_ADDRESS "127.0.0.1" /* this host, until the cluster names it */
#define SERVICES_PER_CLIENT_MAX 64

/* A pid that owns coupled locations, watched with a pidfd. */
struct owner_watch {
	struct watcher w;
	struct owner_watch *next;
	struct directory *dir;
	pid_t pid;
	unsigned nlocs; /* coupled locations it owns */
};

/* A hash of names to chains of locations; the locations of one name are
 * next to each other in their chain, in the order they came. */
struct directory {
	struct location **buckets; /* a power of two of them */
	size_t nbuckets;
	size_t nservices; /* names */
	size_t nlocations;
	unsigned max_locations; /* services-max */
	struct owner_watch *owners;
	struct owner_watch *ended; /* watched no more; freed by directory_after_events */
	struct uid_count {
		uid_t uid;
		unsigned decoupled; /* its decoupled locations (the per-client limit) */
	} * uids;
	size_t nuids;
	struct journal journal;
	struct loop *loop; /* for the owners' pidfds; NULL: owners are not watched */
	struct logger *log;
	char this_host[INET6_ADDRSTRLEN];
};

void directory_init(struct directory *d, struct loop *loop, struct logger *log);
/* Drops every location (no changes are recorded: tend is stopping). */
void directory_free(struct directory *d);

/* Puts a location in the directory, replacing the one it takes the place
 * of (the same place, or the same owner's location of that name), and
 * records the change: add, update (the same host), move (another host;
 * both say where it was when its address changed). A location identical to the one there changes
 * nothing (l gets its index). Takes the caller's reference to l in every
 * case. Returns 0, or -1 with a message in err (the limits; the owner is
 * gone). */
int directory_put(struct directory *d, struct location *l, char *err, size_t errlen);

/* Removes l (one the directory holds) and records the change. */
void directory_remove(struct directory *d, struct location *l);

/* The first location of `name`, or NULL; the others follow it:
 *	for (l = directory_find(d, name); l; l = directory_next_of_name(l))
 * Take the next one before removing one. */
struct location *directory_find(const struct directory *d, const char *name);
struct location *directory_next_of_name(const struct location *l);
/* Every location, a name's together: *cursor 0 and prev NULL to start;
 * NULL at the end. Take the next one before removing one. */
struct location *directory_next(const struct directory *d, size_t *cursor,
				const struct location *prev);

/* Removes the coupled locations owned by pid (its pidfd said it ended). */
void directory_owner_gone(struct directory *d, pid_t pid);

/* A loop hook: frees what a callback of the batch may still have referred to. */
void directory_after_events(void *ctx);

/* owners.c: starts or stops watching a pid as coupled locations of it come
 * and go. Returns 0, or -1 (ESRCH: the process is gone already). */
int owners_hold(struct directory *d, pid_t pid);
void owners_release(struct directory *d, pid_t pid);
/* How many coupled locations pid owns. */
unsigned owners_count(const struct directory *d, pid_t pid);

#endif
