/* The control socket: RUNDIR/tend.sock, a line protocol (see tools/libtend/tend.h).
 * tend never blocks on a client: sockets are non-blocking, a request longer
 * than TEND_REQUEST_MAX is refused and skipped, and a client whose unread
 * replies pile up past CLIENT_OUTPUT_MAX is dropped.
 *
 * The control layer learns what happens from the bus (core/bus.h): the
 * event stream (event_stream.c), replies that wait for a state (waiters.c)
 * and `logs -f` (logs.c) are subscribers, wired in daemon/wiring.c. */
#ifndef TEND_CONTROL_SERVER_H
#define TEND_CONTROL_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "sys/loop.h"

struct tend;
struct directory;
struct change;
struct group;
struct process;
struct bus_event;

#define CLIENT_OUTPUT_MAX (16u << 20)
#define CLIENT_OUTPUT_KEPT (16u << 10) /* an output buffer larger than this is freed once sent */
#define CLIENT_OUTPUT_PAUSE (1u << 20) /* more unsent than this: the next request waits */
#define WATCH_QUEUE_MAX (1u << 20)     /* a watcher's unread lines: then resync, dropped */
#define MAX_CLIENTS 256
/* Limits against hostile clients (README, "Limits on clients"). */
#define CONTROL_OUTPUT_TOTAL_MAX (64u << 20) /* all clients' unsent bytes: the worst dropped */
#define CLIENTS_PER_UID 64		     /* connections of a tenant's user */
#define CLIENTS_RESERVED 32		     /* slots only root and tend's uid may take */
#define CLIENT_IDLE_MS 10000		     /* no complete request for this long: closed */

/* A reply deferred until a group or process settles (start/stop/restart
 * wait), or until a reload is over. */
struct client_wait {
	struct group *group;
	struct process *proc; /* NULL: the group */
	uint64_t reload;      /* `reload`: the number of the reload whose report it waits for */
	bool want_up;	      /* start/restart: wait for up; stop: for down */
	bool until_gone;      /* `run --wait`: until the group has ended and is removed */
	bool active;
};

struct client {
	struct watcher w;
	struct control *ctl; /* the server it is a client of */
	struct client *next;
	struct buf in;
	struct buf out;
	size_t out_sent;   /* out's first bytes already sent (compacted now and then) */
	struct timer idle; /* armed until the next complete request */
	uid_t uid;
	pid_t pid;
	bool closing;	   /* close once out is flushed */
	bool eof;	   /* the peer will send nothing more */
	bool discarding;   /* skipping the rest of an over-long request line */
	bool request_sent; /* a whole request waits in the socket, not read yet */
	bool subscribed;   /* `events`: gets every event until it goes away */
	bool subscribed_json;
	struct group *follow_group;  /* `logs -f`: streams new lines of this group */
	struct process *follow_proc; /* ... or of this one process, if set */
	bool follow_all;	     /* following the whole group */
	bool tenant_user;	     /* a tenant's user: only its tenants (authorise.h) */
	uint32_t events;	     /* what epoll watches for now */
	struct client_wait wait;
	struct client_watch {
		bool active; /* `watch`: changes stream until it goes away */
		bool json;
		bool dropped;	   /* fell behind: told resync, nothing more */
		bool snapshotting; /* what there is, up to sync: not bounded */
		size_t backlog;	   /* unsent at sync: allowed on top of the bound */
		enum watch_scope { WATCH_ALL, WATCH_SERVICE, WATCH_GROUP, WATCH_HOST } scope;
		char name[72]; /* of the service, group or host watched */
	} watch;
};

struct control {
	struct watcher w; /* the listening socket */
	struct tend *t;	  /* what it controls */
	struct client *clients;
	unsigned nclients;
	char *path;
	unsigned long refused_uid;  /* connections refused: not an allowed uid */
	unsigned long refused_full; /* ... no slot left, or over the per-uid limit */
	unsigned long idle_closed;  /* closed: no complete request in CLIENT_IDLE_MS */
	unsigned long over_total;   /* dropped: the most unsent when all were over the total */
	unsigned long evicted;	    /* idle, closed to give root or tend's uid a slot */
	unsigned long unread;	    /* dropped: its own unsent replies over CLIENT_OUTPUT_MAX */
	unsigned long too_long;	    /* requests refused: longer than TEND_REQUEST_MAX */
	unsigned long bad_requests; /* requests refused: a NUL byte, or words that do not split */
	int spare_fd;		    /* kept free for refusing connections when out of fds */
	unsigned long refused_fds;  /* ... refused so, since the shortage began */
	uint64_t accept_pause_ms;   /* out of fds without a spare: the last pause */
	struct timer accept_pause;  /* ... and its end (fd_shortage.h) */
	/* `reload`: reading conf.d is the daemon's, which sets this. It
	 * returns the number of the reload that will answer (0: none will),
	 * and calls control_reload_done when that one is over. */
	uint64_t (*reload)(void *ctx);
	void *reload_ctx;
	struct directory *services; /* the services directory; NULL: none */
	struct cluster *cluster;    /* peers and negotiable groups; NULL: none */
	bool trim;     /* a long reply's buffer was freed: return memory after the batch */
	unsigned runs; /* `run` groups named so far: the next is run-(runs + 1) */
};

/* Binds RUNDIR/tend.sock and listens. 0, or -1 (logged). */
int control_open(struct control *ctl, struct tend *t);
void control_close(struct control *ctl);
/* After each (re)load: 0666 in root's tend while some tenant section names
 * a user (tenants' users connect; authorise.h decides inside, by
 * SO_PEERCRED, like systemd's public socket), 0600 otherwise. */
void control_socket_mode(struct control *ctl);
/* A loop hook (ctx: the control): between batches of events, runs queued
 * requests, closes what is finished and frees what is done. */
void control_after_events(void *ctx);
/* A loop hook, the last (ctx: the control): sends what later hooks queued. */
void control_flush_pending(void *ctx);

/* Reload number `done` is over (ok: applied): clients waiting for it or an
 * earlier one get report (lines of changes or errors, then a summary). */
void control_reload_done(struct control *ctl, uint64_t done, bool ok, const struct buf *report);

/* Bus subscribers (ctx: the control), wired by the daemon. */
void event_stream_on_event(void *ctx, const struct bus_event *ev); /* event_stream.c */
void waiters_on_event(void *ctx, const struct bus_event *ev);	   /* waiters.c */
void followers_on_event(void *ctx, const struct bus_event *ev);	   /* logs.c */
/* Listeners of the services directory's journal (ctx: the control). */
void watchers_on_change(void *ctx, const struct change *c);	/* watch.c */
void event_stream_on_change(void *ctx, const struct change *c); /* event_stream.c */

/* Bytes of out not yet sent. */
static inline size_t client_unsent(const struct client *c)
{
	return c->out.len - c->out_sent;
}

/* Replies, used by the request handlers. */
void client_data(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void client_data_raw(struct client *c, const char *payload);
void client_ok(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void client_err(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* out's lines as data lines, then OK, or only ERR if out is incomplete
 * (out of memory); frees out. */
void client_reply_buf(struct client *c, struct buf *out);
/* A report of lines: all but the last as data lines, the last as the
 * status (OK with ok_prefix before it, or ERR). */
void client_reply_report(struct client *c, struct buf *report, bool ok, const char *ok_prefix);
/* Writes what it can; watches for writability when something is left. */
void client_flush(struct client *c);
/* A connection that will not be served is told why in one line ("ERR
 * why"), then closed; the socket is new, so the line fits in its buffer. */
void refuse_connection(int fd, const char *why);
/* A stream's line (events, logs -f) was queued for c: sent with the rest
 * after the batch (control_flush_pending), or now if c is over its bound. */
void client_queued(struct client *c);

#endif
