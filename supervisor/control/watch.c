/* `watch`: the services directory's monitors. A watcher names what it
 * watches (a service, a group, a host, or all), gets a snapshot of what
 * matches, a line "sync INDEX", then one line per change as it happens,
 * each with its index. With --since INDEX it gets instead exactly the
 * changes after INDEX from the journal, or "resync" and a snapshot when
 * those are no longer all kept. A watcher that lets WATCH_QUEUE_MAX of
 * lines pile up unread gets "resync" and is dropped: it never slows tend. */
#include "control/commands.h"
#include "cluster/cluster.h"
#include "control/server.h"
#include "core/context.h"
#include "services/directory.h"
#include "base/json.h"
#include "sys/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void change_text(struct buf *out, const struct change *c)
{
	switch (c->kind) {
	case CHANGE_GROUP:
		buf_printf(out, "group %s %s index %llu", c->subject,
			   group_state_name((enum group_state)c->state),
			   (unsigned long long)c->index);
		return;
	case CHANGE_HOST_UP:
	case CHANGE_HOST_DOWN:
		buf_printf(out, "host %s %s index %llu",
			   change_kind_verb((enum change_kind)c->kind), c->subject,
			   (unsigned long long)c->index);
		return;
	default:
		buf_printf(out, "service %s ", change_kind_verb((enum change_kind)c->kind));
		location_text(out, c->loc, c->index);
		if (c->from) {
			buf_puts(out, " from ");
			location_address_word(out, c->from);
		}
	}
}

static void change_json(struct buf *out, const struct change *c)
{
	switch (c->kind) {
	case CHANGE_GROUP:
		buf_printf(out, "{\"type\":\"group\",\"event\":\"%s\",\"group\":",
			   group_state_name((enum group_state)c->state));
		json_str(out, c->subject);
		break;
	case CHANGE_HOST_UP:
	case CHANGE_HOST_DOWN:
		buf_printf(out, "{\"type\":\"host\",\"event\":\"%s\",\"host\":",
			   change_kind_verb((enum change_kind)c->kind));
		json_str(out, c->subject);
		break;
	default:
		buf_printf(out, "{\"type\":\"service\",\"event\":\"%s\",",
			   change_kind_verb((enum change_kind)c->kind));
		location_json_members(out, c->loc, c->index);
		if (c->from) {
			buf_puts(out, ",\"from\":{");
			location_json_address(out, c->from);
			buf_puts(out, "}");
		}
		buf_puts(out, "}");
		return;
	}
	buf_printf(out, ",\"index\":%llu}", (unsigned long long)c->index);
}

void change_line(struct buf *out, const struct change *c, bool json)
{
	(json ? change_json : change_text)(out, c);
}

static bool watch_matches(const struct client_watch *w, const struct change *c)
{
	switch (w->scope) {
	case WATCH_SERVICE:
		return c->loc && strcmp(c->loc->name, w->name) == 0;
	case WATCH_GROUP:
		return c->kind == CHANGE_GROUP && strcmp(c->subject, w->name) == 0;
	case WATCH_HOST: /* the host coming and going, and the services there */
		if (c->kind == CHANGE_HOST_UP || c->kind == CHANGE_HOST_DOWN)
			return strcmp(c->subject, w->name) == 0;
		return (c->loc && strcmp(c->loc->host, w->name) == 0) ||
		       (c->from && strcmp(c->from->host, w->name) == 0);
	default:
		return true;
	}
}

/* Past its queue: one "resync", then nothing more; it is closed once that
 * is sent or the peer goes. */
static void drop_watcher(struct client *c)
{
	tend_log(&c->ctl->t->log, LOG_WARN,
		 "control: watcher pid %d has %u bytes unread; told resync and dropped",
		 (int)c->pid, WATCH_QUEUE_MAX);
	/* The first line may be half sent: its rest goes, then resync on a
	 * line of its own; the queue's memory is given back. */
	char *head = c->out.data ? c->out.data + c->out_sent : NULL;
	char *nl = head ? memchr(head, '\n', client_unsent(c)) : NULL;
	struct buf tail = { 0 };
	if (nl && !c->out.oom)
		buf_append(&tail, head, (size_t)(nl + 1 - head));
	buf_free(&c->out);
	c->out = tail;
	c->out_sent = 0;
	c->ctl->trim = true;
	c->watch.dropped = true;
	c->closing = true;
	client_data_raw(c, c->watch.json ? "{\"type\":\"resync\"}" : "resync");
	shutdown(c->w.fd, SHUT_RD);
}

/* The queue's bound counts from the end of the snapshot: what it left
 * unsent (c->watch.backlog) is allowed on top until it has gone. */
static void send_line(struct client *c, const char *line)
{
	if (!line)
		return; /* out of memory formatting it */
	client_data_raw(c, line);
	if (client_unsent(c) <= WATCH_QUEUE_MAX)
		c->watch.backlog = 0;
	if (c->watch.snapshotting)
		return;
	if (client_unsent(c) > WATCH_QUEUE_MAX + c->watch.backlog || c->out.oom)
		drop_watcher(c);
}

void watchers_on_change(void *ctx, const struct change *ch)
{
	struct control *ctl = ctx;
	struct buf text = { 0 }, json = { 0 };
	for (struct client *c = ctl->clients; c; c = c->next) {
		if (!c->watch.active || c->watch.dropped || c->closing ||
		    !watch_matches(&c->watch, ch))
			continue;
		struct buf *line = c->watch.json ? &json : &text;
		if (!line->len)
			change_line(line, ch, c->watch.json);
		/* sent after the batch (control_after_events, control_flush_pending),
		 * once for all its changes: a restart is two changes, one send */
		send_line(c, line->data);
	}
	buf_free(&text);
	buf_free(&json);
}

/* ---- the snapshot ---- */

/* One change as a line of c's watch. */
static void send_change(struct client *c, const struct change *ch)
{
	struct buf line = { 0 };
	change_line(&line, ch, c->watch.json);
	send_line(c, line.data);
	buf_free(&line);
}

static void snapshot_location(struct client *c, struct location *l)
{
	send_change(c, &(struct change){ .kind = CHANGE_SERVICE_ADD, .loc = l, .index = l->index });
}

static void snapshot_group(struct client *c, const struct group *g, uint64_t index)
{
	send_change(c, &(struct change){ .kind = CHANGE_GROUP,
					 .subject = g->decl.name,
					 .state = (uint8_t)g->state,
					 .index = index });
}

/* The cluster's alive peers, "up" like this host (index 0). */
static void snapshot_peers(struct client *c)
{
	struct cluster *cl = c->ctl->cluster;
	struct client_watch *w = &c->watch;
	char id[16];

	for (size_t i = 0; cl && cl->on && i < cl->npeers && !w->dropped; i++) {
		if (!peer_alive(cl->peers[i]))
			continue;
		cluster_id_text(cl->peers[i]->id, id, sizeof(id));
		if (w->scope == WATCH_ALL || (w->scope == WATCH_HOST && strcmp(w->name, id) == 0))
			send_change(c, &(struct change){ .kind = CHANGE_HOST_UP, .subject = id });
	}
}

/* What matches now: the group lines carry the current index (a group's
 * state has no index of its own), the host this host's "up" since start
 * (index 0). */
static void snapshot(struct tend *t, struct directory *d, struct client *c)
{
	struct client_watch *w = &c->watch;
	for (struct location *l = w->scope == WATCH_SERVICE ? directory_find(d, w->name) : NULL;
	     l && !w->dropped; l = directory_next_of_name(l))
		snapshot_location(c, l);
	if (w->scope == WATCH_ALL) {
		size_t cursor = 0;
		for (struct location *l = directory_next(d, &cursor, NULL); l && !w->dropped;
		     l = directory_next(d, &cursor, l))
			snapshot_location(c, l);
	}
	for (size_t i = 0; i < t->ngroups && !w->dropped; i++)
		if (w->scope == WATCH_ALL ||
		    (w->scope == WATCH_GROUP && strcmp(t->groups[i]->decl.name, w->name) == 0))
			snapshot_group(c, t->groups[i], d->journal.index);
	if (w->scope == WATCH_HOST) {
		size_t cursor = 0;
		for (struct location *l = directory_next(d, &cursor, NULL); l && !w->dropped;
		     l = directory_next(d, &cursor, l))
			if (strcmp(l->host, w->name) == 0)
				snapshot_location(c, l);
	}
	if (!w->dropped && (w->scope == WATCH_ALL ||
			    (w->scope == WATCH_HOST && strcmp(w->name, d->this_host) == 0)))
		send_change(c, &(struct change){ .kind = CHANGE_HOST_UP, .subject = d->this_host });
	snapshot_peers(c);
}

static void replayed(void *ctx, const struct change *ch)
{
	struct client *c = ctx;
	if (!c->watch.dropped && watch_matches(&c->watch, ch))
		send_change(c, ch);
}

static void send_sync(struct client *c, uint64_t index)
{
	if (c->watch.dropped)
		return;
	struct buf line = { 0 };
	buf_printf(&line, c->watch.json ? "{\"type\":\"sync\",\"index\":%llu}" : "sync %llu",
		   (unsigned long long)index);
	send_line(c, line.data);
	buf_free(&line);
}

static const char watch_usage[] =
    "usage: watch [service NAME | group NAME | host H | all] [--json] [--since INDEX]";

/* Fills c->watch from argv; *given: whether --since was. NULL or the error. */
static const char *parse_watch(char **argv, struct client_watch *w, bool *given,
			       unsigned long long *since)
{
	static const char *const scopes[] = { "all", "service", "group", "host" };
	bool scoped = false;
	*given = false;
	for (char **a = argv + 1; *a; a++) {
		if (strcmp(*a, "--json") == 0) {
			w->json = true;
		} else if (strcmp(*a, "--since") == 0 && a[1]) {
			*given = true;
			if (!request_number(*++a, 0, UINT64_MAX, since))
				return "bad index after --since";
		} else if (!scoped && **a != '-') {
			size_t k = 0;
			while (k < 4 && strcmp(*a, scopes[k]) != 0)
				k++;
			if (k == 4 || (k > 0 && (!a[1] || a[1][0] == '-')))
				return watch_usage;
			w->scope = (enum watch_scope)k;
			if (k > 0 &&
			    snprintf(w->name, sizeof(w->name), "%s", *++a) >= (int)sizeof(w->name))
				return "name too long";
			scoped = true;
		} else {
			return watch_usage;
		}
	}
	if (w->scope == WATCH_SERVICE && !valid_service_name(w->name))
		return "bad service name";
	if (w->scope == WATCH_HOST) { /* as the directory writes hosts */
		char canon[INET6_ADDRSTRLEN];
		host_canonical(w->name, canon, sizeof(canon));
		if (!canon[0])
			return "bad host: an IPv4 or IPv6 address";
		snprintf(w->name, sizeof(w->name), "%s", canon);
	}
	return NULL;
}

/* Keeps the connection open and streams; no status line follows. */
void cmd_watch(struct tend *t, struct client *c, char **argv)
{
	struct directory *d = c->ctl->services;
	struct client_watch w = { 0 };
	unsigned long long since = 0;
	bool resuming;
	const char *why = parse_watch(argv, &w, &resuming, &since);
	if (why)
		return client_err(c, "%s", why);
	if (!d)
		return client_err(c, "the services directory is not available here");
	if (c->watch.active)
		return client_err(c, "this connection watches already");
	journal_arm(&d->journal);
	w.active = true;
	w.snapshotting = true;
	c->watch = w;
	if (!resuming || journal_replay(&d->journal, since, replayed, c) < 0) {
		if (resuming)
			send_line(c, w.json ? "{\"type\":\"resync\"}" : "resync");
		snapshot(t, d, c);
	}
	send_sync(c, d->journal.index);
	c->watch.snapshotting = false;
	c->watch.backlog = client_unsent(c);
}
