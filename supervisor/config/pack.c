/* Packing a group's declaration into one block.
 *
 * While a declaration is being parsed, each of its strings and vectors is an
 * allocation of its own: a group of one process holds a dozen of them (names,
 * file, command, every word of argv, the vectors), each with the allocator's
 * overhead. A declaration lives as long as its group, so once it is complete
 * everything it points to is copied into one block, laid out as
 *
 *     [process_decl array][service_decl array][vectors][group ids][strings]
 *
 * the vectors being the group's requires and after, each process's argv and
 * environment, then each service's context, in that order,
 * which halves what a small service costs tend (issue 6: 1000 services in
 * under 2 MiB). group_decl_free() frees the block in one go. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

struct pack_size {
	size_t ptrs;  /* vector slots, terminators included */
	size_t gids;  /* supplementary group ids */
	size_t chars; /* string bytes, NULs included */
};

struct pack_cursor {
	char **vec; /* next free vector slot */
	gid_t *gid; /* next free group id */
	char *str;  /* next free string byte */
};

static void measure_str(struct pack_size *sz, const char *s)
{
	if (s)
		sz->chars += strlen(s) + 1;
}

static void measure_vec(struct pack_size *sz, char *const *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		measure_str(sz, v[i]);
	sz->ptrs += i + 1;
}

/* A process's or a service's file is nearly always its group's: stored
 * once then. */
static bool same_file(const struct group_decl *g, const char *file)
{
	return file && g->file && strcmp(file, g->file) == 0;
}

static struct pack_size measure(const struct group_decl *g)
{
	struct pack_size sz = { 0 };

	measure_str(&sz, g->name);
	measure_str(&sz, g->tenant);
	measure_str(&sz, g->seccomp);
	measure_str(&sz, g->file);
	measure_vec(&sz, g->requires);
	measure_vec(&sz, g->after);
	measure_vec(&sz, g->prefer);
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct process_decl *p = &g->procs[i];

		measure_str(&sz, p->name);
		measure_str(&sz, p->directory);
		if (!same_file(g, p->file))
			measure_str(&sz, p->file);
		measure_vec(&sz, p->argv);
		measure_vec(&sz, p->environment);
		if (p->ngroups > 0)
			sz.gids += (size_t)p->ngroups;
	}
	for (size_t i = 0; i < g->nservices; i++) {
		const struct service_decl *s = &g->services[i];

		measure_str(&sz, s->name);
		measure_str(&sz, s->process);
		measure_str(&sz, s->host);
		measure_str(&sz, s->path);
		if (!same_file(g, s->file))
			measure_str(&sz, s->file);
		measure_vec(&sz, s->context);
	}
	return sz;
}

static char *put_str(struct pack_cursor *c, const char *s)
{
	size_t n;
	char *d;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	d = memcpy(c->str, s, n);
	c->str += n;
	return d;
}

static char **put_vec(struct pack_cursor *c, char *const *v)
{
	char **d = c->vec;
	size_t i;

	if (!v)
		return NULL;
	for (i = 0; v[i]; i++)
		d[i] = put_str(c, v[i]);
	d[i] = NULL;
	c->vec += i + 1;
	return d;
}

static gid_t *put_gids(struct pack_cursor *c, const gid_t *gids, int n)
{
	gid_t *d = c->gid;
	if (n <= 0)
		return NULL;
	memcpy(d, gids, (size_t)n * sizeof(*d));
	c->gid += n;
	return d;
}

static void put_process(struct pack_cursor *c, const struct group_decl *packed,
			const struct group_decl *g, size_t i)
{
	const struct process_decl *from = &g->procs[i];
	struct process_decl *to = &packed->procs[i];

	*to = *from;
	to->name = put_str(c, from->name);
	to->directory = put_str(c, from->directory);
	to->file = same_file(g, from->file) ? packed->file : put_str(c, from->file);
	to->argv = put_vec(c, from->argv);
	to->environment = put_vec(c, from->environment);
	to->groups = put_gids(c, from->groups, from->ngroups);
}

static void put_service(struct pack_cursor *c, const struct group_decl *packed,
			const struct group_decl *g, size_t i)
{
	const struct service_decl *from = &g->services[i];
	struct service_decl *to = &packed->services[i];

	*to = *from;
	to->name = put_str(c, from->name);
	to->process = put_str(c, from->process);
	to->host = put_str(c, from->host);
	to->path = put_str(c, from->path);
	to->file = same_file(g, from->file) ? packed->file : put_str(c, from->file);
	to->context = put_vec(c, from->context);
}

int group_decl_pack(struct group_decl *g)
{
	struct pack_size sz = measure(g);
	size_t procs_bytes = g->nprocs * sizeof(struct process_decl);
	size_t arrays = procs_bytes + g->nservices * sizeof(struct service_decl);
	size_t vec_bytes = sz.ptrs * sizeof(char *);
	size_t gid_bytes = sz.gids * sizeof(gid_t);
	/* The arrays and the vectors need pointer alignment: they come first;
	 * then the group ids, then the strings, which need none. */
	size_t total = arrays + vec_bytes + gid_bytes + sz.chars;
	char *block = malloc(total ? total : 1);
	struct group_decl packed = *g;
	struct pack_cursor c;

	if (!block)
		return -1;
	c = (struct pack_cursor){ .vec = (char **)(block + arrays),
				  .gid = (gid_t *)(block + arrays + vec_bytes),
				  .str = block + arrays + vec_bytes + gid_bytes };
	packed.pack = block;
	packed.pack_len = total;
	packed.procs = g->nprocs ? (struct process_decl *)block : NULL;
	packed.services = g->nservices ? (struct service_decl *)(block + procs_bytes) : NULL;
	packed.name = put_str(&c, g->name);
	packed.tenant = put_str(&c, g->tenant);
	packed.seccomp = put_str(&c, g->seccomp);
	packed.file = put_str(&c, g->file);
	packed.requires = put_vec(&c, g->requires);
	packed.after = put_vec(&c, g->after);
	packed.prefer = put_vec(&c, g->prefer);
	/* Vectors in the order relocation expects them: processes first. */
	for (size_t i = 0; i < g->nprocs; i++)
		put_process(&c, &packed, g, i);
	for (size_t i = 0; i < g->nservices; i++)
		put_service(&c, &packed, g, i);
	group_decl_free(g);
	*g = packed;
	return 0;
}

/* ---- relocation: the same block at another address ----
 *
 * The block comes from another process, so nothing in it is taken on trust:
 * it must have exactly the layout group_decl_pack makes. The process array
 * is at the start, the service array right after it; each vector is where
 * the previous one ended, in the order they are written (the group's
 * requires and after, then argv and environment, process by process, then
 * context, service by service), with its NULL inside the vector area; each
 * process's group ids follow the vectors in the same order, where the
 * previous ones ended; every string starts in the string area after the
 * last of them and ends inside the block. Then no slot belongs to two
 * things, so each pointer is moved exactly once, and nothing is written to
 * the string area. */

struct reloc {
	uintptr_t old_base;
	char *new_base;
	size_t len;
	size_t vec_at; /* offset of the next vector expected */
	size_t gid_at; /* offset of the next group ids expected */
	size_t str_at; /* offset where the string area starts */
};

/* The offset of old address a, or (size_t)-1 if a is not inside the block. */
static size_t offset_of(const struct reloc *r, uintptr_t a)
{
	return a >= r->old_base && a - r->old_base < r->len ? a - r->old_base : (size_t)-1;
}

static bool move_str(const struct reloc *r, char **s)
{
	size_t off;

	if (!*s)
		return true;
	off = offset_of(r, (uintptr_t)*s);
	if (off == (size_t)-1 || off < r->str_at || !memchr(r->new_base + off, '\0', r->len - off))
		return false;
	*s = r->new_base + off;
	return true;
}

/* Walks the vector expected at r->vec_at (without moving its strings yet):
 * its slots must end with a NULL before the block does. */
static bool take_vec(struct reloc *r, char **v)
{
	size_t off;

	if (!v)
		return true;
	off = offset_of(r, (uintptr_t)v);
	if (off != r->vec_at)
		return false;
	for (; off + sizeof(char *) <= r->len; off += sizeof(char *))
		if (!*(char **)(r->new_base + off)) {
			r->vec_at = off + sizeof(char *);
			return true;
		}
	return false;
}

static bool move_vec(const struct reloc *r, char ***v)
{
	char **slots;

	if (!*v)
		return true;
	slots = (char **)(r->new_base + offset_of(r, (uintptr_t)*v));
	for (size_t i = 0; slots[i]; i++)
		if (!move_str(r, &slots[i]))
			return false;
	*v = slots;
	return true;
}

/* The group ids expected at r->gid_at: n of them inside the block. */
static bool take_gids(struct reloc *r, gid_t **gids, int n)
{
	if (n > MAX_SUPPLEMENTARY_GROUPS)
		return false;
	if (n == 0)
		return !*gids;
	size_t off = offset_of(r, (uintptr_t)*gids);
	if (off != r->gid_at || r->len - off < (size_t)n * sizeof(gid_t))
		return false;
	*gids = (gid_t *)(r->new_base + off);
	r->gid_at = off + (size_t)n * sizeof(gid_t);
	return true;
}

/* What the parser guarantees of every declaration it makes, checked again
 * so that a damaged block cannot reach tend as a declaration. */
static bool process_sane(const struct process_decl *p)
{
	return p->name && valid_name(p->name) && p->file && p->argv && p->argv[0] &&
	       p->environment && p->type <= TYPE_ONESHOT && p->restart <= RESTART_NEVER &&
	       p->ready <= READY_FD && p->kill_mode <= KILL_MIXED &&
	       (p->ready != READY_FD || (p->ready_fd >= 3 && p->ready_fd <= MAX_READY_FD)) &&
	       p->restart_limit <= MAX_RESTART_LIMIT && p->log_keep <= MAX_LOG_KEEP &&
	       p->ngroups >= -1 && p->ngroups <= MAX_SUPPLEMENTARY_GROUPS &&
	       p->cred_set <= (CRED_USER | CRED_GROUP | CRED_SUPP) &&
	       (p->ngroups > 0) == !!p->groups;
}

/* What the parser guarantees of every service: among them, that it names
 * a longrun of its group (whose processes are moved already). */
static bool service_sane(const struct group_decl *g, const struct service_decl *s)
{
	const char *why;
	bool offered = false;

	for (size_t i = 0; s->process && i < g->nprocs; i++)
		offered |=
		    strcmp(g->procs[i].name, s->process) == 0 && g->procs[i].type == TYPE_LONGRUN;
	return s->name && valid_service_name(s->name) && offered && s->file && s->line >= 0 &&
	       s->proto <= PROTO_UNIX && s->port <= 65535 &&
	       (!s->host || valid_host_literal(s->host)) &&
	       service_address_check(s->port, s->proto, s->path, &why) == 0 &&
	       service_context_check(s->context, &why) == 0;
}

/* What the parser guarantees of a prefer list: host IDs, not too many. */
static bool prefer_sane(char **prefer)
{
	size_t n = 0;

	for (; prefer && *prefer; prefer++, n++)
		if (!valid_ipv4_literal(*prefer))
			return false;
	return n <= MAX_PREFER;
}

/* The two arrays must be at the start of the block, one after the other. */
static bool arrays_in_place(const struct group_decl *g, const struct reloc *r)
{
	size_t procs_bytes;

	if (!g->pack || g->nprocs > g->pack_len / sizeof(struct process_decl) ||
	    (uintptr_t)g->procs != (g->nprocs ? r->old_base : 0))
		return false;
	procs_bytes = g->nprocs * sizeof(struct process_decl);
	return g->nservices <= (g->pack_len - procs_bytes) / sizeof(struct service_decl) &&
	       (uintptr_t)g->services == (g->nservices ? r->old_base + procs_bytes : 0);
}

/* Walks the vectors, then the group ids, in the order group_decl_pack
 * wrote them; the string area starts where they end. */
static bool take_vectors(struct reloc *r, const struct group_decl *g, struct process_decl *procs,
			 const struct service_decl *services)
{
	size_t i;

	if (!take_vec(r, g->requires) || !take_vec(r, g->after) || !take_vec(r, g->prefer))
		return false;
	for (i = 0; i < g->nprocs; i++)
		if (!take_vec(r, procs[i].argv) || !take_vec(r, procs[i].environment))
			return false;
	for (i = 0; i < g->nservices; i++)
		if (!take_vec(r, services[i].context))
			return false;
	r->gid_at = r->vec_at;
	for (i = 0; i < g->nprocs; i++)
		if (!take_gids(r, &procs[i].groups, procs[i].ngroups > 0 ? procs[i].ngroups : 0))
			return false;
	r->str_at = r->gid_at;
	return true;
}

static bool move_process(const struct reloc *r, struct process_decl *p)
{
	return move_str(r, &p->name) && move_str(r, &p->directory) && move_str(r, &p->file) &&
	       move_vec(r, &p->argv) && move_vec(r, &p->environment) && process_sane(p);
}

static bool move_service(const struct reloc *r, const struct group_decl *g, struct service_decl *s)
{
	return move_str(r, &s->name) && move_str(r, &s->process) && move_str(r, &s->host) &&
	       move_str(r, &s->path) && move_str(r, &s->file) && move_vec(r, &s->context) &&
	       service_sane(g, s);
}

int group_decl_relocate(struct group_decl *g, char *block)
{
	struct reloc r = { (uintptr_t)g->pack, block, g->pack_len, 0, 0, 0 };
	struct group_decl moved_g = *g;
	struct process_decl *procs = (struct process_decl *)block;
	struct service_decl *services;
	size_t i;

	if (!arrays_in_place(g, &r))
		return -1;
	services = (struct service_decl *)(block + g->nprocs * sizeof(*procs));
	/* Where the vectors are, from the arrays as the sender wrote them. */
	r.vec_at = g->nprocs * sizeof(*procs) + g->nservices * sizeof(*services);
	if (!take_vectors(&r, g, procs, services))
		return -1;
	moved_g.pack = block;
	moved_g.procs = g->nprocs ? procs : NULL;
	moved_g.services = g->nservices ? services : NULL;
	if (!move_str(&r, &moved_g.name) || !move_str(&r, &moved_g.tenant) ||
	    !move_str(&r, &moved_g.seccomp) || !move_str(&r, &moved_g.file) ||
	    !move_vec(&r, &moved_g.requires) || !move_vec(&r, &moved_g.after) ||
	    !move_vec(&r, &moved_g.prefer) || !moved_g.name || !valid_name(moved_g.name) ||
	    !moved_g.tenant || !moved_g.file || !prefer_sane(moved_g.prefer))
		return -1;
	for (i = 0; i < g->nprocs; i++)
		if (!move_process(&r, &procs[i]))
			return -1;
	for (i = 0; i < g->nservices; i++)
		if (!move_service(&r, &moved_g, &services[i]))
			return -1;
	*g = moved_g;
	return 0;
}
