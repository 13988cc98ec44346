/* The tenants' writers (tenant_writers.h). */
#include "account/tenant_writers.h"
#include "account/directory.h"
#include "sys/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tenant_writers_init(struct tenant_writers *tw, struct loop *loop, struct logger *log,
			 const char *rundir, const struct account_io *io, void *io_ctx)
{
	*tw = (struct tenant_writers){
		.loop = loop, .log = log, .rundir = rundir, .io = io, .io_ctx = io_ctx
	};
}

static struct tenant_writer *find(struct tenant_writers *tw, const char *name)
{
	for (size_t i = 0; name && i < tw->n; i++)
		if (strcmp(tw->v[i]->name, name) == 0)
			return tw->v[i];
	return NULL;
}

struct account_writer *tenant_writers_find(struct tenant_writers *tw, const char *name)
{
	struct tenant_writer *e = find(tw, name);
	return e ? &e->w : NULL;
}

void tenant_writers_begin(struct tenant_writers *tw)
{
	for (size_t i = 0; i < tw->n; i++)
		tw->v[i]->declared = false;
}

static int append(struct tenant_writers *tw, struct tenant_writer *e)
{
	if (tw->n == tw->cap) {
		size_t cap = tw->cap ? tw->cap * 2 : 8;
		struct tenant_writer **v = realloc(tw->v, cap * sizeof(*v));
		if (!v)
			return -1;
		tw->v = v;
		tw->cap = cap;
	}
	tw->v[tw->n++] = e;
	return 0;
}

static int add(struct tenant_writers *tw, const char *name, const char *dir, gid_t gid)
{
	struct tenant_writer *e = calloc(1, sizeof(*e));
	if (!e || account_writer_open(&e->w, tw->loop, tw->log, dir, gid, tw->io, tw->io_ctx) < 0) {
		free(e);
		return -1;
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->declared = true;
	if (append(tw, e) < 0) {
		account_writer_close(&e->w);
		free(e);
		return -1;
	}
	return 0;
}

int tenant_writers_declare(struct tenant_writers *tw, const char *name, gid_t gid)
{
	struct tenant_writer *e = find(tw, name);
	if (e && e->w.gid == gid) {
		e->declared = true;
		return 0;
	}
	/* Made, or given the new group with the files already there. */
	char *dir = account_dir_tenant(tw->log, tw->rundir, name, gid);
	int rc = dir ? 0 : -1;
	if (dir && e)
		e->w.gid = gid;
	else if (dir && add(tw, name, dir, gid) < 0)
		rc = -1;
	if (e) {
		e->declared = true; /* it stays, even if its group could not change */
		free(dir);
		return rc;
	}
	if (rc < 0)
		tend_log(tw->log, LOG_ERR,
			 "accounting: tenant %s's records go to the main files only", name);
	free(dir);
	return rc;
}

static void close_one(struct tenant_writer *e)
{
	account_writer_close(&e->w);
	free(e);
}

void tenant_writers_end(struct tenant_writers *tw)
{
	size_t kept = 0;
	for (size_t i = 0; i < tw->n; i++) {
		if (tw->v[i]->declared)
			tw->v[kept++] = tw->v[i];
		else
			close_one(tw->v[i]);
	}
	tw->n = kept;
}

void tenant_writers_close(struct tenant_writers *tw)
{
	for (size_t i = 0; i < tw->n; i++)
		close_one(tw->v[i]);
	free(tw->v);
	tw->v = NULL;
	tw->n = tw->cap = 0;
}
