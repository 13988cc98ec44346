/* Reading and writing RUNDIR/tend.state (base/run_state.h). The reader
 * trusts nothing: a line it does not know, a number out of range, a name
 * too long or a missing end line makes the whole file ignored, never a
 * crash and never a half-read list (a half-read list would stop less than
 * a dead tend left). */
#include "base/run_state.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 1000000
#define LINE_MAX_LEN 8192

int run_state_add(struct run_state *s, const struct run_entry *e)
{
	if (s->len == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct run_entry *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->len++] = *e;
	return 0;
}

void run_state_free(struct run_state *s)
{
	free(s->v);
	free(s->cgroup);
	*s = (struct run_state){ 0 };
}

void run_state_format(const struct run_state *s, struct buf *out)
{
	buf_printf(out, "tend-state 1\ntend %d %llu\nboot %s\ncgroup %s\n", (int)s->tend_pid,
		   s->tend_ticks, s->boot_id[0] ? s->boot_id : "-", s->cgroup ? s->cgroup : "-");
	for (size_t i = 0; i < s->len; i++) {
		const struct run_entry *e = &s->v[i];
		buf_printf(out, "proc %d %llu %d %llu %s %s %s\n", (int)e->pid, e->pid_ticks,
			   (int)e->session, e->session_ticks, e->tenant, e->group, e->process);
	}
	buf_printf(out, "end %zu\n", s->len);
}

/* One word of *p (blank-separated) into buf; false when there is none or
 * it does not fit. */
static bool word(const char **p, char *buf, size_t len)
{
	const char *s = *p + strspn(*p, " ");
	size_t n = strcspn(s, " ");
	if (n == 0 || n >= len)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*p = s + n;
	return true;
}

static bool number(const char **p, unsigned long long max, unsigned long long *out)
{
	char w[24], *end;
	if (!word(p, w, sizeof(w)) || w[0] < '0' || w[0] > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(w, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool pid_number(const char **p, pid_t *out)
{
	unsigned long long v;
	if (!number(p, INT_MAX, &v))
		return false;
	*out = (pid_t)v;
	return true;
}

/* Names as conf.d allows them: [A-Za-z0-9_][A-Za-z0-9_.-]*. */
static bool name_word(const char **p, char *buf, size_t len)
{
	if (!word(p, buf, len))
		return false;
	for (const char *c = buf; *c; c++) {
		bool alnum = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			     (*c >= '0' && *c <= '9') || *c == '_';
		if (!alnum && (c == buf || (*c != '.' && *c != '-')))
			return false;
	}
	return true;
}

static bool at_end(const char *p)
{
	return p[strspn(p, " ")] == '\0';
}

static bool parse_proc(const char *p, struct run_state *s)
{
	struct run_entry e;
	if (!pid_number(&p, &e.pid) || !number(&p, ULLONG_MAX, &e.pid_ticks) ||
	    !pid_number(&p, &e.session) || !number(&p, ULLONG_MAX, &e.session_ticks) ||
	    !name_word(&p, e.tenant, sizeof(e.tenant)) ||
	    !name_word(&p, e.group, sizeof(e.group)) ||
	    !name_word(&p, e.process, sizeof(e.process)) || !at_end(p))
		return false;
	if ((!e.pid && !e.session) || s->len >= MAX_ENTRIES)
		return false;
	return run_state_add(s, &e) == 0;
}

static bool parse_cgroup(const char *p, struct run_state *s)
{
	p += strspn(p, " ");
	if (strcmp(p, "-") == 0)
		return true;
	/* An absolute path without "..": it is removed at the end. */
	if (p[0] != '/' || strstr(p, "/..") || s->cgroup)
		return false;
	s->cgroup = strdup(p);
	return s->cgroup != NULL;
}

/* One line (no newline). *ended is set by the end line, which must count
 * the entries before it and come last. */
static bool parse_line(const char *line, unsigned n, struct run_state *s, bool *ended)
{
	char key[16];
	const char *p = line;
	unsigned long long v;
	if (*ended || !word(&p, key, sizeof(key)))
		return false;
	if (n == 1)
		return strcmp(key, "tend-state") == 0 && number(&p, 1, &v) && v == 1 && at_end(p);
	if (strcmp(key, "tend") == 0)
		return pid_number(&p, &s->tend_pid) && number(&p, ULLONG_MAX, &s->tend_ticks) &&
		       at_end(p);
	if (strcmp(key, "boot") == 0)
		return word(&p, s->boot_id, sizeof(s->boot_id)) && at_end(p);
	if (strcmp(key, "cgroup") == 0)
		return parse_cgroup(p, s);
	if (strcmp(key, "proc") == 0)
		return parse_proc(p, s);
	if (strcmp(key, "end") == 0)
		return (*ended = number(&p, MAX_ENTRIES, &v) && v == s->len && at_end(p));
	return false;
}

static int refuse(struct run_state *s, char *why, size_t whylen, const char *fmt, unsigned n)
{
	run_state_free(s);
	snprintf(why, whylen, fmt, n);
	return -1;
}

int run_state_parse(const char *text, size_t len, struct run_state *out, char *why, size_t whylen)
{
	char line[LINE_MAX_LEN];
	unsigned n = 0;
	bool ended = false;
	*out = (struct run_state){ 0 };
	for (size_t at = 0; at < len && text[at];) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - text - at) : len - at;
		n++;
		if (!nl)
			return refuse(out, why, whylen, "line %u: cut short (no newline)", n);
		if (l >= sizeof(line) || memchr(text + at, '\0', l))
			return refuse(out, why, whylen, "line %u: not a line of text", n);
		memcpy(line, text + at, l);
		line[l] = '\0';
		if (!parse_line(line, n, out, &ended))
			return refuse(out, why, whylen, "line %u: not understood", n);
		at += l + 1;
	}
	if (!ended)
		return refuse(out, why, whylen, "cut short: no end line after line %u", n);
	if (!out->tend_pid || !out->boot_id[0])
		return refuse(out, why, whylen, "no tend or boot line in %u lines", n);
	return 0;
}
