/* The accounting subscriber (account.h): turns the bus's exits into
 * records, keeps each group's run, and writes a group record when the run
 * ends. Records are written as the events are delivered, so each is in the
 * file before tend handles its next event (writer.h). */
#include "account/account.h"
#include "account/directory.h"
#include "core/context.h"
#include "core/group.h"
#include "sys/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t wall_now(struct account *a)
{
	return a->t->sys.ops->wall_ms(&a->t->sys);
}

static void set_name(char *dst, const char *src)
{
	snprintf(dst, RECORD_NAME_LEN, "%s", src ? src : "");
}

static int64_t timeval_us(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * 1000000 + tv->tv_usec;
}

static void set_status(struct account_record *r, int wait_status)
{
	if (WIFEXITED(wait_status)) {
		r->exit_status = WEXITSTATUS(wait_status);
	} else if (WIFSIGNALED(wait_status)) {
		r->signal = WTERMSIG(wait_status);
		r->core_dumped = WCOREDUMP(wait_status);
	}
}

/* What every record of an ended process says, from its exit record. */
static void from_exit(struct account_record *r, const struct exit_record *e)
{
	r->pid = e->pid;
	r->ppid = e->ppid;
	set_name(r->comm, e->comm);
	r->end_ms = (int64_t)e->end_wall_ms;
	if (e->start_wall_ms) {
		r->start_ms = (int64_t)e->start_wall_ms;
		r->wall_ms = r->end_ms > r->start_ms ? r->end_ms - r->start_ms : 0;
	}
	/* Without its rusage (a MAINPID= process another reaped), neither
	 * its usage nor its status is known. */
	if (!e->has_usage) {
		r->cpu_user_us = r->cpu_sys_us = r->max_rss_kb = RECORD_UNKNOWN;
		r->read_bytes = r->write_bytes = RECORD_UNKNOWN;
		return;
	}
	set_status(r, e->wait_status);
	r->cpu_user_us = timeval_us(&e->usage.ru_utime);
	r->cpu_sys_us = timeval_us(&e->usage.ru_stime);
	r->max_rss_kb = e->usage.ru_maxrss;
	/* The kernel counts these in 512-byte blocks: /proc/PID/io's
	 * read_bytes and write_bytes, and those of the children it waited for. */
	r->read_bytes = (int64_t)e->usage.ru_inblock * 512;
	r->write_bytes = (int64_t)e->usage.ru_oublock * 512;
}

static struct group_run *find_run(struct account *a, const struct group *g)
{
	for (size_t i = 0; g && i < a->nruns; i++)
		if (a->runs[i].group == g)
			return &a->runs[i];
	return NULL;
}

static int64_t known(int64_t v)
{
	return v == RECORD_UNKNOWN ? 0 : v;
}

static void add_to_run(struct account *a, const struct group *g, const struct account_record *r)
{
	struct group_run *run = find_run(a, g);
	if (!run)
		return;
	run->sums.processes++;
	run->sums.cpu_user_us += known(r->cpu_user_us);
	run->sums.cpu_sys_us += known(r->cpu_sys_us);
	run->sums.read_bytes += known(r->read_bytes);
	run->sums.write_bytes += known(r->write_bytes);
	if (r->max_rss_kb > run->sums.max_rss_kb)
		run->sums.max_rss_kb = r->max_rss_kb;
}

/* To every record's file, and to the tenant's copy if it has one. */
static void put_line(struct account *a, const char *tenant, const char *line, size_t len,
		     uint64_t when_ms)
{
	struct account_writer *tw = tenant_writers_find(&a->tenants, tenant);
	account_writer_put(&a->writer, line, len, when_ms);
	if (tw)
		account_writer_put(tw, line, len, when_ms);
}

static void put(struct account *a, const struct account_record *r)
{
	struct buf b = { 0 };
	record_json(&b, r);
	if (b.oom)
		tend_log(&a->t->log, LOG_ERR, "accounting: out of memory; a record is lost");
	else
		put_line(a, r->tenant, b.data, b.len, (uint64_t)r->end_ms);
	buf_free(&b);
}

static void record_exit(struct account *a, const struct bus_event *ev)
{
	struct account_record r;
	const struct group *g = ev->group ? ev->group : ev->proc ? ev->proc->group : NULL;
	record_init(&r, RECORD_PROCESS);
	if (g) {
		set_name(r.tenant, g->decl.tenant);
		set_name(r.group, g->decl.name);
	}
	if (ev->kind == BUS_PROCESS_EXITED && ev->proc)
		set_name(r.process, ev->proc->decl->name);
	r.orphan = ev->kind == BUS_DESCENDANT_REAPED;
	from_exit(&r, ev->exit);
	put(a, &r);
	add_to_run(a, g, &r);
}

static void run_begin(struct account *a, const struct group *g)
{
	if (find_run(a, g))
		return;
	if (a->nruns == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct group_run *v = realloc(a->runs, cap * sizeof(*v));
		if (!v) {
			tend_log(&a->t->log, LOG_ERR, "accounting: out of memory");
			return;
		}
		a->runs = v;
		a->cap = cap;
	}
	struct group_run *run = &a->runs[a->nruns++];
	*run = (struct group_run){ .group = g, .since_wall_ms = wall_now(a) };
	record_init(&run->sums, RECORD_GROUP);
	run->sums.max_rss_kb = 0;
	/* A cgroup not made yet has used nothing. */
	if (tracker_group_usage(&a->t->tracker, g->decl.tenant, g->decl.name, &run->base) < 0)
		run->base = (struct cgroup_usage){ 0, 0, 0, 0, 0, 0 };
}

static int64_t since(int64_t now, int64_t base)
{
	return now < 0 ? RECORD_UNKNOWN : now - (base > 0 ? base : 0);
}

/* The group record: the run's sums and what its cgroup used meanwhile. */
static void run_record(struct account *a, const struct group_run *run)
{
	struct account_record r = run->sums;
	struct cgroup_usage now;
	set_name(r.tenant, run->group->decl.tenant);
	set_name(r.group, run->group->decl.name);
	set_name(r.tracking, tracking_mode_name(a->t->tracker.mode));
	r.start_ms = (int64_t)run->since_wall_ms;
	r.end_ms = (int64_t)wall_now(a);
	r.wall_ms = r.end_ms > r.start_ms ? r.end_ms - r.start_ms : 0;
	if (tracker_group_usage(&a->t->tracker, run->group->decl.tenant, run->group->decl.name,
				&now) == 0) {
		r.cgroup_cpu_us = since(now.usage_us, run->base.usage_us);
		r.cgroup_user_us = since(now.user_us, run->base.user_us);
		r.cgroup_sys_us = since(now.system_us, run->base.system_us);
		r.memory_peak_bytes = now.memory_peak_bytes;
		r.io_read_bytes = since(now.io_read_bytes, run->base.io_read_bytes);
		r.io_write_bytes = since(now.io_write_bytes, run->base.io_write_bytes);
	}
	put(a, &r);
}

static void run_end(struct account *a, const struct group *g, bool record)
{
	struct group_run *run = find_run(a, g);
	if (!run)
		return;
	if (record)
		run_record(a, run);
	*run = a->runs[--a->nruns];
}

static void group_state(struct account *a, const struct group *g)
{
	if (g->state == GS_STARTING)
		run_begin(a, g);
	else if (g->state == GS_STOPPED || g->state == GS_FAILED)
		run_end(a, g, true);
}

void account_on_event(void *ctx, const struct bus_event *ev)
{
	struct account *a = ctx;
	if (!a->open)
		return;
	switch (ev->kind) {
	case BUS_PROCESS_EXITED:
	case BUS_DESCENDANT_REAPED:
		record_exit(a, ev);
		break;
	case BUS_GROUP_STATE:
		group_state(a, ev->group);
		break;
	case BUS_GROUP_GONE:
		run_end(a, ev->group, true);
		break;
	default:
		break;
	}
}

void account_open(struct account *a, struct tend *t, const struct account_io *io, void *io_ctx)
{
	*a = (struct account){ .t = t };
	tenant_writers_init(&a->tenants, &t->loop, &t->log, t->rundir, io, io_ctx);
	char *dir = account_dir_main(&t->log, t->rundir);
	a->open = dir && account_writer_open(&a->writer, &t->loop, &t->log, dir, (gid_t)-1, io,
					     io_ctx) == 0;
	free(dir);
	a->writer.faults = &t->sys.faults;
	if (!a->open)
		tend_log(&t->log, LOG_ERR, "accounting: no records will be written");
}

void account_tenants_changed(struct account *a)
{
	const struct tenants *ts = &a->t->tenants;
	if (!a->open)
		return;
	tenant_writers_begin(&a->tenants);
	/* Tenants are Unix users only in root's tend. */
	for (size_t i = 0; geteuid() == 0 && i < ts->n; i++) {
		const struct tenant_decl *d = &ts->decls[i];
		if (tenant_user(d) != NO_ID && d->gid != NO_ID)
			tenant_writers_declare(&a->tenants, d->name, d->gid);
	}
	tenant_writers_end(&a->tenants);
}

void account_close(struct account *a)
{
	if (a->open)
		account_writer_close(&a->writer);
	tenant_writers_close(&a->tenants);
	a->open = false;
	free(a->runs);
	a->runs = NULL;
	a->nruns = a->cap = 0;
}
