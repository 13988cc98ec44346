/* The writers of the tenants' copies of their records (directory.h): one
 * per tenant that names a user, in root's tend. The set follows the
 * tenants in force: at set-up and at each reload the daemon declares
 * them (begin, declare each, end); a writer is made for a tenant that
 * is new, given the new group of one whose group changed, and closed for
 * one that is gone (its directory and files stay: records are never
 * rewritten). */
#ifndef TEND_ACCOUNT_TENANT_WRITERS_H
#define TEND_ACCOUNT_TENANT_WRITERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "account/record.h"
#include "account/writer.h"

struct tenant_writer {
	char name[RECORD_NAME_LEN];
	bool declared; /* in the declarations being taken */
	struct account_writer w;
};

struct tenant_writers {
	struct loop *loop;
	struct logger *log;
	const char *rundir;
	const struct account_io *io;
	void *io_ctx;
	/* Each allocated on its own: the loop holds a pointer to its timer. */
	struct tenant_writer **v;
	size_t n, cap;
};

void tenant_writers_init(struct tenant_writers *tw, struct loop *loop, struct logger *log,
			 const char *rundir, const struct account_io *io, void *io_ctx);
void tenant_writers_begin(struct tenant_writers *tw);
/* Tenant name, whose files belong to group gid, is to have a writer. 0,
 * or -1 when it cannot (logged; its records are then only in the main
 * files). */
int tenant_writers_declare(struct tenant_writers *tw, const char *name, gid_t gid);
/* Closes the writers of the tenants not declared since begin. */
void tenant_writers_end(struct tenant_writers *tw);
/* The writer of tenant name's copy; NULL: none. */
struct account_writer *tenant_writers_find(struct tenant_writers *tw, const char *name);
/* Closes every writer (at shutdown). */
void tenant_writers_close(struct tenant_writers *tw);

#endif
