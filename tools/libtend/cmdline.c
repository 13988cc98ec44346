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
static const char ERR_DOLLAR[] = "unterminated $' quote";
static const char ERR_NUL[] = "NUL byte in $' quote";

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
		ws->v[ws->n] = NULL; /* argv_free may see it before the push ends */
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

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte a backslash escape inside $'...' stands for (p after the
 * backslash); *len: how many characters the escape takes. -1: not an
 * escape, the backslash stays as it is (as in bash). */
static int dollar_escape(const char *p, size_t *len)
{
	static const char from[] = "abefnrtv\\'\"?", to[] = "\a\b\033\f\n\r\t\v\\'\"?";
	const char *hit = *p ? strchr(from, *p) : NULL;
	int v = 0;

	*len = 1;
	if (hit)
		return (unsigned char)to[hit - from];
	if (*p == 'x' && hex_digit(p[1]) >= 0) {
		for (*len = 1; *len < 3 && hex_digit(p[*len]) >= 0; (*len)++)
			v = v * 16 + hex_digit(p[*len]);
		return v;
	}
	if (*p >= '0' && *p <= '7') {
		for (*len = 0; *len < 3 && p[*len] >= '0' && p[*len] <= '7'; (*len)++)
			v = v * 8 + (p[*len] - '0');
		return v & 0xff;
	}
	return -1;
}

/* $'text' (POSIX.1-2024 dollar-single-quotes): literal, except that a
 * backslash escapes as in C (\n, \t, \\, \', \xHH, \NNN, ...). This is
 * how a word holding a newline crosses the one-line control protocol. */
static const char *split_dollar(const char *p, struct word *w, const char **error)
{
	w->started = true;
	for (p += 2; *p != '\''; p++) {
		int c = (unsigned char)*p;
		size_t len = 0;
		if (*p == '\0') {
			*error = ERR_DOLLAR;
			return NULL;
		}
		if (*p == '\\' && (c = dollar_escape(p + 1, &len)) < 0)
			c = '\\', len = 0;
		if (c == 0) {
			*error = ERR_NUL;
			return NULL;
		}
		p += len;
		if (word_putc(w, (char)c) < 0) {
			*error = ERR_NOMEM;
			return NULL;
		}
	}
	return p + 1;
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
	if (p[0] == '$' && p[1] == '\'')
		return split_dollar(p, w, error);
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

/* A newline or carriage return would end the request line (the control
 * protocol is one line per request): such a word is written $'...'. */
static bool needs_dollar(const char *word)
{
	return strpbrk(word, "\n\r") != NULL;
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

/* Length of the quoted form: 'text' with each ' written as '\'', or
 * $'text' with \\, \', \n and \r escaped. */
static size_t quoted_len(const char *word)
{
	size_t n = 2;

	if (!needs_quotes(word))
		return strlen(word);
	if (needs_dollar(word)) {
		for (n = 3; *word; word++)
			n += strchr("\\'\n\r", *word) ? 2 : 1;
		return n;
	}
	for (; *word; word++)
		n += *word == '\'' ? 4 : 1;
	return n;
}

static void write_dollar(const char *word, char *out)
{
	*out++ = '$';
	*out++ = '\'';
	for (; *word; word++) {
		const char *esc = *word == '\n'	  ? "\\n"
				  : *word == '\r' ? "\\r"
				  : *word == '\\' ? "\\\\"
				  : *word == '\'' ? "\\'"
						  : NULL;
		if (esc) {
			memcpy(out, esc, 2);
			out += 2;
		} else {
			*out++ = *word;
		}
	}
	*out++ = '\'';
	*out = '\0';
}

static void write_quoted(const char *word, char *out)
{
	if (!needs_quotes(word)) {
		strcpy(out, word);
		return;
	}
	if (needs_dollar(word))
		return write_dollar(word, out);
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

bool argv_equal(char *const *a, char *const *b)
{
	size_t n = argv_count(a);

	if (n != argv_count(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
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
