/* Reading a record back from its JSON line (record.h): a small parser for
 * one flat object of strings, numbers, booleans and nulls (nested values
 * are skipped), enough for what record.c writes and what a later version
 * may add. Seconds are read as decimal text into integers, never through
 * a double, so sums are exact. */
#include "account/record.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum value_type { V_STRING, V_NUMBER, V_TRUE, V_FALSE, V_NULL, V_NESTED };

struct cursor {
	const char *s, *end;
};

struct value {
	enum value_type type;
	char text[256]; /* a string, unescaped; a number, as written */
};

static void skip_ws(struct cursor *c)
{
	while (c->s < c->end && isspace((unsigned char)*c->s))
		c->s++;
}

static bool take(struct cursor *c, char ch)
{
	skip_ws(c);
	if (c->s < c->end && *c->s == ch) {
		c->s++;
		return true;
	}
	return false;
}

static int hex_digit(char ch)
{
	return isdigit((unsigned char)ch) ? ch - '0' : (tolower((unsigned char)ch) - 'a' + 10);
}

/* One escape after the backslash: the byte it stands for ('?' outside ASCII). */
static int unescape(struct cursor *c)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	if (c->s >= c->end)
		return -1;
	char e = *c->s++;
	const char *at = strchr(from, e);
	if (at && e)
		return to[at - from];
	if (e != 'u' || c->end - c->s < 4)
		return -1;
	int code = 0;
	for (int i = 0; i < 4; i++, c->s++) {
		if (!isxdigit((unsigned char)*c->s))
			return -1;
		code = code * 16 + hex_digit(*c->s);
	}
	return code > 0 && code < 0x80 ? code : '?';
}

/* A string after its opening quote, into buf (truncated to fit). */
static int string_text(struct cursor *c, char *buf, size_t len)
{
	size_t n = 0;
	while (c->s < c->end && *c->s != '"') {
		int ch = (unsigned char)*c->s++;
		if (ch == '\\' && (ch = unescape(c)) < 0)
			return -1;
		if (n + 1 < len)
			buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	if (c->s >= c->end)
		return -1;
	c->s++;
	return 0;
}

/* An object or array, skipped whole (strings in it may hold brackets). */
static int skip_nested(struct cursor *c)
{
	int depth = 0;
	char tmp[2];
	do {
		if (c->s >= c->end)
			return -1;
		char ch = *c->s++;
		if (ch == '"' && string_text(c, tmp, sizeof(tmp)) < 0)
			return -1;
		depth += (ch == '{' || ch == '[') - (ch == '}' || ch == ']');
	} while (depth > 0);
	return 0;
}

static bool word(struct cursor *c, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(c->end - c->s) < n || strncmp(c->s, w, n) != 0)
		return false;
	c->s += n;
	return true;
}

static int number_text(struct cursor *c, struct value *v)
{
	size_t n = 0;
	while (c->s < c->end && (isdigit((unsigned char)*c->s) || strchr("+-.eE", *c->s)) &&
	       n + 1 < sizeof(v->text))
		v->text[n++] = *c->s++;
	v->text[n] = '\0';
	v->type = V_NUMBER;
	return n ? 0 : -1;
}

static int parse_value(struct cursor *c, struct value *v)
{
	skip_ws(c);
	if (c->s >= c->end)
		return -1;
	v->text[0] = '\0';
	if (*c->s == '"') {
		c->s++;
		v->type = V_STRING;
		return string_text(c, v->text, sizeof(v->text));
	}
	if (*c->s == '{' || *c->s == '[') {
		v->type = V_NESTED;
		return skip_nested(c);
	}
	if (word(c, "null"))
		v->type = V_NULL;
	else if (word(c, "true"))
		v->type = V_TRUE;
	else if (word(c, "false"))
		v->type = V_FALSE;
	else
		return number_text(c, v);
	return 0;
}

/* "12.345" as an integer count of 1/scale (scale a power of ten); extra
 * decimals are cut. */
static int scaled(const char *text, int64_t scale, int64_t *out)
{
	char *end;
	errno = 0;
	long long whole = strtoll(text, &end, 10);
	if (errno || end == text || whole < 0 || text[0] == '-')
		return -1;
	int64_t frac = 0, unit = scale;
	if (*end == '.')
		for (end++; isdigit((unsigned char)*end); end++)
			if (unit > 1) {
				unit /= 10;
				frac += (*end - '0') * unit;
			}
	if (*end)
		return -1;
	*out = (int64_t)whole * scale + frac;
	return 0;
}

static int integer(const char *text, int64_t *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(text, &end, 10);
	if (errno || end == text || *end)
		return -1;
	*out = n;
	return 0;
}

enum field_type { F_NAME, F_SECONDS_MS, F_SECONDS_US, F_INT, F_PID, F_BOOL, F_KIND };

struct field {
	const char *key;
	enum field_type type;
	size_t offset;
};

#define AT(member) offsetof(struct account_record, member)
static const struct field fields[] = {
	{ "kind", F_KIND, 0 },
	{ "tenant", F_NAME, AT(tenant) },
	{ "group", F_NAME, AT(group) },
	{ "process", F_NAME, AT(process) },
	{ "comm", F_NAME, AT(comm) },
	{ "tracking", F_NAME, AT(tracking) },
	{ "start", F_SECONDS_MS, AT(start_ms) },
	{ "end", F_SECONDS_MS, AT(end_ms) },
	{ "wall_s", F_SECONDS_MS, AT(wall_ms) },
	{ "cpu_user_s", F_SECONDS_US, AT(cpu_user_us) },
	{ "cpu_sys_s", F_SECONDS_US, AT(cpu_sys_us) },
	{ "cgroup_cpu_s", F_SECONDS_US, AT(cgroup_cpu_us) },
	{ "cgroup_cpu_user_s", F_SECONDS_US, AT(cgroup_user_us) },
	{ "cgroup_cpu_sys_s", F_SECONDS_US, AT(cgroup_sys_us) },
	{ "max_rss_kb", F_INT, AT(max_rss_kb) },
	{ "read_bytes", F_INT, AT(read_bytes) },
	{ "write_bytes", F_INT, AT(write_bytes) },
	{ "processes", F_INT, AT(processes) },
	{ "memory_peak_bytes", F_INT, AT(memory_peak_bytes) },
	{ "io_read_bytes", F_INT, AT(io_read_bytes) },
	{ "io_write_bytes", F_INT, AT(io_write_bytes) },
	{ "pid", F_PID, AT(pid) },
	{ "ppid", F_PID, AT(ppid) },
	{ "exit_status", F_PID, AT(exit_status) },
	{ "signal", F_PID, AT(signal) },
	{ "orphan", F_BOOL, AT(orphan) },
	{ "core_dumped", F_BOOL, AT(core_dumped) },
};

static int set_kind(struct account_record *r, const struct value *v, bool *has_kind)
{
	if (v->type != V_STRING)
		return -1;
	if (strcmp(v->text, "process") == 0)
		r->kind = RECORD_PROCESS;
	else if (strcmp(v->text, "group") == 0)
		r->kind = RECORD_GROUP;
	else
		return -1;
	*has_kind = true;
	return 0;
}

/* A number field: null leaves it unknown (its init value). */
static int set_number(const struct field *f, const struct value *v, void *at)
{
	int64_t n;
	if (v->type == V_NULL)
		return 0;
	if (v->type != V_NUMBER)
		return -1;
	int rc = f->type == F_SECONDS_MS   ? scaled(v->text, 1000, &n)
		 : f->type == F_SECONDS_US ? scaled(v->text, 1000000, &n)
					   : integer(v->text, &n);
	if (rc < 0)
		return -1;
	if (f->type == F_PID)
		*(int *)at = (int)n;
	else
		*(int64_t *)at = n;
	return 0;
}

static int set_field(struct account_record *r, const char *k, const struct value *v, bool *has_kind)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field *f = &fields[i];
		void *at = (char *)r + f->offset;
		if (strcmp(f->key, k) != 0)
			continue;
		switch (f->type) {
		case F_KIND:
			return set_kind(r, v, has_kind);
		case F_NAME:
			if (v->type == V_NULL)
				return 0;
			if (v->type != V_STRING || strlen(v->text) >= RECORD_NAME_LEN)
				return -1;
			strcpy(at, v->text);
			return 0;
		case F_BOOL:
			if (v->type != V_TRUE && v->type != V_FALSE)
				return -1;
			*(bool *)at = v->type == V_TRUE;
			return 0;
		default:
			return set_number(f, v, at);
		}
	}
	return 0; /* a key this version does not know */
}

int record_parse(const char *line, size_t len, struct account_record *r)
{
	struct cursor c = { line, line + len };
	struct value v;
	char k[64];
	bool has_kind = false;
	record_init(r, RECORD_PROCESS);
	if (!take(&c, '{'))
		return -1;
	if (!take(&c, '}')) {
		do {
			if (!take(&c, '"') || string_text(&c, k, sizeof(k)) < 0 || !take(&c, ':') ||
			    parse_value(&c, &v) < 0 || set_field(r, k, &v, &has_kind) < 0)
				return -1;
		} while (take(&c, ','));
		if (!take(&c, '}'))
			return -1;
	}
	skip_ws(&c);
	if (c.s != c.end || !has_kind || r->end_ms == RECORD_UNKNOWN)
		return -1;
	return 0;
}
