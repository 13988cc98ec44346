/* Packing a group's declaration into one block.
 *
 * While a declaration is being parsed, each of its strings and vectors is an
 * allocation of its own: a group of one process holds a dozen of them (names,
 * file, command, every word of argv, the vectors), each with the allocator's
 * overhead. A declaration lives as long as its group, so once it is complete
 * everything it points to is copied into one block, laid out as
 *
 *     [process_decl array][argv and environment vectors][strings]
 *
 * which halves what a small service costs tend (issue 6: 1000 services in
 * under 2 MiB). group_decl_free() frees the block in one go. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

struct pack_size {
	size_t ptrs;  /* vector slots, terminators included */
	size_t chars; /* string bytes, NULs included */
};

struct pack_cursor {
	char **vec; /* next free vector slot */
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

/* A process's file is nearly always its group's: stored once then. */
static bool same_file(const struct group_decl *g, const struct process_decl *p)
{
	return p->file && g->file && strcmp(p->file, g->file) == 0;
}

static struct pack_size measure(const struct group_decl *g)
{
	struct pack_size sz = { 0 };

	measure_str(&sz, g->name);
	measure_str(&sz, g->tenant);
	measure_str(&sz, g->file);
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct process_decl *p = &g->procs[i];

		measure_str(&sz, p->name);
		measure_str(&sz, p->directory);
		if (!same_file(g, p))
			measure_str(&sz, p->file);
		measure_vec(&sz, p->argv);
		measure_vec(&sz, p->environment);
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

static void put_process(struct pack_cursor *c, const struct group_decl *packed,
			const struct group_decl *g, size_t i)
{
	const struct process_decl *from = &g->procs[i];
	struct process_decl *to = &packed->procs[i];

	*to = *from;
	to->name = put_str(c, from->name);
	to->directory = put_str(c, from->directory);
	to->file = same_file(g, from) ? packed->file : put_str(c, from->file);
	to->argv = put_vec(c, from->argv);
	to->environment = put_vec(c, from->environment);
}

int group_decl_pack(struct group_decl *g)
{
	struct pack_size sz = measure(g);
	size_t procs_bytes = g->nprocs * sizeof(struct process_decl);
	size_t vec_bytes = sz.ptrs * sizeof(char *);
	/* The array and the vectors need pointer alignment: they come first. */
	size_t total = procs_bytes + vec_bytes + sz.chars;
	char *block = malloc(total ? total : 1);
	struct group_decl packed = *g;
	struct pack_cursor c;

	if (!block)
		return -1;
	c = (struct pack_cursor){ .vec = (char **)(block + procs_bytes),
				  .str = block + procs_bytes + vec_bytes };
	packed.pack = block;
	packed.pack_len = total;
	packed.procs = g->nprocs ? (struct process_decl *)block : NULL;
	packed.name = put_str(&c, g->name);
	packed.tenant = put_str(&c, g->tenant);
	packed.file = put_str(&c, g->file);
	for (size_t i = 0; i < g->nprocs; i++)
		put_process(&c, &packed, g, i);
	group_decl_free(g);
	*g = packed;
	return 0;
}

/* ---- relocation: the same block at another address ---- */

struct reloc {
	uintptr_t old_base;
	char *new_base;
	size_t len;
};

/* Where the object at old address a (at least `need` bytes) is in the new
 * block; NULL when it does not fit inside. */
static char *moved(const struct reloc *r, uintptr_t a, size_t need)
{
	if (a < r->old_base || a - r->old_base > r->len || r->len - (a - r->old_base) < need)
		return NULL;
	return r->new_base + (a - r->old_base);
}

static bool move_str(const struct reloc *r, char **s)
{
	char *n;

	if (!*s)
		return true;
	n = moved(r, (uintptr_t)*s, 1);
	if (!n || !memchr(n, '\0', (size_t)(r->new_base + r->len - n)))
		return false;
	*s = n;
	return true;
}

static bool move_vec(const struct reloc *r, char ***v)
{
	uintptr_t a = (uintptr_t)*v;
	char **n;
	size_t i, room;

	if (!*v)
		return true;
	n = (char **)moved(r, a, sizeof(char *));
	if (!n || a % _Alignof(char *) != 0)
		return false;
	room = (size_t)(r->new_base + r->len - (char *)n) / sizeof(char *);
	for (i = 0; i < room && n[i]; i++)
		if (!move_str(r, &n[i]))
			return false;
	if (i == room)
		return false; /* no NULL inside the block */
	*v = n;
	return true;
}

static bool move_process(const struct reloc *r, struct process_decl *p)
{
	return move_str(r, &p->name) && move_str(r, &p->directory) && move_str(r, &p->file) &&
	       move_vec(r, &p->argv) && move_vec(r, &p->environment);
}

int group_decl_relocate(struct group_decl *g, char *block)
{
	struct reloc r = { (uintptr_t)g->pack, block, g->pack_len };
	struct group_decl moved_g = *g;

	if (!g->pack || (g->nprocs && (uintptr_t)g->procs != r.old_base) ||
	    g->nprocs > g->pack_len / sizeof(struct process_decl))
		return -1;
	moved_g.pack = block;
	moved_g.procs = g->nprocs ? (struct process_decl *)block : NULL;
	if (!move_str(&r, &moved_g.name) || !move_str(&r, &moved_g.tenant) ||
	    !move_str(&r, &moved_g.file) || !moved_g.name || !moved_g.tenant)
		return -1;
	/* The array is first in the block; every pointer in it is checked
	 * before the block is used as a declaration. */
	for (size_t i = 0; i < g->nprocs; i++)
		if (!move_process(&r, &moved_g.procs[i]) || !moved_g.procs[i].name)
			return -1;
	*g = moved_g;
	return 0;
}
