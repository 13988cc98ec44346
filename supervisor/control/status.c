#include "control/status.h"
#include "control/tree_view.h"
#include "base/json.h"
#include "cluster/cluster.h"
#include "control/authorise.h"
#include "control/server.h"
#include "core/context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Uptime to the precision a person wants: "850ms", "12.3s", "4m05s", "3h07m", "2d04h". */
static void format_uptime(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;
	if (ms < 1000)
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	else if (s < 60)
		snprintf(buf, len, "%llu.%llus", (unsigned long long)s,
			 (unsigned long long)(ms % 1000 / 100));
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
}

/* What the process last said about itself: STATUS= (NOTIFY_SOCKET), else
 * the state text of its watchdog page (libtend); "" if nothing. */
static void said_status(const struct process *p, char *buf, size_t len)
{
	if (p->status_text)
		snprintf(buf, len, "%s", p->status_text);
	else
		watchdog_state_text(p, buf, len);
}

/* What the control socket refused or dropped, and why (README "Limits on
 * clients"): a hostile client is seen in these counters. */
static void control_json(const struct control *ctl, struct buf *out)
{
	buf_printf(out,
		   ",\"control\":{\"clients\":%u,\"refused_uid\":%lu,\"refused_full\":%lu,"
		   "\"evicted\":%lu,\"idle_closed\":%lu,\"dropped_unread\":%lu,"
		   "\"dropped_total\":%lu,\"too_long\":%lu,\"bad_requests\":%lu}",
		   ctl->nclients, ctl->refused_uid, ctl->refused_full, ctl->evicted,
		   ctl->idle_closed, ctl->unread, ctl->over_total, ctl->too_long,
		   ctl->bad_requests);
}

static void control_text(const struct control *ctl, struct buf *out)
{
	unsigned long refused = ctl->refused_uid + ctl->refused_full;
	unsigned long dropped = ctl->evicted + ctl->idle_closed + ctl->unread + ctl->over_total;
	unsigned long bad = ctl->too_long + ctl->bad_requests;
	if (refused || dropped || bad)
		buf_printf(out,
			   "control: %u clients; %lu connections refused, %lu closed by tend, "
			   "%lu bad requests (status --json: \"control\")\n",
			   ctl->nclients, refused, dropped, bad);
}

static void process_text(struct tend *t, struct process *p, struct buf *out)
{
	char how[64], up[32];
	struct tree_view tv;
	tree_view_read(t, p, &tv);
	buf_printf(out, "  %-16s %-9s", p->decl->name, proc_state_name(p->state));
	if (p->pid) {
		format_uptime(loop_now_ms(&t->loop) - p->started_ms, up, sizeof(up));
		buf_printf(out, " pid %-7d up %-8s", (int)p->pid, up);
		if (p->adopted)
			buf_puts(out, " adopted");
		if (tv.main_zombie)
			buf_puts(out, " (exited, being reaped)");
	} else if (p->last_spawn_errno) {
		buf_printf(out, " cannot start: %s", strerror(p->last_spawn_errno));
	} else if (p->last_status >= 0 || p->last_status == EXIT_STATUS_UNKNOWN) {
		describe_wait_status(p->last_status, how, sizeof(how));
		buf_printf(out, " last %s", how);
	}
	buf_printf(out, " restarts %u", p->restarts);
	if (p->pid && p->decl->ready != READY_NONE)
		buf_puts(out, p->ready ? " ready" : " not ready");
	if (watchdog_timeout_ms(p) && watchdog_is_suspended(p))
		buf_puts(out, " watchdog suspended");
	char said[TEND_WATCHDOG_STATE_MAX];
	said_status(p, said, sizeof(said));
	if (said[0])
		buf_printf(out, " \"%s\"", said);
	buf_puts(out, "\n");
	tree_view_text(&tv, p, out);
	tree_view_free(&tv);
}

/* Where a negotiable group runs: " owner ID term N" (text). */
static void placement_text(struct cluster *cl, const struct group *g, struct buf *out)
{
	struct placement_view v;
	char id[16];

	if (!cl || !g->decl.negotiable)
		return;
	cl->placement->view(cl, g->decl.name, &v);
	if (!v.known)
		return;
	cluster_id_text(v.owner, id, sizeof(id));
	buf_printf(out, " negotiable owner %s%s term %llu%s%s", v.has_owner ? id : "none",
		   v.here ? " (this host)" : "", (unsigned long long)v.term,
		   v.stopped ? " stopped-everywhere" : "", v.failed_here ? " failed-here" : "");
}

static void placement_json(struct cluster *cl, const struct group *g, struct buf *out)
{
	struct placement_view v = { 0 };
	char id[16];

	if (cl)
		cl->placement->view(cl, g->decl.name, &v);
	buf_printf(out, ",\"negotiable\":%s", g->decl.negotiable ? "true" : "false");
	if (!v.known) /* no cluster: it runs here like any other group */
		return;
	buf_puts(out, ",\"owner\":");
	if (v.has_owner) {
		cluster_id_text(v.owner, id, sizeof(id));
		json_str(out, id);
	} else {
		buf_puts(out, "null");
	}
	buf_printf(out, ",\"term\":%llu", (unsigned long long)v.term);
}

bool status_shows(const struct tend *t, const struct status_filter *f, const struct group *g)
{
	return (!f->group || g == f->group) &&
	       (!f->tenant || strcmp(g->decl.tenant, f->tenant) == 0) &&
	       (!f->caller || client_may_act(t, f->caller, g));
}

/* The tenants of the groups shown: `default` first, then by name. */
struct shown_tenants {
	const char **v;
	size_t n;
};

static int tenant_order(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	bool dx = strcmp(x, DEFAULT_TENANT) == 0, dy = strcmp(y, DEFAULT_TENANT) == 0;
	return dx != dy ? (dx ? -1 : 1) : strcmp(x, y);
}

/* n 0 when out of memory: then the groups are shown as one list. */
static struct shown_tenants tenants_shown(struct tend *t, const struct status_filter *f)
{
	struct shown_tenants l = { .v = calloc(t->ngroups + 1, sizeof(*l.v)) };
	for (size_t i = 0; l.v && i < t->ngroups; i++) {
		const char *name = t->groups[i]->decl.tenant;
		size_t k = 0;
		while (k < l.n && strcmp(l.v[k], name) != 0)
			k++;
		if (k == l.n && status_shows(t, f, t->groups[i]))
			l.v[l.n++] = name;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), tenant_order);
	return l;
}

static void group_text(struct tend *t, struct cluster *cl, struct group *g, struct buf *out)
{
	buf_printf(out, "%s %s", g->decl.name, group_state_name(g->state));
	if (g->transient)
		buf_puts(out, " transient");
	placement_text(cl, g, out);
	if (strcmp(g->decl.tenant, DEFAULT_TENANT) != 0)
		buf_printf(out, " tenant %s", g->decl.tenant);
	struct buf waits = { 0 };
	deps_waiting_for(g, &waits, false);
	if (waits.len)
		buf_printf(out, " (waits for %s)", waits.data);
	buf_free(&waits);
	buf_puts(out, "\n");
	for (size_t j = 0; j < g->nprocs; j++)
		process_text(t, &g->procs[j], out);
}

/* With more than one tenant shown, each tenant's groups under a line
 * "tenant NAME:"; with one, the groups as they always were. */
void status_text(struct tend *t, struct cluster *cl, const struct status_filter *f, struct buf *out)
{
	struct shown_tenants l = tenants_shown(t, f);
	for (size_t k = 0; k < (l.n ? l.n : 1); k++) {
		if (l.n > 1)
			buf_printf(out, "tenant %s:\n", l.v[k]);
		for (size_t i = 0; i < t->ngroups; i++) {
			struct group *g = t->groups[i];
			if (status_shows(t, f, g) && (!l.n || strcmp(g->decl.tenant, l.v[k]) == 0))
				group_text(t, cl, g, out);
		}
	}
	free(l.v);
	for (size_t i = 0; i < t->nretiring && !f->group; i++) {
		struct group *g = t->retiring[i];
		if (!status_shows(t, f, g))
			continue;
		buf_printf(out, "%s %s (removed or replaced by a reload)\n", g->decl.name,
			   group_state_name(g->state));
		for (size_t j = 0; j < g->nprocs; j++)
			process_text(t, &g->procs[j], out);
	}
	if (!f->group)
		buf_printf(out, "tracking: %s%s%s\n", tracking_mode_name(t->tracker.mode),
			   t->tracker.mode == TRACK_CGROUP ? " " : "",
			   t->tracker.mode == TRACK_CGROUP ? t->tracker.root : "");
	if (!f->group && t->notify_dropped)
		buf_printf(out,
			   "notify: %llu datagrams dropped (not from a supervised tree, or "
			   "malformed)\n",
			   (unsigned long long)t->notify_dropped);
	if (f->control)
		control_text(f->control, out);
}

static void process_json(struct tend *t, struct process *p, struct buf *out)
{
	buf_puts(out, "{\"name\":");
	json_str(out, p->decl->name);
	if (p->pid)
		buf_printf(out, ",\"pid\":%d", (int)p->pid);
	else
		buf_puts(out, ",\"pid\":null");
	buf_printf(out,
		   ",\"state\":\"%s\",\"restarts\":%u,\"type\":\"%s\",\"critical\":%s,"
		   "\"dependent\":%s",
		   proc_state_name(p->state), p->restarts, process_type_name(p->decl->type),
		   p->decl->critical ? "true" : "false", p->decl->dependent ? "true" : "false");
	if (p->pid)
		buf_printf(out, ",\"uptime_ms\":%llu",
			   (unsigned long long)(loop_now_ms(&t->loop) - p->started_ms));
	if (p->last_status >= 0 && WIFEXITED(p->last_status))
		buf_printf(out, ",\"last_exit_status\":%d", WEXITSTATUS(p->last_status));
	else if (p->last_status >= 0 && WIFSIGNALED(p->last_status))
		buf_printf(out, ",\"last_signal\":%d", WTERMSIG(p->last_status));
	else if (p->last_status == EXIT_STATUS_UNKNOWN)
		buf_puts(out, ",\"last_exit_unknown\":true");
	/* its main process was left running by a dead tend and adopted */
	buf_printf(out, ",\"adopted\":%s", p->pid && p->adopted ? "true" : "false");
	if (p->last_spawn_errno) {
		buf_puts(out, ",\"start_error\":");
		json_str(out, strerror(p->last_spawn_errno));
	}
	buf_printf(out, ",\"ready\":%s", p->pid && p->ready ? "true" : "false");
	char said[TEND_WATCHDOG_STATE_MAX];
	said_status(p, said, sizeof(said));
	if (said[0]) {
		buf_puts(out, ",\"status\":");
		json_str(out, said);
	}
	if (watchdog_timeout_ms(p))
		buf_printf(out, ",\"watchdog\":{\"timeout_ms\":%llu,\"suspended\":%s}",
			   (unsigned long long)watchdog_timeout_ms(p),
			   watchdog_is_suspended(p) ? "true" : "false");
	struct tree_view tv;
	tree_view_read(t, p, &tv);
	if (tv.main_zombie)
		buf_puts(out, ",\"zombie\":true");
	tree_view_json(&tv, out);
	tree_view_free(&tv);
	buf_puts(out, "}");
}

/* ,"key":["a","b"], for a declared list; nothing for none. */
static void names_json(struct buf *out, const char *key, char *const *names)
{
	if (!names)
		return;
	buf_printf(out, ",\"%s\":[", key);
	for (size_t i = 0; names[i]; i++) {
		buf_puts(out, i ? "," : "");
		json_str(out, names[i]);
	}
	buf_puts(out, "]");
}

static void group_json(struct tend *t, struct cluster *cl, struct group *g, struct buf *out)
{
	buf_puts(out, "{\"name\":");
	json_str(out, g->decl.name);
	buf_printf(out, ",\"state\":\"%s\",\"tenant\":", group_state_name(g->state));
	json_str(out, g->decl.tenant);
	buf_printf(out, ",\"autostart\":%s,\"transient\":%s", g->decl.autostart ? "true" : "false",
		   g->transient ? "true" : "false");
	placement_json(cl, g, out);
	names_json(out, "requires", g->decl.requires);
	names_json(out, "after", g->decl.after);
	if (g->deps_wait_start) {
		buf_puts(out, ",\"waiting_for\":[");
		deps_waiting_for(g, out, true);
		buf_puts(out, "]");
	}
	buf_puts(out, ",\"processes\":[");
	for (size_t j = 0; j < g->nprocs; j++) {
		if (j)
			buf_puts(out, ",");
		process_json(t, &g->procs[j], out);
	}
	buf_puts(out, "]}");
}

/* "tenants": each tenant shown with the names of its groups. */
static void tenants_json(struct tend *t, const struct status_filter *f, struct buf *out)
{
	struct shown_tenants l = tenants_shown(t, f);
	buf_puts(out, ",\"tenants\":[");
	for (size_t k = 0; k < l.n; k++) {
		buf_puts(out, k ? ",{\"name\":" : "{\"name\":");
		json_str(out, l.v[k]);
		buf_puts(out, ",\"groups\":[");
		bool first = true;
		for (size_t i = 0; i < t->ngroups; i++) {
			struct group *g = t->groups[i];
			if (!status_shows(t, f, g) || strcmp(g->decl.tenant, l.v[k]) != 0)
				continue;
			buf_puts(out, first ? "" : ",");
			first = false;
			json_str(out, g->decl.name);
		}
		buf_puts(out, "]}");
	}
	buf_puts(out, "]");
	if (l.n == 0 && t->ngroups && !l.v)
		out->oom = true; /* not a silent empty list */
	free(l.v);
}

/* "groups" as declared now; "retiring": groups a reload removed or replaced
 * whose processes are still stopping (a name may be in both); "tenants". */
void status_json(struct tend *t, struct cluster *cl, const struct status_filter *f, struct buf *out)
{
	buf_printf(out, "{\"mode\":\"%s\",\"tracking\":\"%s\",\"notify_dropped\":%llu,",
		   tend_mode_name(t->mode), tracking_mode_name(t->tracker.mode),
		   (unsigned long long)t->notify_dropped);
	if (cl && cl->on)
		buf_printf(out, "\"cluster_id\":\"%s\",\"peer_dropped\":%llu,",
			   cl->id_known ? cl->id_text : "",
			   (unsigned long long)cluster_dropped_total(cl));
	buf_puts(out, "\"groups\":[");
	bool first = true;
	for (size_t i = 0; i < t->ngroups; i++) {
		if (!status_shows(t, f, t->groups[i]))
			continue;
		buf_puts(out, first ? "" : ",");
		first = false;
		group_json(t, cl, t->groups[i], out);
	}
	buf_puts(out, "],\"retiring\":[");
	first = true;
	for (size_t i = 0; i < t->nretiring && !f->group; i++) {
		if (!status_shows(t, f, t->retiring[i]))
			continue;
		buf_puts(out, first ? "" : ",");
		first = false;
		group_json(t, cl, t->retiring[i], out);
	}
	buf_puts(out, "]");
	tenants_json(t, f, out);
	if (f->control)
		control_json(f->control, out);
	buf_puts(out, "}");
}
