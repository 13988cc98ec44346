/* `status`: what tend supervises, as a tree for people or as JSON for scripts. */
#ifndef TEND_STATUS_H
#define TEND_STATUS_H

#include "base/buf.h"

#include <stdbool.h>

struct tend;
struct group;
struct cluster;
struct client;
struct control;

#include <stdbool.h>

/* What a status shows. Who may see which tenant's groups is decided by
 * whoever fills this in (the control request: commands.c). */
struct status_filter {
	struct group *group;	       /* NULL: every group */
	const char *tenant;	       /* NULL: every tenant's */
	const struct client *caller;   /* NULL: anyone; else what it may see (authorise.h) */
	const struct control *control; /* its clients' counters shown; NULL: not shown */
};

bool status_shows(const struct tend *t, const struct status_filter *f, const struct group *g);
/* cl: where negotiable groups run (NULL: no cluster). */
void status_text(struct tend *t, struct cluster *cl, const struct status_filter *f,
		 struct buf *out);
void status_json(struct tend *t, struct cluster *cl, const struct status_filter *f,
		 struct buf *out);

#endif
