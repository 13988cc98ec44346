/* A supervised process's descendants as a tree (status): each under its
 * parent, orphans re-parented to tend under the process they came from,
 * marked adopted; zombies (exited, not reaped yet) are not shown. */
#ifndef TEND_TREE_VIEW_H
#define TEND_TREE_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/pid_tree.h"

struct tend;
struct process;

struct tree_view {
	struct pid_node *v; /* the descendants, ordered as a tree (pid_tree.h) */
	size_t n;
	bool main_zombie; /* the main process has exited and waits to be reaped */
};

/* Reads p's tree: members from the tracker, parents and names from /proc. */
void tree_view_read(struct tend *t, struct process *p, struct tree_view *tv);
void tree_view_free(struct tree_view *tv);
/* "    + PID COMM" lines, two more spaces a level, " (adopted)" after an
 * orphan tend adopted, " (parent PID)" after another stray. */
void tree_view_text(const struct tree_view *tv, const struct process *p, struct buf *out);
/* ,"descendants":[PID,...],"tree":[{"pid","ppid","comm","adopted",
 * "children":[...]},...] */
void tree_view_json(const struct tree_view *tv, struct buf *out);

#endif
