/* Accounting: a record for every process tend started and every descendant
 * it reaped, and one for each run of a group (from its start to its stop),
 * written by a bus subscriber (account.c) through the durable writer
 * (writer.h) as JSON lines (record.h). `tendctl account` reads and sums
 * them (reader.h, summary.h) without asking tend. */
#ifndef TEND_ACCOUNT_ACCOUNT_H
#define TEND_ACCOUNT_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "account/record.h"
#include "account/tenant_writers.h"
#include "account/writer.h"
#include "core/bus.h"
#include "sys/tracker.h"

struct tend;
struct group;

/* One group's run: from its start to its stop. */
struct group_run {
	const struct group *group;
	uint64_t since_wall_ms;
	struct account_record sums; /* the run's process records summed */
	struct cgroup_usage base;   /* its cgroup's figures at the start */
};

struct account {
	struct tend *t;
	struct account_writer writer;  /* every record */
	struct tenant_writers tenants; /* each user tenant's records, again */
	bool open;		       /* false: set-up failed; nothing is recorded (logged) */
	struct group_run *runs;
	size_t nruns, cap;
};

#define ACCOUNT_EVENTS                                                                             \
	(BUS_KIND(BUS_PROCESS_EXITED) | BUS_KIND(BUS_DESCENDANT_REAPED) |                          \
	 BUS_KIND(BUS_GROUP_STATE) | BUS_KIND(BUS_GROUP_GONE))

/* Opens RUNDIR/account; failing that, tend runs without records. io NULL:
 * the real write() and fdatasync(). */
void account_open(struct account *a, struct tend *t, const struct account_io *io, void *io_ctx);
/* The tenants in force changed (set-up, each reload): each tenant that
 * names a user (root's tend) gets its copy of its records from now on. */
void account_tenants_changed(struct account *a);
/* The bus subscriber (ACCOUNT_EVENTS). */
void account_on_event(void *ctx, const struct bus_event *ev);
/* Writes what is kept, syncs and closes (at shutdown). */
void account_close(struct account *a);

#endif
