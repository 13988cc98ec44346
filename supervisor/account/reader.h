/* Reading the records back (for `tendctl account`, which reads the files
 * itself: tend is not asked, so a large history never stalls its loop, and
 * the files' permissions decide who may read them). Every
 * DIR/YYYY-MM.jsonl whose month overlaps [since, until) is read, oldest
 * first, line by line. A line that is not a record is skipped with a
 * warning, never fatal: above all a torn last line (a write cut short by
 * a power loss), which is how a file that ends without a newline ends. */
#ifndef TEND_ACCOUNT_READER_H
#define TEND_ACCOUNT_READER_H

#include <stdint.h>
#include <stdio.h>

#include "account/record.h"

#define ACCOUNT_TIME_NONE INT64_MIN /* since/until: no bound */

typedef void record_fn(void *ctx, const struct account_record *r);

struct account_read_stats {
	size_t files;
	size_t records;
	size_t skipped; /* lines that were not records, torn ones included */
};

/* fn(ctx, r) for every record whose end is in [since_ms, until_ms) (each
 * ACCOUNT_TIME_NONE: unbounded). Warnings go to `warnings` (NULL: none).
 * 0, or -1 with errno when dir cannot be read. */
int account_read(const char *dir, int64_t since_ms, int64_t until_ms, record_fn *fn, void *ctx,
		 FILE *warnings, struct account_read_stats *stats);

/* For whoever may not read dir (RUNDIR/account) itself, a tenant's user of
 * root's tend: account_read of each dir/tenant/TENANT it may read, which
 * holds a copy of that tenant's records (directory.h). 0 when it read at
 * least one; else -1 with errno (EACCES: none it may read). */
int account_read_tenants(const char *dir, int64_t since_ms, int64_t until_ms, record_fn *fn,
			 void *ctx, FILE *warnings, struct account_read_stats *stats);

#endif
