/* Who hears what: every subscription to the core's bus and every hook of
 * the loop, in one place. The core publishes and does not know who
 * listens; the loop runs hooks and does not know what they are. Order
 * matters where two parties react to one event: subscribers are called,
 * and hooks run, in the order registered here. */
#include "daemon/daemon.h"
#include "core/dependencies.h"
#include "core/ephemeral.h"
#include "core/reload_apply.h"
#include "services/declared.h"

/* The control socket's parts, each a subscriber (control/server.h). */
#define STREAMED                                                                                   \
	(BUS_KIND(BUS_PROCESS_SPAWNED) | BUS_KIND(BUS_PROCESS_EXITED) |                            \
	 BUS_KIND(BUS_PROCESS_STATE) | BUS_KIND(BUS_PROCESS_HUNG) | BUS_KIND(BUS_GROUP_STATE) |    \
	 BUS_KIND(BUS_RELOAD))
#define FOLLOWED                                                                                   \
	(BUS_KIND(BUS_PROCESS_LOG_LINE) | BUS_KIND(BUS_GROUP_REPLACED) |                           \
	 BUS_KIND(BUS_GROUP_REMOVED) | BUS_KIND(BUS_GROUP_GONE))
#define AWAITED (BUS_KIND(BUS_CHANGED) | BUS_KIND(BUS_GROUP_GONE))
/* The services directory: declared services follow their processes; the
 * groups' states are changes its watchers see. */
/* The cluster: a copy of a negotiable group here that ends is released;
 * a reload or a group gone makes it look at the groups again. */
#define PLACED (BUS_KIND(BUS_GROUP_STATE) | BUS_KIND(BUS_RELOAD) | BUS_KIND(BUS_GROUP_GONE))
#define DECLARED                                                                                   \
	(BUS_KIND(BUS_PROCESS_STATE) | BUS_KIND(BUS_GROUP_STATE) | BUS_KIND(BUS_GROUP_UPDATED) |   \
	 BUS_KIND(BUS_GROUP_GONE))

/* `tendctl reload` reads conf.d, which is the daemon's to do; the report
 * comes back through control_reload_done. */
static uint64_t reload_for_control(void *ctx)
{
	return daemon_reload(ctx);
}

/* What a reload left to finish, the starts and stops that requires and
 * after asked for, and the runs that ended (removed only here, once their
 * exit's event was delivered): each may leave work for the others (a
 * retiring group whose dependants are down stops and is gone; a new
 * declaration starts and waits for what it requires), so all until none
 * does anything. */
static void groups_hook(void *ctx)
{
	bool finished, ran, removed;
	do {
		finished = reload_finish(ctx);
		ran = deps_run(ctx);
		removed = ephemeral_collect(ctx);
	} while (finished || ran || removed);
}

int daemon_wire(struct daemon *d)
{
	struct tend *t = &d->tend;
	struct control *ctl = &d->control;

	ctl->reload = reload_for_control;
	ctl->reload_ctx = d;
	ctl->services = &d->services;
	ctl->cluster = &d->cluster;
	/* Accounting first: a record is in its file before anybody hears of
	 * the exit it records (a client that sees the event and kills tend
	 * finds the record). */
	if (bus_subscribe(&t->bus, ACCOUNT_EVENTS, account_on_event, &d->account) < 0 ||
	    bus_subscribe(&t->bus, STATE_FILE_EVENTS, state_file_on_event, &d->state) < 0)
		return -1;
	/* A removed group's `logs -f` readers are told before a stop that
	 * waited for it is answered. */
	if (bus_subscribe(&t->bus, STREAMED, event_stream_on_event, ctl) < 0 ||
	    bus_subscribe(&t->bus, FOLLOWED, followers_on_event, ctl) < 0 ||
	    bus_subscribe(&t->bus, AWAITED, waiters_on_event, ctl) < 0)
		return -1;
	/* After the event stream, so that `events` shows a process running
	 * before its service; before the waiters are told (BUS_CHANGED comes
	 * last), so that `tendctl start` returns with its services there. */
	if (bus_subscribe(&t->bus, DECLARED, declared_on_event, &d->services) < 0 ||
	    journal_listen(&d->services.journal, watchers_on_change, ctl) < 0 ||
	    journal_listen(&d->services.journal, event_stream_on_change, ctl) < 0 ||
	    bus_subscribe(&t->bus, PLACED, cluster_on_event, &d->cluster) < 0)
		return -1;
	/* Between batches of events: first the clients (queued requests,
	 * closing), then the groups (groups_hook). */
	if (loop_add_hook(&t->loop, control_after_events, ctl) < 0 ||
	    loop_add_hook(&t->loop, groups_hook, t) < 0 ||
	    loop_add_hook(&t->loop, cluster_after_events, &d->cluster) < 0 ||
	    loop_add_hook(&t->loop, directory_after_events, &d->services) < 0 ||
	    loop_add_hook(&t->loop, reload_after_events, d) < 0 ||
	    loop_add_hook(&t->loop, control_flush_pending, ctl) < 0 ||
	    loop_add_hook(&t->loop, state_file_after_events, &d->state) < 0)
		return -1;
	return 0;
}
