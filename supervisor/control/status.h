/* `status`: what tend supervises, as a tree for people or as JSON for scripts. */
#ifndef TEND_STATUS_H
#define TEND_STATUS_H

#include "base/buf.h"

struct tend;
struct group;
struct cluster;

/* g NULL: every group. cl: where negotiable groups run (NULL: no cluster). */
void status_text(struct tend *t, struct cluster *cl, struct group *g, struct buf *out);
void status_json(struct tend *t, struct cluster *cl, struct group *g, struct buf *out);

#endif
