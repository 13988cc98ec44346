/* `run [OPTIONS] -- COMMAND [ARG...]`: launches a command as a transient
 * group of its own (config/run.c reads the words; the core removes the
 * group once it has ended: core/ephemeral.c). The reply names the group;
 * with --wait it comes once the group has ended and says how the command
 * ended: a data line "status exit N" or "status signal N", then OK. */
#include "config/run.h"
#include "control/authorise.h"
#include "control/commands.h"
#include "control/server.h"
#include "core/context.h"
#include "sys/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* Whether the caller may launch for this tenant: the one place that
 * decides it. NULL: allowed; else why not.
 *
 * Today every caller the server lets in (root, or tend's own uid: see
 * caller_allowed() in server.c) may launch for any tenant, since tenants
 * are labels. Tenants that are Unix users add their rule here, and only
 * here: as root, a caller whose uid is a tenant's `user` may launch only
 * for that tenant. */
/* A tenant's user may launch only into its tenants (authorise.c); the
 * caller's kind was fixed from SO_PEERCRED when it connected. */
static const char *run_refused(struct tend *t, const struct client *c, const char *tenant,
			       char *why, size_t len)
{
	if (client_may_use_tenant(t, c, tenant))
		return NULL;
	snprintf(why, len,
		 "permission denied: uid %d may not launch for tenant %s (name one of its "
		 "tenants with --tenant)",
		 (int)c->uid, tenant);
	return why;
}

static bool name_taken(struct tend *t, const char *name)
{
	return tend_find_group(t, name) || registry_retiring(t, name);
}

/* run-N with N new in this tend's life (and no group of that name). */
static void next_name(struct tend *t, struct control *ctl, char *name, size_t len)
{
	do
		snprintf(name, len, "run-%u", ++ctl->runs);
	while (name_taken(t, name));
}

/* The exit status a shell would give: N, 128 + a signal; 127 for a
 * command that could not be found, 126 for one that could not be run. */
void run_answer(struct client *c, struct group *g)
{
	const struct process *p = &g->procs[0];
	char how[64];
	if (p->last_status >= 0 && WIFSIGNALED(p->last_status)) {
		describe_wait_status(p->last_status, how, sizeof(how));
		client_data(c, "status signal %d", WTERMSIG(p->last_status));
		client_ok(c, "%s %s", g->decl.name, how);
	} else if (p->last_status >= 0) {
		client_data(c, "status exit %d", WEXITSTATUS(p->last_status));
		client_ok(c, "%s exited %d", g->decl.name, WEXITSTATUS(p->last_status));
	} else if (p->last_spawn_errno) {
		client_data(c, "status exit %d", p->last_spawn_errno == ENOENT ? 127 : 126);
		client_ok(c, "%s could not start: %s", g->decl.name, strerror(p->last_spawn_errno));
	} else {
		client_ok(c, "%s ended", g->decl.name);
	}
	client_flush(c);
}

/* The command's first word for tend's log: a line each, so no control
 * characters (a word may hold a newline), and not too long. */
static const char *loggable(const char *word, char *buf, size_t len)
{
	size_t i = 0;
	for (; word[i] && i + 1 < len; i++) {
		buf[i] = word[i];
		if ((unsigned char)word[i] < 0x20 || word[i] == 0x7f)
			buf[i] = '?';
	}
	buf[i] = '\0';
	return buf;
}

/* Makes and starts the group; NULL when refused (answered). */
static struct group *launch(struct tend *t, struct client *c, const struct run_options *o,
			    const char *name)
{
	struct group_decl decl;
	const char *why;
	char command[128];
	if (run_decl_make(o, name, &decl) < 0) {
		client_err(c, "out of memory");
		return NULL;
	}
	tend_log(&t->log, LOG_INFO, "control: run %s as group %s of tenant %s (uid %d)",
		 loggable(o->argv[0], command, sizeof(command)), name, o->tenant, (int)c->uid);
	struct group *g = registry_add_run(t, &decl, &why);
	if (!g) {
		group_decl_free(&decl);
		client_err(c, "group %s %s", name, why);
		return NULL;
	}
	tend_state_changed(t);
	int err = g->procs[0].last_spawn_errno;
	if (!err)
		return g;
	/* A command that cannot start is not retried, whatever --restart
	 * says: the group stops and goes (a typo is not a service). */
	if (group_up(g))
		group_step(t, g, GE_STOP);
	client_err(c, "%s: cannot start %s: %s", name, o->argv[0], strerror(err));
	return NULL;
}

void cmd_run(struct tend *t, struct client *c, char **argv)
{
	struct run_options o;
	char why[512], name[NAME_MAX_LEN + 1];
	const char *refused;
	if (run_options_parse(argv, &o, why, sizeof(why)) < 0)
		client_err(c, "%s", why);
	else if (t->shutting_down)
		client_err(c, "tend is shutting down");
	else if ((refused = run_refused(t, c, o.tenant, why, sizeof(why))))
		client_err(c, "%s", refused);
	else if (o.group && name_taken(t, o.group))
		client_err(c, "group %s exists: choose another --group", o.group);
	else {
		if (o.group)
			snprintf(name, sizeof(name), "%s", o.group);
		else
			next_name(t, c->ctl, name, sizeof(name));
		struct group *g = launch(t, c, &o, name);
		if (g && !o.wait)
			client_ok(c, "%s", name);
		else if (g) {
			client_data(c, "%s", name);
			c->wait =
			    (struct client_wait){ .group = g, .until_gone = true, .active = true };
		}
	}
	run_options_free(&o);
}
