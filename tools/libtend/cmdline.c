/* Shell-like word splitting and quoting (see cmdline.h). Linked into the
 * client library too, so it uses nothing but libc. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

static const char ERR_NOMEM[] = "out of memory";
static const char ERR_SQUOTE[] = "unterminated single quote";
static const char ERR_DQUOTE[] = "unterminated double quote";
static const char ERR_BACKSLASH[] = "trailing backslash";

/* The word being built. `started` tells an empty word ("") from no word. */
struct word {
	char *s;
	size_t len, cap;
	bool started;
};

struct words {
	char **v;
	size_t n, cap;
};

static int word_putc(struct word *w, char c)
{
	char *s;

	w->started = true;
	if (w->len + 1 >= w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 32;

		s = realloc(w->s, cap);
		if (!s)
			return -1;
		w->s = s;
		w->cap = cap;
	}
	w->s[w->len++] = c;
	return 0;
}

/* Moves the finished word into the vector, which stays NULL-terminated. */
static int words_push(struct words *ws, struct word *w)
{
	char **v;
	char *s;

	if (ws->n + 2 > ws->cap) {
		size_t cap = ws->cap ? ws->cap * 2 : 8;

		v = realloc(ws->v, cap * sizeof(*v));
		if (!v)
			return -1;
		ws->v = v;
		ws->cap = cap;
	}
	s = w->s ? w->s : malloc(1); /* "" has no buffer yet */
	if (!s)
		return -1;
	s[w->len] = '\0';
	ws->v[ws->n++] = s;
	ws->v[ws->n] = NULL;
	*w = (struct word){ 0 };
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* 'text': everything literal up to the next quote. Returns the position
 * after the closing quote, or NULL with *error set. */
static const char *split_single(const char *p, struct word *w, const char **error)
{
	w->started = true;
	for (p++; *p != '\''; p++) {
		if (*p == '\0') {
			*error = ERR_SQUOTE;
			return NULL;
		}
		if (word_putc(w, *p) < 0) {
			*error = ERR_NOMEM;
			return NULL;
		}
	}
	return p + 1;
}

/* Inside double quotes a backslash only escapes these; before anything else
 * it stays, as in a POSIX shell. */
static bool dq_escapable(char c)
{
	return c == '"' || c == '\\' || c == '$' || c == '`';
}

static const char *split_double(const char *p, struct word *w, const char **error)
{
	int rc = 0;

	w->started = true;
	for (p++; *p != '"' && rc == 0; p++) {
		if (*p == '\0') {
			*error = ERR_DQUOTE;
			return NULL;
		}
		if (p[0] == '\\' && p[1] == '\n')
			p++; /* line continuation: both vanish */
		else if (p[0] == '\\' && dq_escapable(p[1]))
			rc = word_putc(w, *++p);
		else
			rc = word_putc(w, *p);
	}
	if (rc < 0) {
		*error = ERR_NOMEM;
		return NULL;
	}
	return p + 1;
}

/* A backslash outside quotes makes the next character literal; before a
 * newline both vanish (line continuation), as in a POSIX shell. */
static const char *split_backslash(const char *p, struct word *w, const char **error)
{
	if (p[1] == '\0') {
		*error = ERR_BACKSLASH;
		return NULL;
	}
	if (p[1] == '\n')
		return p + 2;
	if (word_putc(w, p[1]) < 0) {
		*error = ERR_NOMEM;
		return NULL;
	}
	return p + 2;
}

/* Handles one character (or quoted part) at p; returns where to go on. */
static const char *split_step(const char *p, struct word *w, struct words *ws, const char **error)
{
	if (is_blank(*p)) {
		if (w->started && words_push(ws, w) < 0) {
			*error = ERR_NOMEM;
			return NULL;
		}
		return p + 1;
	}
	if (*p == '\'')
		return split_single(p, w, error);
	if (*p == '"')
		return split_double(p, w, error);
	if (*p == '\\')
		return split_backslash(p, w, error);
	if (word_putc(w, *p) < 0) {
		*error = ERR_NOMEM;
		return NULL;
	}
	return p + 1;
}

/* Makes sure there is a vector even when the line held no word. */
static int words_finish(struct words *ws)
{
	if (ws->v)
		return 0;
	ws->v = calloc(1, sizeof(*ws->v));
	return ws->v ? 0 : -1;
}

char **cmdline_split(const char *line, const char **error)
{
	struct words ws = { 0 };
	struct word w = { 0 };
	const char *dummy;
	const char *p = line ? line : "";

	if (!error)
		error = &dummy;
	while (p && *p)
		p = split_step(p, &w, &ws, error);
	if (p && ((w.started && words_push(&ws, &w) < 0) || words_finish(&ws) < 0)) {
		*error = ERR_NOMEM;
		p = NULL;
	}
	if (!p) {
		free(w.s);
		argv_free(ws.v);
		errno = *error == ERR_NOMEM ? ENOMEM : EINVAL;
		return NULL;
	}
	return ws.v;
}

/* Characters that never need quoting, in any POSIX shell position. */
static bool is_safe(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("_./:=@%+,-", c));
}

static bool needs_quotes(const char *word)
{
	if (*word == '\0')
		return true; /* '' is the only way to write an empty word */
	for (; *word; word++)
		if (!is_safe(*word))
			return true;
	return false;
}

/* Length of the quoted form: 'text' with each ' written as '\'' */
static size_t quoted_len(const char *word)
{
	size_t n = 2;

	if (!needs_quotes(word))
		return strlen(word);
	for (; *word; word++)
		n += *word == '\'' ? 4 : 1;
	return n;
}

static void write_quoted(const char *word, char *out)
{
	if (!needs_quotes(word)) {
		strcpy(out, word);
		return;
	}
	*out++ = '\'';
	for (; *word; word++) {
		if (*word == '\'') {
			memcpy(out, "'\\''", 4);
			out += 4;
		} else {
			*out++ = *word;
		}
	}
	*out++ = '\'';
	*out = '\0';
}

int cmdline_quote(const char *word, char *buf, size_t len)
{
	size_t used, need;

	if (!word || !buf)
		return -1;
	used = strnlen(buf, len);
	if (used == len)
		return -1; /* not even a terminated string to append to */
	need = quoted_len(word);
	if (need > INT_MAX || need >= len - used)
		return -1;
	write_quoted(word, buf + used);
	return (int)need;
}

size_t argv_count(char *const *argv)
{
	size_t n = 0;

	while (argv && argv[n])
		n++;
	return n;
}

char **argv_dup(char *const *argv)
{
	size_t i, n = argv_count(argv);
	char **copy;

	if (!argv)
		return NULL;
	copy = calloc(n + 1, sizeof(*copy));
	if (!copy)
		return NULL;
	for (i = 0; i < n; i++) {
		copy[i] = strdup(argv[i]);
		if (!copy[i]) {
			argv_free(copy);
			return NULL;
		}
	}
	return copy;
}

void argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}
