/* The accounting records (supervisor/account/): the JSON line and reading
 * it back, the durable writer through its seam (short writes, a full disk,
 * the bounded queue and its drop count, writing again when space returns,
 * fdatasync at most once a second), the reader (a torn last line skipped
 * with a warning), the sums and the times --since takes, and the tenants'
 * copies: their directories' owners and modes, following reloads, and
 * read by a tenant's user who may not read the rest. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "account/directory.h"
#include "account/period.h"
#include "account/reader.h"
#include "account/record.h"
#include "account/summary.h"
#include "account/tenant_writers.h"
#include "account/writer.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/sys.h"
#include "files.h"

/* 2026-12-05T10:00:00Z and the first of the next month. */
#define DEC_5 1796464800000ll
#define JAN_1 1798761600000ll

/* ---- the record's JSON line ---- */

static void sample(struct account_record *r)
{
	record_init(r, RECORD_PROCESS);
	strcpy(r->tenant, "acme");
	strcpy(r->group, "web");
	strcpy(r->process, "nginx");
	r->pid = 4242;
	r->ppid = 1;
	r->start_ms = DEC_5;
	r->end_ms = DEC_5 + 61005;
	r->wall_ms = 61005;
	r->cpu_user_us = 1500042;
	r->cpu_sys_us = 7;
	r->max_rss_kb = 2048;
	r->read_bytes = 512;
	r->write_bytes = 4096;
	r->exit_status = 3;
}

static void record_is_one_json_line(void **state)
{
	(void)state;
	struct account_record r;
	struct buf b = { 0 };
	sample(&r);
	record_json(&b, &r);
	buf_append(&b, "", 1);
	assert_string_equal(b.data,
			    "{\"v\":1,\"kind\":\"process\",\"tenant\":\"acme\",\"group\":\"web\","
			    "\"process\":\"nginx\",\"comm\":null,\"start\":1796464800.000,"
			    "\"end\":1796464861.005,\"wall_s\":61.005,\"cpu_user_s\":1.500042,"
			    "\"cpu_sys_s\":0.000007,\"max_rss_kb\":2048,\"read_bytes\":512,"
			    "\"write_bytes\":4096,\"pid\":4242,\"ppid\":1,\"exit_status\":3,"
			    "\"signal\":null,\"signal_name\":null,\"orphan\":false}\n");
	buf_free(&b);
}

static void descendant_and_signal(void **state)
{
	(void)state;
	struct account_record r, back;
	struct buf b = { 0 };
	sample(&r);
	r.process[0] = '\0';
	strcpy(r.comm, "we\"ird\\");
	r.orphan = true;
	r.exit_status = -1;
	r.signal = 9;
	r.core_dumped = true;
	record_json(&b, &r);
	assert_non_null(strstr(b.data, "\"process\":null,\"comm\":\"we\\\"ird\\\\\""));
	assert_non_null(
	    strstr(b.data, "\"exit_status\":null,\"signal\":9,\"signal_name\":\"KILL\""));
	assert_int_equal(record_parse(b.data, b.len - 1, &back), 0);
	assert_string_equal(back.comm, "we\"ird\\");
	assert_string_equal(back.process, "");
	assert_true(back.orphan && back.core_dumped);
	assert_int_equal(back.signal, 9);
	assert_int_equal(back.exit_status, -1);
	buf_free(&b);
}

static void record_reads_back_the_same(void **state)
{
	(void)state;
	struct account_record r, back;
	struct buf b = { 0 };
	sample(&r);
	record_json(&b, &r);
	assert_int_equal(record_parse(b.data, b.len - 1, &back), 0);
	assert_int_equal(memcmp(&r, &back, sizeof(r)), 0);
	buf_reset(&b);
	record_init(&r, RECORD_GROUP);
	strcpy(r.tenant, "default");
	strcpy(r.group, "db");
	strcpy(r.tracking, "cgroup");
	r.start_ms = DEC_5;
	r.end_ms = DEC_5 + 1;
	r.wall_ms = 1;
	r.processes = 3;
	r.cgroup_cpu_us = 1234567;
	r.cgroup_user_us = 1000000;
	r.cgroup_sys_us = 234567;
	record_json(&b, &r);
	assert_int_equal(record_parse(b.data, b.len - 1, &back), 0);
	assert_int_equal(memcmp(&r, &back, sizeof(r)), 0);
	buf_free(&b);
}

static void parse_rejects_what_is_not_a_record(void **state)
{
	(void)state;
	struct account_record r;
	static const char *const bad[] = {
		"",
		"not json",
		"{\"kind\":\"process\"}",				   /* no end */
		"{\"kind\":\"nonsense\",\"end\":1.000}",		   /* unknown kind */
		"{\"kind\":\"process\",\"end\":\"soon\"}",		   /* wrong type */
		"{\"kind\":\"process\",\"end\":1.000} trailing",	   /* garbage after */
		"{\"kind\":\"process\",\"end\":1.000,\"pid\":12",	   /* torn */
		"{\"kind\":\"process\",\"end\":-1.000}",		   /* negative time */
		"{\"kind\":\"process\",\"end\":1.000,\"orphan\":\"yes\"}", /* not a bool */
		NULL,
	};
	for (int i = 0; bad[i]; i++)
		if (record_parse(bad[i], strlen(bad[i]), &r) == 0)
			fail_msg("took \"%s\" for a record", bad[i]);
	/* Unknown keys, nested values included, are a later version's. */
	const char *later = "{ \"kind\" : \"process\", \"end\":2.5, \"new\":{\"a\":[1,\"]}\"]},"
			    "\"x\":true, \"cpu_user_s\": 0.1234567 }";
	assert_int_equal(record_parse(later, strlen(later), &r), 0);
	assert_int_equal(r.end_ms, 2500);
	assert_int_equal(r.cpu_user_us, 123456); /* extra decimals are cut */
	assert_int_equal(r.pid, 0);
}

/* ---- the writer, through its seam ---- */

struct fake_io {
	int writes, syncs;
	size_t short_by; /* the next write writes this many bytes fewer (then 0) */
	int fail_errno;	 /* non-zero: every write fails with it */
	int fail_after;	 /* with fail_errno: writes that succeed first */
};

static ssize_t fake_write(void *ctx, int fd, const void *buf, size_t len)
{
	struct fake_io *f = ctx;
	f->writes++;
	if (f->fail_errno && f->fail_after-- <= 0) {
		errno = f->fail_errno;
		return -1;
	}
	size_t n = len > f->short_by ? len - f->short_by : 1;
	f->short_by = 0;
	return write(fd, buf, n);
}

static int fake_fdatasync(void *ctx, int fd)
{
	(void)fd;
	((struct fake_io *)ctx)->syncs++;
	return 0;
}

static const struct account_io fake_ops = { .write = fake_write, .fdatasync = fake_fdatasync };

struct bench {
	char dir[64];
	struct fake_io io;
	uint64_t now;
	struct sys sys;
	struct sys_ops ops;
	struct logger log;
	struct loop loop;
	struct account_writer w;
};

static uint64_t bench_now(struct sys *s)
{
	return ((struct bench *)s->fake)->now;
}

static int bench_setup(void **state)
{
	struct bench *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	snprintf(b->dir, sizeof(b->dir), "/tmp/tend-account-XXXXXX");
	assert_non_null(mkdtemp(b->dir));
	b->ops.now_ms = bench_now;
	b->sys = (struct sys){ .ops = &b->ops, .fake = b };
	b->log.verbosity = LOG_WARN;
	char path[128];
	snprintf(path, sizeof(path), "%s/tend.log", b->dir);
	logfile_init(&b->log.file, path); /* what is said, to count it */
	loop_wire(&b->loop, &b->sys, &b->log);
	char *dir = account_dir_main(&b->log, b->dir);
	assert_non_null(dir);
	assert_int_equal(
	    account_writer_open(&b->w, &b->loop, &b->log, dir, (gid_t)-1, &fake_ops, &b->io), 0);
	free(dir);
	*state = b;
	return 0;
}

static int bench_teardown(void **state)
{
	struct bench *b = *state;
	account_writer_close(&b->w);
	timer_heap_free(&b->loop.timers);
	logfile_close(&b->log.file);
	remove_test_tree(b->dir);
	free(b);
	return 0;
}

static void put(struct bench *b, int n)
{
	char line[64];
	int len = snprintf(line, sizeof(line), "{\"record\":%d}\n", n);
	account_writer_put(&b->w, line, (size_t)len, DEC_5);
}

/* The whole text of a file below the bench's directory ("" if none). */
static char *slurp(struct bench *b, const char *name)
{
	static char text[4096];
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", b->dir, name);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return text;
}

static int count(const char *text, const char *what)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void advance(struct bench *b, uint64_t ms)
{
	b->now += ms;
	timers_run_due(&b->loop);
}

static void one_write_per_record_and_a_sync_a_second(void **state)
{
	struct bench *b = *state;
	put(b, 1);
	put(b, 2);
	assert_int_equal(b->io.writes, 2);
	assert_string_equal(slurp(b, "account/2026-12.jsonl"), "{\"record\":1}\n{\"record\":2}\n");
	assert_int_equal(b->io.syncs, 0);
	advance(b, 999);
	assert_int_equal(b->io.syncs, 0);
	put(b, 3);
	advance(b, 1);
	assert_int_equal(b->io.syncs, 1); /* one for all three */
	advance(b, 5000);
	assert_int_equal(b->io.syncs, 1); /* nothing new: nothing to sync */
	put(b, 4);
	advance(b, 1000);
	assert_int_equal(b->io.syncs, 2);
	struct stat st;
	char path[128];
	snprintf(path, sizeof(path), "%s/account/2026-12.jsonl", b->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
}

static void a_new_month_a_new_file(void **state)
{
	struct bench *b = *state;
	put(b, 1);
	account_writer_put(&b->w, "{\"record\":2}\n", 13, JAN_1);
	assert_string_equal(slurp(b, "account/2026-12.jsonl"), "{\"record\":1}\n");
	assert_string_equal(slurp(b, "account/2027-01.jsonl"), "{\"record\":2}\n");
	assert_int_equal(b->io.syncs, 1); /* the old month's file, before it was closed */
}

static void a_short_write_is_finished(void **state)
{
	struct bench *b = *state;
	b->io.short_by = 5;
	put(b, 1);
	assert_int_equal(b->io.writes, 2);
	assert_string_equal(slurp(b, "account/2026-12.jsonl"), "{\"record\":1}\n");
	assert_int_equal(b->w.queued, 0);
}

static void full_disk_keeps_records_then_writes_them(void **state)
{
	struct bench *b = *state;
	put(b, 1);
	b->io.fail_errno = ENOSPC;
	put(b, 2);
	put(b, 3);
	advance(b, 1000); /* the timer tries again: still full */
	put(b, 4);
	assert_int_equal(b->w.queued, 3);
	assert_int_equal(b->w.dropped, 0);
	assert_string_equal(slurp(b, "account/2026-12.jsonl"), "{\"record\":1}\n");
	assert_int_equal(count(slurp(b, "tend.log"), "No space left on device"), 1);
	b->io.fail_errno = 0; /* space again: the next try writes them, in order */
	advance(b, 1999);     /* it comes twice as late as the one before */
	assert_int_equal(b->w.queued, 3);
	advance(b, 1);
	assert_int_equal(b->w.queued, 0);
	assert_string_equal(slurp(b, "account/2026-12.jsonl"),
			    "{\"record\":1}\n{\"record\":2}\n{\"record\":3}\n{\"record\":4}\n");
	assert_int_equal(count(slurp(b, "tend.log"), "is written again; 0 records were dropped"),
			 1);
}

static void the_queue_is_bounded_and_counts_drops(void **state)
{
	struct bench *b = *state;
	b->w.queue_max = 2;
	b->io.fail_errno = EDQUOT;
	for (int i = 1; i <= 5; i++)
		put(b, i);
	assert_int_equal(b->w.queued, 2);
	assert_int_equal(b->w.dropped, 3);
	b->io.fail_errno = 0;
	put(b, 6); /* a record when space is back writes the kept ones first */
	assert_string_equal(slurp(b, "account/2026-12.jsonl"),
			    "{\"record\":1}\n{\"record\":2}\n{\"record\":6}\n");
	assert_int_equal(count(slurp(b, "tend.log"), "3 records were dropped"), 1);
}

static void a_short_write_then_a_full_disk_leaves_whole_lines(void **state)
{
	struct bench *b = *state;
	b->io.short_by = 4;
	b->io.fail_errno = ENOSPC;
	b->io.fail_after = 1; /* the short write goes through, the rest fails */
	put(b, 1);
	assert_int_equal(b->w.queued, 1);
	assert_string_equal(slurp(b, "account/2026-12.jsonl"), "{\"record\""); /* torn for now */
	b->io.fail_errno = 0;
	put(b, 2);
	assert_string_equal(slurp(b, "account/2026-12.jsonl"), "{\"record\":1}\n{\"record\":2}\n");
}

static void a_torn_file_gets_its_line_ended(void **state)
{
	struct bench *b = *state;
	write_test_file(b->dir, "account/2026-12.jsonl", "{\"record\":0}\n{\"rec");
	put(b, 1);
	assert_string_equal(slurp(b, "account/2026-12.jsonl"),
			    "{\"record\":0}\n{\"rec\n{\"record\":1}\n");
}

/* ---- reading and summing ---- */

struct collected {
	struct account_summary sum;
	int n;
};

static void collect(void *ctx, const struct account_record *r)
{
	struct collected *c = ctx;
	c->n++;
	assert_int_equal(summary_add(&c->sum, r), 0);
}

static const char month_1[] =
    "{\"v\":1,\"kind\":\"process\",\"tenant\":\"acme\",\"group\":\"web\",\"process\":\"a\","
    "\"end\":1796464800.000,\"wall_s\":2.500,\"cpu_user_s\":1.000001,\"cpu_sys_s\":0.5,"
    "\"max_rss_kb\":100,\"read_bytes\":10,\"write_bytes\":20,\"pid\":1,\"orphan\":false}\n"
    "garbage in the middle\n"
    "{\"v\":1,\"kind\":\"process\",\"tenant\":\"acme\",\"group\":\"db\",\"process\":null,"
    "\"comm\":\"x\",\"end\":1796551200.000,\"wall_s\":1.000,\"cpu_user_s\":0.000002,"
    "\"cpu_sys_s\":0.000001,\"max_rss_kb\":300,\"read_bytes\":1,\"write_bytes\":2,\"pid\":2,"
    "\"orphan\":true}\n"
    "{\"v\":1,\"kind\":\"group\",\"tenant\":\"acme\",\"group\":\"web\",\"end\":1796464801.000,"
    "\"cpu_user_s\":1.000001,\"cgroup_cpu_s\":1.6}\n"
    "{\"v\":1,\"kind\":\"process\",\"tenant\":\"acme\",\"group\":\"web\",\"end\":17964";
static const char month_2[] =
    "{\"v\":1,\"kind\":\"process\",\"tenant\":\"zeta\",\"group\":\"q\",\"process\":\"p\","
    "\"end\":1798761600.000,\"wall_s\":0.001,\"cpu_user_s\":3,\"cpu_sys_s\":null,"
    "\"max_rss_kb\":50,\"read_bytes\":0,\"write_bytes\":0,\"pid\":3,\"orphan\":false}\n";

static void reader_sums_and_skips_a_torn_line(void **state)
{
	struct bench *b = *state;
	char dir[128], *warnings = NULL;
	size_t wlen = 0;
	snprintf(dir, sizeof(dir), "%s/account", b->dir);
	write_test_file(dir, "2026-12.jsonl", month_1);
	write_test_file(dir, "2027-01.jsonl", month_2);
	write_test_file(dir, "notes.txt", "not a month's file\n");
	FILE *w = open_memstream(&warnings, &wlen);
	struct collected c = { .sum.by = BY_TENANT };
	struct account_read_stats st;
	assert_int_equal(
	    account_read(dir, ACCOUNT_TIME_NONE, ACCOUNT_TIME_NONE, collect, &c, w, &st), 0);
	fclose(w);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.skipped, 2);
	assert_non_null(strstr(warnings, "2026-12.jsonl:2: not a record, skipped"));
	assert_non_null(strstr(warnings, "2026-12.jsonl:5: incomplete last line (a torn write)"));
	free(warnings);
	summary_finish(&c.sum);
	assert_int_equal(c.sum.nrows, 2);
	const struct account_row *acme = &c.sum.rows[0], *zeta = &c.sum.rows[1];
	assert_string_equal(acme->key, "acme");
	assert_int_equal(acme->processes, 2);
	assert_int_equal(acme->orphans, 1);
	assert_int_equal(acme->cpu_user_us, 1000003); /* the group record is not added */
	assert_int_equal(acme->cpu_sys_us, 500001);
	assert_int_equal(acme->wall_ms, 3500);
	assert_int_equal(acme->max_rss_kb, 300);
	assert_int_equal(acme->read_bytes, 11);
	assert_int_equal(acme->write_bytes, 22);
	assert_int_equal(acme->group_runs, 1);
	assert_int_equal(acme->cgroup_cpu_us, 1600000);
	assert_string_equal(zeta->key, "zeta");
	assert_int_equal(zeta->cpu_user_us, 3000000);
	assert_int_equal(zeta->cpu_sys_us, 0);
	assert_false(zeta->has_cgroup);
	assert_int_equal(c.sum.total.processes, 3);
	assert_int_equal(c.sum.total.cpu_user_us, 4000003);
	summary_free(&c.sum);
}

static void reader_filters_by_time_group_and_day(void **state)
{
	struct bench *b = *state;
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/account", b->dir);
	write_test_file(dir, "2026-12.jsonl", month_1);
	write_test_file(dir, "2027-01.jsonl", month_2);
	struct account_read_stats st;
	/* Only December's file is read, and only the records ending from Dec 6 on. */
	struct collected c = { .sum.by = BY_DAY };
	assert_int_equal(account_read(dir, DEC_5 + 3600000, JAN_1, collect, &c, NULL, &st), 0);
	assert_int_equal(st.files, 1);
	assert_int_equal(c.n, 1);
	summary_finish(&c.sum);
	assert_string_equal(c.sum.rows[0].key, "2026-12-06");
	summary_free(&c.sum);
	struct collected g = { .sum = { .by = BY_GROUP, .group = "web" } };
	assert_int_equal(
	    account_read(dir, ACCOUNT_TIME_NONE, ACCOUNT_TIME_NONE, collect, &g, NULL, &st), 0);
	summary_finish(&g.sum);
	assert_int_equal(g.sum.nrows, 1);
	assert_string_equal(g.sum.rows[0].key, "web");
	assert_int_equal(g.sum.rows[0].processes, 1);
	summary_free(&g.sum);
}

static void times_for_since_and_until(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(period_parse("2026-12-05", 0, &t), 0);
	assert_int_equal(t, DEC_5 - 10 * 3600000ll);
	assert_int_equal(period_parse("2026-12-05T10:00:00", 0, &t), 0);
	assert_int_equal(t, DEC_5);
	assert_int_equal(period_parse("2026-12-05T10:00:00Z", 0, &t), 0);
	assert_int_equal(t, DEC_5);
	assert_int_equal(period_parse("-7d", DEC_5, &t), 0);
	assert_int_equal(t, DEC_5 - 7 * 86400000ll);
	assert_int_equal(period_parse("-12h", DEC_5, &t), 0);
	assert_int_equal(t, DEC_5 - 12 * 3600000ll);
	assert_int_equal(period_parse("-30m", DEC_5, &t), 0);
	assert_int_equal(t, DEC_5 - 30 * 60000ll);
	static const char *const bad[] = {
		"",	     "2026-02-30",	    "2026-12-5",	   "-7", "-7y", "-d",
		"yesterday", "2026-12-05T25:00:00", "2026-12-05 10:00:00", NULL
	};
	for (int i = 0; bad[i]; i++)
		if (period_parse(bad[i], DEC_5, &t) == 0)
			fail_msg("took \"%s\" for a time", bad[i]);
}

/* ---- the tenants' copies (root's tend) ---- */

#define GID_A 4242
#define GID_B 4343
#define NOBODY 65534

static bool need_root(void)
{
	if (geteuid() == 0)
		return true;
	print_message("skipped: making files of other groups needs root\n");
	return false;
}

static struct stat stat_of(struct bench *b, const char *name)
{
	struct stat st;
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", b->dir, name);
	assert_int_equal(lstat(path, &st), 0);
	return st;
}

static void assert_owned(struct bench *b, const char *name, mode_t mode, gid_t gid)
{
	struct stat st = stat_of(b, name);
	assert_int_equal(st.st_mode & 07777, mode);
	assert_int_equal(st.st_uid, geteuid());
	if (gid != (gid_t)-1)
		assert_int_equal(st.st_gid, gid);
}

static void put_to(struct account_writer *w, int n)
{
	char line[64];
	int len = snprintf(line, sizeof(line), "{\"record\":%d}\n", n);
	account_writer_put(w, line, (size_t)len, DEC_5);
}

static void declare_tenants(struct tenant_writers *tw, gid_t a, gid_t other)
{
	tenant_writers_begin(tw);
	assert_int_equal(tenant_writers_declare(tw, "acme", a), 0);
	if (other != (gid_t)-1)
		assert_int_equal(tenant_writers_declare(tw, "beta", other), 0);
	tenant_writers_end(tw);
}

static void a_tenants_copy_is_its_groups(void **state)
{
	struct bench *b = *state;
	struct tenant_writers tw;
	if (!need_root())
		return;
	tenant_writers_init(&tw, &b->loop, &b->log, b->dir, &fake_ops, &b->io);
	declare_tenants(&tw, GID_A, GID_B);
	assert_null(tenant_writers_find(&tw, "gamma"));
	put_to(tenant_writers_find(&tw, "acme"), 1);
	put_to(tenant_writers_find(&tw, "beta"), 2);
	assert_string_equal(slurp(b, "account/tenant/acme/2026-12.jsonl"), "{\"record\":1}\n");
	assert_string_equal(slurp(b, "account/tenant/beta/2026-12.jsonl"), "{\"record\":2}\n");
	assert_owned(b, "account", ACCOUNT_DIR_MODE, (gid_t)-1);
	assert_owned(b, "account/tenant", ACCOUNT_TENANTS_MODE, (gid_t)-1);
	assert_owned(b, "account/tenant/acme", ACCOUNT_TENANT_MODE, GID_A);
	assert_owned(b, "account/tenant/acme/2026-12.jsonl", 0640, GID_A);
	assert_owned(b, "account/tenant/beta/2026-12.jsonl", 0640, GID_B);
	/* A reload: beta is gone (its files stay), acme's group changed. */
	declare_tenants(&tw, GID_B, (gid_t)-1);
	assert_null(tenant_writers_find(&tw, "beta"));
	assert_owned(b, "account/tenant/beta/2026-12.jsonl", 0640, GID_B);
	assert_owned(b, "account/tenant/acme", ACCOUNT_TENANT_MODE, GID_B);
	assert_owned(b, "account/tenant/acme/2026-12.jsonl", 0640, GID_B);
	put_to(tenant_writers_find(&tw, "acme"), 3);
	assert_string_equal(slurp(b, "account/tenant/acme/2026-12.jsonl"),
			    "{\"record\":1}\n{\"record\":3}\n");
	/* Durable like the main file: synced within the second. */
	int syncs = b->io.syncs;
	advance(b, 1000);
	assert_true(b->io.syncs > syncs);
	tenant_writers_close(&tw);
}

static void a_tenant_directory_not_tends_is_refused(void **state)
{
	struct bench *b = *state;
	struct tenant_writers tw;
	char path[256];
	if (!need_root())
		return;
	tenant_writers_init(&tw, &b->loop, &b->log, b->dir, &fake_ops, &b->io);
	snprintf(path, sizeof(path), "%s/account/tenant", b->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/account/tenant/acme", b->dir);
	assert_int_equal(symlink("/tmp", path), 0);
	snprintf(path, sizeof(path), "%s/account/tenant/beta", b->dir);
	assert_int_equal(mkdir(path, 0770), 0);
	assert_int_equal(chmod(path, 0770), 0); /* its group could write */
	tenant_writers_begin(&tw);
	assert_int_equal(tenant_writers_declare(&tw, "acme", GID_A), -1);
	assert_int_equal(tenant_writers_declare(&tw, "beta", GID_A), -1);
	tenant_writers_end(&tw);
	assert_null(tenant_writers_find(&tw, "acme"));
	assert_null(tenant_writers_find(&tw, "beta"));
	assert_int_equal(stat_of(b, "account/tenant/beta").st_gid, 0);
	tenant_writers_close(&tw);
}

/* In a child that is uid and gid NOBODY: the records it may read. */
static int records_read_as_nobody(const char *dir)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct collected c = { .sum.by = BY_NONE };
		struct account_read_stats st;
		if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			_exit(100);
		if (account_read(dir, ACCOUNT_TIME_NONE, ACCOUNT_TIME_NONE, collect, &c, NULL,
				 &st) == 0)
			_exit(101); /* it could read every record */
		if (account_read_tenants(dir, ACCOUNT_TIME_NONE, ACCOUNT_TIME_NONE, collect, &c,
					 NULL, &st) < 0)
			_exit(102);
		_exit((size_t)c.n == st.records ? c.n : 104);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void a_tenants_user_reads_only_its_copy(void **state)
{
	struct bench *b = *state;
	struct tenant_writers tw;
	char dir[128];
	if (!need_root())
		return;
	assert_int_equal(chmod(b->dir, 0711), 0); /* the run directory */
	snprintf(dir, sizeof(dir), "%s/account", b->dir);
	write_test_file(dir, "2026-12.jsonl", month_1);
	write_test_file(dir, "2027-01.jsonl", month_2);
	assert_int_equal(records_read_as_nobody(dir), 102); /* no copies yet: nothing */
	tenant_writers_init(&tw, &b->loop, &b->log, b->dir, &fake_ops, &b->io);
	declare_tenants(&tw, NOBODY, GID_B);
	tenant_writers_close(&tw);
	snprintf(dir, sizeof(dir), "%s/account/tenant/acme", b->dir);
	write_test_file(dir, "2026-12.jsonl", month_1); /* 3 records and 2 bad lines */
	snprintf(dir, sizeof(dir), "%s/account/tenant/beta", b->dir);
	write_test_file(dir, "2027-01.jsonl", month_2);
	snprintf(dir, sizeof(dir), "%s/account", b->dir);
	assert_int_equal(records_read_as_nobody(dir), 3);
	/* A tenant's user of neither: nothing. */
	snprintf(dir, sizeof(dir), "%s/account/tenant/acme", b->dir);
	assert_int_equal(chown(dir, 0, GID_A), 0);
	snprintf(dir, sizeof(dir), "%s/account", b->dir);
	assert_int_equal(records_read_as_nobody(dir), 102);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(record_is_one_json_line),
		cmocka_unit_test(descendant_and_signal),
		cmocka_unit_test(record_reads_back_the_same),
		cmocka_unit_test(parse_rejects_what_is_not_a_record),
		cmocka_unit_test_setup_teardown(one_write_per_record_and_a_sync_a_second,
						bench_setup, bench_teardown),
		cmocka_unit_test_setup_teardown(a_new_month_a_new_file, bench_setup,
						bench_teardown),
		cmocka_unit_test_setup_teardown(a_short_write_is_finished, bench_setup,
						bench_teardown),
		cmocka_unit_test_setup_teardown(full_disk_keeps_records_then_writes_them,
						bench_setup, bench_teardown),
		cmocka_unit_test_setup_teardown(the_queue_is_bounded_and_counts_drops, bench_setup,
						bench_teardown),
		cmocka_unit_test_setup_teardown(a_short_write_then_a_full_disk_leaves_whole_lines,
						bench_setup, bench_teardown),
		cmocka_unit_test_setup_teardown(a_torn_file_gets_its_line_ended, bench_setup,
						bench_teardown),
		cmocka_unit_test_setup_teardown(reader_sums_and_skips_a_torn_line, bench_setup,
						bench_teardown),
		cmocka_unit_test_setup_teardown(reader_filters_by_time_group_and_day, bench_setup,
						bench_teardown),
		cmocka_unit_test(times_for_since_and_until),
		cmocka_unit_test_setup_teardown(a_tenants_copy_is_its_groups, bench_setup,
						bench_teardown),
		cmocka_unit_test_setup_teardown(a_tenant_directory_not_tends_is_refused,
						bench_setup, bench_teardown),
		cmocka_unit_test_setup_teardown(a_tenants_user_reads_only_its_copy, bench_setup,
						bench_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
