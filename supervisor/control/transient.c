/* `add FILE` and `remove GROUP`: groups, processes and services installed
 * into the running tend from a file in the conf.d language, without
 * touching conf.d (the paper's addservice). They are transient: they live
 * until removed or until tend stops, and a reload of conf.d leaves them
 * alone. */
#include "control/commands.h"
#include "control/server.h"
#include "core/context.h"
#include "core/reload_apply.h"
#include "sys/log.h"

#include <string.h>

void cmd_add(struct tend *t, struct client *c, char **argv)
{
	if (!argv[1] || argv[2] || argv[1][0] != '/')
		return client_err(c,
				  "usage: add /ABSOLUTE/FILE (tendctl add makes a path absolute)");
	if (t->shutting_down)
		return client_err(c, "tend is shutting down");
	/* Read by the isolated reader, which refuses what is not a regular
	 * file and is killed after its deadline: tend itself opens nothing. */
	struct config cfg = { 0 };
	char errors[8192] = "";
	if (config_load_file_isolated(argv[1], &cfg, errors, sizeof(errors)) < 0) {
		struct buf report = { 0 };
		buf_printf(&report, "%s%s: invalid; nothing added\n", errors, argv[1]);
		client_reply_report(c, &report, false, "");
		buf_free(&report);
		return;
	}
	/* Tenants are conf.d's: an added group runs under the one tend runs
	 * with (looked up at each start), never one the file brings along. */
	if (cfg.ntenants || cfg.nprofiles) {
		config_free(&cfg);
		return client_err(
		    c, "%s: tenant and seccomp sections belong in conf.d; nothing added", argv[1]);
	}
	struct buf report = { 0 };
	int n = registry_add_transient(t, &cfg, &report);
	if (n < 0) {
		config_free(&cfg);
		buf_printf(&report, "%s: nothing added\n", argv[1]);
	} else {
		buf_printf(&report, "%d group(s) added from %s\n", n, argv[1]);
		tend_log(&t->log, LOG_INFO, "control: added %d group(s) from %s (uid %d)", n,
			 argv[1], (int)c->uid);
		tend_state_changed(t);
	}
	client_reply_report(c, &report, n >= 0, "");
	buf_free(&report);
}

/* Answers once the group is stopped and gone, like `stop`. */
void cmd_remove(struct tend *t, struct client *c, char **argv)
{
	bool wait = true;
	const char *name = NULL;
	for (char **a = argv + 1; *a; a++) {
		if (strcmp(*a, "--no-wait") == 0)
			wait = false;
		else if (**a == '-' || name)
			return client_err(c, "usage: remove [--no-wait] GROUP");
		else
			name = *a;
	}
	if (!name)
		return client_err(c, "usage: remove [--no-wait] GROUP");
	struct group *g = tend_find_group(t, name);
	if (!g)
		return client_err(c, "no such group: %s", name);
	if (!g->transient)
		return client_err(c, "group %s is declared in conf.d: edit conf.d to remove it",
				  name);
	tend_log(&t->log, LOG_INFO, "control: remove %s (uid %d)", name, (int)c->uid);
	if (reload_remove_group(t, g) < 0)
		return client_err(c, "out of memory");
	if (!wait)
		return client_ok(c, "removing %s", name);
	c->wait = (struct client_wait){ .group = g, .want_up = false, .active = true };
	wait_settled(c);
}
