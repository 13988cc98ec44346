/* The event stream: `tendctl events [--json]`. Every change tend makes or
 * sees becomes one line (text or JSON), sent to each client that asked the
 * moment it happens: a subscriber to the bus. Later work adds kinds (hosts,
 * services); a client must ignore kinds and fields it does not know. */
#include "control/authorise.h"
#include "control/commands.h"
#include "control/server.h"
#include "core/context.h"
#include "base/json.h"
#include "base/logfile.h"
#include "services/journal.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

/* One line of the stream. */
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
	const char *tenant;  /* the group's; NULL: not about a group */
};

static const char *const kind_names[EVENT__COUNT] = {
	[EVENT_PROCESS] = "process",
	[EVENT_GROUP] = "group",
	[EVENT_RELOAD] = "reload",
};

static void format_text(const struct event *ev, const char *when, struct buf *out)
{
	buf_printf(out, "%s %s ", when, kind_names[ev->kind]);
	if (ev->group && ev->process)
		buf_printf(out, "%s/%s ", ev->group, ev->process);
	else if (ev->group)
		buf_printf(out, "%s ", ev->group);
	buf_puts(out, ev->what);
	if (ev->pid)
		buf_printf(out, " pid %d", (int)ev->pid);
	if (ev->wait_status >= 0 || ev->wait_status == EXIT_STATUS_UNKNOWN) {
		char how[64];
		describe_wait_status(ev->wait_status, how, sizeof(how));
		buf_printf(out, " (%s)", how);
	}
	if (ev->restarts)
		buf_printf(out, " restarts %u", ev->restarts);
	if (ev->message)
		buf_printf(out, ": %s", ev->message);
}

static void format_json(const struct event *ev, const char *when, struct buf *out)
{
	buf_printf(out, "{\"time\":\"%s\",\"type\":\"%s\",\"event\":", when, kind_names[ev->kind]);
	json_str(out, ev->what);
	if (ev->group) {
		buf_puts(out, ",\"group\":");
		json_str(out, ev->group);
	}
	if (ev->process) {
		buf_puts(out, ",\"process\":");
		json_str(out, ev->process);
	}
	if (ev->pid)
		buf_printf(out, ",\"pid\":%d", (int)ev->pid);
	if (ev->wait_status >= 0 && WIFEXITED(ev->wait_status))
		buf_printf(out, ",\"exit_status\":%d", WEXITSTATUS(ev->wait_status));
	else if (ev->wait_status >= 0 && WIFSIGNALED(ev->wait_status))
		buf_printf(out, ",\"signal\":%d", WTERMSIG(ev->wait_status));
	else if (ev->wait_status == EXIT_STATUS_UNKNOWN) /* not tend's child */
		buf_puts(out, ",\"exit_status_unknown\":true");
	if (ev->kind == EVENT_PROCESS)
		buf_printf(out, ",\"restarts\":%u", ev->restarts);
	if (ev->message) {
		buf_puts(out, ",\"message\":");
		json_str(out, ev->message);
	}
	buf_puts(out, "}");
}

/* Writes one line of the stream into out: `what` at `when`, as text or JSON. */
typedef void line_fn(const void *what, const char *when, bool json, struct buf *out);

/* Sends a line to every client that asked for events, formatted as it
 * asked; a tenant's user gets only its tenants' groups' (tenant NULL: an
 * event about no group). */
static void emit(struct control *ctl, line_fn *format, const void *what, const char *tenant)
{
	char when[WALL_TIME_LEN] = "";
	struct buf text = { 0 }, json = { 0 };
	for (struct client *c = ctl->clients; c; c = c->next) {
		if (!c->subscribed || c->closing)
			continue;
		if (c->tenant_user && (!tenant || !client_may_use_tenant(ctl->t, c, tenant)))
			continue;
		/* Only when someone listens: formatting the time was half of
		 * what starting 1000 services cost tend (callgrind, issue 6). */
		if (!when[0])
			wall_time(when, sizeof(when));
		struct buf *line = c->subscribed_json ? &json : &text;
		if (!line->len)
			format(what, when, c->subscribed_json, line);
		if (!line->data)
			continue; /* out of memory formatting it */
		client_data_raw(c, line->data);
		client_queued(c);
	}
	buf_free(&text);
	buf_free(&json);
}

static void event_line(const void *what, const char *when, bool json, struct buf *out)
{
	(json ? format_json : format_text)(what, when, out);
}

static struct event process_event(struct process *p, const char *what)
{
	return (struct event){ .kind = EVENT_PROCESS,
			       .what = what,
			       .group = p->group->decl.name,
			       .tenant = p->group->decl.tenant,
			       .process = p->decl->name,
			       .pid = p->pid,
			       .wait_status = -1,
			       .restarts = p->restarts };
}

/* What a bus event looks like on the stream; false: not shown there. */
static bool stream_event(const struct bus_event *b, struct event *ev)
{
	switch (b->kind) {
	case BUS_PROCESS_SPAWNED:
		*ev = process_event(b->proc, b->restart ? "restarted" : "started");
		return true;
	case BUS_PROCESS_EXITED:
		*ev = process_event(b->proc, "exited");
		ev->pid = b->exit->pid;
		ev->wait_status = b->exit->wait_status;
		return true;
	case BUS_PROCESS_STATE:
		*ev = process_event(b->proc, proc_state_name(b->proc->state));
		return true;
	case BUS_PROCESS_HUNG:
		*ev = process_event(b->proc, "hung");
		ev->message = b->text;
		return true;
	case BUS_GROUP_STATE:
		*ev = (struct event){ .kind = EVENT_GROUP,
				      .what = group_state_name(b->group->state),
				      .group = b->group->decl.name,
				      .tenant = b->group->decl.tenant,
				      .wait_status = -1 };
		return true;
	case BUS_RELOAD:
		*ev = (struct event){
			.kind = EVENT_RELOAD, .what = b->what, .wait_status = -1, .message = b->text
		};
		return true;
	default:
		return false;
	}
}

void event_stream_on_event(void *ctx, const struct bus_event *b)
{
	struct control *ctl = ctx;
	struct event ev;
	if (ctl->clients && stream_event(b, &ev))
		emit(ctl, event_line, &ev, ev.tenant);
}

/* A change of the services directory as the stream shows it: after the
 * time, what a watch shows. */
static void change_event_line(const void *what, const char *when, bool json, struct buf *out)
{
	struct buf body = { 0 };
	change_line(&body, what, json);
	if (json)
		buf_printf(out, "{\"time\":\"%s\",%s", when, body.data ? body.data + 1 : "}");
	else
		buf_printf(out, "%s %s", when, body.data ? body.data : "");
	buf_free(&body);
}

/* The services directory's changes: services and hosts (groups' states
 * come from the bus above). */
void event_stream_on_change(void *ctx, const struct change *ch)
{
	struct control *ctl = ctx;
	if (ch->kind != CHANGE_GROUP && ctl->clients)
		emit(ctl, change_event_line, ch, NULL);
}

/* Keeps the connection open and streams events; no status line follows. */
void cmd_events(struct tend *t, struct client *c, char **argv)
{
	(void)t;
	bool json = false;
	for (char **a = argv + 1; *a; a++) {
		if (strcmp(*a, "--json") != 0)
			return client_err(c, "usage: events [--json]");
		json = true;
	}
	c->subscribed = true;
	c->subscribed_json = json;
}
