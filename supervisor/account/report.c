/* Printing the sums (report.h). Without --by there is one row, the total;
 * with it, one row per key, then (table and JSON) the total. */
#include "account/report.h"
#include "base/buf.h"
#include "base/json.h"

#include <ctype.h>
#include <inttypes.h>

/* v in 1/scale seconds as seconds with that many decimals. */
static void seconds(FILE *out, int64_t v, int64_t scale)
{
	fprintf(out, "%" PRId64 ".%0*" PRId64, v / scale, scale == 1000 ? 3 : 6, v % scale);
}

static void json_key(FILE *out, const char *key)
{
	struct buf b = { 0 };
	json_str(&b, key);
	fwrite(b.data ? b.data : "\"\"", 1, b.data ? b.len : 2, out);
	buf_free(&b);
}

static void json_row(FILE *out, const struct account_summary *s, const struct account_row *r,
		     bool total)
{
	/* The total is the object "total" itself: it needs no key. */
	fputc('{', out);
	if (!total) {
		fprintf(out, "\"%s\":", summary_by_name(s->by));
		json_key(out, r->key);
		fputc(',', out);
	}
	fprintf(out, "\"processes\":%" PRIu64 ",\"orphans\":%" PRIu64 ",\"cpu_s\":", r->processes,
		r->orphans);
	seconds(out, r->cpu_user_us + r->cpu_sys_us, 1000000);
	fputs(",\"cpu_user_s\":", out);
	seconds(out, r->cpu_user_us, 1000000);
	fputs(",\"cpu_sys_s\":", out);
	seconds(out, r->cpu_sys_us, 1000000);
	fputs(",\"wall_s\":", out);
	seconds(out, r->wall_ms, 1000);
	fprintf(out,
		",\"max_rss_kb\":%" PRId64 ",\"read_bytes\":%" PRId64 ",\"write_bytes\":%" PRId64
		",\"group_runs\":%" PRIu64 ",\"cgroup_cpu_s\":",
		r->max_rss_kb, r->read_bytes, r->write_bytes, r->group_runs);
	if (r->has_cgroup)
		seconds(out, r->cgroup_cpu_us, 1000000);
	else
		fputs("null", out);
	fputc('}', out);
}

static void print_json(FILE *out, const struct account_summary *s)
{
	if (s->by == BY_NONE)
		fputs("{\"by\":null,\"rows\":[", out);
	else
		fprintf(out, "{\"by\":\"%s\",\"rows\":[", summary_by_name(s->by));
	for (size_t i = 0; s->by != BY_NONE && i < s->nrows; i++) {
		if (i)
			fputc(',', out);
		json_row(out, s, &s->rows[i], false);
	}
	fputs("],\"total\":", out);
	json_row(out, s, &s->total, true);
	fputs("}\n", out);
}

static void csv_row(FILE *out, const struct account_row *r)
{
	/* Keys are names or dates: no comma or quote to escape. */
	fprintf(out, "%s,%" PRIu64 ",%" PRIu64 ",", r->key, r->processes, r->orphans);
	seconds(out, r->cpu_user_us + r->cpu_sys_us, 1000000);
	fputc(',', out);
	seconds(out, r->cpu_user_us, 1000000);
	fputc(',', out);
	seconds(out, r->cpu_sys_us, 1000000);
	fputc(',', out);
	seconds(out, r->wall_ms, 1000);
	fprintf(out, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRIu64 ",", r->max_rss_kb,
		r->read_bytes, r->write_bytes, r->group_runs);
	if (r->has_cgroup)
		seconds(out, r->cgroup_cpu_us, 1000000);
	fputc('\n', out);
}

static void print_csv(FILE *out, const struct account_summary *s)
{
	fprintf(out,
		"%s,processes,orphans,cpu_s,cpu_user_s,cpu_sys_s,wall_s,max_rss_kb,"
		"read_bytes,write_bytes,group_runs,cgroup_cpu_s\n",
		summary_by_name(s->by));
	if (s->by == BY_NONE) {
		csv_row(out, &s->total);
		return;
	}
	for (size_t i = 0; i < s->nrows; i++)
		csv_row(out, &s->rows[i]);
}

static void table_row(FILE *out, const struct account_row *r)
{
	char cpu[32], wall[32];
	int64_t us = r->cpu_user_us + r->cpu_sys_us;
	snprintf(cpu, sizeof(cpu), "%" PRId64 ".%06" PRId64, us / 1000000, us % 1000000);
	snprintf(wall, sizeof(wall), "%" PRId64 ".%03" PRId64, r->wall_ms / 1000,
		 r->wall_ms % 1000);
	fprintf(out,
		"%-20s %6" PRIu64 " %7" PRIu64 " %14s %12s %10" PRId64 " %12" PRId64 " %12" PRId64
		"\n",
		r->key, r->processes, r->orphans, cpu, wall, r->max_rss_kb, r->read_bytes,
		r->write_bytes);
}

static void print_table(FILE *out, const struct account_summary *s)
{
	char key[16];
	snprintf(key, sizeof(key), "%s", summary_by_name(s->by));
	for (char *c = key; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	fprintf(out, "%-20s %6s %7s %14s %12s %10s %12s %12s\n", key, "PROCS", "ORPHANS", "CPU_S",
		"WALL_S", "MAX_RSS_KB", "READ_BYTES", "WRITE_BYTES");
	for (size_t i = 0; s->by != BY_NONE && i < s->nrows; i++)
		table_row(out, &s->rows[i]);
	table_row(out, &s->total);
}

void report_print(FILE *out, const struct account_summary *s, enum report_format format)
{
	if (format == REPORT_JSON)
		print_json(out, s);
	else if (format == REPORT_CSV)
		print_csv(out, s);
	else
		print_table(out, s);
}
