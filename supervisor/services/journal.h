/* The change journal: every change a watcher may be told of (a location
 * added, removed, moved or updated; a group's new state; a host up or
 * down) gets the next index, one more than the last (the paper's monitor
 * messages; Consul's index, etcd's revision), and is kept in a ring of
 * the last JOURNAL_KEEP changes, so that a watcher that reconnects is told
 * exactly what it missed. Listeners (the control socket's watchers and
 * event stream) are called as each change is recorded.
 *
 * Only once armed (the first watch) does it keep changes: a tend nobody
 * watches pays for no ring and no copies, and a --since from before that
 * gets resync, as one older than the ring does. */
#ifndef TEND_SERVICES_JOURNAL_H
#define TEND_SERVICES_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct location;

#define JOURNAL_KEEP 4096

enum change_kind {
	CHANGE_SERVICE_ADD,
	CHANGE_SERVICE_REMOVE,
	CHANGE_SERVICE_MOVE,   /* the same owner's location now on another host */
	CHANGE_SERVICE_UPDATE, /* the same host: new port, path, context, owner or flags */
	CHANGE_GROUP,	       /* a group entered a state */
	CHANGE_HOST_UP,
	CHANGE_HOST_DOWN,
	CHANGE__COUNT
};

/* 40 bytes: the journal keeps JOURNAL_KEEP of them. */
struct change {
	uint64_t index;
	struct location *loc;  /* service changes: as it is now (remove: as it was) */
	struct location *from; /* MOVE, UPDATE: where it was, if that changed; else NULL */
	char *subject;	       /* GROUP: the group's name; HOST_*: the host */
	uint8_t kind;	       /* enum change_kind */
	uint8_t state;	       /* GROUP: the state it entered (enum group_state) */
};

typedef void change_fn(void *ctx, const struct change *c);

#define JOURNAL_LISTENERS_MAX 4

struct journal {
	struct change *ring; /* JOURNAL_KEEP slots, allocated on the first change */
	size_t next;	     /* the slot the next change goes to */
	size_t count;	     /* changes kept */
	bool armed;	     /* keeping changes (journal_arm) */
	uint64_t index;	     /* the last change's; 0: none yet */
	struct {
		change_fn *fn;
		void *ctx;
	} listeners[JOURNAL_LISTENERS_MAX];
	size_t nlisteners;
};

/* fn(ctx, change) for every change recorded from now on. -1 when full. */
int journal_listen(struct journal *j, change_fn *fn, void *ctx);
/* Records a change (c's index is set here; the journal takes a reference
 * to the locations and a copy of subject) and tells every listener. When
 * out of memory the change still gets its index and is told, but is not
 * kept: a later --since before it gets resync. */
void journal_record(struct journal *j, struct change *c);
/* From now on, changes are kept for journal_replay. */
void journal_arm(struct journal *j);
/* Calls fn for every kept change after `since`, oldest first. Returns 0,
 * or -1 (nothing called) when changes after `since` are no longer all kept
 * or `since` is ahead of the journal (another tend's index). */
int journal_replay(const struct journal *j, uint64_t since, change_fn *fn, void *ctx);
void journal_free(struct journal *j);

const char *change_kind_verb(enum change_kind k); /* "add", "remove", ..., "up" */

#endif
