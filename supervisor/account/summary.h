/* Summing records for `tendctl account`: filtered by tenant, group and
 * time, grouped by tenant, group or day (UTC), or all in one row. Process
 * records give the sums (CPU, wall time, I/O, peak memory, counts); group
 * records give the number of group runs and, in cgroup mode, what their
 * cgroups used (cgroup_cpu), which the process records cover too: they
 * are never added to the process figures. All integers: the sums are
 * exactly those of the records. */
#ifndef TEND_ACCOUNT_SUMMARY_H
#define TEND_ACCOUNT_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "account/record.h"

enum account_by { BY_NONE, BY_TENANT, BY_GROUP, BY_DAY };

struct account_row {
	char key[RECORD_NAME_LEN]; /* the tenant, group or day; "-": none */
	uint64_t processes;
	uint64_t orphans;
	int64_t cpu_user_us;
	int64_t cpu_sys_us;
	int64_t wall_ms;
	int64_t max_rss_kb; /* the highest of any record */
	int64_t read_bytes;
	int64_t write_bytes;
	uint64_t group_runs;   /* group records */
	int64_t cgroup_cpu_us; /* summed over group records that had it */
	bool has_cgroup;
};

struct account_summary {
	enum account_by by;
	const char *tenant;	  /* NULL: any */
	const char *group;	  /* NULL: any */
	struct account_row *rows; /* sorted by key once summary_finish ran */
	size_t nrows, cap;
	struct account_row total;
};

/* by: "tenant", "group" or "day"; -1 for anything else. */
int summary_by(const char *name, enum account_by *by);
const char *summary_by_name(enum account_by by);
/* Adds r if it passes the tenant and group filters. -1: out of memory. */
int summary_add(struct account_summary *s, const struct account_record *r);
void summary_finish(struct account_summary *s);
void summary_free(struct account_summary *s);

#endif
