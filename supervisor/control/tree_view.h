/* A supervised process's descendants as a tree (status): each under its
 * parent, orphans re-parented to tend under the process they came from,
 * marked adopted; zombies (exited, not reaped yet) are not shown. */
#ifndef TEND_TREE_VIEW_H
#define TEND_TREE_VIEW_H

#include <stdbool.h>

#include "base/buf.h"

struct tend;
struct process;

/* "    + PID COMM" lines, two more spaces a level, " (adopted)" after an
 * orphan tend adopted. */
void tree_view_text(struct tend *t, struct process *p, struct buf *out);
/* ,"descendants":[PID,...],"tree":[{"pid","ppid","comm","adopted",
 * "children":[...]},...] */
void tree_view_json(struct tend *t, struct process *p, struct buf *out);
/* Whether the main process has exited and waits to be reaped (a zombie). */
bool main_is_zombie(const struct process *p);

#endif
