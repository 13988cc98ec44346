/* Reading the monthly record files (reader.h). */
#include "account/reader.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "YYYY-MM.jsonl": the month's first millisecond and the next month's. */
static bool month_span(const char *name, int64_t *from_ms, int64_t *to_ms)
{
	unsigned year, month;
	char rest[8];
	if (strlen(name) != strlen("YYYY-MM.jsonl") ||
	    sscanf(name, "%4u-%2u%7s", &year, &month, rest) != 3 || strcmp(rest, ".jsonl") != 0 ||
	    month < 1 || month > 12)
		return false;
	struct tm tm = { .tm_year = (int)year - 1900, .tm_mon = (int)month - 1, .tm_mday = 1 };
	*from_ms = (int64_t)timegm(&tm) * 1000;
	tm = (struct tm){ .tm_year = (int)year - 1900, .tm_mon = (int)month, .tm_mday = 1 };
	*to_ms = (int64_t)timegm(&tm) * 1000;
	return true;
}

static int is_month_file(const struct dirent *de)
{
	int64_t from, to;
	return month_span(de->d_name, &from, &to);
}

static bool in_period(int64_t t, int64_t since_ms, int64_t until_ms)
{
	return (since_ms == ACCOUNT_TIME_NONE || t >= since_ms) &&
	       (until_ms == ACCOUNT_TIME_NONE || t < until_ms);
}

struct reading {
	int64_t since_ms, until_ms;
	record_fn *fn;
	void *ctx;
	FILE *warnings;
	struct account_read_stats *stats;
};

static void warn(struct reading *rd, const char *path, size_t lineno, const char *what)
{
	rd->stats->skipped++;
	if (rd->warnings)
		fprintf(rd->warnings, "tendctl: warning: %s:%zu: %s, skipped\n", path, lineno,
			what);
}

static void read_file(struct reading *rd, const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		warn(rd, path, 0, "cannot be read");
		return;
	}
	rd->stats->files++;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	struct account_record r;
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (line[n - 1] != '\n') {
			warn(rd, path, lineno, "incomplete last line (a torn write)");
			break;
		}
		if (n == 1)
			continue;
		if (record_parse(line, (size_t)n - 1, &r) < 0) {
			warn(rd, path, lineno, "not a record");
			continue;
		}
		if (!in_period(r.end_ms, rd->since_ms, rd->until_ms))
			continue;
		rd->stats->records++;
		rd->fn(rd->ctx, &r);
	}
	free(line);
	fclose(f);
}

int account_read(const char *dir, int64_t since_ms, int64_t until_ms, record_fn *fn, void *ctx,
		 FILE *warnings, struct account_read_stats *stats)
{
	*stats = (struct account_read_stats){ 0 };
	struct reading rd = { since_ms, until_ms, fn, ctx, warnings, stats };
	struct dirent **names;
	int n = scandir(dir, &names, is_month_file, alphasort);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int64_t from, to;
		char path[4096];
		if (month_span(names[i]->d_name, &from, &to) &&
		    (until_ms == ACCOUNT_TIME_NONE || from < until_ms) &&
		    (since_ms == ACCOUNT_TIME_NONE || to > since_ms)) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			read_file(&rd, path);
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

static int is_tenant_dir(const struct dirent *de)
{
	return de->d_name[0] != '.' && (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN);
}

static void add_stats(struct account_read_stats *to, const struct account_read_stats *s)
{
	to->files += s->files;
	to->records += s->records;
	to->skipped += s->skipped;
}

int account_read_tenants(const char *dir, int64_t since_ms, int64_t until_ms, record_fn *fn,
			 void *ctx, FILE *warnings, struct account_read_stats *stats)
{
	char path[4096];
	struct dirent **names;
	size_t readable = 0;
	*stats = (struct account_read_stats){ 0 };
	snprintf(path, sizeof(path), "%s/tenant", dir);
	int n = scandir(path, &names, is_tenant_dir, alphasort);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct account_read_stats one;
		snprintf(path, sizeof(path), "%s/tenant/%s", dir, names[i]->d_name);
		/* Another tenant's: not ours to read, and not an error. */
		if (account_read(path, since_ms, until_ms, fn, ctx, warnings, &one) == 0) {
			readable++;
			add_stats(stats, &one);
		}
		free(names[i]);
	}
	free(names);
	if (readable)
		return 0;
	errno = EACCES;
	return -1;
}
