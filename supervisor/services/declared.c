/* Declared services follow their processes' states (see declared.h). */
#include "services/declared.h"
#include "services/directory.h"
#include "core/bus.h"
#include "core/group.h"
#include "core/process.h"
#include "sys/log.h"

#include <string.h>
#include <unistd.h>

static bool offered_by(const struct service_decl *sd, const struct process *p)
{
	return strcmp(sd->process, p->decl->name) == 0;
}

static void offer(struct directory *d, struct process *p, const struct service_decl *sd)
{
	const struct group *g = p->group;
	struct location_spec spec = { .name = sd->name,
				      .host = sd->host,
				      .path = sd->path,
				      .context = sd->context,
				      .port = sd->port,
				      .proto = sd->proto,
				      .owner = OWNER_PROCESS,
				      .mobile = g->decl.negotiable,
				      .proc = p,
				      .group_name = g->decl.name,
				      .process_name = p->decl->name,
				      .pid = p->pid,
				      .uid = p->decl->uid != NO_ID ? p->decl->uid : geteuid() };
	const char *why = "";
	char err[128];
	struct location *l = location_new(&spec, d->this_host, &why);
	if (!l)
		tend_log(d->log, LOG_WARN, "service %s of %s/%s: %s", sd->name, g->decl.name,
			 p->decl->name, why);
	else if (directory_put(d, l, err, sizeof(err)) < 0)
		tend_log(d->log, LOG_WARN, "service %s of %s/%s: %s", sd->name, g->decl.name,
			 p->decl->name, err);
}

/* Removes p's locations of `name`. */
static void withdraw_name(struct directory *d, const struct process *p, const char *name)
{
	struct location *l = directory_find(d, name), *next;
	for (; l; l = next) {
		next = directory_next_of_name(l);
		if (l->owner == OWNER_PROCESS && l->proc == p)
			directory_remove(d, l);
	}
}

static void process_changed(struct directory *d, struct process *p)
{
	const struct group_decl *gd = &p->group->decl;
	for (size_t i = 0; i < gd->nservices; i++) {
		if (!offered_by(&gd->services[i], p))
			continue;
		if (p->state == PS_RUNNING)
			offer(d, p, &gd->services[i]);
		else
			withdraw_name(d, p, gd->services[i].name);
	}
}

static bool still_declared(const struct group_decl *gd, const struct location *l)
{
	for (size_t i = 0; i < gd->nservices; i++)
		if (strcmp(gd->services[i].name, l->name) == 0 &&
		    strcmp(gd->services[i].process, l->process_name) == 0)
			return true;
	return false;
}

/* Withdraws every location of g's processes that its declaration no
 * longer has (all of them: `all`), wherever in the directory. */
static void withdraw_group(struct directory *d, const struct group *g, bool all)
{
	const struct process *first = g->procs, *end = g->procs + g->nprocs;
	size_t cursor = 0;
	struct location *l = directory_next(d, &cursor, NULL), *next;
	for (; l; l = next) {
		next = directory_next(d, &cursor, l);
		if (l->owner == OWNER_PROCESS && l->proc >= first && l->proc < end &&
		    (all || !still_declared(&g->decl, l)))
			directory_remove(d, l);
	}
}

static void group_updated(struct directory *d, struct group *g)
{
	withdraw_group(d, g, false);
	for (size_t i = 0; i < g->nprocs; i++)
		if (g->procs[i].state == PS_RUNNING)
			process_changed(d, &g->procs[i]);
}

static void group_state(struct directory *d, const struct group *g)
{
	struct change c = { .kind = CHANGE_GROUP,
			    .subject = g->decl.name,
			    .state = (uint8_t)g->state };
	journal_record(&d->journal, &c);
}

void declared_on_event(void *ctx, const struct bus_event *ev)
{
	struct directory *d = ctx;
	switch (ev->kind) {
	case BUS_PROCESS_STATE:
		if (ev->proc->group->decl.nservices)
			process_changed(d, ev->proc);
		break;
	case BUS_GROUP_UPDATED:
		group_updated(d, ev->group);
		break;
	case BUS_GROUP_GONE:
		/* nothing should be left; never a dangling owner */
		if (ev->group->decl.nservices && d->nlocations)
			withdraw_group(d, ev->group, true);
		break;
	case BUS_GROUP_STATE:
		group_state(d, ev->group);
		break;
	default:
		break;
	}
}
