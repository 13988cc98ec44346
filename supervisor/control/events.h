/* Events: the monitor interface. Every change tend makes or sees becomes one
 * event, sent to each client that asked with `events` as one line (text or
 * JSON) the moment it happens. Later work adds kinds (hosts, services); a
 * client must ignore kinds and fields it does not know. */
#ifndef TEND_EVENTS_H
#define TEND_EVENTS_H

#include <stdbool.h>
#include <sys/types.h>

struct tend;
struct process;
struct group;
struct client;

enum event_kind { EVENT_PROCESS, EVENT_GROUP, EVENT_RELOAD, EVENT__COUNT };

struct event {
	enum event_kind kind;
	const char *what;    /* "started", "exited", a state name, "applied", ... */
	const char *group;   /* NULL: not about a group */
	const char *process; /* NULL: not about a process */
	pid_t pid;	     /* 0: none */
	int wait_status;     /* -1: none */
	unsigned restarts;
	const char *message; /* NULL: none */
};

void event_emit(struct tend *t, const struct event *ev);

void event_process_state(struct tend *t, struct process *p);
void event_process_spawned(struct tend *t, struct process *p, bool restart);
void event_process_exited(struct tend *t, struct process *p);
/* "hung": its watchdog expired; message: the state text it last set. */
void event_process_hung(struct tend *t, struct process *p, const char *state_text);
void event_group_state(struct tend *t, struct group *g);

/* commands.c: `events [--json]` subscribes the client. */
void events_subscribe(struct client *c, bool json);

#endif
