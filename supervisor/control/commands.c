/* The control requests: one handler each, looked up by name. */
#include "libtend/cmdline.h"
#include "control/events.h"
#include "base/logfile.h"
#include "daemon/reload.h"
#include "sys/log.h"
#include "control/status.h"
#include "core/context.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

typedef void handler_fn(struct tend *t, struct client *c, char **argv);

static void cmd_ping(struct tend *t, struct client *c, char **argv)
{
	(void)argv;
	client_ok(c, "tend %s pid %d mode %s", TEND_VERSION, (int)getpid(),
		  tend_mode_name(t->mode));
}

static void cmd_status(struct tend *t, struct client *c, char **argv)
{
	bool json = false;
	const char *name = NULL;
	for (char **a = argv + 1; *a; a++) {
		if (strcmp(*a, "--json") == 0)
			json = true;
		else if (**a == '-' || name)
			return client_err(c, "usage: status [--json] [GROUP]");
		else
			name = *a;
	}
	struct group *g = name ? tend_find_group(t, name) : NULL;
	if (name && !g)
		return client_err(c, "no such group: %s", name);
	struct buf out = { 0 };
	tracker_batch_begin(&t->tracker);
	(json ? status_json : status_text)(t, g, &out);
	tracker_batch_end(&t->tracker);
	if (out.oom)
		client_err(c, "out of memory");
	else
		client_data_raw(c, out.data ? out.data : "");
	buf_free(&out);
	client_ok(c, "%s", "");
}

/* Keeps the connection open and streams events; no status line follows. */
static void cmd_events(struct tend *t, struct client *c, char **argv)
{
	(void)t;
	bool json = false;
	for (char **a = argv + 1; *a; a++) {
		if (strcmp(*a, "--json") != 0)
			return client_err(c, "usage: events [--json]");
		json = true;
	}
	events_subscribe(c, json);
}

/* "GROUP" or "GROUP/PROCESS"; replies with an error when there is no such thing. */
static bool find_target(struct tend *t, struct client *c, const char *target, struct group **gp,
			struct process **pp)
{
	char name[2 * NAME_MAX_LEN + 2];
	snprintf(name, sizeof(name), "%s", target);
	char *slash = strchr(name, '/');
	if (slash)
		*slash = '\0';
	*gp = tend_find_group(t, name);
	*pp = NULL;
	if (!*gp) {
		client_err(c, "no such group: %s", name);
		return false;
	}
	if (slash && !(*pp = group_find_process(*gp, slash + 1))) {
		client_err(c, "no such process: %s", target);
		return false;
	}
	return true;
}

enum verb { VERB_START, VERB_STOP, VERB_RESTART };

static void process_request(struct tend *t, struct process *p, enum verb v)
{
	if (v == VERB_STOP || v == VERB_RESTART) {
		process_step(t, p, PE_STOP);
		if (v == VERB_STOP)
			return;
	}
	if (p->state == PS_FAILED)
		process_step(t, p, PE_RESET);
	process_step(t, p, PE_START);
}

static void start_stop(struct tend *t, struct client *c, char **argv, enum verb v)
{
	bool wait = true, bad = false;
	const char *target = NULL;
	for (char **a = argv + 1; *a; a++) {
		if (strcmp(*a, "--no-wait") == 0)
			wait = false;
		else if (**a == '-' || target)
			bad = true;
		else
			target = *a;
	}
	if (bad || !target)
		return client_err(c, "usage: %s [--no-wait] GROUP[/PROCESS]", argv[0]);
	struct group *g;
	struct process *p;
	if (!find_target(t, c, target, &g, &p))
		return;
	if (v != VERB_STOP && t->shutting_down)
		return client_err(c, "tend is shutting down");
	if (g->start_pending) {
		/* Its old declaration is still stopping; it starts when that is gone. */
		if (v == VERB_STOP)
			g->start_pending = false;
		return client_ok(c, "group %s %s", g->decl.name,
				 v == VERB_STOP ? "will not start"
						: "starts once its old declaration stopped");
	}
	if (p && v != VERB_STOP && !group_allows_restart(g))
		return client_err(c, "group %s is %s: start the group first", g->decl.name,
				  group_state_name(g->state));
	tend_log(&t->log, LOG_INFO, "control: %s %s (uid %d)", argv[0], target, (int)c->uid);
	if (p)
		process_request(t, p, v);
	else
		group_step(t, g,
			   v == VERB_START  ? GE_START
			   : v == VERB_STOP ? GE_STOP
					    : GE_RESTART);
	if (!wait)
		return client_ok(c, "%s", "");
	/* Armed only now: the request's own first steps are not its outcome. */
	c->wait = (struct client_wait){
		.group = g, .proc = p, .want_up = v != VERB_STOP, .active = true
	};
	command_wait_settled(t, c);
}

static void cmd_start(struct tend *t, struct client *c, char **argv)
{
	start_stop(t, c, argv, VERB_START);
}

static void cmd_stop(struct tend *t, struct client *c, char **argv)
{
	start_stop(t, c, argv, VERB_STOP);
}

static void cmd_restart(struct tend *t, struct client *c, char **argv)
{
	start_stop(t, c, argv, VERB_RESTART);
}

static bool process_settled(struct client *c, struct process *p, bool want_up)
{
	char label[2 * NAME_MAX_LEN + 2], how[64];
	process_label(p, label, sizeof(label));
	switch (p->state) {
	case PS_RUNNING:
		if (want_up)
			client_ok(c, "%s running (pid %d)", label, (int)p->pid);
		else
			client_err(c, "%s was started again before it stopped", label);
		return true;
	case PS_DONE:
		client_ok(c, "%s done", label);
		return true;
	case PS_STOPPED:
	case PS_FAILED:
		if (!want_up) {
			client_ok(c, "%s %s", label, proc_state_name(p->state));
		} else if (p->last_spawn_errno) {
			client_err(c, "%s %s: cannot start: %s", label, proc_state_name(p->state),
				   strerror(p->last_spawn_errno));
		} else {
			describe_wait_status(p->last_status, how, sizeof(how));
			client_err(c, "%s %s (last %s)", label, proc_state_name(p->state), how);
		}
		return true;
	case PS_STARTING:
	case PS_BACKOFF:
		if (want_up)
			return false;
		client_err(c, "%s was started again before it stopped", label);
		return true;
	default:
		return false;
	}
}

static bool group_settled(struct client *c, struct group *g, bool want_up)
{
	switch (g->state) {
	case GS_RUNNING:
	case GS_STARTING:
		if (!want_up) {
			client_err(c, "group %s was started again before it stopped", g->decl.name);
			return true;
		}
		if (g->state == GS_STARTING)
			return false;
		client_ok(c, "group %s running", g->decl.name);
		return true;
	case GS_STOPPED:
		if (want_up)
			client_err(c, "group %s stopped", g->decl.name);
		else
			client_ok(c, "group %s stopped", g->decl.name);
		return true;
	case GS_FAILED:
		if (want_up)
			client_err(c, "group %s failed (see tend's log)", g->decl.name);
		else
			client_ok(c, "group %s failed", g->decl.name);
		return true;
	default:
		return false;
	}
}

bool command_wait_settled(struct tend *t, struct client *c)
{
	(void)t;
	struct client_wait *w = &c->wait;
	bool done = w->proc ? process_settled(c, w->proc, w->want_up)
			    : group_settled(c, w->group, w->want_up);
	if (done)
		w->active = false;
	return done;
}

#define LOGS_DEFAULT_LINES 10

struct log_line {
	char *text; /* "TIME [process: ]line" */
	size_t seq; /* keeps lines of one process in order when times tie */
};

static int by_time(const void *a, const void *b)
{
	const struct log_line *x = a, *y = b;
	int c = strncmp(x->text, y->text, WALL_TIME_LEN - 1);
	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The last n lines of one process, or of every process of a group merged by
 * time and each marked with its process's name. */
static void send_log_tail(struct tend *t, struct client *c, struct group *g, struct process *only,
			  size_t n)
{
	struct log_line *all = NULL;
	size_t count = 0, seq = 0;
	for (size_t i = 0; i < g->nprocs; i++) {
		struct process *p = &g->procs[i];
		char path[4096];
		if (only && p != only)
			continue;
		proclog_path(t, g->decl.name, p->decl->name, path, sizeof(path));
		char **lines = logfile_tail(path, n);
		size_t k = argv_count(lines);
		struct log_line *more = realloc(all, (count + k + 1) * sizeof(*all));
		for (size_t j = 0; more && j < k; j++) {
			struct buf b = { 0 };
			if (only || strlen(lines[j]) < WALL_TIME_LEN) {
				buf_puts(&b, lines[j]);
			} else {
				buf_append(&b, lines[j], WALL_TIME_LEN);
				buf_printf(&b, "%s: %s", p->decl->name, lines[j] + WALL_TIME_LEN);
			}
			more[count++] =
			    (struct log_line){ .text = b.data ? b.data : strdup(""), .seq = seq++ };
		}
		all = more ? more : all;
		argv_free(lines);
	}
	if (all)
		qsort(all, count, sizeof(*all), by_time);
	for (size_t i = 0; i < count; i++) {
		if (i + n >= count)
			client_data_raw(c, all[i].text);
		free(all[i].text);
	}
	free(all);
}

/* logs GROUP[/PROCESS] [-n N] [-f] */
static void cmd_logs(struct tend *t, struct client *c, char **argv)
{
	const char *target = NULL;
	size_t n = LOGS_DEFAULT_LINES;
	bool follow = false, bad = false;
	for (char **a = argv + 1; *a && !bad; a++) {
		char *end;
		if (strcmp(*a, "-f") == 0) {
			follow = true;
		} else if (strcmp(*a, "-n") == 0 && a[1]) {
			unsigned long v = strtoul(*++a, &end, 10);
			bad = *end || **a == '-' || v > 100000;
			n = v;
		} else if (**a == '-' || target) {
			bad = true;
		} else {
			target = *a;
		}
	}
	if (bad || !target)
		return client_err(c, "usage: logs GROUP[/PROCESS] [-n LINES] [-f]");
	struct group *g;
	struct process *p;
	if (!find_target(t, c, target, &g, &p))
		return;
	send_log_tail(t, c, g, p, n);
	if (!follow)
		return client_ok(c, "%s", "");
	c->follow_group = g;
	c->follow_proc = p;
	c->follow_all = !p;
}

/* Applies conf.d now and reports what changed, or every error. */
static void cmd_reload(struct tend *t, struct client *c, char **argv)
{
	if (argv[1])
		return client_err(c, "usage: reload");
	struct buf report = { 0 };
	int r = tend_reload(t, &report);
	char *summary = strrchr(report.data ? report.data : "", '\n');
	if (summary)
		*summary++ = '\0';
	else
		summary = report.data ? report.data : (char *)"";
	if (summary != report.data && report.data && report.data[0])
		client_data_raw(c, report.data);
	if (r < 0)
		client_err(c, "%s", summary);
	else
		client_ok(c, "reload applied: %s", summary);
	buf_free(&report);
}

/* reboot, poweroff, halt: as PID 1 only; elsewhere tend is not the one
 * that ends the machine. */
static void cmd_shutdown(struct tend *t, struct client *c, char **argv)
{
	enum shutdown_kind kind = strcmp(argv[0], "reboot") == 0     ? SHUTDOWN_REBOOT
				  : strcmp(argv[0], "poweroff") == 0 ? SHUTDOWN_POWEROFF
								     : SHUTDOWN_HALT;
	if (argv[1])
		return client_err(c, "usage: %s", argv[0]);
	if (t->mode != MODE_PID1)
		return client_err(c, "tend is not PID 1 here; stop it with SIGTERM instead");
	if (t->shutting_down)
		return client_err(c, "tend is shutting down");
	tend_log(&t->log, LOG_INFO, "control: %s (uid %d)", argv[0], (int)c->uid);
	client_ok(c, "%s: stopping every group", argv[0]);
	tend_begin_shutdown(t, kind);
}

/* watchdog suspend|resume GROUP/PROCESS: for debugging a watched process
 * (a debugger stops it; tend must not take that for a hang). */
static void cmd_watchdog(struct tend *t, struct client *c, char **argv)
{
	bool suspend = argv[1] && strcmp(argv[1], "suspend") == 0;
	if (!argv[1] || !argv[2] || argv[3] || (!suspend && strcmp(argv[1], "resume") != 0) ||
	    !strchr(argv[2], '/'))
		return client_err(c, "usage: watchdog suspend|resume GROUP/PROCESS");
	struct group *g;
	struct process *p;
	if (!find_target(t, c, argv[2], &g, &p))
		return;
	if (!watchdog_timeout_ms(p))
		return client_err(c, "%s has no watchdog", argv[2]);
	tend_log(&t->log, LOG_INFO, "control: watchdog %s %s (uid %d)", argv[1], argv[2],
		 (int)c->uid);
	watchdog_suspend(t, p, suspend);
	client_ok(c, "watchdog of %s %s", argv[2], suspend ? "suspended" : "resumed");
}

static const struct command {
	const char *name;
	handler_fn *handler;
} commands[] = {
	{ "ping", cmd_ping },	      { "status", cmd_status },	  { "start", cmd_start },
	{ "stop", cmd_stop },	      { "restart", cmd_restart }, { "events", cmd_events },
	{ "reload", cmd_reload },     { "logs", cmd_logs },	  { "reboot", cmd_shutdown },
	{ "poweroff", cmd_shutdown }, { "halt", cmd_shutdown },	  { "watchdog", cmd_watchdog },
};

void command_dispatch(struct tend *t, struct client *c, char **argv)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].handler(t, c, argv);
	client_err(c, "usage: unknown command %.64s (tendctl -h lists them)", argv[0]);
}
