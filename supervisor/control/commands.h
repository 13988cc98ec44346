/* The control requests (commands.c has the table), and what the handlers
 * in other files of the layer offer each other. */
#ifndef TEND_CONTROL_COMMANDS_H
#define TEND_CONTROL_COMMANDS_H

#include <stdbool.h>

struct tend;
struct client;
struct group;
struct process;

/* A request's numeric word: all of it digits, a number in [min, max].
 * false when it is not one. */
bool request_number(const char *word, unsigned long long min, unsigned long long max,
		    unsigned long long *out);

/* Handles one request line, split into words. */
void command_dispatch(struct tend *t, struct client *c, char **argv);

/* event_stream.c: `events [--json]`. */
void cmd_events(struct tend *t, struct client *c, char **argv);
/* logs.c: `logs GROUP[/PROCESS] [-n N] [-f]`. */
void cmd_logs(struct tend *t, struct client *c, char **argv);
/* services.c: `service list|lookup|register|deregister ...`. */
void cmd_service(struct tend *t, struct client *c, char **argv);
/* watch.c: `watch [service NAME | group NAME | host H | all] [--json] [--since N]`. */
void cmd_watch(struct tend *t, struct client *c, char **argv);
/* watch.c: a change as one line of a watch (and, after the time, of `events`). */
struct change;
struct buf;
void change_line(struct buf *out, const struct change *c, bool json);
/* transient.c: `add FILE` and `remove GROUP`. */
void cmd_add(struct tend *t, struct client *c, char **argv);
void cmd_remove(struct tend *t, struct client *c, char **argv);
/* run.c: `run [OPTIONS] -- COMMAND [ARG...]`; and the answer to `run
 * --wait` once the group has ended (how its command ended). */
void cmd_run(struct tend *t, struct client *c, char **argv);
void run_answer(struct client *c, struct group *g);
/* watchdog_device.c: `watchdog device [--json]` (argv[1] is "device"). */
void cmd_watchdog_device(struct tend *t, struct client *c, char **argv);
/* tenants.c: `tenants [--json]`. */
void cmd_tenants(struct tend *t, struct client *c, char **argv);
/* peers.c: `peers [--json]`, `release GROUP`, and start, stop and restart
 * of a negotiable group, which the cluster places. */
void cmd_peers(struct tend *t, struct client *c, char **argv);
void cmd_release(struct tend *t, struct client *c, char **argv);
enum place_verb { PLACE_START, PLACE_STOP, PLACE_RESTART };
/* true when the request was answered (taken by the cluster, or refused);
 * false: act on the group here as on any other. */
bool placed_request(struct tend *t, struct client *c, struct group *g, const struct process *p,
		    enum place_verb v);
/* waiters.c: answers c's deferred reply if what it waits for has happened;
 * true if it was answered. */
bool wait_settled(struct client *c);

#endif
