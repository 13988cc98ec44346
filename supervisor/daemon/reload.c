/* Reload: read conf.d again and apply the difference. Everything is parsed
 * first (in a child: config/isolate.c); if anything is invalid nothing
 * changes and every error is reported. Otherwise the `system` settings are
 * applied and the core applies the plan (core/reload_apply.c). Triggered
 * by SIGHUP, `tendctl reload` and edits of conf.d (confwatch.c). */
#include "daemon/daemon.h"
#include "core/reload_apply.h"
#include "sys/log.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static void publish(struct tend *t, const char *what, const char *message)
{
	struct bus_event ev = { .kind = BUS_RELOAD, .what = what, .text = message };
	bus_publish(&t->bus, &ev);
}

static int rejected(struct daemon *d, int loaded, char *errors, struct buf *report)
{
	struct tend *t = &d->tend;
	const char *what = loaded == CONFIG_UNREADABLE
			       ? "declarations could not be read; nothing changed"
			       : "declarations are invalid; nothing changed";
	tend_log(&t->log, LOG_ERR, "reload: %s: %s", d->confdir, what);
	for (char *line = strtok(errors, "\n"); line; line = strtok(NULL, "\n")) {
		tend_log(&t->log, LOG_ERR, "reload: %s", line);
		buf_printf(report, "%s\n", line);
	}
	buf_puts(report, what);
	publish(t, "rejected", what);
	return -1;
}

int daemon_reload(struct daemon *d, struct buf *report)
{
	struct tend *t = &d->tend;
	struct config cfg = { 0 };
	char errors[8192];
	if (t->shutting_down) {
		buf_puts(report, "tend is shutting down");
		return -1;
	}
	int loaded = config_load_dir_isolated(d->confdir, &cfg, errors, sizeof(errors));
	if (loaded < 0)
		return rejected(d, loaded, errors, report);
	struct buf clash = { 0 };
	if (registry_transient_clash(t, &cfg, &clash)) {
		config_free(&cfg);
		int r = rejected(d, -1, clash.data ? clash.data : "", report);
		buf_free(&clash);
		return r;
	}
	buf_free(&clash);
	/* Profiles compile before anything changes: one that does not leaves
	 * everything as it was. */
	struct tenants tenants = { 0 };
	if (tenants_prepare(&tenants, &cfg, errors, sizeof(errors)) < 0) {
		config_free(&cfg);
		return rejected(d, -1, errors, report);
	}
	char why[600];
	int joined = cluster_apply(&d->cluster, &cfg.cluster, why, sizeof(why));
	if (joined < 0) {
		char line[1200];
		snprintf(line, sizeof(line), "%s:%d: %s\n", cfg.cluster.file, cfg.cluster.line,
			 why);
		config_free(&cfg);
		tenants_free(&tenants);
		return rejected(d, -1, line, report);
	}
	if (joined > 0)
		buf_printf(report, "%s\n", why);
	system_apply(t, &cfg.system);
	system_apply_services(&d->services, &cfg.system);
	/* Before the plan: the groups it starts run under the new profiles,
	 * changed limits are written to the live tenant cgroups now, and a
	 * tenant that gained a user has its records copied from now on. */
	tenants_replace(&t->tenants, &tenants);
	account_tenants_changed(&d->account);
	int r = tenants_declare_limits(&t->tenants, &t->tracker);
	control_socket_mode(&d->control);
	if (r == 0)
		r = reload_apply(t, &cfg, report);
	config_free(&cfg);
	/* The declarations that changed nothing (most of them, usually) were
	 * received only to be compared, and are freed now: give the pages back. */
	malloc_trim(0);
	const char *summary = strrchr(report->data ? report->data : "", '\n');
	summary = summary ? summary + 1 : report->data;
	tend_log(&t->log, r < 0 ? LOG_ERR : LOG_INFO, "reload: %s",
		 r < 0 ? "out of memory" : summary);
	publish(t, r < 0 ? "failed" : "applied", r < 0 ? "out of memory" : summary);
	return r;
}
