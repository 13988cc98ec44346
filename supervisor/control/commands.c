/* The control requests: one handler each, looked up by name. */
#include "control/authorise.h"
#include "control/commands.h"
#include "control/server.h"
#include "control/status.h"
#include "core/context.h"
#include "libtend/cmdline.h"
#include "sys/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

typedef void handler_fn(struct tend *t, struct client *c, char **argv);

bool request_number(const char *word, unsigned long long min, unsigned long long max,
		    unsigned long long *out)
{
	char *end;
	if (!word || *word < '0' || *word > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(word, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void cmd_ping(struct tend *t, struct client *c, char **argv)
{
	(void)argv;
	client_ok(c, "tend %s pid %d mode %s", TEND_VERSION, (int)getpid(),
		  tend_mode_name(t->mode));
}

/* status [--json] [--tenant T] [GROUP] */
static void cmd_status(struct tend *t, struct client *c, char **argv)
{
	static const char usage[] = "usage: status [--json] [--tenant T] [GROUP]";
	struct status_filter f = { 0 };
	bool json = false;
	const char *name = NULL;
	for (char **a = argv + 1; *a; a++) {
		if (strcmp(*a, "--json") == 0)
			json = true;
		else if (strcmp(*a, "--tenant") == 0 && a[1] && !f.tenant)
			f.tenant = *++a;
		else if (strncmp(*a, "--tenant=", 9) == 0 && !f.tenant)
			f.tenant = *a + 9;
		else if (**a == '-' || name)
			return client_err(c, "%s", usage);
		else
			name = *a;
	}
	if (f.tenant && !valid_name(f.tenant))
		return client_err(c, "invalid tenant name \"%.80s\"", f.tenant);
	if (name && client_refuse_target(t, c, name))
		return;
	f.group = name ? tend_find_group(t, name) : NULL;
	f.caller = c->tenant_user ? c : NULL;
	/* who else uses the socket is not a tenant's business */
	f.control = c->tenant_user || name ? NULL : c->ctl;
	if (name && !f.group)
		return client_err(c, "no such group: %s", name);
	if (f.group && !status_shows(t, &f, f.group))
		return client_err(c, "group %s is not tenant %s's", name, f.tenant);
	struct buf out = { 0 };
	tracker_batch_begin(&t->tracker);
	(json ? status_json : status_text)(t, c->ctl->cluster, &f, &out);
	tracker_batch_end(&t->tracker);
	client_reply_buf(c, &out);
}

static bool find_target(struct tend *t, struct client *c, const char *target, struct group **gp,
			struct process **pp)
{
	bool named = tend_find_target(t, target, gp, pp);
	if (!*gp) {
		client_err(c, "no such group: %.*s", (int)strcspn(target, "/"), target);
		return false;
	}
	if (named && !*pp) {
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
	if (client_refuse_target(t, c, target) || !find_target(t, c, target, &g, &p))
		return;
	if (v != VERB_STOP && t->shutting_down)
		return client_err(c, "tend is shutting down");
	if (group_placed(t, g) && c->ctl->cluster &&
	    placed_request(t, c, g, p, v == VERB_START ? PLACE_START : v == VERB_STOP ? PLACE_STOP
										: PLACE_RESTART))
		return;
	/* A group whose old declaration is still stopping starts when that is
	 * gone: a request about it (or about one of its processes while its
	 * start is held) is held too. */
	bool may_hold = g->start_pending || !p;
	if (!may_hold && v != VERB_STOP && !group_allows_restart(g))
		return client_err(c, "group %s is %s: start the group first", g->decl.name,
				  group_state_name(g->state));
	tend_log(&t->log, LOG_INFO, "control: %s %s (uid %d)", argv[0], target, (int)c->uid);
	if (may_hold && v == VERB_STOP)
		deps_call_off(g);
	if (may_hold && registry_hold_request(t, g, v != VERB_STOP))
		return client_ok(c, "group %s %s", g->decl.name,
				 v == VERB_STOP ? "will not start"
						: "starts once its old declaration stopped");
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
	wait_settled(c);
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

/* Applies conf.d and reports what changed, or every error: once a reload
 * that starts after this request is over (control_reload_done). tend goes
 * on meanwhile; the client's next requests wait behind the answer. */
static void cmd_reload(struct tend *t, struct client *c, char **argv)
{
	(void)t;
	if (argv[1])
		return client_err(c, "usage: reload");
	struct control *ctl = c->ctl;
	if (!ctl->reload)
		return client_err(c, "reload is not available here");
	uint64_t ticket = ctl->reload(ctl->reload_ctx);
	if (!ticket)
		return client_err(c, "tend is shutting down");
	c->wait = (struct client_wait){ .reload = ticket, .active = true };
}

void control_reload_done(struct control *ctl, uint64_t done, bool ok, const struct buf *report)
{
	for (struct client *c = ctl->clients; c; c = c->next) {
		if (!c->wait.active || !c->wait.reload || c->wait.reload > done)
			continue;
		struct buf copy = { 0 }; /* client_reply_report cuts it up */
		buf_puts(&copy, report->data ? report->data : "");
		c->wait = (struct client_wait){ 0 };
		if (copy.oom)
			client_err(c, "out of memory");
		else
			client_reply_report(c, &copy, ok, "reload applied: ");
		buf_free(&copy);
		client_flush(c);
	}
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
 * (a debugger stops it; tend must not take that for a hang). watchdog
 * device: the hardware watchdog (watchdog_device.c). */
static void cmd_watchdog(struct tend *t, struct client *c, char **argv)
{
	if (argv[1] && strcmp(argv[1], "device") == 0)
		return cmd_watchdog_device(t, c, argv);
	bool suspend = argv[1] && strcmp(argv[1], "suspend") == 0;
	if (!argv[1] || !argv[2] || argv[3] || (!suspend && strcmp(argv[1], "resume") != 0) ||
	    !strchr(argv[2], '/'))
		return client_err(c, "usage: watchdog suspend|resume GROUP/PROCESS, or watchdog "
				     "device [--json]");
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
	{ "service", cmd_service },   { "watch", cmd_watch },	  { "add", cmd_add },
	{ "remove", cmd_remove },     { "peers", cmd_peers },	  { "release", cmd_release },
	{ "run", cmd_run },
	{ "tenants", cmd_tenants },
};

/* Room for a status line, taken before a request acts: a request that
 * changed something is never answered "out of memory" because its answer
 * could not be held. */
#define STATUS_ROOM 256

void command_dispatch(struct tend *t, struct client *c, char **argv)
{
	if (!buf_room(&c->out, STATUS_ROOM)) {
		c->out.oom = false; /* nothing was cut: nothing was written */
		return client_err(c, "out of memory");
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].handler(t, c, argv);
	client_err(c, "usage: unknown command %.64s (tendctl -h lists them)", argv[0]);
}
