/* Summing records (summary.h). */
#include "account/summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const by_names[] = {
	[BY_NONE] = "total", [BY_TENANT] = "tenant", [BY_GROUP] = "group", [BY_DAY] = "day"
};

int summary_by(const char *name, enum account_by *by)
{
	for (int i = BY_TENANT; i <= BY_DAY; i++)
		if (strcmp(name, by_names[i]) == 0) {
			*by = (enum account_by)i;
			return 0;
		}
	return -1;
}

const char *summary_by_name(enum account_by by)
{
	return by_names[by];
}

static void key_of(const struct account_summary *s, const struct account_record *r, char *key)
{
	const char *k = "total";
	char day[16];
	if (s->by == BY_TENANT)
		k = r->tenant[0] ? r->tenant : "-";
	else if (s->by == BY_GROUP)
		k = r->group[0] ? r->group : "-";
	if (s->by == BY_DAY) {
		time_t secs = (time_t)(r->end_ms / 1000);
		struct tm tm;
		gmtime_r(&secs, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		k = day;
	}
	snprintf(key, RECORD_NAME_LEN, "%s", k);
}

static struct account_row *row_for(struct account_summary *s, const char *key)
{
	for (size_t i = 0; i < s->nrows; i++)
		if (strcmp(s->rows[i].key, key) == 0)
			return &s->rows[i];
	if (s->nrows == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct account_row *v = realloc(s->rows, cap * sizeof(*v));
		if (!v)
			return NULL;
		s->rows = v;
		s->cap = cap;
	}
	struct account_row *row = &s->rows[s->nrows++];
	*row = (struct account_row){ 0 };
	snprintf(row->key, sizeof(row->key), "%s", key);
	return row;
}

static int64_t known(int64_t v)
{
	return v == RECORD_UNKNOWN ? 0 : v;
}

static void add_to_row(struct account_row *row, const struct account_record *r)
{
	if (r->kind == RECORD_GROUP) {
		row->group_runs++;
		if (r->cgroup_cpu_us != RECORD_UNKNOWN) {
			row->cgroup_cpu_us += r->cgroup_cpu_us;
			row->has_cgroup = true;
		}
		return;
	}
	row->processes++;
	row->orphans += r->orphan;
	row->cpu_user_us += known(r->cpu_user_us);
	row->cpu_sys_us += known(r->cpu_sys_us);
	row->wall_ms += known(r->wall_ms);
	row->read_bytes += known(r->read_bytes);
	row->write_bytes += known(r->write_bytes);
	if (r->max_rss_kb > row->max_rss_kb)
		row->max_rss_kb = r->max_rss_kb;
}

int summary_add(struct account_summary *s, const struct account_record *r)
{
	char key[RECORD_NAME_LEN];
	if ((s->tenant && strcmp(s->tenant, r->tenant) != 0) ||
	    (s->group && strcmp(s->group, r->group) != 0))
		return 0;
	key_of(s, r, key);
	struct account_row *row = row_for(s, key);
	if (!row)
		return -1;
	add_to_row(row, r);
	add_to_row(&s->total, r);
	return 0;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct account_row *)a)->key, ((const struct account_row *)b)->key);
}

void summary_finish(struct account_summary *s)
{
	if (s->nrows)
		qsort(s->rows, s->nrows, sizeof(s->rows[0]), by_key);
	snprintf(s->total.key, sizeof(s->total.key), "total");
}

void summary_free(struct account_summary *s)
{
	free(s->rows);
	s->rows = NULL;
	s->nrows = s->cap = 0;
}
