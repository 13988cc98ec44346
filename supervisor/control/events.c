#include "control/events.h"
#include "core/context.h"
#include "base/json.h"
#include "base/logfile.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

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
	if (ev->wait_status >= 0) {
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
	if (ev->kind == EVENT_PROCESS)
		buf_printf(out, ",\"restarts\":%u", ev->restarts);
	if (ev->message) {
		buf_puts(out, ",\"message\":");
		json_str(out, ev->message);
	}
	buf_puts(out, "}");
}

void event_emit(struct tend *t, const struct event *ev)
{
	char when[WALL_TIME_LEN] = "";
	struct buf text = { 0 }, json = { 0 };
	for (struct client *c = t->control.clients; c; c = c->next) {
		if (!c->subscribed || c->closing)
			continue;
		/* Only when someone listens: formatting the time was half of
		 * what starting 1000 services cost tend (callgrind, issue 6). */
		if (!when[0])
			wall_time(when, sizeof(when));
		struct buf *line = c->subscribed_json ? &json : &text;
		if (!line->len)
			(c->subscribed_json ? format_json : format_text)(ev, when, line);
		client_data_raw(c, line->data);
		client_flush(t, c);
	}
	buf_free(&text);
	buf_free(&json);
}

static struct event process_event(struct process *p, const char *what)
{
	return (struct event){ .kind = EVENT_PROCESS,
			       .what = what,
			       .group = p->group->decl.name,
			       .process = p->decl->name,
			       .pid = p->pid,
			       .wait_status = -1,
			       .restarts = p->restarts };
}

void event_process_state(struct tend *t, struct process *p)
{
	struct event ev = process_event(p, proc_state_name(p->state));
	event_emit(t, &ev);
}

void event_process_spawned(struct tend *t, struct process *p, bool restart)
{
	struct event ev = process_event(p, restart ? "restarted" : "started");
	event_emit(t, &ev);
}

void event_process_exited(struct tend *t, struct process *p)
{
	struct event ev = process_event(p, "exited");
	ev.wait_status = p->last_status;
	event_emit(t, &ev);
}

void event_process_hung(struct tend *t, struct process *p, const char *state_text)
{
	struct event ev = process_event(p, "hung");
	ev.message = state_text;
	event_emit(t, &ev);
}

void event_group_state(struct tend *t, struct group *g)
{
	struct event ev = { .kind = EVENT_GROUP,
			    .what = group_state_name(g->state),
			    .group = g->decl.name,
			    .wait_status = -1 };
	event_emit(t, &ev);
}

void events_subscribe(struct client *c, bool json)
{
	c->subscribed = true;
	c->subscribed_json = json;
}
