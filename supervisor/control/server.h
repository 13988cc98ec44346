/* The control socket: RUNDIR/tend.sock, a line protocol (see tools/libtend/tend.h).
 * tend never blocks on a client: sockets are non-blocking, a request longer
 * than TEND_REQUEST_MAX is refused and skipped, and a client whose unread
 * replies pile up past CLIENT_OUTPUT_MAX is dropped. */
#ifndef TEND_CONTROL_H
#define TEND_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "sys/loop.h"

struct tend;
struct group;
struct process;

#define CLIENT_OUTPUT_MAX (16u << 20)
#define MAX_CLIENTS 256

/* A reply deferred until a group or process settles (start/stop/restart wait). */
struct client_wait {
	struct group *group;
	struct process *proc; /* NULL: the group */
	bool want_up;	      /* start/restart: wait for up; stop: for down */
	bool active;
};

struct client {
	struct watcher w;
	struct tend *t; /* the tend it talks to */
	struct client *next;
	struct buf in;
	struct buf out;
	uid_t uid;
	pid_t pid;
	bool closing;	 /* close once out is flushed */
	bool eof;	 /* the peer will send nothing more */
	bool discarding; /* skipping the rest of an over-long request line */
	bool subscribed; /* `events`: gets every event until it goes away */
	bool subscribed_json;
	struct group *follow_group;  /* `logs -f`: streams new lines of this group */
	struct process *follow_proc; /* ... or of this one process, if set */
	bool follow_all;	     /* following the whole group */
	bool refused;		     /* not tend's uid nor root: every request is denied */
	uint32_t events;	     /* what epoll watches for now */
	struct client_wait wait;
};

struct control {
	struct watcher w;
	struct client *clients;
	unsigned nclients;
	char *path;
	int lock_fd;
	int spare_fd; /* kept free for refusing connections when out of fds */
};

int control_open(struct tend *t);
void control_close(struct tend *t);
/* After any change of state: answers clients that waited for it. */
void control_notify(struct tend *t);
/* A reload replaced `from` by `to`: `logs -f` readers follow the new one. */
void control_move_followers(struct tend *t, struct group *from, struct group *to);
/* A reload removed g: its `logs -f` readers are told and closed. */
void control_forget_followers(struct tend *t, struct group *g);
/* A group is about to be freed: clients waiting on it are answered. */
void control_forget_group(struct tend *t, struct group *g);
/* Between batches of events: queued requests, closing, freeing. */
void control_after_events(struct tend *t);

/* A process wrote a line to its log: clients following it get it. */
void control_log_line(struct tend *t, struct process *p, const char *line, size_t len);

/* Replies, used by the request handlers in commands.c. */
void client_data(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void client_data_raw(struct client *c, const char *payload);
void client_ok(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void client_err(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void client_flush(struct tend *t, struct client *c);

/* commands.c: handles one request line. */
void command_dispatch(struct tend *t, struct client *c, char **argv);
/* commands.c: checks a deferred reply; true if it was answered. */
bool command_wait_settled(struct tend *t, struct client *c);

#endif
